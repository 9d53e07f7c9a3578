"""The cache can make kubetorch slow, never wrong: partial, damaged and foreign cache folders.

Every run here is compared with a run without any cache over the same tree (the demo: 12
packages, 90 chains): all ten tables, and the manifest except what a cache changes by design
(timings, how much was read, parsed and summarized). The damage is done from outside, the way a
crash, a full disk or a careless `rm` would do it: SQLite rows and bytes, value files, the
database file itself.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import sqlite3
import sys
import types
from pathlib import Path

import diskcache
import pyarrow as pa
import pytest
from runfixtures import invoke

import cache.store as store
import pipeline.run as run_mod
from cache import ResultCache, Shape
from kubetorch import extract_fingerprint
from kubetorch.ir import FileFacts
from kubetorch.summary import PackageSummary
from pipeline.cache_entries import SCHEMAS, open_cache
from pipeline.run import RunConfig, analyze

DEMO = Path(__file__).resolve().parents[1] / "demo"
CACHE_DEPENDENT = {"files_read", "files_parsed", "packages_summarized"}
SMALL_FILES = 1000  # values at least this big get a value file: about half the entries of the demo
# how likely each stage's entries are damaged in a random round: the run is always, so the tables
# are always computed from what is left; declarations less often than the rest, so that bodies
# and summaries are missing while the declarations are kept (what an eviction leaves)
DAMAGE = {"decl": 0.15, "extract": 0.5, "summary": 0.5, "stat-memo": 0.5, "run": 1.0}
ENTRIES = re.compile(r"cache: (\d+) damaged entr(y|ies) dropped and recomputed")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test may touch the user's cache."""
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    monkeypatch.setattr(store, "MIN_FILE_BYTES", SMALL_FILES)


def run(cache_dir, tree=DEMO):
    return analyze(RunConfig(tree=str(tree), cache_dir=str(cache_dir), jobs=1, quiet=True))


