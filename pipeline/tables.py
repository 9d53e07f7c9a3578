"""Arrow schemas of the output tables and their construction from the stages' plain data.

Every column is documented in README.md ("Output tables"); keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from kubetorch.index import ProgramIndex, signature_string, type_string
from kubetorch.ir import FileFacts

FILES = pa.schema(
    [
        ("path", pa.string()),
        ("package", pa.string()),
        ("import_path", pa.string()),
        ("sha", pa.string()),
        ("lines", pa.int32()),
        ("bytes", pa.int64()),
        ("generated", pa.bool_()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("parse_errors", pa.list_(pa.string())),
    ]
)

PACKAGES = pa.schema(
    [
        ("import_path", pa.string()),
        ("name", pa.string()),
        ("dir", pa.string()),
        ("module", pa.string()),
        ("files", pa.int32()),
        ("lines", pa.int32()),
        ("imports", pa.list_(pa.string())),
    ]
)

TYPES = pa.schema(
    [
        ("qualified_name", pa.string()),
        ("package", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("file", pa.string()),
        ("line", pa.int32()),
        ("type_params", pa.list_(pa.string())),
        ("fields", pa.list_(pa.string())),
        ("embeds", pa.list_(pa.string())),
        ("methods", pa.list_(pa.string())),
    ]
)

FUNCTIONS = pa.schema(
    [
        ("qualified_name", pa.string()),
        ("package", pa.string()),
        ("name", pa.string()),
        ("receiver", pa.string()),
        ("file", pa.string()),
        ("line", pa.int32()),
        ("end_line", pa.int32()),
        ("signature", pa.string()),
        ("literal", pa.bool_()),
        ("parent", pa.string()),
        ("alternate", pa.bool_()),
    ]
)


def files_table(rows: Iterable[dict]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=FILES)


def skipped_message(facts: FileFacts) -> str:
    """One line for the parts of a file extraction left out (too deep, unreadable declarations)."""
    complex_ = any("nested more than" in note for note in facts.skipped)
    head = "too complex, partly analysed" if complex_ else "partly analysed"
    return f"{head}: {'; '.join(facts.skipped[:3])}{' ...' if len(facts.skipped) > 3 else ''}"


def file_row(
    path: str, import_path: str, sha: str, size: int, generated: bool, facts: FileFacts | None, error: str
) -> dict:
    if facts is not None and facts.skipped and not error:
        error = skipped_message(facts)
    if "too complex" in error:
        status = "too-complex"
    elif facts is None:
        status = next(
            (s for s in ("unreadable", "binary", "skipped") if error.startswith(s)),
            "failed",
        )
    elif error.startswith("partly analysed"):
        status = "partial"
    elif error:
        status = "not-utf8" if "UTF-8" in error else "failed"
    elif facts.errors:
        status = "syntax-errors"
    else:
        status = "ok"
    return {
        "path": path,
        "package": facts.package if facts is not None else None,
        "import_path": import_path,
        "sha": sha,
        "lines": facts.lines if facts is not None else None,
        "bytes": size,
        "generated": generated,
        "status": status,
        "error": error or None,
        "parse_errors": list(facts.errors) if facts is not None else [],
    }


def packages_table(index: ProgramIndex, modules_of: dict[str, str], lines_of: dict[str, int]) -> pa.Table:
    rows = []
    for path, info in sorted(index.packages.items()):
        rows.append(
            {
                "import_path": path,
                "name": info.name,
                "dir": info.dir,
                "module": modules_of.get(path),
                "files": len(info.files),
                "lines": sum(lines_of.get(f, 0) for f in info.files),
                "imports": sorted(info.imports),
            }
        )
    return pa.Table.from_pylist(rows, schema=PACKAGES)


def _type_kind(t: tuple, alias: bool) -> str:
    if alias:
        return "alias"
    return {
        "st": "struct",
        "i": "interface",
        "f": "func",
        "m": "map",
        "s": "slice",
        "a": "array",
        "c": "chan",
        "p": "pointer",
    }.get(t[0], "named" if t[0] == "n" else "other")


def types_table(index: ProgramIndex) -> pa.Table:
    rows = []
    for (pkg, name), info in sorted(index.types.items()):
        t = info.type
        fields: list[str] = []
        embeds: list[str] = []
        if t[0] == "st":
            for fname, ftype, emb in t[1]:
                (embeds if emb else fields).append(
                    type_string(ftype, pkg) if emb else f"{fname} {type_string(ftype, pkg)}"
                )
        elif t[0] == "i":
            fields = [m + signature_string(sig[1], sig[2], sig[3], pkg) for m, sig in t[1] if sig[0] == "f"]
            embeds = [type_string(e, pkg) for e in t[2]]
        rows.append(
            {
                "qualified_name": f"{pkg}.{name}",
                "package": pkg,
                "name": name,
                "kind": _type_kind(t, info.alias),
                "file": info.file,
                "line": info.line,
                "type_params": list(info.type_params),
                "fields": fields,
                "embeds": embeds,
                "methods": sorted(index.methods.get((pkg, name), {})),
            }
        )
    return pa.Table.from_pylist(rows, schema=TYPES)


def functions_table(index: ProgramIndex) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in FUNCTIONS.names}
    entries = [(fi, False) for fi in index.funcs.values()] + [(fi, True) for fi in index.alternates]
    for fi, alternate in sorted(entries, key=lambda e: (e[0].qname, e[1], e[0].file)):
        cols["qualified_name"].append(fi.qname)
        cols["package"].append(fi.pkg)
        cols["name"].append(fi.name)
        cols["receiver"].append(
            (("*" if fi.pointer_recv else "") + fi.recv[1]) if fi.recv is not None else None
        )
        cols["file"].append(fi.file)
        cols["line"].append(fi.line)
        cols["end_line"].append(fi.end_line)
        cols["signature"].append("func" + signature_string(fi.params, fi.results, fi.variadic, fi.pkg))
        cols["literal"].append(fi.literal)
        cols["parent"].append(fi.parent)
        cols["alternate"].append(alternate)
    return pa.Table.from_pydict(cols, schema=FUNCTIONS)


# ---------------------------------------------------------------- collector and tracker tables

HANDLERS = pa.schema(
    [
        ("component", pa.string()),  # import path of the owning package "." controller struct
        (
            "informer_resource",
            pa.string(),
        ),  # group/resource, core group empty; "*" when only known at run time
        ("informer_version", pa.string()),  # v1, v1beta1, ... ("" when unknown)
        ("resource_candidates", pa.list_(pa.string())),  # for "*": the resources the code can pick from
        ("event", pa.string()),  # add | update | delete
        ("handler", pa.string()),  # qualified name of the function that runs on the event
        (
            "handler_literal",
            pa.string(),
        ),  # "file:line" of the registered func literal when it only forwards to `handler`
        ("filter", pa.string()),  # FilterFunc of a FilteringResourceEventHandler (qualified name), or null
        ("registration", pa.string()),  # qualified name of the function containing the registration
        ("via", pa.string()),  # AddEventHandler, AddEventHandlerWithResyncPeriod, NewInformer, ...
        ("file", pa.string()),  # registration call site
        ("line", pa.int32()),
        ("resolution", pa.string()),  # how informer_resource was found
        ("note", pa.string()),
    ]
)

PATH_STEP = pa.struct(
    [("function", pa.string()), ("file", pa.string()), ("line", pa.int32()), ("step", pa.string())]
)

CHAINS = pa.schema(
    [
        ("chain_id", pa.string()),
        ("release", pa.string()),
        ("component", pa.string()),
        ("informer_resource", pa.string()),
        ("event", pa.string()),
        ("handler", pa.string()),
        ("shared_state", pa.string()),
        ("reader", pa.string()),
        ("sink_function", pa.string()),
        ("api_verb", pa.string()),
        ("api_resource", pa.string()),
        ("kind", pa.string()),
        ("path", pa.list_(PATH_STEP)),
        ("reads", pa.list_(pa.string())),  # listers / caches read along the witness path ("lister pods", ...)
        ("registration_file", pa.string()),
        ("registration_line", pa.int32()),
        ("sink_file", pa.string()),
        ("sink_line", pa.int32()),
        ("operation_id", pa.string()),  # the sink's OpenAPI operation (createCoreV1NamespacedPodBinding)
        ("endpoint", pa.string()),  # "VERB path template" of that operation
    ]
)

SINKS = pa.schema(
    [
        ("function", pa.string()),
        ("file", pa.string()),
        ("line", pa.int32()),
        ("api_verb", pa.string()),
        ("api_resource", pa.string()),
        ("kind", pa.string()),  # write | event
        ("client", pa.string()),  # typed | dynamic | metadata | rest | events | controller-runtime
        ("on_chain", pa.bool_()),
        ("api_version", pa.string()),  # the client's API version (v1), or the resource's preferred one
        ("operation_id", pa.string()),
        ("endpoint", pa.string()),
    ]
)

ACCESSES = pa.schema(
    [
        ("function", pa.string()),
        ("location", pa.string()),  # Type.field, pkg.var, or "lister <resource>"
        ("access", pa.string()),  # read | write
        ("file", pa.string()),
        ("line", pa.int32()),
        ("via", pa.string()),  # the operation: queue.Add, map store, channel send, field assignment, ...
    ]
)

CALLS = pa.schema(
    [
        ("caller", pa.string()),
        ("callee", pa.string()),
        (
            "kind",
            pa.string(),
        ),  # static | method | interface | func-field | func-value | closure | callback | go | defer
        ("file", pa.string()),
        ("line", pa.int32()),
    ]
)

RBAC = pa.schema(
    [
        ("component", pa.string()),
        ("account", pa.string()),  # ServiceAccount:NS/NAME or User:NAME the writes are made as
        ("account_source", pa.string()),  # where the account was found (the client builder call)
        ("kind", pa.string()),  # write | event (a chain's write) | rule (a write rule of the role)
        ("api_verb", pa.string()),
        ("api_resource", pa.string()),
        ("status", pa.string()),  # allowed | forbidden | no role | unreached
        ("role", pa.string()),  # the role whose rule allows the write, or that holds the rule
        ("rule", pa.string()),
        ("rule_source", pa.string()),  # file:line of the rule in the RBAC YAML
        ("chain_id", pa.string()),  # a chain with that write (the shortest witness)
        ("sink_function", pa.string()),
        ("sink_file", pa.string()),
        ("sink_line", pa.int32()),
        ("note", pa.string()),
    ]
)

CASCADES = pa.schema(
    [
        ("from_component", pa.string()),
        ("sink_function", pa.string()),
        ("api_verb", pa.string()),
        ("api_resource", pa.string()),
        ("to_component", pa.string()),
        ("informer_resource", pa.string()),
        ("event", pa.string()),
        ("handler", pa.string()),
    ]
)


API_RESOURCES = pa.schema(
    [
        ("group", pa.string()),  # "" for the core group
        ("version", pa.string()),
        ("resource", pa.string()),
        ("kind", pa.string()),
        ("namespaced", pa.bool_()),
        ("source", pa.string()),  # openapi | types
    ]
)


def api_resources_table(catalog) -> pa.Table:
    """The resources of a pipeline.apiops.ApiCatalog with their Kind and scope, sorted."""
    rows = [
        {
            "group": r.group,
            "version": r.version,
            "resource": r.resource,
            "kind": r.kind,
            "namespaced": r.namespaced,
            "source": r.source,
        }
        for _, r in sorted(catalog.resources.items())
    ]
    return pa.Table.from_pylist(rows, schema=API_RESOURCES)


def handlers_table(handlers) -> pa.Table:
    """HandlerRows (kubetorch.collect): every column is the row's field of the same name."""
    rows = [{name: getattr(h, name) for name in HANDLERS.names} for h in handlers]
    return pa.Table.from_pylist(rows, schema=HANDLERS)


