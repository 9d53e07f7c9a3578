"""A history of runs, one Hive partition per release: HISTORY/release=<LABEL>/.

Each partition is a whole run folder (every NAME.parquet and manifest.json), so any read command
works on one partition as on a run, and DuckDB or pyarrow.dataset read one table across all
releases with a `release` column from the folder name. Adding a release that is already there
replaces it the way output.write_tables replaces a run: build a hidden temporary sibling, move the
old partition aside, rename the new one in, delete the old; a leftover from a killed call is put
back or removed by the next call.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

import click

from pipeline import output
from pipeline.cli_errors import friendly_errors
from pipeline.output import OutputError, read_manifest
from pipeline.runs import check_run, table_paths

PARTITION_KEY = "release"
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")


class HistoryError(OutputError):
    """A history folder or release label the user gave is unusable (a one-line error in the CLI)."""


def check_label(label: str) -> str:
    """Labels become folder names and Hive partition values: letters, digits and `._+-` only."""
    if not label:
        raise HistoryError("release label is empty")
    if "/" in label or "\\" in label or label in (".", ".."):
        raise HistoryError(f"release label {label!r} is not a safe folder name")
    if not _LABEL.fullmatch(label):
        raise HistoryError(
            f"release label {label!r} must start with a letter or digit and use only letters, digits and ._+-"
        )
    return label


def partition_name(label: str) -> str:
    return f"{PARTITION_KEY}={check_label(label)}"


def recover(history_dir: str, label: str) -> None:
    """Undo what a killed add_run left: put the old partition back, drop half-copied ones."""
    output.recover(os.path.join(history_dir, partition_name(label)))
    prefix = f".{partition_name(label)}.tmp-"
    for entry in os.listdir(history_dir):
        if entry.startswith(prefix):
            shutil.rmtree(os.path.join(history_dir, entry), ignore_errors=True)


def add_run(history_dir: str, run_dir: str, release: str) -> str:
    """Copy the finished run folder `run_dir` into the history as `release`; returns the partition."""
    partition = partition_name(release)
    check_run(run_dir)
    history_dir = os.path.abspath(history_dir)
    if os.path.exists(history_dir) and not os.path.isdir(history_dir):
        raise HistoryError(f"{history_dir}: exists and is not a folder")
    os.makedirs(history_dir, exist_ok=True)
    recover(history_dir, release)
    final = os.path.join(history_dir, partition)
    tmp = tempfile.mkdtemp(prefix=f".{partition}.tmp-", dir=history_dir)
    try:
        staged = os.path.join(tmp, "run")
        shutil.copytree(run_dir, staged, ignore=shutil.ignore_patterns(".*"))
        output.swap_in(staged, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _started(partition: str) -> str:
    try:
        return str(read_manifest(partition).get("started") or "")
    except (OSError, ValueError):
        return ""


def release_runs(history_dir: str) -> list[tuple[str, str]]:
    """(label, started) of each release in the history, oldest run first (manifest `started`,
    then label)."""
    if not os.path.isdir(history_dir):
        raise HistoryError(f"{history_dir}: no such history folder")
    found = []
    prefix = f"{PARTITION_KEY}="
    for entry in os.listdir(history_dir):
        path = os.path.join(history_dir, entry)
        if entry.startswith(prefix) and os.path.isfile(os.path.join(path, "manifest.json")):
            label = entry[len(prefix) :]
            found.append((_started(path), label))
    return [(label, started) for started, label in sorted(found)]


def list_releases(history_dir: str) -> list[str]:
    """Labels in the history, oldest run first."""
    return [label for label, _started in release_runs(history_dir)]


def release_dir(history_dir: str, label: str) -> str:
    """The run folder of one release in the history; a one-line error naming the known labels."""
    path = os.path.join(history_dir, partition_name(label))
    if not os.path.isdir(path):
        known = list_releases(history_dir)
        raise HistoryError(
            f"{history_dir}: no release {label!r} (known: {', '.join(known) if known else 'none'})"
        )
    return path


def table_files(history_dir: str, name: str) -> list[str]:
    """Parquet files of table `name` across every partition, for DuckDB or pyarrow.dataset."""
    files = []
    for label in list_releases(history_dir):
        path = table_paths(os.path.join(history_dir, partition_name(label))).get(name)
        if path is not None and os.path.isdir(path):
            files.extend(os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".parquet"))
        elif path is not None:
            files.append(path)
    return files


@click.group("history")
def history_group() -> None:
    """Keep runs of several releases side by side (HISTORY/release=LABEL/) for diff and query."""


@history_group.command("add")
@click.argument("run_dir", metavar="OUT", type=click.Path(path_type=str))
@click.option(
    "--history", "history_dir", required=True, type=click.Path(path_type=str), help="History folder."
)
@click.option("--release", required=True, help="Label of this release (letters, digits, ._+-).")
@friendly_errors
def history_add(run_dir: str, history_dir: str, release: str) -> None:
    """Copy the run folder OUT into the history as --release, replacing that release if present."""
    click.echo(f"added {add_run(history_dir, run_dir, release)}")


@history_group.command("list")
@click.argument("history_dir", metavar="HISTORY", type=click.Path(path_type=str))
@friendly_errors
def history_list(history_dir: str) -> None:
    """The releases in HISTORY, oldest run first, with when each run started."""
    for label, started in release_runs(history_dir):
        click.echo(f"{label}\t{started}")
