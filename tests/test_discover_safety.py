"""Any file a tree can hold: odd names, FIFOs, devices, sockets, huge files, unreadable folders, and
files that vanish or change during the run. Each is reported once (stderr, files table, manifest)
with exit 3, is never opened when it is not a regular file, and never stops or hangs the run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from runfixtures import invoke, write_files

import pipeline.discover as discover_mod
import pipeline.run as run_mod
from pipeline.discover import FileProblem, discover, file_sha, parse_size, spell
from pipeline.output import read_table

GOOD = {
    "go.mod": "module example.com/odd\n\ngo 1.21\n",
    "p/good.go": "package p\n\nfunc Good() int { return 1 }\n",
}
PARTIAL_1 = "kubetorch: partial: 1 file(s) could not be fully analysed"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test may touch the user's cache."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))


@pytest.fixture(autouse=True)
def no_hang():
    """A regression that opens a FIFO would block forever: SIGALRM turns that into a failure."""

    def hung(signum, frame):
        pytest.fail("blocked for 60 s (opened a FIFO?)")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "tree"
    write_files(root, GOOD)
    return root


@pytest.fixture()
def opened(monkeypatch) -> list[str]:
    """Every path kubetorch's discovery opens (it reads files with os.open only)."""
    paths: list[str] = []
    real_open = os.open

    def recording_open(path, *args, **kwargs):
        paths.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discover_mod.os, "open", recording_open)
    return paths


def analyze(tree: Path, out: Path, *extra: str):
    return invoke("analyze", str(tree), "--out", str(out), "--jobs", "1", "-q", *extra)


def file_rows(out: Path) -> dict[str, tuple[str, str | None]]:
    return {r["file"]: (r["status"], r["error"]) for r in read_table(str(out), "files").to_pylist()}


def manifest(out: Path) -> dict:
    with open(out / "manifest.json", encoding="utf-8") as f:
        return json.load(f)


def assert_one_bad_file(result, out: Path, path: str, status: str, error: str) -> None:
    """Exit 3, the file named once on stderr, in the files table and the manifest; the rest analysed."""
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [f"kubetorch: {path}: {error}", PARTIAL_1]
    assert file_rows(out) == {"p/good.go": ("ok", None), path: (status, error)}
    assert manifest(out)["problems"] == [{"path": path, "message": error}]
    assert read_table(str(out), "functions").column("qualified_name").to_pylist() == [
        "example.com/odd/p.Good"
    ]


# ---------------------------------------------------------------- files that are not regular files


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    finally:
        sock.close()  # the socket file stays


def _fifo_behind_symlink(path: Path) -> None:
    os.mkfifo(path.parent / "pipe")
    os.symlink("pipe", path)


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)  # no block written: the test costs no disk


ODD_FILES = {
    "fifo": (os.mkfifo, "skipped: not a regular file (a FIFO)"),
    "socket": (_socket, "skipped: not a regular file (a socket)"),
    "symlink to /dev/zero": (
        lambda p: os.symlink("/dev/zero", p),
        "skipped: not a regular file (a symlink to a character device)",
    ),
    "symlink to /dev/null": (
        lambda p: os.symlink("/dev/null", p),
        "skipped: not a regular file (a symlink to a character device)",
    ),
    "symlink to a fifo": (_fifo_behind_symlink, "skipped: not a regular file (a symlink to a FIFO)"),
    "sparse 11 MB file": (
        lambda p: _sparse(p, 11_000_000),
        "skipped: 11,000,000 bytes, over the 10,000,000-byte limit (--max-file-size)",
    ),
}


@pytest.mark.parametrize("kind", sorted(ODD_FILES))
def test_odd_file_is_reported_without_being_opened(kind, tree, tmp_path, opened):
    make, error = ODD_FILES[kind]
    make(tree / "p/x.go")
    out = tmp_path / "out"
    result = analyze(tree, out)
    assert_one_bad_file(result, out, "p/x.go", "skipped", error)
    assert [p for p in opened if p.endswith(("x.go", "pipe"))] == []
    # the warm run (from the run cache) says the same
    again = analyze(tree, out)
    assert again.exit_code == 3 and again.stderr == result.stderr