def _endpoint_columns(resolution) -> dict:
    """operation_id and endpoint of a pipeline.apiops.Resolution (null when it has none)."""
    ep = resolution.endpoint if resolution is not None else None
    return {"operation_id": ep.operation_id if ep else None, "endpoint": ep.text if ep else None}


def chains_table(chains, release: str, endpoints: dict | None = None) -> pa.Table:
    """ChainRows (kubetorch.compose) with the run's release; path steps become structs.
    `endpoints`: pipeline.apiops.sink_endpoints, keyed (sink_function, sink_line, verb, resource)."""
    endpoints = endpoints or {}
    plain = [n for n in CHAINS.names if n not in ("release", "path", "operation_id", "endpoint")]
    rows = [
        {
            **{name: getattr(c, name) for name in plain},
            "release": release,
            "path": [
                {"function": s.function, "file": s.file, "line": s.line, "step": s.step} for s in c.path
            ],
            **_endpoint_columns(endpoints.get((c.sink_function, c.sink_line, c.api_verb, c.api_resource))),
        }
        for c in chains
    ]
    return pa.Table.from_pylist(rows, schema=CHAINS)


def sinks_table(program, on_chain: set, endpoints: dict | None = None) -> pa.Table:
    endpoints = endpoints or {}
    rows = []
    for qname, fs in sorted(program.functions.items()):
        for k, s in enumerate(fs.sinks):
            resolution = endpoints.get((qname, s.line, s.verb, s.resource))
            rows.append(
                {
                    "function": qname,
                    "file": fs.file,
                    "line": s.line,
                    "api_verb": s.verb,
                    "api_resource": s.resource,
                    "kind": s.kind,
                    "client": s.client,
                    "on_chain": (qname, k) in on_chain,
                    "api_version": (resolution.version if resolution is not None else s.version) or None,
                    **_endpoint_columns(resolution),
                }
            )
    return pa.Table.from_pylist(rows, schema=SINKS)


