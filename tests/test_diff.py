"""`kubetorch diff`: added, removed and path-changed chains; exit 0 / 1 / 2."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from runfixtures import chain, invoke, make_run, step

from pipeline.diff import DIFF_SCHEMA, diff_chains, step_changes
from pipeline.history import add_run

RS = "example.com/demo/rs.ReplicaSetController"
SCHED = "example.com/demo/sched.Scheduler"

KEEP = chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods")
GONE = chain(RS, "pods", "delete", api_verb="update", api_resource="apps/replicasets/status")
MOVED = chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding")
REROUTED = chain(SCHED, "pods", "update", api_verb="create", api_resource="events")
NEW = chain(SCHED, "nodes", "add", api_verb="patch", api_resource="pods/status")


def _moved(c: dict, line_shift: int = 0, file: str | None = None) -> dict:
    path = [{**s, "line": s["line"] + line_shift, "file": file or s["file"]} for s in c["path"]]
    return {**c, "path": path, "sink_line": c["sink_line"] + line_shift}


HELPER = "example.com/demo/sched.helper"


def _rerouted(c: dict) -> dict:
    """One step more: a call through a helper after the write."""
    extra = step(HELPER, "x.go", 3, "call", "call")
    p = c["path"]
    return {**c, "path": [p[0], p[1], extra, p[2], p[3]]}


@pytest.fixture
def releases(tmp_path):
    old = make_run(str(tmp_path / "old"), [KEEP, GONE, MOVED, REROUTED], release="v1.27")
    new_chains = [KEEP, _moved(MOVED, 7, "pkg/moved.go"), _rerouted(REROUTED), NEW]
    new = make_run(str(tmp_path / "new"), new_chains, release="v1.28")
    return old, new


def test_diff_chains_by_id():
    changes = diff_chains([KEEP, GONE, MOVED, REROUTED], [KEEP, _moved(MOVED, 7), _rerouted(REROUTED), NEW])
    got = {(c["change"], c["chain_id"]) for c in changes}
    assert got == {
        ("removed", GONE["chain_id"]),
        ("added", NEW["chain_id"]),
        ("path-changed", REROUTED["chain_id"]),
    }
    changed = next(c for c in changes if c["change"] == "path-changed")
    assert len(changed["old_path"]) == 4 and len(changed["path"]) == 5


def test_step_changes_added_removed_moved():
    old = REROUTED["path"]
    d = step_changes(old, _rerouted(REROUTED)["path"])
    assert [(s["at"], s["function"]) for s in d["added"]] == [(3, HELPER)]
    assert d["removed"] == [] and d["moved"] == []
    d = step_changes(old, old[:2] + old[3:])
    assert [s["at"] for s in d["removed"]] == [3] and not d["added"] and not d["moved"]
    assert step_changes(old, old) == {"added": [], "removed": [], "moved": []}
    a, b, c, e, f = (step(f"pkg.{n}", "x.go", i, "call", "call") for i, n in enumerate("abcef"))
    d = step_changes([a, b, c, e, f], [a, c, e, b, f])  # b moved after c and e
    assert [(s["function"], s["at"], s["was"]) for s in d["moved"]] == [("pkg.b", 4, 2)]
    assert not d["added"] and not d["removed"]


def test_same_run_exits_0(releases):
    r = invoke("diff", releases[0], releases[0])
    assert r.exit_code == 0, r.output
    assert "0 added, 0 removed, 0 path changed" in r.output


def test_table_groups_per_component(releases):
    r = invoke("diff", *releases)
    assert r.exit_code == 1, r.output
    assert "1 added, 1 removed, 1 path changed in 2 component(s)" in r.output
    lines = r.output.splitlines()
    assert lines.index(RS) < lines.index(SCHED)
    assert any(line.startswith(f"  - {GONE['chain_id']}") for line in lines)
    assert any(line.startswith(f"  + {NEW['chain_id']}") for line in lines)
    assert any(line.startswith(f"  ~ {REROUTED['chain_id']}") for line in lines)
    assert MOVED["chain_id"] not in r.output  # moved code (file, line) is not a change
    at = lines.index(next(line for line in lines if line.startswith(f"  ~ {REROUTED['chain_id']}")))
    assert lines[at + 1].split() == [
        "witness:",
        "1",
        "step(s)",
        "added,",
        "0",
        "removed,",
        "0",
        "moved",
        "(4",
        "->",
        "5",
        "steps)",
    ]
    assert lines[at + 2].split() == ["+", "3.", "call", "sched.helper", "x.go:3"]
    assert not any(line.strip().startswith(("was:", "now:")) for line in lines)  # no two whole paths


def test_json(releases):
    r = invoke("diff", *releases, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.output)
    assert doc["counts"] == {"added": 1, "removed": 1, "path_changed": 1}
    by = {c["component"]: c for c in doc["components"]}
    assert [c["chain_id"] for c in by[RS]["removed"]] == [GONE["chain_id"]]
    assert [c["chain_id"] for c in by[SCHED]["added"]] == [NEW["chain_id"]]
    changed = by[SCHED]["path_changed"][0]
    assert changed["old_path"][3]["kind"] == "sink"
    assert [s["function"] for s in changed["steps"]["added"]] == [HELPER]


def test_csv(releases, tmp_path):
    r = invoke("diff", *releases, "--format", "csv")
    assert r.exit_code == 1, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert sorted(row["change"] for row in rows) == ["added", "path-changed", "removed"]
    changed = next(row for row in rows if row["change"] == "path-changed")
    assert changed["steps_added"] == f"3. call {HELPER}" and changed["steps_moved"] == ""
    out = str(tmp_path / "d.csv")
    assert invoke("diff", *releases, "--format", "csv", "--out", out).exit_code == 1
    assert invoke("diff", *releases, "--format", "csv", "--out", out).exit_code == 1  # its own file again
    (tmp_path / "mine.csv").write_text("change,chain_id\n")
    r = invoke("diff", *releases, "--format", "csv", "--out", str(tmp_path / "mine.csv"))
    assert r.exit_code == 2 and "not written by kubetorch" in r.output


def test_parquet(releases, tmp_path):
    out = str(tmp_path / "d" / "changes.parquet")
    r = invoke("diff", *releases, "--format", "parquet", "--out", out)
    assert r.exit_code == 1, r.output
    table = pq.read_table(out)
    assert table.schema.equals(DIFF_SCHEMA)
    assert sorted(table.column("change").to_pylist()) == ["added", "path-changed", "removed"]
    r = invoke("diff", *releases, "--format", "parquet")
    assert r.exit_code == 2 and "needs --out" in r.output


def test_history_labels(releases, tmp_path):
    history = str(tmp_path / "h")
    add_run(history, releases[0], "v1.27")
    add_run(history, releases[1], "v1.28")
    r = invoke("diff", "--history", history, "v1.27", "v1.28", "--format", "json")
    assert r.exit_code == 1, r.output
    assert json.loads(r.output)["from"] == "v1.27"
    assert invoke("diff", "--history", history, "v1.28", "v1.28").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("missing-a", "missing-b"),
        ("--history", "nowhere", "v1", "v2"),
    ],
)
def test_errors_exit_2_in_one_line(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("diff", *args)
    assert r.exit_code == 2
    assert r.output.startswith("kubetorch: error: ") and len(r.output.strip().splitlines()) == 1


def test_not_a_run_and_unknown_release_exit_2(releases, tmp_path):
    (tmp_path / "empty").mkdir()
    r = invoke("diff", str(tmp_path / "empty"), releases[0])
    assert r.exit_code == 2 and "not a kubetorch output" in r.output
    history = str(tmp_path / "h")
    add_run(history, releases[0], "v1")
    r = invoke("diff", "--history", history, "v1", "v9")
    assert r.exit_code == 2 and "no release 'v9' (known: v1)" in r.output


def test_help_documents_exit_status():
    r = invoke("diff", "--help")
    assert r.exit_code == 0
    assert "Exit status" in r.output and "2  error" in r.output
