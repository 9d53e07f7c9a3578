"""Helpers shared by the tests; above all synthetic run folders for the read-side tests, built with
the real schemas of pipeline/tables.py.

`make_run(out, chains, handlers)` fills every column a test leaves out, derives chain_id, the
sinks table and the cascades table the way the analyzer does, and writes the folder with
output.write_tables, so the read commands see exactly what a real run looks like.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pyarrow as pa
from click.testing import CliRunner

from kubetorch.cascades import cascade_rows
from kubetorch.identity import CHAIN_KEY, chain_id
from pipeline import tables
from pipeline.cli import main
from pipeline.output import write_tables

PKG = "example.com/demo/pkg"


def invoke(*args: str):
    """Run the kubetorch command line in-process."""
    return CliRunner().invoke(main, list(args), prog_name="kubetorch")


def write_files(root, files: dict[str, str | bytes]) -> None:
    """Write a small source tree under the pathlib folder `root`: relative path -> content."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def schemas() -> dict[str, pa.Schema]:
    """Every output table of tables.py: lower-cased schema constant -> schema."""
    return {name.lower(): value for name, value in vars(tables).items() if isinstance(value, pa.Schema)}


def chain(
    component: str = f"{PKG}.Controller",
    informer_resource: str = "pods",
    event: str = "add",
    handler: str | None = None,
    api_verb: str = "create",
    api_resource: str = "pods/binding",
    **extra: Any,
) -> dict:
    """One chain row with every column filled; `extra` overrides any column."""
    pkg, _, struct = component.rpartition(".")
    handler = handler or f"{pkg}.(*{struct}).{event}Handler"
    row = {
        "release": "",
        "component": component,
        "informer_resource": informer_resource,
        "event": event,
        "handler": handler,
        "shared_state": f"{component}.queue",
        "reader": f"{pkg}.(*{struct}).processNextWorkItem",
        "sink_function": f"{pkg}.(*{struct}).sync",
        "api_verb": api_verb,
        "api_resource": api_resource,
        "kind": "event" if api_resource in ("events", "events.k8s.io/events") else "write",
        "reads": [f"lister {informer_resource}"],  # "kind resource" strings, made structs below
        "registration_file": "pkg/controller.go",
        "registration_line": 10,
        "sink_file": "pkg/sync.go",
        "sink_line": 40,
    }
    row.update(extra)
    row["reads"] = [read(r, row["reader"]) if isinstance(r, str) else r for r in row["reads"]]
    if "path" not in row:
        state, verb, resource = row["shared_state"], row["api_verb"], row["api_resource"]
        row["path"] = [
            step(
                row["handler"],
                "pkg/controller.go",
                20,
                f"handle {event}",
                "handle",
                resource=informer_resource,
            ),
            step(
                row["handler"],
                "pkg/controller.go",
                21,
                "write queue.Add",
                "write",
                state=state,
                via="queue.Add",
            ),
            step(row["reader"], "pkg/controller.go", 30, f"read {state} (queue.Get)", "read", state=state),
            step(
                row["sink_function"],
                row["sink_file"],
                row["sink_line"],
                f"{verb} {resource}",
                "sink",
                resource,
            ),
        ]
    row["chain_id"] = chain_id(*(row[k] for k in CHAIN_KEY))
    return row


def step(function: str, file: str, line: int, text: str, kind: str, resource=None, **extra: Any) -> dict:
    """One witness step with every field filled."""
    row = {"function": function, "file": file, "line": line, "step": text, "kind": kind, "resource": resource}
    return {"state": None, "via": None, "snippet": f"// line {line}", "url": None, **row, **extra}


def read(what: str, function: str) -> dict:
    """A chain's read struct from its words (`lister pods`)."""
    kind, _, resource = what.partition(" ")
    return {"kind": kind, "resource": resource, "function": function, "file": "pkg/sync.go", "line": 35}


def handler(
    component: str = f"{PKG}.Controller",
    informer_resource: str = "pods",
    event: str = "add",
    handler: str | None = None,
    **extra: Any,
) -> dict:
    pkg, _, struct = component.rpartition(".")
    row = {
        "component": component,
        "informer_resource": informer_resource,
        "informer_version": "v1",
        "resource_candidates": [],
        "event": event,
        "handler": handler or f"{pkg}.(*{struct}).{event}Handler",
        "handler_literal": None,
        "filter": None,
        "registration": f"{pkg}.New{struct}",
        "via": "AddEventHandler",
        "registration_file": "pkg/controller.go",
        "registration_line": 10,
        "resolution": "informer factory",
        "note": None,
    }
    row.update(extra)
    return row


def handlers_of(chains: list[dict]) -> list[dict]:
    """The handler rows the chains imply (a run always has a handler for each chain)."""
    seen: dict[tuple, dict] = {}
    for c in chains:
        key = (c["component"], c["informer_resource"], c["event"], c["handler"])
        seen.setdefault(key, handler(c["component"], c["informer_resource"], c["event"], c["handler"]))
    return list(seen.values())


def make_run(
    out: str,
    chains: list[dict],
    handlers: list[dict] | None = None,
    release: str = "",
    started: str | None = None,
    extra_sinks: list[dict] | None = None,
    omit: tuple[str, ...] = (),
) -> str:
    """Write a run folder at `out`; handlers default to those the chains imply."""
    chains = [{**c, "release": release} for c in chains]
    handlers = handlers_of(chains) if handlers is None else handlers
    sinks = {
        (c["sink_function"], c["api_verb"], c["api_resource"]): {
            "sink_function": c["sink_function"],
            "sink_file": c["sink_file"],
            "sink_line": c["sink_line"],
            "api_verb": c["api_verb"],
            "api_resource": c["api_resource"],
            "kind": c["kind"],
            "client": "events" if c["kind"] == "event" else "typed",
            "on_chain": True,
        }
        for c in chains
    }
    sink_rows = sorted(sinks.values(), key=lambda r: (r["sink_function"], r["api_verb"], r["api_resource"]))
    sink_rows += [{"on_chain": False, "kind": "write", "client": "typed", **s} for s in extra_sinks or []]
    data: dict[str, list[dict]] = {
        "chains": chains,
        "handlers": handlers,
        "sinks": sink_rows,
        "cascades": cascade_rows(chains, handlers),
        "accesses": [
            {
                "function": c["handler"],
                "shared_state": c["shared_state"],
                "access": "write",
                "file": "pkg/controller.go",
                "line": 21,
                "via": "queue.Add",
            }
            for c in chains
        ],
        "calls": [
            {
                "caller": c["handler"],
                "callee": c["sink_function"],
                "kind": "static",
                "file": "x.go",
                "line": 1,
            }
            for c in chains
        ],
        "files": [{"file": "pkg/controller.go", "package_name": "pkg", "package": PKG, "status": "ok"}],
    }
    out_tables = {
        name: pa.Table.from_pylist(data.get(name, []), schema=schema)
        for name, schema in schemas().items()
        if name not in omit
    }
    manifest = {
        "tool": "kubetorch",
        "release": release,
        "started": started or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_tables(out, out_tables, manifest)
    return out
