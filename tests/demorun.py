"""One analysed copy of the demo tree for the export tests (SARIF, graph, plan, operation ids).

`demo_run` analyses demo/ once per test session into a temporary folder, with its own cache, so
the tests that only read a run do not each pay for an analysis. Tests that need another tree copy
the demo with `copy_demo` and analyse it with `analyze_tree`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from runfixtures import invoke

DEMO = Path(__file__).resolve().parent.parent / "demo"


def analyze_tree(tree: Path, out: Path, cache: Path, *extra: str):
    result = invoke(
        "analyze", str(tree), "--out", str(out), "--jobs", "1", "--cache", str(cache), "-q", *extra
    )
    return result


def copy_demo(dest: Path) -> Path:
    shutil.copytree(DEMO, dest)
    return dest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("demo-run")
    out = base / "out"
    result = analyze_tree(DEMO, out, base / "cache", "--release", "demo")
    assert result.exit_code == 0, result.output
    return out
