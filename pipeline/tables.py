"""The output tables: every column declared once, with its type and its description, and built from
the stages' plain data.

One declaration serves everything: the Arrow schema (each field carries its description in its
metadata, so every Parquet file documents itself: `kubetorch query OUT --describe TABLE`), the
README's table docs (`python -m pipeline.tables` prints them; tests/test_readme.py checks the
README holds exactly that text), and the row builders, which take each column from the analysis
object's attribute of the same name (or `source`). Adding a column to a table is one `Column(...)`
line when the analysis object has the attribute.

One spelling for one thing: a function is its qualified Go name (`pkg.(*T).m`) wherever it appears,
a piece of state is `pkg.Struct.field`, `pkg.var` or `pkg.Func.var` (a variable shared by a function
and its closures) in every table, and a column holding the same thing has the same name in every
table (`sink_function`, `registration_file`, `shared_state`, `package`, `file`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kubetorch.index import ProgramIndex, signature_string, type_string
from kubetorch.ir import FileFacts

DESCRIPTION = b"description"


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str
    source: str | None = None  # the analysis object's attribute, when it is named differently

    def field(self) -> pa.Field:
        return pa.field(self.name, self.type, metadata={DESCRIPTION: self.doc.encode()})


@dataclass(frozen=True)
class TableDoc:
    name: str
    doc: str
    columns: tuple[Column, ...]
    schema: pa.Schema


TABLES: dict[str, TableDoc] = {}


def struct(columns: list[Column]) -> pa.StructType:
    return pa.struct([c.field() for c in columns])


def declare(name: str, doc: str, columns: list[Column]) -> pa.Schema:
    """The schema of table `name`; its descriptions also go to the README and `--describe`."""
    schema = pa.schema([c.field() for c in columns], metadata={DESCRIPTION: doc.encode(), b"table": name})
    TABLES[name] = TableDoc(name, doc, tuple(columns), schema)
    return schema


def describe(field: pa.Field) -> str:
    """A field's description from its metadata ("" when it has none, as in an older output)."""
    return (field.metadata or {}).get(DESCRIPTION, b"").decode()


def _row(columns: Iterable[Column], obj: Any, known: dict[str, Any]) -> dict[str, Any]:
    """One row: `known` values first, then each column's attribute of `obj`."""
    return {c.name: known[c.name] if c.name in known else getattr(obj, c.source or c.name) for c in columns}


S, I32, I64, B = pa.string(), pa.int32(), pa.int64(), pa.bool_()
STRINGS = pa.list_(pa.string())

FILES = declare(
    "files",
    "One row per file discovery found, analysed or not: what happened to it.",
    [
        Column("file", S, "path relative to the tree root, '/'-separated, spelled losslessly"),
        Column("package_name", S, "the Go package name of its `package` clause"),
        Column("package", S, "import path of its folder's package (from the nearest go.mod)"),
        Column("sha", S, "blake2b-128 of the content, hex"),
        Column("lines", I32, "line count"),
        Column("bytes", I64, "size in bytes"),
        Column("generated", B, "has a `// Code generated ... DO NOT EDIT.` line"),
        Column(
            "status",
            S,
            "ok, syntax-errors, not-utf8, binary, unreadable (also a folder that cannot be listed, "
            "under its own path), skipped (not a regular file, or over --max-file-size), failed, "
            "too-complex (over a budget, see *Budgets*), partial (a declaration the extractor "
            "could not read was left out)",
        ),
        Column("error", S, "why the file is not `ok`"),
        Column("parse_errors", STRINGS, "line:column of each syntax error"),
    ],
)

PACKAGES = declare(
    "packages",
    "One row per Go package analysed.",
    [
        Column("package", S, "import path"),
        Column("name", S, "the Go package name"),
        Column("dir", S, "folder relative to the tree root"),
        Column("module", S, "module path of the go.mod it belongs to"),
        Column("files", I32, "number of files"),
        Column("lines", I32, "lines in its files"),
        Column("imports", STRINGS, "import paths it imports"),
    ],
)

