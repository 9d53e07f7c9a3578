"""kubetorch.cascades: which writes wake which handlers."""

from __future__ import annotations

from runfixtures import chain, handler

from kubetorch.cascades import CASCADE_KEY, cascade_rows, split_resource, woken

A = "example.com/a.Writer"
B = "example.com/b.Watcher"


def test_split_resource():
    assert split_resource("pods") == ("", "pods", "")
    assert split_resource("pods/status") == ("", "pods", "status")
    assert split_resource("apps/deployments") == ("apps", "deployments", "")
    assert split_resource("apps/deployments/scale") == ("apps", "deployments", "scale")
    assert split_resource("events.k8s.io/events") == ("events.k8s.io", "events", "")
    assert split_resource("networking.k8s.io/ingresses/status") == (
        "networking.k8s.io",
        "ingresses",
        "status",
    )


def test_verbs_map_to_events():
    assert woken("create", "pods") == [("pods", "add")]
    for verb in ("update", "patch", "apply"):
        assert woken(verb, "apps/replicasets") == [("apps/replicasets", "update")]
    for verb in ("delete", "deletecollection"):
        assert woken(verb, "pods") == [("pods", "delete")]
    assert woken("get", "pods") == []


def test_subresources_update_the_parent():
    assert woken("update", "pods/status") == [("pods", "update")]
    assert woken("patch", "apps/deployments/scale") == [("apps/deployments", "update")]
    assert woken("create", "pods/binding") == [("pods", "update")]
    assert woken("create", "pods/eviction") == [("pods", "delete")]
    assert woken("create", "serviceaccounts/token") == []


def test_events_wake_both_event_apis():
    both = [("events", "add"), ("events.k8s.io/events", "add")]
    assert woken("create", "events", "event") == both
    assert woken("create", "events.k8s.io/events", "event") == both


def test_cascade_rows_join_sinks_with_handlers():
    chains = [
        chain(A, "apps/deployments", "add", api_verb="create", api_resource="pods"),
        chain(A, "apps/deployments", "update", api_verb="update", api_resource="pods/status"),
        chain(B, "pods", "add", api_verb="create", api_resource="pods/binding"),
    ]
    handlers = [
        handler(B, "pods", "add"),
        handler(B, "pods", "update"),
        handler(A, "apps/deployments", "add"),
    ]
    rows = cascade_rows(chains, handlers)
    assert all(tuple(r) == CASCADE_KEY for r in rows)
    edges = {
        (r["from_component"], r["api_verb"], r["api_resource"], r["to_component"], r["event"]) for r in rows
    }
    assert edges == {
        (A, "create", "pods", B, "add"),
        (A, "update", "pods/status", B, "update"),
        (B, "create", "pods/binding", B, "update"),  # self-edge: the scheduler sees its own binding
    }
    assert rows == sorted(rows, key=lambda r: tuple(r.values()))
    assert cascade_rows(list(reversed(chains)), list(reversed(handlers))) == rows


def test_event_sinks_wake_event_handlers():
    chains = [chain(A, "pods", "add", api_verb="create", api_resource="events")]
    handlers = [handler(B, "events.k8s.io/events", "add"), handler(B, "events", "update")]
    rows = cascade_rows(chains, handlers)
    assert [(r["to_component"], r["informer_resource"], r["event"]) for r in rows] == [
        (B, "events.k8s.io/events", "add")
    ]


def test_unresolved_handlers_match_their_candidates():
    chains = [chain(A, "pods", "add", api_verb="delete", api_resource="apps/replicasets")]
    handlers = [
        handler(B, "*", "delete", resource_candidates=["apps/replicasets", "pods"]),
        handler(B, "*", "delete", handler="example.com/b.other", resource_candidates=[]),
    ]
    rows = cascade_rows(chains, handlers)
    assert len(rows) == 1
    assert rows[0]["informer_resource"] == "apps/replicasets"
    assert rows[0]["handler"] == handlers[0]["handler"]