def _location_name(loc) -> str:
    if loc[0] == "G":
        return f"{loc[1]}.{loc[2]}"
    if loc[0] == "V":
        return f"{loc[1]}#{loc[2]}"
    return f"{loc[0][0]}.{loc[0][1]}.{loc[1]}"


def accesses_table(program) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in ACCESSES.names}

    def add(function: str, location: str, access: str, file: str, line: int, via: str) -> None:
        cols["function"].append(function)
        cols["location"].append(location)
        cols["access"].append(access)
        cols["file"].append(file)
        cols["line"].append(line)
        cols["via"].append(via)

    for qname, fs in sorted(program.functions.items()):
        for a in fs.accesses:
            if a.loc is not None:
                add(qname, _location_name(a.loc), a.mode, fs.file, a.line, a.via)
        for r in fs.reads:
            add(qname, r.what, "read", fs.file, r.line, "library read")
    return pa.Table.from_pydict(cols, schema=ACCESSES)


def calls_table(program) -> pa.Table:
    cols: dict[str, list] = {"caller": [], "callee": [], "kind": [], "file": [], "line": []}
    for caller, callee, kind, file, line in program.edges():
        cols["caller"].append(caller)
        cols["callee"].append(callee)
        cols["kind"].append(kind)
        cols["file"].append(file)
        cols["line"].append(line)
    return pa.Table.from_pydict(cols, schema=CALLS)


def cascades_table(chains, handlers) -> pa.Table:
    """kubetorch.cascades over the run's ChainRows and HandlerRows, given the fields it reads."""
    from kubetorch.cascades import cascade_rows

    chain_fields = ("component", "sink_function", "api_verb", "api_resource", "kind")
    handler_fields = ("component", "informer_resource", "resource_candidates", "event", "handler")
    return pa.Table.from_pylist(
        cascade_rows(
            [{k: getattr(c, k) for k in chain_fields} for c in chains],
            [{k: getattr(h, k) for k in handler_fields} for h in handlers],
        ),
        schema=CASCADES,
    )


def rbac_table(rows: list[dict]) -> pa.Table:
    """pipeline.rbac rows: every column of RBAC, by name."""
    return pa.Table.from_pylist([{n: r.get(n) for n in RBAC.names} for r in rows], schema=RBAC)