TYPES = declare(
    "types",
    "One row per named type declared in the analysed code.",
    [
        Column("qualified_name", S, "`package.Name`"),
        Column("package", S, "import path"),
        Column("name", S, "the type's name"),
        Column("kind", S, "struct, interface, func, map, slice, array, chan, pointer, named, alias, other"),
        Column("file", S, "declaring file"),
        Column("line", I32, "declaring line"),
        Column("type_params", STRINGS, "generic type parameters"),
        Column("fields", STRINGS, "struct fields (`name type`) or interface methods (`Name(sig)`)"),
        Column("embeds", STRINGS, "embedded types"),
        Column("methods", STRINGS, "its declared methods"),
    ],
)

FUNCTIONS = declare(
    "functions",
    "One row per function, method and func literal.",
    [
        Column(
            "qualified_name",
            S,
            "Go-style name: `pkg.(*T).m` (pointer receiver), `pkg.T.m`, `pkg.F`, `pkg.F.func1` "
            "(first func literal in F; `func1.2` a literal nested in it; `glob.func1` at package level)",
        ),
        Column("package", S, "import path"),
        Column("name", S, "the function's own name"),
        Column("receiver", S, "receiver type, `*T` for a pointer"),
        Column("file", S, "declaring file"),
        Column("line", I32, "first line"),
        Column("end_line", I32, "last line"),
        Column("signature", S, "`func(params) results`"),
        Column("literal", B, "a func literal"),
        Column("parent", S, "for a literal: the function it is written in"),
        Column(
            "alternate",
            B,
            "a second declaration of the same function for another platform (`_windows.go`); "
            "the linux one is analysed",
        ),
    ],
)

HANDLERS = declare(
    "handlers",
    "One row per (registration, event, handler function): the informer handlers.",
    [
        Column(
            "component",
            S,
            "the controller struct owning the registration (`pkg.Struct`): the handler's receiver, "
            "the struct its closure captures, or the struct the registering function belongs to or builds",
        ),
        Column(
            "informer_resource", S, "the watched resource, `group/resource`; `*` when only known at run time"
        ),
        Column("informer_version", S, "its API version (`v1`; empty when unknown)"),
        Column("resource_candidates", STRINGS, "for `*`: the resources the code can pick from, when known"),
        Column(
            "event",
            S,
            "add, update or delete (a FilteringResourceEventHandler also runs its add/delete handlers "
            "on an update that enters/leaves the filter: such rows say so in `note`)",
        ),
        Column("handler", S, "qualified name of the function run on the event"),
        Column(
            "handler_literal",
            S,
            "`file:line` of the registered func literal when it only forwards to `handler`",
        ),
        Column("filter", S, "qualified name of the FilterFunc, if any"),
        Column("registration", S, "qualified name of the function holding the registration call"),
        Column(
            "via", S, "AddEventHandler, AddEventHandlerWithResyncPeriod, NewInformer, NewIndexerInformer, ..."
        ),
        Column("registration_file", S, "file of the registration call", source="file"),
        Column("registration_line", I32, "line of the registration call", source="line"),
        Column(
            "resolution",
            S,
            "how the resource was found: `typed informer`, `informer stored in a field`, `known only at run time`, ...",
        ),
        Column("note", S, "anything unusual"),
    ],
)

STEP_KINDS = ("register", "handle", "call", "write", "read", "enter", "return", "sink")

PATH_STEP = struct(
    [
        Column("function", S, "qualified name of the function the step is in"),
        Column("file", S, "its file"),
        Column("line", I32, "the line of the step"),
        Column(
            "step", S, "the step in words (`write queue.Add`, `read pkg.T.queue (queue.Get)`, `create pods`)"
        ),
        Column("kind", S, "register, handle, call, enter, return, write, read, sink"),
        Column("state", S, "write, read: the state written or read"),
        Column("resource", S, "register, handle: the informer's resource; sink: the API resource written"),
        Column(
            "via",
            S,
            "register: the registration call; handle: the event; write/read: the operation; sink: the verb",
        ),
        Column("snippet", S, "the source line, trimmed"),
        Column("url", S, "permalink to the line when the tree is a git checkout with a known remote"),
    ]
)

READ = struct(
    [
        Column("kind", S, "lister, get, list, ... (from kubetorch/models.toml)"),
        Column("resource", S, "the API resource read"),
        Column("function", S, "qualified name of the function on the witness that reads it"),
        Column("file", S, "its file"),
        Column("line", I32, "the line of the read"),
    ]
)

