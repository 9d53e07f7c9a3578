"""`kubetorch handlers` and `kubetorch chains`: a run's tables for people (or, with --format json
or csv, for programs).

The table shows the columns that tell two rows apart (the sink function too: two `create events`
chains of one handler differ only there), names shortened to their last import-path segment where
that keeps them distinct. `chains --explain ID` shows one chain in full with its witness path;
`chains --from X --to Y` keeps the chains whose path goes from X to Y.
"""

from __future__ import annotations

import click

from pipeline.cli_errors import fail
from pipeline.formats import format_option, render_dicts
from pipeline.runs import location, run_source, table


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


def ordered(items: list[dict], key: tuple[str, ...]) -> list[dict]:
    return sorted(items, key=lambda r: tuple(str(r.get(k) or "") for k in ("component", *key)))


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


def _components(items: list[dict]) -> int:
    return len({r.get("component") for r in items})


HANDLER_COLUMNS = ("component", "informer_resource", "event", "handler", "filter", "via", "registered_at")
CHAIN_COLUMNS = (
    "component",
    "chain_id",
    "event",
    "handler",
    "shared_state",
    "reader",
    "sink_function",
    "write",
)
NAMES = ("component", "handler", "filter", "shared_state", "reader", "sink_function")


def handlers_text(items: list[dict], fmt: str = "table", all_columns: tuple[str, ...] = ()) -> str:
    items = ordered(items, ("informer_resource", "event", "handler", "registration_line"))
    return render_dicts(
        fmt,
        items,
        HANDLER_COLUMNS,
        short=NAMES,
        footer=f"{len(items)} handler(s) in {_components(items)} component(s)",
        derived={
            "informer_resource": _resource,
            "registered_at": lambda h: location(h.get("registration_file"), h.get("registration_line")),
        },
        all_columns=all_columns,
    )


def chains_text(items: list[dict], fmt: str = "table", all_columns: tuple[str, ...] = ()) -> str:
    items = ordered(items, ("informer_resource", "event", "handler", "api_resource", "sink_function"))
    return render_dicts(
        fmt,
        items,
        CHAIN_COLUMNS,
        short=NAMES,
        footer=(
            f"{len(items)} chain(s) in {_components(items)} component(s); "
            "`kubetorch chains OUT --explain ID` shows one"
        ),
        derived={
            "event": lambda c: f"{c.get('informer_resource')} {c.get('event')}",
            "write": lambda c: f"{c.get('api_verb')} {c.get('api_resource')}",
        },
        all_columns=all_columns,
    )


def _reads(c: dict) -> str:
    out = []
    for r in c.get("reads") or []:
        if isinstance(r, dict):
            out.append(f"{r.get('kind')} {r.get('resource')}")
        else:
            out.append(str(r))
    return ", ".join(out) or "-"


def explain_text(c: dict) -> str:
    fields = [
        ("chain", c.get("chain_id")),
        ("component", c.get("component")),
        ("event", f"{c.get('informer_resource')} {c.get('event')}"),
        ("handler", c.get("handler")),
        ("registered at", location(c.get("registration_file"), c.get("registration_line"))),
        ("shared state", c.get("shared_state")),
        ("reader", c.get("reader")),
        ("reads", _reads(c)),
        ("sink", f"{c.get('api_verb')} {c.get('api_resource')} ({c.get('kind')})"),
        ("sink function", c.get("sink_function")),
        ("sink at", location(c.get("sink_file"), c.get("sink_line"))),
        ("release", c.get("release") or "-"),
    ]
    width = max(len(k) for k, _ in fields)
    out = [f"{k.ljust(width)}  {v or ''}".rstrip() for k, v in fields]
    out += ["", "witness path:"]
    steps = c.get("path") or []
    for i, s in enumerate(steps, 1):
        out.append(
            f"{f'{i}.':>4} {(s.get('kind') or ''):<8} {s.get('function') or ''}  "
            f"{location(s.get('file'), s.get('line'))}"
        )
        detail = s.get("step") or ""
        if s.get("snippet"):
            detail += f":  {s['snippet']}"
        out.append(f"{'':13}{detail}")
        if s.get("url"):
            out.append(f"{'':13}{s['url']}")
    if not steps:
        out.append("  (no path recorded)")
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


