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
    ]
)


def files_table(rows: Iterable[dict]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=FILES)


def file_row(
    path: str, import_path: str, sha: str, size: int, generated: bool, facts: FileFacts | None, error: str
) -> dict:
    if facts is None:
        status = (
            "unreadable"
            if error.startswith("unreadable")
            else ("binary" if error.startswith("binary") else "failed")
        )
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
    rows = []
    for qname, fi in sorted(index.funcs.items()):
        recv = None
        if fi.recv is not None:
            recv = ("*" if fi.pointer_recv else "") + fi.recv[1]
        rows.append(
            {
                "qualified_name": qname,
                "package": fi.pkg,
                "name": fi.name,
                "receiver": recv,
                "file": fi.file,
                "line": fi.line,
                "end_line": fi.end_line,
                "signature": "func" + signature_string(fi.params, fi.results, fi.variadic, fi.pkg),
                "literal": fi.literal,
                "parent": fi.parent,
            }
        )
    return pa.Table.from_pylist(rows, schema=FUNCTIONS)
