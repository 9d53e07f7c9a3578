"""`kubetorch handlers` and `kubetorch chains` for people."""

from __future__ import annotations

import pytest
from runfixtures import chain, handler, handlers_of, invoke, make_run

SCHED = "example.com/demo/sched.Scheduler"
RS = "example.com/demo/rs.ReplicaSetController"
CHAINS = [
    chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding"),
    chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods"),
    chain(RS, "pods", "delete", api_verb="update", api_resource="apps/replicasets/status"),
]
HANDLERS = [
    *handlers_of(CHAINS),
    handler(SCHED, "*", "update", resource_candidates=["nodes", "pods"], line=77),
]


@pytest.fixture
def run(tmp_path):
    return make_run(str(tmp_path / "run"), CHAINS, HANDLERS)


def test_handlers(run):
    r = invoke("handlers", run)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines.index(RS) < lines.index(SCHED)
    row = next(line for line in lines if "addHandler" in line and "replicasets" in line)
    assert row.split() == [
        "apps/replicasets",
        "add",
        "rs.(*ReplicaSetController).addHandler",
        "pkg/controller.go:10",
    ]
    assert any("* (nodes, pods)" in line and "pkg/controller.go:77" in line for line in lines)
    assert lines[-1] == "4 handler(s) in 2 component(s)"


def test_handlers_component_filter(run):
    r = invoke("handlers", run, "--component", "sched")
    assert r.exit_code == 0
    assert SCHED in r.output and RS not in r.output
    r = invoke("handlers", run, "--component", "nope")
    assert r.exit_code == 1 and "no handlers of a component matching 'nope'" in r.output


def test_chains_grouped_by_component(run):
    r = invoke("chains", run)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == RS
    for c in CHAINS:
        assert any(line.strip().startswith(c["chain_id"]) for line in lines)
    assert "3 chain(s) in 2 component(s)" in r.output
    r = invoke("chains", run, "--component", "ReplicaSet")
    assert r.output.count("\n  ") == 2 and SCHED not in r.output


def test_explain(run):
    c = CHAINS[0]
    r = invoke("chains", run, "--explain", c["chain_id"][:8])
    assert r.exit_code == 0, r.output
    assert f"chain          {c['chain_id']}" in r.output
    assert "sink           create pods/binding (write)" in r.output
    assert "witness path:" in r.output
    steps = [line.split() for line in r.output.split("witness path:")[1].strip().splitlines()]
    assert [s[:2] for s in steps] == [["1.", "handler"], ["2.", "read"], ["3.", "sink"]]
    assert steps[2][3] == "pkg/sync.go:40"


def test_explain_unknown(run):
    r = invoke("chains", run, "--explain", "ffffffff")
    assert r.exit_code == 1 and "no chain 'ffffffff'" in r.output


@pytest.mark.parametrize("command", ["handlers", "chains"])
def test_bad_folders_are_one_line(tmp_path, command):
    r = invoke(command, str(tmp_path / "missing"))
    assert r.exit_code == 1 and r.output.strip().endswith("missing: no such folder")
    (tmp_path / "plain").mkdir()
    r = invoke(command, str(tmp_path / "plain"))
    assert r.exit_code == 1 and "not a kubetorch output folder" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_unreadable_table_is_one_line(run):
    with open(f"{run}/chains.parquet", "w") as f:
        f.write("not parquet")
    r = invoke("chains", run)
    assert r.exit_code == 1 and "cannot read table 'chains'" in r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
