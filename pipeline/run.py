"""One analysis run, stage by stage: discover -> extract -> index -> ... -> tables.

Each stage is a function from plain data to plain data; this module only decides where the work
runs (cache, in-process, Dask) and keeps the timings and counts the manifest reports.
"""

from __future__ import annotations

import datetime as _dt
import gc
import hashlib
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from cache import ResultCache
from kubetorch import __version__, analysis_fingerprint, extract_fingerprint, summarize_fingerprint
from kubetorch.callgraph import Program
from kubetorch.collect import collect
from kubetorch.compose import compose
from kubetorch.index import IndexedFile, ProgramIndex, build_index
from kubetorch.ir import FileFacts
from kubetorch.models import MODELS_FILE, load_models
from kubetorch.summary import PackageSummary
from pipeline import apiops, tables
from pipeline.cache_entries import cached_tables, open_cache
from pipeline.discover import FileProblem, SourceFile, Tree, discover, file_sha, spell
from pipeline.discover import Options as DiscoverOptions
from pipeline.execute import Executor
from pipeline.links import permalinks, snippets
from pipeline.progress import StageLog
from pipeline.tasks import extract_batch, summarize_batch

# target size of one task: big enough to amortise task overhead, small enough to balance
BATCH_BYTES = int(os.environ.get("KUBETORCH_BATCH_BYTES", 1_500_000))  # the variable is for tests
SUMMARY_BATCH_FILES = 120


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
    config_file: str | None = None  # the kubetorch.toml read, if any
    # model files from the config file, checked to exist; carried to the manifest and the run key
    # (no stage reads them yet)
    models: tuple[str, ...] = ()
    # RBAC YAML (ClusterRole, Role, bindings) besides the tree's own: --rbac, else the config file's
    rbac_files: tuple[str, ...] = ()


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
    warnings: list[str] = field(default_factory=list)  # one line each, e.g. damage found in the cache

    @property
    def partial(self) -> bool:
        return bool(self.problems)


class Timer:
    """Times of the stages, each also reported (progress.StageLog) as it ends."""

    def __init__(self, report: Callable[[str, float, str], None] | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.report = report
        self._start = time.perf_counter()

    def lap(self, name: str, detail: str = "") -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._start, 3)
        self._start = now
        if self.report is not None:
            self.report(name, self.timings[name], detail)


def _batches(files: list[SourceFile]) -> tuple[list[list[tuple[str, str, bytes]]], dict[str, str]]:
    """Tasks of about BATCH_BYTES, one file per content; and path -> report of the files whose
    content could no longer be read (gone, unreadable or changed since discovery)."""
    batches: list[list[tuple[str, str, bytes]]] = []
    current: list[tuple[str, str, bytes]] = []
    lost: dict[str, str] = {}
    seen: set[str] = set()
    size = 0
    for f in sorted(files, key=lambda f: (-f.size, f.path)):
        if f.sha in seen:
            continue  # two files with the same content are parsed once
        try:
            current.append((f.path, f.sha, f.content()))
        except FileProblem as e:
            lost[f.path] = str(e)
            continue
        seen.add(f.sha)
        size += f.size
        if size >= BATCH_BYTES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches, lost


