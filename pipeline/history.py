"""A history of runs, one Hive partition per release: HISTORY/release=<LABEL>/.

Each partition is a whole run folder (every NAME.parquet and manifest.json), so any read command
works on one partition as on a run, and DuckDB or pyarrow.dataset read one table across all
releases with a `release` column from the folder name. Adding a release that is already there
replaces it the way output.write_tables replaces a run (output.replace_dir: a hidden temporary
sibling swapped in one step; a leftover from a killed call is put back or removed by the next).
kubetorch writes only into a folder that is a history (or empty, or new) and replaces only a
partition that is a kubetorch run folder.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass

import click

from pipeline import output
from pipeline.cli_errors import friendly_errors
from pipeline.formats import format_option, render
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


def claim_history(history_dir: str) -> str:
    """The absolute history folder, if kubetorch may write partitions into it: it does not exist,
    is empty, holds a kubetorch run folder `release=LABEL/`, or holds only things kubetorch made
    (as `make nightly` leaves `.latest` in it before the first partition)."""
    path = os.path.abspath(history_dir)
    if not os.path.lexists(path):
        return path
    if not os.path.isdir(path):
        raise HistoryError(f"{path}: exists and is not a folder")
    entries = [os.path.join(path, e) for e in os.listdir(path)]
    prefix = f"{PARTITION_KEY}="
    if any(os.path.basename(e).startswith(prefix) and output.is_output_dir(e) for e in entries):
        return path
    if all(output.made_by_kubetorch(e) for e in entries):
        return path
    raise HistoryError(
        f"{path}: exists and is not a kubetorch history (no {prefix}LABEL run folder in it); "
        "refusing to write into it"
    )


def claim_partition(history_dir: str, release: str, protected: Iterable[output.Guard] = ()) -> str:
    """The partition folder of `release`, if kubetorch may replace it (see output.claim_output_dir)."""
    partition = os.path.join(claim_history(history_dir), partition_name(release))
    return output.claim_output_dir(partition, protected)


def _copy_run(run_dir: str, tmp: str) -> None:
    """The run's tables and manifest (not its hidden entries), one checkpoint per entry."""
    for entry in sorted(os.listdir(run_dir)):
        if entry.startswith("."):
            continue
        src = os.path.join(run_dir, entry)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(tmp, entry))
        else:
            shutil.copy2(src, os.path.join(tmp, entry))
        output.checkpoint("run entry copied")


def add_run(history_dir: str, run_dir: str, release: str, protected: Iterable[output.Guard] = ()) -> str:
    """Copy the finished run folder `run_dir` into the history as `release`; returns the partition.
    The partition is replaced in one step (output.replace_dir); nothing but a kubetorch run
    folder is ever replaced, and nothing is written into a folder that is not a history."""
    check_run(run_dir)
    final = claim_partition(history_dir, release, protected)
    try:
        os.makedirs(os.path.dirname(final), exist_ok=True)
    except OSError as e:
        raise HistoryError(
            f"{os.path.dirname(final)}: cannot create history folder: {e.strerror or e}"
        ) from e
    return output.replace_dir(final, lambda tmp: _copy_run(run_dir, tmp), protected)


@dataclass(frozen=True)
class Release:
    label: str
    started: str  # when the run started (manifest)
    commit: str  # the checkout's commit, when the tree was one
    commit_date: str  # its commit date

    @property
    def when(self) -> str:
        return self.commit_date or self.started


_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


def version_key(label: str) -> tuple | None:
    """The semantic-version order of a release label (`v1.28.0-rc.1` < `v1.28.0` < `v1.28.1`), or
    None when the label is not a version (a commit, a date)."""
    m = _VERSION.fullmatch(label)
    if m is None:
        return None
    pre = m[4]
    # a pre-release sorts before its release; its dot-separated parts compare as numbers or text
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (int(m[1]), int(m[2]), int(m[3] or 0), 0 if pre else 1, parts)


def in_version_order(releases: Iterable[Release]) -> list[Release]:
    """Releases labelled as versions in semantic order, the others (commits, dates) by commit
    date (or, for a tree that was no checkout, run start); the two sequences are merged by date,
    so a nightly of master lands after the release it follows."""
    versions = sorted(
        (r for r in releases if version_key(r.label) is not None), key=lambda r: version_key(r.label)
    )
    others = sorted((r for r in releases if version_key(r.label) is None), key=lambda r: (r.when, r.label))
    out: list[Release] = []
    i = j = 0
    while i < len(versions) or j < len(others):
        if j >= len(others) or (i < len(versions) and versions[i].when <= others[j].when):
            out.append(versions[i])
            i += 1
        else:
            out.append(others[j])
            j += 1
    return out


def _release(partition: str, label: str) -> Release:
    try:
        m = read_manifest(partition)
    except (OSError, ValueError):
        m = {}
    m = m if isinstance(m, dict) else {}
    return Release(label, *(str(m.get(k) or "") for k in ("started", "commit", "commit_date")))


def releases(history_dir: str) -> list[Release]:
    """The releases in the history, in version order (see in_version_order)."""
    if not os.path.isdir(history_dir):
        raise HistoryError(f"{history_dir}: no such history folder")
    found = []
    prefix = f"{PARTITION_KEY}="
    for entry in os.listdir(history_dir):
        path = os.path.join(history_dir, entry)
        if entry.startswith(prefix) and os.path.isfile(os.path.join(path, "manifest.json")):
            found.append(_release(path, entry[len(prefix) :]))
    return in_version_order(found)


def list_releases(history_dir: str) -> list[str]:
    """Labels in the history, in version order."""
    return [r.label for r in releases(history_dir)]


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
    from cache.store import default_cache_dir

    check_run(run_dir)
    tree = read_manifest(run_dir).get("tree")
    protected = output.guards(tree=tree if isinstance(tree, str) else None, cache=default_cache_dir())
    click.echo(f"added {add_run(history_dir, run_dir, release, protected)}")


@history_group.command("list")
@click.argument("history_dir", metavar="HISTORY", type=click.Path(path_type=str), required=False)
@click.option("--history", "history_opt", type=click.Path(path_type=str), default=None, hidden=True)
@format_option()
@friendly_errors
def history_list(history_dir: str | None, history_opt: str | None, fmt: str) -> None:
    """The releases in HISTORY in version order (semantic for version labels, commit date for
    commits): what `diff` and the `new-chains` query call "the release before"."""
    folder = history_dir or history_opt
    if not folder:
        raise HistoryError("give the history folder: kubetorch history list HISTORY")
    rows = [[i, r.label, r.commit[:12], r.commit_date, r.started] for i, r in enumerate(releases(folder))]
    columns = ["seq", "release", "commit", "commit_date", "started"]
    click.echo(render(fmt, columns, rows, footer=f"{len(rows)} release(s) in {folder}"), nl=False)


@history_group.command("remove")
@click.argument("label", metavar="RELEASE")
@click.option(
    "--history", "history_dir", required=True, type=click.Path(path_type=str), help="History folder."
)
@friendly_errors
def history_remove(label: str, history_dir: str) -> None:
    """Remove release RELEASE from the history (its partition, in one step)."""
    from cache.store import default_cache_dir

    claim_history(history_dir)
    partition = release_dir(history_dir, check_label(label))
    protected = output.guards(cache=default_cache_dir())
    click.echo(f"removed {output.remove_output_dir(partition, protected)}")
