"""RBAC consistency: RBAC matching semantics, the account found in a binary's wiring, the `rbac`
table of `kubetorch analyze` and the `kubetorch rbac` command, on small trees and YAML."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from runfixtures import invoke, write_files

from pipeline.rbac import (
    STATUS_ALLOWED,
    STATUS_FORBIDDEN,
    Grant,
    Policy,
    Rule,
    Subject,
    grants_of,
    judge,
    load_file,
    parse_resource,
    write_of,
)

GROUPS = frozenset({"apps", "autoscaling", "storage.k8s.io", "events.k8s.io"})


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))


def rule(groups, resources, verbs, names=()) -> Grant:
    return Grant(
        Rule(tuple(groups), tuple(resources), tuple(verbs), tuple(names), "x.yaml:1"), "ClusterRole r", None
    )


def status(api_verb: str, api_resource: str, grants: list[Grant], kind: str = "write") -> str:
    return judge(write_of(api_verb, api_resource, kind, GROUPS), grants).status


# ---------------------------------------------------------------- matching semantics


def test_resources_are_parsed_with_the_core_group_empty():
    assert parse_resource("pods/status", GROUPS) == ("", "pods", "status")
    assert parse_resource("apps/replicasets/status", GROUPS) == ("apps", "replicasets", "status")
    assert parse_resource("widgets.example.com/widgets", GROUPS) == ("widgets.example.com", "widgets", "")
    assert parse_resource("*/scale", GROUPS) == ("*", "*", "scale")


def test_apply_is_a_patch():
    assert status("apply", "pods/status", [rule([""], ["pods/status"], ["patch"])]) == STATUS_ALLOWED
    assert status("apply", "pods/status", [rule([""], ["pods/status"], ["update"])]) == STATUS_FORBIDDEN


def test_a_subresource_needs_its_own_rule():
    pods = rule([""], ["pods"], ["create", "update", "patch"])
    assert status("update", "pods/status", [pods]) == STATUS_FORBIDDEN
    assert status("create", "pods/binding", [pods]) == STATUS_FORBIDDEN
    assert status("create", "pods/binding", [rule([""], ["pods/binding"], ["create"])]) == STATUS_ALLOWED
    assert (
        status("update", "apps/deployments/scale", [rule(["*"], ["*/scale"], ["update"])]) == STATUS_ALLOWED
    )
    assert status("update", "pods/status", [rule([""], ["*"], ["*"])]) == STATUS_ALLOWED


def test_groups_must_match():
    assert status("update", "apps/replicasets/status", [rule([""], ["replicasets/status"], ["update"])]) == (
        STATUS_FORBIDDEN
    )
    assert status(
        "update", "apps/replicasets/status", [rule(["apps"], ["replicasets/status"], ["update"])]
    ) == (STATUS_ALLOWED)


def test_resource_names_never_allow_a_create_and_limit_other_verbs():
    named = rule([""], ["configmaps"], ["create", "update"], names=["leader"])
    assert status("create", "configmaps", [named]) == STATUS_FORBIDDEN
    v = judge(write_of("update", "configmaps", "write", GROUPS), [named])
    assert v.status == STATUS_ALLOWED and "leader" in v.note


def test_run_time_resources_need_a_wildcard_rule():
    assert status("delete", "*", [rule(["*"], ["*"], ["delete"])]) == STATUS_ALLOWED
    assert status("update", "*/scale", [rule(["*"], ["*/scale"], ["update"])]) == STATUS_ALLOWED
    assert status("delete", "*", [rule([""], ["pods"], ["get"])]) == STATUS_FORBIDDEN
    partial = judge(write_of("delete", "*", "write", GROUPS), [rule([""], ["pods"], ["delete"])])
    assert partial.status == STATUS_ALLOWED and "only for" in partial.note


def test_events_may_go_to_either_events_group():
    core = rule([""], ["events"], ["create", "patch"])
    new = rule(["events.k8s.io"], ["events"], ["create", "patch"])
    assert status("create", "events", [core], kind="event") == STATUS_ALLOWED
    assert status("create", "events", [new], kind="event") == STATUS_ALLOWED
    assert status("create", "events.k8s.io/events", [core], kind="event") == STATUS_ALLOWED
    assert status("create", "events", [rule([""], ["pods"], ["create"])], kind="event") == STATUS_FORBIDDEN


AGGREGATED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      rbac.example.com/aggregate-to-edit: "true"
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit-widgets
  labels:
    rbac.example.com/aggregate-to-edit: "true"
rules:
- apiGroups: ["widgets.example.com"]
  resources: ["widgets"]
  verbs: ["update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: editors
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: ServiceAccount, name: widget-controller, namespace: widgets}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: local
  namespace: team-a
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit-widgets}
subjects:
- {kind: Group, name: system:serviceaccounts:widgets}
"""