@dataclass
class Extracted:
    facts: dict[str, FileFacts]  # path -> declarations (function bodies stripped: all the index needs)
    digests: dict[str, str]  # path -> api digest
    errors: dict[str, str]  # path -> extract error
    parsed: int  # files actually parsed this run (cache misses)
    full: dict[str, FileFacts] = field(default_factory=dict)  # path -> complete facts, when at hand
    shas: dict[str, str] = field(default_factory=dict)  # path -> content hash
    sources: dict[str, SourceFile] = field(default_factory=dict)  # path -> file, to parse again
    lost: dict[str, str] = field(default_factory=dict)  # path -> why its body could not be had

    def bodies(
        self, paths: list[str], cache: ResultCache | None, executor: Executor | None = None
    ) -> dict[str, FileFacts]:
        """Complete facts (with function bodies) of some files: only packages being summarized
        need them, so an unchanged package's bodies are never even unpickled. A body the cache
        no longer has (evicted, damaged) is extracted again from the file: a package is never
        summarized without one of its files. Files that cannot give it back are in `lost`."""
        out = {p: self.full[p] for p in paths if p in self.full}
        wanted = {self.shas[p] for p in paths if p not in out and p in self.shas}
        if wanted and cache is not None:
            hits = cache.get_many("extract", extract_fingerprint(), wanted)
            for p in paths:
                hit = hits.get(self.shas.get(p, ""))
                if p not in out and hit is not None and hit[0] is not None:
                    out[p] = hit[0]
        again = [self.sources[p] for p in paths if p not in out and p in self.sources]
        if again:
            out.update(self._extract_again(again, cache, executor))
        for p in paths:
            if p not in out and p not in self.lost:
                self.lost[p] = "its extracted facts were lost during the run"
        return out

    def _extract_again(
        self, files: list[SourceFile], cache: ResultCache | None, executor: Executor | None
    ) -> dict[str, FileFacts]:
        """Parse files whose declarations came from the cache but whose bodies did not; only bytes
        with the hash the declarations were keyed by count (`SourceFile.content` checks that: a file
        edited since discovery would give bodies that do not match them)."""
        batches, lost = _batches(files)
        self.lost.update(lost)
        current = [f for f in files if f.path not in lost]
        results = (
            executor.map(extract_batch, batches, label="extract") if executor else map(extract_batch, batches)
        )
        by_sha = {sha: (v, d, e) for batch in results for _p, sha, v, d, e in batch}
        if cache is not None and by_sha:
            cache.put_many("extract", extract_fingerprint(), by_sha.items())
        self.parsed += len(by_sha)
        out: dict[str, FileFacts] = {}
        for f in current:
            value, _digest, error = by_sha[f.sha]
            if value is None:
                self.lost[f.path] = error
            else:
                out[f.path] = value
        return out


def declarations_only(facts: FileFacts) -> FileFacts:
    """The same facts without function bodies or locals (what indexing reads)."""
    funcs = tuple(replace(fn, body=None, vars=None) for fn in facts.funcs)
    return replace(facts, funcs=funcs)


def extract_stage(tree: Tree, cache: ResultCache | None, executor: Executor) -> Extracted:
    fp = extract_fingerprint()
    usable = [f for f in tree.files if f.usable]
    cached = cache.get_many("decl", fp, {f.sha for f in usable}) if cache is not None else {}
    result = Extracted(
        {}, {}, {}, 0, shas={f.path: f.sha for f in usable}, sources={f.path: f for f in usable}
    )
    missing: list[SourceFile] = []
    for f in usable:
        hit = cached.get(f.sha)
        if hit is None:
            missing.append(f)
            continue
        value, digest, error = hit
        if value is not None:
            result.facts[f.path] = value
            result.digests[f.path] = digest
        else:
            result.errors[f.path] = error
    batches, result.lost = _batches(missing)
    by_sha: dict[str, tuple] = {}
    decls: dict[str, tuple] = {}
    for batch in executor.map(extract_batch, batches, label="extract"):
        done = {sha: (value, digest, error) for _path, sha, value, digest, error in batch}
        done_decls = {
            sha: (declarations_only(v) if v is not None else None, d, e) for sha, (v, d, e) in done.items()
        }
        if cache is not None:
            # stored as each batch arrives (both stages in one transaction), so an interrupted run
            # keeps every file it finished
            with cache.batch():
                cache.put_many("extract", fp, done.items())
                cache.put_many("decl", fp, done_decls.items())
        by_sha.update(done)
        decls.update(done_decls)
    for f in missing:
        if f.path in result.lost:
            result.errors[f.path] = result.lost[f.path]
            continue
        value, digest, error = by_sha[f.sha]
        if value is not None:
            result.facts[f.path] = decls[f.sha][0]
            result.full[f.path] = value
            result.digests[f.path] = digest
        else:
            result.errors[f.path] = error
    result.parsed = len(by_sha)
    return result


