"""`kubetorch export graph OUT --format kamera|dot|json`: controller dependency graphs for simulators.

The graph has controllers (kubetorch components with handlers) and resources by
`group/version/Kind` (core group `core`), and three kinds of edge from a controller to a resource:
`triggers` (what its informers watch: primary, secondary or owns), `reads` (listers, caches and API
reads on its chains) and `writes` (the API writes its chains reach, with the surface written).

`kamera` is exactly the dependency-graph contract of the Kamera controller simulator (v2: top-level
`nodes` and `edges` only, the nine checks of its validation checklist in `kamera_errors`); `json`
is the same graph with what kubetorch knows besides (resources, events, verbs, operation ids, and
what was left out and why); `dot` is for Graphviz.

Kinds come from the run's `api_resources` table, read from the tree's OpenAPI spec or its Go API
types; a resource without a known Kind is left out (and listed), never named from its plural.

How triggers are classified, from the code alone:
- primary: a watched resource whose status the controller writes; failing that, one it updates,
  patches or applies; failing that, one it writes at all; failing that, the watched resource with
  the most chains (every controller in the graph has one, as the contract requires);
- owns: a watched resource, not primary, that the controller creates (the objects it makes and
  then watches, like a ReplicaSet's pods);
- secondary: every other watched resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import click

from kubetorch import __version__
from kubetorch.cascades import NON_MUTATING_SUBRESOURCES, split_resource
from pipeline.apiops import version_priority
from pipeline.cli_errors import fail
from pipeline.exports import starts_with, write_output
from pipeline.output import read_manifest
from pipeline.runs import optional_rows, rows, run_source

ROLES = ("user-facing", "supporting", "builtin")
TRIGGERS = ("primary", "secondary", "owns", "manual")
SURFACES = ("spec", "status", "metadata", "any")

# subresource -> the part of the parent object its write changes
SUBRESOURCE_SURFACE = {
    "status": "status",
    "approval": "status",
    "binding": "spec",
    "scale": "spec",
    "ephemeralcontainers": "spec",
    "finalize": "spec",
    "rollback": "spec",
    "resize": "spec",
}
DOT_MARKER = "// kubetorch dependency graph"


@dataclass(frozen=True)
class Gvk:
    group: str
    version: str
    kind: str

    @property
    def id(self) -> str:
        return f"{self.group or 'core'}/{self.version}/{self.kind}"


class Kinds:
    """group/resource (+ version) -> Gvk, from the api_resources table only."""

    def __init__(self, api_resources: Iterable[dict]) -> None:
        self.by_key: dict[tuple[str, str, str], dict] = {}
        versions: dict[tuple[str, str], list[str]] = {}
        for r in api_resources:
            self.by_key[(r["group"] or "", r["version"], r["resource"])] = r
            versions.setdefault((r["group"] or "", r["resource"]), []).append(r["version"])
        self.versions = {k: sorted(v, key=version_priority) for k, v in versions.items()}

    def gvk(self, group: str, resource: str, version: str = "") -> Gvk | None:
        if not version or (group, version, resource) not in self.by_key:
            served = self.versions.get((group, resource))
            if not served:
                return None
            version = served[0]
        row = self.by_key[(group, version, resource)]
        return Gvk(group, version, row["kind"])

    def row(self, gvk: Gvk) -> dict | None:
        for (g, v, _r), row in self.by_key.items():
            if g == gvk.group and v == gvk.version and row["kind"] == gvk.kind:
                return row
        return None


@dataclass
class ControllerFacts:
    """What one component's handlers and chains say about the resources it touches."""

    id: str
    watches: dict[Gvk, dict] = field(default_factory=dict)  # gvk -> {resource, events, chains}
    reads: dict[Gvk, set[str]] = field(default_factory=dict)  # gvk -> what ("lister pods")
    writes: dict[tuple[Gvk, str], dict] = field(default_factory=dict)  # (gvk, surface) -> details


@dataclass
class Graph:
    controllers: list[ControllerFacts]
    triggers: dict[tuple[str, Gvk], str]  # (controller, gvk) -> trigger
    roles: dict[Gvk, str]
    left_out: list[dict]
    resources: dict[Gvk, dict]  # gvk -> api_resources row