@pytest.fixture(scope="module")
def cold():
    result = analyze(RunConfig(tree=str(DEMO), use_cache=False, jobs=1, quiet=True))
    assert result.manifest["counts"]["chains"] == 90
    return result


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A complete cache of the demo (built once; each test damages its own copy)."""
    directory = tmp_path_factory.mktemp("pristine") / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store, "MIN_FILE_BYTES", SMALL_FILES)
        first = run(directory)
    assert first.warnings == [] and "reused_previous_run" not in first.manifest
    settle(directory)
    return directory


@pytest.fixture()
def warm(pristine, tmp_path):
    directory = tmp_path / "cache"
    shutil.copytree(pristine, directory)
    return directory


def comparable(manifest: dict) -> dict:
    m = {k: v for k, v in manifest.items() if k not in ("timings", "started", "reused_previous_run")}
    m["options"] = dict(m["options"], cache=None)
    m["counts"] = {k: v for k, v in m["counts"].items() if k not in CACHE_DEPENDENT}
    return m


def assert_same_run(got, want) -> None:
    assert sorted(got.tables) == sorted(want.tables) and sorted(want.tables) == sorted(SCHEMAS)
    for name, table in want.tables.items():
        assert got.tables[name].equals(table), name
    assert comparable(got.manifest) == comparable(want.manifest)


def dropped(result) -> int:
    """The count in the one warning line about damaged entries (0 when there is none)."""
    lines = [w for w in result.warnings if ENTRIES.fullmatch(w)]
    assert len(lines) <= 1, result.warnings
    return int(ENTRIES.fullmatch(lines[0]).group(1)) if lines else 0


# ---------------------------------------------------------------- damage, from outside


def connect(directory) -> sqlite3.Connection:
    return sqlite3.connect(Path(directory) / "cache.db", isolation_level=None)


def settle(directory) -> None:
    """Checkpoint the write-ahead log, so the bytes of cache.db are the whole database."""
    con = connect(directory)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def rows(directory, stage: str | None = None) -> list[tuple[int, str, str | None]]:
    """(rowid, key, value file or None) of the entries, of one stage or all."""
    con = connect(directory)
    found = con.execute("SELECT rowid, key, filename FROM Cache ORDER BY rowid").fetchall()
    con.close()
    return [r for r in found if stage is None or r[1].split("/", 1)[0] == stage]


def delete_rows(directory, rowids) -> None:
    con = connect(directory)
    con.executemany("DELETE FROM Cache WHERE rowid = ?", [(r,) for r in rowids])
    con.close()


def flip(data: bytes, rng: random.Random, n: int = 3) -> bytes:
    out = bytearray(data)
    for _ in range(n):
        i = rng.randrange(len(out))
        out[i] ^= 1 + rng.randrange(255)
    return bytes(out)


def scramble_inline(directory, rowid: int, rng: random.Random) -> None:
    con = connect(directory)
    ((value,),) = con.execute("SELECT value FROM Cache WHERE rowid = ?", (rowid,)).fetchall()
    con.execute("UPDATE Cache SET value = ? WHERE rowid = ?", (flip(bytes(value), rng), rowid))
    con.close()


def value_path(directory, filename: str) -> Path:
    return Path(directory) / filename


def scramble_file(path: Path, rng: random.Random) -> None:
    path.write_bytes(flip(path.read_bytes(), rng))


def truncate_file(path: Path, rng: random.Random) -> None:
    os.truncate(path, rng.randrange(path.stat().st_size))


def damage_header(directory) -> None:
    settle(directory)
    with open(Path(directory) / "cache.db", "r+b") as f:
        f.write(b"this is not the header of an SQLite database file" * 2)


def damage_pages(directory, rng: random.Random, every: bool = False) -> None:
    """Garbage over one page after the first (or over all of them): the header still reads."""
    settle(directory)
    path = Path(directory) / "cache.db"
    pages = path.stat().st_size // 4096
    with open(path, "r+b") as f:
        for page in range(1, pages) if every else [rng.randrange(1, pages)]:
            f.seek(page * 4096)
            f.write(bytes(rng.randrange(256) for _ in range(4096)))


def rewrite(directory, key: str, value, shape: Shape | None = None) -> None:
    """Store `value` under an existing entry's key, through the store (a valid digest), with the
    current shape of its stage or the one given."""
    stage, fingerprint, k = key.split("/", 2)
    c = open_cache(str(directory)) if shape is None else ResultCache(str(directory), shapes={stage: shape})
    c.put(stage, fingerprint, k, value)
    c.close()


def stored(directory, key: str):
    stage, fingerprint, k = key.split("/", 2)
    c = open_cache(str(directory))
    value = c.get(stage, fingerprint, k)
    c.close()
    return value


def folder_hash(root: Path) -> str:
    """Names, kinds, modes and contents of everything under `root`."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            h.update(f"{os.path.relpath(path, root)}\0{st.st_mode}\0".encode())
            if os.path.isfile(path):
                h.update(Path(path).read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------- random damage, many rounds


@pytest.mark.parametrize("seed", range(8))
def test_random_damage_never_changes_the_results(seed, warm, cold):
    rng = random.Random(seed)
    gone = []
    for rowid, key, filename in rows(warm):
        if rng.random() >= DAMAGE[key.split("/", 1)[0]]:
            continue
        how = rng.choice(["delete", "scramble", "truncate", "unlink"] if filename else ["delete", "scramble"])
        if how == "delete":
            gone.append(rowid)
        elif how == "truncate":
            truncate_file(value_path(warm, filename), rng)
        elif how == "unlink":
            value_path(warm, filename).unlink()
        elif filename:
            scramble_file(value_path(warm, filename), rng)
        else:
            scramble_inline(warm, rowid, rng)
    delete_rows(warm, gone)
    if seed % 4 == 1:
        damage_header(warm)
    elif seed % 4 == 2:
        damage_pages(warm, rng)
    elif seed % 4 == 3:
        damage_pages(warm, rng, every=True)

    result = run(warm)
    assert_same_run(result, cold)
    if seed % 4 in (1, 3):
        assert any("moved aside" in w for w in result.warnings), result.warnings
    # what this run stored is right, and is what the next run uses
    again = run(warm)
    assert again.manifest.get("reused_previous_run") is True
    assert again.warnings == []
    assert_same_run(again, cold)


# ---------------------------------------------------------------- partial caches (eviction, deleted files)


@pytest.mark.parametrize("fraction", [0.3, 1.0])
def test_lost_bodies_and_summaries_are_computed_again(fraction, warm, cold):
    """Declarations kept, some extraction and summary entries gone (what an eviction leaves):
    a package is never summarized without a file's body; the file is parsed again instead."""
    rng = random.Random(7)
    lost = [
        r for r, key, _ in rows(warm) if key.startswith(("extract/", "summary/")) and rng.random() < fraction
    ]
    lost += [r for r, _, _ in rows(warm, "run")]
    delete_rows(warm, lost)
    result = run(warm)
    assert_same_run(result, cold)
    assert result.warnings == []  # entries that are not there are no damage
    assert result.manifest["counts"]["files_parsed"] > 0
    assert run(warm).manifest.get("reused_previous_run") is True


def test_deleted_value_files_are_computed_again(warm, cold):
    """Value files of bodies, summaries and the run gone, the declarations kept."""
    files = [f for _, key, f in rows(warm) if f and not key.startswith("decl/")]
    assert len(files) > 20
    for f in files:
        value_path(warm, f).unlink()
    result = run(warm)
    assert_same_run(result, cold)
    assert dropped(result) > 0
    assert run(warm).warnings == []


def test_truncated_and_scrambled_entries_are_dropped_with_one_warning(warm, cold):
    """Every declaration entry damaged one way or another (all of them are read by the next run)."""
    rng = random.Random(3)
    decls = rows(warm, "decl")
    delete_rows(warm, [r for r, _, _ in rows(warm, "run")])
    for i, (rowid, _key, filename) in enumerate(decls):
        if filename and i % 2:
            truncate_file(value_path(warm, filename), rng)
        elif filename:
            scramble_file(value_path(warm, filename), rng)
        else:
            scramble_inline(warm, rowid, rng)
    result = run(warm)
    assert_same_run(result, cold)
    assert dropped(result) == len(decls) == 19
    assert result.manifest["counts"]["files_parsed"] == 19


@pytest.mark.parametrize("damage, message", [("header", "file is not a database"), ("pages", "malformed")])
def test_damaged_database_is_moved_aside_and_rebuilt(damage, message, warm, cold):
    if damage == "header":
        damage_header(warm)
    else:
        damage_pages(warm, random.Random(1), every=True)
    result = run(warm)
    assert_same_run(result, cold)
    (line,) = [w for w in result.warnings if "moved aside" in w]
    assert message in line
    (aside,) = [p for p in warm.iterdir() if p.name.startswith("damaged-")]
    assert (aside / "cache.db").exists()  # moved, not deleted
    assert str(aside) in line
    again = run(warm)
    assert again.manifest.get("reused_previous_run") is True and again.warnings == []
    info = invoke("cache", "info", "--cache", str(warm))
    assert info.exit_code == 0 and f"set aside: {aside.name} (" in info.stdout


# ---------------------------------------------------------------- entries of another shape, unloadable


def test_entries_of_another_shape_or_unloadable_are_recomputed(warm, cold, monkeypatch):
    decls = rows(warm, "decl")
    summaries = rows(warm, "summary")
    delete_rows(warm, [r for r, _, _ in rows(warm, "run")])
    facts, digest, _error = stored(warm, decls[0][1])
    partial = FileFacts.__new__(FileFacts)  # pickled before fields were added: missing slots
    partial.package, partial.imports = facts.package, facts.imports
    no_errors = PackageSummary.__new__(PackageSummary)
    no_errors.package = "example.com/x"
    gone_module = types.ModuleType("kubetorch_removed_module")  # a class that existed when stored

    class Gone:
        pass

    Gone.__module__, Gone.__qualname__ = gone_module.__name__, "Gone"
    gone_module.Gone = Gone
    monkeypatch.setitem(sys.modules, gone_module.__name__, gone_module)
    damaged = [
        (decls[0][1], (facts, digest), None),  # an older tuple, same shape version (not bumped)
        (decls[1][1], (facts, 7, ""), None),  # TypeError on use
        (decls[2][1], (facts, digest, ""), Shape("file entry 0 older")),  # another shape version
        (decls[3][1], (partial, digest, ""), None),  # AttributeError on use
        (decls[4][1], (Gone(), digest, ""), None),  # ModuleNotFoundError when loaded
        (summaries[0][1], no_errors, None),
        (summaries[1][1], {"package": "example.com/x"}, None),
        (summaries[2][1], Gone(), None),
    ]
    for key, value, shape in damaged:
        rewrite(warm, key, value, shape)
    monkeypatch.delitem(sys.modules, gone_module.__name__)
    # and one written by kubetorch before entries were checked: pickled by diskcache itself
    legacy = diskcache.Cache(str(warm))
    legacy.set(decls[5][1], (facts, digest, ""))
    legacy.close()

    result = run(warm)
    assert_same_run(result, cold)
    assert dropped(result) == len(damaged) + 1


def test_a_cached_run_is_used_only_when_every_table_checks_out(warm, cold):
    ((_, key, _),) = rows(warm, "run")
    entry = stored(warm, key)
    assert sorted(entry["tables"]) == sorted(cold.tables)

    def blob(table: pa.Table) -> bytes:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
        return sink.getvalue().to_pybytes()

    chains = cold.tables["chains"]
    variants = [
        {
            n: b
            for n, b in entry["tables"].items()
            if n in ("files", "packages", "types", "functions", "handlers")
        },
        dict(entry["tables"], calls=blob(cold.tables["calls"].drop_columns(["kind"]))),  # older schema
        dict(entry["tables"], sinks=b"\xff" * 64),  # does not decode
        dict(entry["tables"], chains=blob(chains.slice(0, 0))),  # empty, the manifest says 90
    ]
    for tables in variants:
        rewrite(warm, key, {"tables": tables, "manifest": entry["manifest"]})
        result = run(warm)
        assert "reused_previous_run" not in result.manifest
        assert_same_run(result, cold)
        assert dropped(result) == 1
        assert run(warm).manifest.get("reused_previous_run") is True


def test_warning_is_one_line_on_the_command_line(warm, tmp_path):
    for _, _, f in rows(warm, "summary"):
        if f:
            truncate_file(value_path(warm, f), random.Random(0))
    delete_rows(warm, [r for r, _, _ in rows(warm, "run")])
    out = tmp_path / "out"
    result = invoke("analyze", str(DEMO), "--out", str(out), "--cache", str(warm), "--jobs", "1", "-q")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"kubetorch: warning: cache: \d+ damaged entries dropped and recomputed\n", result.stderr
    )