def package_keys(index: ProgramIndex, extracted: Extracted) -> dict[str, str]:
    """Cache key of each package's summaries: its files' contents and the declarations of every
    package it can see (its transitive imports), so an edit inside a function body re-summarizes
    one package and a changed signature re-summarizes exactly its dependents."""
    api: dict[str, str] = {}
    for pkg, info in index.packages.items():
        api[pkg] = file_sha("".join(sorted(extracted.digests.get(f, "") for f in info.files)).encode())
    closure: dict[str, frozenset[str]] = {}

    def deps(pkg: str) -> frozenset[str]:
        if pkg in closure:
            return closure[pkg]
        # iterative DFS: Go forbids import cycles, but a tree may still contain one
        stack, seen = [pkg], {pkg}
        while stack:
            q = stack.pop()
            for d in index.packages[q].imports:
                if d in index.packages and d not in seen:
                    seen.add(d)
                    stack.append(d)
        closure[pkg] = frozenset(seen)
        return closure[pkg]

    keys = {}
    fp = summarize_fingerprint()
    for pkg, info in index.packages.items():
        own = sorted((f, extracted.shas.get(f, "")) for f in info.files)
        seen_api = sorted(api[d] for d in deps(pkg))
        keys[pkg] = file_sha(repr((fp, pkg, own, seen_api)).encode())
    return keys


def summarize_stage(
    index: ProgramIndex, extracted: Extracted, cache: ResultCache | None, executor: Executor
) -> tuple[list[PackageSummary], int]:
    keys = package_keys(index, extracted)
    fp = summarize_fingerprint()
    cached = cache.get_many("summary", fp, set(keys.values())) if cache is not None else {}
    summaries: dict[str, PackageSummary] = {}
    todo: list[tuple[str, list]] = []
    models = load_models()
    for pkg, info in sorted(index.packages.items()):
        if models.is_library(pkg):
            continue  # library code is described by the models, never followed
        hit = cached.get(keys[pkg])
        if hit is not None:
            summaries[pkg] = hit
        else:
            todo.append((pkg, info.files))
    bodies = extracted.bodies([f for _pkg, files in todo for f in files], cache, executor)
    # a package missing a file's body is summarized from what is there, and never stored
    incomplete = {pkg for pkg, files in todo if any(f not in bodies for f in files)}
    todo = [(pkg, [(f, bodies[f]) for f in files if f in bodies]) for pkg, files in todo]
    batches: list[list] = []
    current: list = []
    size = 0
    for item in sorted(todo, key=lambda t: -len(t[1])):
        current.append(item)
        size += len(item[1])
        if size >= SUMMARY_BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    fresh: list[tuple[str, PackageSummary]] = []
    for batch in executor.map(summarize_batch, batches, shared=(index, MODELS_FILE), label="summarize"):
        if cache is not None:
            # stored as each batch arrives; a package summarized without one of its files is not
            cache.put_many("summary", fp, ((keys[pkg], ps) for pkg, ps in batch if pkg not in incomplete))
        fresh.extend(batch)
    for pkg, ps in fresh:
        summaries[pkg] = ps
    return [summaries[p] for p in sorted(summaries)], len(fresh)


