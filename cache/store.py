"""A diskcache-backed store of analysis results that can only be slow, never wrong.

Keys are (stage, stage fingerprint, content key): the content key is a file or package content
hash, the fingerprint hashes the analyzer code of that stage, so editing the analyzer invalidates
exactly the results it could change and nothing needs a manual `cache clear`.

Every value is pickled here and stored as bytes behind a header: a format tag, the shape version
the caller declared for the stage, and a digest of the key, the header and the pickle. An entry
that is gone, truncated, scrambled, of another shape, that no longer unpickles or fails the
stage's check is dropped and reads as absent, so the caller recomputes it; the count ends up in
one warning line. A database SQLite cannot read is moved aside and rebuilt.

The folder carries a stamp (`kubetorch-cache.json`) kubetorch wrote: a folder is used or
cleared only when it is new, empty or stamped, so a mistyped `--cache` never touches anything
kubetorch did not make.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import re
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import diskcache
import platformdirs

T = TypeVar("T")

STAMP = "kubetorch-cache.json"
FORMAT = 2  # the layout of entries below; a cache of another format is not read
MIN_FILE_BYTES = 2**15  # values at least this big get their own file (diskcache's default)
DB_NAMES = ("cache.db", "cache.db-wal", "cache.db-shm")
SET_ASIDE_PREFIX = "damaged-"  # where a database SQLite cannot read goes, with its value files
LOCK_WAIT_S = 60.0  # how long another process may hold the database before the cache is given up

_MAGIC = b"KTc\x02"
_HEAD = len(_MAGIC) + 8 + 16  # magic, shape tag, digest
_HEX2 = re.compile(r"[0-9a-f]{2}\Z")  # diskcache's first level of value-file folders
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def default_cache_dir() -> str:
    return os.environ.get("KUBETORCH_CACHE") or platformdirs.user_cache_dir("kubetorch")


class CacheError(Exception):
    """The cache directory cannot be created or opened, or is not a kubetorch cache."""


def _any_value(value: Any) -> bool:
    return True


@dataclasses.dataclass(frozen=True)
class Shape:
    """What one stage stores: a version of its values' layout, and a cheap check of a loaded one."""

    version: str
    check: Callable[[Any], bool] = _any_value

    @property
    def tag(self) -> bytes:
        return hashlib.blake2b(self.version.encode(), digest_size=8).digest()


def type_shape(*types: type) -> str:
    """A version of the layout of the dataclasses in the modules of `types`: names, fields and
    declared field types. An instance pickled under another layout can load and still be wrong
    (a missing slot is an AttributeError later), so such entries must not load at all."""
    h = hashlib.blake2b(digest_size=8)
    for module in sorted({t.__module__ for t in types}):
        members = vars(sys.modules[module])
        for name in sorted(members):
            obj = members[name]
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module:
                h.update(f"{module}.{obj.__qualname__}(".encode())
                for f in dataclasses.fields(obj):
                    h.update(f"{f.name}:{f.type},".encode())
    return h.hexdigest()


# ---------------------------------------------------------------- ownership


def _is_layout(directory: str, name: str) -> bool:
    """A name the cache's own layout uses: what `clear` removes, and all an unstamped folder may
    hold to be taken for a kubetorch cache."""
    if name in DB_NAMES or name == STAMP or name.startswith(f".{STAMP}.tmp-"):
        return True
    if name.startswith(SET_ASIDE_PREFIX) or _HEX2.match(name):
        return os.path.isdir(os.path.join(directory, name))
    return False


_DAMAGED_STAMP = -1


def _read_stamp(directory: str) -> int:
    """The format in the stamp, or _DAMAGED_STAMP when the file is unreadable or not ours."""
    try:
        with open(os.path.join(directory, STAMP), "rb") as f:
            data = json.loads(f.read(4096))
    except (OSError, ValueError, RecursionError):
        return _DAMAGED_STAMP
    if not isinstance(data, dict) or data.get("tool") != "kubetorch" or data.get("kind") != "result cache":
        return _DAMAGED_STAMP
    fmt = data.get("format")
    return fmt if type(fmt) is int and fmt > 0 else _DAMAGED_STAMP