def test_odd_files_never_block_a_real_run(tree, tmp_path):
    """A FIFO opened for reading would wait for a writer forever; /dev/zero would never end."""
    os.mkfifo(tree / "p/y.go")
    os.symlink("/dev/zero", tree / "p/x.go")
    _socket(tree / "p/s.go")
    env = dict(os.environ, KUBETORCH_CACHE=str(tmp_path / "kcache"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubetorch",
            "analyze",
            str(tree),
            "--out",
            str(tmp_path / "out"),
            "-j",
            "1",
            "-q",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails the test instead of the suite
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.splitlines() == [
        "kubetorch: p/s.go: skipped: not a regular file (a socket)",
        "kubetorch: p/x.go: skipped: not a regular file (a symlink to a character device)",
        "kubetorch: p/y.go: skipped: not a regular file (a FIFO)",
        "kubetorch: partial: 3 file(s) could not be fully analysed",
    ]


def test_symlink_loops_stay_reported(tree, tmp_path):
    os.symlink("b.go", tree / "p/a.go")
    os.symlink("a.go", tree / "p/b.go")
    os.symlink("p", tree / "p/loop")  # a symlinked folder is not followed
    out = tmp_path / "out"
    result = analyze(tree, out)
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "kubetorch: p/a.go: unreadable: symlink loop",
        "kubetorch: p/b.go: unreadable: symlink loop",
        "kubetorch: partial: 2 file(s) could not be fully analysed",
    ]
    assert file_rows(out)["p/a.go"] == ("unreadable", "unreadable: symlink loop")


# ---------------------------------------------------------------- the size limit


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10MB", 10_000_000),
        ("10mb", 10_000_000),
        ("512k", 512_000),
        ("512 kB", 512_000),
        ("1.5M", 1_500_000),
        ("2MiB", 2 * 1024 * 1024),
        ("4Ki", 4096),
        ("1G", 1_000_000_000),
        ("4096", 4096),
        ("4096b", 4096),
    ],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["ten", "", "-1", "0", "10XB", "0.1", "1e6", "10 M B"])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_max_file_size_option(tree, tmp_path, opened):
    padded = "package p\n\n" + "// padding\n" * 200 + "func Big() {}\n"
    write_files(tree, {"p/big.go": padded})
    size = len(padded.encode())
    out = tmp_path / "out"
    error = f"skipped: {size:,} bytes, over the 1,000-byte limit (--max-file-size)"
    result = analyze(tree, out, "--max-file-size", "1k")
    assert_one_bad_file(result, out, "p/big.go", "skipped", error)
    assert not any(p.endswith("big.go") for p in opened)
    assert manifest(out)["options"]["max_file_size"] == 1000
    row = [r for r in read_table(str(out), "files").to_pylist() if r["file"] == "p/big.go"]
    assert row[0]["bytes"] == size
    # a larger limit (a new run key, not the cached run) analyses it
    result = analyze(tree, out, "--max-file-size", "10k")
    assert result.exit_code == 0, result.output
    assert "example.com/odd/p.Big" in read_table(str(out), "functions").column("qualified_name").to_pylist()


def test_bad_max_file_size_is_a_one_line_error(tree, tmp_path):
    result = analyze(tree, tmp_path / "out", "--max-file-size", "ten")
    assert result.exit_code == 1
    assert (
        result.stderr == "kubetorch: error: --max-file-size: not a size: 'ten' (examples: 10MB, 512k, 4096)\n"
    )
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- names in any bytes


@pytest.mark.parametrize(
    ("name", "spelling"),
    [
        ("plain.go", "plain.go"),
        ("café.go", "café.go"),
        (os.fsdecode(b"b\xff.go"), "b\\xff.go"),
        (os.fsdecode(b"\xc3(.go"), "\\xc3(.go"),
        ("back\\slash.go", "back\\\\slash.go"),
        ("new\nline.go", "new\\x0aline.go"),
        ("esc\x1b.go", "esc\\x1b.go"),
        ("c1\x85.go", "c1\\u0085.go"),  # the character U+0085, not the byte 0x85
        ("ls\u2028.go", "ls\\u2028.go"),
    ],
)
def test_spell(name, spelling):
    assert spell(name) == spelling
    assert spelling.isprintable()


