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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from kubetorch.callgraph import Program, Target
from kubetorch.collect import HandlerRow
from kubetorch.identity import chain_id
from kubetorch.index import deref, field_location, named_key
from kubetorch.models import ModelType
from kubetorch.summary import (
    SELF,
    AccessPath,
    CallArg,
    CallResult,
    CanonType,
    FieldLoc,
    FunctionSummary,
    GlobalVar,
    Local,
    Located,
    Location,
    OwnParam,
    Param,
    ParamOf,
    ReadValue,
    ResultOf,
    Root,
    Shared,
    SharedLoc,
    SinkArgs,
    Site,
    SubObject,
    TypeKey,
    WriteValue,
    tuple_text,
)

# What materializing a path can give: a location, or (a root Located at a method value's receiver
# path) that path itself, which then stands for a location of its own.
Place = Location | AccessPath


class Entry(NamedTuple):
    """A transitive access of a function: its mode and the path, relative to the function."""

    mode: str  # read | write
    root: Root
    field: str | None


class DirectAccess(NamedTuple):
    """An entry the function's own code makes: access `access` of its summary; `handoff`: the
    access puts work on a queue or channel."""

    access: int
    hops: int = 0
    handoff: bool = False

    @property
    def rank(self) -> tuple[bool, int]:
        """Witnesses that show the hand-off (the push onto the queue) first, then the shortest."""
        return (not self.handoff, self.hops)


class CallWitness(NamedTuple):
    """An entry inherited through call site `site` from `callee`; `selected`: the site's own
    expression selects the field; `hops`: calls down to the access (the shortest witness is kept)."""

    site: int
    callee: str
    selected: bool
    hops: int
    handoff: bool = False

    @property
    def rank(self) -> tuple[bool, int]:
        return (not self.handoff, self.hops)


Witness = DirectAccess | CallWitness


class Substituted(NamedTuple):
    """A callee's entry seen from a caller: the caller's root and field; `selected`: the site's own
    expression selects the field (a reading point of the caller)."""

    root: Root
    field: str | None
    selected: bool


class Reader(NamedTuple):
    """A reading point of a location: the function, the port of the value read, where and how."""

    function: str
    port: int
    line: int
    via: str


class CallContext(NamedTuple):
    """One level of call-site sensitivity: the functions each argument of the call into `callee` passes."""

    callee: str
    bindings: tuple[frozenset[str], ...]


class TaintNode(NamedTuple):
    """A port of a function reached by the taint walk; `up`: the walk may return to callers from
    here (it started in this frame); `context` the bindings of the callee's func parameters."""

    function: str
    port: int
    up: bool
    context: CallContext | None


class Hop(NamedTuple):
    """How the walk reached a node: from `prev`, by `how` (flow, closure, call, return, state,
    control), at `line` of the step's code (0: none)."""

    prev: TaintNode
    how: str
    line: int


class Reached(NamedTuple):
    """A sink reached from a location: the reader credited with it, its read, and the steps between."""

    reader: str
    line: int
    via: str
    steps: list[Step]


