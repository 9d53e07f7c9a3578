"""`kubetorch query`: DuckDB views over a run or a history, and the ten named questions."""

from __future__ import annotations

import json

import pytest
from runfixtures import chain, handler, handlers_of, invoke, make_run, schemas

from pipeline.history import add_run
from pipeline.query import NAMED, connect_history, connect_run, run_sql

SCHED = "example.com/demo/sched.Scheduler"
KUBELET = "example.com/demo/kubelet.Kubelet"
RS = "example.com/demo/rs.ReplicaSetController"

CHAINS = [
    chain(
        SCHED,
        "pods",
        "add",
        api_verb="create",
        api_resource="pods/binding",
        reads=["lister pods", "lister nodes"],
    ),
    chain(SCHED, "pods", "update", api_verb="create", api_resource="events"),
    chain(KUBELET, "pods", "update", api_verb="patch", api_resource="pods/status"),
    chain(
        RS, "apps/replicasets", "add", api_verb="create", api_resource="pods", reads=["store RS.expectations"]
    ),
]
HANDLERS = [
    *handlers_of(CHAINS),
    handler(RS, "*", "delete", resource_candidates=["pods", "apps/replicasets"]),
]
OFF_CHAIN = {
    "sink_function": "example.com/demo/gc.(*GC).purge",
    "sink_file": "gc.go",
    "sink_line": 9,
    "api_verb": "delete",
    "api_resource": "pods",
}


@pytest.fixture
def run(tmp_path):
    return make_run(str(tmp_path / "run"), CHAINS, HANDLERS, extra_sinks=[OFF_CHAIN])


@pytest.fixture
def history(tmp_path):
    history = str(tmp_path / "h")
    old = make_run(str(tmp_path / "a"), CHAINS[:2], started="2024-01-01T00:00:00+00:00")
    new = make_run(str(tmp_path / "b"), CHAINS, HANDLERS, started="2024-02-01T00:00:00+00:00")
    add_run(history, old, "v1.27")
    add_run(history, new, "v1.28")
    return history


def test_every_table_is_a_view(run):
    con = connect_run(run)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert views == set(schemas())
    for name in schemas():
        assert con.execute(f"SELECT count(*) FROM {name}").fetchone() is not None
    assert con.execute("SELECT count(*) FROM chains").fetchone()[0] == len(CHAINS)


def test_history_views_have_release(history):
    con = connect_history(history)
    _, rows = run_sql(con, "SELECT release, count(*) FROM chains GROUP BY 1 ORDER BY 1")
    assert rows == [("v1.27", 2), ("v1.28", 4)]
    _, rows = run_sql(con, "SELECT DISTINCT release FROM handlers ORDER BY 1")
    assert rows == [("v1.27",), ("v1.28",)]
    _, rows = run_sql(con, "SELECT release, seq FROM releases ORDER BY seq")
    assert rows == [("v1.27", 0), ("v1.28", 1)]


def test_there_are_ten_named_queries():
    assert len(NAMED) == 11
    assert len({q.name for q in NAMED}) == 11
    assert all(q.question.endswith("?") or "?" in q.question for q in NAMED)


@pytest.mark.parametrize("q", [q for q in NAMED if not q.history], ids=lambda q: q.name)
def test_named_queries_run_on_a_run(run, q):
    r = invoke("query", run, "--named", q.name, "--format", "json")
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.output), list)


@pytest.mark.parametrize("q", NAMED, ids=lambda q: q.name)
def test_named_queries_run_on_a_history(history, q):
    r = invoke("query", "--history", history, "--named", q.name, "--format", "json")
    assert r.exit_code == 0, r.output
    assert isinstance(json.loads(r.output), list)


def test_named_answers(run, history):
    def answer(name, *extra, where=(run,)):
        r = invoke("query", *where, "--named", name, "--format", "json", *extra)
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    assert [r["component"] for r in answer("status-on-pod-update")] == [KUBELET]
    foreign = answer("foreign-lister-reads")
    assert [(r["component"], r["lister_resource"]) for r in foreign] == [(SCHED, "nodes")]
    assert [r["sink_function"] for r in answer("sinks-off-chain")] == [OFF_CHAIN["sink_function"]]
    assert [r["resource_candidates"] for r in answer("unresolved-handlers")] == [["pods", "apps/replicasets"]]
    assert [(r["informer_resource"], r["event"]) for r in answer("events-to-recorder")] == [
        ("pods", "update")
    ]
    assert {r["to_component"] for r in answer("cascades-into", "--param", "component=kubelet")} == {KUBELET}
    new = answer("new-chains", where=("--history", history))
    assert {r["chain_id"] for r in new} == {c["chain_id"] for c in CHAINS[2:]}


