"""A one-line progress bar on a terminal; silent in logs, pipes and CI."""

from __future__ import annotations

import os
import sys
import time


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Progress:
    def __init__(self, label: str, total: int, quiet: bool = False):
        self.label = label
        self.total = total
        self.count = 0
        self.enabled = bool(label) and not quiet and interactive() and total > 1
        self.start = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and self.count < self.total:
            return
        self._last = now
        width = 30
        filled = int(width * self.count / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r{self.label:<10} [{bar}] {self.count}/{self.total} {now - self.start:5.1f}s")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()