def write_surface(verb: str, sub: str) -> str | None:
    """Which part of the object a write changes; None for subresources that store nothing."""
    if sub:
        if sub in NON_MUTATING_SUBRESOURCES:
            return None
        return SUBRESOURCE_SURFACE.get(sub, "any")
    return "any"


def _read(read: dict) -> tuple[str, str | None]:
    """A chains.reads struct -> (`lister pods` for people, the resource read or None when it is
    known only at run time)."""
    resource = read.get("resource") or ""
    what = f"{read.get('kind')} {resource}".strip()
    return what, resource if resource and "*" not in resource else None


def _sink_versions(sinks: Iterable[dict]) -> dict[tuple, str]:
    return {
        (s["sink_function"], s["sink_line"], s["api_verb"], s["api_resource"]): s.get("api_version") or ""
        for s in sinks
    }


def build_graph(
    chains: list[dict],
    handlers: list[dict],
    sinks: list[dict],
    api_resources: list[dict],
    builtin_groups: set[str],
) -> Graph:
    kinds = Kinds(api_resources)
    versions = _sink_versions(sinks)
    facts: dict[str, ControllerFacts] = {}
    left_out: list[dict] = []
    unresolved: set[tuple[str, str]] = set()

    def note(component: str, what: str, why: str) -> None:
        if (component, what) not in unresolved:
            unresolved.add((component, what))
            left_out.append({"controller": component, "what": what, "why": why})

    watched_versions: dict[tuple[str, str], str] = {}
    for h in handlers:
        component = h.get("component") or ""
        resource = h.get("informer_resource") or ""
        if not component:
            continue
        cf = facts.setdefault(component, ControllerFacts(component))
        if not resource or resource == "*":
            note(component, f"watch {resource or '?'}", "resource known only at run time")
            continue
        group, res, _ = split_resource(resource)
        gvk = kinds.gvk(group, res, h.get("informer_version") or "")
        if gvk is None:
            note(component, f"watch {resource}", "no Kind for it in the tree's API types or spec")
            continue
        watched_versions[(component, resource)] = gvk.version
        w = cf.watches.setdefault(gvk, {"resource": resource, "events": set(), "chains": 0})
        w["events"].add(h.get("event") or "")
    for c in chains:
        component = c.get("component") or ""
        cf = facts.setdefault(component, ControllerFacts(component))
        informer = c.get("informer_resource") or ""
        g, r, _ = split_resource(informer)
        wg = kinds.gvk(g, r, watched_versions.get((component, informer), ""))
        if wg is not None and wg in cf.watches:
            cf.watches[wg]["chains"] += 1
        api_resource = c.get("api_resource") or ""
        verb = c.get("api_verb") or ""
        if "*" in api_resource:
            note(component, f"{verb} {api_resource}", "resource known only at run time")
        else:
            group, res, sub = split_resource(api_resource)
            surface = write_surface(verb, sub)
            version = versions.get((c.get("sink_function"), c.get("sink_line"), verb, api_resource), "")
            gvk = kinds.gvk(group, res, version)
            if gvk is None:
                note(component, f"{verb} {api_resource}", "no Kind for it in the tree's API types or spec")
            elif surface is not None:
                w = cf.writes.setdefault(
                    (gvk, surface),
                    {"verbs": set(), "api_resources": set(), "operation_ids": set(), "chains": 0},
                )
                w["verbs"].add(verb)
                w["api_resources"].add(api_resource)
                if c.get("operation_id"):
                    w["operation_ids"].add(c["operation_id"])
                w["chains"] += 1
        for read in c.get("reads") or []:
            what, resource = _read(read)
            if resource is None:
                continue
            group, res, _ = split_resource(resource)
            gvk = kinds.gvk(group, res, watched_versions.get((component, resource), ""))
            if gvk is None:
                note(component, what, "no Kind for it in the tree's API types or spec")
                continue
            cf.reads.setdefault(gvk, set()).add(what)

    triggers: dict[tuple[str, Gvk], str] = {}
    kept: list[ControllerFacts] = []
    for cid in sorted(facts):
        cf = facts[cid]
        if not cf.watches:
            note(cid, "controller", "no watched resource with a known Kind: no primary trigger")
            continue
        for gvk, trigger in classify_triggers(cf).items():
            triggers[(cid, gvk)] = trigger
        kept.append(cf)

    resources: dict[Gvk, dict] = {}
    for cf in kept:
        for gvk in [*cf.watches, *cf.reads, *(g for g, _ in cf.writes)]:
            resources.setdefault(gvk, kinds.row(gvk) or {})
    primary = {gvk for (_, gvk), t in triggers.items() if t == "primary"}
    roles = {
        gvk: "builtin" if gvk.group in builtin_groups else ("user-facing" if gvk in primary else "supporting")
        for gvk in resources
    }
    left_out.sort(key=lambda e: (e["controller"], e["what"]))
    return Graph(kept, triggers, roles, left_out, resources)