CHAINS = declare(
    "chains",
    "One row per chain: informer event -> handler -> shared state -> reader -> API write "
    "(the contract of ../shared/DESIGN.md).",
    [
        Column(
            "chain_id",
            S,
            "16 hex digits of sha1(component, informer_resource, event, handler, sink_function, api_verb, "
            "api_resource): no files or lines, so it survives edits and releases",
        ),
        Column("release", S, "the --release label (over a history: the partition's label)"),
        Column("component", S, "import path of the controller struct's package, `.`, the struct"),
        Column("informer_resource", S, "what the handler watches, `group/resource`"),
        Column("event", S, "add, update or delete"),
        Column(
            "handler",
            S,
            "the function that runs on the event (a literal that only forwards to a method is named by the method)",
        ),
        Column(
            "shared_state",
            S,
            "the state the handler writes and the reader reads: `pkg.Struct.field`, `pkg.var`, "
            "or `pkg.Func.var` for a variable shared by a function and its closures",
        ),
        Column("reader", S, "the function that reads it and starts the path to the sink"),
        Column("sink_function", S, "the function holding the API call"),
        Column("api_verb", S, "create, update, patch, delete, deletecollection, apply"),
        Column("api_resource", S, "what the call changes, `group/resource[/subresource]`"),
        Column("kind", S, "`write`, or `event` for Events recorded through an event recorder"),
        Column(
            "path",
            pa.list_(PATH_STEP),
            "the witness, one struct per step (function, file, line, step, kind, state, resource, via, "
            "snippet, url): registration, handler, the calls down to the write, the read, "
            "calls/returns/state hand-offs, the sink",
        ),
        Column(
            "reads",
            pa.list_(READ),
            "listers, caches and API reads along the witness, one struct each (kind, resource, function, file, line)",
        ),
        Column("registration_file", S, "file of the AddEventHandler call"),
        Column("registration_line", I32, "line of the AddEventHandler call"),
        Column("sink_file", S, "file of the API call"),
        Column("sink_line", I32, "line of the API call"),
        Column(
            "operation_id",
            S,
            "the OpenAPI operation of the write, as apisnoop names it (`createCoreV1NamespacedPodBinding`; "
            "update is `replace...`, apply is `patch...`); null for a resource known only at run time "
            "or not served (README, *API operations*)",
        ),
        Column(
            "endpoint",
            S,
            "`VERB path template` of that operation (`POST /api/v1/namespaces/{namespace}/pods/{name}/binding`)",
        ),
    ],
)

SINKS = declare(
    "sinks",
    "Every API write in the analysed code.",
    [
        Column("sink_function", S, "qualified name of the function holding the call"),
        Column("sink_file", S, "its file"),
        Column("sink_line", I32, "the line of the call", source="line"),
        Column("api_verb", S, "create, update, patch, delete, deletecollection, apply", source="verb"),
        Column("api_resource", S, "`group/resource[/subresource]`", source="resource"),
        Column("kind", S, "write, or event (an event recorder)"),
        Column("client", S, "typed, dynamic, metadata, rest, events, controller-runtime"),
        Column("on_chain", B, "whether any chain reaches it"),
        Column(
            "api_version",
            S,
            "the version of the client making the call (`CoreV1()` is `v1`), or for a call that names "
            "none (event recorders, REST clients) the resource's preferred served version",
        ),
        Column("operation_id", S, "the OpenAPI operation of the write, as in chains"),
        Column("endpoint", S, "`VERB path template` of that operation, as in chains"),
    ],
)

ACCESSES = declare(
    "accesses",
    "Reads and writes of non-local state, and library reads (listers, caches, API gets).",
    [
        Column("function", S, "qualified name of the function doing it"),
        Column(
            "shared_state",
            S,
            "the state: `pkg.Struct.field`, `pkg.var`, `pkg.Func.var` (the spelling of chains.shared_state); "
            "null for a library read",
        ),
        Column("access", S, "read or write"),
        Column("file", S, "its file"),
        Column("line", I32, "the line"),
        Column(
            "via",
            S,
            "the operation: `queue.Add`, `field`, `map store`, `chan send`, ...; for a library read "
            "its kind: `lister`, `get`, ...",
        ),
        Column("resource", S, "for a library read: the API resource read"),
    ],
)

