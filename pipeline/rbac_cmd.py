"""`kubetorch rbac OUT`: the run's writes held against RBAC, forbidden ones first with their witness.

A forbidden write cannot happen in production: it is a false chain or a Kubernetes bug, so each
is printed with the chain that reaches it. Then the writes of components without a role, a
count per component, and (with --unreached) the write rules no chain reaches.
"""

from __future__ import annotations

import click

from pipeline.cli_errors import fail, friendly_errors
from pipeline.rbac import STATUS_ALLOWED, STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_UNREACHED
from pipeline.runs import check_run, location, optional_rows, rows, short_name
from pipeline.show import columns, match_component


def witness_lines(chain: dict | None) -> list[str]:
    """The chain's witness, one step a line: where, what, which function."""
    if chain is None:
        return []
    head = f"    chain {chain['chain_id']}: {chain['informer_resource']} {chain['event']} -> {short_name(chain['handler'])}"
    out = [head, f"      shared state {chain['shared_state']}, read by {short_name(chain['reader'])}"]
    for s in chain.get("path") or []:
        out.append(f"      {location(s['file'], s['line']):<60} {s['step']:<28} {short_name(s['function'])}")
    return out


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
        out += columns(
            [
                [r["component"], f"{r['api_verb']} {r['api_resource']}", r["account"] or "-", r["note"] or ""]
                for r in sorted(no_role, key=lambda r: (r["component"], r["api_resource"] or ""))
            ]
        )
    out.append("per component: allowed / forbidden / no role / unreached rules")
    per: dict[str, list[int]] = {}
    for r in items:
        counts = per.setdefault(r["component"], [0, 0, 0, 0])
        counts[[STATUS_ALLOWED, STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_UNREACHED].index(r["status"])] += 1
    account = {r["component"]: r["account"] or "-" for r in items if r["kind"] != "rule"}
    out += columns([[c, account.get(c, "-"), *(str(n) for n in counts)] for c, counts in sorted(per.items())])
    if unreached:
        rules = [r for r in items if r["status"] == STATUS_UNREACHED]
        out.append(f"write rules no chain reaches: {len(rules)}")
        out += columns(
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
            ]
        )
    return "\n".join(out) + "\n"


@click.command("rbac")
@click.argument("out", type=click.Path(path_type=str))
@click.option("--component", default=None, help="Only components whose name contains this.")
@click.option(
    "--unreached", is_flag=True, help="Also list the write rules of each role that no chain reaches."
)
@friendly_errors
def rbac_command(out: str, component: str | None, unreached: bool) -> None:
    """Run OUT's writes held against the RBAC role of each component's account."""
    check_run(out)
    items = optional_rows(out, "rbac")
    if items is None:
        fail(f"{out}: no rbac table (the tree had no RBAC bootstrap policy; analyze again with --rbac FILE)")
    items = match_component(items, component, "rbac rows")
    chains = {c["chain_id"]: c for c in rows(out, "chains")}
    click.echo(rbac_text(items, chains, unreached), nl=False)
