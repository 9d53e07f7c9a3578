"""The fuzzer at CI size (tests/fuzzgo.py), and one test per crash or hang it found: the budgets of
extraction and summaries, the fixtures in tests/fuzz/, and the isolation of one bad unit."""

from __future__ import annotations

import json
import os
import pickle
import random

import fuzzgo
import pytest
from runfixtures import invoke, write_files

import kubetorch.extract as extract_mod
import kubetorch.summarize as summarize_mod
from kubetorch.extract import MAX_DEPTH, TooComplex, extract
from kubetorch.index import IndexedFile, build_index, build_satisfied, builds_on_linux
from kubetorch.models import MODELS_FILE, load_models
from kubetorch.summarize import summarize_package
from pipeline.output import read_table
from pipeline.tasks import extract_batch, summarize_batch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz")
GO_MOD = "module example.com/f\n\ngo 1.21\n"
GOOD = "package p\n\nfunc Good() int { return 1 }\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test may touch the user's cache."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))


def fixture(name: str) -> bytes:
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def analyse(tmp_path, files: dict[str, str | bytes]):
    """Run `kubetorch analyze` in-process on a small tree: (result, files rows by path, functions)."""
    write_files(tmp_path / "tree", {"go.mod": GO_MOD, **files})
    out = tmp_path / "out"
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--jobs", "1")
    assert "Traceback" not in result.output, result.output
    rows = {r["file"]: r for r in read_table(str(out), "files").to_pylist()}
    functions = sorted(read_table(str(out), "functions").column("qualified_name").to_pylist())
    return result, rows, functions


def problem_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("kubetorch: partial")]


# ---------------------------------------------------------------- the fuzzer


def test_fuzz_cases_at_ci_size():
    results = list(fuzzgo.run(list(range(300)), seed=0, jobs=2, timeout=120))
    assert sorted(r.number for r in results) == list(range(300))
    assert [r for r in results if r.outcome not in ("ok", "reported")] == []
    # the run is not vacuous: both clean and reported cases occur
    assert {r.outcome for r in results} == {"ok", "reported"}


def test_fuzz_every_shape_once():
    specs = fuzzgo.every_shape(deep=10_000, count=10_000, bulk=200_000)
    results = list(fuzzgo.run(specs, jobs=2, timeout=120))
    assert len(results) == len(specs)
    assert [r for r in results if r.outcome not in ("ok", "reported")] == []


def test_cases_are_reproducible():
    corpus = fuzzgo.seed_corpus()
    assert fuzzgo.make_case(17, 3, corpus) == fuzzgo.make_case(17, 3, corpus)
    assert fuzzgo.make_case(17, 3, corpus) != fuzzgo.make_case(18, 3, corpus)


def test_a_hang_is_counted_not_fatal(monkeypatch):
    """A case that never answers is killed at the limit and the run goes on with the next one."""
    real = fuzzgo.analyse

    def hang_on_deep_parens(path, data):
        if data.startswith(b"package p\n\nvar x = (("):
            while True:
                pass
        return real(path, data)

    monkeypatch.setattr(fuzzgo, "analyse", hang_on_deep_parens)  # inherited by the forked workers
    results = list(fuzzgo.run([("parens", 50), ("funcs", 10)], jobs=1, timeout=2))
    assert {r.number: r.outcome for r in results} == {("parens", 50): "hang", ("funcs", 10): "ok"}


# ---------------------------------------------------------------- fixtures of crashes found


def test_garbled_receiver_leaves_out_that_method_only(tmp_path):
    facts = extract(fixture("garbled_receiver.go"))
    assert [f.outer for f in facts.funcs] == ["Before", "(*testEnv).Name", "glob.func1"]
    assert facts.skipped == ("7: method Broken left out: receiver type not understood: *testE~v",)
    result, rows, functions = analyse(tmp_path, {"p/x.go": fixture("garbled_receiver.go")})
    assert result.exit_code == 3
    assert (
        "kubetorch: p/x.go: partly analysed: 7: method Broken left out: receiver type not understood: *testE~v"
        in problem_lines(result)
    )
    assert rows["p/x.go"]["status"] == "partial"
    assert functions == [
        "example.com/f/p.(*testEnv).Name",
        "example.com/f/p.Before",
        "example.com/f/p.glob.func1",
    ]


