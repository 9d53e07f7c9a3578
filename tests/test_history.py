"""pipeline.history: one Hive partition per release, replaced atomically."""

from __future__ import annotations

import os

import pyarrow.dataset as ds
import pytest
from runfixtures import chain, invoke, make_run

from pipeline.history import HistoryError, add_run, list_releases, release_dir, table_files


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


def test_releases_ordered_by_run_start(tmp_path, runs):
    history = str(tmp_path / "h")
    add_run(history, runs[0], "a-late")  # started 2024-03
    add_run(history, runs[1], "z-early")  # started 2024-01
    assert list_releases(history) == ["z-early", "a-late"]


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
    assert r.exit_code == 0 and r.output.startswith("v1\t")
    r = invoke("history", "add", runs[0], "--history", history, "--release", "../x")
    assert r.exit_code == 1
    assert "not a safe folder name" in r.output and "Traceback" not in r.output
