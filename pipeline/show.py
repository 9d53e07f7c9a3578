"""`kubetorch handlers` and `kubetorch chains`: a run's tables for people, grouped by component.

Names are shortened to their last import-path segment (`replicaset.(*RSController).addPod`) so a
line fits a terminal; `chains --explain ID` shows one chain in full with its witness path.
"""

from __future__ import annotations

import click

from pipeline.cli_errors import fail, friendly_errors
from pipeline.runs import check_run, location, rows, short_name


def match_component(items: list[dict], pattern: str | None, what: str) -> list[dict]:
    """Rows whose component contains `pattern`; an unknown component is a user error."""
    if not pattern:
        return items
    kept = [r for r in items if pattern in (r.get("component") or "")]
    if not kept:
        known = sorted({r.get("component") or "" for r in items})
        hint = f" (components: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''})" if known else ""
        fail(f"no {what} of a component matching {pattern!r}{hint}")
    return kept


def grouped(items: list[dict], key: tuple[str, ...]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in sorted(items, key=lambda r: tuple(str(r.get(k) or "") for k in ("component", *key))):
        groups.setdefault(r.get("component") or "", []).append(r)
    return groups


def columns(lines: list[list[str]], indent: str = "  ") -> list[str]:
    if not lines:
        return []
    widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
    return [indent + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in lines]


def _resource(h: dict) -> str:
    resource = h.get("informer_resource") or ""
    candidates = h.get("resource_candidates") or []
    if resource == "*" and candidates:
        return f"* ({', '.join(candidates)})"
    return resource


def handlers_text(items: list[dict]) -> str:
    out = []
    for component, group in grouped(items, ("informer_resource", "event", "handler")).items():
        out.append(component)
        out += columns(
            [
                [
                    _resource(h),
                    h.get("event") or "",
                    short_name(h.get("handler")),
                    location(h.get("file"), h.get("line")),
                ]
                for h in group
            ]
        )
        out.append("")
    n = len({h.get("component") for h in items})
    out.append(f"{len(items)} handler(s) in {n} component(s)")
    return "\n".join(out) + "\n"


def chain_line(c: dict) -> list[str]:
    return [
        c.get("chain_id") or "",
        f"{c.get('informer_resource')} {c.get('event')}",
        short_name(c.get("handler")),
        c.get("shared_state") or "",
        short_name(c.get("reader")),
        f"{c.get('api_verb')} {c.get('api_resource')}",
    ]


def chains_text(items: list[dict]) -> str:
    out = []
    for component, group in grouped(items, ("informer_resource", "event", "handler", "api_resource")).items():
        out.append(component)
        out += columns([chain_line(c) for c in group])
        out.append("")
    n = len({c.get("component") for c in items})
    out.append(f"{len(items)} chain(s) in {n} component(s); `kubetorch chains OUT --explain ID` shows one")
    return "\n".join(out) + "\n"


def explain_text(c: dict) -> str:
    fields = [
        ("chain", c.get("chain_id")),
        ("component", c.get("component")),
        ("event", f"{c.get('informer_resource')} {c.get('event')}"),
        ("handler", c.get("handler")),
        ("registered at", location(c.get("registration_file"), c.get("registration_line"))),
        ("shared state", c.get("shared_state")),
        ("reader", c.get("reader")),
        ("reads", ", ".join(c.get("reads") or []) or "-"),
        ("sink", f"{c.get('api_verb')} {c.get('api_resource')} ({c.get('kind')})"),
        ("sink function", c.get("sink_function")),
        ("sink at", location(c.get("sink_file"), c.get("sink_line"))),
        ("release", c.get("release") or "-"),
    ]
    width = max(len(k) for k, _ in fields)
    out = [f"{k.ljust(width)}  {v or ''}".rstrip() for k, v in fields]
    out += ["", "witness path:"]
    steps = c.get("path") or []
    out += columns(
        [
            [f"{i}.", s.get("step") or "", s.get("function") or "", location(s.get("file"), s.get("line"))]
            for i, s in enumerate(steps, 1)
        ]
    ) or ["  (no path recorded)"]
    return "\n".join(out) + "\n"


def find_chain(items: list[dict], chain_id: str) -> dict:
    """The chain with this id, or a unique id prefix of one."""
    exact = [c for c in items if c.get("chain_id") == chain_id]
    found = exact or [c for c in items if (c.get("chain_id") or "").startswith(chain_id)]
    ids = sorted({c.get("chain_id") for c in found})
    if not found:
        fail(f"no chain {chain_id!r} in this run")
    if len(ids) > 1:
        fail(f"chain id prefix {chain_id!r} is ambiguous: {', '.join(ids[:10])}")
    return found[0]


@click.command("handlers")
@click.argument("out", type=click.Path(path_type=str))
@click.option("--component", default=None, help="Only components whose name contains this.")
@friendly_errors
def handlers_command(out: str, component: str | None) -> None:
    """The informer handlers of run folder OUT: resource, event, handler, registration file:line."""
    items = match_component(rows(check_run(out), "handlers"), component, "handlers")
    click.echo(handlers_text(items), nl=False)


@click.command("chains")
@click.argument("out", type=click.Path(path_type=str))
@click.option("--component", default=None, help="Only components whose name contains this.")
@click.option(
    "--explain", "explain", default=None, metavar="CHAIN_ID", help="Show one chain and its witness path."
)
@friendly_errors
def chains_command(out: str, component: str | None, explain: str | None) -> None:
    """The chains of run folder OUT grouped by component: event -> handler -> state -> reader -> write."""
    items = match_component(rows(check_run(out), "chains"), component, "chains")
    if explain:
        click.echo(explain_text(find_chain(items, explain)), nl=False)
    else:
        click.echo(chains_text(items), nl=False)