def test_build_line_nested_400_deep(tmp_path):
    facts = extract(fixture("build_tag_400.go"))
    assert builds_on_linux("p/x.go", facts)
    result, rows, functions = analyse(tmp_path, {"p/x.go": fixture("build_tag_400.go")})
    assert result.exit_code == 0, result.output
    assert rows["p/x.go"]["status"] == "ok"
    assert functions == ["example.com/f/p.Tagged"]


def test_build_constraints_nested_without_limit():
    assert build_satisfied("(" * 100_000 + "linux" + ")" * 100_000)
    assert not build_satisfied("!" * 100_001 + "linux")
    assert build_satisfied("!" * 100_000 + "linux")
    assert not build_satisfied("linux && (" * 50_000 + "windows" + ")" * 50_000)


def test_build_constraints_agree_with_boolean_logic():
    """Random well-formed expressions, against Python's own and/or/not."""
    rng = random.Random(8)
    tags = ["linux", "amd64", "windows", "ignore", "go1.21", "cgo"]

    def gen(depth: int) -> tuple[str, str]:
        r = rng.random()
        if depth > 6 or r < 0.3:
            tag = rng.choice(tags)
            return tag, str(tag in {"linux", "amd64", "go1.21", "cgo"})
        if r < 0.45:
            go, py = gen(depth + 1)
            return (f"!{go}", f"(not {py})") if " " not in go else (f"!({go})", f"(not ({py}))")
        if r < 0.6:
            go, py = gen(depth + 1)
            return f"({go})", f"({py})"
        op, pyop = rng.choice([("&&", "and"), ("||", "or")])
        (a, pa), (b, pb) = gen(depth + 1), gen(depth + 1)
        return f"{a} {op} {b}", f"{pa} {pyop} {pb}"

    for _ in range(3000):
        go, py = gen(0)
        assert build_satisfied(go) == eval(py), go  # our own expression of True and False


def test_struct_nested_400_deep_is_cut_and_pickles(tmp_path):
    facts = extract(fixture("struct_400.go"))
    assert facts.skipped == (f"5: nested more than {MAX_DEPTH} levels deep: the inner part is left out",)
    assert fuzzgo.ir_depth(facts) <= 3 * MAX_DEPTH + 10

    def deep_stack(n: int):  # pickled where a worker or the cache would, some frames down
        return deep_stack(n - 1) if n else pickle.loads(pickle.dumps(facts))

    assert deep_stack(300) == facts
    result, rows, functions = analyse(tmp_path, {"p/x.go": fixture("struct_400.go"), "p/good.go": GOOD})
    assert result.exit_code == 3
    assert problem_lines(result) == [
        f"kubetorch: p/x.go: too complex, partly analysed: 5: nested more than {MAX_DEPTH} levels deep: "
        "the inner part is left out"
    ]
    assert rows["p/x.go"]["status"] == "too-complex"
    assert rows["p/good.go"]["status"] == "ok"
    assert functions == ["example.com/f/p.Good", "example.com/f/p.Shallow"]
    types = read_table(str(tmp_path / "out"), "types").column("qualified_name").to_pylist()
    assert "example.com/f/p.Deep" in types


@pytest.mark.parametrize("shape", sorted(fuzzgo.DEEP_SHAPES))
def test_10000_deep_nesting_is_cut_at_the_depth_budget(shape):
    facts = extract(fuzzgo.DEEP_SHAPES[shape](10_000))
    # each level of nesting adds at most 5 levels of tuples (an interface's method signature)
    assert fuzzgo.ir_depth(facts) <= 5 * MAX_DEPTH + 10
    if not shape.startswith(("build_tag", "else_ifs")):
        assert len(facts.skipped) == 1 and "nested more than" in facts.skipped[0]
    assert pickle.loads(pickle.dumps(facts)) == facts