# ---------------------------------------------------------------- path queries


def _name_matches(pattern: str, name: str | None) -> bool:
    """A qualified name matches its full spelling, or any dotted tail of it (`addPod`,
    `(*Controller).addPod`, `replicaset.Controller.queue`)."""
    if not name:
        return False
    return name == pattern or name.endswith("." + pattern) or name.endswith("/" + pattern)


def start_index(c: dict, pattern: str) -> int | None:
    """Where a chain's path starts to match --from: its informer resource, handler, shared state,
    or any function on the witness (the first step at that function)."""
    if pattern == c.get("informer_resource") or _name_matches(pattern, c.get("handler")):
        return 0
    steps = c.get("path") or []
    for i, s in enumerate(steps):
        if _name_matches(pattern, s.get("function")) or _name_matches(pattern, s.get("state")):
            return i
    if _name_matches(pattern, c.get("shared_state")):
        return 0
    return None


def end_index(c: dict, pattern: str) -> int | None:
    """Where a chain matches --to: its API resource or sink function (the last step), or any
    function on the witness."""
    steps = c.get("path") or []
    last = max(len(steps) - 1, 0)
    if pattern == c.get("api_resource") or _name_matches(pattern, c.get("sink_function")):
        return last
    found = [i for i, s in enumerate(steps) if _name_matches(pattern, s.get("function"))]
    return found[-1] if found else None


def path_query(items: list[dict], start: str | None, end: str | None) -> list[dict]:
    """The chains going from `start` to `end` (either may be None: anything)."""
    kept = []
    for c in items:
        i = start_index(c, start) if start else 0
        j = end_index(c, end) if end else len(c.get("path") or [])
        if i is not None and j is not None and i <= j:
            kept.append(c)
    return kept


@click.command("handlers")
@run_source
@click.option("--component", default=None, help="Only components whose name contains this.")
@format_option()
def handlers_command(out: str, component: str | None, fmt: str) -> None:
    """The informer handlers of a run: resource, event, handler, filter, registration file:line.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    t = table(out, "handlers")
    items = match_component(t.to_pylist(), component, "handlers")
    click.echo(handlers_text(items, fmt, tuple(t.schema.names)), nl=False)


@click.command("chains")
@run_source
@click.option("--component", default=None, help="Only components whose name contains this.")
@click.option(
    "--explain", "explain", default=None, metavar="CHAIN_ID", help="Show one chain and its witness path."
)
@click.option(
    "--from",
    "start",
    default=None,
    metavar="X",
    help="Only chains from X: an informer resource, handler, shared state or function on the path.",
)
@click.option(
    "--to",
    "end",
    default=None,
    metavar="Y",
    help="Only chains to Y: an API resource or sink function (or a function on the path after X).",
)
@format_option()
def chains_command(
    out: str, component: str | None, explain: str | None, start: str | None, end: str | None, fmt: str
) -> None:
    """The chains of a run: event -> handler -> shared state -> reader -> sink function -> write.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels. Names given
    to --from and --to match in full or by a dotted tail (`addPod`, `Controller.queue`).
    """
    t = table(out, "chains")
    names = tuple(t.schema.names)
    items = match_component(t.to_pylist(), component, "chains")
    if explain:
        c = find_chain(items, explain)
        click.echo(explain_text(c) if fmt == "table" else chains_text([c], fmt, names), nl=False)
        return
    for option, pattern, where in (("--from", start, start_index), ("--to", end, end_index)):
        if pattern and not any(where(c, pattern) is not None for c in items):
            fail(f"{option} {pattern!r} matches no resource, function or state of any chain here")
    click.echo(chains_text(path_query(items, start, end), fmt, names), nl=False)