def test_spell_is_lossless():
    """Names a plain backslashreplace would confuse keep distinct spellings."""
    names = [
        os.fsdecode(b"\xff.go"),  # the byte 0xff
        "\\xff.go",  # a backslash, then 'xff'
        "\xff.go",  # the character U+00FF (printable: kept as is)
        os.fsdecode(b"\x85.go"),  # the byte 0x85
        "\x85.go",  # the character U+0085
        "\\\\xff.go",
    ]
    spellings = [spell(n) for n in names]
    assert len(set(spellings)) == len(names), spellings


def test_names_in_any_bytes_are_analysed_and_spelled_everywhere(tree, tmp_path):
    folder = tree / os.fsdecode(b"q\xfe")
    write_files(
        folder,
        {
            os.fsdecode(b"b\xff.go"): "package q\n\nfunc Q() {}\n",
            os.fsdecode(b"bin\xfd.go"): b"package q\n\x00\x01",
            "new\nline.go": "package q\n\nfunc (x T) broken( {\n",
        },
    )
    out = tmp_path / "out"
    result = analyze(tree, out)
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == [
        "kubetorch: q\\xfe/bin\\xfd.go: binary content (NUL bytes)",
        "kubetorch: q\\xfe/new\\x0aline.go: syntax errors at 3:1: syntax error",
        "kubetorch: partial: 2 file(s) could not be fully analysed",
    ]
    rows = file_rows(out)
    assert rows["q\\xfe/b\\xff.go"] == ("ok", None)
    assert rows["q\\xfe/bin\\xfd.go"] == ("binary", "binary content (NUL bytes)")
    functions = {r["qualified_name"]: r["file"] for r in read_table(str(out), "functions").to_pylist()}
    assert functions["example.com/odd/q\\xfe.Q"] == "q\\xfe/b\\xff.go"
    packages = {r["package"]: r["dir"] for r in read_table(str(out), "packages").to_pylist()}
    assert packages["example.com/odd/q\\xfe"] == "q\\xfe"
    assert [p["path"] for p in manifest(out)["problems"]] == ["q\\xfe/bin\\xfd.go", "q\\xfe/new\\x0aline.go"]


def test_tree_whose_own_path_is_not_utf8(tmp_path):
    root = tmp_path / os.fsdecode(b"tree\xff")
    write_files(root, GOOD)
    out = tmp_path / "out"
    result = analyze(root, out)
    assert result.exit_code == 0, result.output
    assert manifest(out)["tree"] == spell(str(root)) and manifest(out)["tree"].endswith("/tree\\xff")


# ---------------------------------------------------------------- folders that cannot be listed


def deny_listing(monkeypatch, name: str) -> None:
    """What os.scandir does on a chmod 000 folder for a user other than root."""
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith(name):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(discover_mod.os, "scandir", scandir)


def test_unlistable_folder_is_reported_like_an_unreadable_file(tree, tmp_path, monkeypatch):
    write_files(tree, {"p/locked/secret.go": "package locked\n\nfunc Secret() {}\n"})
    out = tmp_path / "out"
    with monkeypatch.context() as denied:  # undoes only the listing refusal, not the private cache
        deny_listing(denied, "locked")
        result = analyze(tree, out)
    assert_one_bad_file(result, out, "p/locked", "unreadable", "unreadable folder: Permission denied")
    # the folder is listed again next run (the problem is not cached)
    result = analyze(tree, out)
    assert result.exit_code == 0, result.output
    assert "p/locked/secret.go" in file_rows(out)


def test_chmod_000_folder(tree, tmp_path):
    write_files(tree, {"p/locked/secret.go": "package locked\n"})
    locked = tree / "p/locked"
    locked.chmod(0o000)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("this user can still list a chmod 000 folder (root)")
        out = tmp_path / "out"
        assert_one_bad_file(
            analyze(tree, out), out, "p/locked", "unreadable", "unreadable folder: Permission denied"
        )
    finally:
        locked.chmod(0o755)


