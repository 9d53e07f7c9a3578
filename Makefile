# kubetorch: `make demo` analyses the bundled demo tree, `make test` runs every check (lint, types, tests).
# Both create the virtual environment in .venv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo
TREE ?=
BENCH_ARGS ?=
CASES ?= 10000
FUZZ_ARGS ?=

.PHONY: demo test lint bench fuzz nightly clean

# setuptools prints an information notice ("Editable installation ...") on every editable install:
# it is no warning about this project, so it is filtered out (by its message only)
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(QUIET_EDITABLE) $(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kubetorch analyze demo --out $(OUT) --release demo
	$(BIN)/kubetorch chains $(OUT)

test: $(STAMP)
	bash tests/install_browser.sh
	VENV=$(VENV) bash tests/install_sarif_multitool.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

bench: $(STAMP)
	@test -n "$(TREE)" || { echo "usage: make bench TREE=/path/to/kubernetes [BENCH_ARGS=--include-generated]"; exit 2; }
	$(BIN)/python -m pipeline.bench $(TREE) $(BENCH_ARGS)

# fuzz: CASES mutated and pathological Go files through extraction, index and summaries, in worker
# processes (a hang is counted, not fatal); prints cases, uncaught exceptions, hangs, slow cases
fuzz: $(STAMP)
	$(BIN)/python tests/fuzzgo.py --cases $(CASES) --jobs 2 $(FUZZ_ARGS)

# nightly: analyse a Kubernetes checkout and add it to a history (see README, "Nightly runs")
nightly: $(STAMP)
	@test -n "$(TREE)" || { echo "usage: make nightly TREE=/path/to/kubernetes HISTORY=/path/to/history"; exit 2; }
	@test -n "$(HISTORY)" || { echo "usage: make nightly TREE=/path/to/kubernetes HISTORY=/path/to/history"; exit 2; }
	$(BIN)/kubetorch analyze $(TREE) --out $(HISTORY)/.latest --release $$(git -C $(TREE) rev-parse --short HEAD 2>/dev/null || date +%Y%m%d) --history $(HISTORY) --quiet || test $$? -eq 3

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
