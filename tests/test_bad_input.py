"""Bad input: one-line errors for bad trees and outputs, per-file reports for bad files, atomic output."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from runfixtures import invoke, write_files

import pipeline.output as output_mod
from pipeline.output import OutputError, read_table, recover, write_tables

GOOD = {
    "go.mod": "module example.com/good\n\ngo 1.21\n",
    "p/good.go": "package p\n\nfunc Good() int { return 1 }\n",
}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test may touch the user's cache."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))


def assert_one_line_error(result, message: str) -> None:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.stderr == f"kubetorch: error: {message}\n"


# ---------------------------------------------------------------- trees and outputs that cannot be used


def test_missing_tree(tmp_path):
    missing = str(tmp_path / "missing")
    result = invoke("analyze", missing, "--out", str(tmp_path / "out"), "--no-cache")
    assert_one_line_error(result, f"{missing}: no such file or directory")
    assert result.stdout == ""


def test_file_instead_of_tree(tmp_path):
    write_files(tmp_path, {"main.go": "package main\n"})
    path = str(tmp_path / "main.go")
    assert_one_line_error(
        invoke("analyze", path, "--out", str(tmp_path / "out"), "--no-cache"), f"{path}: not a directory"
    )


def test_empty_tree(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("analyze", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "--no-cache")
    assert_one_line_error(result, f"{tmp_path / 'empty'}: no Go files to analyse")
    assert not (tmp_path / "out").exists()


def test_tree_without_go_files(tmp_path):
    write_files(
        tmp_path / "tree", {"README.md": "# hi\n", "src/main.py": "print(1)\n", "x_test.go": "package x\n"}
    )
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(tmp_path / "out"), "--no-cache")
    assert_one_line_error(result, f"{tmp_path / 'tree'}: no Go files to analyse")


def test_out_whose_parent_is_a_regular_file(tmp_path):
    write_files(tmp_path, GOOD)
    (tmp_path / "blocker").write_text("a file\n")
    result = invoke("analyze", str(tmp_path), "--out", str(tmp_path / "blocker" / "out"), "--no-cache")
    blocker = tmp_path / "blocker"
    assert_one_line_error(result, f"{blocker / 'out'}: cannot be created: {blocker} is not a directory")


def test_out_that_is_a_regular_file(tmp_path):
    write_files(tmp_path / "tree", GOOD)
    (tmp_path / "out").write_text("not a folder\n")
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(tmp_path / "out"), "--no-cache")
    assert_one_line_error(result, f"{tmp_path / 'out'}: exists and is not a directory")
    assert (tmp_path / "out").read_text() == "not a folder\n"


def test_out_under_a_read_only_dir(tmp_path):
    write_files(tmp_path / "tree", GOOD)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("this user can write into a read-only directory (root)")
        result = invoke("analyze", str(tmp_path / "tree"), "--out", str(ro / "out"), "--no-cache")
        assert_one_line_error(
            result, f"{ro / 'out'}: not writable (cannot create an entry in {ro}: Permission denied)"
        )
    finally:
        ro.chmod(0o755)


def test_unusable_cache_dir(tmp_path):
    write_files(tmp_path / "tree", GOOD)
    (tmp_path / "cachefile").write_text("x\n")
    cache = str(tmp_path / "cachefile")
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(tmp_path / "out"), "--cache", cache)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"kubetorch: error: cannot open cache at {cache}: ")
    assert result.stderr.count("\n") == 1


def test_subprocess_missing_tree_has_no_traceback(tmp_path):
    env = dict(os.environ, KUBETORCH_CACHE=str(tmp_path / "kcache"))
    proc = subprocess.run(
        [sys.executable, "-m", "kubetorch", "analyze", "missing-tree", "--out", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr == "kubetorch: error: missing-tree: no such file or directory\n"
    assert proc.stdout == ""


# ---------------------------------------------------------------- bad files inside a good tree


def bad_tree(root) -> None:
    write_files(
        root,
        {
            **GOOD,
            "p/bin.go": b"package p\n\x00\x00\x01\x02",
            "p/latin.go": b"package p\n\n// caf\xe9\nfunc Latin() {}\n",
            "p/broken.go": "package p\n\nfunc Broken() {\n\tx := 1 )\n}\n\nfunc AfterBroken() {}\n",
        },
    )
    os.symlink("b.go", root / "p/a.go")
    os.symlink("a.go", root / "p/b.go")


BAD_FILE_ERRORS = {
    "p/a.go": "unreadable: symlink loop",
    "p/b.go": "unreadable: symlink loop",
    "p/bin.go": "binary content (NUL bytes)",
    "p/latin.go": "not valid UTF-8 (byte 17)",
    "p/broken.go": "syntax errors at 4:9: syntax error",
}


def check_bad_file_run(stderr: str, out) -> None:
    lines = stderr.splitlines()
    assert "Traceback" not in stderr
    for path, message in BAD_FILE_ERRORS.items():
        # reported once, with its path
        assert [line for line in lines if line.startswith(f"kubetorch: {path}:")] == [
            f"kubetorch: {path}: {message}"
        ]
    assert lines[-1] == "kubetorch: partial: 5 file(s) could not be fully analysed"
    assert len(lines) == 6
    files = {r["file"]: r for r in read_table(str(out), "files").to_pylist()}
    assert {p: (r["status"], r["error"], r["parse_errors"]) for p, r in files.items()} == {
        "p/a.go": ("unreadable", "unreadable: symlink loop", []),
        "p/b.go": ("unreadable", "unreadable: symlink loop", []),
        "p/bin.go": ("binary", "binary content (NUL bytes)", []),
        "p/broken.go": ("syntax-errors", None, ["4:9: syntax error"]),
        "p/good.go": ("ok", None, []),
        "p/latin.go": ("not-utf8", "not valid UTF-8 (byte 17)", []),
    }
    # the other files are still analysed, the readable part of bad ones too
    functions = sorted(read_table(str(out), "functions").column("qualified_name").to_pylist())
    assert functions == [
        "example.com/good/p.AfterBroken",
        "example.com/good/p.Broken",
        "example.com/good/p.Good",
        "example.com/good/p.Latin",
    ]
    with open(out / "manifest.json") as f:
        manifest = json.load(f)
    assert manifest["partial"] is True
    assert {p["path"]: p["message"] for p in manifest["problems"]} == BAD_FILE_ERRORS
    assert manifest["counts"]["files_with_problems"] == 5


def test_bad_files_are_reported_and_the_rest_analysed(tmp_path):
    bad_tree(tmp_path / "tree")
    out = tmp_path / "out"
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--jobs", "1")
    assert result.exit_code == 3, result.output
    check_bad_file_run(result.stderr, out)
    assert "\nanalysed 6 files" in result.stdout and result.stdout.startswith("discover ")
    # the warm run (served from the run cache) reports the same problems and exits 3 too
    again = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--jobs", "1", "-q")
    assert again.exit_code == 3
    assert again.stdout == ""
    check_bad_file_run(again.stderr, out)


def test_bad_files_in_a_real_subprocess(tmp_path):
    bad_tree(tmp_path / "tree")
    env = dict(os.environ, KUBETORCH_CACHE=str(tmp_path / "kcache"))
    proc = subprocess.run(
        [sys.executable, "-m", "kubetorch", "analyze", "tree", "--out", "out", "-j", "1", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    check_bad_file_run(proc.stderr, tmp_path / "out")


def test_unreadable_file(tmp_path):
    write_files(tmp_path / "tree", {**GOOD, "p/secret.go": "package p\n\nfunc Secret() {}\n"})
    secret = tmp_path / "tree/p/secret.go"
    secret.chmod(0o000)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("this user can still read a chmod 000 file (root)")
        out = tmp_path / "out"
        result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--no-cache", "-q")
        assert result.exit_code == 3, result.output
        assert "Traceback" not in result.output
        assert result.stderr.splitlines() == [
            "kubetorch: p/secret.go: unreadable: Permission denied",
            "kubetorch: partial: 1 file(s) could not be fully analysed",
        ]
        rows = {r["file"]: (r["status"], r["error"]) for r in read_table(str(out), "files").to_pylist()}
        assert rows == {
            "p/good.go": ("ok", None),
            "p/secret.go": ("unreadable", "unreadable: Permission denied"),
        }
    finally:
        secret.chmod(0o644)


# ---------------------------------------------------------------- output is all or nothing


def snapshot(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in sorted(os.listdir(folder))}


def leftovers(parent, name: str = "out") -> list[str]:
    return sorted(n for n in os.listdir(parent) if n.startswith(f".{name}."))


@pytest.fixture()
def previous_run(tmp_path):
    """A tree and a complete earlier output of it."""
    write_files(tmp_path / "tree", GOOD)
    out = tmp_path / "out"
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--no-cache", "-q")
    assert result.exit_code == 0, result.output
    before = snapshot(out)
    assert "chains.parquet" in before and "manifest.json" in before
    # the next run would write different tables
    write_files(tmp_path / "tree", {"p/more.go": "package p\n\nfunc More() {}\n"})
    return out, before


def failing_writer(exc: BaseException, after: int = 1):
    """pq.write_table that writes `after` tables, then dies with exc."""
    real = pq.write_table
    calls = []

    def write_table(table, where, **kwargs):
        calls.append(where)
        if len(calls) > after:
            raise exc
        return real(table, where, **kwargs)

    return write_table, calls


def test_interrupted_write_leaves_previous_output_untouched(tmp_path, previous_run, monkeypatch):
    out, before = previous_run
    writer, calls = failing_writer(KeyboardInterrupt())
    monkeypatch.setattr(output_mod.pq, "write_table", writer)
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--no-cache", "-q")
    assert len(calls) == 2  # died while writing the second table
    assert result.exit_code == 130
    assert result.stderr == (
        "kubetorch: interrupted (SIGINT); previous output left untouched, "
        "finished work kept in the cache for the next run\n"
    )
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_disk_full_during_write_is_a_one_line_error(tmp_path, previous_run, monkeypatch):
    out, before = previous_run
    writer, _calls = failing_writer(OSError(28, "No space left on device"), after=3)
    monkeypatch.setattr(output_mod.pq, "write_table", writer)
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--no-cache", "-q")
    assert_one_line_error(result, f"{out}: cannot write: No space left on device")
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_write_tables_with_a_table_that_fails(tmp_path, previous_run):
    out, before = previous_run
    good = pa.table({"x": [1, 2]})
    with pytest.raises((TypeError, AttributeError)):
        write_tables(str(out), {"aaa": good, "bad": object()}, {"tool": "kubetorch"})
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []
    # a later complete write replaces the folder
    write_tables(str(out), {"aaa": good}, {"tool": "kubetorch"})
    assert sorted(os.listdir(out)) == ["aaa.parquet", "manifest.json"]
    assert read_table(str(out), "aaa").to_pylist() == [{"x": 1}, {"x": 2}]
    assert leftovers(tmp_path) == []


def test_recover_puts_back_output_moved_aside_by_a_killed_run(tmp_path):
    out = tmp_path / "out"
    backup = tmp_path / ".out.previous"
    backup.mkdir()
    (backup / "manifest.json").write_text('{"tool": "kubetorch"}\n')
    recover(str(out))  # killed between the two renames: only the backup exists
    assert sorted(os.listdir(out)) == ["manifest.json"] and not backup.exists()
    backup.mkdir()
    (backup / "stale").write_text("x\n")
    (backup / output_mod.TEMP_MARKER).write_text("kubetorch temporary folder\n")
    recover(str(out))  # both exist: the new output won, the backup kubetorch made is dropped
    assert sorted(os.listdir(out)) == ["manifest.json"] and not backup.exists()
    backup.mkdir()
    (backup / "notes").write_text("mine\n")
    recover(str(out))  # not provably kubetorch's: left alone
    assert (backup / "notes").read_text() == "mine\n"


def test_read_table_of_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(OutputError, match="no table 'chains'"):
        read_table(str(tmp_path), "chains")


@pytest.mark.parametrize("shadow", ["kubetorch", "cache", "pipeline"])
def test_python_m_kubetorch_from_a_folder_holding_a_namesake(tmp_path, shadow):
    """`python -m kubetorch` in a folder that holds a checkout named like one of our packages
    (which Python would take for a namespace package) still runs this kubetorch."""
    write_files(
        tmp_path, {f"{shadow}/README.md": "a checkout\n", **{f"tree/{k}": v for k, v in GOOD.items()}}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "kubetorch", "analyze", "tree", "--out", "out", "--no-cache", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert read_table(str(tmp_path / "out"), "chains").num_rows == 0
    assert (tmp_path / "out" / "manifest.json").exists()