CALLS = declare(
    "calls",
    "The resolved call graph.",
    [
        Column("caller", S, "qualified name of the calling function"),
        Column("callee", S, "qualified name of the function called"),
        Column("kind", S, "static, method, interface, func-field, func-value, closure, callback, go, defer"),
        Column("file", S, "file of the call"),
        Column("line", I32, "line of the call"),
    ],
)

CASCADES = declare(
    "cascades",
    "Component A has a sink on resource R and component B watches R, so A's write wakes B. "
    "create -> add, update/patch/apply and subresource writes -> update of the parent, "
    "`pods/binding` -> update, `pods/eviction` -> delete, delete -> delete.",
    [
        Column("from_component", S, "the writing component"),
        Column("sink_function", S, "its function holding the API call"),
        Column("api_verb", S, "the verb of the write"),
        Column("api_resource", S, "the resource written"),
        Column("to_component", S, "the component woken"),
        Column("informer_resource", S, "the resource its informer watches"),
        Column("event", S, "the event the write causes"),
        Column("handler", S, "the handler that runs"),
    ],
)

API_RESOURCES = declare(
    "api_resources",
    "The API resources the tree declares, with their Kind and scope: from the tree's "
    "`api/openapi-spec/swagger.json` (the `x-kubernetes-group-version-kind` of the object's own paths), "
    "or from a Go API type: a `+genclient` or kubebuilder root struct embedding TypeMeta and ObjectMeta "
    "in a `.../<group>/<version>` package, cluster-scoped with `+genclient:nonNamespaced` or "
    "`+kubebuilder:resource:scope=Cluster`, named by `+resourceName=` or the code generators' plural.",
    [
        Column("group", S, "the API group, empty for the core group"),
        Column("version", S, "the API version (`v1`, `v1beta1`)"),
        Column("resource", S, "the resource's plural name (`pods`)"),
        Column("kind", S, "its Kind (`Pod`)"),
        Column("namespaced", B, "whether its objects live in a namespace"),
        Column("source", S, "where the Kind and scope were read: `openapi` or `types`"),
    ],
)

RBAC = declare(
    "rbac",
    "Only when the tree has the RBAC bootstrap policy "
    "(`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/*.yaml`) or RBAC files are given "
    "(`--rbac`, or `rbac` in the config file): one row per (component, api_verb, api_resource) a chain "
    "writes, and one per write rule of the component's role that no chain reaches (README, *RBAC*).",
    [
        Column("component", S, "the chain's component"),
        Column("account", S, "`ServiceAccount:NS/NAME` or `User:NAME` the write is made as"),
        Column(
            "account_source", S, "where that account was found (the client builder call, models.toml, ...)"
        ),
        Column("kind", S, "`write` or `event` (a chain's write), `rule` (a write rule of the role)"),
        Column("api_verb", S, "the write's verb, or the rule's"),
        Column("api_resource", S, "the write's `group/resource[/subresource]`, or the rule's"),
        Column(
            "status",
            S,
            "`allowed`, `forbidden` (no rule allows it), `no role` (no account, or no binding names it), "
            "`unreached` (a rule no chain reaches)",
        ),
        Column("role", S, "the role whose rule allows the write, or that holds the unreached rule"),
        Column("rule", S, "that rule"),
        Column("rule_source", S, "`file:line` of the rule in the RBAC YAML"),
        Column("chain_id", S, "a chain with that write (the shortest witness; `chains OUT --explain ID`)"),
        Column("sink_function", S, "the function holding that chain's API call"),
        Column("sink_file", S, "its file"),
        Column("sink_line", I32, "the line of the API call"),
        Column(
            "note",
            S,
            "conditions of an allowed write (`only for names [...]`, `namespace kube-system`, some "
            "resources of a run-time `*`) or why there is no role",
        ),
    ],
)


def columns_of(schema: pa.Schema) -> tuple[Column, ...]:
    return next(t.columns for t in TABLES.values() if t.schema is schema)


# ---------------------------------------------------------------- source-level tables


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
        "file": path,
        "package_name": facts.package if facts is not None else None,
        "package": import_path,
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
                "package": path,
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


