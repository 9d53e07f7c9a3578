"""index: every file's declarations merged into one program index.

Names are resolved here once: a type written `v1.Pod` in a file that imports
`v1 "k8s.io/api/core/v1"` becomes ('n', 'k8s.io/api/core/v1', 'Pod', ()). After that every
later stage speaks in canonical types (the TypeExpr shapes of kubetorch.ir, with a package path
in place of the qualifier, and ('tp', name) for type parameters). Like the IR they are tagged
tuples, for the same reason (there are millions of them, hashed and compared all the time), and
code takes them apart with `match` or unpacking, never by position.

The index holds declarations only (types, signatures, package-level values), never function
bodies: it is what every per-package task needs, so it must stay small enough to ship to workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from kubetorch.ir import UNKNOWN_TYPE, FileFacts, Func, TypeExpr
from kubetorch.summary import CanonType, FieldLoc, TypeKey

BUILTIN_TYPES = frozenset(
    [
        "bool",
        "byte",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "any",
        "comparable",
    ]
)
BUILTIN_FUNCS = frozenset(
    [
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    ]
)


_UNKNOWN = object()  # a memo's "not computed yet"


class FieldInfo(NamedTuple):
    """A field found on a type: its type, the embedded fields walked to it, the struct declaring it
    (None for a field of an anonymous struct type)."""

    type: CanonType
    embedded: tuple[str, ...]
    owner: TypeKey | None


class MethodInfo(NamedTuple):
    """A method found on a type: its qname and the embedded fields walked to it; qname None when it
    is promoted from an embedded interface `iface` (the caller dispatches)."""

    qname: str | None
    embedded: tuple[str, ...]
    iface: CanonType | None = None


class MethodEntry(NamedTuple):
    """One method of a method set: its qname (None: from an embedded interface), and whether it is
    declared on the pointer receiver."""

    qname: str | None
    pointer: bool


def named_key(t: CanonType | None) -> TypeKey | None:
    """(package, name) of a named type, under any pointers; None for anything else."""
    while True:
        match t:
            case ("n", pkg, name, _targs):
                return (pkg, name)
            case ("p", elem):
                t = elem
            case _:
                return None


def guess_package_names(import_path: str) -> tuple[str, ...]:
    """Names an unaliased import of a package outside the tree may be referred to by.

    `k8s.io/klog/v2` is klog, `gopkg.in/yaml.v2` is yaml, `github.com/evanphx/json-patch` is
    jsonpatch, `github.com/go-logr/logr` is logr: the go command's own conventions.
    """
    parts = import_path.split("/")
    last = parts[-1]
    if len(parts) > 1 and last.startswith("v") and last[1:].isdigit():
        last = parts[-2]
    names = {last}
    base = last.split(".")[0]
    names.add(base)
    for n in list(names):
        names.add(n.replace("-", "").replace("_", ""))
        if n.startswith("go-"):
            names.add(n[3:])
        if n.endswith("-go"):
            names.add(n[:-3])
    return tuple(sorted(names))


@dataclass(slots=True)
class FileCtx:
    """What resolving a name inside one file needs: its package and its import names."""

    path: str
    pkg: str
    imports: dict[str, str]  # name used in code -> import path
    dot_imports: tuple[str, ...] = ()


@dataclass(slots=True)
class TypeInfo:
    key: TypeKey
    type: tuple  # canonical underlying type expression
    file: str
    line: int
    type_params: tuple[str, ...] = ()
    alias: bool = False


@dataclass(slots=True)
class FuncInfo:
    """A function, method or func literal: its qualified name and canonical signature."""

    qname: str
    pkg: str
    name: str
    file: str
    line: int
    end_line: int
    recv: TypeKey | None = None
    pointer_recv: bool = False
    params: tuple = ()  # canonical types
    results: tuple = ()
    variadic: bool = False
    type_params: tuple[str, ...] = ()
    literal: bool = False
    parent: str | None = None  # enclosing function's qname for literals


@dataclass(slots=True)
class ValueInfo:
    pkg: str
    name: str
    type: tuple | None
    file: str
    line: int
    const: bool
    string: str | None = None  # the value when it is a string literal
    fields: dict[str, str] | None = None  # keyed string fields of a composite literal value (GVRs)
    init: tuple | None = None  # canonical type of a composite literal or &T{} initializer


@dataclass(slots=True)
class PackageInfo:
    path: str
    name: str
    dir: str
    files: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)


def type_name(key: TypeKey) -> str:
    """A named type's qualified name, `pkg.Name` (also a controller struct's component)."""
    pkg, name = key
    return f"{pkg}.{name}"


def func_qname(pkg: str, fn: Func) -> str:
    return f"{pkg}.{fn.outer or fn.name}"


def receiver_key(recv_type: TypeExpr) -> tuple[str, bool]:
    """('p', ('n', '', 'T', ())) -> ('T', True): the receiver's type name, and whether a pointer."""
    match recv_type:
        case ("p", ("n", _qual, name, _targs)):
            return name, True
        case ("p", _):
            return "?", True
        case ("n", _qual, name, _targs):
            return name, False
    return "?", False


