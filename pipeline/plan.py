"""`kubetorch plan OUT`: fault-injection plans, the places where a fault changes what a controller writes.

For each chain, faults in the three categories Sieve found bugs with:
- unobserved state: the triggering event is delayed or dropped before the handler sees it (one fault
  per component, watched resource and event: every handler of that event misses it);
- stale state: a lister, cache or API read on the witness path is served stale, and so is the
  shared state when it is a cache rather than a work queue (one fault per read site);
- intermediate state: the controller crashes right after one API write (not an Event) of a reader
  that makes several, so the restarted controller sees that write without the others (one fault
  per reader and write; it reaches the chains of that reader's other writes).
Each fault reaches chains (the writes it can change) and, through them, cascade hops (the handlers
those writes wake in the same or other components); faults are ranked by chains + hops.

For chains triggered by pods, the plan also has Chaos Mesh PodChaos manifests: pod-kill for delete
chains, pod-failure and container-kill for update chains, selecting pods by the label selectors the
component's pod-handler registrations spell literally (none: the PodChaos namespace, one pod), each
with its blast radius: the chains that event wakes in every component and their cascade hops.
Pure functions from table rows to the plan document; the command is a thin shell around them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import click
import yaml

from kubetorch import __version__
from pipeline.cli_errors import fail
from pipeline.exports import starts_with, write_output
from pipeline.output import read_manifest
from pipeline.runs import optional_rows, rows, run_source, short_name, table

CATEGORIES = ("unobserved-state", "stale-state", "intermediate-state")
YAML_MARKER = "# kubetorch fault-injection plan"
CHAOS_MARKER = "# kubetorch PodChaos manifests"
CHAOS_API_VERSION = "chaos-mesh.org/v1alpha1"
# pod event -> the PodChaos actions that cause it
POD_ACTIONS = {"delete": ("pod-kill",), "update": ("pod-failure", "container-kill")}
# a read step whose operation (chains.path[].via) is one of these takes from a queue, not a cache
QUEUE_READS = ("queue.", "Pop", "chan ", "receive")


@dataclass
class Fault:
    category: str
    component: str
    key: tuple  # what makes this fault one fault (see the module docstring)
    fault: str  # one line for people
    why: str
    where: list[dict] = field(default_factory=list)  # {function, file, line}
    chains: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        digest = hashlib.sha1(repr((self.category, self.component, self.key)).encode()).hexdigest()
        return f"{self.category.split('-')[0]}-{digest[:10]}"


def _site(function: str | None, file: str | None, line: int | None) -> dict:
    return {"function": function, "file": file, "line": line}


def _add_site(fault: Fault, site: dict) -> None:
    if site not in fault.where:
        fault.where.append(site)


def _write_key(c: dict) -> tuple:
    return (c.get("sink_function"), c.get("sink_line"), c.get("api_verb"), c.get("api_resource"))


def _write_text(c: dict) -> str:
    return f"{c.get('api_verb')} {c.get('api_resource')}"


def _read_text(read: dict) -> str:
    """A chains.reads struct (or a library-read accesses row) for people: `lister pods`."""
    return f"{read.get('kind') or read.get('via')} {read.get('resource')}"


def faults_of(chains: list[dict], handlers: list[dict], accesses: list[dict]) -> list[Fault]:
    """Every fault of the three categories on these chains, with the chains each one reaches.
    `accesses`: the library reads of the accesses table (shared_state null: via is the read's
    kind, resource what it reads)."""
    found: dict[tuple, Fault] = {}

    def get(category: str, component: str, key: tuple, text: str, why: str) -> Fault:
        k = (category, component, key)
        if k not in found:
            found[k] = Fault(category, component, key, text, why)
        return found[k]

    registrations: dict[tuple, list[dict]] = {}
    for h in handlers:
        k = (h.get("component"), h.get("informer_resource"), h.get("event"))
        site = _site(h.get("registration"), h.get("registration_file"), h.get("registration_line"))
        if site not in registrations.setdefault(k, []):
            registrations[k].append(site)
    reads_at: dict[str, list[dict]] = {}
    for a in accesses:
        if a.get("shared_state") is None and a.get("resource") is not None:
            reads_at.setdefault(a.get("function") or "", []).append(a)
    writes_of_reader: dict[tuple, set[tuple]] = {}
    for c in chains:
        writes_of_reader.setdefault((c.get("component"), c.get("reader")), set()).add(_write_key(c))

    for c in chains:
        component = c.get("component") or ""
        cid = c["chain_id"]
        resource, event = c.get("informer_resource"), c.get("event")
        f = get(
            "unobserved-state",
            component,
            (resource, event),
            f"delay or drop the {event} event of {resource} before {short_name(component)} sees it",
            f"the handlers of {resource} {event} do not run, so they do not write the shared state the "
            f"reader turns into writes; the controller writes late, or never, for that object",
        )
        f.chains.add(cid)
        for site in registrations.get((component, resource, event), []):
            _add_site(f, site)

        on_path = {s.get("function") for s in c.get("path") or []}
        for read in c.get("reads") or []:
            what = _read_text(read)
            for fn in sorted(x for x in on_path if x):
                for a in reads_at.get(fn, []):
                    if (a.get("via"), a.get("resource")) != (read.get("kind"), read.get("resource")):
                        continue
                    f = get(
                        "stale-state",
                        component,
                        (fn, a.get("line"), what),
                        f"serve {what} stale in {short_name(fn)}",
                        f"{short_name(fn)} reads {what}; the writes derived from what it returns are "
                        "computed from an old object",
                    )
                    f.chains.add(cid)
                    _add_site(f, _site(fn, a.get("file"), a.get("line")))
        for s in c.get("path") or []:
            if s.get("kind") == "read" and not any(q in (s.get("via") or "") for q in QUEUE_READS):
                state = c.get("shared_state") or s.get("state") or ""
                f = get(
                    "stale-state",
                    component,
                    (s.get("function"), s.get("line"), state),
                    f"serve {short_name(state)} stale to {short_name(s.get('function'))}",
                    f"{short_name(s.get('function'))} reads the cache {short_name(state)} that handlers fill; a view "
                    "that lags the informer makes the reader decide on old objects",
                )
                f.chains.add(cid)
                _add_site(f, _site(s.get("function"), s.get("file"), s.get("line")))

        others = writes_of_reader.get((component, c.get("reader")), set()) - {_write_key(c)}
        # an Event recorded before a crash leaves no object state behind for the restart to act on
        if others and (c.get("kind") or "write") == "write":
            f = get(
                "intermediate-state",
                component,
                (c.get("reader"), _write_key(c)),
                f"crash {short_name(component)} right after {_write_text(c)} in {short_name(c.get('sink_function'))}",
                f"{short_name(c.get('reader'))} reaches {len(others) + 1} writes; a crash after this one "
                "leaves it in the cluster without the others, and the restarted controller acts on that "
                "intermediate state",
            )
            _add_site(f, _site(c.get("sink_function"), c.get("sink_file"), c.get("sink_line")))
    # an intermediate-state fault reaches the chains whose writes the crash cuts off
    by_reader: dict[tuple, list[dict]] = {}
    for c in chains:
        by_reader.setdefault((c.get("component"), c.get("reader")), []).append(c)
    for f in found.values():
        if f.category == "intermediate-state":
            reader, write = f.key
            f.chains = {c["chain_id"] for c in by_reader[(f.component, reader)] if _write_key(c) != write}
    return list(found.values())


def hops_of(chain_ids: Iterable[str], chains_by_id: dict[str, dict], cascades: list[dict]) -> list[dict]:
    """The cascade edges out of these chains' writes: which handlers those writes wake."""
    out_of: dict[tuple, list[dict]] = {}
    for e in cascades:
        out_of.setdefault(
            (e["from_component"], e["sink_function"], e["api_verb"], e["api_resource"]), []
        ).append(e)
    hops: dict[tuple, dict] = {}
    for cid in chain_ids:
        c = chains_by_id.get(cid)
        if c is None:
            continue
        key = (c.get("component"), c.get("sink_function"), c.get("api_verb"), c.get("api_resource"))
        for e in out_of.get(key, []):
            hop = {
                "from_component": e["from_component"],
                "write": f"{e['api_verb']} {e['api_resource']}",
                "to_component": e["to_component"],
                "event": f"{e['informer_resource']} {e['event']}",
                "handler": e["handler"],
            }
            hops[tuple(hop.values())] = hop
    return [hops[k] for k in sorted(hops)]


