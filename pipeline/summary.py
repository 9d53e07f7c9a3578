"""The few lines `kubetorch analyze` prints when it is done."""

from __future__ import annotations

import click

from pipeline.run import RunResult


def print_summary(result: RunResult, out: str) -> None:
    m = result.manifest
    c = m["counts"]
    click.echo(
        f"analysed {c['files']:,} files ({c['lines']:,} lines, {c['files_parsed']:,} parsed, rest cached) "
        f"in {c['packages']:,} packages: {c['functions']:,} functions, {c['func_literals']:,} func literals, "
        f"{c['types']:,} types"
    )
    counted = [f"{result.tables[n].num_rows:,} {n}" for n in ("handlers", "chains") if n in result.tables]
    total = sum(m["timings"].values())
    click.echo(f"{', '.join(counted)} in {total:.1f}s; wrote {out}")