# ---------------------------------------------------------------- state names


def location_name(loc: tuple, program=None) -> str:
    """The one spelling of a piece of state: `pkg.Struct.field`, `pkg.var`, `pkg.Func.var`."""
    if loc[0] == "G":
        return f"{loc[1]}.{loc[2]}"
    if loc[0] == "V":
        return f"{loc[1]}.{_var_name(loc, program)}"
    return f"{loc[0][0]}.{loc[0][1]}.{loc[1]}"


def _var_name(loc: tuple, program) -> str:
    fs = program.functions.get(loc[1]) if program is not None else None
    return fs.var_names.get(loc[2], f"v{loc[2]}") if fs is not None else f"v{loc[2]}"


def _short_location(loc: tuple, program) -> str:
    """The spelling kubetorch.compose gives a chain's shared state (without the import path)."""
    if loc[0] == "G":
        return f"{loc[1].rsplit('/', 1)[-1]}.{loc[2]}"
    if loc[0] == "V":
        return f"{loc[1].rsplit('/', 1)[-1]}.{_var_name(loc, program)}"
    return f"{loc[0][1]}.{loc[1]}"


def _is_location(loc: Any) -> bool:
    return isinstance(loc, tuple) and len(loc) >= 2 and (loc[0] in ("G", "V") or isinstance(loc[0], tuple))


class StateNames:
    """Qualifies the state names compose gives chains (`Controller.queue`, a name eleven components
    of Kubernetes share) with the locations the program can name that way: the fields of structs
    so named, package variables, variables shared with closures, and every location accessed.
    Several candidates are narrowed to those the chain's own functions touch (or alias), then to a
    field of the component's own struct, then to the packages of the chain's functions."""

    def __init__(self, program) -> None:
        self.program = program
        self.canon: Callable[[tuple], Any] = program.locations.find
        self.touched: dict[str, set[tuple]] = {}
        self.by_short: dict[str, set[tuple]] = {}
        for qname, fs in program.functions.items():
            locs = {a.loc for a in fs.accesses if a.loc is not None and _is_location(a.loc)}
            self.touched[qname] = locs
            for loc in locs:
                self.by_short.setdefault(_short_location(loc, program), set()).add(loc)
        for pair in program.locations.parent.items():
            for loc in pair:
                if _is_location(loc):
                    self.by_short.setdefault(_short_location(loc, program), set()).add(loc)
        self.structs: dict[str, list[tuple[str, set[str]]]] = {}
        for (pkg, name), info in program.index.types.items():
            if info.type and info.type[0] == "st":
                self.structs.setdefault(name, []).append((pkg, {f[0] for f in info.type[1]}))
        self.globals: dict[tuple[str, str], list[str]] = {}
        for pkg, name in program.index.values:
            self.globals.setdefault((pkg.rsplit("/", 1)[-1], name), []).append(pkg)
        self.closures: dict[str, list[str]] = {}
        for qname, fs in program.functions.items():
            if fs.var_names:
                self.closures.setdefault(qname.rsplit("/", 1)[-1], []).append(qname)

    def candidates(self, short: str) -> set[tuple]:
        found = set(self.by_short.get(short, ()))
        head, _, last = short.rpartition(".")
        for pkg, fields in self.structs.get(head, ()):
            if last in fields:
                found.add(((pkg, head), last))
        for pkg in self.globals.get((head, last), ()):
            found.add(("G", pkg, last))
        for qname in self.closures.get(head, ()):
            fs = self.program.functions[qname]
            found |= {("V", qname, uid) for uid, name in fs.var_names.items() if name == last}
        return found

    def qualify(self, short: str, functions: Iterable[str], component: str) -> str:
        functions = list(functions)
        candidates = self.candidates(short)
        if len(candidates) > 1:
            touched = {loc for f in functions for loc in self.touched.get(f, ())}
            classes = {self.canon(loc) for loc in touched}
            near = {c for c in candidates if c in touched or self.canon(c) in classes}
            candidates = near or candidates
        if len(candidates) > 1:
            pkg, _, struct_name = component.rpartition(".")
            own = {c for c in candidates if c[0] == (pkg, struct_name)}
            candidates = own or candidates
        if len(candidates) > 1:
            packages = {_package_of(f) for f in [component, *functions]}
            local = {c for c in candidates if _package_of(location_name(c, self.program)) in packages}
            candidates = local or candidates
        if not candidates:
            return short
        return location_name(sorted(candidates, key=repr)[0], self.program)

    def at(self, function: str, line: int, mode: str, via: str | None = None) -> str | None:
        """The state `function` reads or writes at `line` (through `via`, when given)."""
        fs = self.program.functions.get(function)
        for a in fs.accesses if fs is not None else ():
            if a.line == line and a.mode == mode and a.loc is not None and (via is None or a.via == via):
                return location_name(a.loc, self.program)
        return None