def ranked(faults: list[Fault], chains_by_id: dict[str, dict], cascades: list[dict]) -> list[dict]:
    """Faults as plan entries, the ones reaching the most chains and cascade hops first."""
    entries = []
    for f in faults:
        hops = hops_of(f.chains, chains_by_id, cascades)
        entries.append(
            {
                "id": f.id,
                "category": f.category,
                "fault": f.fault,
                "component": f.component,
                "where": sorted(
                    f.where, key=lambda s: (s["file"] or "", s["line"] or 0, s["function"] or "")
                ),
                "why": f.why,
                "reaches": {
                    "chains": len(f.chains),
                    "cascade_hops": len(hops),
                    "score": len(f.chains) + len(hops),
                },
                "chains": sorted(f.chains),
                "cascade_hops": hops,
            }
        )
    entries.sort(key=lambda e: (-e["reaches"]["score"], CATEGORIES.index(e["category"]), e["fault"], e["id"]))
    return [{"rank": i, **e} for i, e in enumerate(entries, start=1)]


# ---------------------------------------------------------------- Chaos Mesh PodChaos

_SELECTOR_LITERAL = re.compile(r'LabelSelector\s*(?::|=)\s*"([^"\\]*)"')
_LABEL = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?")


def literal_label_selector(sources: Iterable[str]) -> dict[str, str]:
    """Equality label selectors spelt as string literals (`LabelSelector: "app=x,tier=y"`) in the
    sources that register a component's pod handlers; set-based or computed selectors give none."""
    labels: dict[str, str] = {}
    for text in sources:
        for m in _SELECTOR_LITERAL.finditer(text):
            for part in m.group(1).split(","):
                k, sep, v = part.strip().partition("=")
                k, v = k.strip().rstrip("="), v.strip().lstrip("=")
                if sep and "!" not in k and _LABEL.fullmatch(k) and (v == "" or _LABEL.fullmatch(v)):
                    labels[k] = v
    return dict(sorted(labels.items()))


