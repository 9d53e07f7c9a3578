"""`kubetorch export graph`: the Kamera dependency-graph contract (all nine checks), dot and json."""

from __future__ import annotations

import copy
import json

import demorun
import pytest
from runfixtures import invoke

from pipeline.graph_export import build_graph, kamera_document, kamera_errors

RS = "example.com/kubedemo/pkg/controller/replicaset.ReplicaSetController"
DEPLOY = "example.com/kubedemo/pkg/controller/deployment.DeploymentController"
SCHED = "example.com/kubedemo/pkg/scheduler.Scheduler"


demo_run = demorun.demo_run  # the session's analysed demo (a fixture)


@pytest.fixture(scope="module")
def kamera(demo_run) -> dict:
    result = invoke("export", "graph", str(demo_run), "--format", "kamera")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def edges(doc: dict, kind: str, controller: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in doc["edges"]:
        if e["kind"] == kind and e["from"] == controller:
            out.setdefault(e["to"], set()).add(e.get("trigger") or e.get("surface"))
    return out


def test_demo_graph_passes_the_contract(kamera):
    assert kamera_errors(kamera) == []
    assert sorted(kamera) == ["edges", "nodes"]


def test_demo_triggers_reads_writes(kamera):
    assert edges(kamera, "triggers", RS) == {"apps/v1/ReplicaSet": {"primary"}, "core/v1/Pod": {"owns"}}
    assert edges(kamera, "triggers", DEPLOY) == {
        "apps/v1/Deployment": {"primary"},
        "apps/v1/ReplicaSet": {"owns"},
        "core/v1/Pod": {"secondary"},
    }
    assert edges(kamera, "triggers", SCHED) == {"core/v1/Pod": {"primary"}, "core/v1/Node": {"secondary"}}
    assert edges(kamera, "writes", SCHED) == {
        "core/v1/Pod": {"spec", "status"},
        "events.k8s.io/v1/Event": {"any"},
    }
    assert edges(kamera, "writes", RS) == {
        "apps/v1/ReplicaSet": {"status"},
        "core/v1/Pod": {"any"},
        "core/v1/Event": {"any"},
    }
    assert edges(kamera, "reads", RS) == {"apps/v1/ReplicaSet": {"any"}, "core/v1/Pod": {"any"}}
    roles = {n["id"]: n["role"] for n in kamera["nodes"] if n["kind"] == "resource"}
    assert set(roles.values()) == {"builtin"}  # every demo resource is a Kubernetes built-in


def _valid() -> dict:
    return {
        "nodes": [
            {"kind": "controller", "id": "ServiceReconciler"},
            {
                "kind": "resource",
                "id": "serving.knative.dev/v1/Service",
                "gvk": "serving.knative.dev/v1/Service",
                "role": "user-facing",
            },
            {"kind": "resource", "id": "core/v1/Pod", "gvk": "core/v1/Pod", "role": "builtin"},
        ],
        "edges": [
            {
                "kind": "triggers",
                "from": "ServiceReconciler",
                "to": "serving.knative.dev/v1/Service",
                "trigger": "primary",
            },
            {"kind": "reads", "from": "ServiceReconciler", "to": "core/v1/Pod", "surface": "spec"},
            {"kind": "writes", "from": "ServiceReconciler", "to": "core/v1/Pod", "surface": "status"},
        ],
    }


def _break(rule: int, doc: dict) -> None:
    nodes, edges_ = doc["nodes"], doc["edges"]
    if rule == 1:
        doc["metadata"] = {}
    elif rule == 2:
        nodes[0]["name"] = "extra field"
    elif rule == 3:
        nodes.append({"kind": "controller", "id": "ServiceReconciler"})
    elif rule == 4:
        nodes[2]["gvk"] = nodes[2]["id"] = "/v1/Pod"  # the core group must be `core`
        for e in edges_:
            if e["to"] == "core/v1/Pod":
                e["to"] = "/v1/Pod"
    elif rule == 5:
        edges_[1]["surface"] = "labels"
    elif rule == 6:
        edges_[2]["to"] = "apps/v1/Deployment"
    elif rule == 7:
        edges_.append(dict(edges_[2]))
    elif rule == 8:
        nodes[1]["role"] = "internal"
    elif rule == 9:
        edges_[0]["trigger"] = "secondary"


@pytest.mark.parametrize("rule", range(1, 10))
def test_each_contract_check_can_fail(rule):
    doc = _valid()
    assert kamera_errors(doc) == []
    _break(rule, doc)
    found = kamera_errors(doc)
    assert any(e.startswith(f"{rule}:") for e in found), found


def test_more_contract_failures():
    doc = _valid()
    del doc["nodes"][1]["role"]
    assert any(e.startswith("8:") for e in kamera_errors(doc))
    doc = _valid()
    doc["nodes"][2]["gvk"] = "core/v1/Pods"  # id and gvk differ
    assert any(e.startswith("4:") for e in kamera_errors(doc))
    doc = _valid()
    doc["edges"][0]["from"] = "core/v1/Pod"  # from must be a controller
    assert any(e.startswith("6:") for e in kamera_errors(doc))
    assert kamera_errors([]) == ["1: top-level JSON must be an object"]


def test_kinds_come_from_api_resources_never_from_plurals():
    chains = [
        {
            "chain_id": "1",
            "component": "x/pkg.C",
            "informer_resource": "widgets.example.com/widgets",
            "event": "add",
            "api_verb": "update",
            "api_resource": "endpoints",
            "sink_function": "x/pkg.f",
            "sink_line": 3,
            "reads": [
                {
                    "kind": "lister",
                    "resource": "gadgets.example.com/gadgets",
                    "function": "x/pkg.f",
                    "file": "pkg/f.go",
                    "line": 2,
                }
            ],
        }
    ]
    handlers = [
        {
            "component": "x/pkg.C",
            "informer_resource": "widgets.example.com/widgets",
            "informer_version": "v1",
            "event": "add",
        },
        {"component": "x/pkg.C", "informer_resource": "*", "informer_version": "", "event": "add"},
    ]
    sinks = [
        {
            "sink_function": "x/pkg.f",
            "sink_line": 3,
            "api_verb": "update",
            "api_resource": "endpoints",
            "api_version": "v1",
        }
    ]
    api_resources = [
        {
            "group": "widgets.example.com",
            "version": "v1",
            "resource": "widgets",
            "kind": "Widget",
            "namespaced": True,
        },
        {"group": "", "version": "v1", "resource": "endpoints", "kind": "Endpoints", "namespaced": True},
    ]
    graph = build_graph(chains, handlers, sinks, api_resources, builtin_groups={""})
    doc = kamera_document(graph)
    assert kamera_errors(doc) == []
    ids = {n["id"]: n.get("role") for n in doc["nodes"]}
    assert ids == {
        "x/pkg.C": None,
        "widgets.example.com/v1/Widget": "user-facing",
        "core/v1/Endpoints": "builtin",
    }
    # gadgets has no Kind in the tree: left out and said so, not named "Gadget"
    assert {(e["what"], e["why"].split(" ")[0]) for e in graph.left_out} == {
        ("lister gadgets.example.com/gadgets", "no"),
        ("watch *", "resource"),
    }


def test_a_controller_without_a_known_kind_is_left_out():
    handlers = [
        {"component": "x/pkg.C", "informer_resource": "pods", "informer_version": "v1", "event": "add"}
    ]
    graph = build_graph([], handlers, [], [], builtin_groups={""})
    assert kamera_document(graph) == {"nodes": [], "edges": []}
    assert [e["what"] for e in graph.left_out] == ["controller", "watch pods"]


def test_json_and_dot(demo_run, tmp_path):
    result = invoke("export", "graph", str(demo_run), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["generator"].startswith("kubetorch ") and doc["left_out"] == []
    contract = {"nodes": [{k: n[k] for k in n if k in ("kind", "id", "gvk", "role")} for n in doc["nodes"]]}
    contract["edges"] = [
        {k: e[k] for k in e if k in ("kind", "from", "to", "trigger", "surface")} for e in doc["edges"]
    ]
    assert kamera_errors(contract) == []
    binding = next(e for e in doc["edges"] if e["kind"] == "writes" and e["surface"] == "spec")
    assert binding["operation_ids"] == ["createCoreV1NamespacedPodBinding"]
    pod = next(n for n in doc["nodes"] if n["id"] == "core/v1/Pod")
    assert (pod["resource"], pod["namespaced"]) == ("pods", True)
    dot = tmp_path / "g.dot"
    result = invoke("export", "graph", str(demo_run), "--format", "dot", "-o", str(dot))
    assert result.exit_code == 0, result.output
    text = dot.read_text()
    assert text.startswith("// kubetorch dependency graph") and "digraph dependencies {" in text
    assert text.count(" -> ") == len(doc["edges"]) and text.rstrip().endswith("}")
    # written again over its own file, but never over someone else's
    assert invoke("export", "graph", str(demo_run), "--format", "dot", "-o", str(dot)).exit_code == 0
    other = tmp_path / "mine.json"
    other.write_text(json.dumps(copy.deepcopy(_valid())))
    refused = invoke("export", "graph", str(demo_run), "--format", "kamera", "-o", str(other))
    assert refused.exit_code == 1 and "not written by kubetorch" in refused.output
    mine = tmp_path / "graph.json"
    assert invoke("export", "graph", str(demo_run), "-o", str(mine)).exit_code == 0
    assert invoke("export", "graph", str(demo_run), "-o", str(mine)).exit_code == 0