def classify_triggers(cf: ControllerFacts) -> dict[Gvk, str]:
    """primary / owns / secondary for each watched resource (see the module docstring)."""
    written = {gvk: w for (gvk, _s), w in cf.writes.items() if gvk in cf.watches}

    def writes_with(pred) -> set[Gvk]:
        return {gvk for (gvk, s), w in cf.writes.items() if gvk in cf.watches and pred(s, w["verbs"])}

    primary = writes_with(lambda s, verbs: s == "status")
    if not primary:
        primary = writes_with(lambda s, verbs: bool(verbs & {"update", "patch", "apply"}))
    if not primary:
        primary = set(written)
    if not primary:
        best = max(cf.watches.items(), key=lambda kv: (kv[1]["chains"], len(kv[1]["events"]), kv[0].id))
        primary = {best[0]}
    created = {gvk for (gvk, s), w in cf.writes.items() if "create" in w["verbs"] and s == "any"}
    return {
        gvk: "primary" if gvk in primary else ("owns" if gvk in created else "secondary")
        for gvk in cf.watches
    }


# ---------------------------------------------------------------- formats


def kamera_document(graph: Graph) -> dict:
    """The graph in the Kamera dependency-graph contract: `nodes` and `edges`, nothing else."""
    nodes: list[dict] = [{"kind": "controller", "id": cf.id} for cf in graph.controllers]
    nodes += [
        {"kind": "resource", "id": gvk.id, "gvk": gvk.id, "role": graph.roles[gvk]}
        for gvk in sorted(graph.resources, key=lambda g: g.id)
    ]
    edges: list[dict] = []
    for cf in graph.controllers:
        for gvk in sorted(cf.watches, key=lambda g: g.id):
            edges.append(
                {"kind": "triggers", "from": cf.id, "to": gvk.id, "trigger": graph.triggers[(cf.id, gvk)]}
            )
        for gvk in sorted(cf.reads, key=lambda g: g.id):
            edges.append({"kind": "reads", "from": cf.id, "to": gvk.id, "surface": "any"})
        for gvk, surface in sorted(cf.writes, key=lambda k: (k[0].id, k[1])):
            edges.append({"kind": "writes", "from": cf.id, "to": gvk.id, "surface": surface})
    return {"nodes": nodes, "edges": edges}


