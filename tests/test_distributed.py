"""A run on a real dask.distributed cluster: a scheduler and a nanny-managed worker started here on
loopback, and `kubetorch analyze --scheduler` pointed at them."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.output import read_table
from pipeline.run import RunConfig, analyze

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO = os.path.join(HERE, "..", "demo")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group this test started (the nanny's worker child is in it)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """tcp://127.0.0.1:PORT of a scheduler with one worker (one process, one thread)."""
    from distributed import Client

    work = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # dask's scratch space goes to the test's folder, not to /tmp/dask-scratch-space
    env = dict(os.environ, DASK_TEMPORARY_DIRECTORY=str(work))
    common = dict(cwd=work, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    procs = []
    with open(work / "scheduler.log", "wb") as slog, open(work / "worker.log", "wb") as wlog:
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-dashboard",
                ],
                stdout=slog,
                stderr=subprocess.STDOUT,
                **common,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--nanny",
                    "--no-dashboard",
                    "--memory-limit",
                    "0",
                    "--death-timeout",
                    "60",
                    "--local-directory",
                    str(work / "worker-space"),
                ],
                stdout=wlog,
                stderr=subprocess.STDOUT,
                **common,
            )
        )
    try:
        deadline = time.monotonic() + 60
        client = None
        while client is None:
            try:
                client = Client(address, timeout="5s")
            except OSError:
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    raise
                time.sleep(0.5)
        try:
            client.wait_for_workers(1, timeout=60)
        finally:
            client.close()
        yield address
    except Exception:
        for name in ("scheduler.log", "worker.log"):
            sys.stderr.write(f"--- {name}\n{(work / name).read_text(errors='replace')}\n")
        raise
    finally:
        for proc in reversed(procs):
            stop(proc)


def task_prefixes(address: str) -> dict[str, dict[str, int]]:
    """Task name prefix -> state counts, as the scheduler remembers them."""
    from distributed import Client

    def prefixes(dask_scheduler):
        return {name: dict(tp.state_counts) for name, tp in dask_scheduler.task_prefixes.items()}

    with Client(address, timeout="10s") as client:
        return client.run_on_scheduler(prefixes)


def test_run_on_a_real_scheduler_matches_in_process_run(scheduler, tmp_path):
    out = tmp_path / "out"
    command = ["analyze", DEMO, "--scheduler", scheduler, "--no-cache", "--out", str(out), "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "kubetorch", *command],
        cwd=tmp_path,
        env=dict(
            os.environ, KUBETORCH_CACHE=str(tmp_path / "kcache"), DASK_TEMPORARY_DIRECTORY=str(tmp_path)
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    with open(out / "manifest.json") as f:
        manifest = json.load(f)
    assert manifest["cluster_started"] is True
    assert manifest["options"]["scheduler"] == scheduler
    assert manifest["counts"]["files_parsed"] == manifest["counts"]["files"] > 0
    assert not (tmp_path / "kcache").exists()

    # the work really ran on the cluster's worker
    ran = task_prefixes(scheduler)
    for prefix in ("extract_batch", "summarize_batch"):
        assert prefix in ran, ran
        assert sum(n for state, n in ran[prefix].items() if state in ("memory", "forgotten")) >= 1
        assert ran[prefix].get("erred", 0) == 0

    local = analyze(RunConfig(tree=DEMO, use_cache=False, jobs=1, quiet=True))
    assert local.manifest["cluster_started"] is False
    chains = read_table(str(out), "chains").to_pylist()
    assert len(chains) > 0
    assert chains == local.tables["chains"].to_pylist()
    for name in ("handlers", "functions", "files"):
        assert read_table(str(out), name).to_pylist() == local.tables[name].to_pylist(), name


def test_bad_scheduler_address_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    result = CliRunner().invoke(
        main, ["analyze", DEMO, "--scheduler", "bogus", "--no-cache", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("kubetorch: error: ")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_bad_scheduler_address_is_not_called_an_internal_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    result = CliRunner().invoke(
        main, ["analyze", DEMO, "--scheduler", "bogus", "--no-cache", "--out", str(tmp_path / "out")]
    )
    assert "internal error" not in result.stderr
    assert "scheduler" in result.stderr


def test_unreachable_scheduler_says_why_before_any_work(tmp_path, monkeypatch):
    """Nothing listens on the port: the address is probed before the analysis starts."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    result = CliRunner().invoke(
        main, ["analyze", DEMO, "--scheduler", address, "--no-cache", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "discover" not in result.output  # no work done
    assert result.stderr == (
        f"kubetorch: error: cannot use the Dask scheduler {address}: nothing listens on 127.0.0.1:{port} "
        "(connection refused): is the scheduler running?\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "address, why",
    [
        ("tcp://no-such-host.invalid:8786", "the host name 'no-such-host.invalid' does not resolve"),
        ("tcp://127.0.0.1", "no port in it (like tcp://HOST:8786)"),
    ],
)
def test_bad_scheduler_says_why(tmp_path, monkeypatch, address, why):
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    result = CliRunner().invoke(
        main, ["analyze", DEMO, "--scheduler", address, "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith(f"kubetorch: error: cannot use the Dask scheduler {address}: {why}")


def test_a_port_that_is_not_a_scheduler_says_so(tmp_path, monkeypatch):
    """Something accepts connections but does not speak Dask (the Client's wait is shortened)."""
    import socket

    import distributed

    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    real_client = distributed.Client

    @functools.wraps(real_client)
    def quick_client(address, *args, **kwargs):
        kwargs["timeout"] = "2s"
        return real_client(address, *args, **kwargs)

    monkeypatch.setattr(distributed, "Client", quick_client)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()
        result = CliRunner().invoke(
            main, ["analyze", DEMO, "--scheduler", address, "--no-cache", "--out", str(tmp_path / "out")]
        )
    assert time.monotonic() - started < 30
    assert result.exit_code == 1, result.output
    assert "accepts connections but does not answer as a Dask scheduler" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()
