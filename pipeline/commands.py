"""Read-side commands over a run's output (handlers, chains, diff, query, ...), one module each.

cli.py registers everything in ALL, so adding a command never touches the core CLI.
"""

from __future__ import annotations

import click

ALL: list[click.Command] = []
