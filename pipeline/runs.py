"""Opening a finished run folder for the read-side commands.

Every read command starts here so that "no such folder" and "not a kubetorch output" read the
same everywhere, and a table the analyzer does not write yet is simply absent, not a crash.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click
import pyarrow as pa

from pipeline.output import OutputError, read_manifest, read_table


def check_run(out: str) -> str:
    """The run folder `out`, or OutputError saying why it is not one."""
    if not os.path.exists(out):
        raise OutputError(f"{out}: no such folder")
    if not os.path.isdir(out):
        raise OutputError(f"{out}: not a folder")
    if not os.path.isfile(os.path.join(out, "manifest.json")):
        raise OutputError(f"{out}: not a kubetorch output folder (no manifest.json)")
    try:
        manifest = read_manifest(out)
    except ValueError as e:
        raise OutputError(f"{out}: manifest.json is not valid JSON: {e}") from e
    if not isinstance(manifest, dict) or manifest.get("tool") != "kubetorch":
        raise OutputError(f"{out}: not a kubetorch output folder (manifest.json is not kubetorch's)")
    return out


def table_paths(out: str) -> dict[str, str]:
    """Table name -> its NAME.parquet file or NAME/ folder of Parquet files, by name."""
    found: dict[str, str] = {}
    for entry in sorted(os.listdir(out)):
        path = os.path.join(out, entry)
        if entry.startswith((".", "_")):
            continue
        if entry.endswith(".parquet") and os.path.isfile(path):
            found[entry[: -len(".parquet")]] = path
        elif os.path.isdir(path) and any(f.endswith(".parquet") for f in os.listdir(path)):
            found.setdefault(entry, path)
    return found


def has_table(out: str, name: str) -> bool:
    return name in table_paths(out)


def rows(out: str, name: str) -> list[dict]:
    """All rows of a table as dicts (the read commands' tables are small: one row per chain)."""
    return table(out, name).to_pylist()


def optional_rows(out: str, name: str) -> list[dict] | None:
    """Rows of a table, or None when this run has no such table."""
    return rows(out, name) if has_table(out, name) else None


def table(out: str, name: str) -> pa.Table:
    try:
        return read_table(out, name)
    except pa.ArrowException as e:
        raise OutputError(f"{out}: cannot read table {name!r}: {str(e).splitlines()[0]}") from e


def short_name(name: str | None) -> str:
    """A qualified Go name without its import path's folders: `replicaset.(*RSController).addPod`."""
    if not name:
        return ""
    return name.rpartition("/")[2]


def location(file: str | None, line: int | None) -> str:
    if not file:
        return ""
    return f"{file}:{line}" if line else file


def open_run(source: str | None, history: str | None) -> str:
    """The run folder a read command reads: OUT itself, or with --history the partition of the
    release label given in its place."""
    if history is None:
        if not source:
            raise OutputError("give the run folder (OUT), or --history DIR and a release")
        return check_run(source)
    from pipeline.history import release_dir

    if not source:
        raise OutputError(
            f"--history {history}: give a release label too (`kubetorch history list {history}`)"
        )
    return check_run(release_dir(history, source))


def run_source(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The first argument of every read command: a run folder OUT, or with `--history DIR` one of
    its release labels. The command receives `out`, the run folder to read; errors are one line
    (this applies cli_errors.friendly_errors to the command)."""
    from pipeline.cli_errors import friendly_errors

    @functools.wraps(fn)
    @friendly_errors
    def wrapper(*args: Any, source: str, history: str | None, **kwargs: Any) -> Any:
        return fn(*args, out=open_run(source, history), **kwargs)

    wrapper = click.option(
        "--history",
        type=click.Path(path_type=str),
        default=None,
        metavar="DIR",
        help="History folder: the first argument is then one of its release labels.",
    )(wrapper)
    return click.argument("source", metavar="OUT|RELEASE")(wrapper)
