"""collect: event handler registrations -> handler rows (the seed of every chain).

A registration (found by summarize: AddEventHandler and friends, NewInformer-style constructors)
carries the informer's resource and the handler value as the registering function saw it. Here
the value is resolved through the whole program: handler factories (a function returning
ResourceEventHandlerFuncs, or a func literal that forwards to the function it was given), named
types with OnAdd/OnUpdate/OnDelete, filtering wrappers, and wrapper literals that only forward to
a method (the method is the handler; the literal's position is kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from kubetorch.callgraph import Program
from kubetorch.index import named_key, type_name
from kubetorch.models import Models, ModelType, resource_name
from kubetorch.summary import (
    CanonType,
    FuncValue,
    HandlerValue,
    OwnParam,
    Registration,
    ReturnedHandler,
    Root,
    Shared,
    TypeKey,
    tuple_text,
)

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
    owner_type: TypeKey | None = None  # (pkg, struct) of the component, when it is a struct
    runs: str = ""  # the function that actually runs: the forwarding literal itself when there is one


class Handled(NamedTuple):
    """One event a registered handler value handles: the handler (named by the function a forwarding
    literal calls), the literal's position, the filter in front of it, a note, the function run."""

    event: str
    handler: str
    literal: str | None
    filter: str | None
    note: str | None
    runs: str


def collect(program: Program, models: Models) -> list[HandlerRow]:
    rows: list[HandlerRow] = []
    seen: set[tuple[str, str, str, str, str, int, str | None]] = set()
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
            (informer,) = stored
            resolution = "informer stored in a field"
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


def _param_models(program: Program, function: str, i: int, depth: int) -> set[ModelType]:
    """Library models (informers with a resource) callers pass as parameter i, through forwarding."""
    out: set[ModelType] = set()
    if depth > 4:
        return out
    for caller, k in program.callers.get(function, ()):
        site = program.functions[caller].sites[k]
        if i >= len(site.arg_models) or site.arg_models[i] is None:
            continue
        m = site.arg_models[i]
        if isinstance(m, OwnParam):
            out |= _param_models(program, caller, m.position, depth + 1)
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
            Handled(ev, f"{reg.function}:{reg.line}", None, None, "handler value not resolved", "")
            for ev in EVENTS
        ]
    adapters = _adapter_methods(program, models, reg.handler)
    for event, handler, literal, filt, note, runs in entries:
        owner: TypeKey | None
        if handler in adapters and reg.owner is not None:
            component, owner = type_name(reg.owner), reg.owner
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


def _expand(
    program: Program, models: Models, hv: HandlerValue, where: str, filt: str | None, depth: int
) -> Iterator[Handled]:
    """Every event a handler value handles."""
    if depth > 6:
        return
    if hv.form == "funcs":
        for event, fvs in sorted(hv.events.items()):
            for fv in fvs:
                for target in program.resolve_value(fv, where):
                    name, literal = _handler_name(program, target.qname)
                    yield Handled(event, name, literal, filt, None, target.qname)
    elif hv.form == "filter":
        fname = None
        if hv.filter is not None:
            targets = program.resolve_value(hv.filter, where)
            fname = next(iter(targets)).qname if targets else _describe(hv.filter)
        if hv.inner is not None:
            inner = list(_expand(program, models, hv.inner, where, fname, depth + 1))
            yield from inner
            # client-go turns an update that enters (leaves) the filter into OnAdd (OnDelete)
            for event, handler, literal, f, _note, runs in inner:
                if event in ("add", "delete"):
                    note = f"update entering/leaving the filter runs the {event} handler"
                    yield Handled("update", handler, literal, f, note, runs)
    elif hv.form == "type" and hv.type is not None:
        for event, qname in _handler_methods(program, models, hv.type):
            if qname in program.functions:
                yield Handled(event, qname, None, filt, None, qname)
    elif hv.form == "call":
        for callee_fv in hv.callee:
            for target in program.resolve_value(callee_fv, where):
                fs = program.functions.get(target.qname)
                if fs is None:
                    continue
                produced = False
                for r in fs.returns:
                    if isinstance(r, ReturnedHandler):
                        produced = True
                        yield from _expand(program, models, r.value, target.qname, filt, depth + 1)
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


def _handler_methods(program: Program, models: Models, key: TypeKey) -> Iterator[tuple[str, str]]:
    """(event, method qname) for each OnAdd/OnUpdate/OnDelete-style method the type has."""
    for method, event in models.handler_methods.items():
        found = program.index.method(("n", *key, ()), method)
        if found is not None and found.qname is not None:
            yield event, found.qname


def _handler_name(program: Program, qname: str) -> tuple[str, str | None]:
    """A literal that only forwards to a function is named by that function."""
    fs = program.functions.get(qname)
    if fs is not None and fs.is_literal and fs.forwards_to and fs.forwards_to in program.functions:
        return fs.forwards_to, f"{fs.file}:{fs.line}"
    if fs is not None and fs.is_literal:
        return qname, f"{fs.file}:{fs.line}"
    return qname, None


def _describe(fv: FuncValue) -> str:
    """An unresolved func value as the handlers table names it: its qualified name, else its text."""
    match fv:
        case (_tag, str(name), *_):
            return name
    return tuple_text(fv)


def _component(program: Program, handler: str, reg: Registration) -> tuple[str, TypeKey | None]:
    """The controller struct that owns a handler: its receiver, the struct its literal captures,
    the struct the registering function belongs to or builds; else the registering function."""
    fs = program.functions.get(handler)
    if fs is not None and fs.recv_type is not None:
        key = _struct_key(program, fs.recv_type)
        if key is not None:
            return type_name(key), key
    if fs is not None:
        captured: list[tuple[Root, TypeKey]] = []
        for root in sorted(fs.root_types, key=tuple_text):
            if isinstance(root, Shared):
                key = _struct_key(program, fs.root_types[root])
                if key is not None:
                    captured.append((root, key))
        if captured:
            # the struct the registering code builds, else the one the literal calls methods on
            receivers = {s.recv.root for s in fs.sites if s.recv is not None}

            def rank(capture: tuple[Root, TypeKey]) -> tuple[bool, bool, str]:
                root, key = capture
                return (key != reg.owner, root not in receivers, tuple_text(root))

            _root, key = min(captured, key=rank)
            return type_name(key), key
    if reg.owner is not None:
        return type_name(reg.owner), reg.owner
    reg_fs = program.functions.get(reg.function)
    if reg_fs is not None:
        for root in sorted(reg_fs.root_types, key=tuple_text):
            key = _struct_key(program, reg_fs.root_types[root])
            if key is not None and _in_package(key, _package_of(reg_fs.qname)):
                return type_name(key), key
    return reg.function, None


def _in_package(key: TypeKey, pkg: str) -> bool:
    key_pkg, _name = key
    return key_pkg == pkg


def _package_of(qname: str) -> str:
    """The package path of a function's qualified name (pkg.F, pkg.(*T).M, pkg.T.M)."""
    return qname.rsplit(".", 1)[0].split(".(")[0]


def _struct_key(program: Program, t: CanonType | None) -> TypeKey | None:
    """(pkg, name) of an in-tree struct type, under any pointers (None for library values)."""
    key = named_key(t)
    if key is None or _in_package(key, ""):
        return None
    info = program.index.types.get(key)
    match info.type if info is not None else None:
        case ("st", _fields):
            return key
    return None