def _package_of(name: str) -> str:
    """The import path of a qualified name: everything before the first `.` after the last `/`."""
    head, slash, tail = name.rpartition("/")
    return head + slash + tail.split(".", 1)[0]


# ---------------------------------------------------------------- collector and tracker tables


def handlers_table(handlers) -> pa.Table:
    """HandlerRows (kubetorch.collect): every column is the row's attribute of that name (or source)."""
    columns = columns_of(HANDLERS)
    return pa.Table.from_pylist([_row(columns, h, {}) for h in handlers], schema=HANDLERS)


_READ_STEP = re.compile(r"read (?P<state>\S+) \((?P<via>.*)\)")
SnippetOf = Callable[[str, int], str | None]


def step_row(step, chain, state: str, names: StateNames | None, snippet: SnippetOf) -> dict[str, Any]:
    """A compose Step as a structured row: its words parsed into kind, state, resource and via
    (`state` is the chain's qualified shared state; an unknown wording is kind `other`)."""
    text = step.step or ""
    head, _, rest = text.partition(" ")
    row = {"function": step.function, "file": step.file, "line": step.line, "step": text}
    row.update(
        kind="other", state=None, resource=None, via=None, snippet=snippet(step.file, step.line), url=None
    )
    read = _READ_STEP.fullmatch(text)
    if head in ("register", "handle"):
        row.update(kind=head, resource=chain.informer_resource, via=rest)
    elif text in ("call", "enter"):
        row.update(kind=text)
    elif text == "return to":
        row.update(kind="return")
    elif text == f"{chain.api_verb} {chain.api_resource}":
        row.update(kind="sink", resource=chain.api_resource, via=chain.api_verb)
    elif head == "write":
        written = names.at(step.function, step.line, "write", rest) if names else None
        row.update(kind="write", state=written or state, via=rest)
    elif read is not None:
        row.update(kind="read", state=state, via=read["via"], step=f"read {state} ({read['via']})")
    elif text == "read state":
        row.update(kind="read", state=names.at(step.function, step.line, "read") if names else None)
    return row


def read_rows(chain, program) -> list[dict[str, Any]]:
    """compose's `reads` ("lister pods") as structs, each with the first witness function doing it."""
    functions = program.functions if program is not None else {}
    out = []
    for what in chain.reads:
        kind, _, resource = what.partition(" ")
        where = next(
            (
                (st.function, fs.file, r.line)
                for st in chain.path
                if (fs := functions.get(st.function)) is not None
                for r in fs.reads
                if r.what == what
            ),
            (None, None, None),
        )
        out.append(dict(zip(("kind", "resource", "function", "file", "line"), (kind, resource, *where))))
    return out


def _no_snippet(file: str, line: int) -> str | None:
    return None


def _endpoint_columns(resolution) -> dict[str, Any]:
    """operation_id and endpoint of a pipeline.apiops.Resolution (null when it has none)."""
    ep = resolution.endpoint if resolution is not None else None
    return {"operation_id": ep.operation_id if ep else None, "endpoint": ep.text if ep else None}