def test_aggregated_roles_and_namespaced_bindings(tmp_path):
    from pipeline.rbac import _aggregate

    write_files(tmp_path, {"rbac.yaml": AGGREGATED})
    policy = Policy()
    assert load_file(policy, str(tmp_path / "rbac.yaml"), "rbac.yaml") == 4
    _aggregate(policy)
    grants = grants_of(policy, Subject("ServiceAccount", "widget-controller", "widgets"))
    assert {(g.role, g.namespace) for g in grants} == {
        ("ClusterRole edit", None),
        ("ClusterRole edit-widgets", "team-a"),
    }
    full = judge(write_of("update", "widgets.example.com/widgets", "write", GROUPS), grants)
    assert full.status == STATUS_ALLOWED and full.note == ""
    assert grants[0].rule.source.startswith("rbac.yaml:")
    assert grants_of(policy, Subject("ServiceAccount", "other", "widgets")) != []  # the group binding
    assert grants_of(policy, Subject("ServiceAccount", "other", "elsewhere")) == []


# ---------------------------------------------------------------- end to end on a small tree

CONTROLLER = """\
// Package foo is a tiny controller: pods events are queued; the worker creates pods and
// updates the status of apps/replicasets.
package foo

import (
	"context"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

type Controller struct {
	client clientset.Interface
	queue  workqueue.RateLimitingInterface
}

func NewController(podInformer coreinformers.PodInformer, client clientset.Interface) *Controller {
	c := &Controller{client: client, queue: workqueue.NewRateLimitingQueue(workqueue.DefaultControllerRateLimiter())}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: c.addPod})
	return c
}

func (c *Controller) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) addPod(obj interface{}) {
	key, _ := cache.MetaNamespaceKeyFunc(obj)
	c.queue.Add(key)
}

func (c *Controller) worker(ctx context.Context) {
	key, quit := c.queue.Get()
	if quit {
		return
	}
	defer c.queue.Done(key)
	ns, name, _ := cache.SplitMetaNamespaceKey(key.(string))
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-copy"}}
	c.client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	rs := &apps.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	c.client.AppsV1().ReplicaSets(ns).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
}
"""

WIRING = """\
package app

import (
	"context"

	"k8s.io/client-go/informers"

	"example.com/rbactree/pkg/foo"
)

type ClientBuilder interface {
	ClientOrDie(name string) clientset.Interface
}

func startFooController(ctx context.Context, factory informers.SharedInformerFactory, builder ClientBuilder) {
	go foo.NewController(factory.Core().V1().Pods(), builder.ClientOrDie("foo-controller")).Run(ctx)
}
"""

POLICY = """\
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: system:controller:foo-controller
  rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["create", "list", "watch"]
  - apiGroups: [""]
    resources: ["secrets"]
    verbs: ["delete"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: system:controller:foo-controller
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:foo-controller}
  subjects:
  - {kind: ServiceAccount, name: foo-controller, namespace: kube-system}
"""

BOOTSTRAP = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/controller-roles.yaml"


def tree_files(with_bootstrap: bool) -> dict[str, str]:
    files = {
        "go.mod": "module example.com/rbactree\n\ngo 1.21\n",
        "pkg/foo/foo.go": CONTROLLER,
        "cmd/kube-controller-manager/app/core.go": WIRING.replace(
            '"k8s.io/client-go/informers"',
            '"k8s.io/client-go/informers"\n\tclientset "k8s.io/client-go/kubernetes"',
        ),
    }
    if with_bootstrap:
        files[BOOTSTRAP] = POLICY
    return files


def rbac_table(out) -> list[dict]:
    return pq.read_table(out / "rbac.parquet").to_pylist()


