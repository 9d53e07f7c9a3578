"""`kubetorch cascades OUT --from COMPONENT`: whose handlers a component's writes wake, and onwards.

Breadth-first over the run's `cascades` table: depth 1 are the edges out of the component,
depth 2 the edges out of the components those woke, and so on; each component is expanded once.
A run without a cascades table gets one computed from its chains and handlers.
"""

from __future__ import annotations

import click

from kubetorch.cascades import cascade_rows
from pipeline.cli_errors import fail
from pipeline.formats import format_option, render
from pipeline.runs import check_run, optional_rows, rows, run_source, short_name


def load_edges(out: str) -> list[dict]:
    check_run(out)
    edges = optional_rows(out, "cascades")
    if edges is None:
        edges = cascade_rows(rows(out, "chains"), rows(out, "handlers"))
    return edges


def components_of(out: str, edges: list[dict]) -> list[str]:
    names = {e["from_component"] for e in edges} | {e["to_component"] for e in edges}
    for table in ("chains", "handlers"):
        names |= {r.get("component") for r in optional_rows(out, table) or []}
    return sorted(n for n in names if n)


def resolve_component(pattern: str, known: list[str]) -> str:
    """An exact name, or a substring that names exactly one component."""
    if pattern in known:
        return pattern
    matches = [k for k in known if pattern in k]
    if len(matches) == 1:
        return matches[0]
    listed = matches or known
    shown = ", ".join(listed[:12]) + (f", ... ({len(listed) - 12} more)" if len(listed) > 12 else "")
    if matches:
        fail(f"component {pattern!r} is ambiguous: {shown}")
    fail(f"unknown component {pattern!r} (components: {shown or 'none'})")


def walk(edges: list[dict], start: str, depth: int) -> list[tuple[int, dict]]:
    """(depth, edge) breadth-first from `start`, each component expanded once, up to `depth`."""
    out_of: dict[str, list[dict]] = {}
    for e in edges:
        out_of.setdefault(e["from_component"], []).append(e)
    seen = {start}
    frontier = [start]
    found: list[tuple[int, dict]] = []
    for level in range(1, depth + 1):
        following = []
        for component in frontier:
            for e in out_of.get(component, []):
                found.append((level, e))
                if e["to_component"] not in seen:
                    seen.add(e["to_component"])
                    following.append(e["to_component"])
        if not following:
            break
        frontier = sorted(following)
    return found


def edge_line(level: int, e: dict) -> str:
    return (
        f"{level}  {e['from_component']} -> {e['to_component']}: "
        f"{e['api_verb']} {e['api_resource']} ({short_name(e['sink_function'])}) "
        f"wakes {e['informer_resource']} {e['event']} {short_name(e['handler'])}"
    )


COLUMNS = (
    "depth",
    "from_component",
    "sink_function",
    "api_verb",
    "api_resource",
    "to_component",
    "informer_resource",
    "event",
    "handler",
)


@click.command("cascades")
@run_source
@click.option("--from", "start", required=True, metavar="COMPONENT", help="Component (or unique substring).")
@click.option(
    "--depth", type=click.IntRange(1), default=3, show_default=True, help="How many hops to follow."
)
@format_option()
def cascades_command(out: str, start: str, depth: int, fmt: str) -> None:
    """Walk the cascade edges of a run from a component: its writes, whose handlers they wake, on.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    edges = load_edges(out)
    component = resolve_component(start, components_of(out, edges))
    found = walk(edges, component, depth)
    reached = {e["to_component"] for _, e in found} - {component}
    rows_ = [[level, *(e.get(k) for k in COLUMNS[1:])] for level, e in found]
    footer = (
        f"{len(found)} edge(s) from {component} (depth <= {depth}), {len(reached)} other component(s) reached"
    )
    names = ("from_component", "sink_function", "to_component", "handler")
    click.echo(render(fmt, COLUMNS, rows_, short=names, footer=footer), nl=False)
