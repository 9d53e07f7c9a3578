"""summarize: one package's function bodies -> FunctionSummary per function (see kubetorch.summary).

Per top-level function (with the func literals inside it, which share its variables):

1. infer the type of every local from declarations and initializers (calls, composite literals,
   selectors, assertions, range), with library types mapped to their models (kubetorch.models);
2. walk the statements once more and record, for each unit (function or literal): call sites with
   their callee descriptors, direct accesses to non-local state, API sinks, lister reads, the
   registrations of event handlers, and the local data flow between the unit's ports.

Everything is relative to the function itself; nothing here looks at another function's body.

Statements and expressions are kubetorch.ir's tagged tuples, taken apart with `match`. This module
adds one expression of its own, ('emb', X, embedded fields): the embedded object a promoted method
runs on. The local flow graph's nodes are ints: a port's index (>= 0), or ~uid for a local variable.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

from kubetorch.index import (
    BUILTIN_FUNCS,
    FileCtx,
    ProgramIndex,
    deref,
    field_location,
    func_qname,
    named_key,
    type_name,
)
from kubetorch.ir import UNKNOWN_TYPE, Expr, FileFacts, Func, Stmt, TypeExpr
from kubetorch.models import Effect, Models, ModelType
from kubetorch.summary import (
    INPUT_PORTS,
    OUTPUT_PORTS,
    SELF,
    Access,
    AccessPath,
    Binding,
    CallArg,
    Callee,
    CallResult,
    CanonType,
    Closure,
    ConcreteType,
    FieldFunc,
    FieldLoc,
    FuncRef,
    FunctionSummary,
    FuncValue,
    GlobalFunc,
    GlobalVar,
    HandlerValue,
    IfaceCall,
    IfaceMethod,
    LibRead,
    Local,
    Location,
    MethodValue,
    NoCallee,
    OwnParam,
    PackageSummary,
    Param,
    ParamOf,
    Port,
    ReadValue,
    Registration,
    ResultOf,
    Returned,
    ReturnedBy,
    ReturnedClosure,
    ReturnedHandler,
    ReturnValue,
    Root,
    Shared,
    SharedLoc,
    SharedPort,
    SinkArgs,
    SinkCall,
    Site,
    StaticCall,
    SubObject,
    TypeKey,
    WriteValue,
    tuple_text,
)

T = TypeVar("T")
BOOL = ("n", "", "bool", ())
INT = ("n", "", "int", ())
STRING = ("n", "", "string", ())
BYTE = ("n", "", "byte", ())
RUNE = ("n", "", "rune", ())
LITERAL_TYPES = {"s": STRING, "i": INT, "f": ("n", "", "float64", ()), "r": RUNE}
CONVERSION_TYPES = frozenset(
    {
        "string",
        "int",
        "int32",
        "int64",
        "uint",
        "uint32",
        "uint64",
        "float64",
        "float32",
        "bool",
        "byte",
        "rune",
        "error",
        "any",
        "uint8",
        "int8",
        "int16",
        "uint16",
        "uintptr",
    }
)
BOOLEAN_OPERATORS = frozenset({"==", "!=", "<", "<=", ">", ">=", "&&", "||"})
REFERENCE_TAGS = frozenset({"p", "m", "s", "c", "f", "i"})  # types whose copies share an object
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "apply"})
RETURNED = Returned()
PLAIN_DATA = ReadValue(-1)
NO_CALLEE = NoCallee()
REST_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "GET": "get"}
CLIENTS = {  # sinks table `client` by the model of the value the sink is called on
    "client": "typed",
    "dynresource": "dynamic",
    "request": "rest",
    "recorder": "events",
    "eventsrecorder": "events",
    "crclient": "controller-runtime",
    "crstatus": "controller-runtime",
}


# ---------------------------------------------------------------- what a call's function expression is


class ModelMethodCall(NamedTuple):
    """A method of a modelled library value (effect None: the model does not list the method)."""

    model: ModelType
    effect: Effect | None
    method: str
    recv: Expr


class ModelFuncCall(NamedTuple):
    """A modelled library function, or a modelled method named by its receiver's type."""

    effect: Effect
    name: str


class StaticTarget(NamedTuple):
    """A function or concrete method of the program; embedded: the embedded fields walked to it."""

    qname: str
    recv: Expr | None
    embedded: tuple[str, ...]


class IfaceTarget(NamedTuple):
    """A method of an interface type, dispatched later; sig its signature when known."""

    iface: TypeKey
    method: str
    recv: Expr
    sig: CanonType | None


class FieldTarget(NamedTuple):
    """A func-valued field (declared in struct `owner`) of the receiver."""

    owner: TypeKey
    field: str
    recv: Expr
    type: CanonType


class VarTarget(NamedTuple):
    """A func-valued local variable."""

    uid: int


class GlobalTarget(NamedTuple):
    """A func-valued package variable."""

    pkg: str
    name: str


class LitTarget(NamedTuple):
    """A func literal called where it is written."""

    qname: str


class LibTarget(NamedTuple):
    """Code whose source is not followed (a library package, or nothing known)."""

    name: str
    recv: Expr | None


class FuncValueTarget(NamedTuple):
    """The func value some other expression yields (a call's result, a func-typed value)."""

    type: CanonType | None


CallTarget = (
    ModelMethodCall
    | ModelFuncCall
    | StaticTarget
    | IfaceTarget
    | FieldTarget
    | VarTarget
    | GlobalTarget
    | LitTarget
    | LibTarget
    | FuncValueTarget
)


class GVR(NamedTuple):
    """An API resource named by the code: a GroupVersionResource value, or an API object's type."""

    group: str
    version: str
    resource: str


# Budgets (see the README, "Budgets"). On Kubernetes v1.28.0 with generated files, a package takes
# at most 0.4 s (47,000 lines; at most 0.018 s per 1,000 lines), 1/8 of its budget or less, and a
# function has at most 1,600 local edges, 710 ports and 10,700 flows.
CPU_SECONDS = 2.0  # CPU time of one package's summaries: this much,
CPU_SECONDS_PER_KLINE = 0.03  # and this much more per 1,000 lines of it
MAX_FLOW_WORK = 100_000_000  # local edges x output ports of one function: the cost of its flows
MAX_FLOWS = 200_000  # port-to-port flows of one function


class _OverBudget(Exception):
    """The package's summaries took more than their CPU time."""


@dataclass(frozen=True)
class _FileIndex:
    """What the analysis of each root function of a file needs of the others, made once a file."""

    members: dict  # root function -> the literals inside it, in order
    by_qname: dict  # qualified name -> the first function of that name
    deadline: float  # thread CPU time by which the package must be summarized


def summarize_package(
    pkg: str, files: list[tuple[str, FileFacts]], index: ProgramIndex, models: Models
) -> PackageSummary:
    out = PackageSummary(pkg)
    budget = CPU_SECONDS + CPU_SECONDS_PER_KLINE * sum(facts.lines for _p, facts in files) / 1000
    deadline = time.thread_time() + budget
    for path, facts in files:
        ctx = index.files.get(path)
        if ctx is None:  # not built on linux, or a stray package: not in the index
            continue
        for value in facts.values:
            if value.value is not None and not value.const:
                _GlobalValues(pkg, path, facts, ctx, index, models, out).value(value.name, value.value)
        members: dict[int, list[int]] = defaultdict(list)
        by_qname: dict[str, Func] = {}
        for i, fn in enumerate(facts.funcs):
            if fn.top is not None and fn.top != i:
                members[fn.top].append(i)
            by_qname.setdefault(func_qname(pkg, fn), fn)
        file_index = _FileIndex(members, by_qname, deadline)
        for i, fn in enumerate(facts.funcs):
            if fn.parent is None:
                try:
                    if time.thread_time() > deadline:
                        raise _OverBudget
                    _BodyAnalyzer(pkg, path, facts, i, ctx, index, models, out, file_index).run()
                except RecursionError:
                    out.errors.append(f"{path}:{fn.line}: {fn.outer}: expression nesting too deep")
                except _OverBudget:
                    # the package's unit of work is over budget: reported, not half summarized
                    why = f"too complex: summaries took more than {budget:.1f} s of CPU time"
                    return PackageSummary(pkg, errors=[f"{path}:{fn.line}: {why}"])
    return out


