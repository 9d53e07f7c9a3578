"""The result cache: cold and warm runs, one-file edits, signature changes, `kubetorch cache ...`."""

from __future__ import annotations

import pyarrow as pa
import pytest
from click.testing import CliRunner

import pipeline.run as run_mod
from cache import ResultCache
from kubetorch import extract_fingerprint
from pipeline.cli import main
from pipeline.discover import discover
from pipeline.execute import Executor
from pipeline.run import RunConfig, analyze, extract_stage

M = "example.com/m"
SOURCES = {
    "go.mod": "module example.com/m\n\ngo 1.21\n",
    "b/b.go": "package b\n\nfunc Helper(x int) int {\n\treturn x + 1\n}\n",
    "b/types.go": "package b\n\ntype T struct{ N int }\n",
    "a/a.go": 'package a\n\nimport "example.com/m/b"\n\nfunc Use() int { return b.Helper(1) }\n',
    "d/d.go": 'package d\n\nimport "example.com/m/a"\n\nfunc Top() int { return a.Use() }\n',
    "c/c.go": "package c\n\nfunc Alone() {}\n",
}
GO_FILES = sorted(p for p in SOURCES if p.endswith(".go"))


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "tree"
    for rel, text in SOURCES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture()
def cache_dir(tmp_path):
    return str(tmp_path / "kcache")


def run(tree, cache_dir, **kwargs):
    return analyze(RunConfig(tree=str(tree), cache_dir=cache_dir, jobs=1, quiet=True, **kwargs))


def counts(result) -> dict:
    c = result.manifest["counts"]
    return {k: c[k] for k in ("files", "files_read", "files_parsed", "packages_summarized")}


def assert_same_tables(got: dict[str, pa.Table], want: dict[str, pa.Table]) -> None:
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].to_pylist() == want[name].to_pylist(), name


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_cold_run_parses_everything_and_warm_run_reuses_it(tree, cache_dir):
    first = run(tree, cache_dir)
    assert counts(first) == {"files": 5, "files_read": 5, "files_parsed": 5, "packages_summarized": 4}
    assert "reused_previous_run" not in first.manifest
    assert first.manifest["options"]["cache"] == cache_dir
    assert first.tables["files"].column("file").to_pylist() == [
        "a/a.go",
        "b/b.go",
        "b/types.go",
        "c/c.go",
        "d/d.go",
    ]
    second = run(tree, cache_dir)
    assert second.manifest["reused_previous_run"] is True
    assert counts(second) == {"files": 5, "files_read": 0, "files_parsed": 0, "packages_summarized": 0}
    assert_same_tables(second.tables, first.tables)
    assert second.problems == [] and second.partial is False


def test_no_cache_run_leaves_no_cache(tree, tmp_path):
    result = analyze(RunConfig(tree=str(tree), use_cache=False, jobs=1, cache_dir=str(tmp_path / "never")))
    assert counts(result)["files_parsed"] == 5
    assert result.manifest["options"]["cache"] is None
    assert not (tmp_path / "never").exists()


def test_body_edit_reparses_one_file_and_resummarizes_one_package(tree, cache_dir):
    run(tree, cache_dir)
    edit(tree / "b/b.go", "x + 1", "x + 2*x")
    result = run(tree, cache_dir)
    assert "reused_previous_run" not in result.manifest
    assert counts(result) == {"files": 5, "files_read": 1, "files_parsed": 1, "packages_summarized": 1}
    # the incremental result is exactly what a run without any cache computes
    fresh = analyze(RunConfig(tree=str(tree), use_cache=False, jobs=1, quiet=True))
    assert_same_tables(result.tables, fresh.tables)


def test_body_edit_changes_only_that_files_facts(tree, cache_dir):
    cache = ResultCache(cache_dir)
    with Executor(jobs=1, quiet=True) as executor:
        before = extract_stage(discover(str(tree)), cache, executor)
        assert before.parsed == 5 and sorted(before.facts) == GO_FILES and before.errors == {}
        edit(tree / "b/b.go", "x + 1", "x + 2*x")
        after = extract_stage(discover(str(tree)), cache, executor)
    assert after.parsed == 1
    for path in GO_FILES:
        if path != "b/b.go":
            assert after.facts[path] == before.facts[path], path
            assert after.digests[path] == before.digests[path], path
    # declarations are unchanged by a body edit; the complete facts (with bodies) are not
    assert after.facts["b/b.go"] == before.facts["b/b.go"]
    assert after.full["b/b.go"] != before.full["b/b.go"]
    assert set(after.full) == {"b/b.go"}  # the other files' bodies were never loaded
    assert after.full["b/b.go"].funcs[0].body == (
        ("ret", (("b", "+", ("v", 0), ("b", "*", ("lit", "i", None), ("v", 0))),), 4),
    )
    # a body is not part of what other packages see
    assert after.digests["b/b.go"] == before.digests["b/b.go"]
    # the facts come from the cache by content hash
    sha = {f.path: f.sha for f in discover(str(tree)).files}
    assert cache.get("extract", extract_fingerprint(), sha["b/b.go"])[0] == after.full["b/b.go"]
    assert cache.get("decl", extract_fingerprint(), sha["b/b.go"])[0] == after.facts["b/b.go"]


