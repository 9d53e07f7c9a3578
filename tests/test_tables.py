"""Tables that join: one spelling of every state, structured witness steps and reads, snippets and
permalinks (pipeline/tables.py, pipeline/links.py), on real analyses of the Go fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from fixturecheck import GO, fixture_dirs, rows, run

from pipeline.links import web_base
from pipeline.run import RunConfig, analyze
from pipeline.tables import STEP_KINDS

TWO = os.path.join(GO, "tracker", "two-controllers-same-queue-type")
TRACKERS = [os.path.join(GO, "tracker", d) for d in fixture_dirs("tracker")]


def test_same_short_state_of_two_components_is_two_qualified_states():
    chains = rows(run(TWO), "chains")
    states = {c["component"]: c["shared_state"] for c in chains}
    m = "example.com/two-controllers-same-queue-type"
    assert states[f"{m}/podcreator.Controller"] == f"{m}/podcreator.Controller.queue"
    assert states[f"{m}/servicecleaner.Controller"] == f"{m}/servicecleaner.Controller.queue"


@pytest.mark.parametrize("path", TRACKERS, ids=os.path.basename)
def test_chain_states_join_the_accesses(path):
    """Every chain's shared state is spelled as in `accesses` (and so joins with it), whenever some
    function's own code touches that state."""
    result = run(path)
    accessed = {a["shared_state"] for a in rows(result, "accesses") if a["shared_state"]}
    for c in rows(result, "chains"):
        state = c["shared_state"]
        assert "/" in state or "." in state.split(".", 1)[1], state  # qualified: has its import path
        short = state.rsplit("/", 1)[-1].split(".", 1)[1]
        touching = {a for a in accessed if a.endswith("." + short)}
        if touching:
            assert state in touching, (state, touching)


@pytest.mark.parametrize("path", TRACKERS, ids=os.path.basename)
def test_witness_steps_and_reads_are_structured(path):
    for c in rows(run(path), "chains"):
        steps = c["path"]
        assert [s["kind"] for s in steps if s["kind"] not in STEP_KINDS] == [], c["chain_id"]
        assert steps[0]["kind"] == "register" and steps[0]["resource"] == c["informer_resource"]
        assert steps[1]["kind"] == "handle" and steps[1]["via"] == c["event"]
        assert steps[-1]["kind"] == "sink"
        assert (steps[-1]["via"], steps[-1]["resource"]) == (c["api_verb"], c["api_resource"])
        reads = [s for s in steps if s["kind"] == "read" and s["step"].startswith("read ")]
        assert reads and reads[0]["state"] == c["shared_state"] and c["shared_state"] in reads[0]["step"]
        assert all(s["kind"] != "write" or s["state"] for s in steps)
        assert all(s["snippet"] for s in steps), "every step shows its source line"
        functions = {s["function"] for s in steps}
        for r in c["reads"]:
            assert r["kind"] and r["resource"] and r["function"] in functions


def test_snippet_is_the_source_line():
    c = next(c for c in rows(run(TWO), "chains") if c["kind"] == "write")
    sink = c["path"][-1]
    with open(os.path.join(TWO, sink["file"]), encoding="utf-8") as f:
        assert f.read().splitlines()[sink["line"] - 1].strip() == sink["snippet"]


@pytest.mark.parametrize(
    "remote, base",
    [
        (
            "https://github.com/kubernetes/kubernetes.git",
            ("https://github.com/kubernetes/kubernetes", "blob"),
        ),
        ("git@github.com:kubernetes/kubernetes.git", ("https://github.com/kubernetes/kubernetes", "blob")),
        ("ssh://git@github.com/o/r", ("https://github.com/o/r", "blob")),
        ("https://user:s3cret@github.com/o/r.git", ("https://github.com/o/r", "blob")),
        ("https://gitlab.com/group/sub/r.git", ("https://gitlab.com/group/sub/r", "-/blob")),
        ("https://example.org/o/r.git", None),
        ("/srv/git/r.git", None),
        ("file:///srv/git/r.git", None),
    ],
)
def test_web_base(remote, base):
    assert web_base(remote) == base


def git(cwd, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(TWO, repo / "src")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "fixture")
    git(repo, "remote", "add", "origin", "https://someone:token@github.com/example/two.git")
    return repo


def analyse(tree) -> list[dict]:
    return (
        analyze(RunConfig(tree=str(tree), jobs=1, use_cache=False, quiet=True)).tables["chains"].to_pylist()
    )


def test_permalinks_on_a_git_checkout(checkout):
    commit = git(checkout, "rev-parse", "HEAD")
    chains = analyse(checkout / "src")  # a sub-folder of the checkout: links carry its prefix
    steps = [s for c in chains for s in c["path"]]
    assert steps and all(s["url"] for s in steps)
    s = steps[-1]
    assert s["url"] == f"https://github.com/example/two/blob/{commit}/src/{s['file']}#L{s['line']}"
    assert all("token" not in s["url"] and "someone" not in s["url"] for s in steps)


def test_no_permalink_for_a_changed_file_or_an_unknown_remote(checkout):
    chains = analyse(checkout / "src")
    changed = chains[0]["path"][-1]["file"]
    with open(checkout / "src" / changed, "a", encoding="utf-8") as f:
        f.write("\n// edited after the commit\n")
    steps = [s for c in analyse(checkout / "src") for s in c["path"]]
    assert all((s["url"] is None) == (s["file"] == changed) for s in steps)
    git(checkout, "remote", "set-url", "origin", "https://example.org/example/two.git")
    assert all(s["url"] is None for c in analyse(checkout / "src") for s in c["path"])


def test_no_permalinks_outside_a_checkout(tmp_path):
    shutil.copytree(TWO, tmp_path / "tree")
    assert all(s["url"] is None for c in analyse(tmp_path / "tree") for s in c["path"])