def pipeline_fingerprint() -> str:
    """The code in this package that shapes the stored tables (a cached run is tables)."""
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.blake2b(digest_size=8)
    for name in ("run.py", "tables.py", "links.py", "apiops.py", "rbac.py"):
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def run_key(tree: Tree, config: RunConfig, spec_sha: str | None = None) -> str:
    """Everything a run's tables depend on: the files, the options, the analyzer's code, the
    tree's OpenAPI spec (operation ids) and its RBAC files."""
    opts = config.discover
    files = sorted((f.path, f.sha, f.import_path, f.error) for f in tree.files)
    code = (analysis_fingerprint(), pipeline_fingerprint())
    models = tuple((p, _content_sha(p)) for p in config.models)
    rbac = (config.rbac_files, rbac_digest(config))
    return file_sha(
        repr((code, config.release, opts, tree.dirs, tree.modules, files, spec_sha, rbac, models)).encode()
    )


def _content_sha(path: str) -> str:
    """A model file's content hash (empty when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return file_sha(f.read())
    except OSError:
        return ""


def _git_head(path: str, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", path, *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def git_commit(path: str) -> str | None:
    return _git_head(path, "rev-parse", "HEAD")


def git_commit_date(path: str) -> str | None:
    """The checkout's commit date (ISO 8601): `history` orders commit labels by it."""
    return _git_head(path, "show", "-s", "--format=%cI", "HEAD")


def analyze(config: RunConfig) -> RunResult:
    """Run every stage over config.tree and return the tables and manifest (nothing is written)."""
    gc_was = gc.isenabled()
    gc.disable()  # millions of small acyclic objects: collection only costs time here
    try:
        return _analyze(config)
    finally:
        if gc_was:
            gc.enable()


def rbac_table(config: RunConfig, out_tables: dict[str, pa.Table], counts: dict[str, Any]) -> pa.Table | None:
    """The rbac table, when the tree or --rbac holds RBAC rules (its counts go into `counts`)."""
    from pipeline.rbac import STATUS_FORBIDDEN, STATUS_NO_ROLE, STATUS_UNREACHED, rbac_rows

    rows = rbac_rows(config.tree, out_tables, config.rbac_files)
    if rows is None:
        return None
    for key, status in (
        ("rbac_forbidden", STATUS_FORBIDDEN),
        ("rbac_no_role", STATUS_NO_ROLE),
        ("rbac_unreached", STATUS_UNREACHED),
    ):
        counts[key] = sum(1 for r in rows if r["status"] == status)
    return tables.rbac_table(rows)


def rbac_digest(config: RunConfig) -> str:
    """The bytes of every RBAC file the rbac table reads (part of the run key)."""
    from pipeline.rbac import policy_files

    h = hashlib.blake2b(digest_size=16)
    for path in policy_files(config.tree, config.rbac_files):
        h.update(os.fsencode(path) + b"\0")
        try:
            with open(path, "rb") as f:
                h.update(f.read())
        except OSError as e:
            h.update(f"unreadable: {e.strerror}".encode())
    return h.hexdigest()