def json_document(graph: Graph, manifest: dict) -> dict:
    """The Kamera graph with kubetorch's details on every node and edge, and what was left out."""
    doc = kamera_document(graph)
    by_id = {cf.id: cf for cf in graph.controllers}
    for node in doc["nodes"]:
        if node["kind"] == "resource":
            gvk = next(g for g in graph.resources if g.id == node["id"])
            row = graph.resources[gvk]
            node.update(
                {
                    "group": gvk.group,
                    "version": gvk.version,
                    "resource": row.get("resource"),
                    "namespaced": row.get("namespaced"),
                }
            )
    for edge in doc["edges"]:
        cf = by_id[edge["from"]]
        gvk = next(g for g in graph.resources if g.id == edge["to"])
        if edge["kind"] == "triggers":
            w = cf.watches[gvk]
            edge.update({"resource": w["resource"], "events": sorted(w["events"]), "chains": w["chains"]})
        elif edge["kind"] == "reads":
            edge["via"] = sorted(cf.reads[gvk])
        else:
            w = cf.writes[(gvk, edge["surface"])]
            edge.update(
                {
                    "verbs": sorted(w["verbs"]),
                    "api_resources": sorted(w["api_resources"]),
                    "operation_ids": sorted(w["operation_ids"]),
                    "chains": w["chains"],
                }
            )
    return {
        "generator": f"kubetorch {manifest.get('tool_version') or __version__}",
        "release": manifest.get("release"),
        **doc,
        "left_out": graph.left_out,
    }


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot_document(graph: Graph, manifest: dict) -> str:
    doc = kamera_document(graph)
    lines = [
        f"{DOT_MARKER} (kubetorch {manifest.get('tool_version') or __version__}, release {manifest.get('release') or ''})",
        "digraph dependencies {",
        "  rankdir=LR;",
        "  node [fontname=Helvetica, fontsize=10];",
    ]
    for n in doc["nodes"]:
        if n["kind"] == "controller":
            label = n["id"].rpartition("/")[2]
            lines.append(f"  {_dot_id(n['id'])} [shape=box, label={_dot_id(label)}];")
        else:
            style = {"builtin": "solid", "user-facing": "bold", "supporting": "dashed"}[n["role"]]
            lines.append(f"  {_dot_id(n['id'])} [shape=ellipse, style={style}];")
    for e in doc["edges"]:
        if e["kind"] == "triggers":
            attrs = f"label={_dot_id('triggers ' + e['trigger'])}, dir=back, color=blue"
        elif e["kind"] == "reads":
            attrs = f"label={_dot_id('reads ' + e['surface'])}, style=dotted"
        else:
            attrs = f"label={_dot_id('writes ' + e['surface'])}, color=red"
        lines.append(f"  {_dot_id(e['from'])} -> {_dot_id(e['to'])} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the Kamera contract

_GVK = re.compile(r"[^/]+/[^/]+/[^/]+")
_CANONICAL_GVK = re.compile(r"(core|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)/v[0-9]+[a-z0-9]*/[A-Z][A-Za-z0-9]*")


def kamera_errors(doc: Any) -> list[str]:
    """Every failed check of the Kamera dependency-graph contract's validation checklist (1-9)."""
    if not isinstance(doc, dict):
        return ["1: top-level JSON must be an object"]
    errors: list[str] = []
    if sorted(doc) != ["edges", "nodes"]:
        errors.append(f"1: top-level keys must be exactly nodes and edges, not {sorted(doc)}")
    nodes = doc.get("nodes") if isinstance(doc.get("nodes"), list) else []
    edges = doc.get("edges") if isinstance(doc.get("edges"), list) else []
    if not isinstance(doc.get("nodes"), list) or not isinstance(doc.get("edges"), list):
        errors.append("1: nodes and edges must be arrays")
    kinds: dict[str, str] = {}
    seen: set[str] = set()
    for n in nodes:
        shape = sorted(n) if isinstance(n, dict) else None
        if shape == ["id", "kind"] and n["kind"] == "controller":
            ok = isinstance(n["id"], str) and n["id"] != ""
        elif shape == ["gvk", "id", "kind", "role"] and n["kind"] == "resource":
            ok = all(isinstance(n[k], str) and n[k] for k in ("id", "gvk", "role"))
            if ok and (
                n["gvk"] != n["id"] or not _GVK.fullmatch(n["gvk"]) or not _CANONICAL_GVK.fullmatch(n["gvk"])
            ):
                errors.append(f"4: resource gvk must be canonical group/version/Kind and equal its id: {n}")
            if ok and n["role"] not in ROLES:
                errors.append(f"8: resource role must be one of {'|'.join(ROLES)}: {n}")
        else:
            ok = False
            if isinstance(n, dict) and n.get("kind") == "resource" and "role" not in n:
                errors.append(f"8: resource node has no role: {n}")
        if not ok:
            errors.append(f"2: node does not match an allowed node shape: {n}")
            continue
        if n["id"] in seen:
            errors.append(f"3: duplicate node id: {n['id']}")
        seen.add(n["id"])
        kinds[n["id"]] = n["kind"]
    tuples: set[tuple] = set()
    primaries: set[str] = set()
    for e in edges:
        shape = sorted(e) if isinstance(e, dict) else None
        if shape == ["from", "kind", "to", "trigger"] and e["kind"] == "triggers":
            ok = e["trigger"] in TRIGGERS
            key = (e["kind"], e["from"], e["to"], e["trigger"])
        elif shape == ["from", "kind", "surface", "to"] and e["kind"] in ("reads", "writes"):
            ok = e["surface"] in SURFACES
            key = (e["kind"], e["from"], e["to"], e["surface"])
        else:
            ok, key = False, None
        if not ok or not all(isinstance(e.get(k), str) and e.get(k) for k in ("from", "to")):
            errors.append(f"5: edge does not match an allowed edge shape: {e}")
            continue
        if kinds.get(e["from"]) != "controller" or kinds.get(e["to"]) != "resource":
            errors.append(f"6: edge must go from an existing controller to an existing resource: {e}")
        if key in tuples:
            errors.append(f"7: duplicate edge: {e}")
        tuples.add(key)
        if e["kind"] == "triggers" and e["trigger"] == "primary":
            primaries.add(e["from"])
    for cid in sorted(i for i, k in kinds.items() if k == "controller"):
        if cid not in primaries:
            errors.append(f"9: controller has no triggers edge with trigger=primary: {cid}")
    return errors


def is_kamera_by_kubetorch(head: bytes) -> bool:
    """An existing Kamera graph is replaced only if it is valid and names Go components, as ours do."""
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError):
        return False
    if kamera_errors(doc):
        return False
    return all("." in n["id"] and "/" in n["id"] for n in doc["nodes"] if n["kind"] == "controller")


