"""summarize: one package's function bodies -> FunctionSummary per function (see kubetorch.summary).

Per top-level function (with the func literals inside it, which share its variables):

1. infer the type of every local from declarations and initializers (calls, composite literals,
   selectors, assertions, range), with library types mapped to model kinds (kubetorch.models);
2. walk the statements once more and record, for each unit (function or literal): call sites with
   their callee descriptors, direct accesses to non-local state, API sinks, lister reads, the
   registrations of event handlers, and the local data flow between the unit's ports.

Everything is relative to the function itself; nothing here looks at another function's body.
"""

from __future__ import annotations

from collections import defaultdict

from kubetorch.index import BUILTIN_FUNCS, FileCtx, ProgramIndex, deref, field_location, func_qname
from kubetorch.ir import FileFacts, Func
from kubetorch.models import Effect, Models, model, with_attrs
from kubetorch.summary import (
    Access,
    FunctionSummary,
    HandlerValue,
    LibRead,
    PackageSummary,
    Registration,
    SinkCall,
    Site,
)

BOOL = ("n", "", "bool", ())
INT = ("n", "", "int", ())
STRING = ("n", "", "string", ())
ERROR = ("n", "", "error", ())
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection", "apply"})
REST_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "GET": "get"}


def summarize_package(
    pkg: str, files: list[tuple[str, FileFacts]], index: ProgramIndex, models: Models
) -> PackageSummary:
    out = PackageSummary(pkg)
    for path, facts in files:
        ctx = index.files.get(path)
        if ctx is None:  # not built on linux, or a stray package: not in the index
            continue
        for value in facts.values:
            if value.value is not None and not value.const:
                _GlobalValues(pkg, path, facts, ctx, index, models, out).value(value.name, value.value)
        for i, fn in enumerate(facts.funcs):
            if fn.parent is None:
                try:
                    _RootAnalyzer(pkg, path, facts, i, ctx, index, models, out).run()
                except RecursionError:
                    out.errors.append(f"{path}:{fn.line}: {fn.outer}: expression nesting too deep")
    return out


