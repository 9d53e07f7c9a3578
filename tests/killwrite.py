"""The writer side of the kill-at-every-step tests in test_output_safety.py.

`python killwrite.py` is a small fork server: it imports the writers once, then for each job on
stdin (one JSON line) forks a child that runs the write, and answers with the child's exit
status. The server itself never writes, so it forks with no work in flight; the test process
never forks at all. In the child, pipeline.output.checkpoint (called after every step that
changes the file system) is replaced by a counter that ends the process with os._exit after its
k-th call: a kill at exactly that step, with no finally block or cleanup run.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

import pyarrow as pa

from pipeline import history, output

KILLED = 86
FAILED = 87
HUNG = -1
TIMEOUT_S = 60.0


def tables(version: int) -> dict[str, pa.Table]:
    """Small tables that differ between versions (a different set of names, too)."""
    found = {
        "chains": pa.table({"chain_id": [f"c{version}-{i}" for i in range(3)], "n": [version] * 3}),
        "calls": pa.table({"caller": ["a", "b"], "callee": [f"v{version}", "c"]}),
        f"only_in_v{version}": pa.table({"x": [version]}),
    }
    return found


def manifest(version: int) -> dict:
    return {"tool": "kubetorch", "version": version}


def page(version: int) -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta name="generator" content="kubetorch">\n</head>v{version}\n'
    )


def make_runs(root: str) -> None:
    """The run folders the history scenario adds (made before any kill)."""
    for version in (1, 2):
        output.write_tables(os.path.join(root, f"run{version}"), tables(version), manifest(version))


def write(scenario: str, root: str, version: int) -> None:
    """Write version `version` of the scenario's output under `root`."""
    if scenario == "tables":
        output.write_tables(os.path.join(root, "out"), tables(version), manifest(version))
    elif scenario == "history":
        history.add_run(os.path.join(root, "hist"), os.path.join(root, f"run{version}"), "v1")
    elif scenario == "file":

        def text(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(page(version))

        output.write_file_atomically(os.path.join(root, "page.html"), text)
    else:
        raise ValueError(scenario)


def run(scenario: str, root: str, version: int, kill_at: int, use_exchange: bool) -> None:
    """Child process: write, dying right after checkpoint number `kill_at` (0: never)."""
    if not use_exchange:
        output._renameat2 = lambda: None
    calls = 0

    def die_at_step(what: str) -> None:
        nonlocal calls
        calls += 1
        if calls == kill_at:
            sys.stdout.flush()
            os._exit(KILLED)

    if kill_at:
        output.checkpoint = die_at_step
    write(scenario, root, version)


def fork_and_wait(job: dict) -> int:
    """Run one job in a child; its exit status (KILLED when the counter fired, HUNG on timeout)."""
    pid = os.fork()
    if pid == 0:
        code = FAILED
        try:
            run(job["scenario"], job["root"], job["version"], job["kill_at"], job["use_exchange"])
            code = 0
        finally:  # never return into the server's loop
            if code:
                traceback.print_exc()
            os._exit(code)
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return HUNG
        time.sleep(0.002)


def serve() -> None:
    for line in sys.stdin:
        print(fork_and_wait(json.loads(line)), flush=True)


if __name__ == "__main__":
    serve()