class _Base:
    """Type inference and value helpers shared by function bodies and package-level initializers."""

    def __init__(
        self,
        pkg: str,
        file: str,
        facts: FileFacts,
        ctx: FileCtx,
        index: ProgramIndex,
        models: Models,
        out: PackageSummary,
    ):
        self.pkg = pkg
        self.file = file
        self.facts = facts
        self.ctx = ctx
        self.index = index
        self.models = models
        self.out = out
        self.tparams: tuple[str, ...] = ()
        self.vtypes: list[CanonType | None] = []
        self.var_funcs: dict[int, set[FuncValue]] = defaultdict(set)
        self.var_comp: dict[int, Expr] = {}
        self.var_model: dict[int, ModelType] = {}
        self.var_init: dict[int, Expr] = {}  # first value assigned to each local
        self.param_of: dict[int, dict[int, int]] = {}  # unit -> uid -> param position
        self.unit = -1  # the function being analysed (none for package-level initializers)

    # ------------------------------------------------------------ types
    def rtype(self, t: TypeExpr | None) -> CanonType | None:
        """Qualifier-form type from this file -> canonical (model types for library types)."""
        return self.modelize(self.index.resolve_type(t, self.ctx, self.tparams)) if t is not None else None

    def modelize(self, t: CanonType | None) -> CanonType | None:
        """A library type (or a pointer to one) with a model: that model; any other type: itself."""
        match t:
            case ("p", ("n", pkg, name, _targs)) | ("n", pkg, name, _targs) if pkg:
                m = self.models.type_model(pkg, name)
                if m is not None:
                    return m
        return t

    def concrete_type(self, t: CanonType | None) -> TypeKey | None:
        """(pkg, name) of an in-tree named type, not an interface, under any pointers: a type
        whose methods a call can be narrowed to."""
        key = named_key(t)
        if (
            t is not None
            and key is not None
            and key in self.index.types
            and not self.index.is_interface(deref(t))
        ):
            return key
        return None

    def is_builtin(self, F: Expr) -> bool:
        """A call of a Go builtin (make, append, len, ...) that no package-level name shadows."""
        match F:
            case ("id", name) if name in BUILTIN_FUNCS:
                return (
                    self.pkg,
                    name,
                ) not in self.index.values and f"{self.pkg}.{name}" not in self.index.funcs
        return False

    def type_argument(self, expr: Expr) -> CanonType | None:
        """The type make's or new's first argument names."""
        named = self.named_type_of_expr(expr)
        if named:
            return named
        match expr:
            case ("T", texpr):
                return self.rtype(texpr)
        return None

    def is_import(self, name: str) -> bool:
        return (
            name in self.ctx.imports
            and (self.pkg, name) not in self.index.values
            and f"{self.pkg}.{name}" not in self.index.funcs
        )

    def qualified(self, expr: Expr) -> tuple[str, str] | None:
        """('.', ('id', q), name) with q an import -> (package path, name)."""
        match expr:
            case (".", ("id", q), name) if self.is_import(q):
                return self.ctx.imports[q], name
        return None

    def named_type_of_expr(self, expr: Expr) -> CanonType | None:
        """An expression that denotes a type (conversion target): its canonical type, else None."""
        match expr:
            case (".", *_):
                q = self.qualified(expr)
                if q is None:
                    return None
                pkg, name = q
                if q in self.index.types or (
                    name[:1].isupper()
                    and f"{pkg}.{name}" not in self.index.funcs
                    and q not in self.index.values
                    and self.models.func(f"{pkg}.{name}") is None
                    and self.models.type_model(pkg, name) is not None
                ):
                    return self.modelize(("n", pkg, name, ()))
                return None
            case ("id", name):
                if (self.pkg, name) in self.index.types:
                    return ("n", self.pkg, name, ())
                if name in CONVERSION_TYPES:
                    return ("n", "", name, ())
                return None
            case ("T", texpr):
                return self.rtype(texpr)
            case ("[]", ("id" | ".", *_) as generic, _idx):
                return self.named_type_of_expr(generic)
        return None

    def type_of(self, expr: Expr, depth: int = 0) -> CanonType | None:
        """The type of an expression (a model for library values); None when unknown."""
        if depth > 30:
            return None
        match expr:
            case ("v", uid):
                return self.var_model.get(uid) or (self.vtypes[uid] if uid < len(self.vtypes) else None)
            case ("call", *_):
                return next(iter(self.call_results(expr, depth)), None)
            case (".", x, name):
                q = self.qualified(expr)
                if q is not None:
                    return self.global_type(*q)
                base = self.type_of(x, depth + 1)
                if base is None or isinstance(base, ModelType):
                    return None
                found = self.index.field(base, name)
                if found is not None:
                    return self.modelize(found.type)
                m = self.index.method(base, name)
                if m is not None and m.qname is not None:
                    return self.index.func_type(m.qname)
                return None
            case ("id", name):
                return self.global_type(self.pkg, name)
            case ("comp", texpr, _elems, _line):
                return self.rtype(texpr) if texpr is not None else None
            case ("u", op, x):
                inner = self.type_of(x, depth + 1)
                if inner is None:
                    return None
                if op == "&":
                    return inner if isinstance(inner, ModelType) else ("p", inner)
                if op == "*":
                    match inner:
                        case ("p", elem):
                            return elem
                    return inner
                if op == "<-":
                    match self.index.underlying(inner):
                        case ("c", elem, _direction):
                            return self.modelize(elem)
                    return None
                if op == "!":
                    return BOOL
                return inner
            case ("lit", literal, _value):
                return LITERAL_TYPES.get(literal)
            case ("[]", x, _idx):
                inner = self.type_of(x, depth + 1)
                if inner is None or isinstance(inner, ModelType):
                    return None
                u = self.index.underlying(deref(inner))
                match u:
                    case ("s" | "a", elem):
                        return self.modelize(elem)
                    case ("m", _key, value):
                        return self.modelize(value)
                    case ("f", *_):  # generic function instantiation f[T]
                        return inner
                if u == STRING:
                    return BYTE
                return None
            case ("assert", x, texpr):
                return self.rtype(texpr) if texpr is not None else self.type_of(x, depth + 1)
            case ("b", op, x, _y):
                if op in BOOLEAN_OPERATORS:
                    return BOOL
                return self.type_of(x, depth + 1)
            case ("fl", i):
                fn = self.facts.funcs[i]
                return (
                    "f",
                    tuple(self.rtype(t) for _u, t in fn.params),
                    tuple(self.rtype(t) for _u, t in fn.results),
                    fn.variadic,
                )
            case ("[:]", x):
                return self.type_of(x, depth + 1)
        return None

    def global_type(self, pkg: str, name: str) -> CanonType | None:
        info = self.index.values.get((pkg, name))
        if info is not None:
            return self.modelize(info.type)
        qname = f"{pkg}.{name}"
        if qname in self.index.funcs:
            return self.index.func_type(qname)
        return None

    def call_results(self, expr: Expr, depth: int = 0) -> tuple[CanonType | None, ...]:
        """Types of the results of a call expression."""
        _c, F, args, _line, _spread = expr
        if self.is_builtin(F):
            _id, name = F
            match name, args:
                case "make", (first, *_):
                    t = self.type_argument(first)
                    return (t,) if t is not None else ()
                case "new", (first, *_):
                    t = self.type_argument(first)
                    return (("p", t),) if t is not None else ()
                case "append", (first, *_):
                    return (self.type_of(first, depth + 1),)
                case "len" | "cap" | "copy", _:
                    return (INT,)
            return ()
        conv = self.named_type_of_expr(F)
        if conv is not None:
            return (conv,)
        ft: CanonType | None
        match self.resolve_target(F, depth):
            case ModelMethodCall(model=recv_model, effect=eff, method=method):
                if eff is not None and eff.gives is not None:
                    return (self.model_result(recv_model, eff, method, args),)
                return ()
            case ModelFuncCall(effect=eff):
                if eff.gives:
                    return (self.model_result(ModelType(eff.gives), eff, "", args),)
                return ()
            case IfaceTarget(sig=sig):
                match sig:
                    case ("f", _params, results, _variadic):
                        return tuple(self.modelize(r) for r in results)
                return ()
            case StaticTarget(qname=qname):
                fi = self.index.funcs.get(qname)
                return tuple(self.modelize(r) for r in fi.results) if fi is not None else ()
            # a func-valued field, variable or value: its declared func type gives the results
            case FieldTarget(type=ft) | FuncValueTarget(type=ft):
                pass
            case VarTarget(uid=uid):
                ft = self.vtypes[uid] if uid < len(self.vtypes) else None
            case GlobalTarget(pkg=pkg, name=name):
                ft = self.global_type(pkg, name)
            case _:
                return ()
        if ft is not None and not isinstance(ft, ModelType):
            match self.index.underlying(ft):
                case ("f", _params, results, _variadic):
                    return tuple(self.modelize(r) for r in results)
        return ()

    def model_result(self, recv_model: ModelType, eff: Effect, method: str, args: tuple) -> ModelType | None:
        result = self.models.result_of_call(recv_model, eff, method)
        if result is None:
            return None
        if eff.gvr_arg is not None and eff.gvr_arg < len(args):
            g = self.gvr_of(args[eff.gvr_arg])
            result = (
                result.with_attrs(group=g.group, version=g.version, resource=g.resource)
                if g
                else result.with_attrs(resource="*", group="")
            )
        if eff.object_arg is not None and eff.object_arg < len(args):
            gr = self.object_resource(args[eff.object_arg])
            if gr is not None:
                result = result.with_attrs(group=gr.group, resource=gr.resource, version=gr.version)
        if eff.resource_arg is not None and eff.resource_arg < len(args):
            s = self.const_string(args[eff.resource_arg])
            result = result.with_attrs(resource=s if s is not None else "*")
        if eff.verb_arg is not None and eff.verb_arg < len(args):
            s = self.const_string(args[eff.verb_arg])
            result = result.with_attrs(verb=REST_VERBS.get((s or "").upper(), "*"))
        if eff.subresource_arg is not None and eff.gives and eff.subresource_arg < len(args):
            s = self.const_string(args[eff.subresource_arg])
            result = result.with_attrs(subresource=s or "*")
        return result

    def resolve_target(self, F: Expr, depth: int = 0) -> CallTarget:
        """resolve_target_in_tree, with calls into library packages (models.toml [library]) turned
        into library calls: their source is never followed."""
        target = self.resolve_target_in_tree(F, depth)
        if isinstance(target, StaticTarget):
            fi = self.index.funcs.get(target.qname)
            if fi is not None and self.models.is_library(fi.pkg):
                return LibTarget(target.qname, target.recv)
        elif isinstance(target, (IfaceTarget, FieldTarget)):
            match target:
                case (
                    IfaceTarget(iface=(pkg, name), method=member, recv=recv)
                    | FieldTarget(owner=(pkg, name), field=member, recv=recv)
                ) if self.models.is_library(pkg):
                    return LibTarget(f"{pkg}.{name}.{member}", recv)
        return target

    def resolve_target_in_tree(self, F: Expr, depth: int = 0) -> CallTarget:
        """What a call's function expression refers to (no side effects)."""
        match F:
            case (".", recv, method):
                return self.resolve_selector(F, recv, method, depth)
            case ("id", name):
                qname = f"{self.pkg}.{name}"
                if qname in self.index.funcs:
                    return StaticTarget(qname, None, ())
                if (self.pkg, name) in self.index.values:
                    return GlobalTarget(self.pkg, name)
                return LibTarget(name, None)
            case ("v", uid):
                return VarTarget(uid)
            case ("fl", i):
                return LitTarget(func_qname(self.pkg, self.facts.funcs[i]))
            case ("[]", generic, _idx):  # generic instantiation
                return self.resolve_target(generic, depth + 1)
            case ("call", *_):
                return FuncValueTarget(self.type_of(F, depth + 1))
        return LibTarget("?", None)

    def resolve_selector(self, F: Expr, recv: Expr, method: str, depth: int) -> CallTarget:
        """The target of a call of `recv.method` (F): a package member, a method or a func field."""
        q = self.qualified(F)
        if q is not None:
            path, name = q
            qname = f"{path}.{name}"
            eff = self.models.func(qname)
            if eff is not None:
                return ModelFuncCall(eff, qname)
            if qname in self.index.funcs:
                return StaticTarget(qname, None, ())
            if q in self.index.values:
                return GlobalTarget(path, name)
            return LibTarget(qname, None)
        rt = self.type_of(recv, depth + 1)
        if rt is None:
            return LibTarget(method, recv)
        if isinstance(rt, ModelType):
            return ModelMethodCall(rt, self.models.call(rt, method), method, recv)
        base = deref(rt)
        match base:
            case ("n", bpkg, bname, _targs):
                pass
            case _:
                match rt:
                    case ("f", *_):
                        return FuncValueTarget(rt)
                return LibTarget(method, recv)
        member = f"{bpkg}.{bname}.{method}"
        modelled = self.models.func(member)
        if modelled is not None:  # a modelled library method wins over its source
            return ModelFuncCall(modelled, member)
        if self.index.is_interface(base):
            inherited = self.embedded_model(base, method)
            if inherited is not None:  # Informer[T] embeds cache.SharedIndexInformer
                return ModelMethodCall(inherited, self.models.call(inherited, method), method, recv)
            ims = self.index.iface_methods(base)
            if ims is not None and method in ims:
                return IfaceTarget((bpkg, bname), method, recv, ims[method])
        found = self.index.method(base, method)
        if found is not None:
            if found.qname is not None:
                return StaticTarget(found.qname, recv, found.embedded)
            iface = found.iface
            iface_key = named_key(iface)
            assert iface is not None and iface_key is not None  # promoted from an embedded interface
            ipkg, iname = iface_key
            on = ("emb", recv, found.embedded)
            m = self.models.type_model(ipkg, iname)
            if m is not None:
                return ModelMethodCall(m, self.models.call(m, method), method, on)
            return IfaceTarget((ipkg, iname), method, on, (self.index.iface_methods(iface) or {}).get(method))
        fld = self.index.field(base, method)
        if fld is not None:
            return FieldTarget(fld.owner or (bpkg, bname), method, recv, fld.type)
        return LibTarget(member, recv)

    def embedded_model(self, iface: CanonType, method: str, depth: int = 0) -> ModelType | None:
        """The modelled library interface an in-tree interface embeds and takes `method` from."""
        if depth > 4:
            return None
        match self.index.underlying(iface):
            case ("i", methods, embeds) if not any(name == method for name, _sig in methods):
                pass
            case _:
                return None
        for emb in embeds:
            match emb:
                case ("n", epkg, ename, _targs):
                    m = self.models.type_model(epkg, ename)
                    if m is not None and self.models.call(m, method) is not None:
                        return m
                    found = self.embedded_model(emb, method, depth + 1)
                    if found is not None:
                        return found
        return None

    # ------------------------------------------------------------ constant values
    def const_string(self, expr: Expr) -> str | None:
        match expr:
            case ("lit", "s", text):
                return text
            case ("id", name):
                info = self.index.values.get((self.pkg, name))
                return info.string if info is not None else None
            case (".", *_):
                q = self.qualified(expr)
                if q is not None:
                    info = self.index.values.get(q)
                    return info.string if info is not None else None
            case ("call", F, (arg,), _line, _spread) if self.named_type_of_expr(F) is not None:
                return self.const_string(arg)  # string("pods")
        return None

    def gvr_of(self, expr: Expr) -> GVR | None:
        """The resource a GroupVersionResource expression names, when constant."""
        match expr:
            case ("u", "&", x):
                return self.gvr_of(x)
            case ("comp", _texpr, elems, _line):
                fields: dict[str, str] = {}
                positional = []
                for key, val in elems:
                    s = self.const_string(val)
                    match key:
                        case None:
                            positional.append(s)
                        case ("key", fname, _uid) if s is not None:
                            fields[fname] = s
                if positional and len(positional) == 3:
                    group, version, resource = positional
                    fields = {"Group": group or "", "Version": version or "", "Resource": resource or ""}
                if "Resource" in fields:
                    return GVR(fields.get("Group", ""), fields.get("Version", ""), fields["Resource"])
                return None
            case ("v", uid):
                m = self.var_model.get(uid)
                if (
                    m is not None
                    and m.name in ("gvr", "informer", "dynresource")
                    and m.resource
                    and m.resource != "*"
                ):
                    return GVR(m.group, m.version, m.resource)
                init = self.var_init.get(uid)
                return self.gvr_of(init) if init is not None and init is not expr else None
            case ("id", name):
                return self.gvr_value((self.pkg, name))
            case (".", *_):
                q = self.qualified(expr)
                return self.gvr_value(q) if q is not None else None
            case ("call", F, args, _line, _spread):
                match F, args:
                    case (".", group_version, "WithResource"), (first, *_):
                        res = self.const_string(first)
                        group = self.group_of_groupversion(group_version)
                        if res is not None:
                            return GVR(group or "", "", res)
                t = self.type_of(expr)
                if isinstance(t, ModelType) and t.name == "gvr" and t.resource:
                    return GVR(t.group, t.version, t.resource)
        return None

    def gvr_value(self, key: tuple[str, str]) -> GVR | None:
        """The resource a package-level GroupVersionResource value names."""
        info = self.index.values.get(key)
        if info is not None and info.fields and "Resource" in info.fields:
            return GVR(info.fields.get("Group", ""), info.fields.get("Version", ""), info.fields["Resource"])
        return None

    def group_of_groupversion(self, expr: Expr) -> str | None:
        """v1.SchemeGroupVersion / apps.SchemeGroupVersion -> the API group of that package."""
        match expr:
            case (".", *_):
                q = self.qualified(expr)
                if q is not None:
                    pkg, _name = q
                    return self.models.api_group_of_package(pkg)
            case ("comp", _texpr, elems, _line):
                for key, val in elems:
                    match key:
                        case ("key", "Group", _uid):
                            return self.const_string(val)
        return None

    def object_resource(self, expr: Expr) -> GVR | None:
        """&v1.Pod{} -> ('', 'v1', 'pods'): the API resource of an object's type."""
        t = self.type_of(expr)
        if t is None or isinstance(t, ModelType):
            return None
        match deref(t):
            case ("n", pkg, name, _targs) if pkg:
                group = self.models.api_group_of_package(pkg)
                if group is None:
                    return None
                version = pkg.rsplit("/", 1)[-1]
                return GVR(
                    group, version if version.startswith("v") else "", self.models.resource_of_kind(name)
                )
        return None

    # ------------------------------------------------------------ func values
    def func_values(self, expr: Expr, depth: int = 0) -> tuple[FuncValue, ...]:
        """The functions an expression of func type may denote (library functions excluded)."""
        return tuple(fv for fv in self.func_values_any(expr, depth) if not self.library_value(fv))

    def library_value(self, fv: FuncValue) -> bool:
        match fv:
            case FuncRef(qname=qname) | MethodValue(qname=qname):
                fi = self.index.funcs.get(qname)
                return fi is None or self.models.is_library(fi.pkg)
            case FieldFunc(owner=(pkg, _)) | IfaceMethod(iface=(pkg, _)):
                return self.models.is_library(pkg)
        return False

    def func_values_any(self, expr: Expr, depth: int = 0) -> tuple[FuncValue, ...]:
        if depth > 12:
            return ()
        match expr:
            case ("v", uid):
                found: tuple[FuncValue, ...] = tuple(sorted(self.var_funcs.get(uid, ())))
                params = self.param_of.get(self.unit, {})
                if params.get(uid, -1) >= 0:
                    found += (OwnParam(params[uid]),)
                return found
            case ("call", F, args, _line, _spread):
                ft = next(iter(self.call_results(expr, depth + 1)), None)
                if ft is None or isinstance(ft, ModelType) or not _is_func(self.index.underlying(ft)):
                    return ()
                callee = self.callee_values(self.resolve_target(F, depth + 1))
                if callee:
                    return (ReturnedBy(callee, tuple(self.func_values(a, depth + 1) for a in args)),)
            case (".", x, name):
                q = self.qualified(expr)
                if q is not None:
                    if q in self.index.values:
                        return (GlobalFunc(*q),)
                    qname = type_name(q)
                    return (FuncRef(qname),) if qname in self.index.funcs else ()
                rt = self.type_of(x, depth + 1)
                if rt is None or isinstance(rt, ModelType):
                    return ()
                base = deref(rt)
                key = named_key(base)
                if key is None:
                    return ()
                found_method = self.index.method(base, name)
                if found_method is not None and found_method.qname is not None:
                    return (MethodValue(found_method.qname, self.path_of(x)),)
                iface_key = named_key(found_method.iface) if found_method is not None else None
                if iface_key is not None:  # method value of an embedded interface
                    return (IfaceMethod(iface_key, name, self.path_of(x)),)
                fld = self.index.field(base, name)
                if fld is not None and fld.owner is not None:
                    return (FieldFunc(fld.owner, name),) if _is_func(self.index.underlying(fld.type)) else ()
                if self.index.is_interface(base):
                    return (IfaceMethod(key, name, self.path_of(x)),)
                return ()
            case ("id", name):
                qname = f"{self.pkg}.{name}"
                if qname in self.index.funcs:
                    return (FuncRef(qname),)
                if (self.pkg, name) in self.index.values:
                    return (GlobalFunc(self.pkg, name),)
                return ()
            case ("fl", i):
                return (Closure(func_qname(self.pkg, self.facts.funcs[i])),)
            case ("[]", x, _idx):
                return self.func_values(x, depth + 1)
        return ()

    def callee_values(self, target: CallTarget) -> tuple[FuncValue, ...]:
        match target:
            case StaticTarget(qname=qname):
                return (FuncRef(qname),)
            case LitTarget(qname=qname):
                return (Closure(qname),)
            case VarTarget(uid=uid):
                return tuple(sorted(self.var_funcs.get(uid, ())))
            case GlobalTarget(pkg=pkg, name=name):
                return (GlobalFunc(pkg, name),)
            case FieldTarget(owner=owner, field=fname):
                return (FieldFunc(owner, fname),)
        return ()

    def path_of(self, expr: Expr) -> AccessPath | None:  # overridden by the body analyzer
        return None


