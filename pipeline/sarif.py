"""`kubetorch sarif OUT -o FILE`: the chains as SARIF 2.1.0, for code scanning.

One result per chain. Its rule is the chain's (event -> write) kind, `pods:update->patch:pods/status`,
so a code-scanning view groups chains by what they do; its primary location is the API call; the
witness path is a code flow whose thread-flow locations are the path's steps in order; and its
partial fingerprint is the chain id, which hashes names and no lines, so code scanning keeps
tracking one chain across commits and releases. Pure functions from chain rows to the document;
the command is a thin shell around them.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from typing import Any

import click

from kubetorch import __version__
from pipeline.cli_errors import fail
from pipeline.exports import write_output
from pipeline.output import read_manifest
from pipeline.runs import rows, run_source, short_name

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "kubetorchChainId/v1"
SRCROOT = "SRCROOT"

# a path step's kind (chains.path[].kind) -> SARIF's well-known thread-flow location kinds (§3.38.8)
STEP_KINDS = {
    "register": ["handler"],
    "handle": ["handler", "enter"],
    "call": ["call"],
    "enter": ["enter"],
    "return": ["return"],
    "write": ["taint"],
    "read": ["taint"],
}


def rule_id(chain: dict) -> str:
    return f"{chain.get('informer_resource')}:{chain.get('event')}->{chain.get('api_verb')}:{chain.get('api_resource')}"


def _camel(text: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return "".join(w[:1].upper() + w[1:] for w in words)


def rule(chain: dict) -> dict:
    what = f"{chain.get('informer_resource')} {chain.get('event')} event"
    write = f"{chain.get('api_verb')} {chain.get('api_resource')}"
    return {
        "id": rule_id(chain),
        "name": _camel(f"{chain.get('informer_resource')} {chain.get('event')} to {write}"),
        "shortDescription": {"text": f"A {what} leads to {write}"},
        "fullDescription": {
            "text": f"An informer handler for the {what} writes shared state that a reader turns into "
            f"the API write {write}. A delayed, dropped or stale event on this path changes what the "
            "controller writes."
        },
        "defaultConfiguration": {"level": "note"},
        "properties": {
            "tags": ["kubetorch", "controller-chain", chain.get("kind") or "write"],
            "informer_resource": chain.get("informer_resource"),
            "event": chain.get("event"),
            "api_verb": chain.get("api_verb"),
            "api_resource": chain.get("api_resource"),
        },
    }


def artifact_uri(path: str) -> str:
    """A tree-relative path as a URI reference (percent-encoded, `/`-separated)."""
    return urllib.parse.quote(path.replace(os.sep, "/"), safe="/")


def physical(file: str | None, line: int | None) -> dict | None:
    if not file:
        return None
    loc: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(file), "uriBaseId": SRCROOT}}
    if line and line > 0:
        loc["region"] = {"startLine": int(line)}
    return loc


def location(file: str | None, line: int | None, function: str | None, text: str | None = None) -> dict:
    loc: dict[str, Any] = {}
    phys = physical(file, line)
    if phys is not None:
        loc["physicalLocation"] = phys
    if function:
        loc["logicalLocations"] = [{"fullyQualifiedName": function, "kind": "function"}]
    if text:
        loc["message"] = {"text": text}
    return loc


def thread_flow_location(step: dict, order: int) -> dict:
    text = f"{step.get('step') or 'step'} in {short_name(step.get('function'))}"
    tfl: dict[str, Any] = {
        "location": location(step.get("file"), step.get("line"), step.get("function"), text),
        "executionOrder": order,
    }
    kinds = STEP_KINDS.get(step.get("kind") or "")
    if kinds:
        tfl["kinds"] = kinds
    return tfl


def message(chain: dict) -> str:
    op = chain.get("operation_id")
    write = f"{chain.get('api_verb')} {chain.get('api_resource')}" + (f" ({op})" if op else "")
    return (
        f"{short_name(chain.get('component'))}: {chain.get('informer_resource')} {chain.get('event')}"
        f" -> {short_name(chain.get('handler'))} -> {short_name(chain.get('shared_state')) or '?'}"
        f" -> {short_name(chain.get('reader'))} -> {write} in {short_name(chain.get('sink_function'))}"
    )


PROPERTY_COLUMNS = (
    "chain_id",
    "release",
    "component",
    "informer_resource",
    "event",
    "handler",
    "shared_state",
    "reader",
    "sink_function",
    "api_verb",
    "api_resource",
    "kind",
    "operation_id",
    "endpoint",
    "reads",
)


def result(chain: dict, rule_index: int, baseline: str | None = None) -> dict:
    steps = chain.get("path") or []
    res: dict[str, Any] = {
        "ruleId": rule_id(chain),
        "ruleIndex": rule_index,
        "level": "note",
        "message": {"text": message(chain)},
        "locations": [location(chain.get("sink_file"), chain.get("sink_line"), chain.get("sink_function"))],
        "partialFingerprints": {FINGERPRINT: chain["chain_id"]},
        "properties": {k: chain.get(k) for k in PROPERTY_COLUMNS if chain.get(k) is not None},
    }
    if steps:
        res["codeFlows"] = [
            {
                "message": {"text": f"witness of chain {chain['chain_id']}"},
                "threadFlows": [
                    {"locations": [thread_flow_location(s, i) for i, s in enumerate(steps, start=1)]}
                ],
            }
        ]
    registration = physical(chain.get("registration_file"), chain.get("registration_line"))
    if registration is not None:
        res["relatedLocations"] = [
            {"id": 1, "physicalLocation": registration, "message": {"text": "handler registration"}}
        ]
    if baseline:
        res["baselineState"] = baseline
    return res


def src_root(tree: str | None) -> dict | None:
    """originalUriBaseIds: where SRCROOT-relative paths start (the analysed tree, as a file URI)."""
    if not tree or not os.path.isabs(tree):
        return None
    return {SRCROOT: {"uri": urllib.parse.quote("file://" + tree.rstrip("/") + "/", safe="/:")}}


def sarif_log(chains: list[dict], manifest: dict, baseline: str | None = None) -> dict:
    """The SARIF log of `chains`, one run; `baseline` ("new") marks every result as such."""
    ordered = sorted(chains, key=lambda c: (rule_id(c), c.get("component") or "", c["chain_id"]))
    rules: list[dict] = []
    index: dict[str, int] = {}
    results = []
    for c in ordered:
        rid = rule_id(c)
        if rid not in index:
            index[rid] = len(rules)
            rules.append(rule(c))
        results.append(result(c, index[rid], baseline))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kubetorch",
                "version": manifest.get("tool_version") or __version__,
                "semanticVersion": manifest.get("tool_version") or __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"kubetorch/{manifest.get('release') or ''}"},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            k: manifest.get(k)
            for k in ("release", "tree", "commit", "started")
            if manifest.get(k) is not None
        },
    }
    root = src_root(manifest.get("tree"))
    if root is not None:
        run["originalUriBaseIds"] = root
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def dumps(log: dict) -> str:
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def is_sarif_by_kubetorch(head: bytes) -> bool:
    try:
        doc = json.loads(head)
        return all(r["tool"]["driver"]["name"] == "kubetorch" for r in doc["runs"]) and bool(doc["runs"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return False


@click.command("sarif")
@run_source
@click.option("-o", "--output", "target", required=True, help="SARIF file to write (`-` for stdout).")
@click.option("--component", default=None, help="Only chains of components containing this text.")
def sarif_command(out: str, target: str, component: str | None) -> None:
    """Write the chains of a run as SARIF 2.1.0: one result per chain, the witness as a code flow.

    OUT|RELEASE is a run folder, or with --history DIR one of its release labels.
    """
    chains = rows(out, "chains")
    if component:
        chains = [c for c in chains if component in (c.get("component") or "")]
        if not chains:
            fail(f"no chains of a component matching {component!r}")
    write_output(target, dumps(sarif_log(chains, read_manifest(out))), is_sarif_by_kubetorch)
    if target != "-":
        click.echo(f"wrote {len(chains)} result(s) to {target}", err=True)