def test_a_long_else_if_chain_is_not_nesting():
    facts = extract(fuzzgo.DEEP_SHAPES["else_ifs"](1_000))
    assert facts.skipped == ()
    [f] = facts.funcs
    conditions = [s for s in f.body if s[0] == "x"]
    assert len(conditions) == 1_000


def test_parse_budget_stops_a_garbage_line_and_the_parser_recovers():
    garbage = fuzzgo.SHAPES["garbage_quotes"](1 << 20)
    with pytest.raises(TooComplex, match=r"parsing took more than 0\.1 s of CPU time"):
        extract(garbage, budgets=(0.1, 10.0))
    # the cancelled parse is not resumed by the next one
    assert [f.outer for f in extract(GOOD.encode()).funcs] == ["Good"]


def test_time_budget_of_visiting():
    many = fuzzgo.SHAPES["funcs"](100)
    with pytest.raises(TooComplex, match=r"parsing and visiting took more than 0\.0 s of CPU time"):
        extract(many, budgets=(10.0, 0.0))
    [(_p, _s, facts, _d, error)] = extract_batch([("p/x.go", "sha", many)])
    assert error == "" and len(facts.funcs) == 100


def test_syntax_node_budget_reports_the_file_and_analyses_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(extract_mod, "MAX_SYNTAX_NODES", 500)
    big = fuzzgo.SHAPES["funcs"](200)
    result, rows, functions = analyse(tmp_path, {"p/big.go": big, "p/good.go": GOOD})
    assert result.exit_code == 3
    nodes = extract_mod.go_parser().parse(big).root_node.descendant_count
    message = f"too complex: {nodes:,} syntax nodes, over the budget of 500"
    assert problem_lines(result) == [f"kubetorch: p/big.go: {message}"]
    assert (rows["p/big.go"]["status"], rows["p/big.go"]["error"]) == ("too-complex", message)
    assert functions == ["example.com/f/p.Good"]
    with open(tmp_path / "out" / "manifest.json") as f:
        assert json.load(f)["problems"] == [{"path": "p/big.go", "message": message}]


def test_a_declaration_that_raises_is_left_out_alone(monkeypatch):
    def boom(self, node):
        raise ValueError("boom")

    monkeypatch.setattr(extract_mod._Extractor, "s_go", boom)
    src = b"""package p

var A = func() {}

var B = func() { go f() }

var C = func() {}

func D() { go f() }

func E() { _ = func() {} }
"""
    facts = extract(src)
    # B and D are left out without a trace: C's literal takes the number B's had
    assert [f.outer for f in facts.funcs] == ["glob.func1", "glob.func2", "E", "E.func1"]
    assert [v.name for v in facts.values] == ["A", "C"]
    assert facts.skipped == (
        "5: var declaration left out: extract failed: ValueError: boom",
        "9: func D left out: extract failed: ValueError: boom",
    )


def test_a_package_value_does_not_see_the_locals_of_the_function_before():
    facts = extract(b"package p\n\nfunc f(name string) {}\n\nvar x = name\n\nvar name = 1\n")
    assert facts.values[0].value == ("id", "name")


# ---------------------------------------------------------------- summaries


def summarize(src: bytes):
    facts = extract(src)
    index = build_index([IndexedFile("p/x.go", "example.com/f/p", "p", facts)])
    return summarize_package("example.com/f/p", [("p/x.go", facts)], index, load_models())


