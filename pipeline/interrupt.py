"""Ending a run on SIGINT or SIGTERM: quickly, in one line, keeping what is finished.

The main process turns both signals into `Interrupted`, which unwinds through the stages (each
stage has already stored every finished file and package in the cache) and is reported by the CLI
as one line with exit status 128 + signal. Worker processes are started with SIGINT ignored, so
a Ctrl-C to the terminal's process group reaches only the main process (asyncio in a Dask worker
would otherwise print a traceback per worker), and they leave at once and silently on SIGTERM.
A watchdog bounds the clean-up: if unwinding takes longer than `GRACE_SECONDS`, the process
says its line and exits anyway.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 4.0


class Interrupted(BaseException):
    """The run was stopped by a signal (a BaseException, so `except Exception` never swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_state: dict[str, object] = {"said": False}
_lock = threading.Lock()


def say_once(message: str) -> None:
    """Print the interruption line exactly once, whichever of the unwinding or the watchdog gets there first."""
    with _lock:
        if _state["said"]:
            return
        _state["said"] = True
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def message(signum: int) -> str:
    """The one line an interrupted command prints (what it keeps is said by the command that set `_state`)."""
    name = signal.Signals(signum).name
    return f"kubetorch: interrupted ({name}){_state.get('kept', '')}"


def _watchdog(signum: int) -> None:
    say_once(message(signum))
    os._exit(128 + signum)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.get("signalled"):
        return  # already unwinding: a second Ctrl-C must not interrupt the clean-up
    _state["signalled"] = signum
    timer = threading.Timer(GRACE_SECONDS, _watchdog, args=(signum,))
    timer.daemon = True
    timer.start()
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise(kept: str = "") -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise `Interrupted` in the main thread; `kept` ends the line
    the interruption prints (what the command leaves in place)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.update(kept=kept, said=False, signalled=0)
    previous = {s: signal.getsignal(s) for s in HANDLED}
    for s in HANDLED:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def children_ignore_sigint() -> Iterator[None]:
    """Processes spawned inside inherit an ignored SIGINT (dispositions set to ignore survive exec),
    so asyncio in a Dask worker installs no KeyboardInterrupt handler of its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def quiet_exit_on_sigterm() -> None:
    """In a worker process: leave at once, without a traceback, when the process group gets SIGTERM."""
    signal.signal(signal.SIGTERM, _exit_quietly)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os._exit(0)
