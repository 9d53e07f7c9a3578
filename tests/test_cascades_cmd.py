"""`kubetorch cascades OUT --from COMPONENT`: breadth-first over the cascade edges."""

from __future__ import annotations

import json

import pytest
from runfixtures import chain, invoke, make_run

from pipeline.cascades_cmd import walk

DEPLOY = "example.com/demo/deployment.DeploymentController"
RS = "example.com/demo/replicaset.ReplicaSetController"
SCHED = "example.com/demo/scheduler.Scheduler"
KUBELET = "example.com/demo/kubelet.Kubelet"
CHAINS = [
    chain(DEPLOY, "apps/deployments", "add", api_verb="create", api_resource="apps/replicasets"),
    chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods"),
    chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding"),
    chain(KUBELET, "pods", "update", api_verb="patch", api_resource="pods/status"),
]


@pytest.fixture
def run(tmp_path):
    return make_run(str(tmp_path / "run"), CHAINS)


def edges(*args: str) -> list[tuple[str, str, str]]:
    r = invoke("cascades", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return [(str(e["depth"]), e["from_component"], e["to_component"]) for e in json.loads(r.output)]


def test_breadth_first_with_depth(run):
    r = invoke("cascades", run, "--from", "deployment")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].split()[:3] == ["depth", "from_component", "sink_function"]
    assert r.output.splitlines()[-1] == f"3 edge(s) from {DEPLOY} (depth <= 3), 3 other component(s) reached"
    assert edges(run, "--from", "deployment") == [("1", DEPLOY, RS), ("2", RS, SCHED), ("3", SCHED, KUBELET)]
    assert edges(run, "--from", DEPLOY, "--depth", "2") == [("1", DEPLOY, RS), ("2", RS, SCHED)]
    r = invoke("cascades", run, "--from", DEPLOY, "--depth", "2", "--format", "csv")
    assert r.output.splitlines()[0].startswith("depth,from_component,") and len(r.output.splitlines()) == 3


def test_cycles_and_self_edges_stop(run):
    r = invoke("cascades", run, "--from", "kubelet.Kubelet", "--depth", "10", "--format", "json")
    assert r.exit_code == 0, r.output
    got = [(str(e["depth"]), e["from_component"], e["to_component"]) for e in json.loads(r.output)]
    assert got == [("1", KUBELET, KUBELET)]  # kubelet's pods/status patch wakes its own update handler


def test_walk_expands_each_component_once():
    e = [
        {"from_component": "a", "to_component": "b"},
        {"from_component": "b", "to_component": "a"},
        {"from_component": "b", "to_component": "c"},
    ]
    assert [(d, x["from_component"], x["to_component"]) for d, x in walk(e, "a", 5)] == [
        (1, "a", "b"),
        (2, "b", "a"),
        (2, "b", "c"),
    ]


def test_ambiguous_and_unknown(run):
    r = invoke("cascades", run, "--from", "example.com")
    assert r.exit_code == 1
    assert "is ambiguous" in r.output and DEPLOY in r.output and len(r.output.strip().splitlines()) == 1
    r = invoke("cascades", run, "--from", "nothing")
    assert r.exit_code == 1 and "unknown component 'nothing'" in r.output and KUBELET in r.output


def test_run_without_cascades_table(tmp_path):
    run = make_run(str(tmp_path / "run"), CHAINS, omit=("cascades",))
    assert edges(run, "--from", "replicaset")[0] == ("1", RS, SCHED)
