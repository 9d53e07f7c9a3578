"""An incremental run equals a cold run: one cache over a copy of the demo tree, a realistic edit
after another, and after each every table of the cached run equals a `--no-cache` run's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.run import RunConfig, RunResult, analyze

DEMO = Path(__file__).resolve().parent.parent / "demo"
M = "example.com/kubedemo"
RS = "pkg/controller/replicaset"
CLEANER_GO = "pkg/controller/cleaner/cleaner.go"
BINDER = "pkg/scheduler/framework/plugins/defaultbinder/default_binder.go"

# counts that say how much was reused, not what was found
REUSE_COUNTS = ("files_read", "files_parsed", "packages_summarized")

CLEANER = """package cleaner

import (
	"context"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Cleaner deletes every ConfigMap it is told about.
type Cleaner struct {
	client clientset.Interface
	queue  workqueue.Interface
}

func NewCleaner(informer coreinformers.ConfigMapInformer, client clientset.Interface) *Cleaner {
	c := &Cleaner{client: client, queue: workqueue.New()}
	informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.add,
	})
	return c
}

func (c *Cleaner) add(obj interface{}) {
	cm := obj.(*v1.ConfigMap)
	c.queue.Add(cm.Namespace + "/" + cm.Name)
}

func (c *Cleaner) Run(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Cleaner) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	_ = c.client.CoreV1().ConfigMaps("default").Delete(ctx, key.(string), metav1.DeleteOptions{})
	return true
}
"""


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert text.count(old) == count, (path, old, text.count(old))
    path.write_text(text.replace(old, new))


def same_size_edit_mtime_put_back(path: Path, old: str, new: str) -> None:
    """What `git stash pop`-like tools or `touch -d` can do: other bytes, same size, same mtime."""
    assert len(old) == len(new)
    before = os.stat(path)
    edit(path, old, new)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def chains_of(result: RunResult) -> set[tuple[str, str, str, str, str]]:
    rows = result.tables["chains"].to_pylist()
    return {(r["component"], r["event"], r["handler"], r["sink_function"], r["api_verb"]) for r in rows}


def sinks_of(result: RunResult) -> set[str]:
    return set(result.tables["chains"].column("sink_function").to_pylist())


# each step: (name, change the tree, what the cold run must show, so the step is not a no-op)
Step = tuple[str, Callable[[Path], None], Callable[[RunResult, RunResult], bool]]


def lines_moved(new: RunResult, old: RunResult) -> bool:
    """The cleaner's chains are the same ones at other lines (kubetorch indexes a file whatever its
    build constraint, preferring linux declarations where two files declare one name)."""
    cleaner = f"{M}/pkg/controller/cleaner.Cleaner"

    def rows(result: RunResult) -> list[dict]:
        return [r for r in result.tables["chains"].to_pylist() if r["component"] == cleaner]

    return bool(rows(new)) and rows(new) != rows(old)


def _move(root: Path, src: str, dst: str) -> None:
    (root / dst).parent.mkdir(parents=True, exist_ok=True)
    os.rename(root / src, root / dst)


STEPS: list[Step] = [
    (
        "function-body edit",
        lambda t: edit(t / RS / "replica_set.go", "\trsc.enqueueRS(curRS)\n", "\t_ = curRS\n"),
        lambda new, old: chains_of(new) < chains_of(old),
    ),
    (
        "renamed method",
        lambda t: edit(t / RS / "replica_set.go", "processNextWorkItem", "processNextKey", count=4),
        lambda new, old: any(
            "processNextKey" in (r or "") for r in new.tables["chains"].column("reader").to_pylist()
        ),
    ),
    (
        "added file",
        lambda t: (t / RS / "extra.go").write_text(
            'package replicaset\n\nfunc (rsc *ReplicaSetController) extra() { rsc.queue.Add("x") }\n'
        ),
        lambda new, old: (
            f"{M}/{RS}.(*ReplicaSetController).extra"
            in new.tables["functions"].column("qualified_name").to_pylist()
        ),
    ),
    (
        "deleted file",
        lambda t: os.remove(t / RS / "replica_set_utils.go"),
        lambda new, old: new.tables["functions"].num_rows < old.tables["functions"].num_rows,
    ),
    (
        "moved file",
        lambda t: _move(
            t, "pkg/controller/controller_utils.go", "pkg/controller/podcontrol/controller_utils.go"
        ),
        lambda new, old: chains_of(new) != chains_of(old),
    ),
    (
        "renamed file",
        lambda t: _move(
            t, "pkg/controller/deployment/sync.go", "pkg/controller/deployment/sync_deployment.go"
        ),
        lambda new, old: (
            "pkg/controller/deployment/sync_deployment.go" in new.tables["files"].column("file").to_pylist()
        ),
    ),
    (
        "changed struct field type",
        lambda t: edit(
            t / "pkg/scheduler/scheduler.go",
            "\tCache internalcache.Cache\n",
            "\tCache *internalcache.Snapshot\n",
        ),
        lambda new, old: chains_of(new) != chains_of(old),
    ),
    (
        "interface method renamed, implementation not yet",
        lambda t: (
            edit(t / "pkg/scheduler/framework/interface.go", "\tBind(ctx", "\tBindPod(ctx"),
            edit(t / "pkg/scheduler/framework/framework.go", "bp.Bind(", "bp.BindPod("),
        ),
        lambda new, old: (
            f"{M}/pkg/scheduler/framework/plugins/defaultbinder.DefaultBinder.Bind" not in sinks_of(new)
        ),
    ),
    (
        "interface method renamed across packages",
        lambda t: edit(t / BINDER, ") Bind(ctx", ") BindPod(ctx"),
        lambda new, old: (
            f"{M}/pkg/scheduler/framework/plugins/defaultbinder.DefaultBinder.BindPod" in sinks_of(new)
        ),
    ),
    (
        "new package",
        lambda t: (t / "pkg/controller/cleaner").mkdir() or (t / CLEANER_GO).write_text(CLEANER),
        lambda new, old: any(c[0] == f"{M}/pkg/controller/cleaner.Cleaner" for c in chains_of(new)),
    ),
    (
        "deleted package",
        lambda t: shutil.rmtree(t / "pkg/controller/deployment"),
        lambda new, old: not any("deployment" in c[0] for c in chains_of(new)),
    ),
    (
        "build constraint added",
        lambda t: edit(t / CLEANER_GO, "package cleaner\n", "//go:build ignore\n\npackage cleaner\n"),
        lines_moved,
    ),
    (
        "build constraint removed",
        lambda t: edit(t / CLEANER_GO, "//go:build ignore\n\npackage cleaner\n", "package cleaner\n"),
        lines_moved,
    ),
    (
        "linux-excluding build constraint added",
        lambda t: edit(t / CLEANER_GO, "package cleaner\n", "//go:build !linux\n\npackage cleaner\n"),
        lines_moved,
    ),
    (
        "linux-excluding build constraint removed",
        lambda t: edit(t / CLEANER_GO, "//go:build !linux\n\npackage cleaner\n", "package cleaner\n"),
        lines_moved,
    ),
    (
        "same-size edit with the mtime put back",
        lambda t: same_size_edit_mtime_put_back(
            t / "pkg/controller/cleaner/cleaner.go",
            'ConfigMaps("default").Delete(',
            'ConfigMaps("default").Update(',
        ),
        lambda new, old: (
            ("update" in {c[4] for c in chains_of(new) if "cleaner" in c[0]})
            and "delete" not in {c[4] for c in chains_of(new) if "cleaner" in c[0]}
        ),
    ),
]


def comparable_manifest(result: RunResult) -> dict:
    m = result.manifest
    return {
        "counts": {k: v for k, v in m["counts"].items() if k not in REUSE_COUNTS},
        "problems": m["problems"],
        "partial": m["partial"],
        "modules": m["modules"],
        "dirs": m["dirs"],
    }


def assert_equal_runs(incremental: RunResult, cold: RunResult, step: str) -> None:
    assert sorted(incremental.tables) == sorted(cold.tables), step
    for name, table in cold.tables.items():
        assert incremental.tables[name].to_pylist() == table.to_pylist(), (step, name)
    assert comparable_manifest(incremental) == comparable_manifest(cold), step


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


def test_incremental_run_equals_cold_run_after_each_realistic_edit(tree, tmp_path, monkeypatch):
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "never-used"))
    cache_dir = str(tmp_path / "kcache")

    def cached() -> RunResult:
        return analyze(RunConfig(tree=str(tree), cache_dir=cache_dir, jobs=1, quiet=True))

    def cold() -> RunResult:
        return analyze(RunConfig(tree=str(tree), use_cache=False, jobs=1, quiet=True))

    first = cached()
    assert first.manifest["counts"]["chains"] == 90
    assert_equal_runs(first, cold(), "start")
    previous = first
    for name, change, shows in STEPS:
        change(tree)
        incremental = cached()
        fresh = cold()
        assert_equal_runs(incremental, fresh, name)
        assert shows(fresh, previous), f"step {name!r} changed nothing it should have"
        counts = incremental.manifest["counts"]
        # the cache did its part: most files came from it
        assert counts["files_parsed"] <= 2, (name, counts)
        if name.startswith("same-size"):
            # the stat memo saw the edit although size, mtime and inode are those it remembers
            assert counts["files_read"] == 1 and counts["files_parsed"] == 1
        previous = fresh
    assert not os.path.exists(tmp_path / "never-used")