def test_unlistable_tree_is_a_one_line_error(tree, tmp_path, monkeypatch):
    deny_listing(monkeypatch, "tree")
    result = analyze(tree, tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == f"kubetorch: error: {tree}: cannot list: Permission denied\n"


# ---------------------------------------------------------------- files that vanish or change during the run


def known_from_memo(tree: Path, path: str):
    """The record of `path` as a run with a warm stat memo has it: content not read yet."""
    first = discover(str(tree))
    second = discover(str(tree), memo=first.memo)
    (sf,) = [f for f in second.files if f.path == path]
    assert sf.data is None
    return sf


def _replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _same_size_other_bytes(path: Path) -> None:
    path.write_text(path.read_text().replace("return 1", "return 2"))


CHANGES = {
    "deleted": (lambda p: p.unlink(), "unreadable: No such file or directory"),
    "became a FIFO": (_replace_with_fifo, "skipped: not a regular file (a FIFO)"),
    "became a folder": (_replace_with_folder, "skipped: not a regular file (a directory)"),
    "other bytes": (_same_size_other_bytes, "unreadable: changed during the run (rerun to analyse it)"),
    "grew": (
        lambda p: p.write_text(p.read_text() + "\n"),
        "unreadable: changed during the run (rerun to analyse it)",
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_content_of_a_file_that_changed_after_discovery(change, tree):
    sf = known_from_memo(tree, "p/good.go")
    assert sf.content() == GOOD["p/good.go"].encode()
    make, error = CHANGES[change]
    make(tree / "p/good.go")
    with pytest.raises(FileProblem) as info:
        sf.content()
    assert str(info.value) == error


def test_content_of_a_file_that_became_unreadable(tree, monkeypatch):
    sf = known_from_memo(tree, "p/good.go")
    real_open = os.open

    def denied(path, *args, **kwargs):
        if os.fspath(path).endswith("good.go"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discover_mod.os, "open", denied)
    with pytest.raises(FileProblem, match=r"^unreadable: Permission denied$"):
        sf.content()


def test_file_deleted_after_discovery_is_reported_and_the_run_goes_on(tree, tmp_path, monkeypatch):
    write_files(tree, {"p/gone.go": "package p\n\nfunc Gone() {}\n"})
    out = tmp_path / "out"
    assert analyze(tree, out).exit_code == 0  # fills the stat memo
    # a new kubetorch: nothing extracted is reusable, the stat memo still is (so discovery reads nothing)
    monkeypatch.setattr(run_mod, "extract_fingerprint", lambda: "other-extractor")
    monkeypatch.setattr(run_mod, "analysis_fingerprint", lambda: "other-analysis")
    real_discover = run_mod.discover

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        assert found.read == 0
        os.remove(tree / "p/gone.go")
        return found

    monkeypatch.setattr(run_mod, "discover", discover_then_delete)
    result = analyze(tree, out)
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == [
        "kubetorch: p/gone.go: unreadable: No such file or directory",
        PARTIAL_1,
    ]
    assert file_rows(out) == {
        "p/good.go": ("ok", None),
        "p/gone.go": ("unreadable", "unreadable: No such file or directory"),
    }
    assert read_table(str(out), "functions").column("qualified_name").to_pylist() == [
        "example.com/odd/p.Good"
    ]
    # the file comes back with the same bytes: a full, clean run (the partial one was not kept as a cached run)
    monkeypatch.setattr(run_mod, "discover", real_discover)
    write_files(tree, {"p/gone.go": "package p\n\nfunc Gone() {}\n"})
    again = analyze(tree, out)
    assert again.exit_code == 0, again.output
    assert "reused_previous_run" not in manifest(out)
    assert "example.com/odd/p.Gone" in read_table(str(out), "functions").column("qualified_name").to_pylist()


# ---------------------------------------------------------------- the stat memo


def test_stat_memo_sees_a_same_size_edit_whose_mtime_was_put_back(tree):
    first = discover(str(tree))
    good = tree / "p/good.go"
    before = os.stat(good)
    _same_size_other_bytes(good)
    os.utime(good, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -d
    after = os.stat(good)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    second = discover(str(tree), memo=first.memo)
    assert second.read == 1
    (sf,) = [f for f in second.files if f.path == "p/good.go"]
    assert sf.sha == file_sha(good.read_bytes()) != next(f.sha for f in first.files if f.path == "p/good.go")
