"""What a run says while it works: on a terminal a bar per long stage (tasks done of all, elapsed,
time left), and everywhere one line per finished stage with its time and what it did, so a run in
a log is never silent for long. `--quiet` silences both.
"""

from __future__ import annotations

import os
import sys
import time

import click


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


def clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class Progress:
    """The bar of one stage's tasks, redrawn at most ten times a second, on a terminal only."""

    def __init__(self, label: str, total: int, quiet: bool = False):
        self.label = label
        self.total = total
        self.count = 0
        self.enabled = bool(label) and not quiet and interactive() and total > 1
        self.start = time.monotonic()
        self._last = 0.0

    def line(self, now: float) -> str:
        width = 30
        filled = int(width * self.count / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = now - self.start
        left = elapsed * (self.total - self.count) / self.count if self.count else None
        eta = f"  ETA {clock(left)}" if left is not None and self.count < self.total else ""
        return f"{self.label:<10} [{bar}] {self.count}/{self.total} tasks  {clock(elapsed)}{eta}"

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.count < self.total:
            return
        self._last = now
        sys.stderr.write("\r" + self.line(now).ljust(79))
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()


class StageLog:
    """One line per finished stage: `extract     12.3s  4720 files: 312 parsed, 4408 from the cache`."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def __call__(self, stage: str, seconds: float, detail: str = "") -> None:
        if not self.quiet:
            click.echo(f"{stage:<10} {seconds:6.1f}s  {detail}".rstrip())