class Candidate(NamedTuple):
    """A way a handler reaches a sink; the least `rank` wins (hand-over states first, then the
    shortest walk, then the location's text)."""

    indirect: bool  # the handler's write is not a hand-over (queue or channel)
    length: int
    loc_text: str
    loc: Place
    entry: Entry
    reader: str
    line: int
    via: str
    steps: list[Step]

    @property
    def rank(self) -> tuple[bool, int, str]:
        return (self.indirect, self.length, self.loc_text)


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
        self.trans: dict[str, dict[Entry, Witness]] = {}
        # function -> call site -> (location read, callee), in the order index_readers appends them
        self._site_reads: dict[str, dict[int, list[tuple[Place, str]]]] = {}
        self.readers: dict[Place, list[Reader]] = defaultdict(list)
        self._out_edges: dict[str, dict[int, list[int]]] = {}
        self._port_of: dict[str, dict[object, int]] = {}  # function -> port -> its index
        self._param_port: dict[str, dict[int, int]] = {}  # function -> parameter position -> port index
        self._cap_nodes: dict[object, list[tuple[str, int]]] = defaultdict(list)
        self._closure_cache: dict[str, set[str]] = {}
        self._taint_cache: dict[tuple[Place, str], dict[tuple[str, int], Reached]] = {}
        self._members: dict[Place, set[Place]] = {}
        self._field_memo: dict[tuple[CanonType | None, str], FieldLoc | None] = {}
        self._literals_by_owner: dict[TypeKey | None, list[str]] | None = None
        self._owners: dict[TypeKey, set[TypeKey]] | None = None
        self._has_param_calls: dict[str, bool] = {}
        self._nested_param: dict[str, bool] = {}
        self._literals_of_top: dict[str, list[FunctionSummary]] = defaultdict(list)
        for fs in program.functions.values():
            if fs.is_literal:
                self._literals_of_top[fs.top].append(fs)
        for q, fs in program.functions.items():
            self._port_of[q] = {p: i for i, p in enumerate(fs.ports)}
            self._param_port[q] = {p.position: i for i, p in enumerate(fs.ports) if isinstance(p, Param)}
            for i, p in enumerate(fs.ports):
                if p.tag == "C":
                    self._cap_nodes[p].append((q, i))
        self.written_globals = {
            a.loc
            for fs in program.functions.values()
            for a in fs.accesses
            if a.mode == "write" and isinstance(a.loc, (GlobalVar, SharedLoc))
        }

    # ------------------------------------------------------------ locations
    def canon(self, loc: Place | None) -> Place | None:
        return self.p.locations.find(loc) if loc is not None else None

    def materialize(self, fs: FunctionSummary, root: Root, fname: str | None) -> Place | None:
        match root:
            case Located(loc=loc):
                return loc
            case GlobalVar():
                if fname is None:
                    return root
                return self._field_loc(self._global_type(root), fname) or root
            case Shared(uid=uid) if fname is None or self._opaque_root(fs, root):
                # a variable shared with closures, holding an interface: the object itself is the state
                return SharedLoc(fs.top, uid)
        if fname is None:
            return None
        return self._field_loc(fs.root_types.get(root), fname)

    def _opaque_root(self, fs: FunctionSummary, root: Root) -> bool:
        """Is the root's type an interface or a library value (no fields of its own to name)?"""
        t = fs.root_types.get(root)
        if t is None or isinstance(t, ModelType):
            return True
        base = deref(t)
        return named_key(base) is not None and self.index.is_interface(base)

    def _global_type(self, root: GlobalVar) -> CanonType | None:
        info = self.index.values.get((root.pkg, root.name))
        return info.type if info is not None else None

    def _field_loc(self, t: CanonType | None, fname: str) -> FieldLoc | None:
        key = (t, fname)
        if key in self._field_memo:
            return self._field_memo[key]
        loc = self._field_memo[key] = field_location(self.index, t, fname, self.p.models.is_library)
        return loc

    def members(self, loc: Place) -> set[Place]:
        """Every location of loc's alias class (one object stored in several fields)."""
        if not self._members:
            for x in self.p.locations.parent:
                self._members.setdefault(self.p.locations.find(x), set()).add(x)
        return self._members.get(loc, set()) | {loc}

    def display_location(self, loc: Place, owner: TypeKey | None) -> Place:
        """The member of a location's alias class to show: a field of the component's own struct,
        else a struct field, else the class itself."""
        members = self.members(loc)
        fields = sorted((m for m in members if isinstance(m, (FieldLoc, AccessPath))), key=tuple_text)
        own = [m for m in fields if isinstance(m, FieldLoc) and m.owner == owner]
        return next(iter(own or fields or [loc]))

    def location_name(self, loc: Place | None) -> str:
        match loc:
            case None:
                return ""
            case GlobalVar(pkg=pkg, name=name):
                return f"{pkg.rsplit('/', 1)[-1]}.{name}"
            case SharedLoc(top=top, uid=uid):
                fs = self.p.functions.get(top)
                name = fs.var_names.get(uid, f"v{uid}") if fs is not None else f"v{uid}"
                return f"{top.rsplit('/', 1)[-1]}.{name}"
            case FieldLoc(owner=(_pkg, struct), field=fname):
                return f"{struct}.{fname}"
            case AccessPath(root=(_tag, head, *_), field=fname):  # a receiver path standing for a location
                return f"{head}.{fname}"
        return ""

    # ------------------------------------------------------------ 1. transitive accesses
    def substitute(
        self,
        caller: FunctionSummary,
        site: Site,
        target: Target,
        callee: FunctionSummary,
        root: Root,
        fname: str | None,
    ) -> Substituted | None:
        """A callee entry (root, field) seen from the caller (None: the caller cannot see it)."""
        match root:
            case Param(position=i):
                path = None
                if i == -1:
                    bound = target.bound
                    if bound is None or bound == SELF:
                        path = site.recv if target.dispatch != "func-field" or bound == SELF else None
                    elif isinstance(bound, SubObject):
                        path = AccessPath(site.recv.root, bound.field) if site.recv is not None else None
                    elif isinstance(bound, tuple):
                        return Substituted(Located(bound), fname, True)
                elif i < len(site.args):
                    path = site.args[i]
                if path is None:
                    return None
                proot, pfield = path
                if pfield is not None:
                    return Substituted(proot, pfield, True)
                if isinstance(proot, Shared) and self._opaque_root(caller, proot):
                    return Substituted(
                        proot, fname, True
                    )  # queue.Pop() on a captured interface: reads that object
                return Substituted(proot, fname, False)
            case Shared():
                if callee.top == caller.top:
                    return Substituted(root, fname, False)
                loc = self.materialize(callee, root, fname)
                return Substituted(Located(loc), None, False) if isinstance(loc, SharedLoc) else None
            case GlobalVar():
                loc = self.materialize(callee, root, fname)
                if loc in self.written_globals or (loc is not None and not isinstance(loc, GlobalVar)):
                    return Substituted(root, fname, False)
                return None
            case Located():
                return Substituted(root, fname, False)
        return None  # locals of the callee are its own objects

    def transitive(self) -> None:
        functions = self.p.functions
        trans: dict[str, dict[Entry, Witness]] = {}
        for q, fs in functions.items():
            entries: dict[Entry, Witness] = {}

            def direct(entry: Entry, k: int, via: str, entries: dict[Entry, Witness] = entries) -> None:
                # the first access of an entry, unless a later one is the push onto a queue/channel
                how = DirectAccess(k, 0, via.startswith("queue.") or via == "chan send")
                old = entries.get(entry)
                if old is None or how.rank < old.rank:
                    entries[entry] = how

            for k, a in enumerate(fs.accesses):
                if isinstance(a.root, Local):
                    if isinstance(a.loc, (GlobalVar, SharedLoc)):
                        direct(Entry(a.mode, Located(a.loc), None), k, a.via)
                    continue
                if (
                    isinstance(a.root, GlobalVar)
                    and self.materialize(fs, a.root, a.field) not in self.written_globals
                ):
                    continue
                direct(Entry(a.mode, a.root, a.field), k, a.via)
            trans[q] = entries
        callees = self.p.callees
        for scc in self._sccs():
            # a function alone in its component that does not call itself sees only finished
            # callees: one round settles it (a second would only confirm it)
            settled_once = len(scc) == 1 and all(
                t.qname != scc[0] for targets in callees.get(scc[0], ()) for t in targets
            )
            changed = True
            rounds = 0
            while changed and rounds < 20:
                changed = False
                rounds += 1
                round_reads: dict[str, dict[int, list[tuple[Place, str]]]] = {}
                for q in scc:
                    fs = functions[q]
                    mine = trans[q]
                    reads_of_q = round_reads[q] = {}
                    for k, targets in enumerate(callees.get(q, ())):
                        site = fs.sites[k]
                        seen: set[Place] = set()
                        for t in targets:
                            callee = functions.get(t.qname)
                            if callee is None:
                                continue
                            for (mode, root, fname), how in list(trans[t.qname].items()):
                                sub = self.substitute(fs, site, t, callee, root, fname)
                                if sub is None:
                                    continue
                                if mode == "read" and sub.selected:  # the site reads that state
                                    loc = self.canon(self.materialize(fs, sub.root, sub.field))
                                    if loc is not None and loc not in seen:
                                        seen.add(loc)
                                        reads_of_q.setdefault(k, []).append((loc, t.qname))
                                entry = Entry(mode, sub.root, sub.field)
                                old = mine.get(entry)
                                new = CallWitness(k, t.qname, sub.selected, how.hops + 1, how.handoff)
                                if old is None:
                                    mine[entry] = new
                                    changed = True
                                elif new.rank < old.rank:  # keep the hand-off, then the shortest
                                    mine[entry] = new
                if settled_once:
                    break
            if settled_once or not changed:  # the last round saw every callee's final entries
                self._site_reads.update(round_reads)
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
                    parent, _next = work[-1]
                    low[parent] = min(low[parent], low[v])
        return out

    # ------------------------------------------------------------ 2-3. writes and readers
    def writes_of(self, handler: str) -> dict[Place, Entry]:
        """Locations a handler writes (canonical) -> the entry that says so."""
        fs = self.p.functions.get(handler)
        if fs is None:
            return {}
        out: dict[Place, Entry] = {}
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
                if a.mode == "read" and a.loc is not None:
                    rd = port_of.get(ReadValue(k))
                    if rd is not None:
                        self.readers[self.p.locations.find(a.loc)].append(Reader(q, rd, a.line, a.via))
            site_reads = self._site_reads.get(q)
            for k, targets in enumerate(self.p.callees.get(q, ())):
                site = fs.sites[k]
                co = port_of.get(CallResult(k))
                if co is None:
                    continue
                if site_reads is not None:  # what transitive() found this site reads
                    for loc, callee_name in site_reads.get(k, ()):
                        self.readers[loc].append(
                            Reader(q, co, site.line, f"call {callee_name.rsplit('.', 1)[-1]}")
                        )
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
                        if sub is None or not sub.selected:
                            continue
                        read_loc = self.canon(self.materialize(fs, sub.root, sub.field))
                        if read_loc is not None and read_loc not in seen:
                            seen.add(read_loc)
                            self.readers[read_loc].append(
                                Reader(q, co, site.line, f"call {t.qname.rsplit('.', 1)[-1]}")
                            )

    # ------------------------------------------------------------ components
    def closure(self, row: HandlerRow, handlers: list[HandlerRow] | None = None) -> set[str]:
        """Functions that belong to a component: reachable from its struct's methods (promoted ones
        included), the functions registering its handlers, and its handlers."""
        key = row.component
        if key in self._closure_cache:
            return self._closure_cache[key]
        starts: set[str] = set()
        if row.owner_type is not None:
            for qname, _pointer in self.index.method_set(row.owner_type).values():
                if qname is not None:
                    starts.add(qname)
            if self._literals_by_owner is None:
                self._literals_by_owner = defaultdict(list)
                for q, fs in self.p.functions.items():
                    if fs.is_literal and fs.parent is not None:
                        self._literals_by_owner[_owner_of_literal(self.p, fs)].append(q)
            starts.update(self._literals_by_owner.get(row.owner_type, ()))
        owner = self.owner_of_struct(row.owner_type) if row.owner_type is not None else None
        if owner is not None:
            # a helper struct one controller builds and keeps (QuotaMonitor in the quota
            # controller): the controller's own functions read what the helper writes
            for qname, _pointer in self.index.method_set(owner).values():
                if qname is not None:
                    starts.add(qname)
        for h in handlers or ():
            if h.component == key:
                starts.add(h.registration)
                starts.add(h.runs or h.handler)
        starts.add(row.registration)
        starts.add(row.runs or row.handler)
        reach = self.p.reachable(starts)
        self._closure_cache[key] = reach
        return reach

    def owner_of_struct(self, key: TypeKey) -> TypeKey | None:
        """The one struct type that stores values of type `key` in its fields, if exactly one does."""
        if self._owners is None:
            owners: dict[TypeKey, set[TypeKey]] = defaultdict(set)
            for loc, types in self.p.field_types.items():
                if not isinstance(loc, FieldLoc):
                    continue
                for t in types:
                    if not isinstance(t, ResultOf) and t != loc.owner:
                        owners[t].add(loc.owner)
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

    def shares_object_with(self, loc: Place, owner: TypeKey | None) -> bool:
        """Is this location one object with a field of the component's own struct? (The garbage
        collector's attemptToDelete queue is stored in both GraphBuilder and GarbageCollector.)"""
        if owner is None:
            return False
        return any(isinstance(m, FieldLoc) and m.owner == owner for m in self.members(loc))

    # ------------------------------------------------------------ callbacks in context
    def _param_sites(self, q: str) -> bool:
        """Does q call a func-valued parameter (its own, or one of its enclosing function's)?"""
        hit = self._has_param_calls.get(q)
        if hit is None:
            fs = self.p.functions[q]
            hit = any(
                isinstance(s.callee, (OwnParam, ParamOf)) or any(isinstance(fv, OwnParam) for fv in s.targets)
                for s in fs.sites
            )
            self._has_param_calls[q] = hit
        return hit

    def bind(self, caller: str, site: Site, ctx: CallContext | None, target: str) -> CallContext | None:
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
                if isinstance(fv, OwnParam):
                    names |= self.param_names(caller, fv.position, ctx)
                else:
                    names.update(t.qname for t in self.p.resolve_value(fv, caller))
            bindings.append(frozenset(names))
        return CallContext(target, tuple(bindings))

    def _has_nested_param_calls(self, q: str) -> bool:
        hit = self._nested_param.get(q)
        if hit is None:
            fs = self.p.functions[q]
            hit = any(
                other.is_literal
                and other.top == fs.top
                and other.qname.startswith(q + ".")
                and self._param_sites(other.qname)
                for other in self._literals_of_top.get(fs.top, ())
            )
            self._nested_param[q] = hit
        return hit

    def param_names(self, q: str, i: int, ctx: CallContext | None) -> set[str]:
        if ctx is not None and ctx.callee == q and i < len(ctx.bindings):
            return set(ctx.bindings[i])
        return {t.qname for t in self.p._param_targets(q, i)}

    def site_targets(self, q: str, k: int, ctx: CallContext | None) -> list[Target]:
        """Callees of a site, with calls of func parameters resolved in the walk's context."""
        site = self.p.functions[q].sites[k]
        default = self.p.callees[q][k]
        if ctx is None:
            return default
        owner, bindings = ctx
        match site.callee:
            case OwnParam(position=i) if owner == q:
                names = bindings[i] if i < len(bindings) else frozenset()
                return [Target(n, "callback") for n in sorted(names)]
            case ParamOf(function=function, position=i) if function == owner:
                names = bindings[i] if i < len(bindings) else frozenset()
                return [Target(n, "callback") for n in sorted(names)]
        if any(isinstance(fv, OwnParam) for fv in site.targets) and owner == q:
            out = [t for t in default if t.dispatch != "callback"]
            for fv in site.targets:
                if isinstance(fv, OwnParam) and fv.position < len(bindings):
                    out.extend(Target(n, "callback") for n in sorted(bindings[fv.position]))
            return out
        return default

    # ------------------------------------------------------------ 4. taint
    def taint_location(
        self, loc: Place, closure: set[str], closure_key: str, owner: TypeKey | None = None
    ) -> dict[tuple[str, int], Reached]:
        """Sinks reachable from the values every reader (in the component) reads from a location:
        (function, sink index) -> how. One breadth-first walk from all readers at once: each sink is
        credited to the reader with the shortest path to it."""
        key = (loc, closure_key)
        if key in self._taint_cache:
            return self._taint_cache[key]
        starts: dict[TaintNode, Reader] = {}
        control: list[TaintNode] = []
        for reader in self.readers.get(loc, ()):
            if reader.function in closure:
                starts.setdefault(TaintNode(reader.function, reader.port, True, None), reader)
                control.extend(self.triggered_calls(reader.function, reader.port, reader.line))
        reached = self.taint(list(starts), closure, owner, control)
        result = {}
        for sink, (origin, steps) in reached.items():
            r = starts[origin]
            result[sink] = Reached(r.function, r.line, r.via, steps)
        self._taint_cache[key] = result
        return result

    def triggered_calls(self, reader: str, port: int, line: int) -> list[TaintNode]:
        """A read whose value goes into no call (a single-key queue: `c.queue.Get()` then
        `c.syncConfigMap()`): the calls the reader makes on its own object afterwards run because
        of it. Their receiver ports start the walk too, so the sync's writes are reached."""
        fs = self.p.functions[reader]
        edges = self.out_edges(reader)
        seen, stack = {port}, [port]
        while stack:  # does the value reach any call argument in the reader?
            p = stack.pop()
            for b in edges.get(p, ()):
                if isinstance(fs.ports[b], CallArg):
                    return []
                if b not in seen:
                    seen.add(b)
                    stack.append(b)
        out = []
        for k, site in enumerate(fs.sites):
            recv = site.recv
            if (
                site.line >= line
                and recv is not None
                and recv.field is None
                and isinstance(recv.root, (Param, Shared))
            ):
                ci = self._port_of[reader].get(CallArg(k, -1))
                if ci is not None:
                    out.append(TaintNode(reader, ci, True, None))
        return out

    def taint(
        self,
        starts: list[TaintNode],
        closure: set[str],
        owner: TypeKey | None = None,
        control: list[TaintNode] | None = None,
    ) -> dict[tuple[str, int], tuple[TaintNode, list[Step]]]:
        """Breadth-first taint walk from start nodes: sink -> (start node, witness steps)."""
        functions = self.p.functions
        parent: dict[TaintNode, Hop | None] = {start: None for start in starts}
        control = control or []
        for node in control:  # reached through control: credited to the read in the same function
            origin = next((s for s in starts if s.function == node.function), None)
            if node not in parent and origin is not None:
                parent[node] = Hop(origin, "control", 0)
        starts = [*starts, *(n for n in control if parent.get(n) is not None)]
        queue = deque(starts)
        found: dict[tuple[str, int], TaintNode] = {}
        while queue:
            node = queue.popleft()
            q, p, up, ctx = node
            fs = functions[q]
            port = fs.ports[p]
            tag = port.tag
            nexts: list[tuple[TaintNode, str, int]] = []
            if isinstance(port, SinkArgs):
                found.setdefault((q, port.sink), node)
                continue
            for b in self.out_edges(q).get(p, ()):
                nexts.append((TaintNode(q, b, up, ctx), "flow", 0))
            if tag == "C":
                for q2, p2 in self._cap_nodes.get(port, ()):
                    if q2 != q:
                        for b in self.out_edges(q2).get(p2, ()):
                            nexts.append((TaintNode(q2, b, up, ctx), "closure", 0))
            elif isinstance(port, CallArg):
                k, i = port.site, port.arg
                site = fs.sites[k]
                for t in self.site_targets(q, k, ctx) if k < len(self.p.callees[q]) else ():
                    g = functions.get(t.qname)
                    if g is None:
                        continue
                    params = self._param_port[t.qname]
                    if site.launch == "callback" and i == 0:
                        targets = [idx for position, idx in params.items() if position >= 0]
                    elif i == -1 and t.dispatch == "func-field" and t.bound != SELF:
                        targets = []
                    else:
                        idx = params.get(i)
                        targets = [idx] if idx is not None else []
                    if targets:
                        gctx = self.bind(q, site, ctx, t.qname)
                        for idx in targets:
                            nexts.append((TaintNode(t.qname, idx, False, gctx), "call", site.line))
            elif tag == "R" and up:
                for caller, k in self.p.callers.get(q, ()):
                    if caller not in closure:
                        continue
                    co = self._port_of[caller].get(CallResult(k))
                    if co is not None:
                        nexts.append(
                            (TaintNode(caller, co, True, None), "return", functions[caller].sites[k].line)
                        )
            elif isinstance(port, WriteValue):
                a = fs.accesses[port.access]
                loc = self.canon(a.loc) if a.loc is not None else None
                if loc is not None:
                    shared = None
                    for reader in self.readers.get(loc, ()):
                        if reader.function in closure:
                            nexts.append(
                                (TaintNode(reader.function, reader.port, True, None), "state", reader.line)
                            )
                        else:
                            if shared is None:
                                shared = self.shares_object_with(loc, owner)
                            if shared:  # a collaborator struct reading the same object
                                nexts.append(
                                    (
                                        TaintNode(reader.function, reader.port, False, None),
                                        "state",
                                        reader.line,
                                    )
                                )
            for nxt, how, line in nexts:
                if nxt in parent or (
                    not nxt.up and TaintNode(nxt.function, nxt.port, True, nxt.context) in parent
                ):
                    continue  # reached already (a frame the walk started in may also return up)
                parent[nxt] = Hop(node, how, line)
                queue.append(nxt)
        result = {}
        for sink, end in found.items():
            steps, origin = self._path(parent, end)
            result[sink] = (origin, steps)
        return result

    def _path(self, parent: dict[TaintNode, Hop | None], end: TaintNode) -> tuple[list[Step], TaintNode]:
        """Witness steps from the read to the sink: one per change of function."""
        functions = self.p.functions
        hops: list[tuple[TaintNode, Hop | None]] = []
        node: TaintNode | None = end
        while node is not None:
            hop = parent[node]
            hops.append((node, hop))
            node = hop.prev if hop is not None else None
        hops.reverse()
        origin, _hop = next(iter(hops))
        steps: list[Step] = []
        for node, hop in hops:
            q = node.function
            fs = functions[q]
            if hop is None:
                continue  # the read itself: the chain's "read" step says it
            if hop.how == "call":
                prev = hop.prev.function
                steps.append(Step(prev, functions[prev].file, hop.line, "call"))
                steps.append(Step(q, fs.file, fs.line, "enter"))
            elif hop.how == "return":
                steps.append(Step(q, fs.file, hop.line, "return to"))
            elif hop.how == "state":
                steps.append(Step(q, fs.file, hop.line, "read state"))
        return steps, origin

    def write_trail(self, handler: str, entry: Entry) -> Iterator[tuple[str, Witness]]:
        """(function, witness) from a handler down to the statement that makes one of its writes:
        each step a call site into the next function, the last the access itself. Each step follows
        the callee entry with the shortest witness."""
        q, e = handler, entry
        seen = set()
        while (q, e) not in seen:
            seen.add((q, e))
            how = self.trans.get(q, {}).get(e)
            if how is None:
                return
            yield q, how
            if isinstance(how, DirectAccess):
                return
            nxt = self._callee_entry(q, e, how)
            if nxt is None:
                return
            q, e = how.callee, nxt

    def _callee_entry(self, q: str, e: Entry, how: CallWitness) -> Entry | None:
        """The entry of the callee at the witness's site that, seen from q, is q's entry e."""
        k, callee = how.site, how.callee
        fs = self.p.functions[q]
        callee_fs = self.p.functions.get(callee)
        target = next((t for t in self.p.callees[q][k] if t.qname == callee), None)
        if callee_fs is None or target is None:
            return None
        nxt, best = None, None
        for ce, ce_how in self.trans.get(callee, {}).items():
            if ce.mode != e.mode:
                continue
            sub = self.substitute(fs, fs.sites[k], target, callee_fs, ce.root, ce.field)
            if (
                sub is not None
                and (sub.root, sub.field) == (e.root, e.field)
                and (best is None or ce_how.rank < best)
            ):
                nxt, best = ce, ce_how.rank
        return nxt

    def is_handoff(self, handler: str, entry: Entry) -> bool:
        """Does the handler's write end in a queue or channel (a hand-over of work to a reader)?"""
        for _q, how in self.write_trail(handler, entry):
            if isinstance(how, DirectAccess):
                return how.handoff
        return False

    # ------------------------------------------------------------ 5. chains
    def write_path(self, handler: str, entry: Entry) -> list[Step]:
        """How a handler reaches a write: its call chain down to the assignment or queue call."""
        steps = []
        for q, how in self.write_trail(handler, entry):
            fs = self.p.functions[q]
            if isinstance(how, DirectAccess):
                a = fs.accesses[how.access]
                steps.append(Step(q, fs.file, a.line, f"write {a.via}"))
            else:
                steps.append(Step(q, fs.file, fs.sites[how.site].line, "call"))
        return steps