def _analyze(config: RunConfig) -> RunResult:
    timer = Timer(StageLog(config.quiet))
    started = _dt.datetime.now(_dt.timezone.utc)
    cache = open_cache(config.cache_dir) if config.use_cache else None
    memo_key = file_sha(os.fsencode(os.path.abspath(config.tree)))
    memo = cache.get("stat-memo", "2", memo_key) if cache is not None else None
    tree = discover(config.tree, config.discover, memo)
    if cache is not None and tree.read:
        cache.put("stat-memo", "2", memo_key, tree.memo)
    timer.lap("discover", f"{len(tree.files):,} files ({tree.read:,} read)")
    spec = apiops.read_spec(tree.root)
    key = run_key(tree, config, spec.sha)
    if cache is not None:
        hit = cache.get("run", "1", key)
        reused = _from_cached_run(hit, tree, config, started, timer) if hit is not None else None
        if reused is not None:
            reused.warnings = cache.warnings()
            return reused
        if hit is not None:
            cache.discard("run", "1", key)
    problems: list[Problem] = [Problem(f.path, f.error) for f in tree.problems]
    if spec.error:
        problems.append(Problem(spec.path, f"OpenAPI spec {spec.error}; operation ids derived without it"))
    with Executor(config.jobs, config.scheduler, quiet=config.quiet) as executor:
        extracted = extract_stage(tree, cache, executor)
        cached_files = len(extracted.facts) + len(extracted.errors) - len(extracted.full)
        timer.lap("extract", f"{extracted.parsed:,} files parsed, {max(cached_files, 0):,} from the cache")
        for path, error in sorted(extracted.errors.items()):
            problems.append(Problem(path, error))
        for path, facts in sorted(extracted.facts.items()):
            if facts.errors:
                more = " ..." if len(facts.errors) > 3 else ""
                problems.append(Problem(path, f"syntax errors at {', '.join(facts.errors[:3])}{more}"))
            if facts.skipped:
                problems.append(Problem(path, tables.skipped_message(facts)))
        by_path = {f.path: f for f in tree.files}
        indexed = [
            IndexedFile(path, by_path[path].import_path, by_path[path].dir, facts)
            for path, facts in sorted(extracted.facts.items())
        ]
        index = build_index(indexed)
        timer.lap(
            "index", f"{len(index.packages):,} packages, {len(index.funcs):,} functions and func literals"
        )
        summaries, summarized = summarize_stage(index, extracted, cache, executor)
        timer.lap(
            "summarize", f"{summarized:,} packages summarized, {len(summaries) - summarized:,} from the cache"
        )
        for path, error in sorted(extracted.lost.items()):
            if path not in extracted.errors:  # those lost before extraction are reported already
                problems.append(Problem(path, error))
                extracted.errors[path] = error
        used_cluster = executor.used_cluster
    summary_errors: dict[str, str] = {}
    for ps in summaries:
        for err in ps.errors:
            path = err.split(":", 1)[0]
            problems.append(Problem(path, err.split(": ", 1)[-1]))
            summary_errors.setdefault(path, err.split(": ", 1)[-1])
    models = load_models()
    program = Program(index, summaries, models)
    handlers = collect(program, models)
    timer.lap("collect", f"{len(handlers):,} handlers")
    composed = compose(program, handlers, config.release)
    timer.lap("compose", f"{len(composed.chains):,} chains")

    from kubetorch.gomod import ModuleMap

    mapping = ModuleMap(tree.modules)
    lines_of = {p: f.lines for p, f in extracted.facts.items()}
    modules_of = {pkg: mapping.module_of(info.dir) for pkg, info in index.packages.items()}
    file_rows = []
    for f in tree.files:
        facts = extracted.facts.get(f.path)
        error = f.error or extracted.errors.get(f.path, "") or summary_errors.get(f.path, "")
        file_rows.append(tables.file_row(f.path, f.import_path, f.sha, f.size, f.generated, facts, error))
    types = tables.types_table(index)
    type_rows = types.select(["package", "name", "kind", "file", "line", "embeds"]).to_pylist()
    catalog = apiops.tree_catalog(tree.root, spec, type_rows, models)
    endpoints = apiops.sink_endpoints(program, catalog)
    out_tables = {
        "files": tables.files_table(file_rows),
        "packages": tables.packages_table(index, modules_of, lines_of),
        "types": types,
        "functions": tables.functions_table(index),
        "handlers": tables.handlers_table(handlers),
        "chains": tables.chains_table(
            composed.chains, config.release, program, snippets(tree.files), endpoints
        ),
        "sinks": tables.sinks_table(program, composed.on_chain, endpoints),
        "accesses": tables.accesses_table(program),
        "calls": tables.calls_table(program),
        "cascades": tables.cascades_table(composed.chains, handlers),
        "api_resources": tables.api_resources_table(catalog),
    }
    timer.lap("tables", f"{sum(t.num_rows for t in out_tables.values()):,} rows in {len(out_tables)} tables")
    counts = {
        "files": len(tree.files),
        "files_read": tree.read,
        "files_parsed": extracted.parsed,
        "packages_summarized": summarized,
        "files_with_problems": len({p.path for p in problems}),
        "lines": sum(lines_of.values()),
        **index.stats(),
        "handlers": len(handlers),
        "chains": len(composed.chains),
        "components_with_chains": len({c.component for c in composed.chains}),
        "components_with_handlers": len({h.component for h in handlers}),
        "sinks": out_tables["sinks"].num_rows,
        "skipped": tree.skipped,
    }
    rbac = rbac_table(config, out_tables, counts)
    if rbac is not None:
        out_tables["rbac"] = rbac
    timer.lap("rbac", f"{rbac.num_rows:,} rows" if rbac is not None else "no RBAC rules found")
    manifest = {
        "tool": "kubetorch",
        "tool_version": __version__,
        "release": config.release,
        "tree": spell(tree.root),
        "commit": git_commit(tree.root),
        "commit_date": git_commit_date(tree.root),
        "started": started.isoformat(timespec="seconds"),
        "dirs": list(tree.dirs),
        "modules": tree.modules,
        "options": _options(config, cache),
        "cluster_started": used_cluster,
        "counts": counts,
        "api_operations": apiops.manifest_entry(spec, catalog, endpoints.values()),
        "timings": timer.timings,
        "python": platform.python_version(),
        "partial": bool(problems),
        "problems": [{"path": p.path, "message": p.message} for p in problems],
    }
    if cache is not None and not extracted.lost:  # the key says these files were fine
        cache.put("run", "1", key, _serialize_run(out_tables, manifest))
    _link(out_tables, tree.root)
    return RunResult(out_tables, manifest, problems, index, cache.warnings() if cache is not None else [])


