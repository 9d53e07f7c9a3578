"""pipeline.history: one Hive partition per release, replaced atomically."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as ds
import pytest
from runfixtures import chain, invoke, make_run

from pipeline.history import (
    HistoryError,
    Release,
    add_run,
    in_version_order,
    list_releases,
    release_dir,
    table_files,
    version_key,
)


@pytest.fixture
def runs(tmp_path):
    one = make_run(str(tmp_path / "r1"), [chain()], release="x", started="2024-03-01T00:00:00+00:00")
    two = make_run(
        str(tmp_path / "r2"),
        [chain(), chain(event="update", api_verb="update", api_resource="pods/status")],
        started="2024-01-01T00:00:00+00:00",
    )
    return one, two


def test_partition_holds_the_whole_run(tmp_path, runs):
    history = str(tmp_path / "h")
    part = add_run(history, runs[0], "v1.28")
    assert part == os.path.join(history, "release=v1.28")
    assert sorted(os.listdir(part)) == sorted(os.listdir(runs[0]))
    assert release_dir(history, "v1.28") == part


def test_rerun_replaces_never_duplicates(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "v1.28")
    add_run(history, runs[1], "v1.28")
    add_run(history, runs[1], "v1.28")
    assert os.listdir(history) == ["release=v1.28"]
    table = ds.dataset(
        table_files(history, "chains"), partitioning="hive", partition_base_dir=history
    ).to_table()
    assert table.num_rows == 2


def test_leftover_of_a_killed_call_is_recovered(tmp_path, runs):
    history = str(tmp_path / "h")
    part = add_run(history, runs[0], "v1")
    os.rename(part, os.path.join(history, ".release=v1.previous"))  # died between the two renames
    os.makedirs(os.path.join(history, ".release=v1.tmp-dead"))
    add_run(history, runs[1], "v2")
    assert list_releases(history) == ["v2"]  # other labels untouched by the recovery
    add_run(history, runs[1], "v1")
    assert sorted(os.listdir(history)) == ["release=v1", "release=v2"]


def test_hive_partitioning_gives_a_release_column(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "v1.27")
    add_run(history, runs[1], "v1.28")
    files = table_files(history, "chains")
    table = ds.dataset(files, partitioning="hive", partition_base_dir=history).to_table()
    assert "release" in table.column_names
    releases = sorted(table.column("release").to_pylist())
    assert releases == ["v1.27", "v1.28", "v1.28"]  # the folder label wins over the run's own label
    handlers = ds.dataset(table_files(history, "handlers"), partitioning="hive", partition_base_dir=history)
    assert set(handlers.to_table().column("release").to_pylist()) == {"v1.27", "v1.28"}


def test_commit_labels_ordered_by_date(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "a-late")  # started 2024-03 (no commit date: not a checkout)
    add_run(history, runs[1], "z-early")  # started 2024-01
    assert list_releases(history) == ["z-early", "a-late"]


def test_version_labels_in_semantic_order(tmp_path, runs):
    history = str(tmp_path / "h")
    for label in ("v1.28.0", "v1.9.3", "v1.28.0-rc.1", "v1.23.13", "v1.28.0-alpha.2", "v1.28.1"):
        add_run(history, runs[0], label)  # all added in this order, by one run
    assert list_releases(history) == [
        "v1.9.3",
        "v1.23.13",
        "v1.28.0-alpha.2",
        "v1.28.0-rc.1",
        "v1.28.0",
        "v1.28.1",
    ]


def test_version_key():
    assert version_key("v1.28") == version_key("1.28.0")
    assert version_key("v1.28.0-rc.10") > version_key("v1.28.0-rc.9")
    assert version_key("v1.28.0-beta.0") > version_key("v1.28.0-alpha.3")
    assert version_key("abc1234") is None and version_key("20240101") is None


def test_commits_merge_with_versions_by_date():
    def r(label, date):
        return Release(label, "2030-01-01", "", date)

    got = in_version_order(
        [
            r("v1.28.0", "2023-08-01"),
            r("c0ffee1", "2023-09-01"),
            r("v1.27.0", "2023-04-01"),
            r("beef123", "2023-05-01"),
        ]
    )
    assert [x.label for x in got] == ["v1.27.0", "beef123", "v1.28.0", "c0ffee1"]


@pytest.mark.parametrize("label", ["", "a/b", "..", ".", ".hidden", "x=y", "a b", "../etc"])
def test_bad_labels_error(tmp_path, runs, label):
    with pytest.raises(HistoryError):
        add_run(str(tmp_path / "h"), runs[0], label)


def test_unknown_release_and_bad_run(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "v1")
    with pytest.raises(HistoryError, match="known: v1"):
        release_dir(history, "v2")
    with pytest.raises(HistoryError):
        list_releases(str(tmp_path / "missing"))
    (tmp_path / "notarun").mkdir()
    with pytest.raises(Exception, match="not a kubetorch output"):
        add_run(history, str(tmp_path / "notarun"), "v3")


def test_history_cli(tmp_path, runs):

    history = str(tmp_path / "h")
    r = invoke("history", "add", runs[0], "--history", history, "--release", "v1")
    assert r.exit_code == 0, r.output
    r = invoke("history", "list", history)
    assert r.exit_code == 0 and r.output.split("\n")[0].split() == [
        "seq",
        "release",
        "commit",
        "commit_date",
        "started",
    ]
    assert r.output.split("\n")[2].split()[:2] == ["0", "v1"]
    r = invoke("history", "list", history, "--format", "json")
    assert [x["release"] for x in json.loads(r.output)] == ["v1"]
    r = invoke("history", "add", runs[0], "--history", history, "--release", "../x")
    assert r.exit_code == 1
    assert "not a safe folder name" in r.output and "Traceback" not in r.output


def test_history_remove(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "v1.27")
    add_run(history, runs[1], "v1.28")
    r = invoke("history", "remove", "v1.27", "--history", history)
    assert r.exit_code == 0, r.output
    assert list_releases(history) == ["v1.28"] and os.listdir(history) == ["release=v1.28"]
    r = invoke("history", "remove", "v1.27", "--history", history)
    assert r.exit_code == 1 and "no release 'v1.27' (known: v1.28)" in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_history_remove_refuses_what_kubetorch_did_not_write(tmp_path, runs):
    history = tmp_path / "h"
    add_run(str(history), runs[0], "v1")
    (history / "release=v2").mkdir()
    (history / "release=v2" / "manifest.json").write_text('{"tool": "other"}')
    (history / "release=v2" / "data.txt").write_text("keep me")
    r = invoke("history", "remove", "v2", "--history", str(history))
    assert r.exit_code == 1 and "refusing" in r.output
    assert (history / "release=v2" / "data.txt").read_text() == "keep me"


def test_new_chains_compares_a_release_with_the_one_before_in_version_order(tmp_path):
    one = chain(event="add")
    two = chain(event="update", api_verb="update", api_resource="pods/status")
    three = chain(event="delete", api_verb="delete", api_resource="pods")
    history = str(tmp_path / "h")
    # added newest first: the order of adding must not matter
    add_run(history, make_run(str(tmp_path / "c"), [one, two, three]), "v1.10.0")
    add_run(history, make_run(str(tmp_path / "b"), [one, two]), "v1.9.0")
    add_run(history, make_run(str(tmp_path / "a"), [one]), "v1.8.0")

    def new(*extra):
        r = invoke("query", "--history", history, "--named", "new-chains", "--format", "json", *extra)
        assert r.exit_code == 0, r.output
        return {(x["release"], x["previous_release"], x["chain_id"]) for x in json.loads(r.output)}

    assert new() == {("v1.10.0", "v1.9.0", three["chain_id"])}
    assert new("--param", "release=v1.9.0") == {("v1.9.0", "v1.8.0", two["chain_id"])}