def _dns_name(component: str, action: str) -> str:
    """`kt-<struct>-<action>-<hash of component and action>`: a DNS-1123 name of at most 63."""
    text = re.sub(r"[^a-z0-9-]+", "-", f"kt-{short_name(component).split('.')[-1]}-{action}".lower()).strip(
        "-"
    )
    digest = hashlib.sha1(f"{component} {action}".encode()).hexdigest()[:8]
    return text[: 63 - 9].rstrip("-") + "-" + digest


def pod_chaos(
    component: str, event: str, action: str, labels: dict[str, str], chains: list[str], hops: list[dict]
) -> dict:
    spec: dict[str, Any] = {"action": action, "mode": "one", "selector": {}}
    if labels:
        spec["selector"]["labelSelectors"] = labels
    if action == "pod-kill":
        spec["gracePeriod"] = 0
    if action == "pod-failure":
        spec["duration"] = "30s"
    annotations = {
        "kubetorch.io/component": component,
        "kubetorch.io/pod-event": event,
        "kubetorch.io/selector": "literal label selector from the code"
        if labels
        else "no literal label selector in the code: one pod of this PodChaos's namespace",
    }
    annotations["kubetorch.io/blast-radius"] = f"{len(chains)} chains, {len(hops)} cascade hops"
    if action == "container-kill":
        annotations["kubetorch.io/container-names"] = (
            "the code names no container: add spec.containerNames before applying"
        )
    manifest = {
        "apiVersion": CHAOS_API_VERSION,
        "kind": "PodChaos",
        "metadata": {
            "name": _dns_name(component, action),
            "annotations": annotations,
        },
        "spec": spec,
    }
    return {"manifest": manifest, "blast_radius": {"chains": chains, "cascade_hops": hops}}


def chaos_entries(
    chains: list[dict],
    all_chains: list[dict],
    handlers: list[dict],
    cascades: list[dict],
    sources: dict[str, str],
) -> list[dict]:
    """PodChaos manifests for the pod-triggered chains of each component in `chains`."""
    by_id = {c["chain_id"]: c for c in all_chains}
    woken: dict[str, list[str]] = {}
    for c in all_chains:
        if c.get("informer_resource") == "pods":
            woken.setdefault(c.get("event") or "", []).append(c["chain_id"])
    out = []
    components = sorted({c.get("component") or "" for c in chains if c.get("informer_resource") == "pods"})
    for component in components:
        events = sorted(
            {
                c.get("event")
                for c in chains
                if c.get("component") == component and c.get("informer_resource") == "pods"
            }
        )
        files = sorted(
            {
                h.get("registration_file")
                for h in handlers
                if h.get("component") == component and h.get("informer_resource") == "pods"
            }
            - {None}
        )
        labels = literal_label_selector(sources[f] for f in files if f in sources)
        for event in events:
            radius = sorted(woken.get(event or "", []))
            hops = hops_of(radius, by_id, cascades)
            for action in POD_ACTIONS.get(event or "", ()):
                out.append(pod_chaos(component, event or "", action, labels, radius, hops))
    return out


