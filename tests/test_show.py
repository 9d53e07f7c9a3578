"""`kubetorch handlers` and `kubetorch chains`: headers, every distinguishing column, three formats,
the run folder (or --history DIR and a release) first, path queries."""

from __future__ import annotations

import csv
import io
import json

import pytest
from runfixtures import chain, handler, handlers_of, invoke, make_run, step

from pipeline.formats import table
from pipeline.history import add_run

SCHED = "example.com/demo/sched.Scheduler"
RS = "example.com/demo/rs.ReplicaSetController"
OTHER_RS = "example.com/other/rs.ReplicaSetController"  # same short name as RS
LONG = "example.com/demo/rs.(*ReplicaSetController)." + "veryLongFunctionName" * 8
CHAINS = [
    chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding"),
    chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods"),
    chain(RS, "pods", "delete", api_verb="update", api_resource="apps/replicasets/status"),
    # two `create events` chains of one handler that differ only in their sink function
    chain(
        RS,
        "pods",
        "add",
        api_verb="create",
        api_resource="events",
        sink_function="example.com/demo/rs.recordA",
    ),
    chain(RS, "pods", "add", api_verb="create", api_resource="events", sink_function=LONG),
]
HANDLERS = [
    *handlers_of(CHAINS),
    handler(SCHED, "*", "update", resource_candidates=["nodes", "pods"], registration_line=77),
]


@pytest.fixture
def run(tmp_path):
    return make_run(str(tmp_path / "run"), CHAINS, HANDLERS)


def header(output: str) -> list[str]:
    return output.splitlines()[0].split()


def test_handlers_table_has_headers(run):
    r = invoke("handlers", run)
    assert r.exit_code == 0, r.output
    assert header(r.output) == [
        "component",
        "informer_resource",
        "event",
        "handler",
        "filter",
        "via",
        "registered_at",
    ]
    lines = r.output.splitlines()
    assert set(lines[1]) <= {"-", " "}
    rs_rows = [i for i, line in enumerate(lines) if line.startswith("rs.")]
    sched_rows = [i for i, line in enumerate(lines) if line.startswith("sched.")]
    assert max(rs_rows) < min(sched_rows)  # ordered by component
    assert any("* (nodes, pods)" in line and "pkg/controller.go:77" in line for line in lines)
    assert lines[-1] == "5 handler(s) in 2 component(s)"


def test_handlers_component_filter(run):
    r = invoke("handlers", run, "--component", "sched")
    assert r.exit_code == 0
    assert "sched.Scheduler" in r.output and "rs.ReplicaSetController" not in r.output
    r = invoke("handlers", run, "--component", "nope")
    assert r.exit_code == 1 and "no handlers of a component matching 'nope'" in r.output


def test_chains_show_every_distinguishing_column(run):
    r = invoke("chains", run)
    assert r.exit_code == 0, r.output
    assert header(r.output) == [
        "component",
        "chain_id",
        "event",
        "handler",
        "shared_state",
        "reader",
        "sink_function",
        "write",
    ]
    events = [line for line in r.output.splitlines() if "create events" in line]
    assert len(events) == 2 and events[0] != events[1]
    assert any("rs.recordA" in line for line in events)
    assert "5 chain(s) in 2 component(s)" in r.output
    for c in CHAINS:
        assert c["chain_id"] in r.output


def test_values_are_not_cut_outside_a_terminal(run):
    r = invoke("chains", run)  # CliRunner's stdout is not a terminal
    assert LONG.rpartition("/")[2] in r.output and "…" not in r.output


def test_cells_are_cut_to_a_terminal_width():
    text = table(["a", "b"], [["x" * 100, "y" * 100]], width=80)
    assert all(len(line) <= 80 for line in text.splitlines()[:3]) and "…" in text


def test_short_names_only_where_they_stay_distinct(tmp_path):
    chains = [chain(RS, "pods", "add"), chain(OTHER_RS, "pods", "add")]
    r = invoke("chains", make_run(str(tmp_path / "run"), chains))
    # `rs.ReplicaSetController` twice would not tell them apart: those columns keep full names
    assert RS in r.output and OTHER_RS in r.output
    assert "example.com/other/rs.(*ReplicaSetController).addHandler" in r.output
    assert " rs.(*ReplicaSetController).processNextWorkItem" not in r.output


