"""`kubetorch report OUT --html FILE`: one self-contained HTML page to look at a run.

A sortable, filterable list of components (it opens on the one with the most chains), per
component a graph of informer events -> handlers -> shared state -> readers -> sinks with its
chains below (click one for its witness, step by step with file:line and source), and the cascade
graph between components; laid out by dagre (vendored in pipeline/assets, MIT) and drawn as SVG by
plain JS. Everything is inlined so the page opens from a file with no network. Every count on the
page is a count of the tables' rows, and the page says what it folds: chains sharing a step share
its node, cascade rows between the same two components are one edge.
"""

from __future__ import annotations

import html
import itertools
import json
from importlib import resources
from typing import Any

import click

from kubetorch.cascades import cascade_rows
from pipeline.output import GENERATOR, claim_output_file, read_manifest, write_file_atomically
from pipeline.runs import check_run, location, optional_rows, rows, run_source, short_name

ASSETS = ("dagre.min.js", "report.js", "report.css")


def asset(name: str) -> str:
    return (resources.files("pipeline") / "assets" / name).read_text(encoding="utf-8")


class _Graph:
    """Nodes and edges of one component's picture, deduplicated, in first-seen order."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple[str, str], dict] = {}

    def node(self, kind: str, key: str | None, label: str, title: str | None = None) -> str | None:
        if not key:
            return None
        node_id = f"{kind}:{key}"
        self.nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": label, "title": title or key})
        return node_id

    def path(self, ids: list[str | None]) -> None:
        present = [i for i in ids if i]
        for a, b in itertools.pairwise(present):
            self.edges.setdefault((a, b), {"from": a, "to": b, "label": ""})


def _step_text(st: dict) -> str:
    """The step in words, its state named short (the panel has the full names on hover)."""
    text, state = st.get("step") or "", st.get("state")
    return text.replace(state, short_name(state)) if state else text


def _steps(c: dict) -> list[dict]:
    return [
        {
            "kind": st.get("kind") or "",
            "step": _step_text(st),
            "function": st.get("function") or "",
            "short": short_name(st.get("function")),
            "at": location(st.get("file"), st.get("line")),
            "snippet": st.get("snippet") or "",
            "url": st.get("url") or "",
        }
        for st in c.get("path") or []
    ]


def component_view(name: str, chains: list[dict], handlers: list[dict]) -> dict[str, Any]:
    g = _Graph()

    def event(r: dict) -> str | None:
        text = f"{r.get('informer_resource')} {r.get('event')}"
        return g.node("event", text, text)

    for h in sorted(handlers, key=lambda h: (h.get("informer_resource") or "", h.get("event") or "")):
        g.path([event(h), g.node("handler", h.get("handler"), short_name(h.get("handler")))])
    listed = []
    for c in chains:
        write = f"{c.get('api_verb')} {c.get('api_resource')}"
        g.path(
            [
                event(c),
                g.node("handler", c.get("handler"), short_name(c.get("handler"))),
                g.node("state", c.get("shared_state"), short_name(c.get("shared_state"))),
                g.node("reader", c.get("reader"), short_name(c.get("reader"))),
                g.node("sink", write, write, f"{write} ({c.get('kind')})"),
            ]
        )
        listed.append(
            {
                "id": c.get("chain_id"),
                "event": f"{c.get('informer_resource')} {c.get('event')}",
                "handler": short_name(c.get("handler")),
                "state": short_name(c.get("shared_state")),
                "reader": short_name(c.get("reader")),
                "sink": short_name(c.get("sink_function")),
                "write": write,
                "at": location(c.get("sink_file"), c.get("sink_line")),
                "steps": _steps(c),
            }
        )
    sinks = {(c.get("sink_function"), c.get("api_verb"), c.get("api_resource")) for c in chains}
    return {
        "name": name,
        "short": short_name(name),
        "handlers": len(handlers),
        "sinks": len(sinks),
        "resources": len({c.get("api_resource") for c in chains}),
        "nodes": list(g.nodes.values()),
        "edges": list(g.edges.values()),
        "chains": listed,
    }


def cascade_view(edges: list[dict]) -> list[dict]:
    """Cascade rows merged into one labelled edge per (from, to) component pair; `rows` says how
    many table rows each drawn edge stands for."""
    merged: dict[tuple[str, str], list[dict]] = {}
    for e in edges:
        merged.setdefault((e["from_component"], e["to_component"]), []).append(e)
    out = []
    for (a, b), group in sorted(merged.items()):
        kinds = sorted({f"{e['api_verb']} {e['api_resource']} \u2192 {e['event']}" for e in group})
        label = ", ".join(kinds[:2]) + (f" +{len(kinds) - 2}" if len(kinds) > 2 else "")
        title = "\n".join(
            sorted(
                {
                    f"{e['api_verb']} {e['api_resource']} ({short_name(e['sink_function'])}) wakes "
                    f"{e['informer_resource']} {e['event']} {short_name(e['handler'])}"
                    for e in group
                }
            )
        )
        out.append({"from": a, "to": b, "label": label, "title": title, "rows": len(group)})
    return out


def report_data(
    chains: list[dict], handlers: list[dict], cascades: list[dict], manifest: dict[str, Any]
) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-able data. Components come most chains first:
    the page opens on the first."""
    key = ("informer_resource", "event", "handler", "api_verb", "api_resource", "chain_id")
    chains = sorted(chains, key=lambda c: tuple(str(c.get(k) or "") for k in key))
    names = sorted({r.get("component") or "" for r in chains + handlers} - {""})
    edges = cascade_view(cascades)
    by_component: dict[str, list[dict]] = {}
    for c in chains:
        by_component.setdefault(c.get("component") or "", []).append(c)
    handlers_of: dict[str, list[dict]] = {}
    for h in handlers:
        handlers_of.setdefault(h.get("component") or "", []).append(h)
    components = []
    for name in names:
        view = component_view(name, by_component.get(name, []), handlers_of.get(name, []))
        view["cascades_out"] = sum(e["rows"] for e in edges if e["from"] == name)
        view["cascades_in"] = sum(e["rows"] for e in edges if e["to"] == name)
        components.append(view)
    components.sort(key=lambda v: (-len(v["chains"]), v["name"]))
    return {
        "release": manifest.get("release") or "",
        "started": manifest.get("started") or "",
        "tree": manifest.get("tree") or "",
        "counts": {
            "components": len(names),
            "chains": len(chains),
            "handlers": len(handlers),
            "cascade_rows": len(cascades),
            "cascade_edges": len(edges),
        },
        "components": components,
        "cascades": edges,
    }