class _Base:
    """Type inference and value helpers shared by function bodies and package-level initializers."""

    def __init__(
        self,
        pkg: str,
        path: str,
        facts: FileFacts,
        ctx: FileCtx,
        index: ProgramIndex,
        models: Models,
        out: PackageSummary,
    ):
        self.pkg = pkg
        self.path = path
        self.facts = facts
        self.ctx = ctx
        self.index = index
        self.models = models
        self.out = out
        self.tparams: tuple[str, ...] = ()
        self.vtypes: list = []
        self.var_funcs: dict[int, set] = defaultdict(set)
        self.var_comp: dict[int, tuple] = {}
        self.var_model: dict[int, tuple] = {}
        self.var_init: dict[int, tuple] = {}  # first value assigned to each local
        self.param_of: dict[int, dict[int, int]] = {}  # unit -> uid -> param index
        self.unit = -1  # the function being analysed (none for package-level initializers)

    # ------------------------------------------------------------ types
    def rtype(self, t):
        """Qualifier-form type from this file -> canonical (model types for library types)."""
        return self.modelize(self.index.resolve_type(t, self.ctx, self.tparams)) if t is not None else None

    def modelize(self, t):
        if t is None:
            return None
        base = t[1] if t[0] == "p" else t
        if base[0] == "n" and base[1]:
            m = self.models.type_model(base[1], base[2])
            if m is not None:
                return m
        return t

    def concrete_type(self, t) -> tuple | None:
        """(pkg, name) of an in-tree named type, not an interface, under any pointers: a type
        whose methods a call can be narrowed to."""
        if t is None or t[0] == "M":
            return None
        base = deref(t)
        if base[0] == "n" and (base[1], base[2]) in self.index.types and not self.index.is_interface(base):
            return (base[1], base[2])
        return None

    def is_builtin(self, F) -> bool:
        """A call of a Go builtin (make, append, len, ...) that no package-level name shadows."""
        return (
            F[0] == "id"
            and F[1] in BUILTIN_FUNCS
            and (self.pkg, F[1]) not in self.index.values
            and f"{self.pkg}.{F[1]}" not in self.index.funcs
        )

    def type_argument(self, expr):
        """The type make's or new's first argument names."""
        return self.named_type_of_expr(expr) or (self.rtype(expr[1]) if expr[0] == "T" else None)

    def is_import(self, name: str) -> bool:
        return (
            name in self.ctx.imports
            and (self.pkg, name) not in self.index.values
            and f"{self.pkg}.{name}" not in self.index.funcs
        )

    def qualified(self, expr) -> tuple[str, str] | None:
        """('.', ('id', q), name) with q an import -> (package path, name)."""
        if expr[0] == "." and expr[1][0] == "id" and self.is_import(expr[1][1]):
            return self.ctx.imports[expr[1][1]], expr[2]
        return None

    def named_type_of_expr(self, expr):
        """An expression that denotes a type (conversion target): its canonical type, else None."""
        kind = expr[0]
        if kind == "T":
            return self.rtype(expr[1])
        if kind == "id":
            name = expr[1]
            if (self.pkg, name) in self.index.types:
                return ("n", self.pkg, name, ())
            if name in (
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
            ):
                return ("n", "", name, ())
            return None
        q = self.qualified(expr) if kind == "." else None
        if q is not None and (
            q in self.index.types
            or (
                q[1][:1].isupper()
                and f"{q[0]}.{q[1]}" not in self.index.funcs
                and q not in self.index.values
                and self.models.func(f"{q[0]}.{q[1]}") is None
                and self.models.type_model(*q) is not None
            )
        ):
            return self.modelize(("n", q[0], q[1], ()))
        if kind == "[]" and expr[1][0] in ("id", "."):
            return self.named_type_of_expr(expr[1])
        return None

    def type_of(self, expr, depth: int = 0):
        if depth > 30:
            return None
        kind = expr[0]
        if kind == "v":
            uid = expr[1]
            return self.var_model.get(uid) or (self.vtypes[uid] if uid < len(self.vtypes) else None)
        if kind == "id":
            return self.global_type(self.pkg, expr[1])
        if kind == ".":
            q = self.qualified(expr)
            if q is not None:
                return self.global_type(q[0], q[1])
            base = self.type_of(expr[1], depth + 1)
            if base is None:
                return None
            if base[0] == "M":
                return None
            found = self.index.field(base, expr[2])
            if found is not None:
                return self.modelize(found[0])
            m = self.index.method(base, expr[2])
            if m is not None and m[0] is not None:
                return self.index.func_type(m[0])
            return None
        if kind == "call":
            results = self.call_results(expr, depth)
            return results[0] if results else None
        if kind == "comp":
            return self.rtype(expr[1]) if expr[1] is not None else None
        if kind == "u":
            op = expr[1]
            inner = self.type_of(expr[2], depth + 1)
            if inner is None:
                return None
            if op == "&":
                return inner if inner[0] == "M" else ("p", inner)
            if op == "*":
                return inner[1] if inner[0] == "p" else inner
            if op == "<-":
                u = self.index.underlying(inner) if inner[0] == "n" else inner
                return self.modelize(u[1]) if u[0] == "c" else None
            if op == "!":
                return BOOL
            return inner
        if kind == "b":
            if expr[1] in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
                return BOOL
            return self.type_of(expr[2], depth + 1)
        if kind == "[]":
            inner = self.type_of(expr[1], depth + 1)
            if inner is None or inner[0] == "M":
                return None
            u = self.index.underlying(deref(inner)) if deref(inner)[0] == "n" else deref(inner)
            if u[0] in ("s", "a"):
                return self.modelize(u[1])
            if u[0] == "m":
                return self.modelize(u[2])
            if u[0] == "f":  # generic function instantiation f[T]
                return inner
            if u == STRING:
                return ("n", "", "byte", ())
            return None
        if kind == "[:]":
            return self.type_of(expr[1], depth + 1)
        if kind == "assert":
            return self.rtype(expr[2]) if expr[2] is not None else self.type_of(expr[1], depth + 1)
        if kind == "fl":
            fn = self.facts.funcs[expr[1]]
            return (
                "f",
                tuple(self.rtype(t) for _u, t in fn.params),
                tuple(self.rtype(t) for _u, t in fn.results),
                fn.variadic,
            )
        if kind == "lit":
            return {"s": STRING, "i": INT, "f": ("n", "", "float64", ()), "r": ("n", "", "rune", ())}.get(
                expr[1]
            )
        return None

    def global_type(self, pkg: str, name: str):
        info = self.index.values.get((pkg, name))
        if info is not None:
            return self.modelize(info.type)
        qname = f"{pkg}.{name}"
        if qname in self.index.funcs:
            return self.index.func_type(qname)
        return None

    def call_results(self, expr, depth: int = 0) -> tuple:
        """Types of the results of a call expression."""
        _c, F, args, _line, _spread = expr
        if self.is_builtin(F):
            name = F[1]
            if name == "make" and args:
                t = self.type_argument(args[0])
                return (t,) if t is not None else ()
            if name == "new" and args:
                t = self.type_argument(args[0])
                return (("p", t),) if t is not None else ()
            if name == "append" and args:
                return (self.type_of(args[0], depth + 1),)
            if name in ("len", "cap", "copy"):
                return (INT,)
            if name == "recover":
                return ()
            return ()
        conv = self.named_type_of_expr(F)
        if conv is not None:
            return (conv,)
        target = self.resolve_target(F, depth)
        kind = target[0]
        if kind == "model_method":
            _k, recv_model, eff, method, _recv = target
            if eff is not None and eff.gives is not None:
                return (self.model_result(recv_model, eff, method, args),)
            return ()
        if kind == "model_func":
            eff = target[1]
            if eff.gives:
                return (self.model_result(model(eff.gives), eff, "", args),)
            return ()
        if kind in ("static", "iface_method"):
            qname = target[1]
            if kind == "iface_method":
                sig = target[3]
                return tuple(self.modelize(r) for r in sig[2]) if sig is not None else ()
            fi = self.index.funcs.get(qname)
            if fi is None:
                return ()
            return tuple(self.modelize(r) for r in fi.results)
        if kind in ("funcvalue", "field", "var", "global"):
            # a func-valued field, variable or value: its declared func type gives the results
            if kind == "field":
                ft = target[4]
            elif kind == "var":
                ft = self.vtypes[target[1]] if target[1] < len(self.vtypes) else None
            elif kind == "global":
                ft = self.global_type(target[1], target[2])
            else:
                ft = target[1]
            if ft is not None and ft[0] != "M":
                u = self.index.underlying(ft) if ft[0] == "n" else ft
                if u[0] == "f":
                    return tuple(self.modelize(r) for r in u[2])
        return ()

    def model_result(self, recv_model, eff: Effect, method: str, args) -> tuple:
        result = self.models.result_of_call(recv_model, eff, method)
        if result is None:
            return None
        if eff.gvr_arg is not None and eff.gvr_arg < len(args):
            g = self.gvr_of(args[eff.gvr_arg])
            result = (
                with_attrs(result, group=g[0], version=g[1], resource=g[2])
                if g
                else with_attrs(result, resource="*", group="")
            )
        if eff.object_arg is not None and eff.object_arg < len(args):
            gr = self.object_resource(args[eff.object_arg])
            if gr is not None:
                result = with_attrs(result, group=gr[0], resource=gr[1], version=gr[2])
        if eff.resource_arg is not None and eff.resource_arg < len(args):
            s = self.const_string(args[eff.resource_arg])
            result = with_attrs(result, resource=s if s is not None else "*")
        if eff.verb_arg is not None and eff.verb_arg < len(args):
            s = self.const_string(args[eff.verb_arg])
            result = with_attrs(result, verb=REST_VERBS.get((s or "").upper(), "*"))
        if eff.subresource_arg is not None and eff.gives and eff.subresource_arg < len(args):
            s = self.const_string(args[eff.subresource_arg])
            result = with_attrs(result, subresource=s or "*")
        return result

    def resolve_target(self, F, depth: int = 0) -> tuple:
        """resolve_target_in_tree, with calls into library packages (models.toml [library]) turned
        into library calls: their source is never followed."""
        target = self.resolve_target_in_tree(F, depth)
        kind = target[0]
        if kind == "static":
            fi = self.index.funcs.get(target[1])
            if fi is not None and self.models.is_library(fi.pkg):
                return ("lib", target[1], target[2])
        elif kind == "iface_method":
            iface = target[2][0]
            if self.models.is_library(iface[0]):
                return ("lib", f"{iface[0]}.{iface[1]}.{target[2][1]}", target[2][2])
        elif kind == "field" and self.models.is_library(target[1][0]):
            return ("lib", f"{target[1][0]}.{target[1][1]}.{target[2]}", target[3])
        return target

    def resolve_target_in_tree(self, F, depth: int = 0) -> tuple:
        """What a call's function expression refers to (no side effects).

        ('model_method', recv model, effect, method, recv expr) | ('model_func', effect, name) |
        ('static', qname, recv expr, embedded path) | ('iface_method', qname_or_None, (iface, method, recv expr), sig) |
        ('field', struct key, field, recv expr, type) | ('var', uid) | ('global', pkg, name) |
        ('lit', qname) | ('lib', name, recv expr) | ('funcvalue', type)
        """
        kind = F[0]
        if kind == "fl":
            return ("lit", func_qname(self.pkg, self.facts.funcs[F[1]]))
        if kind == "[]":  # generic instantiation
            return self.resolve_target(F[1], depth + 1)
        if kind == "v":
            return ("var", F[1])
        if kind == "id":
            name = F[1]
            qname = f"{self.pkg}.{name}"
            if qname in self.index.funcs:
                return ("static", qname, None, ())
            if (self.pkg, name) in self.index.values:
                return ("global", self.pkg, name)
            return ("lib", name, None)
        if kind == ".":
            q = self.qualified(F)
            if q is not None:
                path, name = q
                qname = f"{path}.{name}"
                eff = self.models.func(qname)
                if eff is not None:
                    return ("model_func", eff, qname)
                if qname in self.index.funcs:
                    return ("static", qname, None, ())
                if (path, name) in self.index.values:
                    return ("global", path, name)
                return ("lib", qname, None)
            recv = F[1]
            rt = self.type_of(recv, depth + 1)
            method = F[2]
            if rt is None:
                return ("lib", method, recv)
            if rt[0] == "M":
                return ("model_method", rt, self.models.call(rt, method), method, recv)
            base = deref(rt)
            if base[0] == "n":
                modelled = self.models.func(f"{base[1]}.{base[2]}.{method}")
                if modelled is not None:  # a modelled library method wins over its source
                    return ("model_func", modelled, f"{base[1]}.{base[2]}.{method}")
                if self.index.is_interface(base):
                    inherited = self.embedded_model(base, method)
                    if inherited is not None:  # Informer[T] embeds cache.SharedIndexInformer
                        return ("model_method", inherited, self.models.call(inherited, method), method, recv)
                    ims = self.index.iface_methods(base)
                    if ims is not None and method in ims:
                        return ("iface_method", None, ((base[1], base[2]), method, recv), ims[method])
                found = self.index.method(base, method)
                if found is not None:
                    if found[0] is not None:
                        return ("static", found[0], recv, found[1])
                    emb_path, iface = found[1]
                    ims = self.index.iface_methods(iface) or {}
                    m = self.models.type_model(iface[1], iface[2])
                    if m is not None:
                        return (
                            "model_method",
                            m,
                            self.models.call(m, method),
                            method,
                            ("emb", recv, emb_path),
                        )
                    return (
                        "iface_method",
                        None,
                        ((iface[1], iface[2]), method, ("emb", recv, emb_path)),
                        ims.get(method),
                    )
                fld = self.index.field(base, method)
                if fld is not None:
                    return ("field", fld[2] or (base[1], base[2]), method, recv, fld[0])
                return ("lib", f"{base[1]}.{base[2]}.{method}", recv)
            if rt[0] == "f":
                return ("funcvalue", rt)
            return ("lib", method, recv)
        if kind == "call":
            return ("funcvalue", self.type_of(F, depth + 1))
        return ("lib", "?", None)

    def embedded_model(self, iface, method: str, depth: int = 0):
        """The modelled library interface an in-tree interface embeds and takes `method` from."""
        if depth > 4:
            return None
        u = self.index.underlying(iface)
        if u[0] != "i" or any(name == method for name, _sig in u[1]):
            return None
        for emb in u[2]:
            if emb[0] != "n":
                continue
            m = self.models.type_model(emb[1], emb[2])
            if m is not None and self.models.call(m, method) is not None:
                return m
            found = self.embedded_model(emb, method, depth + 1)
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------ constant values
    def const_string(self, expr) -> str | None:
        kind = expr[0]
        if kind == "lit" and expr[1] == "s":
            return expr[2]
        if kind == "id":
            info = self.index.values.get((self.pkg, expr[1]))
            return info.string if info is not None else None
        if kind == ".":
            q = self.qualified(expr)
            if q is not None:
                info = self.index.values.get(q)
                return info.string if info is not None else None
        if kind == "call" and len(expr[2]) == 1 and self.named_type_of_expr(expr[1]) is not None:
            return self.const_string(expr[2][0])  # string("pods")
        return None

    def gvr_of(self, expr) -> tuple[str, str, str] | None:
        """(group, version, resource) of a GroupVersionResource expression, when constant."""
        kind = expr[0]
        if kind == "u" and expr[1] == "&":
            return self.gvr_of(expr[2])
        if kind == "comp":
            fields: dict[str, str] = {}
            positional = []
            for key, val in expr[2]:
                s = self.const_string(val)
                if key is None:
                    positional.append(s)
                elif key[0] == "key" and s is not None:
                    fields[key[1]] = s
            if positional and len(positional) == 3:
                fields = {
                    "Group": positional[0] or "",
                    "Version": positional[1] or "",
                    "Resource": positional[2] or "",
                }
            if "Resource" in fields:
                return fields.get("Group", ""), fields.get("Version", ""), fields["Resource"]
            return None
        if kind == "v":
            m = self.var_model.get(expr[1])
            if m is not None and m[1] in ("gvr", "informer", "dynresource") and m[4] and m[4] != "*":
                return m[2], m[3], m[4]
            init = self.var_init.get(expr[1])
            return self.gvr_of(init) if init is not None and init is not expr else None
        if kind in ("id", "."):
            key = (self.pkg, expr[1]) if kind == "id" else self.qualified(expr)
            if key is not None:
                info = self.index.values.get(key)
                if info is not None and info.fields and "Resource" in info.fields:
                    return (
                        info.fields.get("Group", ""),
                        info.fields.get("Version", ""),
                        info.fields["Resource"],
                    )
            return None
        if kind == "call":
            F = expr[1]
            if F[0] == "." and F[2] == "WithResource" and expr[2]:
                res = self.const_string(expr[2][0])
                group = self.group_of_groupversion(F[1])
                if res is not None:
                    return group or "", "", res
            t = self.type_of(expr)
            if t is not None and t[0] == "M" and t[1] == "gvr" and t[4]:
                return t[2], t[3], t[4]
        return None

    def group_of_groupversion(self, expr) -> str | None:
        """v1.SchemeGroupVersion / apps.SchemeGroupVersion -> the API group of that package."""
        if expr[0] == ".":
            q = self.qualified(expr)
            if q is not None:
                return self.models.api_group_of_package(q[0])
        if expr[0] == "comp":
            for key, val in expr[2]:
                if key is not None and key[0] == "key" and key[1] == "Group":
                    return self.const_string(val)
        return None

    def object_resource(self, expr) -> tuple[str, str, str] | None:
        """&v1.Pod{} -> ('', 'pods', 'v1'): the API resource of an object's type."""
        t = self.type_of(expr)
        if t is None or t[0] == "M":
            return None
        base = deref(t)
        if base[0] != "n" or not base[1]:
            return None
        group = self.models.api_group_of_package(base[1])
        if group is None:
            return None
        version = base[1].rsplit("/", 1)[-1]
        return group, self.models.resource_of_kind(base[2]), version if version.startswith("v") else ""

    # ------------------------------------------------------------ func values
    def func_values(self, expr, depth: int = 0) -> tuple:
        """The functions an expression of func type may denote (library functions excluded)."""
        return tuple(fv for fv in self.func_values_any(expr, depth) if not self.library_value(fv))

    def library_value(self, fv) -> bool:
        if fv[0] in ("func", "method"):
            fi = self.index.funcs.get(fv[1])
            return fi is None or self.models.is_library(fi.pkg)
        if fv[0] in ("field", "ifacemethod"):
            return self.models.is_library(fv[1][0])
        return False

    def func_values_any(self, expr, depth: int = 0) -> tuple:
        if depth > 12:
            return ()
        kind = expr[0]
        if kind == "fl":
            return (("lit", func_qname(self.pkg, self.facts.funcs[expr[1]])),)
        if kind == "[]":
            return self.func_values(expr[1], depth + 1)
        if kind == "id":
            qname = f"{self.pkg}.{expr[1]}"
            if qname in self.index.funcs:
                return (("func", qname),)
            if (self.pkg, expr[1]) in self.index.values:
                return (("gvar", self.pkg, expr[1]),)
            return ()
        if kind == "v":
            found = tuple(sorted(self.var_funcs.get(expr[1], ())))
            params = self.param_of.get(self.unit, {})
            if params.get(expr[1], -1) >= 0:
                found += (("param", params[expr[1]]),)
            return found
        if kind == ".":
            q = self.qualified(expr)
            if q is not None:
                qname = f"{q[0]}.{q[1]}"
                if q in self.index.values:
                    return (("gvar", q[0], q[1]),)
                return (("func", qname),) if qname in self.index.funcs else ()
            rt = self.type_of(expr[1], depth + 1)
            if rt is None or rt[0] == "M":
                return ()
            base = deref(rt)
            if base[0] != "n":
                return ()
            found = self.index.method(base, expr[2])
            if found is not None and found[0] is not None:
                return (("method", found[0], self.path_of(expr[1])),)
            if found is not None:  # method value of an embedded interface
                iface = found[1][1]
                return (("ifacemethod", (iface[1], iface[2]), expr[2], self.path_of(expr[1])),)
            fld = self.index.field(base, expr[2])
            if fld is not None and fld[2] is not None:
                ft = fld[0]
                u = self.index.underlying(ft) if ft[0] == "n" else ft
                return (("field", fld[2], expr[2]),) if u[0] == "f" else ()
            if self.index.is_interface(base):
                return (("ifacemethod", (base[1], base[2]), expr[2], self.path_of(expr[1])),)
            return ()
        if kind == "call":
            rt = self.call_results(expr, depth + 1)
            ft = rt[0] if rt else None
            if ft is None or ft[0] == "M" or (self.index.underlying(ft) if ft[0] == "n" else ft)[0] != "f":
                return ()
            target = self.resolve_target(expr[1], depth + 1)
            callee = self.callee_values(target)
            if callee:
                return (("ret", callee, tuple(self.func_values(a, depth + 1) for a in expr[2])),)
        return ()

    def callee_values(self, target: tuple) -> tuple:
        kind = target[0]
        if kind == "static":
            return (("func", target[1]),)
        if kind == "lit":
            return (("lit", target[1]),)
        if kind == "var":
            return tuple(sorted(self.var_funcs.get(target[1], ())))
        if kind == "global":
            return (("gvar", target[1], target[2]),)
        if kind == "field":
            return (("field", target[1], target[2]),)
        return ()

    def path_of(self, expr):  # overridden by the body analyzer
        return None