@pytest.mark.parametrize("command", ["chains", "handlers"])
def test_json_and_csv_have_full_values(run, command):
    r = invoke(command, run, "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 5
    assert {row["component"] for row in rows} == {SCHED, RS}
    r = invoke(command, run, "--format", "csv")
    assert r.exit_code == 0, r.output
    parsed = list(csv.DictReader(io.StringIO(r.output)))
    assert len(parsed) == len(rows) and parsed[0]["component"] in (SCHED, RS)
    if command == "chains":
        assert set(parsed[0]) >= {"chain_id", "sink_function", "shared_state", "path", "reads"}
        assert json.loads(parsed[0]["path"])[0]["kind"] == "handle"


def test_explain(run):
    c = CHAINS[0]
    r = invoke("chains", run, "--explain", c["chain_id"][:8])
    assert r.exit_code == 0, r.output
    assert f"chain          {c['chain_id']}" in r.output
    assert "sink           create pods/binding (write)" in r.output
    assert "reads          lister pods" in r.output
    steps = [line.split() for line in r.output.split("witness path:")[1].strip().splitlines()]
    numbered = [s for s in steps if s[0].endswith(".") and s[0][:-1].isdigit()]
    assert [s[:2] for s in numbered] == [["1.", "handle"], ["2.", "write"], ["3.", "read"], ["4.", "sink"]]
    assert numbered[3][3] == "pkg/sync.go:40"
    assert "// line 40" in r.output  # the step's snippet
    r = invoke("chains", run, "--explain", c["chain_id"], "--format", "json")
    assert json.loads(r.output)[0]["path"][1]["state"] == f"{SCHED}.queue"


def test_explain_unknown(run):
    r = invoke("chains", run, "--explain", "ffffffff")
    assert r.exit_code == 1 and "no chain 'ffffffff'" in r.output


def path_chains() -> list[dict]:
    helper = "example.com/demo/rs.helper"
    base = chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods")
    via = [*base["path"][:3], step(helper, "rs/h.go", 5, "call", "call"), base["path"][3]]
    return [
        {**base, "path": via},
        chain(RS, "pods", "delete", api_verb="update", api_resource="apps/replicasets/status"),
        chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding"),
    ]


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--from", "pods"), {1, 2}),  # an informer resource
        (("--from", "apps/replicasets", "--to", "pods"), {0}),  # ... to an API resource
        (("--from", "(*ReplicaSetController).deleteHandler"), {1}),  # a handler, by a dotted tail
        (("--from", f"{RS}.queue", "--to", "pods/binding"), set()),  # a state of another component
        (("--from", "rs.helper"), {0}),  # a function on the witness
        (("--from", "rs.helper", "--to", "(*ReplicaSetController).sync"), {0}),
        (("--to", "pods/binding"), {2}),
        (("--to", "(*ReplicaSetController).sync"), {0, 1}),  # a sink function
    ],
)
def test_path_queries(tmp_path, args, expected):
    chains = path_chains()
    run = make_run(str(tmp_path / "run"), chains)
    r = invoke("chains", run, *args, "--format", "json")
    assert r.exit_code == 0, r.output
    assert {row["chain_id"] for row in json.loads(r.output)} == {chains[i]["chain_id"] for i in expected}


def test_path_query_matching_nothing_is_an_error(run):
    r = invoke("chains", run, "--from", "nothing.here")
    assert r.exit_code == 1 and "--from 'nothing.here' matches no" in r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["handlers", "chains"])
def test_a_release_of_a_history_in_place_of_the_run(run, tmp_path, command):
    history = str(tmp_path / "h")
    add_run(history, run, "v1.28")
    r = invoke(command, "--history", history, "v1.28", "--format", "json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)) == 5
    r = invoke(command, "--history", history, "v9")
    assert r.exit_code == 1 and "no release 'v9' (known: v1.28)" in r.output


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