class ProgramIndex:
    """Declarations of the whole program with fast lookups for the analyses."""

    def __init__(self) -> None:
        self.packages: dict[str, PackageInfo] = {}
        self.files: dict[str, FileCtx] = {}
        self.types: dict[TypeKey, TypeInfo] = {}
        self.funcs: dict[str, FuncInfo] = {}
        self.methods: dict[TypeKey, dict[str, str]] = {}  # type -> method name -> qname
        self.values: dict[TypeKey, ValueInfo] = {}
        self.package_names: dict[str, str] = {}  # import path -> declared package name
        self.primary_files: set[str] = set()  # files that build on linux
        self.alternates: list[FuncInfo] = []  # same-named declarations for other platforms
        self._method_names: dict[str, set[TypeKey]] | None = None
        self._promoted: dict[TypeKey, dict[str, MethodEntry]] = {}
        self._iface_cache: dict[TypeKey, dict[str, tuple] | None] = {}
        self._impl_cache: dict[TypeKey, tuple[TypeKey, ...]] = {}
        # field lookups, memoized (the index does not change once built)
        self._field_cache: dict[tuple[CanonType, str], FieldInfo | None] = {}

    # ---------------------------------------------------------------- building
    def file_ctx(self, path: str, pkg: str, imports) -> FileCtx:
        names: dict[str, str] = {}
        dots: list[str] = []
        for alias, ipath in imports:
            if alias == "_":
                continue
            if alias == ".":
                dots.append(ipath)
                continue
            if alias:
                names[alias] = ipath
                continue
            real = self.package_names.get(ipath)
            if real:
                names[real] = ipath
            else:
                for n in guess_package_names(ipath):
                    names.setdefault(n, ipath)
        return FileCtx(path, pkg, names, tuple(dots))

    def resolve_type(self, t, ctx: FileCtx, tparams: tuple[str, ...] = ()) -> tuple:
        """Qualifier-form TypeExpr (from extract) -> canonical TypeExpr."""
        if t is None:
            return UNKNOWN_TYPE
        match t:
            case ("n", qual, name, targs):
                rargs = tuple(self.resolve_type(a, ctx, tparams) for a in targs) if targs else ()
                if qual == "":
                    if name in tparams:
                        return ("tp", name)
                    if (ctx.pkg, name) in self.types:
                        return ("n", ctx.pkg, name, rargs)
                    if name in BUILTIN_TYPES:
                        return ("n", "", name, ())
                    for dp in ctx.dot_imports:
                        if (dp, name) in self.types:
                            return ("n", dp, name, rargs)
                    return ("n", ctx.pkg, name, rargs)
                path = ctx.imports.get(qual)
                return ("n", path if path is not None else qual, name, rargs)
            case ("p" | "s" | "a" as tag, elem):
                return (tag, self.resolve_type(elem, ctx, tparams))
            case ("m", key, value):
                return ("m", self.resolve_type(key, ctx, tparams), self.resolve_type(value, ctx, tparams))
            case ("c", elem, direction):
                return ("c", self.resolve_type(elem, ctx, tparams), direction)
            case ("f", params, results, variadic):
                return (
                    "f",
                    tuple(self.resolve_type(p, ctx, tparams) for p in params),
                    tuple(self.resolve_type(r, ctx, tparams) for r in results),
                    variadic,
                )
            case ("st", fields):
                return ("st", tuple((n, self.resolve_type(ft, ctx, tparams), emb) for n, ft, emb in fields))
            case ("i", methods, embeds):
                return (
                    "i",
                    tuple((n, self.resolve_type(sig, ctx, tparams)) for n, sig in methods),
                    tuple(self.resolve_type(e, ctx, tparams) for e in embeds),
                )
        return t

    # ---------------------------------------------------------------- lookups
    def underlying(self, t: tuple, depth: int = 0) -> tuple:
        """Follow named types (and aliases) to their underlying type expression."""
        while depth < 20:
            match t:
                case ("n", pkg, name, targs):
                    info = self.types.get((pkg, name))
                    if info is None:
                        return t
                    nt = info.type
                    if targs and info.type_params:
                        nt = substitute(nt, dict(zip(info.type_params, targs)))
                    t = nt
                    depth += 1
                case _:
                    return t
        return t

    def is_interface(self, t: CanonType) -> bool:
        match self.underlying(t):
            case ("i", _methods, _embeds):
                return True
        return False

    def struct_fields(self, key: TypeKey) -> tuple:
        """(name, type, embedded) of each field of a struct type, in declaration order."""
        if key not in self.types:
            return ()
        match self.underlying(("n", *key, ())):
            case ("st", fields):
                return fields
        return ()

    def field(self, t: CanonType, name: str) -> FieldInfo | None:
        """Field `name` of a value of type t (through pointers and embedding), or None."""
        key = (t, name)
        found = self._field_cache.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = self._field_cache[key] = self._field(deref(t), name, 0)
        return found  # type: ignore[return-value]  # not _UNKNOWN any more

    def _field(self, t: CanonType, name: str, depth: int) -> FieldInfo | None:
        match t:
            case ("n", pkg, tname, targs) if depth <= 6:
                pass
            case ("st", fields):
                for fname, ftype, _emb in fields:
                    if fname == name:
                        return FieldInfo(ftype, (), None)
                return None
            case _:
                return None
        info = self.types.get((pkg, tname))
        if info is None:
            return None
        u = info.type
        if targs and info.type_params:
            u = substitute(u, dict(zip(info.type_params, targs)))
        match u:
            case ("n", *_):
                return self._field(u, name, depth + 1)
            case ("st", fields):
                pass
            case _:
                return None
        for fname, ftype, _emb in fields:
            if fname == name:
                return FieldInfo(ftype, (), (pkg, tname))
        for fname, ftype, emb in fields:
            if emb:
                found = self._field(deref(ftype), name, depth + 1)
                if found is not None:
                    return found._replace(embedded=(fname, *found.embedded))
        return None

    def method(self, t: CanonType, name: str) -> MethodInfo | None:
        """Resolve a method call on a value of static type t (None when unknown). For interface
        types the caller dispatches (see `iface_methods`)."""
        key = named_key(t)
        return self._method(key, name, 0) if key is not None else None

    def _method(self, key: TypeKey, name: str, depth: int) -> MethodInfo | None:
        declared = self.methods.get(key)
        if declared is not None and name in declared:
            return MethodInfo(declared[name], ())
        if depth > 6:
            return None
        info = self.types.get(key)
        if info is None:
            return None
        match info.type:
            case ("n", pkg, tname, _targs) if info.alias:
                return self._method((pkg, tname), name, depth + 1)
            case ("st", fields):
                pass
            case _:
                return None
        for fname, ftype, emb in fields:
            if not emb:
                continue
            base = deref(ftype)
            emb_key = named_key(base)
            if emb_key is None:
                continue
            if self.is_interface(base):
                ims = self.iface_methods(base)
                if ims is not None and name in ims:
                    return MethodInfo(None, (fname,), base)
                continue
            found = self._method(emb_key, name, depth + 1)
            if found is not None:
                return found._replace(embedded=(fname, *found.embedded))
        return None

    def iface_methods(self, t: CanonType) -> dict[str, tuple] | None:
        """Method name -> canonical signature of an interface type (embedded ones included).

        None when t is not an interface known to the index.
        """
        match t:
            case ("i", _methods, _embeds):
                return self._iface_of(t, 0)
            case ("n", pkg, name, _targs):
                key = (pkg, name)
            case _:
                return None
        if key in self._iface_cache:
            return self._iface_cache[key]
        self._iface_cache[key] = None  # cycle guard
        result = None
        match self.underlying(t):
            case ("i", _methods, _embeds) as u:
                result = self._iface_of(u, 0)
        self._iface_cache[key] = result
        return result

    def _iface_of(self, u: CanonType, depth: int) -> dict[str, tuple]:
        _tag, own, embeds = u
        methods = dict(own)
        if depth < 8:
            for emb in embeds:
                match emb:
                    case ("n", "", "error", _targs):
                        methods.setdefault("Error", ("f", (), (("n", "", "string", ()),), False))
                        continue
                    case ("n", *_):
                        inner = self.iface_methods(emb)
                    case _:
                        inner = None
                if inner:
                    for k, v in inner.items():
                        methods.setdefault(k, v)
        return methods

    def method_set(self, key: TypeKey) -> dict[str, MethodEntry]:
        """All methods callable on *T for named type T, by name."""
        if key in self._promoted:
            return self._promoted[key]
        self._promoted[key] = {}
        out: dict[str, MethodEntry] = {}
        for name, qname in self.methods.get(key, {}).items():
            out[name] = MethodEntry(qname, self.funcs[qname].pointer_recv if qname in self.funcs else True)
        info = self.types.get(key)
        match info.type if info is not None else None:
            case ("st", fields):
                for _fname, ftype, emb in fields:
                    if not emb:
                        continue
                    base = deref(ftype)
                    emb_key = named_key(base)
                    if emb_key is None:
                        continue
                    if self.is_interface(base):
                        for m in self.iface_methods(base) or {}:
                            out.setdefault(m, MethodEntry(None, False))
                    else:
                        for m, v in self.method_set(emb_key).items():
                            out.setdefault(m, v)
        self._promoted[key] = out
        return out

    def implementers(self, iface: CanonType) -> tuple[TypeKey, ...]:
        """Named non-interface types of the program whose method set (of *T) satisfies iface."""
        match iface:
            case ("n", pkg, name, _targs):
                key = (pkg, name)
            case _:
                return ()
        if key in self._impl_cache:
            return self._impl_cache[key]
        ims = self.iface_methods(iface)
        if not ims:
            self._impl_cache[key] = ()
            return ()
        if self._method_names is None:
            self._build_method_names()
        method_names = self._method_names
        assert method_names is not None
        names = sorted(ims, key=lambda m: len(method_names.get(m, ())))
        first, *rest = names
        candidates = set(method_names.get(first, ()))
        for m in rest:
            candidates &= method_names.get(m, set())
            if not candidates:
                break
        out = []
        for cand in sorted(candidates):
            if self.is_interface(("n", *cand, ())):
                continue
            if self._arity_ok(cand, ims):
                out.append(cand)
        result = tuple(out)
        self._impl_cache[key] = result
        return result

    def _arity_ok(self, cand: TypeKey, ims: dict[str, tuple]) -> bool:
        mset = self.method_set(cand)
        for m, sig in ims.items():
            entry = mset.get(m)
            fi = self.funcs.get(entry.qname) if entry is not None and entry.qname is not None else None
            match sig:
                case ("f", params, results, _variadic) if fi is not None:
                    if len(fi.params) != len(params) or len(fi.results) != len(results):
                        return False
        return True

    def _build_method_names(self) -> None:
        index: dict[str, set[TypeKey]] = {}
        keys = set(self.methods)
        for key, info in self.types.items():
            match info.type:
                case ("st", fields) if any(emb for _n, _t, emb in fields):
                    keys.add(key)
        for key in keys:
            for m in self.method_set(key):
                index.setdefault(m, set()).add(key)
        self._method_names = index

    def func_type(self, qname: str) -> tuple | None:
        fi = self.funcs.get(qname)
        if fi is None:
            return None
        return ("f", fi.params, fi.results, fi.variadic)

    def stats(self) -> dict[str, int]:
        return {
            "packages": len(self.packages),
            "indexed_files": len(self.files),
            "types": len(self.types),
            "functions": sum(1 for f in self.funcs.values() if not f.literal)
            + sum(1 for f in self.alternates if not f.literal),
            "func_literals": sum(1 for f in self.funcs.values() if f.literal),
            "values": len(self.values),
        }