def test_list(run):
    r = invoke("query", "--list")
    assert r.exit_code == 0
    assert len(r.output.splitlines()) == 11
    assert "status-on-pod-update" in r.output


def test_formats(run):
    sql = "SELECT component, count(*) AS n FROM chains GROUP BY 1 ORDER BY 1"
    r = invoke("query", run, sql)
    assert r.exit_code == 0 and "(3 rows)" in r.output and "component" in r.output.splitlines()[0]
    assert KUBELET in r.output  # whole values outside a terminal
    r = invoke("query", run, sql, "--format", "csv")
    assert r.output.splitlines()[0] == "component,n"
    assert r.output.splitlines()[1] == f"{KUBELET},1"
    r = invoke("query", run, sql, "--format", "json")
    assert json.loads(r.output)[0] == {"component": KUBELET, "n": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ("SELEC nonsense",),
            'query failed: Parser Error: syntax error at or near "SELEC"',
        ),
        (
            ("SELECT * FROM chain",),
            'query failed: Catalog Error: Table with name chain does not exist! Did you mean "chains"?',
        ),
        (("SELECT nope FROM chains",), "Binder Error"),
        (("--named", "nope"), "no named query 'nope'"),
        (("--named", "new-chains"), "give --history"),
        (("--named", "chains-per-component", "--param", "x=1"), "has no parameter 'x'"),
        ((), "give either SQL or --named"),
    ],
)
def test_errors_are_one_line(run, args, message):
    r = invoke("query", run, *args)
    assert r.exit_code == 1
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output


def test_missing_run_is_one_line(tmp_path):
    r = invoke("query", str(tmp_path / "nope"), "SELECT 1")
    assert r.exit_code == 1 and r.output.strip() == f"kubetorch: error: {tmp_path / 'nope'}: no such folder"


def test_the_run_folder_comes_first(run):
    r = invoke("query", "SELECT 1")
    assert r.exit_code == 1 and "the run folder comes first" in r.output
    r = invoke("query", run)
    assert r.exit_code == 1 and "give either SQL or --named" in r.output
    r = invoke(
        "query", "SELECT count(*) AS n FROM chains", "--run", run, "--format", "json"
    )  # older spelling
    assert json.loads(r.output) == [{"n": len(CHAINS)}]


def test_a_history_and_one_release(history):
    r = invoke("query", "--history", history, "v1.27", "SELECT count(*) AS n FROM chains", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == [{"n": 2}]
    r = invoke("query", "--history", history, "SELECT count(*) AS n FROM chains", "--format", "json")
    assert json.loads(r.output) == [{"n": 6}]
    r = invoke("query", "--history", history, "v1.28", "--named", "chains-per-component", "--format", "json")
    assert len(json.loads(r.output)) == 3


def test_describe_prints_the_descriptions_in_the_parquet_schema(run):
    import pyarrow.parquet as pq

    from pipeline.tables import describe

    schema = pq.read_schema(f"{run}/chains.parquet")
    assert describe(schema.field("shared_state")).startswith("the state the handler writes")
    r = invoke("query", run, "--describe", "chains", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = {row["column"]: row["description"] for row in json.loads(r.output)}
    assert doc["chain_id"].startswith("16 hex digits")
    assert doc["path[].kind"].startswith("register, handle")
    assert all(doc.values()), [k for k, v in doc.items() if not v]
    r = invoke("query", run, "--describe", "chains")
    assert r.output.splitlines()[0].split() == ["column", "type", "description"]
    assert r.output.splitlines()[-1].startswith("chains: One row per chain")
    r = invoke("query", run, "--describe", "nope")
    assert r.exit_code == 1 and "no table 'nope' (tables: accesses, api_resources, calls," in r.output


def test_duckdb_position_is_kept_on_the_line():
    from pipeline.query import duckdb_message

    error = 'Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC x\n        ^^^^^'
    assert (
        duckdb_message(Exception(error))
        == "Parser Error: syntax error at or near \"SELEC\" (line 1: 'SELEC')"
    )
