"""compose: the global pass that turns handlers into chains.

1. Transitive accesses. Each summary's direct accesses are relative to its own parameters; a call
   site substitutes the callee's (root, field) by the site's receiver or argument path
   (`sched.SchedulingQueue.Add(pod)` turns PriorityQueue.Add's writes of its receiver into writes of
   sched.SchedulingQueue). Strongly connected components are iterated to a fixpoint.
2. Shared state. A handler's transitive writes, materialized at the handler (the struct behind its
   receiver or captured variable, the field it selects), are the locations it can change.
3. Readers. A function reads a location when its own expression selects the field (directly, or as
   the receiver or argument of a call whose callee reads it): `rsc.queue.Get()`, `sched.NextPod()`
   with NextPod bound to the object in sched.SchedulingQueue.
4. Taint. From the value read, a breadth-first walk over the summaries' ports: local flow, call
   arguments into callees, returns back to callers (only out of the frames the walk started in:
   matched calls keep their callers), values written to a location to every reader of it. Walks stay
   inside the component: readers and callers reachable from the controller's own methods.
5. Every API sink reached is a chain, with one witness path.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from kubetorch.callgraph import Program, Target
from kubetorch.collect import HandlerRow
from kubetorch.identity import chain_id
from kubetorch.index import deref, field_location
from kubetorch.summary import FunctionSummary, Site, tuple_text

Entry = tuple  # (mode, root, field)


@dataclass(slots=True)
class Step:
    function: str
    file: str
    line: int
    step: str


@dataclass(slots=True)
class ChainRow:
    chain_id: str
    component: str
    informer_resource: str
    event: str
    handler: str
    shared_state: str
    reader: str
    sink_function: str
    api_verb: str
    api_resource: str
    kind: str
    path: list[Step]
    reads: list[str]
    registration_file: str
    registration_line: int
    sink_file: str
    sink_line: int


@dataclass
class Composed:
    chains: list[ChainRow] = field(default_factory=list)
    on_chain: set = field(default_factory=set)  # (function, sink index)
    stats: dict = field(default_factory=dict)


class Composer:
    def __init__(self, program: Program):
        self.p = program
        self.index = program.index
        self.trans: dict[str, dict[Entry, tuple]] = {}
        self.readers: dict[tuple, list[tuple[str, int, int, str]]] = defaultdict(list)
        self._out_edges: dict[str, dict[int, list[int]]] = {}
        self._port_of: dict[str, dict[tuple, int]] = {}
        self._cap_nodes: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
        self._closure_cache: dict[str, set[str]] = {}
        self._taint_cache: dict[tuple, dict] = {}
        self._members: dict = {}
        self._field_memo: dict = {}
        self._literals_by_owner: dict | None = None
        self._owners: dict | None = None
        self._has_param_calls: dict[str, bool] = {}
        self._nested_param: dict[str, bool] = {}
        self._literals_of_root: dict[str, list] = defaultdict(list)
        for fs in program.functions.values():
            if fs.is_literal:
                self._literals_of_root[fs.top].append(fs)
        for q, fs in program.functions.items():
            self._port_of[q] = {p: i for i, p in enumerate(fs.ports)}
            for i, p in enumerate(fs.ports):
                if p[0] == "C":
                    self._cap_nodes[p].append((q, i))
        self.written_globals = {
            a.loc
            for fs in program.functions.values()
            for a in fs.accesses
            if a.mode == "write" and a.loc and a.loc[0] in ("G", "V")
        }

    # ------------------------------------------------------------ locations
    def canon(self, loc):
        return self.p.locations.find(loc) if loc is not None else None

    def materialize(self, fs: FunctionSummary, root: tuple, fname: str | None):
        kind = root[0]
        if kind == "T":
            return root[1]
        if kind == "G":
            if fname is None:
                return root
            t = self._global_type(root)
            loc = self._field_loc(t, fname)
            return loc or root
        if kind == "C" and (fname is None or self._opaque_root(fs, root)):
            # a variable shared with closures, holding an interface: the object itself is the state
            return ("V", fs.top, root[1])
        if fname is None:
            return None
        return self._field_loc(fs.root_types.get(root), fname)

    def _opaque_root(self, fs: FunctionSummary, root) -> bool:
        """Is the root's type an interface or a library value (no fields of its own to name)?"""
        t = fs.root_types.get(root)
        if t is None or t[0] == "M":
            return True
        base = deref(t)
        return base[0] == "n" and self.index.is_interface(base)

    def _global_type(self, root):
        info = self.index.values.get((root[1], root[2]))
        return info.type if info is not None else None

    def _field_loc(self, t, fname: str):
        key = (t, fname)
        hit = self._field_memo.get(key, self)
        if hit is not self:
            return hit
        loc = field_location(self.index, t, fname, self.p.models.is_library)
        self._field_memo[key] = loc
        return loc

    def members(self, loc) -> set:
        """Every location of loc's alias class (one object stored in several fields)."""
        if not self._members:
            for x in self.p.locations.parent:
                self._members.setdefault(self.canon(x), set()).add(x)
        return self._members.get(loc, set()) | {loc}

    def display_location(self, loc, owner):
        """The member of a location's alias class to show: a field of the component's own struct,
        else a struct field, else the class itself."""
        members = self.members(loc)
        fields = sorted((m for m in members if isinstance(m[0], tuple)), key=tuple_text)
        own = [m for m in fields if m[0] == owner]
        return (own or fields or [loc])[0]

    def location_name(self, loc) -> str:
        if loc is None:
            return ""
        if loc[0] == "G":
            return f"{loc[1].rsplit('/', 1)[-1]}.{loc[2]}"
        if loc[0] == "V":
            fs = self.p.functions.get(loc[1])
            name = fs.var_names.get(loc[2], f"v{loc[2]}") if fs is not None else f"v{loc[2]}"
            return f"{loc[1].rsplit('/', 1)[-1]}.{name}"
        return f"{loc[0][1]}.{loc[1]}"

    # ------------------------------------------------------------ 1. transitive accesses
    def substitute(
        self, caller: FunctionSummary, site: Site, target: Target, callee: FunctionSummary, root, fname
    ):
        """A callee entry (root, field) seen from the caller: (root, field, field selected by the site)."""
        kind = root[0]
        if kind == "P":
            i = root[1]
            path = None
            if i == -1:
                bound = target.bound
                if bound is None or bound == "self":
                    path = site.recv if target.kind != "func-field" or bound == "self" else None
                elif isinstance(bound, tuple) and bound[0] == "sub":
                    path = (site.recv[0], bound[1]) if site.recv is not None else None
                elif isinstance(bound, tuple):
                    return (("T", bound), fname, True)
            elif i < len(site.args):
                path = site.args[i]
            if path is None:
                return None
            proot, pfield = path
            if pfield is not None:
                return (proot, pfield, True)
            if proot[0] == "C" and self._opaque_root(caller, proot):
                return (proot, fname, True)  # queue.Pop() on a captured interface: reads that object
            return (proot, fname, False)
        if kind == "C":
            if callee.top == caller.top:
                return (root, fname, False)
            loc = self.materialize(callee, root, fname)
            return (("T", loc), None, False) if loc is not None and loc[0] == "V" else None
        if kind == "G":
            loc = self.materialize(callee, root, fname)
            if loc in self.written_globals or (loc is not None and loc[0] != "G"):
                return (root, fname, False)
            return None
        if kind == "T":
            return (root, fname, False)
        return None  # locals of the callee are its own objects

    def transitive(self) -> None:
        functions = self.p.functions
        trans: dict[str, dict[Entry, tuple]] = {}
        for q, fs in functions.items():
            entries: dict[Entry, tuple] = {}
            for k, a in enumerate(fs.accesses):
                if a.root[0] == "L":
                    if a.loc is not None and a.loc[0] in ("G", "V"):
                        entries.setdefault((a.mode, ("T", a.loc), None), (-1, k, None, 0))
                    continue
                if a.root[0] == "G" and self.materialize(fs, a.root, a.field) not in self.written_globals:
                    continue
                entries.setdefault((a.mode, a.root, a.field), (-1, k, None, 0))
            trans[q] = entries
        for scc in self._sccs():
            changed = True
            rounds = 0
            while changed and rounds < 20:
                changed = False
                rounds += 1
                for q in scc:
                    fs = functions[q]
                    mine = trans[q]
                    for k, targets in enumerate(self.p.callees.get(q, ())):
                        site = fs.sites[k]
                        for t in targets:
                            callee = functions.get(t.qname)
                            if callee is None:
                                continue
                            for (mode, root, fname), how in list(trans[t.qname].items()):
                                sub = self.substitute(fs, site, t, callee, root, fname)
                                if sub is None:
                                    continue
                                entry = (mode, sub[0], sub[1])
                                old = mine.get(entry)
                                if old is None:
                                    mine[entry] = (k, t.qname, sub[2], how[3] + 1)
                                    changed = True
                                elif old[3] > how[3] + 1:  # keep the shortest witness
                                    mine[entry] = (k, t.qname, sub[2], how[3] + 1)
        self.trans = trans

    def _sccs(self) -> list[list[str]]:
        """Tarjan's algorithm, iterative; components come out callees first."""
        functions = self.p.functions
        graph = {
            q: [t.qname for ts in self.p.callees.get(q, ()) for t in ts if t.qname in functions]
            for q in functions
        }
        index_of: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[str] = []
        out: list[list[str]] = []
        counter = 0
        for start in functions:
            if start in index_of:
                continue
            work = [(start, 0)]
            while work:
                v, i = work.pop()
                if i == 0:
                    index_of[v] = low[v] = counter
                    counter += 1
                    stack.append(v)
                    on_stack.add(v)
                succ = graph[v]
                recurse = False
                while i < len(succ):
                    w = succ[i]
                    i += 1
                    if w not in index_of:
                        work.append((v, i))
                        work.append((w, 0))
                        recurse = True
                        break
                    if w in on_stack:
                        low[v] = min(low[v], index_of[w])
                if recurse:
                    continue
                if low[v] == index_of[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
        return out

    # ------------------------------------------------------------ 2-3. writes and readers
    def writes_of(self, handler: str) -> dict:
        """Locations a handler writes (canonical) -> the entry that says so."""
        fs = self.p.functions.get(handler)
        if fs is None:
            return {}
        out = {}
        for entry in self.trans.get(handler, {}):
            mode, root, fname = entry
            if mode != "write":
                continue
            loc = self.canon(self.materialize(fs, root, fname))
            if loc is not None and loc not in out:
                out[loc] = entry
        return out

    def index_readers(self) -> None:
        functions = self.p.functions
        for q, fs in functions.items():
            port_of = self._port_of[q]
            for k, a in enumerate(fs.accesses):
                if a.mode == "read" and a.loc is not None and ("RD", k) in port_of:
                    self.readers[self.canon(a.loc)].append((q, port_of[("RD", k)], a.line, a.via))
            for k, targets in enumerate(self.p.callees.get(q, ())):
                site = fs.sites[k]
                co = port_of.get(("CO", k))
                if co is None:
                    continue
                seen = set()
                for t in targets:
                    callee = functions.get(t.qname)
                    if callee is None:
                        continue
                    for mode, root, fname in self.trans.get(t.qname, ()):
                        if mode != "read":
                            continue
                        sub = self.substitute(fs, site, t, callee, root, fname)
                        if sub is None or not sub[2]:
                            continue
                        loc = self.canon(self.materialize(fs, sub[0], sub[1]))
                        if loc is not None and loc not in seen:
                            seen.add(loc)
                            self.readers[loc].append((q, co, site.line, f"call {t.qname.rsplit('.', 1)[-1]}"))

    # ------------------------------------------------------------ components
    def closure(self, row: HandlerRow, handlers: list[HandlerRow] = ()) -> set[str]:
        """Functions that belong to a component: reachable from its struct's methods (promoted ones
        included), the functions registering its handlers, and its handlers."""
        key = row.component
        if key in self._closure_cache:
            return self._closure_cache[key]
        roots = set()
        if row.owner_type is not None:
            for qname, _pointer in self.index.method_set(row.owner_type).values():
                if qname is not None:
                    roots.add(qname)
            if self._literals_by_owner is None:
                self._literals_by_owner = defaultdict(list)
                for q, fs in self.p.functions.items():
                    if fs.is_literal and fs.parent is not None:
                        self._literals_by_owner[_owner_of_literal(self.p, fs)].append(q)
            roots.update(self._literals_by_owner.get(row.owner_type, ()))
        owner = self.owner_of_struct(row.owner_type) if row.owner_type is not None else None
        if owner is not None:
            # a helper struct one controller builds and keeps (QuotaMonitor in the quota
            # controller): the controller's own functions read what the helper writes
            for qname, _pointer in self.index.method_set(owner).values():
                if qname is not None:
                    roots.add(qname)
        for h in handlers:
            if h.component == key:
                roots.add(h.registration)
                roots.add(h.runs or h.handler)
        roots.add(row.registration)
        roots.add(row.runs or row.handler)
        reach = self.p.reachable(roots)
        self._closure_cache[key] = reach
        return reach

    def owner_of_struct(self, key):
        """The one struct type that stores values of type `key` in its fields, if exactly one does."""
        if self._owners is None:
            owners: dict = defaultdict(set)
            for loc, types in self.p.field_types.items():
                if not isinstance(loc[0], tuple):
                    continue
                for t in types:
                    if (
                        isinstance(t, tuple)
                        and len(t) == 2
                        and isinstance(t[0], str)
                        and t[0] != "ret"
                        and t != loc[0]
                    ):
                        owners[t].add(loc[0])
            self._owners = owners
        found = self._owners.get(key, ())
        return next(iter(found)) if len(found) == 1 else None

    # ------------------------------------------------------------ local flow
    def out_edges(self, q: str) -> dict[int, list[int]]:
        cached = self._out_edges.get(q)
        if cached is None:
            cached = defaultdict(list)
            for a, b in self.p.functions[q].edges:
                cached[a].append(b)
            self._out_edges[q] = cached
        return cached

    def shares_object_with(self, loc, owner) -> bool:
        """Is this location one object with a field of the component's own struct? (The garbage
        collector's attemptToDelete queue is stored in both GraphBuilder and GarbageCollector.)"""
        if owner is None:
            return False
        members = self.members(loc)
        return any(isinstance(m[0], tuple) and m[0] == owner for m in members)

    # ------------------------------------------------------------ callbacks in context
    def _param_sites(self, q: str) -> bool:
        """Does q call a func-valued parameter (its own, or one of its enclosing function's)?"""
        hit = self._has_param_calls.get(q)
        if hit is None:
            fs = self.p.functions[q]
            hit = any(
                s.callee[0] in ("param", "paramof") or any(fv[0] == "param" for fv in s.targets)
                for s in fs.sites
            )
            self._has_param_calls[q] = hit
        return hit

    def bind(self, caller: str, site: Site, ctx, target: str):
        """The functions each argument of a call passes (for the callee's calls of its parameters):
        one level of call-site sensitivity, so slowStartBatch(fn) calls the fn this caller gave."""
        g = self.p.functions[target]
        if g.is_literal and g.top == self.p.functions[caller].top and ctx is not None:
            return ctx  # a literal of the same function sees the same parameters
        if not self._param_sites(target) and not self._has_nested_param_calls(target):
            return None
        bindings = []
        for fvs in site.arg_funcs:
            names: set[str] = set()
            for fv in fvs:
                if fv[0] == "param":
                    names |= self.param_names(caller, fv[1], ctx)
                else:
                    names.update(t.qname for t in self.p.resolve_value(fv, caller))
            bindings.append(frozenset(names))
        return (target, tuple(bindings))

    def _has_nested_param_calls(self, q: str) -> bool:
        hit = self._nested_param.get(q)
        if hit is None:
            fs = self.p.functions[q]
            hit = any(
                other.is_literal
                and other.top == fs.top
                and other.qname.startswith(q + ".")
                and self._param_sites(other.qname)
                for other in self._literals_of_root.get(fs.top, ())
            )
            self._nested_param[q] = hit
        return hit

    def param_names(self, q: str, i: int, ctx) -> set[str]:
        if ctx is not None and ctx[0] == q and i < len(ctx[1]):
            return set(ctx[1][i])
        return {t.qname for t in self.p._param_targets(q, i)}

    def site_targets(self, q: str, k: int, ctx) -> list[Target]:
        """Callees of a site, with calls of func parameters resolved in the walk's context."""
        site = self.p.functions[q].sites[k]
        default = self.p.callees[q][k]
        if ctx is None:
            return default
        callee = site.callee
        owner, bindings = ctx
        if callee[0] == "param" and owner == q:
            names = bindings[callee[1]] if callee[1] < len(bindings) else frozenset()
            return [Target(n, "callback") for n in sorted(names)]
        if callee[0] == "paramof" and callee.function == owner:
            i = callee.position
            names = bindings[i] if i < len(bindings) else frozenset()
            return [Target(n, "callback") for n in sorted(names)]
        if any(fv[0] == "param" for fv in site.targets) and owner == q:
            out = [t for t in default if t.kind != "callback"]
            for fv in site.targets:
                if fv[0] == "param" and fv[1] < len(bindings):
                    out.extend(Target(n, "callback") for n in sorted(bindings[fv[1]]))
            return out
        return default

    # ------------------------------------------------------------ 4. taint
    def taint_location(self, loc, closure: set[str], closure_key: str, owner=None) -> dict:
        """Sinks reachable from the values every reader (in the component) reads from a location:
        (function, sink index) -> (reader, read line, via, steps). One breadth-first walk from all
        readers at once: each sink is credited to the reader with the shortest path to it."""
        key = (loc, closure_key)
        if key in self._taint_cache:
            return self._taint_cache[key]
        starts = {}
        control: list[tuple] = []
        for r, rp, line, via in self.readers.get(loc, ()):
            if r in closure:
                starts.setdefault((r, rp, True, None), (r, line, via))
                control.extend(self.triggered_calls(r, rp, line))
        reached = self.taint(list(starts), closure, owner, control)
        result = {}
        for sink, (origin, steps) in reached.items():
            result[sink] = (*starts[origin], steps)
        self._taint_cache[key] = result
        return result

    def triggered_calls(self, reader: str, port: int, line: int) -> list[tuple]:
        """A read whose value goes into no call (a single-key queue: `c.queue.Get()` then
        `c.syncConfigMap()`): the calls the reader makes on its own object afterwards run because
        of it. Their receiver ports start the walk too, so the sync's writes are reached."""
        fs = self.p.functions[reader]
        edges = self.out_edges(reader)
        seen, stack = {port}, [port]
        while stack:  # does the value reach any call argument in the reader?
            p = stack.pop()
            for b in edges.get(p, ()):
                if fs.ports[b][0] == "CI":
                    return []
                if b not in seen:
                    seen.add(b)
                    stack.append(b)
        out = []
        for k, site in enumerate(fs.sites):
            if (
                site.line >= line
                and site.recv is not None
                and site.recv[1] is None
                and site.recv[0][0] in ("P", "C")
            ):
                ci = self._port_of[reader].get(("CI", k, -1))
                if ci is not None:
                    out.append((reader, ci, True, None))
        return out

    def taint(self, starts: list[tuple], closure: set[str], owner=None, control: list[tuple] = ()) -> dict:
        """Breadth-first taint walk from start nodes: sink -> (start node, witness steps)."""
        functions = self.p.functions
        parent: dict[tuple, tuple | None] = {start: None for start in starts}
        for node in control:  # reached through control: credited to the read in the same function
            origin = next((s for s in starts if s[0] == node[0]), None)
            if node not in parent and origin is not None:
                parent[node] = (origin, "control", 0)
        starts = [*starts, *(n for n in control if parent.get(n) is not None)]
        queue = deque(starts)
        found: dict[tuple, tuple] = {}
        while queue:
            node = queue.popleft()
            q, p, up, ctx = node
            fs = functions[q]
            port = fs.ports[p]
            pk = port[0]
            nexts: list[tuple[tuple, str, int]] = []
            if pk == "SK":
                found.setdefault((q, port[1]), node)
                continue
            for b in self.out_edges(q).get(p, ()):
                nexts.append(((q, b, up, ctx), "flow", 0))
            if pk == "C":
                for q2, p2 in self._cap_nodes.get(port, ()):
                    if q2 != q:
                        for b in self.out_edges(q2).get(p2, ()):
                            nexts.append(((q2, b, up, ctx), "closure", 0))
            elif pk == "CI":
                k, i = port[1], port[2]
                site = fs.sites[k]
                for t in self.site_targets(q, k, ctx) if k < len(self.p.callees[q]) else ():
                    g = functions.get(t.qname)
                    if g is None:
                        continue
                    gp = self._port_of[t.qname]
                    if site.launch == "callback" and i == 0:
                        targets = [idx for pt, idx in gp.items() if pt[0] == "P" and pt[1] >= 0]
                    elif i == -1 and t.kind == "func-field" and t.bound != "self":
                        targets = []
                    else:
                        idx = gp.get(("P", i))
                        targets = [idx] if idx is not None else []
                    if targets:
                        gctx = self.bind(q, site, ctx, t.qname)
                        for idx in targets:
                            nexts.append(((t.qname, idx, False, gctx), "call", site.line))
            elif pk == "R" and up:
                for caller, k in self.p.callers.get(q, ()):
                    if caller not in closure:
                        continue
                    co = self._port_of[caller].get(("CO", k))
                    if co is not None:
                        nexts.append(((caller, co, True, None), "return", functions[caller].sites[k].line))
            elif pk == "WR":
                a = fs.accesses[port[1]]
                loc = self.canon(a.loc) if a.loc is not None else None
                if loc is not None:
                    shared = None
                    for r, rp, line, _via in self.readers.get(loc, ()):
                        if r in closure:
                            nexts.append(((r, rp, True, None), "state", line))
                        else:
                            if shared is None:
                                shared = self.shares_object_with(loc, owner)
                            if shared:  # a collaborator struct reading the same object
                                nexts.append(((r, rp, False, None), "state", line))
            for nxt, how, line in nexts:
                if nxt in parent or (nxt[0], nxt[1], True, nxt[3]) in parent:
                    continue
                parent[nxt] = (node, how, line)
                queue.append(nxt)
        result = {}
        for sink, end in found.items():
            steps, origin = self._path(parent, end)
            result[sink] = (origin, steps)
        return result

    def _path(self, parent: dict, end: tuple) -> tuple[list[Step], tuple]:
        """Witness steps from the read to the sink: one per change of function."""
        functions = self.p.functions
        hops = []
        node = end
        while node is not None:
            info = parent[node]
            hops.append((node, info))
            node = info[0] if info is not None else None
        hops.reverse()
        origin = hops[0][0]
        steps: list[Step] = []
        for node, info in hops:
            q = node[0]
            if info is None or info[1] in ("call", "return", "state"):
                how = "read" if info is None else info[1]
                fs = functions[q]
                line = info[2] if info is not None else 0
                if how == "call":
                    prev = info[0][0]
                    steps.append(Step(prev, functions[prev].file, line, "call"))
                    steps.append(Step(q, fs.file, fs.line, "enter"))
                elif how == "return":
                    steps.append(Step(q, fs.file, line, "return to"))
                elif how == "state":
                    steps.append(Step(q, fs.file, line, "read state"))
        return steps, origin

    def write_trail(self, handler: str, entry: Entry):
        """(function, how) from a handler down to the statement that makes one of its writes:
        each step a call site (how[0] >= 0) into the next function, the last the access itself
        (how[0] == -1). Each step follows the callee entry with the shortest witness."""
        q, e = handler, entry
        seen = set()
        while (q, e) not in seen:
            seen.add((q, e))
            how = self.trans.get(q, {}).get(e)
            if how is None:
                return
            yield q, how
            if how[0] == -1:
                return
            nxt = self._callee_entry(q, e, how)
            if nxt is None:
                return
            q, e = how[1], nxt

    def _callee_entry(self, q: str, e: Entry, how: tuple) -> Entry | None:
        """The entry of the callee at site how[0] that, seen from q, is q's entry e."""
        k, callee = how[0], how[1]
        fs = self.p.functions[q]
        callee_fs = self.p.functions.get(callee)
        target = next((t for t in self.p.callees[q][k] if t.qname == callee), None)
        if callee_fs is None or target is None:
            return None
        nxt, best = None, None
        for ce, ce_how in self.trans.get(callee, {}).items():
            if ce[0] != e[0]:
                continue
            sub = self.substitute(fs, fs.sites[k], target, callee_fs, ce[1], ce[2])
            if sub is not None and (sub[0], sub[1]) == (e[1], e[2]) and (best is None or ce_how[3] < best):
                nxt, best = ce, ce_how[3]
        return nxt

    def is_handoff(self, handler: str, entry: Entry) -> bool:
        """Does the handler's write end in a queue or channel (a hand-over of work to a reader)?"""
        for q, how in self.write_trail(handler, entry):
            if how[0] == -1:
                via = self.p.functions[q].accesses[how[1]].via
                return via.startswith("queue.") or via == "chan send"
        return False

    # ------------------------------------------------------------ 5. chains
    def write_path(self, handler: str, entry: Entry) -> list[Step]:
        """How a handler reaches a write: its call chain down to the assignment or queue call."""
        steps = []
        for q, how in self.write_trail(handler, entry):
            fs = self.p.functions[q]
            if how[0] == -1:
                a = fs.accesses[how[1]]
                steps.append(Step(q, fs.file, a.line, f"write {a.via}"))
            else:
                steps.append(Step(q, fs.file, fs.sites[how[0]].line, "call"))
        return steps


def _owner_of_literal(program: Program, fs: FunctionSummary):
    root = program.functions.get(fs.top)
    if root is None or root.recv_type is None:
        return None
    base = deref(root.recv_type)
    return (base[1], base[2]) if base[0] == "n" else None


def compose(program: Program, handlers: list[HandlerRow], release: str = "") -> Composed:
    c = Composer(program)
    c.transitive()
    c.index_readers()
    result = Composed()
    rows: dict[str, ChainRow] = {}
    functions = program.functions
    for h in handlers:
        runs = h.runs or h.handler
        if runs not in functions:
            continue
        closure = c.closure(h, handlers)
        # every sink this handler reaches, through the state it hands work over with (a queue or
        # channel before any other field), then the shortest witness
        best: dict[tuple, tuple] = {}
        for loc, entry in sorted(c.writes_of(runs).items(), key=tuple_text):
            handoff = c.is_handoff(runs, entry)
            for sink, (reader, line, via, steps) in c.taint_location(
                loc, closure, h.component, h.owner_type
            ).items():
                cand = (not handoff, len(steps), tuple_text(loc), loc, entry, reader, line, via, steps)
                if sink not in best or cand[:3] < best[sink][:3]:
                    best[sink] = cand
        hfs = functions[runs]
        for (sink_fn, k), (_h, _n, _r, loc, entry, reader, line, via, steps) in sorted(
            best.items(), key=lambda kv: kv[1][:3]
        ):
            sfs = functions[sink_fn]
            sink = sfs.sinks[k]
            result.on_chain.add((sink_fn, k))
            cid = chain_id(
                h.component, h.informer_resource, h.event, h.handler, sink_fn, sink.verb, sink.resource
            )
            if cid in rows:
                continue
            state = c.location_name(c.display_location(loc, h.owner_type))
            path = [
                Step(h.registration, h.file, h.line, f"register {h.via}"),
                Step(h.handler, hfs.file, hfs.line, f"handle {h.event}"),
                *c.write_path(runs, entry),
                Step(reader, functions[reader].file, line, f"read {state} ({via})"),
                *steps,
                Step(sink_fn, sfs.file, sink.line, f"{sink.verb} {sink.resource}"),
            ]
            reads = sorted(
                {
                    r.what
                    for st in path
                    for r in (functions[st.function].reads if st.function in functions else ())
                }
            )
            rows[cid] = ChainRow(
                chain_id=cid,
                component=h.component,
                informer_resource=h.informer_resource,
                event=h.event,
                handler=h.handler,
                shared_state=state,
                reader=reader,
                sink_function=sink_fn,
                api_verb=sink.verb,
                api_resource=sink.resource,
                kind=sink.kind,
                path=path,
                reads=reads,
                registration_file=h.file,
                registration_line=h.line,
                sink_file=sfs.file,
                sink_line=sink.line,
            )
    result.chains = sorted(
        rows.values(),
        key=lambda r: (
            r.component,
            r.informer_resource,
            r.event,
            r.handler,
            r.sink_function,
            r.api_verb,
            r.api_resource,
        ),
    )
    result.stats = {
        "readers": sum(len(v) for v in c.readers.values()),
        "taint_sources": len(c._taint_cache),
    }
    return result