def test_signature_change_resummarizes_the_packages_that_import_it(tree, cache_dir):
    run(tree, cache_dir)
    edit(tree / "b/b.go", "Helper(x int) int", "Helper(x int, y ...int) int")
    result = run(tree, cache_dir)
    # b itself, a (imports b) and d (imports a): not c
    assert counts(result) == {"files": 5, "files_read": 1, "files_parsed": 1, "packages_summarized": 3}
    sig = {r["qualified_name"]: r["signature"] for r in result.tables["functions"].to_pylist()}
    assert sig[f"{M}/b.Helper"] == "func(int, ...int) int"
    # a new type in b is a declaration change too
    edit(tree / "b/types.go", "N int }", "N int }\n\ntype U struct{}")
    assert counts(run(tree, cache_dir))["packages_summarized"] == 3
    # an edit in the leaf package d changes nobody else
    edit(tree / "d/d.go", "a.Use()", "a.Use() + 1")
    assert counts(run(tree, cache_dir))["packages_summarized"] == 1


def test_reverting_an_edit_reuses_the_earlier_run(tree, cache_dir):
    first = run(tree, cache_dir)
    original = (tree / "c/c.go").read_text()
    (tree / "c/c.go").write_text(original + "\nfunc More() {}\n")
    assert counts(run(tree, cache_dir))["files_parsed"] == 1
    (tree / "c/c.go").write_text(original)
    again = run(tree, cache_dir)
    assert again.manifest.get("reused_previous_run") is True
    assert_same_tables(again.tables, first.tables)


def test_new_and_deleted_files(tree, cache_dir):
    run(tree, cache_dir)
    (tree / "c/extra.go").write_text("package c\n\nfunc Extra() {}\n")
    result = run(tree, cache_dir)
    assert counts(result) == {"files": 6, "files_read": 1, "files_parsed": 1, "packages_summarized": 1}
    (tree / "c/extra.go").unlink()
    # back to the first run's files: its tables are reused
    assert run(tree, cache_dir).manifest.get("reused_previous_run") is True
    (tree / "a/a.go").unlink()
    result = run(tree, cache_dir)
    # d imported a, which is gone: d's view changed, nobody else's
    assert counts(result) == {"files": 4, "files_read": 0, "files_parsed": 0, "packages_summarized": 1}
    assert f"{M}/a" not in result.tables["packages"].column("package").to_pylist()


def test_changed_analyzer_fingerprint_invalidates_everything(tree, cache_dir, monkeypatch):
    run(tree, cache_dir)
    monkeypatch.setattr(run_mod, "extract_fingerprint", lambda: "other-extractor")
    monkeypatch.setattr(run_mod, "analysis_fingerprint", lambda: "other-analysis")
    result = run(tree, cache_dir)
    assert "reused_previous_run" not in result.manifest
    assert counts(result)["files_parsed"] == 5


def test_duplicate_contents_are_parsed_once(tree, cache_dir):
    (tree / "e").mkdir()
    (tree / "e/c.go").write_text(SOURCES["c/c.go"])  # same bytes in another package
    result = run(tree, cache_dir)
    assert counts(result)["files"] == 6
    assert counts(result)["files_parsed"] == 5


def test_cache_info_and_clear_commands(tree, cache_dir, monkeypatch, tmp_path):
    run(tree, cache_dir)
    runner = CliRunner()
    info = runner.invoke(main, ["cache", "info", "--cache", cache_dir])
    assert info.exit_code == 0, info.output
    lines = info.stdout.splitlines()
    assert lines[0] == f"directory: {cache_dir}"
    assert lines[1] == "entries:   16"
    assert lines[2].startswith("size:      ") and lines[2].endswith(" MB")
    assert lines[3:] == ["  decl: 5", "  extract: 5", "  run: 1", "  stat-memo: 1", "  summary: 4"]

    cleared = runner.invoke(main, ["cache", "clear", "--cache", cache_dir])
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout == f"removed 16 entries from {cache_dir}\n"
    info = runner.invoke(main, ["cache", "info", "--cache", cache_dir])
    assert info.stdout.splitlines()[1:2] == ["entries:   0"]
    assert len(info.stdout.splitlines()) == 3
    # after a clear everything is computed again
    assert counts(run(tree, cache_dir)) == {
        "files": 5,
        "files_read": 5,
        "files_parsed": 5,
        "packages_summarized": 4,
    }

    # without --cache the commands use $KUBETORCH_CACHE
    env_cache = str(tmp_path / "from-env")
    monkeypatch.setenv("KUBETORCH_CACHE", env_cache)
    info = runner.invoke(main, ["cache", "info"])
    assert info.exit_code == 0 and info.stdout.splitlines()[:2] == [f"directory: {env_cache}", "entries:   0"]


def test_cli_analyze_uses_the_cache(tree, cache_dir, tmp_path):
    runner = CliRunner()
    out = str(tmp_path / "out")
    args = ["analyze", str(tree), "--out", out, "--cache", cache_dir, "--jobs", "1"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "\nanalysed 5 files (" in first.stdout
    assert "5 parsed, rest cached" in first.stdout
    second = runner.invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "0 parsed, rest cached" in second.stdout
    assert second.stderr == ""
