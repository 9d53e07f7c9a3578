"""Where per-file and per-package tasks run: in this process, on a local process cluster, or on a
`dask.distributed` cluster the user already has.

A cluster is started only when there is enough work to pay for it: a warm run, or a run after a
one-file edit, does its handful of tasks in-process and never waits for workers to boot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pipeline.interrupt import Interrupted, add_cleanup, children_ignore_sigint, remove_cleanup
from pipeline.progress import Progress

# below this many tasks, starting worker processes costs more than it saves
INLINE_TASK_LIMIT = 4
# seconds a clean-up may wait for the cluster (an interrupted run must end within seconds)
CLOSE_TIMEOUT = 2


def _start_resource_tracker_quietly() -> None:
    """multiprocessing's resource tracker (a process of its own, shared by the workers) writes to
    the stderr it was started with; its only words are a warning, on an interrupted run, that it
    cleaned up the semaphores the killed workers left. It does that cleaning either way, so it is
    started with stderr on /dev/null."""
    from multiprocessing import resource_tracker

    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class SchedulerError(Exception):
    """The --scheduler given cannot be used (bad address, nothing listening, refused)."""


PROBE_TIMEOUT = 5.0  # seconds to wait for a TCP answer before saying the host does not answer


def check_scheduler(address: str) -> None:
    """Before any work: the address parses, its host resolves and something accepts a connection
    on its port; else SchedulerError saying which of these failed."""
    import socket

    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    what = f"cannot use the Dask scheduler {address}"
    try:
        scheme, location = parse_address(address, strict=False)
    except (ValueError, TypeError) as e:
        raise SchedulerError(f"{what}: not an address like tcp://HOST:8786 ({e})") from e
    if scheme not in ("tcp", "tls"):
        return  # inproc://, ucx://, ...: only Dask itself can tell
    try:
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as e:
        raise SchedulerError(f"{what}: no port in it (like tcp://HOST:8786): {e}") from e
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise SchedulerError(f"{what}: the host name {host!r} does not resolve ({e.strerror or e})") from e
    last: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(PROBE_TIMEOUT)
                sock.connect(sockaddr)
            if scheme == "tcp":
                _check_identity(address, what)
            return
        except ConnectionRefusedError as e:
            last = e
            reason = f"nothing listens on {host}:{port} (connection refused): is the scheduler running?"
        except TimeoutError as e:
            last = e
            reason = f"no answer from {host}:{port} within {PROBE_TIMEOUT:.0f} s (host down or a firewall?)"
        except OSError as e:
            last = e
            reason = f"cannot connect to {host}:{port}: {e.strerror or e}"
    raise SchedulerError(f"{what}: {reason}") from last


def _check_identity(address: str, what: str) -> None:
    """Ask what answers on the port: a Dask scheduler says so; anything else (a worker, a web
    server, a silent listener) is named, within 2 x PROBE_TIMEOUT."""
    import asyncio

    from distributed.comm import connect

    async def identity() -> dict:
        comm = await connect(address, timeout=PROBE_TIMEOUT)
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identity(), 2 * PROBE_TIMEOUT))
    except Exception as e:
        detail = f" ({type(e).__name__}: {e})" if str(e) else f" ({type(e).__name__})"
        raise SchedulerError(
            f"{what}: it accepts connections but does not answer as a Dask scheduler{detail}"
        ) from e
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        raise SchedulerError(f"{what}: that is a Dask {kind or 'peer'}, not a scheduler")


class Executor:
    def __init__(self, jobs: int | None = None, scheduler: str | None = None, quiet: bool = False):
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.scheduler = scheduler
        self.quiet = quiet
        self._client = None
        self._cluster = None
        self._shared: dict[int, Any] = {}
        self.used_cluster = False

    # ------------------------------------------------------------ lifecycle
    def _ensure_client(self):
        if self._client is not None:
            return self._client
        from distributed import Client

        if self.scheduler:
            check_scheduler(self.scheduler)
            try:
                self._client = Client(self.scheduler, timeout="15s")
            except Exception as e:
                raise SchedulerError(
                    f"cannot use the Dask scheduler {self.scheduler}: it accepts connections but does not "
                    f"answer as a Dask scheduler ({type(e).__name__}: {e})"
                ) from e
        else:
            from distributed import LocalCluster

            _start_resource_tracker_quietly()
            with children_ignore_sigint():
                self._cluster = LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: the scheduler always serves some HTTP routes
                    memory_limit=0,
                    # a worker's own errors (a lost heartbeat while closing) say nothing to a user:
                    # a failed task comes back as its exception
                    silence_logs=logging.CRITICAL,
                    worker_class="distributed.Nanny",
                )
            add_cleanup(self._kill_local_workers)
            self._client = Client(self._cluster)
        self.used_cluster = True
        return self._client

    def close(self, interrupted: bool = False) -> None:
        # shutting down: a failure to close has nothing useful to report
        if interrupted:
            # the in-process scheduler would log the lost tasks as errors: they are the point
            logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)
            self._kill_local_workers()
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close(timeout=CLOSE_TIMEOUT if interrupted else None)
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=CLOSE_TIMEOUT if interrupted else None)
        remove_cleanup(self._kill_local_workers)
        self._client = self._cluster = None

    def __enter__(self) -> Executor:
        return self

    def _kill_local_workers(self) -> None:
        """An interrupted run does not wait for busy workers to finish their task: what they were
        doing is lost anyway, and the user is waiting."""
        if self._cluster is None:
            return
        for nanny in list(getattr(self._cluster, "workers", {}).values()):
            pid = getattr(nanny, "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(interrupted=exc_type is not None and issubclass(exc_type, Interrupted))

    # ------------------------------------------------------------ running
    def map(
        self,
        fn: Callable[..., Any],
        tasks: list[Any],
        shared: Any = None,
        label: str = "",
        weights: Iterable[int] | None = None,
    ) -> Iterator[Any]:
        """Yield fn(task, shared) for every task, in completion order.

        `shared` is sent to each worker once (scattered), not once per task.
        """
        if not tasks:
            return
        progress = Progress(label, total=len(tasks), quiet=self.quiet)
        try:
            if self.scheduler is None and (self.jobs == 1 or len(tasks) <= INLINE_TASK_LIMIT):
                for task in tasks:
                    result = fn(task, shared)
                    progress.advance()
                    yield result
                return
            client = self._ensure_client()
            from distributed import as_completed

            shared_ref = None
            if shared is not None:
                shared_ref = client.scatter(shared, broadcast=True, hash=False)
            # ship task inputs as data, not inside the task graph (they can be megabytes of source)
            inputs = client.scatter(tasks, hash=False)
            futures = client.map(fn, inputs, shared=shared_ref, pure=False)
            for future in as_completed(futures):
                result = future.result()
                future.release()
                progress.advance()
                yield result
        finally:
            progress.done()