def chains_table(
    chains, release: str, program=None, snippet: SnippetOf = _no_snippet, endpoints: dict | None = None
) -> pa.Table:
    """ChainRows (kubetorch.compose) with the run's release: state names qualified, path steps and
    reads as structs, the operation of the write from `endpoints` (pipeline.apiops.sink_endpoints,
    keyed (sink_function, sink_line, verb, resource)); every other column is the row's attribute of
    the same name."""
    names = StateNames(program) if program is not None else None
    endpoints = endpoints or {}
    columns = columns_of(CHAINS)
    rows = []
    for c in chains:
        functions = [c.handler, c.reader, *(s.function for s in c.path)]
        state = names.qualify(c.shared_state, functions, c.component) if names else c.shared_state
        known = {
            "release": release,
            "shared_state": state,
            "path": [step_row(s, c, state, names, snippet) for s in c.path],
            "reads": read_rows(c, program),
            **_endpoint_columns(endpoints.get((c.sink_function, c.sink_line, c.api_verb, c.api_resource))),
        }
        rows.append(_row(columns, c, known))
    return pa.Table.from_pylist(rows, schema=CHAINS)


def link_steps(chains: pa.Table, url_of: Callable[[str, int], str | None]) -> pa.Table:
    """The chains with each step's `url` set by url_of(file, line) (permalinks depend on the
    checkout's commit and remote, not on the files, so a reused run gets this run's links)."""
    rows = chains.to_pylist()
    for row in rows:
        for step in row["path"] or []:
            step["url"] = url_of(step["file"], step["line"]) if step.get("file") else None
    return pa.Table.from_pylist(rows, schema=chains.schema)


def sinks_table(program, on_chain: set, endpoints: dict | None = None) -> pa.Table:
    """Each SinkCall of every function: its attributes (or `source`), with the function's name and
    file and the operation of the write from `endpoints` (as in chains_table)."""
    columns = columns_of(SINKS)
    endpoints = endpoints or {}
    rows = []
    for qname, fs in sorted(program.functions.items()):
        for k, s in enumerate(fs.sinks):
            resolution = endpoints.get((qname, s.line, s.verb, s.resource))
            known = {
                "sink_function": qname,
                "sink_file": fs.file,
                "on_chain": (qname, k) in on_chain,
                "api_version": (resolution.version if resolution is not None else s.version) or None,
                **_endpoint_columns(resolution),
            }
            rows.append(_row(columns, s, known))
    return pa.Table.from_pylist(rows, schema=SINKS)


def accesses_table(program) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in ACCESSES.names}

    def add(function: str, state: str | None, access: str, file: str, line: int, via: str, resource) -> None:
        for name, value in zip(ACCESSES.names, (function, state, access, file, line, via, resource)):
            cols[name].append(value)

    for qname, fs in sorted(program.functions.items()):
        for a in fs.accesses:
            if a.loc is not None:
                add(qname, location_name(a.loc, program), a.mode, fs.file, a.line, a.via, None)
        for r in fs.reads:
            kind, _, resource = r.what.partition(" ")
            add(qname, None, "read", fs.file, r.line, kind, resource)
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


def api_resources_table(catalog) -> pa.Table:
    """The resources of a pipeline.apiops.ApiCatalog (each column its attribute), sorted."""
    columns = columns_of(API_RESOURCES)
    rows = [_row(columns, r, {}) for _, r in sorted(catalog.resources.items())]
    return pa.Table.from_pylist(rows, schema=API_RESOURCES)


def rbac_table(rows: list[dict]) -> pa.Table:
    """pipeline.rbac rows: every column of RBAC, by name."""
    return pa.Table.from_pylist([{n: r.get(n) for n in RBAC.names} for r in rows], schema=RBAC)


# ---------------------------------------------------------------- documentation


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_list(t):
        inner = t.value_type
        if pa.types.is_struct(inner):
            return "list<struct>"
        return f"list<{_type_name(inner)}>"
    return {"int32": "int32", "int64": "int64", "bool": "bool", "string": "string"}.get(str(t), str(t))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The README's table docs, from the declarations above."""
    out = []
    for t in TABLES.values():
        out += [f"**{t.name}**: {t.doc}", "", "| column | type | meaning |", "|---|---|---|"]
        for c in t.columns:
            out.append(f"| {c.name} | {_type_name(c.type)} | {_cell(c.doc)} |")
            inner = c.type.value_type if pa.types.is_list(c.type) else None
            if inner is not None and pa.types.is_struct(inner):
                for f in inner:
                    out.append(f"| {c.name}[].{f.name} | {_type_name(f.type)} | {_cell(describe(f))} |")
        out.append("")
    return "\n".join(out)