class _GlobalValues(_Base):
    """Package-level initializers: which functions global func variables hold."""

    def value(self, name: str, expr: Expr) -> None:
        for fv in self.func_values(expr):
            self.out.global_funcs.append((GlobalVar(self.pkg, name), fv))


class _BodyAnalyzer(_Base):
    """One top-level function (or package-level literal) and every func literal inside it."""

    def __init__(
        self,
        pkg: str,
        file: str,
        facts: FileFacts,
        top_index: int,
        ctx: FileCtx,
        index: ProgramIndex,
        models: Models,
        out: PackageSummary,
        file_index: _FileIndex,
    ):
        super().__init__(pkg, file, facts, ctx, index, models, out)
        self.top_index = top_index
        self.top: Func = facts.funcs[top_index]
        self.top_qname = func_qname(pkg, self.top)
        self.units = [top_index, *file_index.members.get(top_index, ())]
        self.file_index = file_index
        self.param_owner: dict[int, tuple[int, int]] | None = None
        self.vars = self.top.vars or []
        self.tparams = self.top.type_params
        self.vtypes = [None] * len(self.vars)
        self.var_paths: dict[int, AccessPath] = {}  # locals that alias a field (x := c.queue)
        self.unit_paths: dict[int, AccessPath] = {}  # uid -> path of the variable, in self.unit
        self.var_concrete: dict[int, set[TypeKey]] = defaultdict(set)
        self.var_field_funcs: dict[int, dict[str, set[FuncValue]]] = defaultdict(lambda: defaultdict(set))
        self.shared: set[int] = set()
        # facts gathered while walking, bound once every unit is summarized
        self.pending_methods: list[tuple[Location, MethodValue | IfaceMethod, Root | None]] = []
        self.pending_args: list[tuple[str, int, AccessPath]] = []  # (callee, argument position, its path)
        self.alias_holders: dict[Root, set[Location]] = {}  # root of a local -> fields it was stored in
        for u in self.units:
            fn = facts.funcs[u]
            params = {uid: i for i, (uid, _t) in enumerate(fn.params)}
            if fn.recv is not None:
                params[fn.recv] = -1
            self.param_of[u] = params
            if fn.parent is not None:
                self.shared.update(fn.captures)
        for uid, var in enumerate(self.vars):
            if var.type is not None:
                self.vtypes[uid] = self.rtype(var.type)
        self.unit = top_index
        # per-unit outputs
        self.fs: FunctionSummary  # the unit's summary, made by summarize_unit
        self.port_index: dict[Port, int] = {}
        self.var_nodes: dict[int, int] = {}  # uid -> node of the variable, in self.unit
        self.local_edges: list[tuple[int, int]] = []
        self.instantiations: set[TypeKey] = set()
        self.unit_returns: list[ReturnValue] = []  # the unit's returned values, fs.returns when done

    # ------------------------------------------------------------ pass 1: locals
    def run(self) -> None:
        deadline = self.file_index.deadline
        for _round in range(3):
            changed = False
            for u in self.units:
                fn = self.facts.funcs[u]
                for k, stmt in enumerate(fn.body or ()):
                    if not k & 15 and time.thread_time() > deadline:
                        raise _OverBudget
                    changed |= self.infer(stmt)
            if not changed:
                break
        for u in self.units:
            self.summarize_unit(u)
        self.bind_methods()
        self.bind_param_aliases()

    def set_type(self, uid: int, t: CanonType | None) -> bool:
        if t is None or uid >= len(self.vtypes):
            return False
        if isinstance(t, ModelType):
            old = self.var_model.get(uid)
            if old != t and (old is None or not old.resource):
                self.var_model[uid] = t
                return True
            return False
        if self.vtypes[uid] is None:
            self.vtypes[uid] = t
            return True
        return False

    def infer(self, stmt: Stmt) -> bool:
        changed = False
        match stmt:
            case ("=", lhs, rhs, _line, _define):
                if len(lhs) == len(rhs):
                    for target, value in zip(lhs, rhs):
                        match target:
                            case ("v", uid):
                                changed |= self.learn(uid, value)
                            case (".", ("v", uid), fname):
                                self.learn_field(uid, fname, value)
                elif len(rhs) == 1:
                    (value,) = rhs
                    types = self.multi_types(value)
                    for i, target in enumerate(lhs):
                        match target:
                            case ("v", uid) if i < len(types):
                                changed |= self.set_type(uid, types[i])
            case ("range", key, value, subject, _line):
                st = self.type_of(subject)
                kt = vt = None
                if st is not None and not isinstance(st, ModelType):
                    match self.index.underlying(deref(st)):
                        case ("s" | "a", elem):
                            kt, vt = INT, self.modelize(elem)
                        case ("m", ktype, vtype):
                            kt, vt = self.modelize(ktype), self.modelize(vtype)
                        case ("c", elem, _direction):
                            kt = self.modelize(elem)
                        case u if u == STRING:
                            kt, vt = INT, RUNE
                match key:
                    case ("v", uid):
                        changed |= self.set_type(uid, kt)
                match value:
                    case ("v", uid):
                        changed |= self.set_type(uid, vt)
        return changed

    def multi_types(self, value: Expr) -> tuple[CanonType | None, ...]:
        """The types of `a, b := value`: a call's results, or a value and its `ok`."""
        match value:
            case ("call", *_):
                return self.call_results(value)
            case ("[]", *_) | ("assert", *_) | ("u", "<-", _):
                return (self.type_of(value), BOOL)
        return ()

    def learn(self, uid: int, value: Expr) -> bool:
        changed = self.set_type(uid, self.type_of(value))
        fvs = self.func_values(value)
        if fvs:
            before = len(self.var_funcs[uid])
            self.var_funcs[uid].update(fvs)
            changed |= len(self.var_funcs[uid]) != before
        match value:
            case ("u", "&", inner):
                pass
            case _:
                inner = value
        match inner:
            case ("comp", *_) if uid not in self.var_comp:
                self.var_comp[uid] = inner
                changed = True
        self.var_init.setdefault(uid, value)
        p = self.path_of(value)
        if p is not None and p.field is not None and uid not in self.var_paths:
            self.var_paths[uid] = p
        key = self.concrete_type(self.type_of(value))
        if key is not None:
            self.var_concrete[uid].add(key)
        return changed

    def learn_field(self, uid: int, fname: str, value: Expr) -> None:
        fvs = self.func_values(value)
        if fvs:
            self.var_field_funcs[uid][fname].update(fvs)

    # ------------------------------------------------------------ access paths
    def var_path(self, uid: int) -> AccessPath:
        """The path a variable names in the current unit (made once per unit and variable)."""
        paths = self.unit_paths
        path = paths.get(uid)
        if path is None:
            params = self.param_of.get(self.unit, {})
            if uid in params:
                root: Root = Param(params[uid])
            elif uid in self.shared:
                root = Shared(uid)
            else:
                root = Local(uid)
            path = paths[uid] = AccessPath(root, None)
        return path

    def path_of(self, expr: Expr) -> AccessPath | None:
        """(root, first field) of an expression naming non-local state, else None."""
        match expr:
            case ("v", uid):
                alias = self.var_paths.get(uid)
                return alias if alias is not None else self.var_path(uid)
            case (".", x, name):
                q = self.qualified(expr)
                if q is not None:
                    info = self.index.values.get(q)
                    if info is not None and not info.const:
                        return AccessPath(GlobalVar(*q), None)
                    return None
                inner = self.path_of(x)
                if inner is None:
                    return None
                if inner.field is not None:
                    return inner
                t = self.type_of(x)
                if t is not None and not isinstance(t, ModelType) and self.index.field(t, name) is None:
                    key = named_key(t)
                    if key is None or key in self.index.types:
                        return None  # a method value, not a field
                return AccessPath(inner.root, name)
            case ("call" | "lit" | "comp" | "b" | "fl", *_):
                return None  # values, not state
            case ("id", name):
                info = self.index.values.get((self.pkg, name))
                if info is not None and not info.const:
                    return AccessPath(GlobalVar(self.pkg, name), None)
                return None
            case ("[]", x, _) | ("[:]", x) | ("u", "*" | "&", x):
                return self.path_of(x)
            case ("emb", x, _embedded):
                # a promoted method runs on the embedded object, but its fields are found through the
                # outer one (index.field follows embedding), so the path stays the outer object's
                return self.path_of(x)
        return None

    def root_type(self, root: Root) -> CanonType | None:
        match root:
            case Param(position=i):
                fn = self.facts.funcs[self.unit]
                if i == -1:
                    return self.rtype(fn.recv_type) if fn.recv_type is not None else None
                if i < len(fn.params):
                    uid, _t = fn.params[i]
                    return self.vtypes[uid]
                return None
            case Shared(uid=uid) | Local(uid=uid):
                return self.vtypes[uid] if uid < len(self.vtypes) else None
            case GlobalVar(pkg=pkg, name=name):
                info = self.index.values.get((pkg, name))
                return info.type if info is not None else None
        return None

    def materialize(self, path: AccessPath | None) -> Location | None:
        """Access path -> abstract location: the struct field, the package variable, the variable
        shared with literals."""
        if path is None:
            return None
        root, fname = path
        match root:
            case GlobalVar():
                if fname is None:
                    return root
            case Shared(uid=uid) if fname is None:
                # a variable shared by a function and its literals (a queue built in a closure)
                return SharedLoc(self.top_qname, uid)
            case _ if fname is None:
                return None
        return field_location(self.index, self.root_type(root), fname, self.models.is_library)

    def is_reference(self, t: CanonType | None) -> bool:
        """Does copying a value of type t share an object (pointer, map, slice, chan, func, interface)?"""
        if t is None or isinstance(t, ModelType):
            return True
        match t:
            case (tag, *_) if tag in REFERENCE_TAGS or tag == "?":
                return True
        match self.index.underlying(t):
            case ("n", pkg, name, _targs):
                return (
                    pkg,
                    name,
                ) not in self.index.types and pkg != ""  # unknown library type: assume shared
            case (tag, *_):
                return tag in REFERENCE_TAGS
        return False

    # ------------------------------------------------------------ pass 2: one unit
    def summarize_unit(self, u: int) -> None:
        self.unit = u
        fn = self.facts.funcs[u]
        fs = FunctionSummary(qname=func_qname(self.pkg, fn), file=self.file, line=fn.line)
        fs.is_literal = fn.is_literal
        if fn.parent is not None:
            fs.parent = func_qname(self.pkg, self.facts.funcs[fn.parent])
        fs.recv_type = self.rtype(fn.recv_type) if fn.recv_type is not None else None
        self.fs = fs
        self.port_index = {}
        self.var_nodes = {}
        self.unit_paths = {}
        self.local_edges = []
        for uid, i in self.param_of[u].items():
            p = self.port(Param(i))
            self.local_edges.append((p, ~uid))
            t = self.vtypes[uid] if i >= 0 else fs.recv_type
            if t is not None:
                fs.root_types[Param(i)] = t
        for uid in fn.captures:
            t = self.vtypes[uid] if uid < len(self.vtypes) else None
            if t is not None:
                fs.root_types[Shared(uid)] = t
        fs.top = self.top_qname
        fs.param_uids = tuple(uid for uid, _t in fn.params)
        self.instantiations = set()
        if u == self.top_index:
            for var in self.vars:
                match var.type:
                    case ("n", *_):
                        self.instantiated(self.index.resolve_type(var.type, self.ctx, self.tparams))
        self.unit_returns = []
        deadline = self.file_index.deadline
        for k, stmt in enumerate(fn.body or ()):
            if not k & 15 and time.thread_time() > deadline:
                raise _OverBudget
            self.statement(stmt)
        fs.returns = tuple(self.unit_returns)
        fs.instantiates = tuple(sorted(self.instantiations))
        ret = self.port(RETURNED)
        for uid, _t in fn.results:
            self.local_edges.append((~uid, ret))
        self.record_root_types()
        self.compress()
        self.find_forward(fn)
        self.out.functions.append(fs)

    def record_root_types(self) -> None:
        """Types and names of every variable used as the root of a path here, so the global pass
        can turn paths substituted into this function into locations."""
        fs = self.fs
        roots: set[Root] = set()
        for a in fs.accesses:
            roots.add(a.root)
        for site in fs.sites:
            if site.recv is not None:
                roots.add(site.recv.root)
            for p in site.args:
                if p is not None:
                    roots.add(p.root)
        for uid in self.shared:
            roots.add(Shared(uid))
        for root in roots:
            if root in fs.root_types:
                continue
            match root:
                case Shared(uid=uid) | Local(uid=uid):
                    t = self.vtypes[uid] if uid < len(self.vtypes) else None
                    if t is not None:
                        fs.root_types[root] = t
                    if uid < len(self.vars):
                        fs.var_names[uid] = self.vars[uid].name
                case Param():
                    t = self.root_type(root)
                    if t is not None:
                        fs.root_types[root] = t

    def port(self, p: Port) -> int:
        """The node of port p (its index in the summary's ports, added on first use)."""
        node = self.port_index.get(p)
        if node is None:
            node = self.port_index[p] = len(self.fs.ports)
            self.fs.ports.append(p)
        return node

    def node_of_var(self, uid: int) -> int:
        """A variable's node: the port of a shared variable or parameter (made on first use), else
        its own (~uid)."""
        node = self.var_nodes.get(uid)
        if node is None:
            if uid in self.shared:
                node = self.port(SharedPort(self.top_qname, uid))
            else:
                params = self.param_of[self.unit]
                node = self.port(Param(params[uid])) if uid in params else ~uid
            self.var_nodes[uid] = node
        return node

    def flow(self, sources: Iterable[int], target: int) -> None:
        for s in sources:
            self.local_edges.append((s, target))

    def compress(self) -> None:
        """Local edges over variables and ports -> edges between ports (what reaches what)."""
        succ: dict[int, set[int]] = defaultdict(set)
        for a, b in self.local_edges:
            if a < 0:
                a = self.node_of_var(~a)
            if b < 0:
                b = self.node_of_var(~b)
            if a != b:
                succ[a].add(b)
        ports = self.fs.ports
        outputs = {i for i, p in enumerate(ports) if p.tag in OUTPUT_PORTS}
        nodes = set(succ)
        for vs in succ.values():
            nodes |= vs
        if len(self.local_edges) * len(outputs) > MAX_FLOW_WORK:
            self.too_complex(f"{len(self.local_edges):,} local edges to {len(outputs):,} outputs")
            return
        reach = {n: (1 << n) if n in outputs else 0 for n in nodes}
        changed = True
        rounds = 0
        while changed and rounds < 50:
            changed = False
            rounds += 1
            for n, vs in succ.items():
                m = reach[n]
                for v in vs:
                    m |= reach[v]
                if m != reach[n]:
                    reach[n] = m
                    changed = True
        masks: list[tuple[int, int]] = []
        for n in nodes:
            if n < 0 or ports[n].tag not in INPUT_PORTS:
                continue
            m = 0
            for v in succ.get(n, ()):
                m |= reach[v]
            masks.append((n, m & ~(1 << n)))
        flows = sum(m.bit_count() for _i, m in masks)
        if flows > MAX_FLOWS:
            self.too_complex(f"{flows:,} flows between its ports")
            return
        edges: list[tuple[int, int]] = []
        for i, m in masks:
            while m:  # one step per set bit
                low = m & -m
                edges.append((i, low.bit_length() - 1))
                m ^= low
        self.fs.edges = sorted(edges)

    def too_complex(self, why: str) -> None:
        """The function's data flow is over budget: left out (no edges), and reported."""
        fs = self.fs
        self.out.errors.append(
            f"{fs.file}:{fs.line}: {fs.qname}: too complex ({why}): its data flow is left out"
        )

    def find_forward(self, fn: Func) -> None:
        """A literal whose only statement calls one function with some of its parameters."""
        if fn.parent is None:
            return
        match fn.body:
            case (("x", ("call", F, args, _line, _spread), _xline),):
                pass
            case _:
                return
        target = self.resolve_target(F)
        params = {uid for uid, _t in fn.params}
        uses_param = any(_var_uid(a) in params for a in args)
        if not uses_param and fn.params:
            return
        match target:
            case StaticTarget(qname=qname):
                self.fs.forwards_to = qname
            case FieldTarget() | VarTarget():
                match self.callee_values(target):
                    case (FuncRef(qname=qname) | MethodValue(qname=qname),):
                        self.fs.forwards_to = qname

    # ------------------------------------------------------------ statements
    def statement(self, stmt: Stmt) -> None:
        match stmt:
            case ("=", lhs, rhs, line, _define):
                self.current_line = line
                self.assign(lhs, rhs, line)
            case ("x", x, line):
                self.current_line = line
                self.atoms(x)
            case ("ret", exprs, line):
                self.current_line = line
                ret = self.port(RETURNED)
                for e in exprs:
                    self.flow(self.atoms(e), ret)
                    self.record_return(e)
            case ("go" | "defer" as launch, e, line):
                self.current_line = line
                match e:
                    case ("call", *_):
                        self.call(e, launch)
                    case _:
                        self.atoms(e)
            case ("send", ch, value, line):
                self.current_line = line
                src = self.atoms(value)
                self.write_to(ch, src, line, "chan send")
            case ("range", key, value, subject, line):
                self.current_line = line
                src = set(self.atoms(subject, read_as="range"))
                for target in (key, value):
                    if target is not None:
                        self.store(target, src, line)

    def record_return(self, e: Expr) -> None:
        out: list[ReturnValue] = []
        for fv in self.func_values(e):
            match fv:
                case OwnParam(position=i):
                    out.append(ParamOf(self.fs.qname, i))
                case Closure(qname=qname):
                    out.append(ReturnedClosure(qname, self.forwarded_param(qname)))
                case _:
                    out.append(fv)
        t = self.type_of(e)
        key = named_key(t)
        if key is not None and type_name(key) in self.models.handler_funcs:
            hv = self.handler_value(e)
            if hv.form != "unknown":
                out.append(ReturnedHandler(hv))
        self.unit_returns.extend(out)  # made fs.returns once the unit is done (not a copy per return)
        concrete = self.concrete_type(t)
        if concrete is not None:
            self.out.returns_types.append((self.fs.qname, concrete))

    def forwarded_param(self, lit_qname: str) -> int:
        """For a returned literal: which parameter of this unit it calls (a handler factory), else -1."""
        params = self.param_of[self.unit]
        lit = self.file_index.by_qname.get(lit_qname)
        for call in _walk_calls(lit.body or () if lit is not None else ()):
            match call:
                case ("call", ("v", uid), *_) if uid in params and params[uid] >= 0:
                    return params[uid]
        return -1

    def assign(self, lhs: tuple[Expr, ...], rhs: tuple[Expr, ...], line: int) -> None:
        if len(lhs) == len(rhs):
            for target, value in zip(lhs, rhs):
                src = self.atoms(value)
                self.store(target, src, line, value)
        else:
            src = set()
            for value in rhs:
                src |= self.atoms(value)
            single = _first(rhs) if len(rhs) == 1 else None
            for target in lhs:
                self.store(target, src, line, single)

    def store(self, target: Expr, src: set[int], line: int, value: Expr | None = None) -> None:
        match target:
            case ("v", uid):
                self.flow(src, self.node_of_var(uid))
                return
            case ("id", "_"):
                return
            case (".", *_):
                via = "field"
            case ("[]", *_):
                via = "map store"
            case _:
                via = "store"
        self.write_to(target, src, line, via, value)

    def write_to(self, target: Expr, src: set[int], line: int, via: str, value: Expr | None = None) -> None:
        path = self.path_of(target)
        # evaluating the target's sub-expressions (index keys, receivers of nested calls)
        indexed = False
        match target:
            case ("[]", _x, idx):
                indexed = True
                for i in idx:
                    src = set(src) | self.atoms(i)
        if path is None:
            self.atoms(target)
            return
        root, fname = path
        if isinstance(root, (Local, Shared, Param)) and fname is None and not indexed and via != "chan send":
            # *p = v: the pointed-to value is the variable's own
            if isinstance(root, Local):
                self.flow(src, self.node_of_root(root))
            return
        loc = self.materialize(path)
        if self.worth_recording(root, fname, loc):
            k = len(self.fs.accesses)
            self.fs.accesses.append(Access(line, "write", root, fname, loc, via))
            self.flow(src, self.port(WriteValue(k)))
        if isinstance(root, Local):
            # a local object holding the field now carries the value too (pod.Spec = x taints pod);
            # receivers and parameters are shared objects: their fields are locations of their own
            self.flow(src, self.node_of_root(root))
        if value is not None and loc is not None and not isinstance(loc, GlobalVar):
            self.field_facts(loc, value, target)

    def node_of_root(self, root: Param | Local | Shared) -> int:
        if isinstance(root, Param):
            return self.port(root)
        return self.node_of_var(root.uid)

    def field_facts(self, loc: Location, value: Expr, target: Expr) -> None:
        """x.f = v: what constructors store into fields (see store_facts)."""
        tp = self.path_of(target)
        self.store_facts(loc, value, tp.root if tp is not None else None)

    def store_facts(self, loc: Location, value: Expr, target_root: Root | None) -> None:
        """A value stored in field `loc`: the func values, concrete types and library models it
        carries, the parameter it forwards, and the object it shares with other fields."""
        for fv in self.func_values(value):
            self.field_func(loc, fv, target_root)
        t = self.type_of(value)
        if isinstance(t, ModelType) and t.resource:
            self.out.field_models.append((loc, t))
        key = self.concrete_type(t)
        if key is not None:
            self.out.field_types.append((loc, key))
        match value:
            case ("call", F, *_):
                tg = self.resolve_target(F)
                if isinstance(tg, StaticTarget):
                    self.out.field_types.append((loc, ResultOf(tg.qname)))
        vp = self.path_of(value)
        if vp is None:
            return
        vroot, vfield = vp
        if vfield is None and isinstance(vroot, Param) and vroot.position >= 0:
            self.out.param_stores.append(((self.fs.qname, vroot.position), loc))
        if not self.is_reference(t):
            return  # a struct copied by value is a new object: no alias
        if vfield is not None:
            other = self.materialize(vp)
            if other is not None and other != loc:
                self.out.aliases.append((loc, other))
        elif isinstance(vroot, (Local, Param, Shared)):
            # one local stored in several fields: they all hold the same object
            holders = self.alias_holders.setdefault(vroot, set())
            for h in holders:
                if h != loc:
                    self.out.aliases.append((loc, h))
            holders.add(loc)

    def field_func(self, loc: Location, fv: FuncValue, target_root: Root | None) -> None:
        if isinstance(fv, OwnParam):  # stored parameter: resolved from this function's callers
            fv = ParamOf(self.fs.qname, fv.position)
        if isinstance(fv, (MethodValue, IfaceMethod)):
            self.pending_methods.append((loc, fv, target_root))
        else:
            self.out.field_funcs.append((loc, fv))

    def bind_methods(self) -> None:
        """A method value stored in a field: whose method is it? (SELF: the struct holding the
        field; SubObject(f): the object in field f of that struct; a location; None: unknown)."""
        for loc, fv, target_root in self.pending_methods:
            bpath = fv.bound
            bound: Binding = None
            if isinstance(bpath, AccessPath):
                broot, bfield = bpath
                if bfield is not None:
                    bound = self.materialize(bpath)
                elif target_root is not None and broot == target_root:
                    bound = SELF
                else:
                    holders = self.alias_holders.get(broot, set())
                    same = [h for h in holders if _holder_key(h) == _holder_key(loc)]
                    if same:
                        bound = SubObject("sub", _holder_field(min(same)))
                    elif holders:
                        bound = min(holders)
            self.out.field_funcs.append((loc, fv._replace(bound=bound)))

    def bind_param_aliases(self) -> None:
        """F(podQueue) where podQueue is also stored in sched.SchedulingQueue: F's parameter is that
        object (a closure F returns that captures it reads the same queue)."""
        for callee, i, path in self.pending_args:
            locs: set[Location] = set()
            if path.field is not None:
                loc = self.materialize(path)
                if loc is not None:
                    locs.add(loc)
            else:
                locs |= self.alias_holders.get(path.root, set())
            for loc in sorted(locs, key=tuple_text):
                self.out.param_aliases.append(((callee, i), loc))

    # ------------------------------------------------------------ expressions
    def atoms(self, expr: Expr, read_as: str = "") -> set[int]:
        """Evaluate an expression: register its calls and reads; return the nodes its value comes from."""
        match expr:
            case ("v", uid):
                return {self.node_of_var(uid)}
            case ("call", *_):
                return self.call(expr, "call")
            case (".", x, _name):
                path = self.path_of(expr)
                if self.qualified(expr) is not None:
                    if path is not None:  # a package variable of another package
                        return {self.read(path, 0, read_as or "global")}
                    return set()
                if path is not None and path.field is not None:
                    return self.atoms_base(x) | {self.read(path, 0, read_as or "field")}
                return self.atoms(x)
            case ("lit", *_) | ("T", _) | ("fl", _):
                return set()
            case ("id", _name):
                path = self.path_of(expr)
                if path is not None and isinstance(path.root, GlobalVar):
                    return {self.read(path, 0, "global")}
                return set()
            case ("b", _op, x, y):
                return self.atoms(x) | self.atoms(y)
            case ("u", op, x):
                if op == "<-":
                    path = self.path_of(x)
                    if path is not None and (path.field is not None or isinstance(path.root, GlobalVar)):
                        return self.atoms_base(x) | {self.read(path, 0, "chan receive")}
                return self.atoms(x, read_as)
            case ("comp", texpr, elems, _line):
                out = set()
                ctype = self.rtype(texpr) if texpr is not None else None
                self.instantiated(ctype)
                positional = self.struct_field_names(ctype) if ctype is not None else ()
                named = _is_named(ctype)
                for i, (key, val) in enumerate(elems):
                    match key:
                        case ("key", fname, _uid):
                            out |= self.atoms(val)
                            if named:
                                self.composite_field(ctype, fname, val)
                        case None:
                            out |= self.atoms(val)
                            if i < len(positional):  # T{a, b}: fields in declaration order
                                self.composite_field(ctype, positional[i], val)
                        case _:
                            out |= self.atoms(key)
                            out |= self.atoms(val)
                return out
            case ("[]", x, idx):
                out = self.atoms(x, read_as or "index")
                for i in idx:
                    out |= self.atoms(i)
                return out
            case ("[:]", x) | ("assert", x, _):
                return self.atoms(x, read_as)
            case ("emb", x, _embedded):
                return self.atoms(x)
        return set()

    def atoms_base(self, expr: Expr) -> set[int]:
        """The variables behind a field path, without reading the field itself."""
        match expr:
            case ("v", uid):
                return {self.node_of_var(uid)}
            case (".", x, _name):
                if self.qualified(expr) is not None:
                    return set()
                return self.atoms_base(x)
            case ("[]", x, _) | ("[:]", x) | ("u", _, x) | ("emb", x, _):
                return self.atoms_base(x)
            case ("id", _name):
                return set()
        return self.atoms(expr)

    def read(self, path: AccessPath, line: int, via: str) -> int:
        root, fname = path
        loc = self.materialize(path)
        if not self.worth_recording(root, fname, loc):
            return self.port(PLAIN_DATA)  # a field of a plain data object: just data
        k = len(self.fs.accesses)
        self.fs.accesses.append(Access(line or self.current_line, "read", root, fname, loc, via))
        return self.port(ReadValue(k))

    def worth_recording(self, root: Root, fname: str | None, loc: Location | None) -> bool:
        """Keep accesses to state (a location, or a parameter whose caller will say which);
        drop field reads of plain objects (pod.Spec, a local struct)."""
        if loc is not None:
            return True
        if not isinstance(root, (Param, Shared)):
            return False
        if fname is None:
            return True
        t = self.root_type(root)
        if t is None or isinstance(t, ModelType):
            return True
        base = deref(t)
        return named_key(base) is not None and self.index.is_interface(base)

    current_line = 0

    def struct_field_names(self, ctype: CanonType) -> tuple[str, ...]:
        key = named_key(ctype)
        if key is None or key not in self.index.types:
            return ()
        match self.index.underlying(deref(ctype)):
            case ("st", fields):
                return tuple(name for name, _t, _emb in fields)
        return ()

    def composite_field(self, ctype: CanonType | None, fname: str, val: Expr) -> None:
        """T{f: v}: the same facts as an assignment to field f of a T."""
        key = named_key(ctype)
        if ctype is None or key is None:
            return
        found = self.index.field(ctype, fname)
        if found is not None:
            self.store_facts(FieldLoc(found.owner or key, fname), val, None)

    # ------------------------------------------------------------ calls
    def call(self, expr: Expr, launch: str) -> set[int]:
        _c, F, args, line, _spread = expr
        self.current_line = line
        if self.is_builtin(F):
            _id, name = F
            return self.builtin(name, args, line)
        if self.named_type_of_expr(F) is not None:
            out = set()
            for a in args:
                out |= self.atoms(a)
            return out
        target = self.resolve_target(F)
        if isinstance(target, ModelMethodCall):
            return self.model_call(target, args, line)
        if isinstance(target, ModelFuncCall):
            return self.model_func_call(target, args, line)
        arg_atoms = [self.atoms(a) for a in args]
        all_args = set().union(*arg_atoms) if arg_atoms else set()
        arg_paths = tuple(self.path_of(a) for a in args)
        arg_funcs = tuple(self.func_values(a) for a in args)
        if isinstance(target, LibTarget):
            recv = target.recv
            recv_atoms = self.atoms_base(recv) if recv is not None else set()
            if recv is not None:
                method = target.name.rsplit(".", 1)[-1]
                path = self.path_of(recv)
                if path is not None and path.field is not None and method in self.models.mutating_methods:
                    k = len(self.fs.accesses)
                    self.fs.accesses.append(
                        Access(
                            line,
                            "write",
                            path.root,
                            path.field,
                            self.materialize(path),
                            f"{method} (guessed)",
                        )
                    )
                    self.flow(all_args, self.port(WriteValue(k)))
            # library code calls the functions it is given (wait.Until, retries, sort, ...)
            self.callbacks(arg_funcs, arg_atoms, line)
            return all_args | recv_atoms
        recv_expr = None
        callee: Callee = NO_CALLEE
        targets: tuple[FuncValue, ...] = ()
        match target:
            case StaticTarget(qname=qname, recv=recv, embedded=embedded):
                callee = StaticCall(qname)
                recv_expr = ("emb", recv, embedded) if recv is not None and embedded else recv
            case IfaceTarget(iface=iface, method=method, recv=recv):
                recv_expr = recv
                recv_path = self.path_of(recv)
                loc = (
                    self.materialize(recv_path)
                    if recv_path is not None and recv_path.field is not None
                    else None
                )
                narrow: tuple[TypeKey, ...] = ()
                match recv:
                    case ("v", uid) if self.var_concrete.get(uid):
                        narrow = tuple(sorted(self.var_concrete[uid]))
                callee = IfaceCall(iface, method, loc, narrow)
            case FieldTarget(owner=owner, field=fname, recv=recv):
                callee = FieldFunc(owner, fname)
                recv_expr = recv
                fr = self.path_of(recv)
                # the func value's receiver is not the struct: only the struct's atoms flow nowhere
                if fr is not None:
                    read = fr if fr.field is not None else AccessPath(fr.root, fname)
                    self.fs.accesses.append(
                        Access(
                            line, "read", read.root, read.field, self.materialize(read), "call of func field"
                        )
                    )
            case VarTarget(uid=uid):
                params = self.param_of[self.unit]
                if uid in params and params[uid] >= 0:
                    callee = OwnParam(params[uid])
                elif uid in self.shared:
                    callee = self.var_is_param_of_ancestor(uid) or callee
                targets = tuple(sorted(self.var_funcs.get(uid, ())))
            case GlobalTarget(pkg=pkg, name=name):
                callee = GlobalFunc(pkg, name)
            case LitTarget(qname=qname):
                targets = (Closure(qname),)
            case FuncValueTarget() if _is_call(F):
                targets = self.func_values(F)
                self.atoms(F)
        recv_path = self.path_of(recv_expr) if recv_expr is not None else None
        s = self.new_site(line, launch, callee, targets, recv_path, arg_paths, arg_funcs, len(args))
        if isinstance(target, StaticTarget):
            for i, p in enumerate(arg_paths):
                if p is not None and isinstance(p.root, (Local, Shared, Param)):
                    self.pending_args.append((target.qname, i, p))
        if isinstance(target, (StaticTarget, VarTarget, LitTarget, FieldTarget, GlobalTarget)):
            site = self.fs.sites[s]
            site.arg_types = tuple(self.concrete_types(a) for a in args)
            site.arg_models = tuple(self.arg_model(a) for a in args)
        recv_nodes: set[int] = set()
        if recv_expr is not None:
            recv_nodes = self.atoms_base(recv_expr) if recv_path is not None else self.atoms(recv_expr)
            self.flow(recv_nodes, self.port(CallArg(s, -1)))
        for i, a in enumerate(arg_atoms):
            self.flow(a, self.port(CallArg(s, i)))
        co = self.port(CallResult(s))
        # results may carry any input, the receiver's too (c.Victims() of a tainted candidate); the
        # callee's own flow is followed separately
        return {co} | all_args | recv_nodes

    def callbacks(
        self,
        arg_funcs: Iterable[tuple[FuncValue, ...]],
        arg_atoms: list[set[int]],
        line: int,
        skip: int | None = None,
    ) -> None:
        """Func values handed to library code are called by it; the other arguments may reach
        their parameters (port CallArg(s, 0) of a callback site stands for every parameter)."""
        for i, fvs in enumerate(arg_funcs):
            if not fvs or i == skip:
                continue
            s = self.new_site(line, "callback", NO_CALLEE, fvs, None, (), (), 0)
            others = [a for j, a in enumerate(arg_atoms) if j != i]
            if others:
                every_param = self.port(CallArg(s, 0))
                for a in others:
                    self.flow(a, every_param)

    def concrete_types(self, expr: Expr) -> tuple[ConcreteType, ...]:
        """Concrete struct types an expression may hold (for narrowing interface calls)."""
        match expr:
            case ("v", uid) if self.var_concrete.get(uid):
                return tuple(sorted(self.var_concrete[uid]))
        key = self.concrete_type(self.type_of(expr))
        if key is not None:
            return (key,)
        match expr:
            case ("call", F, *_):
                tg = self.resolve_target(F)
                if isinstance(tg, StaticTarget):
                    return (ResultOf(tg.qname),)
        return ()

    def arg_model(self, expr: Expr) -> ModelType | OwnParam | None:
        """An argument's library model when it names a resource (an informer passed to a helper),
        or OwnParam(i) when it forwards this function's own parameter."""
        t = self.type_of(expr)
        if isinstance(t, ModelType) and t.resource:
            return t
        p = self.path_of(expr)
        if p is not None and p.field is None and isinstance(p.root, Param) and p.root.position >= 0:
            return OwnParam(p.root.position)
        return None

    def var_is_param_of_ancestor(self, uid: int) -> ParamOf | None:
        if self.param_owner is None:  # uid -> (unit, position) of the first unit it is a parameter of
            self.param_owner = {}
            for u in self.units:
                for v, i in self.param_of[u].items():
                    if i >= 0:
                        self.param_owner.setdefault(v, (u, i))
        found = self.param_owner.get(uid)
        if found is None:
            return None
        unit, position = found
        return ParamOf(func_qname(self.pkg, self.facts.funcs[unit]), position)

    def new_site(
        self,
        line: int,
        launch: str,
        callee: Callee,
        targets: tuple[FuncValue, ...],
        recv: AccessPath | None,
        args: tuple[AccessPath | None, ...],
        arg_funcs: tuple[tuple[FuncValue, ...], ...],
        nargs: int,
    ) -> int:
        self.fs.sites.append(
            Site(line, launch, callee, tuple(targets), recv, tuple(args), tuple(arg_funcs), nargs)
        )
        return len(self.fs.sites) - 1

    def instantiated(self, t: CanonType | None) -> None:
        key = named_key(t)
        if key is not None and key in self.index.types:
            self.instantiations.add(key)

    def builtin(self, name: str, args: tuple[Expr, ...], line: int) -> set[int]:
        match name, args:
            case "new", (first, *_):
                self.instantiated(self.type_argument(first))
        arg_atoms = [self.atoms(a) for a in args if not _is_type(a)]
        out = set().union(*arg_atoms) if arg_atoms else set()
        match name, args:
            case "delete", (first, *_):
                self.write_to(first, out, line, "map delete")
                return set()
            case "copy", (dst, src):
                self.store(dst, self.atoms(src), line)
        if name in ("len", "cap"):
            return set()
        return out

    def model_func_call(self, target: ModelFuncCall, args: tuple[Expr, ...], line: int) -> set[int]:
        eff = target.effect
        arg_atoms = [self.atoms(a) for a in args]
        out = set().union(*arg_atoms) if arg_atoms else set()
        if eff.register is not None or eff.register_field is not None:
            self.registration(
                target.name.rsplit(".", 1)[-1], ModelType(eff.gives or "store"), eff, args, line
            )
        if eff.callback:
            self.callbacks([self.func_values(a) for a in args], arg_atoms, line, skip=eff.register)
        return out

    def model_call(self, target: ModelMethodCall, args: tuple[Expr, ...], line: int) -> set[int]:
        recv_model, eff, method, recv = target
        arg_atoms = [self.atoms(a) for a in args]
        all_args = set().union(*arg_atoms) if arg_atoms else set()
        recv_path = self.path_of(recv)
        recv_atoms = self.atoms_base(recv) if recv_path is not None else self.atoms(recv)
        if eff is None:
            # an unmodelled method of a modelled type: a read-only pass-through
            return all_args | recv_atoms
        if eff.register is not None:
            self.registration(method, recv_model, eff, args, line, recv)
            return set()
        if eff.sink is not None or (eff.request and recv_model.verb in WRITE_VERBS):
            self.sink(recv_model, eff, args, line, all_args | recv_atoms)
            return all_args | recv_atoms
        if eff.request:
            self.fs.reads.append(LibRead(line, f"{recv_model.verb or 'get'} {recv_model.resource_name}"))
            return all_args | recv_atoms
        if eff.read is not None:
            what = "lister" if eff.read == "lister" else eff.read
            self.fs.reads.append(LibRead(line, f"{what} {recv_model.resource_name}"))
            return all_args | recv_atoms
        if eff.effect in ("write", "read") and recv_path is not None:
            root, fname = recv_path
            loc = self.materialize(recv_path)
            k = len(self.fs.accesses)
            via = f"{recv_model.name}.{method}"
            if eff.effect == "write":
                if fname is None and isinstance(root, Local) and loc is None:
                    self.flow(all_args, self.node_of_root(root))
                    return set()
                self.fs.accesses.append(Access(line, "write", root, fname, loc, via))
                self.flow(all_args, self.port(WriteValue(k)))
                return set()
            self.fs.accesses.append(Access(line, "read", root, fname, loc, via))
            return {self.port(ReadValue(k))} | all_args
        if eff.callback:
            self.callbacks([self.func_values(a) for a in args], arg_atoms, line)
        return all_args | recv_atoms

    def sink(self, m: ModelType, eff: Effect, args: tuple[Expr, ...], line: int, sources: set[int]) -> None:
        kind = eff.kind or "write"
        verb = m.verb if eff.request else (eff.sink or "create")
        group = eff.group if eff.group is not None else m.group
        version = m.version if group == m.group else ""  # Evict on PolicyV1beta1() writes core pods/eviction
        resource = eff.resource or m.resource or "*"
        sub = eff.subresource or ""
        if not eff.request and eff.subresource_arg is not None and eff.subresource_arg < len(args):
            s = self.const_string(args[eff.subresource_arg])
            sub = s if s is not None else ""
        elif eff.request:
            sub = m.subresource
        if eff.object_arg is not None and eff.object_arg < len(args):
            gr = self.object_resource(args[eff.object_arg])
            if gr is not None:
                group, resource, version = gr.group, gr.resource, gr.version
        if eff.kind == "event":
            group = eff.group or ""
            resource = "events"
            sub = ""
            version = ""
        api = "/".join(x for x in (group, resource, sub) if x)
        if resource == "*":
            api = "*" if not sub else f"*/{sub}"
        k = len(self.fs.sinks)
        self.fs.sinks.append(SinkCall(line, verb, api, kind, CLIENTS.get(m.name, m.name), version))
        self.flow(sources, self.port(SinkArgs(k)))

    # ------------------------------------------------------------ registrations (collector)
    def registration(
        self,
        via: str,
        informer: ModelType,
        eff: Effect,
        args: tuple[Expr, ...],
        line: int,
        recv: Expr | None = None,
    ) -> None:
        if eff.register_field is not None:
            handler_expr = obj_expr = None
            match _first(args):
                case ("comp", _texpr, elems, _line):
                    for key, val in elems:
                        match key:
                            case ("key", fname, _uid):
                                if fname == eff.register_field:
                                    handler_expr = val
                                if fname == eff.object_field:
                                    obj_expr = val
            if handler_expr is None:
                return
            if obj_expr is not None:
                gr = self.object_resource(obj_expr)
                if gr is not None:
                    informer = informer.with_attrs(group=gr.group, resource=gr.resource, version=gr.version)
        else:
            idx = eff.register
            if idx is None or idx >= len(args):
                return
            handler_expr = args[idx]
            if eff.object_arg is not None and eff.object_arg < len(args):
                gr = self.object_resource(args[eff.object_arg])
                if gr is not None:
                    informer = informer.with_attrs(group=gr.group, resource=gr.resource, version=gr.version)
        note = "typed informer" if informer.resource and informer.resource != "*" else "unresolved"
        informer_loc = None
        informer_param = None
        if not informer.resource and recv is not None:
            rp = self.path_of(recv)
            informer_loc = self.materialize(rp) if rp is not None and rp.field is not None else None
            if rp is not None and rp.field is None and isinstance(rp.root, Param) and rp.root.position >= 0:
                informer_param = rp.root.position
        self.out.registrations.append(
            Registration(
                function=self.fs.qname,
                file=self.file,
                line=line,
                via=via,
                informer=informer if informer.resource else None,
                resource_note=note,
                handler=self.handler_value(handler_expr),
                candidates=(),
                owner=self.owner_of(self.facts.funcs[self.unit]),
                informer_loc=informer_loc,
                informer_param=informer_param,
            )
        )

    def owner_of(self, fn: Func) -> TypeKey | None:
        """The struct a registering function belongs to or builds."""
        f = fn
        while f.parent is not None:
            f = self.facts.funcs[f.parent]
        if f.recv_type is not None:
            key = named_key(self.rtype(f.recv_type) or UNKNOWN_TYPE)
            if key is not None:
                return key
        for _uid, rt in f.results:
            key = self.concrete_type(self.rtype(rt))
            if key is not None:
                key_pkg, _name = key
                if key_pkg == self.pkg:
                    return key
        return None

    def handler_value(self, expr: Expr, depth: int = 0) -> HandlerValue:
        if depth > 6:
            return HandlerValue("unknown")
        match expr:
            case ("u", "&", x):
                return self.handler_value(x, depth + 1)
            case ("comp", texpr, elems, _line):
                return self.composite_handler(self.rtype(texpr) if texpr is not None else None, elems, depth)
            case ("v", uid):
                comp = self.var_comp.get(uid)
                hv = self.handler_value(comp, depth + 1) if comp is not None else None
                extra = self.var_field_funcs.get(uid)
                t = self.vtypes[uid] if uid < len(self.vtypes) else None
                key = named_key(t)
                funcs = self.models.handler_funcs.get(type_name(key) if key is not None else "")
                if extra and funcs is not None:
                    if hv is None or hv.form != "funcs":
                        hv = HandlerValue("funcs")
                    for fname, fvs in extra.items():
                        if fname in funcs:
                            event = funcs[fname]
                            hv.events[event] = tuple(sorted(set(hv.events.get(event, ())) | fvs))
                if hv is not None:
                    return hv
                held = self.var_funcs.get(uid)
                if held:
                    return HandlerValue("call", callee=tuple(sorted(held)), arg_funcs=())
                concrete = self.concrete_type(t)
                if concrete is not None:
                    return HandlerValue("type", type=concrete)
                return HandlerValue("unknown")
            case ("call", F, args, _line, _spread):
                target = self.resolve_target(F)
                callee = self.callee_values(target)
                if isinstance(target, LibTarget) or not callee:
                    return HandlerValue("unknown")
                return HandlerValue("call", callee=callee, arg_funcs=tuple(self.func_values(a) for a in args))
        concrete = self.concrete_type(self.type_of(expr))
        if concrete is not None:
            return HandlerValue("type", type=concrete)
        return HandlerValue("unknown")

    def composite_handler(self, t: CanonType | None, elems: tuple, depth: int) -> HandlerValue:
        """A handler written as a composite literal: ResourceEventHandlerFuncs{AddFunc: ...}, a
        filtering wrapper around another handler, or an in-tree struct with On* methods."""
        match t:
            case ("n", pkg, tname, _targs):
                key: TypeKey | None = (pkg, tname)
            case _:
                key = None
        name = type_name(key) if key is not None else ""
        funcs = self.models.handler_funcs.get(name)
        if funcs is not None:
            events: dict[str, tuple[FuncValue, ...]] = {}
            for k, val in elems:
                match k:
                    case ("key", fname, _uid) if fname in funcs:
                        events[funcs[fname]] = self.func_values(val)
            return HandlerValue("funcs", events=events)
        filt = self.models.handler_filtering.get(name)
        if filt is not None:
            hv = HandlerValue("filter")
            for k, val in elems:
                match k:
                    case ("key", fname, _uid):
                        if fname == filt["filter"]:
                            hv.filter = _first(self.func_values(val))
                        elif fname == filt["handler"]:
                            hv.inner = self.handler_value(val, depth + 1)
            return hv
        if key is not None and key in self.index.types:
            return HandlerValue("type", type=key)
        return HandlerValue("unknown")


