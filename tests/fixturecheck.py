"""Run kubetorch on a Go fixture module and compare with its expected.json (tests/go/CONVENTIONS.md)."""

from __future__ import annotations

import json
import os
from functools import lru_cache

from kubetorch import identity
from pipeline.run import RunConfig, analyze

HERE = os.path.dirname(os.path.abspath(__file__))
GO = os.path.join(HERE, "go")
REPO = os.path.dirname(HERE)

HANDLER_KEY = ("component", "informer_resource", "event", "handler")
CHAIN_KEY = (*identity.CHAIN_KEY, "kind")


def fixture_dirs(group: str) -> list[str]:
    base = os.path.join(GO, group)
    return sorted(d for d in os.listdir(base) if os.path.isfile(os.path.join(base, d, "expected.json")))


@lru_cache(maxsize=64)
def run(path: str):
    """Analyse a fixture tree in-process, without cache or cluster."""
    return analyze(RunConfig(tree=path, release="test", jobs=1, use_cache=False, quiet=True))


def expected(path: str) -> dict:
    with open(os.path.join(path, "expected.json"), encoding="utf-8") as f:
        return json.load(f)


def rows(result, table: str) -> list[dict]:
    return result.tables[table].to_pylist()


def keyset(items, key) -> set[tuple]:
    return {tuple(item.get(k) for k in key) for item in items}


def compare(path: str) -> list[str]:
    """Differences between what kubetorch reports for a fixture and its expected.json."""
    exp = expected(path)
    result = run(path)
    problems: list[str] = []
    got_h = keyset(rows(result, "handlers"), HANDLER_KEY)
    want_h = keyset(exp.get("handlers", []), HANDLER_KEY)
    problems += [f"missing handler {k}" for k in sorted(want_h - got_h)]
    problems += [f"unexpected handler {k}" for k in sorted(got_h - want_h)]
    for h in exp.get("handlers", []):
        if "via" in h:
            match = [
                r
                for r in rows(result, "handlers")
                if tuple(r[k] for k in HANDLER_KEY) == tuple(h[k] for k in HANDLER_KEY)
            ]
            if match and all(r["via"] != h["via"] for r in match):
                problems.append(f"handler {h['handler']} {h['event']}: via {match[0]['via']} != {h['via']}")
    if "chains" in exp:
        chains = rows(result, "chains")
        got_c = keyset(chains, CHAIN_KEY)
        want_c = keyset(exp["chains"], CHAIN_KEY)
        problems += [f"missing chain {k}" for k in sorted(want_c - got_c)]
        problems += [f"unexpected chain {k}" for k in sorted(got_c - want_c)]
        by_key = {tuple(c[k] for k in CHAIN_KEY): c for c in chains}
        for want in exp["chains"]:
            got = by_key.get(tuple(want[k] for k in CHAIN_KEY))
            if got is None:
                continue
            for k in ("shared_state", "reader"):
                if k in want and got[k] != want[k]:
                    problems.append(
                        f"chain {want['handler']} -> {want['sink_function']}: {k} {got[k]!r} != {want[k]!r}"
                    )
            if "witness_has" in want and not any(want["witness_has"] in s["step"] for s in got["path"]):
                problems.append(
                    f"chain {want['handler']} -> {want['sink_function']}: no witness step says {want['witness_has']!r}"
                )
    for forbidden in exp.get("forbidden_chains", []):
        keys = {k: v for k, v in forbidden.items() if k != "why"}
        for c in rows(result, "chains"):
            if all(c.get(k) == v for k, v in keys.items()):
                problems.append(
                    f"forbidden chain reported ({forbidden.get('why', '')}): {c['handler']} -> {c['sink_function']}"
                )
    return problems