def field_location(
    index: ProgramIndex, t: CanonType | None, fname: str, is_library: Callable[[str], bool]
) -> FieldLoc | None:
    """The abstract location of field `fname` of a value of type t (the struct declaring it).
    None for unknown types and for fields of library types (API objects are data, not state)."""
    key = named_key(t)  # None for a ModelType too: library values have no fields of their own
    if t is None or key is None:
        return None
    found = index.field(t, fname)
    if found is None:
        return None
    owner = found.owner or key
    owner_pkg, _name = owner
    return None if is_library(owner_pkg) else FieldLoc(owner, fname)


def deref(t: CanonType) -> CanonType:
    """A type without its pointers."""
    while t:
        match t:
            case ("p", elem):
                t = elem
            case _:
                return t
    return t


def substitute(t: CanonType, mapping: dict[str, CanonType]) -> CanonType:
    """Replace type parameters ('tp', name) by their arguments."""
    if not mapping or not isinstance(t, tuple) or not t:
        return t
    match t:
        case ("tp", name):
            return mapping.get(name, t)
        case ("n", pkg, name, targs):
            return ("n", pkg, name, tuple(substitute(a, mapping) for a in targs)) if targs else t
        case ("p" | "s" | "a" as tag, elem):
            return (tag, substitute(elem, mapping))
        case ("m", key, value):
            return ("m", substitute(key, mapping), substitute(value, mapping))
        case ("c", elem, direction):
            return ("c", substitute(elem, mapping), direction)
        case ("f", params, results, variadic):
            return (
                "f",
                tuple(substitute(p, mapping) for p in params),
                tuple(substitute(r, mapping) for r in results),
                variadic,
            )
        case ("st", fields):
            return ("st", tuple((n, substitute(ft, mapping), e) for n, ft, e in fields))
    return t


