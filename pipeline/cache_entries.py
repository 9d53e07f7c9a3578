"""What each stage keeps in the result cache, and the checks an entry read back has to pass.

The store checks bytes (digest) and shape versions; these checks say what a value of each stage
looks like, so an entry of an older layout that still unpickles is dropped instead of failing,
or silently changing results, later. They are cheap: the top of each value, never its depths.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from cache import ResultCache, Shape, type_shape
from kubetorch.ir import FileFacts
from kubetorch.summary import PackageSummary
from pipeline import tables

# the tables of a run, with their current schemas: a cached run is used only when it has exactly these
SCHEMAS: dict[str, pa.Schema] = {
    "files": tables.FILES,
    "packages": tables.PACKAGES,
    "types": tables.TYPES,
    "functions": tables.FUNCTIONS,
    "handlers": tables.HANDLERS,
    "chains": tables.CHAINS,
    "sinks": tables.SINKS,
    "accesses": tables.ACCESSES,
    "calls": tables.CALLS,
    "cascades": tables.CASCADES,
    "api_resources": tables.API_RESOURCES,
}
# tables a run has only when the tree gives them (rbac: when RBAC rules can be found)
OPTIONAL_SCHEMAS: dict[str, pa.Schema] = {"rbac": tables.RBAC}


def _complete(obj: Any) -> bool:
    """Every field of a dataclass instance is set (one pickled before a field was added lacks it)."""
    return all(hasattr(obj, f.name) for f in dataclasses.fields(obj))


def _file_entry(v: Any) -> bool:
    """(facts or None, api digest, error), as extract_stage stores per file content."""
    return (
        type(v) is tuple
        and len(v) == 3
        and (v[0] is None or (type(v[0]) is FileFacts and _complete(v[0])))
        and type(v[1]) is str
        and type(v[2]) is str
        and (v[0] is not None or bool(v[2]))
    )


def _summary_entry(v: Any) -> bool:
    return type(v) is PackageSummary and _complete(v) and type(v.package) is str


def _run_entry(v: Any) -> bool:
    """{"tables": {name: Arrow IPC bytes}, "manifest": {...}}; the tables are checked when read."""
    return (
        type(v) is dict
        and type(v.get("tables")) is dict
        and type(v.get("manifest")) is dict
        and all(type(b) is bytes for b in v["tables"].values())
    )


def _stat_memo(v: Any) -> bool:
    """path -> ((size, mtime_ns, ctime_ns, inode), sha, generated, error, usable), as discover hands back."""
    if type(v) is not dict:
        return False
    for path, e in v.items():
        if not (
            type(path) is str
            and type(e) is tuple
            and len(e) == 5
            and type(e[0]) is tuple
            and len(e[0]) == 4
            and all(type(x) is int for x in e[0])
            and type(e[1]) is str
            and type(e[2]) is bool
            and type(e[3]) is str
            and type(e[4]) is bool
        ):
            return False
    return True


SHAPES: dict[str, Shape] = {
    "extract": Shape("file entry 1 " + type_shape(FileFacts), _file_entry),
    "decl": Shape("file entry 1 " + type_shape(FileFacts), _file_entry),
    "summary": Shape("summary 1 " + type_shape(PackageSummary), _summary_entry),
    "run": Shape("run 1", _run_entry),
    "stat-memo": Shape("stat memo 2", _stat_memo),
}


def open_cache(directory: str | None) -> ResultCache:
    """The run's cache, with every stage's shape."""
    return ResultCache(directory, shapes=SHAPES)


def cached_tables(entry: dict[str, Any]) -> dict[str, pa.Table] | None:
    """The tables of a cached run, or None unless all of them are there, decode and have the
    current schemas (a run missing some would be an output without them)."""
    blobs = entry["tables"]
    if not set(SCHEMAS) <= set(blobs) <= set(SCHEMAS) | set(OPTIONAL_SCHEMAS):
        return None
    out: dict[str, pa.Table] = {}
    for name, schema in {**SCHEMAS, **OPTIONAL_SCHEMAS}.items():
        if name not in blobs:
            continue
        try:
            table = pa.ipc.open_stream(blobs[name]).read_all()
        except (pa.ArrowException, OSError, ValueError):
            return None
        if not table.schema.equals(schema):
            return None
        out[name] = table
    counts = entry["manifest"].get("counts")
    if type(counts) is not dict or counts.get("chains") != out["chains"].num_rows:
        return None
    problems = entry["manifest"].get("problems", [])
    if type(problems) is not list or not all(
        type(p) is dict and type(p.get("path")) is str and type(p.get("message")) is str for p in problems
    ):
        return None
    return out
