"""Writing one export file (SARIF, graphs, plans) under the project's ownership rule.

A file is written atomically, and an existing file is replaced only when it is one kubetorch
wrote: each format says how to recognise its own output (`is_ours`). `-` means standard output.
The rule itself is pipeline/output.py's `claim_output_file`; this module only supplies each
format's recogniser.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from pipeline.output import claim_output_file, write_file_atomically

STDOUT = "-"


def claim_output(path: str, is_ours: Callable[[bytes], bool]) -> None:
    """OutputError unless `path` is free, or a regular file kubetorch wrote (`is_ours` knows this format's)."""
    claim_output_file(path, is_ours=is_ours)


def write_output(path: str, text: str, is_ours: Callable[[bytes], bool]) -> None:
    """`text` to `path` (atomically, after claim_output), or to standard output for `-`."""
    if path == STDOUT:
        click.echo(text, nl=False)
        return
    claim_output(path, is_ours)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    write_file_atomically(path, write, is_ours=is_ours)


def starts_with(marker: str) -> Callable[[bytes], bool]:
    """is_ours for text formats whose first line kubetorch stamps (`// kubetorch ...`)."""
    encoded = marker.encode()
    return lambda head: head.lstrip().startswith(encoded)