@dataclass(slots=True)
class IndexedFile:
    """What the index is built from: one extracted file and where it lives."""

    path: str
    import_path: str
    dir: str
    facts: FileFacts


# what `go build` on linux/amd64 satisfies; any other tag (windows, ignore, a custom tag) is false
LINUX_TAGS = frozenset({"linux", "amd64", "unix", "gc", "cgo"})


def build_satisfied(expr: str, tags: frozenset[str] = LINUX_TAGS) -> bool:
    """Evaluate a //go:build expression (!, &&, ||, parentheses) for linux/amd64.

    A recursive-descent parse (or := and {"||" and}; and := unary {"&&" unary}; unary := "!" unary |
    "(" or ")" | tag) run on an explicit stack, so any nesting costs no Python recursion; a
    malformed line is read leniently (a missing ")" is implied, a missing operand is false).
    """
    tokens = (
        expr.replace("(", " ( ")
        .replace(")", " ) ")
        .replace("!", " ! ")
        .replace("&&", " && ")
        .replace("||", " || ")
        .split()
    )
    n = len(tokens)
    pos = 0
    # what waits for the value of the unary being read: "!", "(", or an and/or with the value of
    # its operands so far (None before the first)
    stack: list = [["||", None], ["&&", None]]
    while True:
        # read one unary: its prefix "!"s and "("s go on the stack, then one tag
        value = False
        while pos < n:
            tok = tokens[pos]
            pos += 1
            if tok == "!":
                stack.append("!")
            elif tok == "(":
                stack += ["(", ["||", None], ["&&", None]]
            else:
                value = tok in tags or (tok.startswith("go1.") and tok[4:].isdigit())
                break
        # hand the value up until an operator asks for another operand
        while True:
            top = stack[-1]
            if top == "!":
                stack.pop()
                value = not value
            elif top == "(":
                stack.pop()
                if pos < n and tokens[pos] == ")":
                    pos += 1
            else:
                op = top[0]
                top[1] = value if top[1] is None else (value and top[1] if op == "&&" else value or top[1])
                if pos < n and tokens[pos] == op:
                    pos += 1
                    if op == "||":
                        stack.append(["&&", None])
                    break
                stack.pop()
                value = top[1]
                if not stack:
                    return value