def _first(items: Iterable[T]) -> T | None:
    """The first item of a sequence, None when it is empty."""
    return next(iter(items), None)


def _is_named(t: CanonType | None) -> bool:
    match t:
        case ("n", *_):
            return True
    return False


def _is_func(t: CanonType | None) -> bool:
    match t:
        case ("f", *_):
            return True
    return False


def _is_call(expr: Expr) -> bool:
    match expr:
        case ("call", *_):
            return True
    return False


def _is_type(expr: Expr) -> bool:
    match expr:
        case ("T", _):
            return True
    return False


def _var_uid(expr: Expr) -> int | None:
    match expr:
        case ("v", uid):
            return uid
    return None


def _holder_key(loc: Location) -> object:
    """What groups the fields one local was stored in: the struct declaring a field (for other
    locations, their tag)."""
    return loc.owner if isinstance(loc, FieldLoc) else loc.tag


def _holder_field(loc: Location) -> str:
    """The field a method value's receiver sits in, for SubObject (other locations: their name)."""
    if isinstance(loc, FieldLoc):
        return loc.field
    return loc.top if isinstance(loc, SharedLoc) else loc.pkg


def _walk_calls(body: Iterable) -> Iterator[Expr]:
    """Every call expression in a statement list (for small local checks)."""
    stack = list(body)
    while stack:
        x = stack.pop()
        if isinstance(x, tuple):
            match x:
                case ("call", *_):
                    yield x
            stack.extend(e for e in x if isinstance(e, tuple))