def _write_stamp(directory: str) -> None:
    tmp = os.path.join(directory, f".{STAMP}.tmp-{os.getpid()}")
    with open(tmp, "w") as f:
        json.dump({"tool": "kubetorch", "kind": "result cache", "format": FORMAT}, f)
        f.write("\n")
    os.replace(tmp, os.path.join(directory, STAMP))


def _legacy_default(directory: str) -> bool:
    """The default folder, as kubetorch used it before caches were stamped."""
    return directory == os.path.abspath(platformdirs.user_cache_dir("kubetorch"))


def _owned(directory: str, *, create: bool, any_format: bool = False) -> bool:
    """Whether `directory` is a kubetorch cache; False when it does not exist (and not create).

    A new or empty folder is stamped when `create`; a folder that holds anything but a kubetorch
    cache raises CacheError, and nothing in it is touched.
    """
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise CacheError(f"cannot open cache at {directory}: not a folder")
    if not os.path.isdir(directory):
        if not create:
            return False
        try:
            os.makedirs(directory)
        except OSError as e:
            raise CacheError(f"cannot create cache folder {directory}: {e.strerror or e}") from e
    try:
        names = os.listdir(directory)
    except OSError as e:
        raise CacheError(f"cannot read cache folder {directory}: {e.strerror or e}") from e
    fmt = _read_stamp(directory) if STAMP in names else None
    if fmt is not None and fmt != _DAMAGED_STAMP:
        if fmt != FORMAT and not any_format:
            raise CacheError(
                f"the cache at {directory} has format {fmt}, this kubetorch uses {FORMAT}: "
                f"give --cache another folder or run `kubetorch cache clear --cache {directory}`"
            )
        return True
    only_layout = all(_is_layout(directory, n) for n in names)
    empty = all(n.startswith(f".{STAMP}.tmp-") for n in names)  # or another run is stamping it now
    if empty or (only_layout and (fmt == _DAMAGED_STAMP or _legacy_default(directory))):
        if create:
            try:
                _write_stamp(directory)
            except OSError as e:
                raise CacheError(f"cannot write to cache folder {directory}: {e.strerror or e}") from e
        return True
    raise CacheError(
        f"{directory} is not a kubetorch cache (it holds other files and no {STAMP}), "
        "nothing in it was touched: give --cache a new or empty folder"
    )


# ---------------------------------------------------------------- reading and clearing without opening


