"""Writing one export file (SARIF, graphs, plans) under the project's ownership rule.

A file is written atomically, and an existing file is replaced only when it is one kubetorch
wrote: each format says how to recognise its own output (`is_ours`). `-` means standard output.
The check is this one function so that it can later defer to the shared helper in
pipeline/output.py.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

import click

from pipeline.output import OutputError, write_file_atomically

STDOUT = "-"


def claim_output(path: str, is_ours: Callable[[bytes], bool]) -> None:
    """OutputError unless `path` is free, or a regular file that `is_ours` recognises."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(f"{path}: cannot check: {e.strerror or e}") from e
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path}: exists and is not a regular file; not replaced")
    try:
        with open(path, "rb") as f:
            head = f.read(8_000_000)
    except OSError as e:
        raise OutputError(f"{path}: exists and cannot be read: {e.strerror or e}; not replaced") from e
    if not is_ours(head):
        raise OutputError(f"{path}: exists and was not written by kubetorch; not replaced")


def write_output(path: str, text: str, is_ours: Callable[[bytes], bool]) -> None:
    """`text` to `path` (atomically, after claim_output), or to standard output for `-`."""
    if path == STDOUT:
        click.echo(text, nl=False)
        return
    claim_output(path, is_ours)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    try:
        write_file_atomically(path, write)
    except OSError as e:
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from e


def starts_with(marker: str) -> Callable[[bytes], bool]:
    """is_ours for text formats whose first line kubetorch stamps (`// kubetorch ...`)."""
    encoded = marker.encode()
    return lambda head: head.lstrip().startswith(encoded)
