"""Stable identities of output rows.

A chain_id hashes only names (component, resource, event, handler, sink function, verb, API
resource): no file, no line, so a chain keeps its id when code moves and across releases, and a
renamed function honestly becomes one chain removed and one added.
"""

from __future__ import annotations

import hashlib

CHAIN_KEY = (
    "component",
    "informer_resource",
    "event",
    "handler",
    "sink_function",
    "api_verb",
    "api_resource",
)


def chain_id(
    component: str,
    informer_resource: str,
    event: str,
    handler: str,
    sink_function: str,
    api_verb: str,
    api_resource: str,
) -> str:
    text = "\x1f".join((component, informer_resource, event, handler, sink_function, api_verb, api_resource))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
