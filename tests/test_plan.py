"""`kubetorch plan`: faults per chain in Sieve's three categories, ranked; PodChaos manifests."""

from __future__ import annotations

import json
from pathlib import Path

import demorun
import jsonschema
import pytest
import yaml
from runfixtures import invoke

from pipeline.output import read_table
from pipeline.plan import literal_label_selector, plan_document

CRD = Path(__file__).resolve().parent / "schemas" / "chaos-mesh" / "chaos-mesh.org_podchaos.yaml"
RS = "example.com/kubedemo/pkg/controller/replicaset.ReplicaSetController"


demo_run = demorun.demo_run  # the session's analysed demo (a fixture)


def crd_check(manifest: dict) -> list[str]:
    """The manifest against the PodChaos CRD: its group, version and Kind, and its schema."""
    crd = yaml.safe_load(CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["served"])
    errors = []
    if manifest.get("apiVersion") != f"{crd['spec']['group']}/{version['name']}":
        errors.append(f"apiVersion {manifest.get('apiVersion')}")
    if manifest.get("kind") != crd["spec"]["names"]["kind"]:
        errors.append(f"kind {manifest.get('kind')}")
    validator = jsonschema.Draft7Validator(version["schema"]["openAPIV3Schema"])
    errors += [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(manifest)]
    name = manifest.get("metadata", {}).get("name", "")
    if not (0 < len(name) <= 63) or not all(c.islower() or c.isdigit() or c == "-" for c in name):
        errors.append(f"metadata.name {name!r} is not a DNS-1123 label")
    return errors


