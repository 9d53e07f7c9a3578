"""collect: event handler registrations -> handler rows (the seed of every chain).

A registration (found by summarize: AddEventHandler and friends, NewInformer-style constructors)
carries the informer's resource and the handler value as the registering function saw it. Here
the value is resolved through the whole program: handler factories (a function returning
ResourceEventHandlerFuncs, or a func literal that forwards to the function it was given), named
types with OnAdd/OnUpdate/OnDelete, filtering wrappers, and wrapper literals that only forward to
a method (the method is the handler; the literal's position is kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubetorch.callgraph import Program
from kubetorch.index import deref
from kubetorch.models import Models, ModelType, resource_name
from kubetorch.summary import HandlerValue, Registration, tuple_text

EVENTS = ("add", "update", "delete")


@dataclass(slots=True)
class HandlerRow:
    component: str
    informer_resource: str
    informer_version: str
    resource_candidates: list[str]
    event: str
    handler: str
    handler_literal: str | None
    filter: str | None
    registration: str
    via: str
    file: str
    line: int
    resolution: str
    note: str | None
    owner_type: tuple | None = None  # (pkg, struct) of the component, when it is a struct
    runs: str = ""  # the function that actually runs: the forwarding literal itself when there is one


def collect(program: Program, models: Models) -> list[HandlerRow]:
    rows: list[HandlerRow] = []
    seen: set[tuple] = set()
    for reg in sorted(program.registrations, key=lambda r: (r.file, r.line)):
        for row in _rows_of(program, models, reg):
            key = (
                row.component,
                row.informer_resource,
                row.event,
                row.handler,
                row.file,
                row.line,
                row.filter,
            )
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return rows


def _rows_of(program: Program, models: Models, reg: Registration) -> list[HandlerRow]:
    informer = reg.informer
    resolution = reg.resource_note
    if (informer is None or not informer.resource) and reg.informer_loc is not None:
        # an informer kept in a field: what the constructor stored there says which resource
        stored = sorted(
            m for m in program.field_models.get(reg.informer_loc, ()) if m.resource and m.resource != "*"
        )
        if len(stored) == 1:
            informer, resolution = stored[0], "informer stored in a field"
    informers = [informer] if informer is not None and informer.resource and informer.resource != "*" else []
    if not informers and reg.informer_param is not None:
        # an informer passed in: each caller's argument says which resource (one row per resource)
        informers = sorted(_param_models(program, reg.function, reg.informer_param, 0))
        resolution = f"from the callers of {reg.function.rsplit('/', 1)[-1]}"
    if not informers:
        return _rows_for(program, models, reg, "*", "", "known only at run time")
    out = []
    for m in informers:
        out.extend(_rows_for(program, models, reg, resource_name(m.group, m.resource), m.version, resolution))
    return out


def _param_models(program: Program, function: str, i: int, depth: int) -> set:
    """Library models (informers with a resource) callers pass as parameter i, through forwarding."""
    out: set = set()
    if depth > 4:
        return out
    for caller, k in program.callers.get(function, ()):
        site = program.functions[caller].sites[k]
        if i >= len(site.arg_models) or site.arg_models[i] is None:
            continue
        m = site.arg_models[i]
        if m[0] == "param":
            out |= _param_models(program, caller, m[1], depth + 1)
        elif isinstance(m, ModelType) and m.resource and m.resource != "*":
            out.add(m)
    return out


def _rows_for(
    program: Program, models: Models, reg: Registration, resource: str, version: str, resolution: str
) -> list[HandlerRow]:
    out = []
    entries = list(_expand(program, models, reg.handler, reg.function, None, 0))
    if not entries:
        entries = [
            (ev, f"{reg.function}:{reg.line}", None, None, "handler value not resolved", "") for ev in EVENTS
        ]
    adapters = _adapter_methods(program, models, reg.handler)
    for event, handler, literal, filt, note, runs in entries:
        if handler in adapters and reg.owner is not None:
            component, owner = f"{reg.owner[0]}.{reg.owner[1]}", reg.owner
        else:
            component, owner = _component(program, handler, reg)
        out.append(
            HandlerRow(
                component=component,
                informer_resource=resource,
                informer_version=version,
                resource_candidates=list(reg.candidates),
                event=event,
                handler=handler,
                handler_literal=literal,
                filter=filt,
                registration=reg.function,
                via=reg.via,
                file=reg.file,
                line=reg.line,
                resolution=resolution,
                note=note,
                owner_type=owner,
                runs=runs or handler,
            )
        )
    return out


def _expand(program: Program, models: Models, hv: HandlerValue, where: str, filt: str | None, depth: int):
    """(event, handler qname, literal position, filter, note, function run) for every event handled."""
    if depth > 6:
        return
    if hv.form == "funcs":
        for event, fvs in sorted(hv.events.items()):
            for fv in fvs:
                for target in program.resolve_value(fv, where):
                    name, literal = _handler_name(program, target.qname)
                    yield (event, name, literal, filt, None, target.qname)
    elif hv.form == "filter":
        fname = None
        if hv.filter is not None:
            targets = program.resolve_value(hv.filter, where)
            fname = targets[0].qname if targets else _describe(hv.filter)
        if hv.inner is not None:
            inner = list(_expand(program, models, hv.inner, where, fname, depth + 1))
            yield from inner
            # client-go turns an update that enters (leaves) the filter into OnAdd (OnDelete)
            for event, handler, literal, f, _note, runs in inner:
                if event in ("add", "delete"):
                    note = f"update entering/leaving the filter runs the {event} handler"
                    yield ("update", handler, literal, f, note, runs)
    elif hv.form == "type":
        for event, qname in _handler_methods(program, models, hv.type):
            if qname in program.functions:
                yield (event, qname, None, filt, None, qname)
    elif hv.form == "call":
        for callee_fv in hv.callee:
            for target in program.resolve_value(callee_fv, where):
                fs = program.functions.get(target.qname)
                if fs is None:
                    continue
                produced = False
                for r in fs.returns:
                    if r[0] == "handler":
                        produced = True
                        yield from _expand(program, models, r[1], target.qname, filt, depth + 1)
                for key in sorted(program.returns_types.get(target.qname, ())):
                    if not produced:
                        yield from _expand(
                            program, models, HandlerValue("type", type=key), target.qname, filt, depth + 1
                        )


def _adapter_methods(program: Program, models: Models, hv: HandlerValue) -> set[str]:
    """OnAdd/OnUpdate/OnDelete methods of a handler type: an adapter, not the controller itself."""
    out: set[str] = set()
    stack = [hv]
    while stack:
        h = stack.pop()
        if h.form == "type" and h.type is not None:
            out.update(qname for _event, qname in _handler_methods(program, models, h.type))
        if h.inner is not None:
            stack.append(h.inner)
    return out


def _handler_methods(program: Program, models: Models, key: tuple):
    """(event, method qname) for each OnAdd/OnUpdate/OnDelete-style method the type has."""
    for method, event in models.handler_methods.items():
        found = program.index.method(("n", key[0], key[1], ()), method)
        if found is not None and found[0] is not None:
            yield event, found[0]


def _handler_name(program: Program, qname: str) -> tuple[str, str | None]:
    """A literal that only forwards to a function is named by that function."""
    fs = program.functions.get(qname)
    if fs is not None and fs.is_literal and fs.forwards_to and fs.forwards_to in program.functions:
        return fs.forwards_to, f"{fs.file}:{fs.line}"
    if fs is not None and fs.is_literal:
        return qname, f"{fs.file}:{fs.line}"
    return qname, None


def _describe(fv) -> str:
    return fv[1] if len(fv) > 1 and isinstance(fv[1], str) else tuple_text(fv)


def _component(program: Program, handler: str, reg: Registration) -> tuple[str, tuple | None]:
    """The controller struct that owns a handler: its receiver, the struct its literal captures,
    the struct the registering function belongs to or builds; else the registering function."""
    fs = program.functions.get(handler)
    if fs is not None and fs.recv_type is not None:
        key = _struct_key(program, fs.recv_type)
        if key is not None:
            return f"{key[0]}.{key[1]}", key
    if fs is not None:
        captured = []
        for root in sorted(fs.root_types, key=tuple_text):
            if root[0] == "C":
                key = _struct_key(program, fs.root_types[root])
                if key is not None:
                    captured.append((root, key))
        if captured:
            # the struct the registering code builds, else the one the literal calls methods on
            receivers = {s.recv[0] for s in fs.sites if s.recv is not None}
            ranked = sorted(
                captured, key=lambda rk: (rk[1] != reg.owner, rk[0] not in receivers, tuple_text(rk[0]))
            )
            key = ranked[0][1]
            return f"{key[0]}.{key[1]}", key
    if reg.owner is not None:
        return f"{reg.owner[0]}.{reg.owner[1]}", reg.owner
    reg_fs = program.functions.get(reg.function)
    if reg_fs is not None:
        for root in sorted(reg_fs.root_types, key=tuple_text):
            key = _struct_key(program, reg_fs.root_types[root])
            if key is not None and key[0] == reg_fs.qname.rsplit(".", 1)[0].split(".(")[0]:
                return f"{key[0]}.{key[1]}", key
    return reg.function, None


def _struct_key(program: Program, t) -> tuple | None:
    if t is None or t[0] == "M":
        return None
    base = deref(t)
    if base[0] != "n" or not base[1]:
        return None
    info = program.index.types.get((base[1], base[2]))
    if info is None or info.type[0] != "st":
        return None
    return (base[1], base[2])