def test_bootstrap_policy_of_the_tree(tmp_path):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=True))
    out = tmp_path / "out"
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    rows = {(r["kind"], r["api_verb"], r["api_resource"]): r for r in rbac_table(out)}
    comp = "example.com/rbactree/pkg/foo.Controller"
    create = rows[("write", "create", "pods")]
    assert create["component"] == comp
    assert create["account"] == "ServiceAccount:kube-system/foo-controller"
    assert create["account_source"].startswith("client built at cmd/kube-controller-manager/app/core.go:")
    assert create["status"] == "allowed"
    assert create["rule_source"].startswith(BOOTSTRAP + ":")
    status = rows[("write", "update", "apps/replicasets/status")]
    assert status["status"] == "forbidden" and status["chain_id"]
    unreached = rows[("rule", "delete", "secrets")]
    assert (
        unreached["status"] == "unreached"
        and unreached["role"] == "ClusterRole system:controller:foo-controller"
    )
    assert ("rule", "create", "pods") not in rows  # the chain reaches it

    shown = invoke("rbac", str(out), "--unreached")
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert text.startswith("forbidden writes: 1\n")
    assert "update apps/replicasets/status  as ServiceAccount:kube-system/foo-controller" in text
    assert f"chain {status['chain_id']}" in text
    assert (
        text.index("forbidden writes")
        < text.index("per component")
        < text.index("write rules no chain reaches")
    )
    assert "delete secrets" in text
    assert "  component  " in text  # the sections' tables have column headers

    # for programs: the table's rows, forbidden first; the unreached rules only when asked
    as_json = invoke("rbac", str(out), "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    items = json.loads(as_json.stdout)
    assert items[0]["status"] == "forbidden" and items[0]["chain_id"] == status["chain_id"]
    assert "unreached" not in {r["status"] for r in items}
    assert set(items[0]) == set(pq.read_schema(out / "rbac.parquet").names)
    as_csv = invoke("rbac", str(out), "--format", "csv", "--unreached")
    header, *records = csv.reader(io.StringIO(as_csv.stdout))
    assert header == pq.read_schema(out / "rbac.parquet").names
    assert len(records) == len(rbac_table(out)) and records[-1][header.index("status")] == "unreached"


def test_rbac_files_given_on_the_command_line(tmp_path):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=False))
    write_files(tmp_path, {"role.yaml": POLICY.replace('["create", "list", "watch"]', '["get"]')})
    out = tmp_path / "out"
    result = invoke(
        "analyze",
        str(tmp_path / "tree"),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--quiet",
        "--rbac",
        str(tmp_path / "role.yaml"),
    )
    assert result.exit_code == 0, result.output
    rows = {(r["kind"], r["api_verb"], r["api_resource"]): r for r in rbac_table(out)}
    assert rows[("write", "create", "pods")]["status"] == "forbidden"
    assert rows[("write", "create", "pods")]["rule_source"] is None


def test_an_rbac_file_may_redefine_a_bootstrap_role(tmp_path):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=True))
    role_only = POLICY.split("- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRoleBinding")[0]
    write_files(tmp_path, {"role.yaml": role_only.replace('["create", "list", "watch"]', '["get"]')})
    out = tmp_path / "out"
    tree = str(tmp_path / "tree")
    result = invoke(
        "analyze", tree, "--out", str(out), "--jobs", "1", "-q", "--rbac", str(tmp_path / "role.yaml")
    )
    assert result.exit_code == 0, result.output
    rows = {(r["kind"], r["api_verb"], r["api_resource"]): r for r in rbac_table(out)}
    assert rows[("write", "create", "pods")]["status"] == "forbidden"  # the file's role, not the tree's


def test_no_rules_no_table(tmp_path):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=False))
    out = tmp_path / "out"
    assert (
        invoke("analyze", str(tmp_path / "tree"), "--out", str(out), "--jobs", "1", "--quiet").exit_code == 0
    )
    assert not (out / "rbac.parquet").exists()
    shown = invoke("rbac", str(out))
    assert shown.exit_code == 1
    assert (
        shown.stderr.startswith(f"kubetorch: error: {out}: no rbac table") and shown.stderr.count("\n") == 1
    )


@pytest.mark.parametrize(
    "content,message",
    [
        ("kind: [unclosed\n", "not YAML"),
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "no ClusterRole, Role, ClusterRoleBinding or RoleBinding",
        ),
    ],
)
def test_bad_rbac_file_is_a_one_line_error_before_any_work(tmp_path, content, message):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=False))
    write_files(tmp_path, {"bad.yaml": content})
    out = tmp_path / "out"
    result = invoke(
        "analyze", str(tmp_path / "tree"), "--out", str(out), "--rbac", str(tmp_path / "bad.yaml")
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"kubetorch: error: --rbac: {tmp_path / 'bad.yaml'}: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()


def test_missing_rbac_file(tmp_path):
    write_files(tmp_path / "tree", tree_files(with_bootstrap=False))
    missing = tmp_path / "missing.yaml"
    result = invoke("analyze", str(tmp_path / "tree"), "--out", str(tmp_path / "out"), "--rbac", str(missing))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"kubetorch: error: --rbac: {missing}: cannot read")