def _build_constraint_ok(tags: tuple[str, ...]) -> bool:
    """Every //go:build line of the file must hold on linux/amd64."""
    return all(build_satisfied(expr) for expr in tags)


_GOOS = (
    "windows",
    "darwin",
    "freebsd",
    "openbsd",
    "netbsd",
    "solaris",
    "plan9",
    "js",
    "aix",
    "illumos",
    "dragonfly",
)


def builds_on_linux(path: str, facts: FileFacts) -> bool:
    stem = path.rsplit("/", 1)[-1][:-3]
    parts = stem.split("_")
    if len(parts) >= 2 and (parts[-1] in _GOOS or (len(parts) >= 3 and parts[-2] in _GOOS)):
        return False
    return _build_constraint_ok(facts.build_tags)


def build_index(files: list[IndexedFile]) -> ProgramIndex:
    """Merge extracted files into a ProgramIndex (pure; a few seconds for all of Kubernetes)."""
    idx = ProgramIndex()
    # pass 1: packages and their declared names, type names (needed to resolve unqualified names)
    names_by_path: dict[str, dict[str, int]] = {}
    # every file is indexed, linux builds first: where two files declare the same name for
    # different platforms (foo_linux.go, foo_windows.go) the linux declaration is the one analysed
    # and the other is kept as an alternate (it still appears in the functions table)
    idx.primary_files = {f.path for f in files if builds_on_linux(f.path, f.facts)}
    kept = sorted(files, key=lambda f: (f.path not in idx.primary_files, f.path))
    for f in kept:
        counts = names_by_path.setdefault(f.import_path, {})
        counts[f.facts.package] = counts.get(f.facts.package, 0) + 1
    for path, counts in names_by_path.items():
        idx.package_names[path] = max(counts, key=lambda name: (counts[name], name != "main"))
    for f in kept:
        pkg = f.import_path
        if f.facts.package != idx.package_names[pkg]:
            continue  # a stray `package main` generator next to the real package
        info = idx.packages.get(pkg)
        if info is None:
            info = idx.packages[pkg] = PackageInfo(pkg, f.facts.package, f.dir)
        info.files.append(f.path)
        for t in f.facts.types:
            if (pkg, t.name) not in idx.types:
                idx.types[(pkg, t.name)] = TypeInfo(
                    (pkg, t.name), t.type, f.path, t.line, t.type_params, t.alias
                )
    # pass 2: resolve declarations
    for f in kept:
        pkg = f.import_path
        if f.facts.package != idx.package_names[pkg]:
            continue
        ctx = idx.file_ctx(f.path, pkg, f.facts.imports)
        idx.files[f.path] = ctx
        idx.packages[pkg].imports.update(ctx.imports.values())
        for t in f.facts.types:
            tinfo = idx.types[(pkg, t.name)]
            if tinfo.file == f.path:
                tinfo.type = idx.resolve_type(t.type, ctx, t.type_params)
        _index_funcs(idx, f, ctx)
        for v in f.facts.values:
            if (pkg, v.name) in idx.values:
                continue
            vtype = idx.resolve_type(v.type, ctx) if v.type is not None else None
            vinfo = ValueInfo(pkg, v.name, vtype, f.path, v.line, v.const)
            _literal_value(idx, vinfo, v.value, ctx)
            idx.values[(pkg, v.name)] = vinfo
    return idx