class _GlobalValues(_Base):
    """Package-level initializers: which functions global func variables hold."""

    def value(self, name: str, expr) -> None:
        for fv in self.func_values(expr):
            self.out.global_funcs.append((("G", self.pkg, name), fv))


class _RootAnalyzer(_Base):
    """One top-level function (or package-level literal) and every func literal inside it."""

    def __init__(self, pkg, path, facts, root_index, ctx, index, models, out):
        super().__init__(pkg, path, facts, ctx, index, models, out)
        self.root_index = root_index
        self.root: Func = facts.funcs[root_index]
        self.root_qname = func_qname(pkg, self.root)
        self.units = [root_index] + [
            i for i, f in enumerate(facts.funcs) if f.root == root_index and i != root_index
        ]
        self.vars = self.root.vars or []
        self.tparams = self.root.type_params
        self.vtypes = [None] * len(self.vars)
        self.var_paths: dict[int, tuple] = {}
        self.var_concrete: dict[int, set] = defaultdict(set)
        self.var_field_funcs: dict[int, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        self.shared: set[int] = set()
        # facts gathered while walking, bound once every unit is summarized
        self.pending_methods: list[tuple] = []  # (field location, method value, target root)
        self.pending_args: list[tuple] = []  # (callee, argument index, access path of the argument)
        self.alias_holders: dict[tuple, set] = {}  # root of a local -> fields it was stored in
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
        self.unit = root_index
        # per-unit outputs
        self.fs: FunctionSummary | None = None
        self.port_index: dict[tuple, int] = {}
        self.local_edges: list[tuple] = []

    # ------------------------------------------------------------ pass 1: locals
    def run(self) -> None:
        for _round in range(3):
            changed = False
            for u in self.units:
                fn = self.facts.funcs[u]
                for stmt in fn.body or ():
                    changed |= self.infer(stmt)
            if not changed:
                break
        for u in self.units:
            self.summarize_unit(u)
        self.bind_methods()
        self.bind_param_aliases()

    def set_type(self, uid: int, t) -> bool:
        if t is None or uid >= len(self.vtypes):
            return False
        if t[0] == "M":
            old = self.var_model.get(uid)
            if old != t and (old is None or not old[4]):
                self.var_model[uid] = t
                return True
            return False
        if self.vtypes[uid] is None:
            self.vtypes[uid] = t
            return True
        return False

    def infer(self, stmt) -> bool:
        kind = stmt[0]
        changed = False
        if kind == "=":
            _k, lhs, rhs, _line, _define = stmt
            if len(lhs) == len(rhs):
                pairs = list(zip(lhs, rhs))
                for target, value in pairs:
                    if target[0] == "v":
                        changed |= self.learn(target[1], value)
                    elif target[0] == "." and target[1][0] == "v":
                        self.learn_field(target[1][1], target[2], value)
            elif len(rhs) == 1:
                value = rhs[0]
                types = self.multi_types(value, len(lhs))
                for i, target in enumerate(lhs):
                    if target[0] == "v" and i < len(types):
                        changed |= self.set_type(target[1], types[i])
        elif kind == "range":
            _k, key, value, subject, _line = stmt
            st = self.type_of(subject)
            kt = vt = None
            if st is not None and st[0] != "M":
                u = self.index.underlying(deref(st)) if deref(st)[0] == "n" else deref(st)
                if u[0] in ("s", "a"):
                    kt, vt = INT, self.modelize(u[1])
                elif u[0] == "m":
                    kt, vt = self.modelize(u[1]), self.modelize(u[2])
                elif u[0] == "c":
                    kt = self.modelize(u[1])
                elif u == STRING:
                    kt, vt = INT, ("n", "", "rune", ())
            if key is not None and key[0] == "v":
                changed |= self.set_type(key[1], kt)
            if value is not None and value[0] == "v":
                changed |= self.set_type(value[1], vt)
        return changed

    def multi_types(self, value, n: int) -> tuple:
        kind = value[0]
        if kind == "call":
            return self.call_results(value)
        if kind == "[]":
            return (self.type_of(value), BOOL)
        if kind == "assert":
            return (self.type_of(value), BOOL)
        if kind == "u" and value[1] == "<-":
            return (self.type_of(value), BOOL)
        return ()

    def learn(self, uid: int, value) -> bool:
        changed = self.set_type(uid, self.type_of(value))
        fvs = self.func_values(value)
        if fvs:
            before = len(self.var_funcs[uid])
            self.var_funcs[uid].update(fvs)
            changed |= len(self.var_funcs[uid]) != before
        inner = value[2] if value[0] == "u" and value[1] == "&" else value
        if inner[0] == "comp" and uid not in self.var_comp:
            self.var_comp[uid] = inner
            changed = True
        self.var_init.setdefault(uid, value)
        p = self.path_of(value)
        if p is not None and p[1] is not None and uid not in self.var_paths:
            self.var_paths[uid] = p
        key = self.concrete_type(self.type_of(value))
        if key is not None:
            self.var_concrete[uid].add(key)
        return changed

    def learn_field(self, uid: int, fname: str, value) -> None:
        fvs = self.func_values(value)
        if fvs:
            self.var_field_funcs[uid][fname].update(fvs)

    # ------------------------------------------------------------ access paths
    def root_of_var(self, uid: int) -> tuple:
        params = self.param_of.get(self.unit, {})
        if uid in params:
            return ("P", params[uid])
        if uid in self.shared:
            return ("C", uid)
        return ("L", uid)

    def path_of(self, expr):
        """(root, first field) of an expression naming non-local state, else None."""
        kind = expr[0]
        if kind == "v":
            uid = expr[1]
            alias = self.var_paths.get(uid)
            if alias is not None:
                return alias
            return (self.root_of_var(uid), None)
        if kind == "id":
            if (self.pkg, expr[1]) in self.index.values and not self.index.values[(self.pkg, expr[1])].const:
                return (("G", self.pkg, expr[1]), None)
            return None
        if kind == ".":
            q = self.qualified(expr)
            if q is not None:
                info = self.index.values.get(q)
                if info is not None and not info.const:
                    return (("G", q[0], q[1]), None)
                return None
            inner = self.path_of(expr[1])
            if inner is None:
                return None
            if inner[1] is not None:
                return inner
            t = self.type_of(expr[1])
            if t is not None and t[0] != "M" and self.index.field(t, expr[2]) is None:
                base = deref(t)
                if base[0] != "n" or (base[1], base[2]) in self.index.types:
                    return None  # a method value, not a field
            return (inner[0], expr[2])
        if kind in ("[]", "[:]"):
            return self.path_of(expr[1])
        if kind == "u" and expr[1] in ("*", "&"):
            return self.path_of(expr[2])
        if kind == "emb":
            # a promoted method runs on the embedded object, but its fields are found through the
            # outer one (index.field follows embedding), so the path stays the outer object's
            return self.path_of(expr[1])
        return None

    def root_type(self, root: tuple):
        kind = root[0]
        if kind == "P":
            fn = self.facts.funcs[self.unit]
            if root[1] == -1:
                return self.rtype(fn.recv_type) if fn.recv_type is not None else None
            if root[1] < len(fn.params):
                return self.vtypes[fn.params[root[1]][0]]
            return None
        if kind in ("C", "L"):
            uid = root[1]
            return self.vtypes[uid] if uid < len(self.vtypes) else None
        if kind == "G":
            info = self.index.values.get((root[1], root[2]))
            return info.type if info is not None else None
        return None

    def materialize(self, path) -> tuple | None:
        """Access path -> abstract location (declaring struct, field) or ('G', pkg, name)."""
        if path is None:
            return None
        root, fname = path
        if root[0] == "G":
            if fname is None:
                return root
            t = self.root_type(root)
        else:
            if fname is None:
                if root[0] == "C":
                    # a variable shared by a function and its literals (a queue built in a closure)
                    return ("V", self.root_qname, root[1])
                return None
            t = self.root_type(root)
        return field_location(self.index, t, fname, self.models.is_library)

    def is_reference(self, t) -> bool:
        """Does copying a value of type t share an object (pointer, map, slice, chan, func, interface)?"""
        if t is None or t[0] in ("M", "p", "m", "s", "c", "f", "i", "?"):
            return True
        u = self.index.underlying(t) if t[0] == "n" else t
        if u[0] == "n":
            return (u[1], u[2]) not in self.index.types and u[1] != ""  # unknown library type: assume shared
        return u[0] in ("p", "m", "s", "c", "f", "i")

    # ------------------------------------------------------------ pass 2: one unit
    def summarize_unit(self, u: int) -> None:
        self.unit = u
        fn = self.facts.funcs[u]
        qname = func_qname(self.pkg, fn)
        fs = FunctionSummary(qname=qname, file=self.path, line=fn.line)
        fs.is_literal = fn.is_literal
        if fn.parent is not None:
            fs.parent = func_qname(self.pkg, self.facts.funcs[fn.parent])
        fs.recv_type = self.rtype(fn.recv_type) if fn.recv_type is not None else None
        self.fs = fs
        self.port_index = {}
        self.local_edges = []
        self.result_uids = [uid for uid, _t in fn.results]
        for uid, i in self.param_of[u].items():
            p = self.port(("P", i))
            self.local_edges.append((p, ("v", uid)))
            t = (
                self.vtypes[uid]
                if i >= 0
                else (self.rtype(fn.recv_type) if fn.recv_type is not None else None)
            )
            if t is not None:
                fs.root_types[("P", i)] = t
        for uid in fn.captures:
            if uid < len(self.vtypes) and self.vtypes[uid] is not None:
                fs.root_types[("C", uid)] = self.vtypes[uid]
        fs.root = self.root_qname
        fs.param_uids = tuple(uid for uid, _t in fn.params)
        self.instantiations: set = set()
        if u == self.root_index:
            for var in self.vars:
                if var.type is not None and var.type[0] == "n":
                    self.instantiated(self.index.resolve_type(var.type, self.ctx, self.tparams))
        for stmt in fn.body or ():
            self.statement(stmt)
        fs.instantiates = tuple(sorted(self.instantiations))
        ret = self.port(("R",))
        for uid in self.result_uids:
            self.local_edges.append((("v", uid), ret))
        self.record_root_types()
        self.compress()
        self.find_forward(fn)
        self.out.functions.append(fs)

    def record_root_types(self) -> None:
        """Types and names of every variable used as the root of a path here, so the global pass
        can turn paths substituted into this function into locations."""
        fs = self.fs
        roots = set()
        for a in fs.accesses:
            roots.add(a.root)
        for site in fs.sites:
            if site.recv is not None:
                roots.add(site.recv[0])
            for p in site.args:
                if p is not None:
                    roots.add(p[0])
        for uid in self.shared:
            roots.add(("C", uid))
        for root in roots:
            if root[0] in ("C", "L") and root not in fs.root_types:
                uid = root[1]
                if uid < len(self.vtypes) and self.vtypes[uid] is not None:
                    fs.root_types[root] = self.vtypes[uid]
                if uid < len(self.vars):
                    fs.var_names[uid] = self.vars[uid].name
            elif root[0] == "P" and root not in fs.root_types:
                t = self.root_type(root)
                if t is not None:
                    fs.root_types[root] = t

    def port(self, p: tuple) -> tuple:
        if p not in self.port_index:
            self.port_index[p] = len(self.fs.ports)
            self.fs.ports.append(p)
        return ("p", self.port_index[p])

    def node_of_var(self, uid: int) -> tuple:
        if uid in self.shared:
            return self.port(("C", self.root_qname, uid))
        params = self.param_of[self.unit]
        if uid in params:
            return self.port(("P", params[uid]))
        return ("v", uid)

    def flow(self, sources, target) -> None:
        for s in sources:
            self.local_edges.append((s, target))

    def compress(self) -> None:
        """Local edges over variables and ports -> edges between ports (what reaches what)."""
        succ: dict[tuple, set] = defaultdict(set)
        for a, b in self.local_edges:
            a = self.node_of_var(a[1]) if a[0] == "v" else a
            b = self.node_of_var(b[1]) if b[0] == "v" else b
            if a != b:
                succ[a].add(b)
        ports = self.fs.ports
        outputs = {i for i, p in enumerate(ports) if p[0] in ("R", "CI", "WR", "SK", "C")}
        reach: dict[tuple, int] = {}

        def mask_of(node) -> int:
            return (1 << node[1]) if node[0] == "p" and node[1] in outputs else 0

        nodes = set(succ)
        for vs in succ.values():
            nodes |= vs
        for n in nodes:
            reach[n] = mask_of(n)
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
        edges = []
        for n in nodes:
            if n[0] != "p" or ports[n[1]][0] not in ("P", "C", "CO", "RD"):
                continue
            m = 0
            for v in succ.get(n, ()):
                m |= reach[v]
            m &= ~(1 << n[1])
            j = 0
            while m:
                if m & 1:
                    edges.append((n[1], j))
                m >>= 1
                j += 1
        self.fs.edges = sorted(edges)

    def find_forward(self, fn: Func) -> None:
        """A literal whose only statement calls one function with some of its parameters."""
        if fn.parent is None or not fn.body or len(fn.body) != 1:
            return
        stmt = fn.body[0]
        if stmt[0] != "x" or stmt[1][0] != "call":
            return
        target = self.resolve_target(stmt[1][1])
        params = {uid for uid, _t in fn.params}
        uses_param = any(a[0] == "v" and a[1] in params for a in stmt[1][2])
        if not uses_param and fn.params:
            return
        if target[0] == "static":
            self.fs.forwards_to = target[1]
        elif target[0] == "field" or target[0] == "var":
            vals = self.callee_values(target)
            if len(vals) == 1 and vals[0][0] in ("func", "method"):
                self.fs.forwards_to = vals[0][1]

    # ------------------------------------------------------------ statements
    def statement(self, stmt) -> None:
        kind = stmt[0]
        self.current_line = stmt[_LINE_AT[kind]]
        if kind == "=":
            self.assign(stmt)
        elif kind == "x":
            self.atoms(stmt[1])
        elif kind == "ret":
            ret = self.port(("R",))
            for e in stmt[1]:
                self.flow(self.atoms(e), ret)
                self.record_return(e)
        elif kind in ("go", "defer"):
            e = stmt[1]
            if e[0] == "call":
                self.call(e, kind)
            else:
                self.atoms(e)
        elif kind == "send":
            _k, ch, value, line = stmt
            src = self.atoms(value)
            self.write_to(ch, src, line, "chan send")
        elif kind == "range":
            _k, key, value, subject, line = stmt
            src = set(self.atoms(subject, read_as="range"))
            for target in (key, value):
                if target is not None:
                    self.store(target, src, line)

    def record_return(self, e) -> None:
        fvs = self.func_values(e)
        out = []
        for fv in fvs:
            if fv[0] == "param":
                fv = ("paramof", self.fs.qname, fv[1])
            if fv[0] == "lit":
                out.append(("lit", fv[1], self.forwarded_param(fv[1])))
            else:
                out.append(fv)
        hv = None
        t = self.type_of(e)
        base = deref(t) if t is not None and t[0] != "M" else None
        if base is not None and base[0] == "n" and f"{base[1]}.{base[2]}" in self.models.handler_funcs:
            hv = self.handler_value(e)
        if hv is not None and hv.form != "unknown":
            out.append(("handler", hv))
        if out:
            self.fs.returns = self.fs.returns + tuple(out)
        key = self.concrete_type(t)
        if key is not None:
            self.out.returns_types.append((self.fs.qname, key))

    def forwarded_param(self, lit_qname: str) -> int:
        """For a returned literal: which parameter of this unit it calls (a handler factory), else -1."""
        params = self.param_of[self.unit]
        lit = next((f for f in self.facts.funcs if func_qname(self.pkg, f) == lit_qname), None)
        for call in _walk_calls(lit.body or () if lit is not None else ()):
            F = call[1]
            if F[0] == "v" and F[1] in params and params[F[1]] >= 0:
                return params[F[1]]
        return -1

    def assign(self, stmt) -> None:
        _k, lhs, rhs, line, _define = stmt
        if len(lhs) == len(rhs):
            for target, value in zip(lhs, rhs):
                src = self.atoms(value)
                self.store(target, src, line, value)
        else:
            src = set()
            for value in rhs:
                src |= self.atoms(value)
            for target in lhs:
                self.store(target, src, line, rhs[0] if len(rhs) == 1 else None)

    def store(self, target, src, line: int, value=None) -> None:
        kind = target[0]
        if kind == "v":
            node = self.node_of_var(target[1])
            self.flow(src, node)
            return
        if kind == "id" and target[1] == "_":
            return
        self.write_to(
            target, src, line, "field" if kind == "." else ("map store" if kind == "[]" else "store"), value
        )

    def write_to(self, target, src, line: int, via: str, value=None) -> None:
        path = self.path_of(target)
        # evaluating the target's sub-expressions (index keys, receivers of nested calls)
        if target[0] == "[]":
            for i in target[2]:
                src = set(src) | self.atoms(i)
        if path is None:
            self.atoms(target)
            return
        root, fname = path
        if (
            root[0] in ("L", "C", "P")
            and fname is None
            and target[0] not in ("[]",)
            and via not in ("chan send",)
        ):
            # *p = v: the pointed-to value is the variable's own
            if root[0] == "L":
                self.flow(src, self.node_of_root(root))
            return
        loc = self.materialize(path)
        if self.worth_recording(root, fname, loc):
            k = len(self.fs.accesses)
            self.fs.accesses.append(Access(line, "write", root, fname, loc, via))
            self.flow(src, self.port(("WR", k)))
        if root[0] == "L":
            # a local object holding the field now carries the value too (pod.Spec = x taints pod);
            # receivers and parameters are shared objects: their fields are locations of their own
            self.flow(src, self.node_of_root(root))
        if value is not None and loc is not None and loc[0] != "G":
            self.field_facts(loc, value, target)

    def node_of_root(self, root) -> tuple:
        if root[0] == "P":
            return self.port(("P", root[1]))
        return self.node_of_var(root[1])

    def field_facts(self, loc, value, target) -> None:
        """x.f = v: what constructors store into fields (see store_facts)."""
        tp = self.path_of(target)
        self.store_facts(loc, value, tp[0] if tp is not None else None)

    def store_facts(self, loc, value, target_root) -> None:
        """A value stored in field `loc`: the func values, concrete types and library models it
        carries, the parameter it forwards, and the object it shares with other fields."""
        for fv in self.func_values(value):
            self.field_func(loc, fv, target_root)
        t = self.type_of(value)
        if t is not None and t[0] == "M" and t[4]:
            self.out.field_models.append((loc, t))
        key = self.concrete_type(t)
        if key is not None:
            self.out.field_types.append((loc, key))
        if value[0] == "call":
            tg = self.resolve_target(value[1])
            if tg[0] == "static":
                self.out.field_types.append((loc, ("ret", tg[1])))
        vp = self.path_of(value)
        if vp is not None and vp[1] is None and vp[0][0] == "P" and vp[0][1] >= 0:
            self.out.param_stores.append(((self.fs.qname, vp[0][1]), loc))
        if vp is None or not self.is_reference(t):
            return  # a struct copied by value is a new object: no alias
        if vp[1] is not None:
            other = self.materialize(vp)
            if other is not None and other != loc:
                self.out.aliases.append((loc, other))
        elif vp[0][0] in ("L", "P", "C"):
            # one local stored in several fields: they all hold the same object
            holders = self.alias_holders.setdefault(vp[0], set())
            for h in holders:
                if h != loc:
                    self.out.aliases.append((loc, h))
            holders.add(loc)

    def field_func(self, loc, fv, target_root) -> None:
        if fv[0] == "param":  # stored parameter: resolved from this function's callers
            fv = ("paramof", self.fs.qname, fv[1])
        if fv[0] in ("method", "ifacemethod"):
            self.pending_methods.append((loc, fv, target_root))
        else:
            self.out.field_funcs.append((loc, fv))

    def bind_methods(self) -> None:
        """A method value stored in a field: whose method is it? ('self': the struct holding the
        field; ('sub', f): the object in field f of that struct; a location; None: unknown)."""
        for loc, fv, target_root in self.pending_methods:
            bpath = fv[-1]
            bound = None
            if bpath is not None:
                broot, bfield = bpath
                if bfield is not None:
                    bound = self.materialize(bpath)
                elif target_root is not None and broot == target_root:
                    bound = "self"
                else:
                    holders = self.alias_holders.get(broot, ())
                    same = sorted(h for h in holders if h[0] == loc[0])
                    if same:
                        bound = ("sub", same[0][1])
                    elif holders:
                        bound = sorted(holders)[0]
            self.out.field_funcs.append((loc, (*fv[:-1], bound)))

    def bind_param_aliases(self) -> None:
        """F(podQueue) where podQueue is also stored in sched.SchedulingQueue: F's parameter is that
        object (a closure F returns that captures it reads the same queue)."""
        for callee, i, path in self.pending_args:
            locs = set()
            if path[1] is not None:
                loc = self.materialize(path)
                if loc is not None:
                    locs.add(loc)
            else:
                locs |= self.alias_holders.get(path[0], set())
            for loc in sorted(locs, key=repr):
                self.out.param_aliases.append(((callee, i), loc))

    # ------------------------------------------------------------ expressions
    def atoms(self, expr, read_as: str = "") -> set:
        """Evaluate an expression: register its calls and reads; return the nodes its value comes from."""
        kind = expr[0]
        if kind == "v":
            return {self.node_of_var(expr[1])}
        if kind in ("lit", "T", "fl"):
            return set()
        if kind == "id":
            path = self.path_of(expr)
            if path is not None and path[0][0] == "G":
                return {self.read(path, expr, 0, "global")}
            return set()
        if kind == ".":
            if self.qualified(expr) is not None:
                path = self.path_of(expr)
                if path is not None:  # a package variable of another package
                    return {self.read(path, expr, 0, read_as or "global")}
                return set()
            path = self.path_of(expr)
            if path is not None and path[1] is not None:
                return self.atoms_base(expr[1]) | {self.read(path, expr, 0, read_as or "field")}
            return self.atoms(expr[1])
        if kind == "emb":
            return self.atoms(expr[1])
        if kind == "call":
            return self.call(expr, "call")
        if kind == "comp":
            out = set()
            ctype = self.rtype(expr[1]) if expr[1] is not None else None
            self.instantiated(ctype)
            positional = self.struct_field_names(ctype) if ctype is not None else ()
            for i, (key, val) in enumerate(expr[2]):
                if key is not None and key[0] != "key":
                    out |= self.atoms(key)
                out |= self.atoms(val)
                if ctype is not None and key is not None and key[0] == "key" and ctype[0] == "n":
                    self.composite_field(ctype, key[1], val)
                elif key is None and i < len(positional):  # T{a, b}: fields in declaration order
                    self.composite_field(ctype, positional[i], val)
            return out
        if kind == "u":
            op = expr[1]
            if op == "<-":
                path = self.path_of(expr[2])
                if path is not None and (path[1] is not None or path[0][0] == "G"):
                    return self.atoms_base(expr[2]) | {self.read(path, expr, 0, "chan receive")}
            return self.atoms(expr[2], read_as)
        if kind == "b":
            return self.atoms(expr[2]) | self.atoms(expr[3])
        if kind == "[]":
            out = self.atoms(expr[1], read_as or "index")
            for i in expr[2]:
                out |= self.atoms(i)
            return out
        if kind in ("[:]", "assert"):
            return self.atoms(expr[1], read_as)
        return set()

    def atoms_base(self, expr) -> set:
        """The variables behind a field path, without reading the field itself."""
        kind = expr[0]
        if kind == "v":
            return {self.node_of_var(expr[1])}
        if kind in (".", "[]", "[:]"):
            if kind == "." and self.qualified(expr) is not None:
                return set()
            return self.atoms_base(expr[1])
        if kind == "u":
            return self.atoms_base(expr[2])
        if kind == "emb":
            return self.atoms_base(expr[1])
        if kind == "id":
            return set()
        return self.atoms(expr)

    def read(self, path, expr, line: int, via: str) -> tuple:
        root, fname = path
        loc = self.materialize(path)
        if not self.worth_recording(root, fname, loc):
            return self.port(("RD", -1))  # a field of a plain data object: just data
        k = len(self.fs.accesses)
        self.fs.accesses.append(Access(line or self.current_line, "read", root, fname, loc, via))
        return self.port(("RD", k))

    def worth_recording(self, root, fname, loc) -> bool:
        """Keep accesses to state (a location, or a parameter whose caller will say which);
        drop field reads of plain objects (pod.Spec, a local struct)."""
        if loc is not None:
            return True
        if root[0] not in ("P", "C"):
            return False
        if fname is None:
            return True
        t = self.root_type(root)
        if t is None or t[0] == "M":
            return True
        base = deref(t)
        return base[0] == "n" and self.index.is_interface(base)

    current_line = 0

    def struct_field_names(self, ctype) -> tuple[str, ...]:
        base = deref(ctype)
        if base[0] != "n" or (base[1], base[2]) not in self.index.types:
            return ()
        u = self.index.underlying(base)
        return tuple(name for name, _t, _emb in u[1]) if u[0] == "st" else ()

    def composite_field(self, ctype, fname: str, val) -> None:
        """T{f: v}: the same facts as an assignment to field f of a T."""
        base = deref(ctype)
        if base[0] != "n":
            return
        found = self.index.field(base, fname)
        if found is not None:
            self.store_facts((found[2] or (base[1], base[2]), fname), val, None)

    # ------------------------------------------------------------ calls
    def call(self, expr, kind: str) -> set:
        _c, F, args, line, _spread = expr
        self.current_line = line
        if self.is_builtin(F):
            return self.builtin(F[1], args, line)
        if self.named_type_of_expr(F) is not None:
            out = set()
            for a in args:
                out |= self.atoms(a)
            return out
        target = self.resolve_target(F)
        tkind = target[0]
        if tkind == "model_method":
            return self.model_call(target, args, line, kind)
        if tkind == "model_func":
            return self.model_func_call(target, args, line, kind)
        arg_atoms = [self.atoms(a) for a in args]
        all_args = set().union(*arg_atoms) if arg_atoms else set()
        arg_paths = tuple(self.path_of(a) for a in args)
        arg_funcs = tuple(self.func_values(a) for a in args)
        if tkind == "lib":
            recv = target[2]
            recv_atoms = self.atoms_base(recv) if recv is not None else set()
            if recv is not None and isinstance(target[1], str):
                method = target[1].rsplit(".", 1)[-1]
                path = self.path_of(recv)
                if path is not None and path[1] is not None and method in self.models.mutating_methods:
                    k = len(self.fs.accesses)
                    self.fs.accesses.append(
                        Access(line, "write", path[0], path[1], self.materialize(path), f"{method} (guessed)")
                    )
                    self.flow(all_args, self.port(("WR", k)))
            # library code calls the functions it is given (wait.Until, retries, sort, ...)
            self.callbacks(arg_funcs, arg_atoms, line)
            return all_args | recv_atoms
        recv_expr = None
        callee: tuple = ("none",)
        targets: tuple = ()
        if tkind == "static":
            callee = ("static", target[1])
            recv_expr = target[2]
            if recv_expr is not None and target[3]:
                recv_expr = ("emb", recv_expr, target[3])
        elif tkind == "iface_method":
            iface_key, method, recv_expr = target[2]
            recv_path = self.path_of(recv_expr)
            loc = self.materialize(recv_path) if recv_path is not None and recv_path[1] is not None else None
            narrow = ()
            if recv_expr[0] == "v" and self.var_concrete.get(recv_expr[1]):
                narrow = tuple(sorted(self.var_concrete[recv_expr[1]]))
            callee = ("iface", iface_key, method, loc, narrow)
        elif tkind == "field":
            callee = ("field", target[1], target[2])
            recv_expr = target[3]
            fr = self.path_of(recv_expr)
            # the func value's receiver is not the struct: only the struct's atoms flow nowhere
            if fr is not None:
                k = len(self.fs.accesses)
                self.fs.accesses.append(
                    Access(
                        line,
                        "read",
                        fr[0],
                        target[2] if fr[1] is None else fr[1],
                        self.materialize((fr[0], target[2]) if fr[1] is None else fr),
                        "call of func field",
                    )
                )
        elif tkind == "var":
            uid = target[1]
            params = self.param_of[self.unit]
            if uid in params and params[uid] >= 0:
                callee = ("param", params[uid])
            elif uid in self.shared and self.var_is_param_of_ancestor(uid) is not None:
                callee = ("param_of", self.var_is_param_of_ancestor(uid))
            targets = tuple(sorted(self.var_funcs.get(uid, ())))
        elif tkind == "global":
            callee = ("global", target[1], target[2])
        elif tkind == "lit":
            targets = (("lit", target[1]),)
        elif tkind == "funcvalue" and F[0] == "call":
            inner = self.func_values(F)
            targets = inner
            self.atoms(F)
        recv_path = self.path_of(recv_expr) if recv_expr is not None else None
        s = self.new_site(line, kind, callee, targets, recv_path, arg_paths, arg_funcs, len(args))
        if tkind == "static":
            for i, p in enumerate(arg_paths):
                if p is not None and p[0][0] in ("L", "C", "P"):
                    self.pending_args.append((target[1], i, p))
        if tkind in ("static", "var", "lit", "field", "global"):
            self.fs.sites[s].arg_types = tuple(self.concrete_types(a) for a in args)
            self.fs.sites[s].arg_models = tuple(self.arg_model(a) for a in args)
        recv_atoms: set = set()
        if recv_expr is not None:
            recv_atoms = self.atoms_base(recv_expr) if recv_path is not None else self.atoms(recv_expr)
            self.flow(recv_atoms, self.port(("CI", s, -1)))
        for i, a in enumerate(arg_atoms):
            self.flow(a, self.port(("CI", s, i)))
        co = self.port(("CO", s))
        # results may carry any input, the receiver's too (c.Victims() of a tainted candidate); the
        # callee's own flow is followed separately
        return {co} | all_args | recv_atoms

    def callbacks(self, arg_funcs, arg_atoms, line: int, skip: int | None = None) -> None:
        """Func values handed to library code are called by it; the other arguments may reach
        their parameters (port CI(s, 0) of a callback site stands for every parameter)."""
        for i, fvs in enumerate(arg_funcs):
            if not fvs or i == skip:
                continue
            s = self.new_site(line, "callback", ("none",), fvs, None, (), (), 0)
            for j, a in enumerate(arg_atoms):
                if j != i:
                    self.flow(a, self.port(("CI", s, 0)))

    def concrete_types(self, expr) -> tuple:
        """Concrete struct types an expression may hold (for narrowing interface calls)."""
        if expr[0] == "v" and self.var_concrete.get(expr[1]):
            return tuple(sorted(self.var_concrete[expr[1]]))
        key = self.concrete_type(self.type_of(expr))
        if key is not None:
            return (key,)
        if expr[0] == "call":
            tg = self.resolve_target(expr[1])
            if tg[0] == "static":
                return (("ret", tg[1]),)
        return ()

    def arg_model(self, expr):
        """An argument's library model when it names a resource (an informer passed to a helper),
        or ("param", i) when it forwards this function's own parameter."""
        t = self.type_of(expr)
        if t is not None and t[0] == "M" and t[4]:
            return t
        p = self.path_of(expr)
        if p is not None and p[1] is None and p[0][0] == "P" and p[0][1] >= 0:
            return ("param", p[0][1])
        return None

    def var_is_param_of_ancestor(self, uid: int):
        for u in self.units:
            params = self.param_of[u]
            if uid in params and params[uid] >= 0:
                return (func_qname(self.pkg, self.facts.funcs[u]), params[uid])
        return None

    def new_site(self, line, kind, callee, targets, recv, args, arg_funcs, nargs) -> int:
        self.fs.sites.append(
            Site(line, kind, callee, tuple(targets), recv, tuple(args), tuple(arg_funcs), nargs)
        )
        return len(self.fs.sites) - 1

    def instantiated(self, t) -> None:
        if t is None or t[0] == "M":
            return
        base = deref(t)
        if base[0] == "n" and (base[1], base[2]) in self.index.types:
            self.instantiations.add((base[1], base[2]))

    def builtin(self, name: str, args, line: int) -> set:
        if name == "new" and args:
            self.instantiated(self.type_argument(args[0]))
        arg_atoms = [self.atoms(a) for a in args if a[0] != "T"]
        out = set().union(*arg_atoms) if arg_atoms else set()
        if name == "delete" and args:
            self.write_to(args[0], out, line, "map delete")
            return set()
        if name == "copy" and len(args) == 2:
            self.store(args[0], self.atoms(args[1]), line)
        if name in ("len", "cap"):
            return set()
        return out

    def model_func_call(self, target, args, line: int, kind: str) -> set:
        eff: Effect = target[1]
        arg_atoms = [self.atoms(a) for a in args]
        out = set().union(*arg_atoms) if arg_atoms else set()
        if eff.register is not None or eff.register_field is not None:
            self.registration(target[2].rsplit(".", 1)[-1], model(eff.gives or "store"), eff, args, line)
        if eff.callback:
            self.callbacks([self.func_values(a) for a in args], arg_atoms, line, skip=eff.register)
        return out

    def model_call(self, target, args, line: int, kind: str) -> set:
        _k, recv_model, eff, method, recv = target
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
        if eff.sink is not None or (eff.request and recv_model[6] in WRITE_VERBS):
            self.sink(recv_model, eff, method, args, line, all_args | recv_atoms)
            return all_args | recv_atoms
        if eff.request:
            self.fs.reads.append(LibRead(line, f"{recv_model[6] or 'get'} {_resource(recv_model)}"))
            return all_args | recv_atoms
        if eff.read is not None:
            what = "lister" if eff.read == "lister" else eff.read
            self.fs.reads.append(LibRead(line, f"{what} {_resource(recv_model)}"))
            return all_args | recv_atoms
        if eff.effect in ("write", "read") and recv_path is not None:
            root, fname = recv_path
            loc = self.materialize(recv_path)
            k = len(self.fs.accesses)
            via = f"{recv_model[1]}.{method}"
            if eff.effect == "write":
                if fname is None and root[0] == "L" and loc is None:
                    self.flow(all_args, self.node_of_root(root))
                    return set()
                self.fs.accesses.append(Access(line, "write", root, fname, loc, via))
                self.flow(all_args, self.port(("WR", k)))
                return set()
            self.fs.accesses.append(Access(line, "read", root, fname, loc, via))
            return {self.port(("RD", k))} | all_args
        if eff.callback:
            self.callbacks([self.func_values(a) for a in args], arg_atoms, line)
        return all_args | recv_atoms

    def sink(self, m, eff: Effect, method: str, args, line: int, sources: set) -> None:
        kind = eff.kind or "write"
        if eff.request:
            verb = m[6]
        else:
            verb = eff.sink or "create"
        group = eff.group if eff.group is not None else m[2]
        version = m[3] if group == m[2] else ""  # Evict on PolicyV1beta1() writes core pods/eviction
        resource = eff.resource or m[4] or "*"
        sub = eff.subresource or ""
        if not eff.request and eff.subresource_arg is not None and eff.subresource_arg < len(args):
            s = self.const_string(args[eff.subresource_arg])
            sub = s if s is not None else ""
        elif eff.request:
            sub = m[5]
        if eff.object_arg is not None and eff.object_arg < len(args):
            gr = self.object_resource(args[eff.object_arg])
            if gr is not None:
                group, resource, version = gr[0], gr[1], gr[2]
        if eff.kind == "event":
            group = eff.group or ""
            resource = "events"
            sub = ""
            version = ""
        api = "/".join(x for x in (group, resource, sub) if x)
        if resource == "*":
            api = "*" if not sub else f"*/{sub}"
        client = {
            "client": "typed",
            "dynresource": "dynamic",
            "request": "rest",
            "recorder": "events",
            "eventsrecorder": "events",
            "crclient": "controller-runtime",
            "crstatus": "controller-runtime",
        }.get(m[1], m[1])
        k = len(self.fs.sinks)
        self.fs.sinks.append(SinkCall(line, verb, api, kind, client, version))
        self.flow(sources, self.port(("SK", k)))

    # ------------------------------------------------------------ registrations (collector)
    def registration(self, via: str, informer, eff: Effect, args, line: int, recv=None) -> None:
        if eff.register_field is not None:
            opts = args[0] if args else None
            handler_expr = None
            obj_expr = None
            if opts is not None and opts[0] == "comp":
                for key, val in opts[2]:
                    if key is not None and key[0] == "key" and key[1] == eff.register_field:
                        handler_expr = val
                    if key is not None and key[0] == "key" and key[1] == eff.object_field:
                        obj_expr = val
            if handler_expr is None:
                return
            if obj_expr is not None:
                gr = self.object_resource(obj_expr)
                if gr is not None:
                    informer = with_attrs(informer, group=gr[0], resource=gr[1], version=gr[2])
        else:
            idx = eff.register
            if idx is None or idx >= len(args):
                return
            handler_expr = args[idx]
            if eff.object_arg is not None and eff.object_arg < len(args):
                gr = self.object_resource(args[eff.object_arg])
                if gr is not None:
                    informer = with_attrs(informer, group=gr[0], resource=gr[1], version=gr[2])
        note = "typed informer" if informer[4] and informer[4] != "*" else "unresolved"
        informer_loc = None
        informer_param = None
        if not informer[4] and recv is not None:
            rp = self.path_of(recv)
            informer_loc = self.materialize(rp) if rp is not None and rp[1] is not None else None
            if rp is not None and rp[1] is None and rp[0][0] == "P" and rp[0][1] >= 0:
                informer_param = rp[0][1]
        hv = self.handler_value(handler_expr)
        fn = self.facts.funcs[self.unit]
        owner = self.owner_of(fn)
        self.out.registrations.append(
            Registration(
                self.fs.qname,
                self.path,
                line,
                via,
                informer if informer[4] else None,
                note,
                hv,
                (),
                owner,
                informer_loc,
                informer_param,
            )
        )

    def owner_of(self, fn: Func):
        """The struct a registering function belongs to or builds."""
        f = fn
        while f.parent is not None:
            f = self.facts.funcs[f.parent]
        if f.recv_type is not None:
            t = deref(self.rtype(f.recv_type) or ("?",))
            if t[0] == "n":
                return (t[1], t[2])
        for _uid, rt in f.results:
            key = self.concrete_type(self.rtype(rt))
            if key is not None and key[0] == self.pkg:
                return key
        return None

    def handler_value(self, expr, depth: int = 0) -> HandlerValue:
        if depth > 6:
            return HandlerValue("unknown")
        kind = expr[0]
        if kind == "u" and expr[1] == "&":
            return self.handler_value(expr[2], depth + 1)
        if kind == "comp":
            t = self.rtype(expr[1]) if expr[1] is not None else None
            name = f"{t[1]}.{t[2]}" if t is not None and t[0] == "n" else ""
            funcs = self.models.handler_funcs.get(name)
            if funcs is not None:
                events: dict[str, tuple] = {}
                for key, val in expr[2]:
                    if key is not None and key[0] == "key" and key[1] in funcs:
                        events[funcs[key[1]]] = self.func_values(val)
                return HandlerValue("funcs", events=events)
            filt = self.models.handler_filtering.get(name)
            if filt is not None:
                hv = HandlerValue("filter")
                for key, val in expr[2]:
                    if key is not None and key[0] == "key":
                        if key[1] == filt["filter"]:
                            fvs = self.func_values(val)
                            hv.filter = fvs[0] if fvs else None
                        elif key[1] == filt["handler"]:
                            hv.inner = self.handler_value(val, depth + 1)
                return hv
            if t is not None and t[0] == "n" and (t[1], t[2]) in self.index.types:
                return HandlerValue("type", type=(t[1], t[2]))
            return HandlerValue("unknown")
        if kind == "v":
            uid = expr[1]
            comp = self.var_comp.get(uid)
            hv = self.handler_value(comp, depth + 1) if comp is not None else None
            extra = self.var_field_funcs.get(uid)
            t = self.vtypes[uid] if uid < len(self.vtypes) else None
            tname = ""
            if t is not None and t[0] != "M":
                b = deref(t)
                if b[0] == "n":
                    tname = f"{b[1]}.{b[2]}"
            funcs = self.models.handler_funcs.get(tname)
            if extra and funcs is not None:
                if hv is None or hv.form != "funcs":
                    hv = HandlerValue("funcs")
                for fname, fvs in extra.items():
                    if fname in funcs:
                        hv.events[funcs[fname]] = tuple(sorted(set(hv.events.get(funcs[fname], ())) | fvs))
            if hv is not None:
                return hv
            fvs = self.var_funcs.get(uid)
            if fvs:
                return HandlerValue("call", callee=tuple(sorted(fvs)), arg_funcs=())
            key = self.concrete_type(t)
            if key is not None:
                return HandlerValue("type", type=key)
            return HandlerValue("unknown")
        if kind == "call":
            target = self.resolve_target(expr[1])
            callee = self.callee_values(target)
            if target[0] == "lib" or not callee:
                return HandlerValue("unknown")
            return HandlerValue("call", callee=callee, arg_funcs=tuple(self.func_values(a) for a in expr[2]))
        key = self.concrete_type(self.type_of(expr))
        if key is not None:
            return HandlerValue("type", type=key)
        return HandlerValue("unknown")


_LINE_AT = {"=": 3, "x": 2, "ret": 2, "go": 2, "defer": 2, "send": 3, "range": 4}


def _resource(m) -> str:
    parts = [p for p in (m[2], m[4] or "*") if p]
    return "/".join(parts)


def _walk_calls(body):
    """Every call expression in a statement list (for small local checks)."""
    stack = list(body)
    while stack:
        x = stack.pop()
        if isinstance(x, tuple):
            if x and x[0] == "call":
                yield x
            stack.extend(e for e in x if isinstance(e, tuple))