def _license_comment() -> str:
    """The vendored library's MIT notices, which must travel with every copy of it."""
    text = "\n".join(asset(name) for name in ("dagre.LICENSE", "graphlib.LICENSE")).replace("*/", "* /")
    return "/*! @dagrejs/dagre 3.1.3 and @dagrejs/graphlib 4.0.6, MIT License:\n" + text + "*/"


def _json_for_script(value: Any) -> str:
    """JSON that cannot end or confuse the <script> element holding it."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: dict[str, Any]) -> str:
    n = data["counts"]
    title = f"kubetorch report{' ' + data['release'] if data['release'] else ''}"
    meta = (
        f"{n['chains']} chains and {n['handlers']} handlers in {n['components']} components; "
        f"{n['cascade_rows']} cascade rows between {n['cascade_edges']} component pairs (the tables' counts)"
        f"{' · tree ' + data['tree'] if data['tree'] else ''}{' · run ' + data['started'] if data['started'] else ''}"
    )
    legend = "".join(
        f'<span class="kind-{k}">{label}</span>'
        for k, label in (
            ("event", "informer event"),
            ("handler", "handler"),
            ("state", "shared state"),
            ("reader", "reader"),
            ("sink", "API write"),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{html.escape(GENERATOR)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
{asset("report.css")}
</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1><div class="meta" id="meta">{html.escape(meta)}</div></header>
<div class="layout">
<nav id="sidebar" aria-label="components">
<input id="filter" type="search" placeholder="filter components" aria-label="filter components">
<label class="sort">sort by <select id="sort" aria-label="sort components">
<option value="chains">chains</option><option value="sinks">sinks</option>
<option value="resources">resources</option><option value="name">name</option></select></label>
<div id="list-count"></div>
<table id="component-list"><thead><tr><th>component</th><th title="chains">chains</th>
<th title="distinct sinks (function, verb, resource)">sinks</th><th title="distinct API resources written">res.</th></tr></thead>
<tbody></tbody></table>
</nav>
<main>
<section>
<h2>Chains of <span id="component-name"></span></h2>
<div id="component-counts" class="note"></div>
<div class="legend">{legend}</div>
<div id="component-graph" class="graph-box"></div>
<div id="chain-list"></div>
<div id="witness" hidden></div>
</section>
<section>
<h2>Cascades: whose handlers this component's writes wake, and whose writes wake it</h2>
<label><input id="all-cascades" type="checkbox"> whole cascade graph</label> <span id="cascade-note" class="note"></span>
<div id="cascade-graph" class="graph-box"></div>
</section>
</main>
</div>
<script type="application/json" id="kubetorch-data">{_json_for_script(data)}</script>
<script>
{_license_comment()}
{asset("dagre.min.js")}
</script>
<script>
{asset("report.js")}
</script>
</body>
</html>
"""


def write_report(out: str, html_file: str) -> dict[str, Any]:
    """Build the page for run folder `out` and write it atomically to `html_file` (only a new file
    or a page kubetorch wrote: the generator meta tag marks it)."""
    claim_output_file(html_file)
    check_run(out)
    chains = rows(out, "chains")
    handlers = optional_rows(out, "handlers") or []
    cascades = optional_rows(out, "cascades")
    if cascades is None:
        cascades = cascade_rows(chains, handlers)
    data = report_data(chains, handlers, cascades, read_manifest(out))
    page = render_html(data)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)

    write_file_atomically(html_file, write)
    return data


@click.command("report")
@run_source
@click.option(
    "--html",
    "html_file",
    required=True,
    type=click.Path(path_type=str),
    help="Page to write (a new file, or a page kubetorch wrote).",
)
def report_command(out: str, html_file: str) -> None:
    """Write one self-contained HTML page (no network needed) drawing the chains and cascades of
    a run (OUT|RELEASE: a run folder, or with --history DIR one of its release labels)."""
    data = write_report(out, html_file)
    n = data["counts"]
    click.echo(
        f"wrote {html_file}: {n['components']} components, {n['chains']} chains, "
        f"{n['cascade_rows']} cascade rows drawn as {n['cascade_edges']} edges"
    )