def _owner_of_literal(program: Program, fs: FunctionSummary) -> TypeKey | None:
    top = program.functions.get(fs.top)
    if top is None or top.recv_type is None:
        return None
    return named_key(top.recv_type)


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
        best: dict[tuple[str, int], Candidate] = {}
        for loc, entry in sorted(c.writes_of(runs).items(), key=tuple_text):
            handoff = c.is_handoff(runs, entry)
            for sink, (reader, line, via, steps) in c.taint_location(
                loc, closure, h.component, h.owner_type
            ).items():
                cand = Candidate(
                    not handoff, len(steps), tuple_text(loc), loc, entry, reader, line, via, steps
                )
                if sink not in best or cand.rank < best[sink].rank:
                    best[sink] = cand
        hfs = functions[runs]
        for (sink_fn, k), (_h, _n, _r, loc, entry, reader, line, via, steps) in sorted(
            best.items(), key=_by_rank
        ):
            sfs = functions[sink_fn]
            call = sfs.sinks[k]
            result.on_chain.add((sink_fn, k))
            cid = chain_id(
                h.component, h.informer_resource, h.event, h.handler, sink_fn, call.verb, call.resource
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
                Step(sink_fn, sfs.file, call.line, f"{call.verb} {call.resource}"),
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
                api_verb=call.verb,
                api_resource=call.resource,
                kind=call.kind,
                path=path,
                reads=reads,
                registration_file=h.file,
                registration_line=h.line,
                sink_file=sfs.file,
                sink_line=call.line,
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


def _by_rank(item: tuple[tuple[str, int], Candidate]) -> tuple[bool, int, str]:
    _sink, cand = item
    return cand.rank
