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
from dataclasses import dataclass

from kubetorch.index import ProgramIndex
from kubetorch.models import Models, load_models
from kubetorch.summary import FunctionSummary, PackageSummary, Registration, tuple_text


@dataclass(slots=True, frozen=True)
class Target:
    """One function a call site may run, and how its receiver relates to the site."""

    qname: str
    kind: str  # static | method | interface | func-field | func-value | closure | callback | go | defer
    bound: object = None  # for method values: "self", ("sub", field), a location, or None


def _mention(fv, used: set) -> None:
    """Functions a func value names (nested in handler factories' returns too)."""
    if not isinstance(fv, tuple) or not fv:
        return
    if fv[0] in ("func", "lit", "method") and isinstance(fv[1], str):
        used.add(fv[1])
    elif fv[0] == "ret":
        for inner in fv[1]:
            _mention(inner, used)
        for group in fv[2]:
            for inner in group:
                _mention(inner, used)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, x):
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a, b) -> None:
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
        self.field_funcs: dict[tuple, set] = defaultdict(set)
        self.field_types: dict[tuple, set] = defaultdict(set)
        self.global_funcs: dict[tuple, set] = defaultdict(set)
        self.returns_types: dict[str, set] = defaultdict(set)
        self.field_models: dict[tuple, set] = defaultdict(set)
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
        # variable location ('V', F, uid): it is the caller's object, but only when every call site
        # passes the same one (a helper called by two controllers must not merge their queues)
        bound: dict[tuple, set] = defaultdict(set)
        for ps in packages:
            for key, loc in ps.param_aliases:
                bound[key].add(loc)
        stores: dict[tuple, set] = defaultdict(set)
        for ps in packages:
            for key, loc in ps.param_stores:
                stores[key].add(loc)
        for (callee, i), locs in bound.items():
            fs = self.functions.get(callee)
            owners = {loc[0] if isinstance(loc[0], tuple) else loc for loc in locs}
            if fs is None or len(owners) != 1:
                continue  # objects of different structs: merging them would link two controllers
            for loc in locs:  # rq.worker(rq.queue), rq.worker(rq.missingUsageQueue): one controller
                if i < len(fs.param_uids):
                    self.locations.union(("V", callee, fs.param_uids[i]), loc)
                for stored in stores.get((callee, i), ()):
                    # NewGenericScheduler(c.schedulerCache) storing it in genericScheduler.cache
                    self.locations.union(stored, loc)
        self._flow_params_into_fields(stores)
        self.live_types = self._live_types()
        # per location class: what any alias holds
        for table in (self.field_funcs, self.field_types):
            merged: dict[tuple, set] = defaultdict(set)
            for loc, vals in table.items():
                merged[self.locations.find(loc)] |= vals
            for loc in list(table):
                table[loc] = merged[self.locations.find(loc)]
        self.param_funcs: dict[tuple[str, int], set] = defaultdict(
            set
        )  # -> {(func value, where it was written)}
        self._value_memo: dict = {}
        self._used_params = False
        self.callees: dict[str, list[list[Target]]] = {}
        self.callers: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self._resolve_all()

    def _flow_params_into_fields(self, stores: dict[tuple, set]) -> None:
        """NewBaseController(..., podControl PodControlInterface) stores its parameter in a field
        (stores: (function, parameter index) -> fields): what callers pass for it is what the
        field holds."""
        if not stores:
            return
        for fs in self.functions.values():
            for site in fs.sites:
                if site.callee[0] != "static" or not site.arg_types:
                    continue
                for i, types in enumerate(site.arg_types):
                    for loc in stores.get((site.callee[1], i), ()):
                        self.field_types[loc].update(types)

    def _live_types(self) -> set:
        """Struct types built by code that something uses. A type only a dead constructor or a
        test helper builds (`var _ BindPlugin = &FakeNodeReaper{}` does not count) is not a
        candidate for interface dispatch."""
        used: set[str] = set()
        for fs in self.functions.values():
            for site in fs.sites:
                if site.callee[0] == "static":
                    used.add(site.callee[1])
                for fv in site.targets:
                    _mention(fv, used)
                for fvs in site.arg_funcs:
                    for fv in fvs:
                        _mention(fv, used)
            for r in fs.returns:
                _mention(r, used)
        for table in (self.field_funcs, self.global_funcs):
            for fvs in table.values():
                for fv in fvs:
                    _mention(fv, used)
        live = set()
        for q, fs in self.functions.items():
            name = q.rsplit(".", 1)[-1]
            if q in used or fs.recv_type is not None or fs.is_literal or name in ("main", "init"):
                live.update(fs.instantiates)
        return live

    # ------------------------------------------------------------ func values
    def resolve_value(self, fv, caller: str) -> list[Target]:
        """Func value (see kubetorch.summary) -> the functions it may be (memoized; a value that
        refers back to itself through fields or globals contributes nothing more the second time)."""
        key = (fv, caller) if fv[0] in ("param", "ret") else fv
        memo = self._value_memo.get(key)
        if memo is not None:
            return memo
        self._value_memo[key] = []  # cycle guard
        out: list[Target] = []
        seen: set[tuple] = set()
        for t in self._resolve_value(fv, caller):
            k = (t.qname, t.kind, tuple_text(t.bound))
            if k not in seen:
                seen.add(k)
                out.append(t)
        self._value_memo[key] = out
        return out

    def _resolve_value(self, fv, caller: str) -> list[Target]:
        kind = fv[0]
        if kind == "func":
            return [Target(fv[1], "func-value")] if fv[1] in self.functions else []
        if kind == "lit":
            return [Target(fv[1], "closure")] if fv[1] in self.functions else []
        if kind == "method":
            return [Target(fv[1], "method", fv[2])] if fv[1] in self.functions else []
        if kind == "gvar":
            out: list[Target] = []
            for v in self.global_funcs.get(("G", fv[1], fv[2]), ()):
                out.extend(self.resolve_value(v, caller))
            return out
        if kind == "field":
            out = []
            for v in sorted(self.field_funcs.get((fv[1], fv[2]), ()), key=tuple_text):
                out.extend(self.resolve_value(v, caller))
            return out
        if kind == "ifacemethod":  # a method value of an interface: bound like a method value
            bound = fv[3] if len(fv) > 3 else None
            return [Target(q, "method", bound) for q in self.implementations(fv[1], fv[2], None, ())]
        if kind == "ret":
            out = []
            for callee_fv in fv[1]:
                for t in self.resolve_value(callee_fv, caller):
                    fs = self.functions.get(t.qname)
                    if fs is None:
                        continue
                    for r in fs.returns:
                        if r[0] == "lit":
                            fwd = r[2]
                            if 0 <= fwd < len(fv[2]) and fv[2][fwd]:
                                for inner in fv[2][fwd]:
                                    out.extend(self.resolve_value(inner, caller))
                            elif r[1] in self.functions:
                                out.append(Target(r[1], "closure"))
                        elif r[0] in ("func", "method", "gvar", "field", "paramof", "ifacemethod"):
                            out.extend(self.resolve_value(r, t.qname))
            return out
        if kind == "param":
            return [Target(v.qname, "callback") for v in self._param_targets(caller, fv[1])]
        if kind == "paramof":  # a parameter of the function that stored this value
            return [Target(v.qname, "callback") for v in self._param_targets(fv[1], fv[2])]
        return []

    def _param_targets(self, qname: str, i: int) -> list[Target]:
        self._used_params = True
        key = ("param-targets", qname, i)
        memo = self._value_memo.get(key)
        if memo is not None:
            return memo
        self._value_memo[key] = []
        out = []
        for fv, origin in sorted(self.param_funcs.get((qname, i), ()), key=tuple_text):
            if fv[0] == "param":  # forwarded: what the origin's callers pass
                out.extend(self._param_targets(origin, fv[1]))
            else:
                out.extend(self.resolve_value(fv, origin))
        self._value_memo[key] = out
        return out

    # ------------------------------------------------------------ interfaces
    def implementations(self, iface: tuple, method: str, loc, narrow: tuple) -> list[str]:
        """Methods an interface call may run, narrowed to the types that flow into the receiver."""
        types: set = set(narrow)
        if not types and loc is not None:
            for t in self.field_types.get(self.locations.find(loc), ()):
                if t[0] == "ret":
                    types |= self.returns_types.get(t[1], set())
                else:
                    types.add(t)
        candidates = []
        if types:
            for key in sorted(types):
                found = self.index.method(("n", key[0], key[1], ()), method)
                if found is not None and found[0] is not None and found[0] in self.functions:
                    candidates.append(found[0])
            if candidates:
                return candidates
        every = []
        for key in self.index.implementers(("n", iface[0], iface[1], ())):
            if self.models.is_test_support(key[0]):
                continue  # fakes in non-test files are never wired into production code
            found = self.index.method(("n", key[0], key[1], ()), method)
            if found is not None and found[0] is not None and found[0] in self.functions:
                every.append((key, found[0]))
        live = [q for key, q in every if key in self.live_types] or [q for _key, q in every]
        if len(live) > self.models.max_dispatch_fanout:
            return []  # plumbing: following every implementer would link everything to everything
        return live

    # ------------------------------------------------------------ sites
    def resolve_site(self, fs: FunctionSummary, k: int) -> list[Target]:
        site = fs.sites[k]
        callee = site.callee
        kind = callee[0]
        out: list[Target] = []
        if kind == "static":
            if callee[1] in self.functions:
                out.append(Target(callee[1], "method" if site.recv is not None else "static"))
        elif kind == "iface":
            out.extend(
                Target(q, "interface")
                for q in self.implementations(callee[1], callee[2], callee[3], callee[4])
            )
        elif kind == "field":
            for fv in sorted(self.field_funcs.get((callee[1], callee[2]), ()), key=tuple_text):
                for t in self.resolve_value(fv, fs.qname):
                    out.append(Target(t.qname, "func-field", t.bound))
        elif kind == "gvar":
            for fv in sorted(self.global_funcs.get(("G", callee[1], callee[2]), ()), key=tuple_text):
                out.extend(Target(t.qname, "func-value", t.bound) for t in self.resolve_value(fv, fs.qname))
        elif kind == "param":
            out.extend(self._param_targets(fs.qname, callee[1]))
        elif kind == "paramof":
            out.extend(self._param_targets(callee.function, callee.position))
        for fv in site.targets:
            for t in self.resolve_value(fv, fs.qname):
                out.append(Target(t.qname, "callback" if site.launch == "callback" else t.kind, t.bound))
        seen = set()
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
            for qname, k in dependent:
                callees[qname][k] = self.resolve_site(self.functions[qname], k)
        callers: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for qname, per_site in self.callees.items():
            for k, targets in enumerate(per_site):
                for t in targets:
                    callers[t.qname].append((qname, k))
        self.callers = callers

    # ------------------------------------------------------------ queries
    def reachable(self, roots) -> set[str]:
        seen = set()
        stack = [r for r in roots if r in self.functions]
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

    def edges(self):
        """(caller, callee, kind, file, line) for the calls table."""
        for qname, per_site in self.callees.items():
            fs = self.functions[qname]
            for k, targets in enumerate(per_site):
                line = fs.sites[k].line
                for t in targets:
                    yield qname, t.qname, t.kind, fs.file, line
