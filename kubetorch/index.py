"""index: every file's declarations merged into one program index.

Names are resolved here once: a type written `v1.Pod` in a file that imports
`v1 "k8s.io/api/core/v1"` becomes ('n', 'k8s.io/api/core/v1', 'Pod', ()). After that every
later stage speaks in canonical types (the TypeExpr shapes of kubetorch.ir, with a package path
in place of the qualifier, and ('tp', name) for type parameters).

The index holds declarations only (types, signatures, package-level values), never function
bodies: it is what every per-package task needs, so it must stay small enough to ship to workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kubetorch.ir import UNKNOWN_TYPE, FileFacts, Func

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

TypeKey = tuple[str, str]  # (package path, type name)


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


def func_qname(pkg: str, fn: Func) -> str:
    return f"{pkg}.{fn.outer or fn.name}"


def receiver_key(recv_type: tuple) -> tuple[str, bool]:
    """('p', ('n', '', 'T', ())) -> ('T', True)."""
    if recv_type[0] == "p":
        return recv_type[1][2] if recv_type[1][0] == "n" else "?", True
    return recv_type[2] if recv_type[0] == "n" else "?", False


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
        self._promoted: dict[TypeKey, dict[str, tuple]] = {}
        self._iface_cache: dict[TypeKey, dict[str, tuple] | None] = {}
        self._impl_cache: dict[TypeKey, tuple[TypeKey, ...]] = {}

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
        kind = t[0]
        if kind == "n":
            qual, name, targs = t[1], t[2], t[3]
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
        if kind in ("p", "s", "a"):
            return (kind, self.resolve_type(t[1], ctx, tparams))
        if kind == "m":
            return ("m", self.resolve_type(t[1], ctx, tparams), self.resolve_type(t[2], ctx, tparams))
        if kind == "c":
            return ("c", self.resolve_type(t[1], ctx, tparams), t[2])
        if kind == "f":
            return (
                "f",
                tuple(self.resolve_type(p, ctx, tparams) for p in t[1]),
                tuple(self.resolve_type(r, ctx, tparams) for r in t[2]),
                t[3],
            )
        if kind == "st":
            return ("st", tuple((n, self.resolve_type(ft, ctx, tparams), emb) for n, ft, emb in t[1]))
        if kind == "i":
            return (
                "i",
                tuple((n, self.resolve_type(sig, ctx, tparams)) for n, sig in t[1]),
                tuple(self.resolve_type(e, ctx, tparams) for e in t[2]),
            )
        return t

    # ---------------------------------------------------------------- lookups
    def underlying(self, t: tuple, depth: int = 0) -> tuple:
        """Follow named types (and aliases) to their underlying type expression."""
        while t and t[0] == "n" and depth < 20:
            info = self.types.get((t[1], t[2]))
            if info is None:
                return t
            nt = info.type
            if t[3] and info.type_params:
                nt = substitute(nt, dict(zip(info.type_params, t[3])))
            t = nt
            depth += 1
        return t

    def is_interface(self, t: tuple) -> bool:
        return self.underlying(t)[0] == "i"

    def struct_fields(self, key: TypeKey) -> tuple:
        info = self.types.get(key)
        if info is None:
            return ()
        u = self.underlying(("n", key[0], key[1], ()))
        return u[1] if u[0] == "st" else ()

    def field(self, t: tuple, name: str) -> tuple[tuple, tuple[str, ...], TypeKey | None] | None:
        """Type of field `name` of a value of type t (through pointers and embedding).

        Returns (field type, embedded path walked, declaring struct key) or None.
        """
        return self._field(deref(t), name, 0)

    def _field(self, t: tuple, name: str, depth: int):
        if depth > 6 or t[0] != "n":
            if t[0] == "st":
                for fname, ftype, _emb in t[1]:
                    if fname == name:
                        return ftype, (), None
            return None
        info = self.types.get((t[1], t[2]))
        if info is None:
            return None
        u = info.type
        if t[3] and info.type_params:
            u = substitute(u, dict(zip(info.type_params, t[3])))
        if u[0] == "n":
            return self._field(u, name, depth + 1)
        if u[0] != "st":
            return None
        key = (t[1], t[2])
        for fname, ftype, _emb in u[1]:
            if fname == name:
                return ftype, (), key
        for fname, ftype, emb in u[1]:
            if emb:
                found = self._field(deref(ftype), name, depth + 1)
                if found is not None:
                    return found[0], (fname, *found[1]), found[2]
        return None

    def method(self, t: tuple, name: str) -> tuple[str, tuple[str, ...]] | tuple[None, tuple] | None:
        """Resolve a method call on a value of static type t.

        Returns (qname, embedded path) for a concrete method, (None, (path, iface type)) when the
        method comes from an embedded interface, or None when unknown. For interface types the
        caller dispatches (see `iface_methods`).
        """
        base = deref(t)
        if base[0] != "n":
            return None
        return self._method((base[1], base[2]), name, 0)

    def _method(self, key: TypeKey, name: str, depth: int):
        declared = self.methods.get(key)
        if declared is not None and name in declared:
            return declared[name], ()
        if depth > 6:
            return None
        info = self.types.get(key)
        if info is None:
            return None
        u = info.type
        if u[0] == "n" and info.alias:
            return self._method((u[1], u[2]), name, depth + 1)
        if u[0] != "st":
            return None
        for fname, ftype, emb in u[1]:
            if not emb:
                continue
            base = deref(ftype)
            if base[0] != "n":
                continue
            if self.is_interface(base):
                ims = self.iface_methods(base)
                if ims is not None and name in ims:
                    return None, ((fname,), base)
                continue
            found = self._method((base[1], base[2]), name, depth + 1)
            if found is not None:
                if found[0] is None:
                    return None, ((fname, *found[1][0]), found[1][1])
                return found[0], (fname, *found[1])
        return None

    def iface_methods(self, t: tuple) -> dict[str, tuple] | None:
        """Method name -> canonical signature of an interface type (embedded ones included).

        None when t is not an interface known to the index.
        """
        base = t
        if base[0] == "i":
            return self._iface_of(base, 0)
        if base[0] != "n":
            return None
        key = (base[1], base[2])
        if key in self._iface_cache:
            return self._iface_cache[key]
        self._iface_cache[key] = None  # cycle guard
        u = self.underlying(base)
        result = self._iface_of(u, 0) if u[0] == "i" else None
        self._iface_cache[key] = result
        return result

    def _iface_of(self, u: tuple, depth: int) -> dict[str, tuple]:
        methods = dict(u[1])
        if depth < 8:
            for emb in u[2]:
                if emb[0] == "n" and emb[1] == "" and emb[2] == "error":
                    methods.setdefault("Error", ("f", (), (("n", "", "string", ()),), False))
                    continue
                inner = self.iface_methods(emb) if emb[0] == "n" else None
                if inner:
                    for k, v in inner.items():
                        methods.setdefault(k, v)
        return methods

    def method_set(self, key: TypeKey) -> dict[str, tuple[str | None, bool]]:
        """All methods callable on *T for named type T: name -> (qname or None, declared-on-pointer)."""
        if key in self._promoted:
            return self._promoted[key]
        self._promoted[key] = {}
        out: dict[str, tuple[str | None, bool]] = {}
        for name, qname in self.methods.get(key, {}).items():
            out[name] = (qname, self.funcs[qname].pointer_recv if qname in self.funcs else True)
        info = self.types.get(key)
        if info is not None and info.type[0] == "st":
            for _fname, ftype, emb in info.type[1]:
                if not emb:
                    continue
                base = deref(ftype)
                if base[0] != "n":
                    continue
                if self.is_interface(base):
                    for m in self.iface_methods(base) or {}:
                        out.setdefault(m, (None, False))
                else:
                    for m, v in self.method_set((base[1], base[2])).items():
                        out.setdefault(m, v)
        self._promoted[key] = out
        return out

    def implementers(self, iface: tuple) -> tuple[TypeKey, ...]:
        """Named non-interface types of the program whose method set (of *T) satisfies iface."""
        base = iface
        if base[0] != "n":
            return ()
        key = (base[1], base[2])
        if key in self._impl_cache:
            return self._impl_cache[key]
        ims = self.iface_methods(base)
        if not ims:
            self._impl_cache[key] = ()
            return ()
        if self._method_names is None:
            self._build_method_names()
        assert self._method_names is not None
        names = sorted(ims, key=lambda m: len(self._method_names.get(m, ())))
        candidates = set(self._method_names.get(names[0], ()))
        for m in names[1:]:
            candidates &= self._method_names.get(m, set())
            if not candidates:
                break
        out = []
        for cand in sorted(candidates):
            if self.is_interface(("n", cand[0], cand[1], ())):
                continue
            if self._arity_ok(cand, ims):
                out.append(cand)
        result = tuple(out)
        self._impl_cache[key] = result
        return result

    def _arity_ok(self, cand: TypeKey, ims: dict[str, tuple]) -> bool:
        mset = self.method_set(cand)
        for m, sig in ims.items():
            qname = mset.get(m, (None, False))[0]
            if qname is None:
                continue
            fi = self.funcs.get(qname)
            if fi is None or sig[0] != "f":
                continue
            if len(fi.params) != len(sig[1]) or len(fi.results) != len(sig[2]):
                return False
        return True

    def _build_method_names(self) -> None:
        index: dict[str, set[TypeKey]] = {}
        keys = set(self.methods)
        for key, info in self.types.items():
            if info.type[0] == "st" and any(emb for _n, _t, emb in info.type[1]):
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


def field_location(index: ProgramIndex, t, fname: str, is_library) -> tuple | None:
    """(declaring struct, field) of field `fname` of a value of type t: an abstract location.
    None for unknown types and for fields of library types (API objects are data, not state)."""
    if t is None or t[0] == "M":
        return None
    base = deref(t)
    if base[0] != "n":
        return None
    found = index.field(base, fname)
    if found is None:
        return None
    owner = found[2] or (base[1], base[2])
    return None if is_library(owner[0]) else (owner, fname)


def deref(t: tuple) -> tuple:
    while t and t[0] == "p":
        t = t[1]
    return t


def substitute(t: tuple, mapping: dict[str, tuple]) -> tuple:
    """Replace type parameters ('tp', name) by their arguments."""
    if not mapping or not isinstance(t, tuple) or not t:
        return t
    kind = t[0]
    if kind == "tp":
        return mapping.get(t[1], t)
    if kind == "n":
        return ("n", t[1], t[2], tuple(substitute(a, mapping) for a in t[3])) if t[3] else t
    if kind in ("p", "s", "a"):
        return (kind, substitute(t[1], mapping))
    if kind == "m":
        return ("m", substitute(t[1], mapping), substitute(t[2], mapping))
    if kind == "c":
        return ("c", substitute(t[1], mapping), t[2])
    if kind == "f":
        return (
            "f",
            tuple(substitute(p, mapping) for p in t[1]),
            tuple(substitute(r, mapping) for r in t[2]),
            t[3],
        )
    if kind == "st":
        return ("st", tuple((n, substitute(ft, mapping), e) for n, ft, e in t[1]))
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
        idx.package_names[path] = max(counts.items(), key=lambda kv: (kv[1], kv[0] != "main"))[0]
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
            info = idx.types[(pkg, t.name)]
            if info.file == f.path:
                info.type = idx.resolve_type(t.type, ctx, t.type_params)
        _index_funcs(idx, f, ctx)
        for v in f.facts.values:
            if (pkg, v.name) in idx.values:
                continue
            vtype = idx.resolve_type(v.type, ctx) if v.type is not None else None
            info = ValueInfo(pkg, v.name, vtype, f.path, v.line, v.const)
            _literal_value(idx, info, v.value, ctx)
            idx.values[(pkg, v.name)] = info
    return idx


def _literal_value(idx: ProgramIndex, info: ValueInfo, value, ctx: FileCtx) -> None:
    """Keep what later stages read from package-level initializers: string constants, the string
    fields of composite literals (GroupVersionResource values) and the type they build."""
    if value is None:
        return
    if value[0] == "lit" and value[1] == "s":
        info.string = value[2]
        if info.type is None:
            info.type = ("n", "", "string", ())
        return
    if value[0] == "u" and value[1] == "&" and value[2][0] == "comp":
        value = value[2]
        pointer = True
    else:
        pointer = False
    if value[0] == "comp" and value[1] is not None:
        t = idx.resolve_type(value[1], ctx)
        info.init = ("p", t) if pointer else t
        if info.type is None:
            info.type = info.init
        fields = {}
        for key, val in value[2]:
            if key is not None and key[0] == "key" and val[0] == "lit" and val[1] == "s":
                fields[key[1]] = val[2]
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
            p = funcs[fn.root] if fn.root is not None else None
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
def type_string(t: tuple, pkg: str = "") -> str:
    """Go-like rendering of a canonical type, package paths shortened to their last element."""
    kind = t[0]
    if kind == "n":
        name = t[2]
        if t[1] and t[1] != pkg:
            name = t[1].rsplit("/", 1)[-1] + "." + name
        if t[3]:
            name += "[" + ", ".join(type_string(a, pkg) for a in t[3]) + "]"
        return name
    if kind == "tp":
        return t[1]
    if kind == "p":
        return "*" + type_string(t[1], pkg)
    if kind == "s":
        return "[]" + type_string(t[1], pkg)
    if kind == "a":
        return "[N]" + type_string(t[1], pkg)
    if kind == "m":
        return f"map[{type_string(t[1], pkg)}]{type_string(t[2], pkg)}"
    if kind == "c":
        prefix = {"send": "chan<- ", "recv": "<-chan "}.get(t[2], "chan ")
        return prefix + type_string(t[1], pkg)
    if kind == "f":
        return "func" + signature_string(t[1], t[2], t[3], pkg)
    if kind == "st":
        return "struct{...}"
    if kind == "i":
        return "interface{}" if not t[1] and not t[2] else "interface{...}"
    return "?"


def signature_string(params: tuple, results: tuple, variadic: bool, pkg: str = "") -> str:
    ps = [type_string(p, pkg) for p in params]
    if variadic and ps and ps[-1].startswith("[]"):
        ps[-1] = "..." + ps[-1][2:]
    out = "(" + ", ".join(ps) + ")"
    if len(results) == 1:
        out += " " + type_string(results[0], pkg)
    elif results:
        out += " (" + ", ".join(type_string(r, pkg) for r in results) + ")"
    return out
