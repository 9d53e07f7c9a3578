"""callgraph: every call site of every summary resolved to the functions it may run.

Dynamic calls are resolved from what the program stores, never from names alone where it can
be helped:
- an interface call on a struct field goes to the concrete types constructors store in that field
  (or that the factory they call returns); only when nothing is known, to every implementer;
- a call of a func-valued field goes to what is assigned to it (`rsc.syncHandler = rsc.syncReplicaSet`),
  a method value keeping the object it is bound to (`sched.NextPod = podQueue.Pop`, with podQueue also
  stored in sched.SchedulingQueue);
- a call of a func parameter goes to what callers pass for it (callbacks: slowStartBatch, retries);
- func values handed to library code are called by it (wait.Until, go statements).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import overload

from kubetorch.index import ProgramIndex
from kubetorch.models import Models, ModelType, load_models
from kubetorch.summary import (
    AccessPath,
    Binding,
    Closure,
    ConcreteType,
    FieldFunc,
    FieldLoc,
    FuncRef,
    FunctionSummary,
    FuncValue,
    GlobalFunc,
    GlobalVar,
    IfaceCall,
    IfaceMethod,
    Location,
    MethodValue,
    OwnParam,
    PackageSummary,
    ParamOf,
    Registration,
    ResultOf,
    ReturnedBy,
    ReturnedClosure,
    ReturnValue,
    SharedLoc,
    StaticCall,
    TypeKey,
    tuple_text,
)


@dataclass(slots=True, frozen=True)
class Target:
    """One function a call site may run, and how its receiver relates to the site."""

    qname: str
    # how the call reaches it (the calls table's `kind`):
    # static | method | interface | func-field | func-value | closure | callback | go | defer
    dispatch: str
    bound: Binding = None  # for method values: SELF, a SubObject, a location, or None


def _mention(fv: ReturnValue, used: set[str]) -> None:
    """Functions a func value names (nested in handler factories' returns too)."""
    match fv:
        case (
            FuncRef(qname=qname)
            | Closure(qname=qname)
            | MethodValue(qname=qname)
            | ReturnedClosure(qname=qname)
        ):
            used.add(qname)
        case ReturnedBy(callees=callees, args=args):
            for inner in callees:
                _mention(inner, used)
            for group in args:
                for inner in group:
                    _mention(inner, used)


class UnionFind:
    """Alias classes of locations; a class's representative is its member of least tuple_text."""

    def __init__(self) -> None:
        self.parent: dict[Location, Location] = {}

    @overload
    def find(self, x: Location) -> Location: ...

    @overload
    def find(self, x: AccessPath) -> AccessPath: ...  # a receiver path standing for a location (compose)

    def find(self, x):  # typed by the overloads above
        parent = self.parent
        rep = x
        while parent.get(rep, rep) != rep:
            rep = parent[rep]
        while parent.get(x, x) != rep:
            parent[x], x = rep, parent[x]
        return rep

    def union(self, a: Location, b: Location) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if tuple_text(ra) < tuple_text(rb):  # deterministic representative, whatever the location kinds
                ra, rb = rb, ra
            self.parent[ra] = rb


class Program:
    """All summaries with the global facts merged, and the resolved call graph."""

    def __init__(self, index: ProgramIndex, packages: list[PackageSummary], models: Models | None = None):
        self.index = index
        self.models = models or load_models()
        self.functions: dict[str, FunctionSummary] = {}
        self.registrations: list[Registration] = []
        self.field_funcs: dict[Location, set[FuncValue]] = defaultdict(set)
        self.field_types: dict[Location, set[ConcreteType]] = defaultdict(set)
        self.global_funcs: dict[GlobalVar, set[FuncValue]] = defaultdict(set)
        self.returns_types: dict[str, set[TypeKey]] = defaultdict(set)
        self.field_models: dict[Location, set[ModelType]] = defaultdict(set)
        self.locations = UnionFind()
        for ps in packages:
            for fs in ps.functions:
                declared = index.funcs.get(fs.qname)
                if declared is not None and declared.file != fs.file and not fs.is_literal:
                    continue  # the same function for another platform: the index's choice wins
                if fs.is_literal and fs.qname in self.functions and fs.file not in index.primary_files:
                    continue
                self.functions[fs.qname] = fs
            self.registrations.extend(ps.registrations)
            for loc, fv in ps.field_funcs:
                self.field_funcs[loc].add(fv)
            for loc, t in ps.field_types:
                self.field_types[loc].add(t)
            for g, fv in ps.global_funcs:
                self.global_funcs[g].add(fv)
            for loc, m in ps.field_models:
                self.field_models[loc].add(m)
            for q, t in ps.returns_types:
                self.returns_types[q].add(t)
            for a, b in ps.aliases:
                self.locations.union(a, b)
        # a factory's parameter captured by the closure it returns (MakeNextPodFunc(podQueue)) is the
        # variable location SharedLoc(F, uid): it is the caller's object, but only when every call
        # site passes the same one (a helper called by two controllers must not merge their queues)
        bound: dict[tuple[str, int], set[Location]] = defaultdict(set)
        for ps in packages:
            for key, loc in ps.param_aliases:
                bound[key].add(loc)
        stores: dict[tuple[str, int], set[Location]] = defaultdict(set)
        for ps in packages:
            for key, loc in ps.param_stores:
                stores[key].add(loc)
        for (callee, i), locs in bound.items():
            callee_fs = self.functions.get(callee)
            owners = {loc.owner if isinstance(loc, FieldLoc) else loc for loc in locs}
            if callee_fs is None or len(owners) != 1:
                continue  # objects of different structs: merging them would link two controllers
            for loc in locs:  # rq.worker(rq.queue), rq.worker(rq.missingUsageQueue): one controller
                if i < len(callee_fs.param_uids):
                    self.locations.union(SharedLoc(callee, callee_fs.param_uids[i]), loc)
                for stored in stores.get((callee, i), ()):
                    # NewGenericScheduler(c.schedulerCache) storing it in genericScheduler.cache
                    self.locations.union(stored, loc)
        self._flow_params_into_fields(stores)
        self.live_types = self._live_types()
        # per location class: what any alias holds
        for table in (self.field_funcs, self.field_types):
            merged: dict[Location, set] = defaultdict(set)
            for loc, vals in table.items():
                merged[self.locations.find(loc)] |= vals
            for loc in list(table):
                table[loc] = merged[self.locations.find(loc)]
        # (function, parameter position) -> {(func value passed, the function passing it)}
        self.param_funcs: dict[tuple[str, int], set[tuple[FuncValue, str]]] = defaultdict(set)
        self._value_memo: dict[object, list[Target]] = {}
        self._param_memo: dict[tuple[str, int], list[Target]] = {}
        self._used_params = False
        self.callees: dict[str, list[list[Target]]] = {}
        self.callers: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._resolve_all()

    def _flow_params_into_fields(self, stores: dict[tuple[str, int], set[Location]]) -> None:
        """NewBaseController(..., podControl PodControlInterface) stores its parameter in a field
        (stores: (function, parameter index) -> fields): what callers pass for it is what the
        field holds."""
        if not stores:
            return
        for fs in self.functions.values():
            for site in fs.sites:
                if not isinstance(site.callee, StaticCall) or not site.arg_types:
                    continue
                for i, types in enumerate(site.arg_types):
                    for loc in stores.get((site.callee.qname, i), ()):
                        self.field_types[loc].update(types)

    def _live_types(self) -> set[TypeKey]:
        """Struct types built by code that something uses. A type only a dead constructor or a
        test helper builds (`var _ BindPlugin = &FakeNodeReaper{}` does not count) is not a
        candidate for interface dispatch."""
        used: set[str] = set()
        for fs in self.functions.values():
            for site in fs.sites:
                if isinstance(site.callee, StaticCall):
                    used.add(site.callee.qname)
                for fv in site.targets:
                    _mention(fv, used)
                for fvs in site.arg_funcs:
                    for fv in fvs:
                        _mention(fv, used)
            for r in fs.returns:
                _mention(r, used)
        for table in (self.field_funcs, self.global_funcs):
            for held in table.values():
                for fv in held:
                    _mention(fv, used)
        live: set[TypeKey] = set()
        for q, fs in self.functions.items():
            name = q.rsplit(".", 1)[-1]
            if q in used or fs.recv_type is not None or fs.is_literal or name in ("main", "init"):
                live.update(fs.instantiates)
        return live

    # ------------------------------------------------------------ func values
    def resolve_value(self, fv: ReturnValue, caller: str) -> list[Target]:
        """Func value (see kubetorch.summary) -> the functions it may be (memoized; a value that
        refers back to itself through fields or globals contributes nothing more the second time)."""
        key = (fv, caller) if isinstance(fv, (OwnParam, ReturnedBy)) else fv
        memo = self._value_memo.get(key)
        if memo is not None:
            return memo
        self._value_memo[key] = []  # cycle guard
        out: list[Target] = []
        seen: set[tuple[str, str, str]] = set()
        for t in self._resolve_value(fv, caller):
            k = (t.qname, t.dispatch, tuple_text(t.bound))
            if k not in seen:
                seen.add(k)
                out.append(t)
        self._value_memo[key] = out
        return out

    def _resolve_value(self, fv: ReturnValue, caller: str) -> list[Target]:
        out: list[Target] = []
        match fv:
            case FuncRef(qname=qname):
                return [Target(qname, "func-value")] if qname in self.functions else []
            case Closure(qname=qname):
                return [Target(qname, "closure")] if qname in self.functions else []
            case MethodValue(qname=qname, bound=bound):
                return [Target(qname, "method", bound)] if qname in self.functions else []
            case GlobalFunc(pkg=pkg, name=name):
                for v in self.global_funcs.get(GlobalVar(pkg, name), ()):
                    out.extend(self.resolve_value(v, caller))
            case FieldFunc(owner=owner, field=fname):
                for v in sorted(self.field_funcs.get(FieldLoc(owner, fname), ()), key=tuple_text):
                    out.extend(self.resolve_value(v, caller))
            case IfaceMethod(iface=iface, method=method, bound=bound):  # bound like a method value
                return [Target(q, "method", bound) for q in self.implementations(iface, method, None, ())]
            case ReturnedBy(callees=callees, args=args):
                for callee_fv in callees:
                    for t in self.resolve_value(callee_fv, caller):
                        fs = self.functions.get(t.qname)
                        if fs is None:
                            continue
                        for r in fs.returns:
                            match r:
                                case ReturnedClosure(qname=qname, forwards=fwd):
                                    if 0 <= fwd < len(args) and args[fwd]:
                                        for inner in args[fwd]:
                                            out.extend(self.resolve_value(inner, caller))
                                    elif qname in self.functions:
                                        out.append(Target(qname, "closure"))
                                case (
                                    FuncRef()
                                    | MethodValue()
                                    | GlobalFunc()
                                    | FieldFunc()
                                    | ParamOf()
                                    | IfaceMethod()
                                ):
                                    out.extend(self.resolve_value(r, t.qname))
            case OwnParam(position=i):
                return [Target(v.qname, "callback") for v in self._param_targets(caller, i)]
            case ParamOf(function=function, position=i):  # a parameter of the function that stored it
                return [Target(v.qname, "callback") for v in self._param_targets(function, i)]
        return out

    def _param_targets(self, qname: str, i: int) -> list[Target]:
        self._used_params = True
        key = (qname, i)
        memo = self._param_memo.get(key)
        if memo is not None:
            return memo
        self._param_memo[key] = []
        out = []
        for fv, origin in sorted(self.param_funcs.get(key, ()), key=tuple_text):
            if isinstance(fv, OwnParam):  # forwarded: what the origin's callers pass
                out.extend(self._param_targets(origin, fv.position))
            else:
                out.extend(self.resolve_value(fv, origin))
        self._param_memo[key] = out
        return out

    # ------------------------------------------------------------ interfaces
    def implementations(
        self, iface: TypeKey, method: str, loc: Location | None, narrow: tuple[TypeKey, ...]
    ) -> list[str]:
        """Methods an interface call may run, narrowed to the types that flow into the receiver."""
        types: set[TypeKey] = set(narrow)
        if not types and loc is not None:
            for t in self.field_types.get(self.locations.find(loc), ()):
                if isinstance(t, ResultOf):
                    types |= self.returns_types.get(t.function, set())
                else:
                    types.add(t)
        candidates = []
        if types:
            for key in sorted(types):
                found = self.index.method(("n", *key, ()), method)
                if found is not None and found.qname is not None and found.qname in self.functions:
                    candidates.append(found.qname)
            if candidates:
                return candidates
        every = []
        for key in self.index.implementers(("n", *iface, ())):
            pkg, _name = key
            if self.models.is_test_support(pkg):
                continue  # fakes in non-test files are never wired into production code
            found = self.index.method(("n", *key, ()), method)
            if found is not None and found.qname is not None and found.qname in self.functions:
                every.append((key, found.qname))
        live = [q for key, q in every if key in self.live_types] or [q for _key, q in every]
        if len(live) > self.models.max_dispatch_fanout:
            return []  # plumbing: following every implementer would link everything to everything
        return live

    # ------------------------------------------------------------ sites
    def resolve_site(self, fs: FunctionSummary, k: int) -> list[Target]:
        site = fs.sites[k]
        out: list[Target] = []
        match site.callee:
            case StaticCall(qname=qname):
                if qname in self.functions:
                    out.append(Target(qname, "method" if site.recv is not None else "static"))
            case IfaceCall(iface=iface, method=method, loc=loc, narrow=narrow):
                out.extend(Target(q, "interface") for q in self.implementations(iface, method, loc, narrow))
            case FieldFunc(owner=owner, field=fname):
                for fv in sorted(self.field_funcs.get(FieldLoc(owner, fname), ()), key=tuple_text):
                    for t in self.resolve_value(fv, fs.qname):
                        out.append(Target(t.qname, "func-field", t.bound))
            case GlobalFunc(pkg=pkg, name=name):
                for fv in sorted(self.global_funcs.get(GlobalVar(pkg, name), ()), key=tuple_text):
                    out.extend(
                        Target(t.qname, "func-value", t.bound) for t in self.resolve_value(fv, fs.qname)
                    )
            case OwnParam(position=i):
                out.extend(self._param_targets(fs.qname, i))
            case ParamOf(function=function, position=i):
                out.extend(self._param_targets(function, i))
        for fv in site.targets:
            for t in self.resolve_value(fv, fs.qname):
                out.append(Target(t.qname, "callback" if site.launch == "callback" else t.dispatch, t.bound))
        seen: set[tuple[str, str]] = set()
        unique = []
        for t in out:
            key = (t.qname, tuple_text(t.bound))
            if key not in seen:
                seen.add(key)
                unique.append(Target(t.qname, site.launch, t.bound) if site.launch in ("go", "defer") else t)
        return unique

    def _resolve_all(self) -> None:
        """Resolve every site; then, while func parameters learn more values, re-resolve the sites
        whose answer depended on what callers pass (only those)."""
        self._value_memo = {}
        self._param_memo = {}
        callees: dict[str, list[list[Target]]] = {}
        dependent: list[tuple[str, int]] = []
        for qname, fs in self.functions.items():
            per_site = []
            for k in range(len(fs.sites)):
                self._used_params = False
                per_site.append(self.resolve_site(fs, k))
                if self._used_params:
                    dependent.append((qname, k))
            callees[qname] = per_site
        self.callees = callees
        for _round in range(3):
            before = sum(len(v) for v in self.param_funcs.values())
            for qname, per_site in callees.items():
                sites = self.functions[qname].sites
                for k, targets in enumerate(per_site):
                    for t in targets:
                        for i, fvs in enumerate(sites[k].arg_funcs):
                            for fv in fvs:
                                self.param_funcs[(t.qname, i)].add((fv, qname))
            if sum(len(v) for v in self.param_funcs.values()) == before:
                break
            self._value_memo = {}
            self._param_memo = {}
            for qname, k in dependent:
                callees[qname][k] = self.resolve_site(self.functions[qname], k)
        callers: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for qname, per_site in self.callees.items():
            for k, targets in enumerate(per_site):
                for t in targets:
                    callers[t.qname].append((qname, k))
        self.callers = callers

    # ------------------------------------------------------------ queries
    def reachable(self, starts: Iterable[str]) -> set[str]:
        seen = set()
        stack = [q for q in starts if q in self.functions]
        while stack:
            q = stack.pop()
            if q in seen:
                continue
            seen.add(q)
            for targets in self.callees.get(q, ()):
                for t in targets:
                    if t.qname not in seen:
                        stack.append(t.qname)
        return seen

    def edges(self) -> Iterator[tuple[str, str, str, str, int]]:
        """(caller, callee, dispatch, file, line) for the calls table (dispatch is its `kind`)."""
        for qname, per_site in self.callees.items():
            fs = self.functions[qname]
            for k, targets in enumerate(per_site):
                line = fs.sites[k].line
                for t in targets:
                    yield qname, t.qname, t.dispatch, fs.file, line