def test_flow_budget_leaves_out_a_functions_data_flow(monkeypatch):
    src = b"package p\n\nfunc F(a, b int) int {\n\tc := g(a, b)\n\treturn h(c, a)\n}\n"
    [full] = summarize(src).functions
    assert len(full.edges) > 3
    monkeypatch.setattr(summarize_mod, "MAX_FLOWS", 3)
    capped = summarize(src)
    [fs] = capped.functions
    assert fs.edges == [] and fs.sites == full.sites  # calls and accesses are kept
    assert capped.errors == [
        f"p/x.go:3: example.com/f/p.F: too complex ({len(full.edges)} flows between its ports): "
        "its data flow is left out"
    ]
    monkeypatch.setattr(summarize_mod, "MAX_FLOW_WORK", 5)
    assert "local edges to" in summarize(src).errors[0]


def test_statement_heavy_function_is_reported_not_quadratic():
    ps = summarize(fuzzgo.SHAPES["statements"](50_000))
    assert ps.errors == [
        "p/x.go:3: example.com/f/p.f: too complex (150,003 local edges to 50,001 outputs): its data flow is left out"
    ]


def test_package_time_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(summarize_mod, "CPU_SECONDS", 0.0)
    monkeypatch.setattr(summarize_mod, "CPU_SECONDS_PER_KLINE", 0.0)
    ps = summarize(b"package p\n\nfunc F() { g() }\n")
    assert ps.functions == []
    assert ps.errors == ["p/x.go:3: too complex: summaries took more than 0.0 s of CPU time"]
    result, rows, _functions = analyse(tmp_path, {"p/good.go": GOOD})
    assert result.exit_code == 3
    assert problem_lines(result) == [
        "kubetorch: p/good.go: too complex: summaries took more than 0.0 s of CPU time"
    ]
    assert rows["p/good.go"]["status"] == "too-complex"


def test_many_literals_summarize_each_with_its_own_root():
    """The literals of each root function, found in one pass (was a scan of the file per root)."""
    ps = summarize(
        b"package p\n\nfunc A() { _ = func() {} }\n\nvar V = func() {}\n\nfunc B() { _ = func() {} }\n"
    )
    assert {f.qname: f.top.rsplit(".", 1)[-1] for f in ps.functions} == {
        "example.com/f/p.A": "A",
        "example.com/f/p.A.func1": "A",
        "example.com/f/p.glob.func1": "func1",
        "example.com/f/p.B": "B",
        "example.com/f/p.B.func1": "B",
    }


def test_one_package_that_fails_does_not_take_down_its_batch(monkeypatch):
    import kubetorch.summarize

    real = kubetorch.summarize.summarize_package

    def fail_on_a(pkg, files, index, models):
        if pkg.endswith("/a"):
            raise MemoryError("out of memory")
        return real(pkg, files, index, models)

    monkeypatch.setattr(kubetorch.summarize, "summarize_package", fail_on_a)
    a, b = extract(b"package a\n\nfunc A() {}\n"), extract(b"package b\n\nfunc B() {}\n")
    index = build_index([IndexedFile("a/a.go", "x/a", "a", a), IndexedFile("b/b.go", "x/b", "b", b)])
    out = dict(
        summarize_batch([("x/a", [("a/a.go", a)]), ("x/b", [("b/b.go", b)])], shared=(index, MODELS_FILE))
    )
    assert out["x/a"].errors == ["a/a.go: summarize failed: MemoryError: out of memory"]
    assert [f.qname for f in out["x/b"].functions] == ["x/b.B"]


def test_package_time_budget_is_checked_inside_a_long_function(monkeypatch):
    """One root function can be the whole cost: the clock is read every 16 statements too."""
    ticks = iter(range(1_000_000))
    monkeypatch.setattr(summarize_mod, "time", type("Clock", (), {"thread_time": lambda: float(next(ticks))}))
    monkeypatch.setattr(summarize_mod, "CPU_SECONDS", 2.5)  # the clock gains 1 s a read
    src = b"package p\n\nfunc F() {\n" + b"\tg()\n" * 40 + b"}\n"
    ps = summarize(src)
    assert ps.errors == ["p/x.go:3: too complex: summaries took more than 2.5 s of CPU time"]
    assert next(ticks) == 4  # the deadline, the root's check, statements 0 and 16 of the first pass