def _link(out_tables: dict[str, pa.Table], root: str) -> None:
    """Permalinks on the witness steps, for this checkout's commit (never cached: the same files
    can be at another commit of another remote)."""
    url_of = permalinks(root)
    if url_of is not None and "chains" in out_tables:
        out_tables["chains"] = tables.link_steps(out_tables["chains"], url_of)


def _options(config: RunConfig, cache: ResultCache | None) -> dict[str, Any]:
    return {
        "include_vendor": config.discover.include_vendor,
        "include_testdata": config.discover.include_testdata,
        "include_tests": config.discover.include_tests,
        "include_generated": config.discover.include_generated,
        "dirs": list(config.discover.dirs) if config.discover.dirs else None,
        "max_file_size": config.discover.max_file_size,
        "jobs": config.jobs or os.cpu_count(),
        "scheduler": config.scheduler,
        "cache": cache.directory if cache is not None else None,
        "config": config.config_file,
        "models": list(config.models),
        "rbac": list(config.rbac_files),
    }


def _serialize_run(out_tables: dict[str, pa.Table], manifest: dict[str, Any]) -> dict[str, Any]:
    blobs = {}
    for name, table in out_tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        blobs[name] = sink.getvalue().to_pybytes()
    return {"tables": blobs, "manifest": manifest}


def _from_cached_run(
    hit: dict[str, Any], tree: Tree, config: RunConfig, started, timer: Timer
) -> RunResult | None:
    """Nothing changed since a previous run: its tables, with this run's manifest details; None
    when the stored run does not check out (then it is computed again)."""
    out_tables = cached_tables(hit)
    if out_tables is None:
        return None
    timer.lap("load", "nothing changed: the previous run's tables")
    manifest = dict(hit["manifest"])
    manifest["started"] = started.isoformat(timespec="seconds")
    manifest["commit"] = git_commit(tree.root)
    manifest["commit_date"] = git_commit_date(tree.root)
    manifest["timings"] = timer.timings
    manifest["reused_previous_run"] = True
    manifest["counts"] = dict(manifest["counts"], files_read=tree.read, files_parsed=0, packages_summarized=0)
    problems = [Problem(p["path"], p["message"]) for p in manifest.get("problems", [])]
    _link(out_tables, tree.root)
    return RunResult(out_tables, manifest, problems, None)