def is_json_by_kubetorch(head: bytes) -> bool:
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and str(doc.get("generator", "")).startswith("kubetorch ")


def builtin_groups() -> set[str]:
    """Kubernetes' own API groups (models.toml [groups]): their resources are `builtin`."""
    from kubetorch.models import load_models

    return set(load_models().groups.values()) | {""}


def graph_of_run(out: str) -> tuple[Graph, dict]:
    api_resources = optional_rows(out, "api_resources")
    if api_resources is None:
        fail(
            f"{out}: this run has no api_resources table (written by kubetorch analyze since operation ids); rerun analyze"
        )
    graph = build_graph(
        rows(out, "chains"), rows(out, "handlers"), rows(out, "sinks"), api_resources, builtin_groups()
    )
    return graph, read_manifest(out)


@click.group("export")
def export_group() -> None:
    """Export a run's results in other tools' formats."""


@export_group.command("graph")
@run_source
@click.option(
    "--format", "fmt", type=click.Choice(["kamera", "dot", "json"]), default="kamera", show_default=True
)
@click.option(
    "-o", "--output", "target", default="-", show_default=True, help="File to write (`-` for stdout)."
)
def export_graph_command(out: str, fmt: str, target: str) -> None:
    """The controller dependency graph of a run: controllers, resources by group/version/Kind,
    and triggers / reads / writes edges (`kamera`: the Kamera simulator's contract).

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    graph, manifest = graph_of_run(out)
    if fmt == "kamera":
        doc = kamera_document(graph)
        errors = kamera_errors(doc)
        if errors:  # a bug in this module, never the user's input
            fail(f"internal error: the graph breaks the Kamera contract: {errors[0]}")
        text, ours = json.dumps(doc, indent=2) + "\n", is_kamera_by_kubetorch
    elif fmt == "json":
        text, ours = json.dumps(json_document(graph, manifest), indent=2) + "\n", is_json_by_kubetorch
    else:
        text, ours = dot_document(graph, manifest), starts_with(DOT_MARKER)
    write_output(target, text, ours)
    if graph.left_out:
        click.echo(
            f"kubetorch: left out {len(graph.left_out)} watch/read/write(s) without a known Kind or resource"
            " (listed by --format json)",
            err=True,
        )
