"""Writing a run's tables: all or nothing.

Tables go to a temporary sibling folder first; only a complete folder is renamed into place.
A run killed at any point leaves the previous output as it was (or, if it died in the instant
between the two renames, a backup that the next run puts back).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class OutputError(Exception):
    """The output folder cannot be written."""


def _backup_name(out: str) -> str:
    return os.path.join(os.path.dirname(out) or ".", "." + os.path.basename(out) + ".previous")


def recover(out: str) -> None:
    """Put back the previous output if a run died between moving it aside and renaming the new one."""
    backup = _backup_name(out)
    if os.path.isdir(backup):
        if not os.path.exists(out):
            os.rename(backup, out)
        else:
            shutil.rmtree(backup, ignore_errors=True)


def swap_in(ready: str, out: str) -> None:
    """Rename the complete folder `ready` to `out`, replacing any folder there: the old one is
    moved aside first and deleted last (recover() puts it back if we die in between)."""
    backup = _backup_name(out)
    if os.path.exists(out):
        os.rename(out, backup)
    os.rename(ready, out)
    shutil.rmtree(backup, ignore_errors=True)


def write_file_atomically(path: str, write: Callable[[str], None]) -> None:
    """Call write(tmp) for a temporary sibling of `path`, then rename it over `path`: readers see
    the old file or the new one, never half of one."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 is for the temporary name, not the result
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable(out: str) -> None:
    out = os.path.abspath(out)
    parent = os.path.dirname(out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise OutputError(f"{out}: exists and is not a directory")
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{parent}: cannot create output parent: {e.strerror or e}") from e
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{parent}: not writable")


def write_tables(out: str, tables: dict[str, pa.Table], manifest: dict[str, Any]) -> None:
    """Write NAME.parquet for each table and manifest.json into `out`, atomically."""
    out = os.path.abspath(out)
    check_writable(out)
    recover(out)
    parent = os.path.dirname(out)
    try:
        tmp = tempfile.mkdtemp(prefix="." + os.path.basename(out) + ".tmp-", dir=parent)
    except OSError as e:
        raise OutputError(f"{parent}: cannot write: {e.strerror or e}") from e
    try:
        for name, table in tables.items():
            pq.write_table(table, os.path.join(tmp, name + ".parquet"), compression="zstd")
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=True, default=str)
            f.write("\n")
        os.chmod(tmp, 0o755)
        swap_in(tmp, out)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise OutputError(f"{out}: cannot write: {e.strerror or e}") from e
        raise


def read_manifest(out: str) -> dict[str, Any]:
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def read_table(out: str, name: str) -> pa.Table:
    """A table of a run folder: NAME.parquet or a folder NAME/ of Parquet files."""
    path = os.path.join(out, name + ".parquet")
    if not os.path.exists(path):
        path = os.path.join(out, name)
    if not os.path.exists(path):
        raise OutputError(f"{out}: no table {name!r} (is this a kubetorch output folder?)")
    return pq.read_table(path)
