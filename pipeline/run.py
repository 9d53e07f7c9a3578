"""One analysis run, stage by stage: discover -> extract -> index -> ... -> tables.

Each stage is a function from plain data to plain data; this module only decides where the work
runs (cache, in-process, Dask) and keeps the timings and counts the manifest reports.
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cache import ResultCache
from kubetorch import __version__, extract_fingerprint
from kubetorch.index import IndexedFile, ProgramIndex, build_index
from kubetorch.ir import FileFacts
from pipeline import tables
from pipeline.discover import Options as DiscoverOptions
from pipeline.discover import SourceFile, Tree, discover, file_sha
from pipeline.execute import Executor
from pipeline.tasks import extract_batch

# target size of one extract task: big enough to amortise task overhead, small enough to balance
BATCH_BYTES = 1_500_000


@dataclass
class RunConfig:
    tree: str
    release: str = ""
    jobs: int | None = None
    scheduler: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    discover: DiscoverOptions = field(default_factory=DiscoverOptions)
    quiet: bool = False


@dataclass
class Problem:
    path: str
    message: str


@dataclass
class RunResult:
    tables: dict[str, pa.Table]
    manifest: dict[str, Any]
    problems: list[Problem]
    index: ProgramIndex | None = None

    @property
    def partial(self) -> bool:
        return bool(self.problems)


class Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._start, 3)
        self._start = now


def _batches(files: list[SourceFile]) -> list[list[tuple[str, str, bytes]]]:
    batches: list[list[tuple[str, str, bytes]]] = []
    current: list[tuple[str, str, bytes]] = []
    size = 0
    for f in sorted(files, key=lambda f: -f.size):
        current.append((f.path, f.sha, f.content()))
        size += f.size
        if size >= BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


@dataclass
class Extracted:
    facts: dict[str, FileFacts]  # path -> facts
    digests: dict[str, str]  # path -> api digest
    errors: dict[str, str]  # path -> extract error
    parsed: int  # files actually parsed this run (cache misses)


def extract_stage(tree: Tree, cache: ResultCache | None, executor: Executor) -> Extracted:
    fp = extract_fingerprint()
    usable = [f for f in tree.files if f.usable]
    cached = cache.get_many("extract", fp, {f.sha for f in usable}) if cache is not None else {}
    facts: dict[str, FileFacts] = {}
    digests: dict[str, str] = {}
    errors: dict[str, str] = {}
    missing: list[SourceFile] = []
    for f in usable:
        hit = cached.get(f.sha)
        if hit is None:
            missing.append(f)
            continue
        value, digest, error = hit
        if value is not None:
            facts[f.path] = value
            digests[f.path] = digest
        else:
            errors[f.path] = error
    # two files with the same content are parsed once
    unique: dict[str, SourceFile] = {}
    for f in missing:
        unique.setdefault(f.sha, f)
    by_sha: dict[str, tuple] = {}
    for batch in executor.map(extract_batch, _batches(list(unique.values())), label="extract"):
        for _path, sha, value, digest, error in batch:
            by_sha[sha] = (value, digest, error)
    if cache is not None and by_sha:
        cache.put_many("extract", fp, by_sha.items())
    for f in missing:
        value, digest, error = by_sha[f.sha]
        if value is not None:
            facts[f.path] = value
            digests[f.path] = digest
        else:
            errors[f.path] = error
    return Extracted(facts, digests, errors, parsed=len(unique))


def git_commit(path: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def analyze(config: RunConfig) -> RunResult:
    """Run every stage over config.tree and return the tables and manifest (nothing is written)."""
    gc_was = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: collection only costs time here
    try:
        return _analyze(config)
    finally:
        if gc_was:
            gc.enable()


def _analyze(config: RunConfig) -> RunResult:
    timer = Timer()
    started = _dt.datetime.now(_dt.timezone.utc)
    cache = ResultCache(config.cache_dir) if config.use_cache else None
    memo_key = file_sha(os.path.abspath(config.tree).encode())
    memo = cache.get("stat-memo", "1", memo_key) if cache is not None else None
    tree = discover(config.tree, config.discover, memo)
    if cache is not None and tree.read:
        cache.put("stat-memo", "1", memo_key, tree.memo)
    timer.lap("discover")
    problems: list[Problem] = []
    for f in tree.problems:
        problems.append(Problem(f.path, f.error))
    with Executor(config.jobs, config.scheduler, quiet=config.quiet) as executor:
        extracted = extract_stage(tree, cache, executor)
        timer.lap("extract")
        used_cluster = executor.used_cluster
    for path, error in sorted(extracted.errors.items()):
        problems.append(Problem(path, error))
    for path, facts in sorted(extracted.facts.items()):
        if facts.errors:
            problems.append(
                Problem(
                    path,
                    f"syntax errors at {', '.join(facts.errors[:3])}"
                    + (" ..." if len(facts.errors) > 3 else ""),
                )
            )

    by_path = {f.path: f for f in tree.files}
    indexed = [
        IndexedFile(path, by_path[path].import_path, by_path[path].dir, facts)
        for path, facts in sorted(extracted.facts.items())
    ]
    index = build_index(indexed)
    timer.lap("index")

    from kubetorch.gomod import ModuleMap

    mapping = ModuleMap(tree.modules)
    lines_of = {p: f.lines for p, f in extracted.facts.items()}
    modules_of = {pkg: mapping.module_of(info.dir) for pkg, info in index.packages.items()}
    file_rows = []
    for f in tree.files:
        facts = extracted.facts.get(f.path)
        error = f.error or extracted.errors.get(f.path, "")
        file_rows.append(tables.file_row(f.path, f.import_path, f.sha, f.size, f.generated, facts, error))
    out_tables = {
        "files": tables.files_table(file_rows),
        "packages": tables.packages_table(index, modules_of, lines_of),
        "types": tables.types_table(index),
        "functions": tables.functions_table(index),
    }
    timer.lap("tables")
    counts = {
        "files": len(tree.files),
        "files_read": tree.read,
        "files_parsed": extracted.parsed,
        "files_with_problems": len({p.path for p in problems}),
        "lines": sum(lines_of.values()),
        **index.stats(),
        "skipped": tree.skipped,
    }
    manifest = {
        "tool": "kubetorch",
        "tool_version": __version__,
        "release": config.release,
        "tree": tree.root,
        "commit": git_commit(tree.root),
        "started": started.isoformat(timespec="seconds"),
        "dirs": list(tree.dirs),
        "modules": tree.modules,
        "options": {
            "include_vendor": config.discover.include_vendor,
            "include_testdata": config.discover.include_testdata,
            "include_tests": config.discover.include_tests,
            "include_generated": config.discover.include_generated,
            "jobs": config.jobs or os.cpu_count(),
            "scheduler": config.scheduler,
            "cache": cache.directory if cache is not None else None,
            "cluster_started": used_cluster,
        },
        "counts": counts,
        "timings": timer.timings,
        "python": platform.python_version(),
        "partial": bool(problems),
    }
    return RunResult(out_tables, manifest, problems, index)