def plan_document(
    chains: list[dict],
    all_chains: list[dict],
    handlers: list[dict],
    accesses: list[dict],
    cascades: list[dict],
    sources: dict[str, str],
    manifest: dict,
    component: str | None = None,
) -> dict:
    by_id = {c["chain_id"]: c for c in all_chains}
    faults = ranked(faults_of(chains, handlers, accesses), by_id, cascades)
    per_chain: dict[str, list[str]] = {}
    for f in faults:
        for cid in f["chains"]:
            per_chain.setdefault(cid, []).append(f["id"])
    return {
        "generator": f"kubetorch {manifest.get('tool_version') or __version__}",
        "release": manifest.get("release"),
        "component": component,
        "counts": {
            "chains": len(chains),
            "faults": len(faults),
            **{c: sum(1 for f in faults if f["category"] == c) for c in CATEGORIES},
        },
        "faults": faults,
        "chains": [
            {
                "chain_id": c["chain_id"],
                "component": c.get("component"),
                "trigger": f"{c.get('informer_resource')} {c.get('event')}",
                "write": _write_text(c),
                "faults": per_chain.get(c["chain_id"], []),
            }
            for c in sorted(chains, key=lambda c: (c.get("component") or "", c["chain_id"]))
        ],
        "pod_chaos": chaos_entries(chains, all_chains, handlers, cascades, sources),
    }


def read_sources(tree: str | None, files: Iterable[str]) -> dict[str, str]:
    """The registration files of pod handlers, from the analysed tree when it is still there."""
    out: dict[str, str] = {}
    if not tree or not os.path.isdir(tree):
        return out
    for rel in files:
        try:
            with open(os.path.join(tree, rel), encoding="utf-8", errors="replace") as f:
                out[rel] = f.read()
        except OSError:
            continue
    return out


def library_reads(out: str) -> list[dict]:
    """The accesses rows of lister, cache and API reads, those without a shared_state (the table
    is large: filter before rows)."""
    import pyarrow.compute as pc

    t = table(out, "accesses")
    return t.filter(pc.is_null(t["shared_state"])).to_pylist()


def _yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True, width=110)


def render(doc: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "chaos-mesh":
        docs = [e["manifest"] for e in doc["pod_chaos"]]
        return CHAOS_MARKER + "\n" + "".join("---\n" + _yaml(d) for d in docs)
    return f"{YAML_MARKER} ({doc['generator']})\n" + _yaml(doc)


def is_plan_by_kubetorch(head: bytes) -> bool:
    if head.lstrip().startswith((YAML_MARKER.encode(), CHAOS_MARKER.encode())):
        return True
    try:
        doc = json.loads(head)
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(doc, dict) and str(doc.get("generator", "")).startswith("kubetorch ") and "faults" in doc
    )


@click.command("plan")
@run_source
@click.option("--component", default=None, help="Only chains of components whose name contains this.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json", "chaos-mesh"]),
    default="yaml",
    show_default=True,
    help="chaos-mesh: only the PodChaos manifests, as a YAML stream for kubectl apply.",
)
@click.option(
    "-o", "--output", "target", default="-", show_default=True, help="File to write (`-` for stdout)."
)
@click.option("--top", type=click.IntRange(min=1), default=None, help="Keep the N highest-ranked faults.")
def plan_command(out: str, component: str | None, fmt: str, target: str, top: int | None) -> None:
    """Fault-injection plan for the chains of a run: unobserved, stale and intermediate state
    faults ranked by the chains and cascade hops they reach, and PodChaos manifests.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    all_chains = rows(out, "chains")
    chains = all_chains
    if component:
        chains = [c for c in chains if component in (c.get("component") or "")]
        if not chains:
            known = sorted({c.get("component") or "" for c in all_chains})
            fail(f"no chains of a component matching {component!r} ({len(known)} components have chains)")
    handlers = rows(out, "handlers")
    manifest = read_manifest(out)
    pod_files = {
        h.get("registration_file")
        for h in handlers
        if h.get("informer_resource") == "pods" and h.get("registration_file")
    }
    doc = plan_document(
        chains,
        all_chains,
        handlers,
        library_reads(out),
        optional_rows(out, "cascades") or [],
        read_sources(manifest.get("tree"), sorted(pod_files)),
        manifest,
        component,
    )
    if top is not None:
        doc["faults"] = doc["faults"][:top]
    ours = is_plan_by_kubetorch if fmt != "chaos-mesh" else starts_with(CHAOS_MARKER)
    write_output(target, render(doc, fmt), ours)