def _read_only(db: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{urllib.parse.quote(db)}?mode=ro", uri=True)


def _tree_bytes(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def cache_info(directory: str | None = None) -> dict[str, Any]:
    """What a cache holds, read without creating, repairing or locking anything."""
    directory = os.path.abspath(directory or default_cache_dir())
    info: dict[str, Any] = {"directory": directory, "entries": 0, "bytes": 0, "stages": {}}
    info.update(damaged=None, set_aside=[])
    if not _owned(directory, create=False, any_format=True):
        return info
    db = os.path.join(directory, DB_NAMES[0])
    if os.path.exists(db):
        try:
            con = _read_only(db)
            try:
                stages: dict[str, int] = {}
                size = 0
                for key, n in con.execute("SELECT key, size FROM Cache"):
                    stage = str(key).split("/", 1)[0]
                    stages[stage] = stages.get(stage, 0) + 1
                    size += n if type(n) is int else 0
                ((pages,),) = con.execute("PRAGMA page_count").fetchall()
                ((page_size,),) = con.execute("PRAGMA page_size").fetchall()
            finally:
                con.close()
            info.update(entries=sum(stages.values()), bytes=size + pages * page_size, stages=stages)
        except sqlite3.Error as e:
            info["damaged"] = str(e)
    for name in sorted(os.listdir(directory)):
        if name.startswith(SET_ASIDE_PREFIX) and os.path.isdir(os.path.join(directory, name)):
            info["set_aside"].append((name, _tree_bytes(os.path.join(directory, name))))
    return info


def _remove_layout(folder: str) -> None:
    """Remove the database and value files diskcache made in `folder`, nothing else."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name in DB_NAMES or name.startswith(f".{STAMP}.tmp-"):
            os.remove(path)
        elif _HEX2.match(name) and os.path.isdir(path) and not os.path.islink(path):
            for root, dirs, files in os.walk(path, topdown=False):
                for f in files:
                    if f.endswith(".val"):
                        os.remove(os.path.join(root, f))
                for d in dirs:
                    with suppress(OSError):  # not empty: something else lives there
                        os.rmdir(os.path.join(root, d))
            with suppress(OSError):
                os.rmdir(path)


def clear_cache(directory: str | None = None) -> int | None:
    """Empty a cache kubetorch owns, even a damaged one: the number of entries removed, None
    when its database could not be read. A folder that is not a kubetorch cache raises
    CacheError before anything is removed."""
    directory = os.path.abspath(directory or default_cache_dir())
    if not _owned(directory, create=False, any_format=True):
        return 0
    count: int | None = 0
    db = os.path.join(directory, DB_NAMES[0])
    if os.path.exists(db):
        try:
            con = _read_only(db)
            try:
                ((count,),) = con.execute("SELECT COUNT(*) FROM Cache").fetchall()
            finally:
                con.close()
        except sqlite3.Error:
            count = None
    _remove_layout(directory)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if name.startswith(SET_ASIDE_PREFIX) and os.path.isdir(path) and not os.path.islink(path):
            _remove_layout(path)
            with suppress(OSError):
                os.rmdir(path)
    if os.listdir(directory):  # an empty folder stays unstamped; any other is ours, in this format now
        _write_stamp(directory)
    return count


# ---------------------------------------------------------------- the store


_VALUE_FILE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{28}\.val\Z")  # as diskcache names them


class _Disk(diskcache.Disk):
    """Hands values back as the bytes stored and never unpickles: ResultCache checks them first.
    A row whose value file is gone reads as _LOST instead of silently as absent. A file name
    from a damaged row is used only when it has the shape diskcache gives its own files, so a
    scrambled row can never make kubetorch read or delete anything outside the cache."""

    def fetch(self, mode, filename, value, read):
        try:
            if mode == diskcache.core.MODE_RAW and isinstance(value, (bytes, memoryview)):
                return bytes(value)
            if mode == diskcache.core.MODE_BINARY and _value_file(filename) and not read:
                with open(os.path.join(self._directory, filename), "rb") as f:
                    return f.read()
        except OSError:
            return _LOST
        return _FOREIGN

    def remove(self, file_path):
        if not _value_file(file_path):
            return
        path = os.path.join(self._directory, file_path)
        with suppress(OSError):
            os.remove(path)
        for folder in (os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
            with suppress(OSError):  # not empty
                os.rmdir(folder)


def _value_file(name: Any) -> bool:
    return isinstance(name, str) and _VALUE_FILE.match(name.replace(os.sep, "/")) is not None


_LOST = object()  # a row whose value file is missing or unreadable
_FOREIGN = object()  # a value stored in a way kubetorch never stores


def _damaged(e: sqlite3.Error) -> bool:
    """SQLite says the file is not a database or is malformed (not: locked, full, read-only)."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    text = str(e)
    return "malformed" in text or "not a database" in text


class ResultCache:
    """get/put by (stage, fingerprint, key); `None` means absent (results are never None).

    `shapes` gives each stage's shape version and check; a stage without one has version "".
    Reads never raise for anything found in the folder: damage is counted and read as absent,
    and `warnings()` says what happened, in one line per kind.
    """

    def __init__(
        self,
        directory: str | None = None,
        size_limit_gb: float = 20.0,
        shapes: Mapping[str, Shape] | None = None,
    ):
        self.directory = os.path.abspath(directory or default_cache_dir())
        self.size_limit = int(size_limit_gb * 1024**3)
        self._shapes = dict(shapes or {})
        self._tags: dict[str, bytes] = {}
        self.dropped = 0  # entries found damaged, of another shape or unloadable
        self.unstored = 0  # results that could not be pickled
        self._notes: list[str] = []
        self._unstored_reason = ""
        self._set_aside_once = False
        _owned(self.directory, create=True)
        self._cache: diskcache.Cache | None = self._open()

    # ------------------------------------------------------------ the database
    def _connect(self) -> diskcache.Cache:
        # every setting given: none is taken from a Settings table that may be damaged
        settings = dict(diskcache.DEFAULT_SETTINGS, size_limit=self.size_limit, statistics=0)
        settings.update(eviction_policy="least-recently-stored", disk_min_file_size=MIN_FILE_BYTES)
        return diskcache.Cache(self.directory, disk=_Disk, **settings)

    def _open(self) -> diskcache.Cache:
        try:
            return self._connect()
        except (OSError, diskcache.Timeout) as e:
            raise CacheError(f"cannot open cache at {self.directory}: {e}") from e
        except sqlite3.OperationalError as e:  # cannot open, locked, read-only, ...; corruption is not
            if not _damaged(e):
                raise CacheError(f"cannot open cache at {self.directory}: {e}") from e
            damage: Exception = e
        except Exception as e:  # noqa: BLE001 - not a database, malformed, unreadable settings
            damage = e
        try:
            self._set_aside(damage)
            return self._connect()
        except (OSError, sqlite3.Error) as e:
            raise CacheError(f"cannot rebuild the damaged cache at {self.directory}: {e}") from e

    def _set_aside(self, error: Exception) -> None:
        """Move the database and its value files into damaged-TIME/ (renamed, never deleted)."""
        self._set_aside_once = True
        cache = getattr(self, "_cache", None)
        if cache is not None:
            cache.close()
        aside = os.path.join(
            self.directory, f"{SET_ASIDE_PREFIX}{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        )
        os.mkdir(aside)
        for name in sorted(os.listdir(self.directory)):
            if name in DB_NAMES or (_HEX2.match(name) and os.path.isdir(os.path.join(self.directory, name))):
                os.rename(os.path.join(self.directory, name), os.path.join(aside, name))
        self._notes.append(f"cache: damaged database ({error}) moved aside to {aside}; rebuilt")

    def _give_up(self, reason: str) -> None:
        self._notes.append(f"cache: not used for the rest of this run: {reason}")
        if self._cache is not None:
            with suppress(sqlite3.Error):
                self._cache.close()
        self._cache = None

    def _do(self, op: Callable[[diskcache.Cache], T], default: T) -> T:
        """Run one database operation; damage to the database never escapes as an exception."""
        deadline = time.monotonic() + LOCK_WAIT_S
        while self._cache is not None:
            try:
                return op(self._cache)
            except diskcache.Timeout:
                if time.monotonic() > deadline:
                    self._give_up(f"the database stayed locked for {LOCK_WAIT_S:.0f} s")
                    break
                time.sleep(0.05)
            except sqlite3.Error as e:
                if isinstance(e, sqlite3.DatabaseError) and _damaged(e) and not self._set_aside_once:
                    try:
                        self._set_aside(e)
                        self._cache = self._connect()
                    except (OSError, sqlite3.Error) as e2:
                        self._give_up(f"cannot rebuild the damaged database: {e2}")
                else:
                    self._give_up(str(e))
                break
            except OSError as e:  # a value file cannot be written: disk full, permissions
                self._give_up(f"{e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}")
                break
        return default

    # ------------------------------------------------------------ entries
    @staticmethod
    def _key(stage: str, fingerprint: str, key: str) -> str:
        return f"{stage}/{fingerprint}/{key}"

    def _tag(self, stage: str) -> bytes:
        tag = self._tags.get(stage)
        if tag is None:
            tag = self._tags[stage] = self._shapes.get(stage, Shape("")).tag
        return tag

    def _dump(self, stage: str, k: str, value: Any) -> bytes | None:
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - e.g. RecursionError: the result is just not kept
            self.unstored += 1
            self._unstored_reason = self._unstored_reason or f"{type(e).__name__}: {e}"
            return None
        head = _MAGIC + self._tag(stage)
        h = hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16)
        h.update(head)
        h.update(payload)
        return b"".join((head, h.digest(), payload))

    def _load(self, stage: str, k: str, blob: Any) -> Any:
        """The value in `blob`, or None when it does not check out."""
        if (
            type(blob) is not bytes
            or len(blob) <= _HEAD
            or blob[:4] != _MAGIC
            or blob[4:12] != self._tag(stage)
        ):
            return None
        view = memoryview(blob)
        h = hashlib.blake2b(k.encode("utf-8", "surrogatepass"), digest_size=16)
        h.update(view[:12])
        h.update(view[_HEAD:])
        if h.digest() != blob[12:_HEAD]:
            return None
        try:
            value = pickle.loads(view[_HEAD:])
            ok = self._shapes.get(stage, Shape("")).check(value)
        except Exception:  # noqa: BLE001 - a class gone or changed: ModuleNotFoundError, AttributeError, ...
            return None
        return value if ok and value is not None else None

    def _drop(self, keys: list[str]) -> None:
        """Forget entries that did not check out (so they are not read again) and count them."""
        self.dropped += len(keys)

        def delete(c: diskcache.Cache) -> None:
            with c.transact(retry=False):
                for k in keys:
                    c.delete(k, retry=False)

        self._do(delete, None)

    def get(self, stage: str, fingerprint: str, key: str) -> Any:
        return self.get_many(stage, fingerprint, [key]).get(key)

    def get_many(self, stage: str, fingerprint: str, keys: Iterable[str]) -> dict[str, Any]:
        """Found values by key, read in one transaction (much faster than one get per key)."""
        wanted = {k: self._key(stage, fingerprint, k) for k in keys}
        if not wanted:
            return {}

        def read(c: diskcache.Cache) -> dict[str, Any]:
            with c.transact(retry=False):
                return {k: c.get(full, default=None) for k, full in wanted.items()}

        empty: dict[str, Any] = {}
        blobs = self._do(read, empty)
        found: dict[str, Any] = {}
        bad: list[str] = []
        for k, blob in blobs.items():
            if blob is None:
                continue
            value = self._load(stage, wanted[k], blob)
            if value is None:
                bad.append(wanted[k])
            else:
                found[k] = value
        if bad:
            self._drop(bad)
        return found

    def discard(self, stage: str, fingerprint: str, key: str) -> None:
        """An entry that loaded but did not pass the caller's own checks: forget and count it."""
        self._drop([self._key(stage, fingerprint, key)])

    def put(self, stage: str, fingerprint: str, key: str, value: Any) -> None:
        self.put_many(stage, fingerprint, [(key, value)])

    def put_many(self, stage: str, fingerprint: str, items: Iterable[tuple[str, Any]]) -> None:
        items = list(items)

        def write(c: diskcache.Cache) -> None:
            with c.transact(retry=False):
                for k, v in items:
                    full = self._key(stage, fingerprint, k)
                    blob = self._dump(stage, full, v)
                    if blob is not None:
                        c.set(full, blob, retry=False)

        self._do(write, None)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several puts in one transaction."""
        if self._cache is None:
            yield
            return
        with self._cache.transact(retry=True):
            yield

    # ------------------------------------------------------------ the folder
    def warnings(self) -> list[str]:
        """What went wrong with the cache in this run, one line per kind (empty when nothing)."""
        lines = list(self._notes)
        if self.dropped:
            n = self.dropped
            lines.append(f"cache: {n} damaged entr{'y' if n == 1 else 'ies'} dropped and recomputed")
        if self.unstored:
            lines.append(f"cache: {self.unstored} result(s) could not be stored ({self._unstored_reason})")
        return lines

    def info(self) -> dict[str, Any]:
        return cache_info(self.directory)

    def clear(self) -> int | None:
        self.close()
        n = clear_cache(self.directory)
        self._set_aside_once = False
        self._cache = self._open()
        return n

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
