"""SIGINT and SIGTERM to the whole process group: one line, exit 128 + signal, no traceback from any
process, the previous output untouched, and the finished work cached so the next run resumes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest
from runfixtures import write_files

from pipeline.output import read_table

TABLES = ("files", "functions", "handlers", "chains", "sinks", "accesses", "calls")


def tree_files(packages: int = 8, files: int = 3) -> dict[str, str]:
    out = {"go.mod": "module example.com/many\n\ngo 1.21\n"}
    for p in range(packages):
        for f in range(files):
            out[f"p{p}/f{f}.go"] = (
                f"package p{p}\n\ntype T{f} struct{{ n int }}\n\n"
                f"func (t *T{f}) Get() int {{ return t.n }}\n\nfunc F{f}(x int) int {{ return x + {f} }}\n"
            )
    return out


def digest_folder(path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            full = os.path.join(dirpath, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def cached_extractions(cache_dir) -> int:
    db = os.path.join(cache_dir, "cache.db")
    if not os.path.exists(db):
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT count(*) FROM Cache WHERE key LIKE 'decl/%'").fetchone()[0]
    except sqlite3.Error:
        return 0


def kubetorch(*args: str, env: dict[str, str], **popen) -> subprocess.Popen:
    def default_signals() -> None:  # a shell's background job would start with SIGINT ignored
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "kubetorch", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=default_signals,
        **popen,
    )


@pytest.mark.parametrize(
    ("signum", "jobs"),
    [(signal.SIGINT, "2"), (signal.SIGTERM, "1")],
    ids=["sigint-workers", "sigterm-in-process"],
)
def test_interrupted_run(tmp_path, signum, jobs):
    tree = tmp_path / "tree"
    files = tree_files()
    write_files(tree, files)
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    env = {**os.environ, "KUBETORCH_CACHE": str(tmp_path / "unused-cache"), "KUBETORCH_BATCH_BYTES": "1"}
    env.pop("KUBETORCH_TEST_TASK_DELAY", None)
    first = kubetorch("analyze", str(tree), "--out", str(out), "--no-cache", "--quiet", env=env)
    assert first.wait(120) == 0, first.communicate()
    before = digest_folder(out)

    slow = {**env, "KUBETORCH_TEST_TASK_DELAY": "0.4"}
    args = ("analyze", str(tree), "--out", str(out), "--cache", str(cache), "--jobs", jobs)
    proc = kubetorch(*args, env=slow)
    deadline = time.monotonic() + 120
    while cached_extractions(cache) < 2:  # surely in the middle of extraction
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    children = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signum)
    _stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 128 + signum
    name = signal.Signals(signum).name
    assert stderr.decode() == (
        f"kubetorch: interrupted ({name}); previous output left untouched, "
        "finished work kept in the cache for the next run\n"
    )
    assert digest_folder(out) == before
    assert [p for p in psutil.Process().children(recursive=True) if p.pid in {c.pid for c in children}] == []
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".out.")]

    resumed = kubetorch(*args, "--quiet", env=env)
    assert resumed.wait(120) == 0, resumed.communicate()
    manifest = json.loads((out / "manifest.json").read_text())
    go_files = len(files) - 1
    assert manifest["counts"]["files_parsed"] < go_files
    cold_out = tmp_path / "cold"
    cold = kubetorch("analyze", str(tree), "--out", str(cold_out), "--no-cache", "--quiet", env=env)
    assert cold.wait(120) == 0
    for table in TABLES:
        assert read_table(str(out), table).equals(read_table(str(cold_out), table)), table