def _literal_value(idx: ProgramIndex, info: ValueInfo, value, ctx: FileCtx) -> None:
    """Keep what later stages read from package-level initializers: string constants, the string
    fields of composite literals (GroupVersionResource values) and the type they build."""
    pointer = False
    match value:
        case ("lit", "s", text):
            info.string = text
            if info.type is None:
                info.type = ("n", "", "string", ())
            return
        case ("u", "&", ("comp", *_) as comp):
            value, pointer = comp, True
    match value:
        case ("comp", texpr, elems, _line) if texpr is not None:
            t = idx.resolve_type(texpr, ctx)
            info.init = ("p", t) if pointer else t
            if info.type is None:
                info.type = info.init
            fields = {}
            for key, val in elems:
                match key, val:
                    case ("key", fname, _uid), ("lit", "s", text):
                        fields[fname] = text
            if fields:
                info.fields = fields


def _index_funcs(idx: ProgramIndex, f: IndexedFile, ctx: FileCtx) -> None:
    pkg = f.import_path
    funcs = f.facts.funcs
    for fn in funcs:
        qname = func_qname(pkg, fn)
        tparams = fn.type_params
        if fn.parent is not None:
            # a literal sees its enclosing functions' type parameters
            p = funcs[fn.top] if fn.top is not None else None
            tparams = tparams + (p.type_params if p is not None else ())
        recv_key = None
        pointer = False
        duplicate = qname in idx.funcs
        if fn.recv_type is not None:
            name, pointer = receiver_key(fn.recv_type)
            recv_key = (pkg, name)
            if not duplicate:
                idx.methods.setdefault(recv_key, {})[fn.name] = qname
        parent = func_qname(pkg, funcs[fn.parent]) if fn.parent is not None else None
        info = FuncInfo(
            qname=qname,
            pkg=pkg,
            name=fn.name,
            file=f.path,
            line=fn.line,
            end_line=fn.end_line,
            recv=recv_key,
            pointer_recv=pointer,
            params=tuple(idx.resolve_type(t, ctx, tparams) for _uid, t in fn.params),
            results=tuple(idx.resolve_type(t, ctx, tparams) for _uid, t in fn.results),
            variadic=fn.variadic,
            type_params=tparams,
            literal=fn.is_literal,
            parent=parent,
        )
        if duplicate:
            idx.alternates.append(info)
        else:
            idx.funcs[qname] = info


