"""Cascade edges between components: A's API write wakes B's informer handler.

A chain ends in a write on an API resource; every component whose informer watches that
resource then receives an event, so the write is the start of B's chains. Joining each
component's sinks (on its chains) with every handler gives the cascade graph, the part of the
system's behaviour that no single controller's code shows. Pure: plain dicts in, plain dicts out,
rows in the CASCADES schema of pipeline/tables.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubetorch.models import resource_name

VERB_EVENT = {
    "create": "add",
    "update": "update",
    "patch": "update",
    "apply": "update",
    "delete": "delete",
    "deletecollection": "delete",
}

# API groups without a dot in their name: `apps/deployments` is group/resource, while
# `pods/status` is resource/subresource of the core group.
UNDOTTED_GROUPS = frozenset({"apps", "batch", "autoscaling", "policy", "extensions"})

# Subresources whose write changes the parent differently from "an update of the parent".
SPECIAL_SUBRESOURCES = {
    "binding": "update",  # pods/binding sets spec.nodeName
    "eviction": "delete",  # pods/eviction deletes the pod (through the disruption budget)
}

# Subresources that change nothing stored on the parent object: no informer event at all.
NON_MUTATING_SUBRESOURCES = frozenset({"token", "exec", "attach", "portforward", "proxy", "log"})

# One stored object, two API groups: a write through either wakes informers on both.
EVENT_RESOURCES = ("events", "events.k8s.io/events")

CASCADE_KEY = (
    "from_component",
    "sink_function",
    "api_verb",
    "api_resource",
    "to_component",
    "informer_resource",
    "event",
    "handler",
)


def split_resource(api_resource: str) -> tuple[str, str, str]:
    """`group/resource[/subresource]` -> (group, resource, subresource); the core group is ""."""
    parts = api_resource.split("/")
    if len(parts) >= 3:
        return parts[0], parts[1], "/".join(parts[2:])
    if len(parts) == 2:
        if "." in parts[0] or parts[0] in UNDOTTED_GROUPS:
            return parts[0], parts[1], ""
        return "", parts[0], parts[1]
    return "", api_resource, ""


def woken(api_verb: str, api_resource: str, kind: str = "write") -> list[tuple[str, str]]:
    """The (informer_resource, event) pairs a write causes; empty when it causes none."""
    group, resource, sub = split_resource(api_resource)
    parent = resource_name(group, resource)
    if sub:
        if sub in NON_MUTATING_SUBRESOURCES:
            return []
        event = SPECIAL_SUBRESOURCES.get(sub, "update")
    else:
        verb_event = VERB_EVENT.get(api_verb)
        if verb_event is None:
            return []
        event = verb_event
    if kind == "event" or parent in EVENT_RESOURCES:
        return [(r, event) for r in EVENT_RESOURCES]
    return [(parent, event)]


def _watched(handler: dict) -> list[str]:
    """Resources a handler's informer may watch: the resolved one, or the candidates of a `*`."""
    resource = handler.get("informer_resource") or ""
    if resource == "*":
        return sorted(set(handler.get("resource_candidates") or []))
    return [resource] if resource else []


def cascade_rows(chains: Iterable[dict], handlers: Iterable[dict]) -> list[dict]:
    """Every (sink of A on a chain) x (handler of B woken by it), self-edges included, sorted.

    A handler whose resource is only known at run time (`*`) is matched through its
    resource_candidates; its edge names the candidate it was matched on.
    """
    by_event: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for h in handlers:
        for resource in _watched(h):
            key = (resource, h.get("event") or "")
            by_event.setdefault(key, set()).add((h.get("component") or "", h.get("handler") or ""))
    sinks = {
        (
            c.get("component") or "",
            c.get("sink_function") or "",
            c.get("api_verb") or "",
            c.get("api_resource") or "",
            c.get("kind") or "write",
        )
        for c in chains
    }
    rows: set[tuple[str, ...]] = set()
    for component, sink_function, verb, resource, kind in sinks:
        for watched, event in woken(verb, resource, kind):
            for to_component, handler in by_event.get((watched, event), ()):
                rows.add((component, sink_function, verb, resource, to_component, watched, event, handler))
    return [dict(zip(CASCADE_KEY, row)) for row in sorted(rows)]