@pytest.fixture(scope="module")
def plan(demo_run) -> dict:
    result = invoke("plan", str(demo_run), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_every_chain_has_faults_in_the_three_categories(plan, demo_run):
    chains = read_table(str(demo_run), "chains").to_pylist()
    assert plan["counts"]["chains"] == len(chains) == len(plan["chains"])
    faults = {f["id"]: f for f in plan["faults"]}
    for entry in plan["chains"]:
        categories = {faults[i]["category"] for i in entry["faults"]}
        assert "unobserved-state" in categories, entry
    assert {f["category"] for f in plan["faults"]} == {
        "unobserved-state",
        "stale-state",
        "intermediate-state",
    }
    for f in plan["faults"]:
        assert f["where"] and all(w["file"] and w["line"] for w in f["where"]), f
        assert f["reaches"]["score"] == f["reaches"]["chains"] + f["reaches"]["cascade_hops"]
        assert f["reaches"]["chains"] == len(f["chains"]) > 0


def test_ranked_by_chains_and_cascades(plan):
    scores = [f["reaches"]["score"] for f in plan["faults"]]
    assert scores == sorted(scores, reverse=True)
    assert [f["rank"] for f in plan["faults"]] == list(range(1, len(scores) + 1))


def test_replicaset_faults(demo_run):
    result = invoke("plan", str(demo_run), "--component", "replicaset", "--format", "json")
    doc = json.loads(result.output)
    by_fault = {f["fault"]: f for f in doc["faults"]}
    stale = by_fault["serve lister pods stale in replicaset.(*ReplicaSetController).syncReplicaSet"]
    assert stale["where"][0]["file"] == "pkg/controller/replicaset/replica_set.go"
    dropped = by_fault[
        "delay or drop the delete event of pods before replicaset.ReplicaSetController sees it"
    ]
    assert dropped["category"] == "unobserved-state" and dropped["reaches"]["chains"] == 5
    crashes = [f for f in doc["faults"] if f["category"] == "intermediate-state"]
    create = next(f for f in crashes if "after create pods " in f["fault"] + " ")
    # a crash after the pod creation cuts off the reader's other writes (delete, status, events)
    assert create["reaches"]["chains"] > 0
    chains = {c["chain_id"]: c for c in doc["chains"]}
    assert all(chains[c]["write"] != "create pods" for c in create["chains"])
    assert {c["component"] for c in doc["chains"]} == {RS}


def test_pod_chaos_manifests_validate_against_the_crd(plan, demo_run):
    entries = plan["pod_chaos"]
    actions = {
        (e["manifest"]["metadata"]["annotations"]["kubetorch.io/component"], e["manifest"]["spec"]["action"])
        for e in entries
    }
    assert (
        (RS, "pod-kill") in actions and (RS, "pod-failure") in actions and (RS, "container-kill") in actions
    )
    chains = read_table(str(demo_run), "chains").to_pylist()
    for e in entries:
        assert crd_check(e["manifest"]) == []
        event = e["manifest"]["metadata"]["annotations"]["kubetorch.io/pod-event"]
        assert {"pod-kill": "delete", "pod-failure": "update", "container-kill": "update"}[
            e["manifest"]["spec"]["action"]
        ] == event
        woken = {c["chain_id"] for c in chains if c["informer_resource"] == "pods" and c["event"] == event}
        assert set(e["blast_radius"]["chains"]) == woken
        assert e["blast_radius"]["cascade_hops"]
    assert len({e["manifest"]["metadata"]["name"] for e in entries}) == len(entries)


def test_crd_check_can_fail(plan):
    bad = json.loads(json.dumps(plan["pod_chaos"][0]["manifest"]))
    bad["spec"]["action"] = "pod-explode"
    del bad["spec"]["mode"]
    assert len(crd_check(bad)) >= 2


def test_chaos_mesh_stream_and_yaml(demo_run, tmp_path):
    stream = tmp_path / "chaos.yaml"
    assert invoke("plan", str(demo_run), "--format", "chaos-mesh", "-o", str(stream)).exit_code == 0
    docs = [d for d in yaml.safe_load_all(stream.read_text()) if d]
    assert docs and all(crd_check(d) == [] for d in docs)
    plan_yaml = tmp_path / "plan.yaml"
    assert invoke("plan", str(demo_run), "--top", "3", "-o", str(plan_yaml)).exit_code == 0
    doc = yaml.safe_load(plan_yaml.read_text())
    assert len(doc["faults"]) == 3 and doc["faults"][0]["rank"] == 1
    assert invoke("plan", str(demo_run), "-o", str(plan_yaml)).exit_code == 0  # replaces its own file
    mine = tmp_path / "mine.yaml"
    mine.write_text("faults: []\n")
    refused = invoke("plan", str(demo_run), "-o", str(mine))
    assert refused.exit_code == 1 and mine.read_text() == "faults: []\n"


def test_unknown_component_is_one_line(demo_run):
    result = invoke("plan", str(demo_run), "--component", "nosuch")
    assert result.exit_code == 1 and result.output.startswith("kubetorch: error: no chains of a component")


def test_literal_label_selectors():
    src = (
        'opts.LabelSelector = "app=web,tier=front"\nlo := metav1.ListOptions{LabelSelector: "team==infra"}\n'
    )
    assert literal_label_selector([src]) == {"app": "web", "team": "infra", "tier": "front"}
    assert literal_label_selector(['LabelSelector: "env!=prod"', "LabelSelector: sel.String()"]) == {}


def test_selectors_reach_the_manifests():
    chains = [
        {
            "chain_id": "c1",
            "component": "x/pkg.C",
            "informer_resource": "pods",
            "event": "delete",
            "handler": "x/pkg.(*C).del",
            "reader": "x/pkg.(*C).sync",
            "shared_state": "x/pkg.C.queue",
            "sink_function": "x/pkg.(*C).sync",
            "sink_file": "c.go",
            "sink_line": 9,
            "api_verb": "delete",
            "api_resource": "pods",
            "path": [],
            "reads": [],
        }
    ]
    handlers = [
        {
            "component": "x/pkg.C",
            "informer_resource": "pods",
            "event": "delete",
            "registration_file": "c.go",
            "registration_line": 3,
            "registration": "x/pkg.New",
        }
    ]
    sources = {
        "c.go": 'factory := informers.NewSharedInformerFactoryWithOptions(c, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = "app=web" }))'
    }
    doc = plan_document(chains, chains, handlers, [], [], sources, {"tool_version": "0"})
    (entry,) = doc["pod_chaos"]
    assert entry["manifest"]["spec"]["selector"] == {"labelSelectors": {"app": "web"}}
    assert crd_check(entry["manifest"]) == []
