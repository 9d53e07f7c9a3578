"""The few lines `kubetorch analyze` prints when it is done."""

from __future__ import annotations

import click

from pipeline.run import RunResult


def print_summary(result: RunResult, out: str) -> None:
    m = result.manifest
    c = m["counts"]
    click.echo(
        f"analysed {c['files']} files ({c['lines']:,} lines, {c['files_parsed']} parsed, rest cached) "
        f"in {c['packages']} packages: {c['functions']} functions, {c['func_literals']} func literals, {c['types']} types"
    )
    for name in ("handlers", "chains"):
        if name in result.tables:
            click.echo(f"{name}: {result.tables[name].num_rows}")
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in m["timings"].items())
    click.echo(f"timings: {timings}")
    click.echo(f"wrote {out}")
