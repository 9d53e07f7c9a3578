"""`kubetorch rbac OUT`: the run's writes held against RBAC, forbidden ones first with their witness.

A forbidden write cannot happen in production: it is a false chain or a Kubernetes bug, so each
is printed with the chain that reaches it. Then the writes of components without a role, a
count per component, and (with --unreached) the write rules no chain reaches. `--format json|csv`
gives the rbac table's rows themselves, in that order.
"""

from __future__ import annotations

import click

from pipeline import formats
from pipeline.cli_errors import fail
from pipeline.formats import format_option
from pipeline.rbac import STATUS_ALLOWED, STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_UNREACHED
from pipeline.runs import location, optional_rows, rows, run_source, short_name, table
from pipeline.show import match_component

STATUSES = (STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_ALLOWED, STATUS_UNREACHED)


def witness_lines(chain: dict | None) -> list[str]:
    """The chain's witness, one step a line: where, what, which function."""
    if chain is None:
        return []
    head = f"    chain {chain['chain_id']}: {chain['informer_resource']} {chain['event']} -> {short_name(chain['handler'])}"
    out = [
        head,
        f"      shared state {short_name(chain['shared_state'])}, read by {short_name(chain['reader'])}",
    ]
    for s in chain.get("path") or []:
        out.append(f"      {location(s['file'], s['line']):<60} {s['step']:<28} {short_name(s['function'])}")
    return out


def _table(columns: tuple[str, ...], cells: list[list]) -> list[str]:
    """A section's rows under a header, indented (formats.table: nothing cut outside a terminal)."""
    text = formats.table(columns, cells, width=formats.terminal_width(), footer="")
    return ["  " + line for line in text.splitlines()]


def rbac_text(items: list[dict], chains: dict[str, dict], unreached: bool) -> str:
    out: list[str] = []
    forbidden = [r for r in items if r["status"] == STATUS_FORBIDDEN]
    out.append(f"forbidden writes: {len(forbidden)}")
    for r in sorted(forbidden, key=lambda r: (r["component"], r["api_resource"] or "", r["api_verb"] or "")):
        out.append(
            f"  {r['component']}  {r['api_verb']} {r['api_resource']}  as {r['account']}"
            f"  at {location(r['sink_file'], r['sink_line'])} ({short_name(r['sink_function'])})"
        )
        out += witness_lines(chains.get(r["chain_id"] or ""))
    no_role = [r for r in items if r["status"] == STATUS_NO_ROLE]
    if no_role:
        out.append(f"writes of components without a role: {len(no_role)}")
        out += _table(
            ("component", "write", "account", "note"),
            [
                [r["component"], f"{r['api_verb']} {r['api_resource']}", r["account"] or "-", r["note"] or ""]
                for r in sorted(no_role, key=lambda r: (r["component"], r["api_resource"] or ""))
            ],
        )
    out.append("per component:")
    per: dict[str, list[int]] = {}
    for r in items:
        counts = per.setdefault(r["component"], [0, 0, 0, 0])
        counts[[STATUS_ALLOWED, STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_UNREACHED].index(r["status"])] += 1
    account = {r["component"]: r["account"] or "-" for r in items if r["kind"] != "rule"}
    out += _table(
        ("component", "account", "allowed", "forbidden", "no role", "unreached rules"),
        [[c, account.get(c, "-"), *counts] for c, counts in sorted(per.items())],
    )
    if unreached:
        rules = [r for r in items if r["status"] == STATUS_UNREACHED]
        out.append(f"write rules no chain reaches: {len(rules)}")
        out += _table(
            ("component", "rule", "role", "rule_source"),
            [
                [
                    r["component"],
                    f"{r['api_verb']} {r['api_resource']}",
                    r["role"] or "",
                    r["rule_source"] or "",
                ]
                for r in sorted(
                    rules, key=lambda r: (r["component"], r["api_resource"] or "", r["api_verb"] or "")
                )
            ],
        )
    return "\n".join(out) + "\n"


def ordered_rows(items: list[dict], unreached: bool) -> list[dict]:
    """The rows json and csv print: forbidden, no role, allowed, then (with --unreached) the
    unreached rules; by component and write within each."""
    kept = [r for r in items if unreached or r["status"] != STATUS_UNREACHED]
    return sorted(
        kept,
        key=lambda r: (
            STATUSES.index(r["status"]),
            r["component"],
            r["api_resource"] or "",
            r["api_verb"] or "",
            r["role"] or "",
        ),
    )


@click.command("rbac")
@run_source
@click.option("--component", default=None, help="Only components whose name contains this.")
@click.option(
    "--unreached", is_flag=True, help="Also list the write rules of each role that no chain reaches."
)
@format_option()
def rbac_command(out: str, component: str | None, unreached: bool, fmt: str) -> None:
    """A run's writes held against the RBAC role of each component's account.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    items = optional_rows(out, "rbac")
    if items is None:
        fail(f"{out}: no rbac table (the tree had no RBAC bootstrap policy; analyze again with --rbac FILE)")
    items = match_component(items, component, "rbac rows")
    if fmt != "table":
        names = tuple(table(out, "rbac").schema.names)
        kept = ordered_rows(items, unreached)
        click.echo(formats.render(fmt, names, [[r.get(n) for n in names] for r in kept]), nl=False)
        return
    chains = {c["chain_id"]: c for c in rows(out, "chains")}
    click.echo(rbac_text(items, chains, unreached), nl=False)