def test_a_file_changed_behind_the_stat_memo_is_reported_not_mixed_in(tmp_path, monkeypatch):
    """Its body must be parsed again, but its bytes are no longer the ones its declarations came
    from (it was edited after discovery): the file is reported, nothing of this run is stored as
    the tree's result."""
    tree = tmp_path / "tree"
    shutil.copytree(DEMO, tree)
    cache_dir = tmp_path / "cache"
    run(cache_dir, tree)
    delete_rows(
        cache_dir, [r for r, key, _ in rows(cache_dir) if not key.startswith(("decl/", "stat-memo/"))]
    )
    victim = next(tree.rglob("*.go"))
    text = victim.read_text()
    real_discover = run_mod.discover

    def discover_then_edit(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        victim.write_text(text.replace("func ", "func_", 1) if "func " in text else text[:-1] + " ")
        return found

    monkeypatch.setattr(run_mod, "discover", discover_then_edit)
    result = run(cache_dir, tree)
    rel = victim.relative_to(tree).as_posix()
    message = "unreadable: changed during the run (rerun to analyse it)"
    assert [(p.path, p.message) for p in result.problems] == [(rel, message)]
    errors = dict(
        zip(result.tables["files"]["file"].to_pylist(), result.tables["files"]["error"].to_pylist())
    )
    assert errors[rel] == message
    assert rows(cache_dir, "run") == []


# ---------------------------------------------------------------- whose folder it is


def foreign_folder(root: Path) -> Path:
    """Somebody's folder, some of it named like a cache's insides, but without the stamp."""
    files = {
        "notes.txt": b"mine\n",
        "sub/deep/data.bin": bytes(range(256)),
        "ab/cd/0123.val": b"not a cache value\n",
        "cache.db": b"my own database\n",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def test_a_folder_that_is_not_a_kubetorch_cache_is_never_touched(tmp_path):
    folder = foreign_folder(tmp_path / "theirs")
    before = folder_hash(folder)
    expected = f"kubetorch: error: {folder} is not a kubetorch cache (it holds other files and no kubetorch-cache.json)"
    for args in (
        ("cache", "clear", "--cache", str(folder)),
        ("cache", "info", "--cache", str(folder)),
        ("analyze", str(DEMO), "--out", str(tmp_path / "out"), "--cache", str(folder), "--jobs", "1"),
    ):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, result.stderr
        assert "removed" not in result.output
        assert folder_hash(folder) == before, args


def test_new_and_empty_folders_become_stamped_caches(tmp_path, cold):
    new, empty = tmp_path / "new" / "cache", tmp_path / "empty"
    empty.mkdir()
    for folder in (new, empty):
        assert_same_run(run(folder), cold)
        assert (folder / "kubetorch-cache.json").is_file()
        assert run(folder).manifest.get("reused_previous_run") is True


def test_cache_clear_on_a_damaged_cache(warm):
    n = len(rows(warm))
    (warm / "mine.txt").write_text("left here by the user\n")
    damage_header(warm)
    info = invoke("cache", "info", "--cache", str(warm))
    assert info.exit_code == 0 and "damaged (file is not a database)" in info.stdout
    result = invoke("cache", "clear", "--cache", str(warm))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"removed the damaged cache database and all entries from {warm}\n"
    assert sorted(p.name for p in warm.iterdir()) == ["kubetorch-cache.json", "mine.txt"]
    fresh = run(warm)
    assert fresh.warnings == [] and fresh.manifest["counts"]["files_parsed"] == 19
    assert len(rows(warm)) == n


def test_cache_clear_removes_set_aside_databases(warm):
    damage_header(warm)
    run(warm)
    assert any(p.name.startswith("damaged-") for p in warm.iterdir())
    n = len(rows(warm))
    result = invoke("cache", "clear", "--cache", str(warm))
    assert result.stdout == f"removed {n} entries from {warm}\n"
    assert [p.name for p in warm.iterdir()] == ["kubetorch-cache.json"]


def test_stamps_of_another_format_and_damaged_stamps(warm, cold):
    stamp = warm / "kubetorch-cache.json"
    stamp.write_text('{"tool": "kubetorch", "kind": "result cache", "format": 99}\n')
    result = invoke("analyze", str(DEMO), "--out", str(warm.parent / "out"), "--cache", str(warm))
    assert result.exit_code == 1 and "has format 99, this kubetorch uses 2" in result.stderr
    cleared = invoke("cache", "clear", "--cache", str(warm))
    assert cleared.exit_code == 0, cleared.output
    assert_same_run(run(warm), cold)
    # a stamp that no longer reads, in a folder holding nothing but a cache: still ours
    stamp.write_bytes(b"\x00garbage")
    assert run(warm).manifest.get("reused_previous_run") is True
    assert '"format": 2' in stamp.read_text()


def test_the_default_folder_of_older_kubetorch_versions_is_adopted(tmp_path, monkeypatch, cold):
    legacy = tmp_path / "user-cache" / "kubetorch"
    monkeypatch.setattr(
        store.platformdirs, "user_cache_dir", lambda name: str(tmp_path / "user-cache" / name)
    )
    monkeypatch.delenv("KUBETORCH_CACHE")
    old = diskcache.Cache(str(legacy))
    old.set("decl/fp/abc", ("an", "old", "entry"))
    old.close()
    assert_same_run(analyze(RunConfig(tree=str(DEMO), jobs=1, quiet=True)), cold)
    assert (legacy / "kubetorch-cache.json").is_file()
    # the same layout anywhere else is somebody's
    other = tmp_path / "elsewhere"
    shutil.copytree(legacy, other)
    (other / "kubetorch-cache.json").unlink()
    with pytest.raises(store.CacheError, match="is not a kubetorch cache"):
        ResultCache(str(other))


def test_unpicklable_results_are_not_stored_and_do_not_stop_the_run(tmp_path):
    c = ResultCache(str(tmp_path / "c"))
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    c.put("s", "f", "k", deep)
    c.put("s", "f", "ok", (1, 2))
    assert c.get("s", "f", "k") is None and c.get("s", "f", "ok") == (1, 2)
    (line,) = c.warnings()
    assert line.startswith("cache: 1 result(s) could not be stored (RecursionError")


def test_extract_entries_stay_readable_by_key(warm):
    """The store checks the key too: a value moved to another key's row is dropped."""
    (a, b) = rows(warm, "decl")[:2]
    con = connect(warm)
    ((value, filename, mode),) = con.execute(
        "SELECT value, filename, mode FROM Cache WHERE rowid = ?", (a[0],)
    ).fetchall()
    con.execute(
        "UPDATE Cache SET value = ?, filename = ?, mode = ? WHERE rowid = ?", (value, filename, mode, b[0])
    )
    con.close()
    fp = extract_fingerprint()
    c = open_cache(str(warm))
    assert c.get("decl", fp, a[1].split("/", 2)[2]) is not None
    assert c.get("decl", fp, b[1].split("/", 2)[2]) is None
    assert c.dropped == 1