@lru_cache(maxsize=4096)
def type_string(t: CanonType, pkg: str = "") -> str:
    """Go-like rendering of a canonical type, package paths shortened to their last element."""
    match t:
        case ("n", tpkg, name, targs):
            if tpkg and tpkg != pkg:
                name = tpkg.rsplit("/", 1)[-1] + "." + name
            if targs:
                name += "[" + ", ".join(type_string(a, pkg) for a in targs) + "]"
            return name
        case ("tp", name):
            return name
        case ("p", elem):
            return "*" + type_string(elem, pkg)
        case ("s", elem):
            return "[]" + type_string(elem, pkg)
        case ("a", elem):
            return "[N]" + type_string(elem, pkg)
        case ("m", key, value):
            return f"map[{type_string(key, pkg)}]{type_string(value, pkg)}"
        case ("c", elem, direction):
            prefix = {"send": "chan<- ", "recv": "<-chan "}.get(direction, "chan ")
            return prefix + type_string(elem, pkg)
        case ("f", params, results, variadic):
            return "func" + signature_string(params, results, variadic, pkg)
        case ("st", _fields):
            return "struct{...}"
        case ("i", methods, embeds):
            return "interface{}" if not methods and not embeds else "interface{...}"
    return "?"


def signature_string(params: tuple, results: tuple, variadic: bool, pkg: str = "") -> str:
    ps = [type_string(p, pkg) for p in params]
    if variadic and ps and ps[-1].startswith("[]"):
        ps[-1] = "..." + ps[-1][2:]
    out = "(" + ", ".join(ps) + ")"
    if len(results) == 1:
        (result,) = results
        out += " " + type_string(result, pkg)
    elif results:
        out += " (" + ", ".join(type_string(r, pkg) for r in results) + ")"
    return out
