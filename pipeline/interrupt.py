"""Ending a run on SIGINT or SIGTERM: quickly, in one line, keeping what is finished.

Everything a run finishes is committed as it finishes (each stage stores every finished file and
package in the cache batch by batch, and the output is replaced in one atomic step), so there is
nothing to save on the way out. The command line therefore leaves from the signal handler itself:
it kills the worker processes it started, prints one line and exits with 128 + signal. Unwinding
instead would free millions of small objects one by one (seconds, with the GIL held) before any
clean-up code ran. Library callers (`leave_at_once=False`) get an `Interrupted` exception instead.

Worker processes are started with SIGINT ignored, so a Ctrl-C to the terminal's process group
reaches only the main process (asyncio in a Dask worker would otherwise print a traceback per
worker).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was stopped by a signal (a BaseException, so `except Exception` never swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_state: dict[str, object] = {"said": False, "kept": "", "signalled": 0, "leave_at_once": False}
_cleanups: list[Callable[[], None]] = []
_lock = threading.Lock()


def say_once(message: str) -> None:
    """Print the interruption line exactly once."""
    with _lock:
        if _state["said"]:
            return
        _state["said"] = True
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


def message(signum: int) -> str:
    """The one line an interrupted command prints; `kept` (set by the command) says what it leaves."""
    name = signal.Signals(signum).name
    return f"kubetorch: interrupted ({name}){_state['kept']}"


def leave(signum: int) -> None:
    """Stop what was started, say the line and end the process now (see the module docstring)."""
    for cleanup in reversed(_cleanups):
        with contextlib.suppress(Exception):
            cleanup()
    say_once(message(signum))
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(128 + signum)


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["signalled"]:
        return  # already on the way out: a second Ctrl-C must not interrupt that
    _state["signalled"] = signum
    if _state["leave_at_once"]:
        leave(signum)
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_handled(kept: str = "", leave_at_once: bool = False) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM end the process at once (`leave_at_once`, for the command
    line) or raise `Interrupted` in the main thread; `kept` ends the line the interruption prints."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.update(kept=kept, said=False, signalled=0, leave_at_once=leave_at_once)
    previous = {s: signal.getsignal(s) for s in HANDLED}
    for s in HANDLED:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            # a program whose command has finished ends within milliseconds (pipeline.cli.run leaves
            # with os._exit): a signal now must neither kill it silently nor claim an interruption
            signal.signal(s, signal.SIG_IGN if leave_at_once else h)


def add_cleanup(cleanup: Callable[[], None]) -> None:
    """Run `cleanup` if the process leaves on a signal (to stop the worker processes it started)."""
    _cleanups.append(cleanup)


def remove_cleanup(cleanup: Callable[[], None]) -> None:
    with contextlib.suppress(ValueError):
        _cleanups.remove(cleanup)


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
