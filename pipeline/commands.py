"""Read-side commands over a run's output (handlers, chains, diff, query, ...), one module each.

cli.py registers everything in ALL, so adding a command never touches the core CLI. The command
modules import pipeline.cli only when a command runs (see pipeline/cli_errors.py), so importing
them here closes no cycle.
"""

from __future__ import annotations

import click

from pipeline.cascades_cmd import cascades_command
from pipeline.diff import diff_command
from pipeline.graph_export import export_group
from pipeline.history import history_group
from pipeline.plan import plan_command
from pipeline.query import query_command
from pipeline.rbac_cmd import rbac_command
from pipeline.report import report_command
from pipeline.sarif import sarif_command
from pipeline.show import chains_command, handlers_command

ALL: list[click.Command] = [
    handlers_command,
    chains_command,
    cascades_command,
    rbac_command,
    diff_command,
    query_command,
    report_command,
    sarif_command,
    history_group,
    export_group,
    plan_command,
]
