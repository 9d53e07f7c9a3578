"""kubetorch replaces only what it wrote, checks its outputs before working, and a kill at any step
of a write leaves the previous or the new output, complete, and nothing behind after the next run.

Everything a refused command must not touch is compared by a digest of every entry (names, kinds,
bytes, link targets) before and after.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys

import killwrite
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from runfixtures import chain, invoke, make_run, write_files

import pipeline.run
from pipeline import output
from pipeline.history import HistoryError, add_run
from pipeline.output import TEMP_MARKER, OutputError

TREE = {
    "go.mod": "module example.com/safe\n\ngo 1.21\n",
    "p/a.go": "package p\n\nfunc A() int { return 1 }\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/objects/ab/cdef": b"\x00\x01git object",
    ".git/config": "[core]\n",
}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test may touch the user's cache."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))


def digest(path) -> dict[str, str] | None:
    """Every entry under `path` (itself included): relative name -> kind and content hash."""
    path = str(path)
    if not os.path.lexists(path):
        return None

    def one(p: str) -> str:
        if os.path.islink(p):
            return "link " + os.readlink(p)
        if os.path.isdir(p):
            return "dir"
        with open(p, "rb") as f:
            return "file " + hashlib.sha256(f.read()).hexdigest()

    found = {".": one(path)}
    if os.path.isdir(path) and not os.path.islink(path):
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                found[os.path.relpath(p, path)] = one(p)
    return found


def one_line_error(result, message: str, code: int = 1) -> None:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.stderr == f"kubetorch: error: {message}\n"


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "work" / "tree"
    write_files(root, TREE)
    return root


@pytest.fixture
def no_discovery(monkeypatch):
    """Fail the test if the analysis starts: the checks must come first."""

    def discover(*args, **kwargs):
        raise AssertionError("discovery started before the outputs were checked")

    monkeypatch.setattr(pipeline.run, "discover", discover)


def analyze(tree, out, *extra: str):
    return invoke("analyze", str(tree), "--out", str(out), "-q", *extra)


# ---------------------------------------------------------------- what --out may replace


def test_out_is_the_tree(tree, no_discovery):
    before = digest(tree)
    one_line_error(analyze(tree, tree), f"{tree}: is the analysed tree; refusing to replace it")
    assert digest(tree) == before


def test_out_is_the_parent_of_the_tree(tree, no_discovery):
    parent = tree.parent
    before = digest(parent)
    one_line_error(
        analyze(tree, parent), f"{parent}: holds the analysed tree ({tree}); refusing to replace it"
    )
    assert digest(parent) == before and (tree / ".git" / "HEAD").is_file()


def test_out_is_the_current_folder_or_holds_it(tmp_path, tree, monkeypatch, no_discovery):
    cwd = tmp_path / "elsewhere" / "here"
    write_files(cwd, {"notes.txt": "mine\n", "sub/data.bin": b"\x00\x01"})
    monkeypatch.chdir(cwd)
    before = digest(tmp_path / "elsewhere")
    one_line_error(analyze(tree, "."), f"{cwd}: is the current folder; refusing to replace it")
    one_line_error(
        analyze(tree, ".."), f"{cwd.parent}: holds the current folder ({cwd}); refusing to replace it"
    )
    one_line_error(analyze(tree, "/"), f"/: holds the analysed tree ({tree}); refusing to replace it")
    assert digest(tmp_path / "elsewhere") == before


def test_out_is_an_unrelated_folder(tmp_path, tree, no_discovery):
    mine = tmp_path / "mine"
    write_files(mine, {"thesis.tex": "\\begin{document}\n", "figures/a.png": b"\x89PNG"})
    (mine / "manifest.json").write_text('{"tool": "something else"}\n')
    before = digest(mine)
    one_line_error(
        analyze(tree, mine),
        f"{mine}: exists and is not a kubetorch output folder (no kubetorch manifest.json); refusing to replace it",
    )
    assert digest(mine) == before


def test_out_is_or_holds_the_cache(tmp_path, tree, no_discovery):
    cache = tmp_path / "c" / "cache"
    write_files(cache, {"cache.db": b"SQLite format 3\x00"})
    before = digest(tmp_path / "c")
    one_line_error(
        analyze(tree, cache, "--cache", str(cache)), f"{cache}: is the cache folder; refusing to replace it"
    )
    one_line_error(
        analyze(tree, cache.parent, "--no-cache", "--cache", str(cache)),
        f"{cache.parent}: holds the cache folder ({cache}); refusing to replace it",
    )
    assert digest(tmp_path / "c") == before


def test_out_is_a_symbolic_link(tmp_path, tree, no_discovery):
    target = tmp_path / "real-out"
    make_run(str(target), [chain()])
    link = tmp_path / "link"
    link.symlink_to(target)
    before = digest(tmp_path)
    one_line_error(analyze(tree, link, "--no-cache"), f"{link}: is a symbolic link; refusing to replace it")
    assert digest(tmp_path) == before


def test_out_that_is_empty_or_kubetorch_output_is_replaced(tmp_path, tree):
    out = tmp_path / "out"
    out.mkdir()
    assert analyze(tree, out, "--no-cache").exit_code == 0
    first = json.loads((out / "manifest.json").read_text())
    assert first["tool"] == "kubetorch"
    write_files(tree, {"p/b.go": "package p\n\nfunc B() {}\n"})
    assert analyze(tree, out, "--no-cache").exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["counts"]["files"] == first["counts"]["files"] + 1
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith(".")) == []


def test_a_tree_inside_its_own_output_folder_is_refused(tmp_path, no_discovery):
    out = tmp_path / "out"
    make_run(str(out), [chain()])
    write_files(out / "tree", TREE)  # a kubetorch folder, but it holds the tree
    before = digest(out)
    one_line_error(
        analyze(out / "tree", out, "--no-cache"),
        f"{out}: holds the analysed tree ({out / 'tree'}); refusing to replace it",
    )
    assert digest(out) == before


# ---------------------------------------------------------------- checks before any work


def test_unwritable_out_fails_before_discovery(tree, no_discovery):
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    one_line_error(
        analyze(tree, "/proc/x"),
        "/proc/x: not writable (cannot create an entry in /proc: No such file or directory)",
    )


def test_out_under_a_file_fails_before_discovery(tmp_path, tree, no_discovery):
    (tmp_path / "blocker").write_text("a file\n")
    out = tmp_path / "blocker" / "deeper" / "out"
    one_line_error(analyze(tree, out), f"{out}: cannot be created: {tmp_path / 'blocker'} is not a directory")
    assert (tmp_path / "blocker").read_text() == "a file\n"


def test_unwritable_cache_and_history_fail_before_discovery(tmp_path, tree, no_discovery):
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    out = tmp_path / "out"
    one_line_error(
        analyze(tree, out, "--cache", "/proc/c"),
        "cache folder /proc/c: not writable (cannot create an entry in /proc: No such file or directory)",
    )
    one_line_error(
        analyze(tree, out, "--no-cache", "--history", "/proc/h", "--release", "v1"),
        "history folder /proc/h: not writable (cannot create an entry in /proc: No such file or directory)",
    )
    assert not out.exists()


def test_probe_leaves_nothing_behind(tmp_path):
    before = digest(tmp_path)
    output.probe_writable(str(tmp_path / "new" / "out"))
    output.probe_writable(str(tmp_path), inside=True)
    assert digest(tmp_path) == before


# ---------------------------------------------------------------- histories


def test_history_that_is_not_a_history_is_refused(tmp_path, tree, no_discovery):
    mine = tmp_path / "mine"
    write_files(mine, {"a.txt": "mine\n"})
    before_mine, before_tree = digest(mine), digest(tree)
    out = tmp_path / "out"
    message = (
        "exists and is not a kubetorch history (no release=LABEL run folder in it); refusing to write into it"
    )
    for folder in (mine, tree, tree.parent):
        result = analyze(tree, out, "--no-cache", "--history", str(folder), "--release", "v1")
        one_line_error(result, f"{folder}: {message}")
    assert digest(mine) == before_mine and digest(tree) == before_tree and not out.exists()


def test_history_partition_not_made_by_kubetorch_is_refused(tmp_path, tree, no_discovery):
    hist = tmp_path / "hist"
    add_run(str(hist), make_run(str(tmp_path / "r0"), [chain()]), "v0")
    write_files(hist / "release=v1", {"important.csv": "a,b\n"})
    before = digest(hist)
    part = hist / "release=v1"
    result = analyze(tree, tmp_path / "out", "--no-cache", "--history", str(hist), "--release", "v1")
    one_line_error(
        result,
        f"{part}: exists and is not a kubetorch output folder (no kubetorch manifest.json); refusing to replace it",
    )
    assert digest(hist) == before


def test_out_is_the_history_folder(tmp_path, tree, no_discovery):
    hist = tmp_path / "hist"
    result = analyze(tree, hist, "--no-cache", "--history", str(hist), "--release", "v1")
    one_line_error(result, f"{hist}: is the history folder; refusing to replace it")


def test_history_folders_kubetorch_may_write_into(tmp_path, tree):
    run = make_run(str(tmp_path / "run"), [chain()])
    # what `make nightly` does: the run folder inside the history, before its first partition
    hist = tmp_path / "nightly"
    result = analyze(tree, hist / ".latest", "--no-cache", "--history", str(hist), "--release", "v1")
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(hist)) == [".latest", "release=v1"]
    # a history with a user's file beside its partitions (the README's cron line) stays usable
    (hist / "new-chains.csv").write_text("x\n")
    add_run(str(hist), run, "v2")
    assert sorted(os.listdir(hist)) == [".latest", "new-chains.csv", "release=v1", "release=v2"]
    (tmp_path / "empty").mkdir()
    add_run(str(tmp_path / "empty"), run, "v1")
    with pytest.raises(HistoryError, match="not a kubetorch history"):
        add_run(str(tmp_path / "run"), run, "v1")  # a run folder is not a history


def test_history_add_cli_refuses_an_unrelated_folder(tmp_path):
    run = make_run(str(tmp_path / "run"), [chain()])
    mine = tmp_path / "mine"
    write_files(mine, {"a.txt": "mine\n"})
    before = digest(mine)
    r = invoke("history", "add", run, "--history", str(mine), "--release", "v1")
    one_line_error(
        r,
        f"{mine}: exists and is not a kubetorch history (no release=LABEL run folder in it); refusing to write into it",
    )
    assert digest(mine) == before


# ---------------------------------------------------------------- files: diff --out, report --html


@pytest.fixture
def runs(tmp_path):
    a = make_run(str(tmp_path / "a"), [chain()])
    b = make_run(
        str(tmp_path / "b"), [chain(), chain(event="update", api_verb="update", api_resource="pods")]
    )
    return a, b


def test_diff_out_over_a_file_kubetorch_did_not_write(tmp_path, runs):
    mine = tmp_path / "mine.txt"
    mine.write_text("my notes\n")
    before = digest(tmp_path)
    for fmt in ("table", "json", "parquet"):
        r = invoke("diff", *runs, "--format", fmt, "--out", str(mine))
        one_line_error(
            r, f"{mine}: exists and was not written by kubetorch; refusing to overwrite it", code=2
        )
    r = invoke("diff", *runs, "--out", str(tmp_path / "a"))
    one_line_error(r, f"{tmp_path / 'a'}: is a directory; refusing to overwrite it", code=2)
    (tmp_path / "link.txt").symlink_to(mine)
    r = invoke("diff", *runs, "--out", str(tmp_path / "link.txt"))
    one_line_error(r, f"{tmp_path / 'link.txt'}: is a symbolic link; refusing to overwrite it", code=2)
    assert digest(tmp_path) == dict(before, **{"link.txt": f"link {mine}"})


def test_diff_out_over_its_own_earlier_output(tmp_path, runs):
    out = tmp_path / "d" / "diff.out"
    for fmt in ("table", "json", "parquet", "json", "table", "parquet"):
        r = invoke("diff", *runs, "--format", fmt, "--out", str(out))
        assert r.exit_code == 1, (fmt, r.output)
        assert output.is_kubetorch_file(str(out))
    assert pq.read_table(str(out)).num_rows == 1
    assert os.listdir(out.parent) == ["diff.out"]


def test_report_html_over_a_file_kubetorch_did_not_write(tmp_path, runs):
    page = tmp_path / "index.html"
    page.write_text("<!DOCTYPE html><html><head><title>my site</title></head></html>\n")
    before = digest(tmp_path)
    one_line_error(
        invoke("report", runs[0], "--html", str(page)),
        f"{page}: exists and was not written by kubetorch; refusing to overwrite it",
    )
    one_line_error(
        invoke("report", runs[0], "--html", str(tmp_path / "b")),
        f"{tmp_path / 'b'}: is a directory; refusing to overwrite it",
    )
    assert digest(tmp_path) == before
    own = tmp_path / "report.html"
    assert invoke("report", runs[0], "--html", str(own)).exit_code == 0
    assert invoke("report", runs[1], "--html", str(own)).exit_code == 0
    assert "2 chains" in own.read_text()


def test_each_format_is_recognised_and_others_are_not(tmp_path):
    samples = {
        "page.html": '<!DOCTYPE html>\n<html>\n<head>\n<meta name="generator" content="kubetorch 0.1.0">\n',
        "diff.json": '{\n  "generator": "kubetorch 0.1.0",\n  "from": "a"\n}\n',
        "diff.txt": "diff a -> b: 1 added, 0 removed, 0 path changed in 1 component(s)\n\nx\n",
        "other.html": '<html><head><meta name="generator" content="Hugo"></head>\n',
        "other.json": '{"from": "a", "generator": "kubetorch"}\n',
        "other.txt": "diff -u a b\n",
        "empty": "",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text)
    pq.write_table(
        pa.table({"x": [1]}).replace_schema_metadata({"generator": "kubetorch 0.1.0"}), tmp_path / "k.parquet"
    )
    pq.write_table(pa.table({"x": [1]}), tmp_path / "plain.parquet")
    found = {name for name in os.listdir(tmp_path) if output.is_kubetorch_file(str(tmp_path / name))}
    assert found == {"page.html", "diff.json", "diff.txt", "k.parquet"}
    assert not output.is_kubetorch_file(str(tmp_path / "missing"))


# ---------------------------------------------------------------- leftovers of killed runs


def test_leftovers_kubetorch_made_are_removed_at_the_next_start(tmp_path, tree, monkeypatch):
    out = tmp_path / "out"
    make_run(str(out), [chain()])
    dead = tmp_path / ".out.tmp-dead"
    write_files(
        dead, {"chains.parquet": b"PAR1 half", TEMP_MARKER: "kubetorch temporary folder\npid 999999999\n"}
    )
    (tmp_path / ".out.tmp-empty").mkdir()
    complete = tmp_path / ".out.tmp-complete"
    make_run(str(complete), [chain()])
    busy = tmp_path / ".out.tmp-busy"  # a concurrent writer that is still alive
    host = socket.gethostname()
    write_files(busy, {TEMP_MARKER: f"kubetorch temporary folder\npid {os.getppid()}\nhost {host}\n"})
    user = tmp_path / ".out.tmp-mine"
    write_files(user, {"notes.txt": "mine\n"})
    kept = {p: digest(p) for p in (busy, user)}
    seen = []

    def discover(*args, **kwargs):  # by then the leftovers are gone already
        seen.append(sorted(n for n in os.listdir(tmp_path) if n.startswith(".out.")))
        raise OutputError("stop here")

    monkeypatch.setattr(pipeline.run, "discover", discover)
    assert analyze(tree, out, "--no-cache").exit_code == 1
    assert seen == [[".out.tmp-busy", ".out.tmp-mine"]]
    assert {p: digest(p) for p in kept} == kept


def test_a_lone_backup_is_put_back_at_the_next_start(tmp_path, tree, monkeypatch):
    out = tmp_path / "out"
    backup = tmp_path / ".out.previous"
    make_run(str(backup), [chain()])
    before = digest(backup)
    seen = []

    def discover(*args, **kwargs):
        seen.append(digest(out))
        raise OutputError("stop here")

    monkeypatch.setattr(pipeline.run, "discover", discover)
    assert analyze(tree, out, "--no-cache").exit_code == 1
    assert seen == [before] and not backup.exists()


def test_history_leftovers(tmp_path, runs):
    hist = tmp_path / "h"
    add_run(str(hist), runs[0], "v1")
    write_files(
        hist / ".release=v1.tmp-dead", {TEMP_MARKER: "kubetorch temporary folder\n", "x.parquet": b"x"}
    )
    write_files(hist / ".release=v1.tmp-mine", {"keep.txt": "mine\n"})
    add_run(str(hist), runs[1], "v1")
    assert sorted(os.listdir(hist)) == [".release=v1.tmp-mine", "release=v1"]


# ---------------------------------------------------------------- one-step replacement


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_files(a, {"x": "a\n"})
    write_files(b, {"y": "b\n"})
    if not output.exchange(str(a), str(b)):
        pytest.skip("no renameat2(RENAME_EXCHANGE) on this platform or file system")
    assert os.listdir(a) == ["y"] and os.listdir(b) == ["x"]
    raw = output._syscall_renameat2()
    if raw is not None:  # the path for a libc without the wrapper
        assert raw(os.fsencode(a), os.fsencode(b), output._RENAME_EXCHANGE) == 0
        assert os.listdir(a) == ["x"] and os.listdir(b) == ["y"]
    with pytest.raises(FileNotFoundError):
        output.exchange(str(a), str(tmp_path / "missing"))


def test_replacement_without_exchange(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_renameat2", lambda: None)
    out = tmp_path / "out"
    output.write_tables(str(out), killwrite.tables(1), killwrite.manifest(1))
    output.write_tables(str(out), killwrite.tables(2), killwrite.manifest(2))
    assert sorted(os.listdir(out)) == [
        "calls.parquet",
        "chains.parquet",
        "manifest.json",
        "only_in_v2.parquet",
    ]
    assert os.listdir(tmp_path) == ["out"]


def test_an_interrupt_between_the_two_renames_puts_the_old_output_back(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "_renameat2", lambda: None)
    out = tmp_path / "out"
    output.write_tables(str(out), killwrite.tables(1), killwrite.manifest(1))
    before = digest(out)

    def interrupt(what: str) -> None:
        if what == "old output moved aside":
            raise KeyboardInterrupt

    monkeypatch.setattr(output, "checkpoint", interrupt)
    with pytest.raises(KeyboardInterrupt):
        output.write_tables(str(out), killwrite.tables(2), killwrite.manifest(2))
    assert digest(out) == before and os.listdir(tmp_path) == ["out"]


# ---------------------------------------------------------------- a kill at every step

TARGETS = {"tables": "out", "history": "hist/release=v1", "file": "page.html"}


@pytest.fixture(scope="module")
def writer():
    """A fork server for the writes (tests/killwrite.py), started once for the module."""
    here = os.path.dirname(os.path.abspath(__file__))
    proc = subprocess.Popen(
        [sys.executable, os.path.join(here, "killwrite.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(here),
    )
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


def child(writer, scenario: str, root, version: int, kill_at: int, use_exchange: bool) -> int:
    """Write in a fresh child of the fork server, killed after step `kill_at` (0: never)."""
    job = {"scenario": scenario, "root": str(root), "version": version, "kill_at": kill_at}
    writer.stdin.write(json.dumps({**job, "use_exchange": use_exchange}) + "\n")
    writer.stdin.flush()
    code = int(writer.stdout.readline())
    assert code != killwrite.HUNG, f"{scenario}: the writer hung (kill at step {kill_at})"
    return code


def visible(target) -> dict[str, str] | None:
    """The output as a reader sees it: every entry but the temporary marker."""
    found = digest(target)
    if found is None:
        return None
    return {k: v for k, v in found.items() if os.path.basename(k) != TEMP_MARKER}


def leftovers(target) -> list[str]:
    prefix = "." + target.name + "."
    return sorted(n for n in os.listdir(target.parent) if n.startswith(prefix))


@pytest.mark.parametrize(
    "scenario, use_exchange, previous",
    [
        ("tables", True, True),
        ("tables", True, False),
        ("tables", False, True),
        ("history", True, True),
        ("history", False, True),
        ("file", True, True),
        ("file", True, False),
    ],
)
def test_a_kill_at_every_write_step(writer, tmp_path, scenario, use_exchange, previous):
    template = tmp_path / "template"
    template.mkdir()
    if scenario == "history":
        killwrite.make_runs(str(template))
    if previous:
        killwrite.write(scenario, str(template), 1)
    old = visible(template / TARGETS[scenario])
    ref = tmp_path / "ref"
    shutil.copytree(template, ref)
    assert child(writer, scenario, ref, 2, 0, use_exchange) == 0
    new = visible(ref / TARGETS[scenario])
    assert new is not None and new != old
    outcomes = []
    for k in itertools.count(1):
        root = tmp_path / f"k{k}"
        shutil.copytree(template, root)
        target = root / TARGETS[scenario]
        code = child(writer, scenario, root, 2, k, use_exchange)
        if code == 0:
            shutil.rmtree(root)
            break
        assert code == killwrite.KILLED, f"kill at step {k}: the writer failed with exit {code}"
        state = visible(target)
        if state is None and old is not None:
            # only the two-rename fallback has this window; the next start closes it
            assert not use_exchange, f"kill at step {k}: no output at all"
            outcomes.append("window")
            output.recover(str(target))
            state = visible(target)
        assert state in (old, new), f"kill at step {k}: the output is neither the old nor the new one"
        outcomes.append("old" if state == old else "new")
        assert child(writer, scenario, root, 2, 0, use_exchange) == 0, f"rerun after a kill at step {k}"
        assert visible(target) == new and leftovers(target) == [], f"after a kill at step {k}"
        if target.is_dir():
            assert TEMP_MARKER not in os.listdir(target)
        shutil.rmtree(root)
    assert k > 6, f"only {k - 1} write steps: checkpoints missing?"
    assert "old" in outcomes and "new" in outcomes
    assert ("window" in outcomes) == (previous and not use_exchange and scenario != "file")
