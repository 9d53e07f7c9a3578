"""Writing what kubetorch produces: only over what kubetorch wrote, and all or nothing.

Ownership. A folder is replaced only when it does not exist, is empty, or is a kubetorch output
folder (its manifest.json says "tool": "kubetorch"), and never when it is, or holds, a guarded
folder: the analysed tree, the current folder, the cache, the history. A file is overwritten only
when it does not exist or carries kubetorch's own mark (Parquet key-value metadata, an HTML
generator meta tag, a JSON "generator" field, the diff report's first line). Every writer calls
claim_output_dir / claim_output_file, which raise OutputError (a one-line error) and touch nothing.

Replacement. A new folder is built in a hidden temporary sibling `.NAME.tmp-*` whose first entry
is a marker file, then swapped with the old one in one step (renameat2 RENAME_EXCHANGE); where the
platform or file system cannot, the old folder is renamed to `.NAME.previous` and the new one into
place, and the next run puts a lone `.NAME.previous` back. A file is written inside such a
temporary folder and renamed over the old one.

Leftovers. A killed run may leave a temporary folder or a backup; the next write of the same
target removes those kubetorch provably made (they hold the marker, or a kubetorch manifest, or
nothing at all) and no longer in use by a live process, and nothing else. Deleting one writes the
marker first and removes it last, so a deletion cut short is still recognisable.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import platform
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kubetorch import __version__

GENERATOR = f"kubetorch {__version__}"
TEMP_MARKER = ".kubetorch-temporary"
_MARKER_TEXT = "kubetorch temporary folder: safe to delete once its process has ended\n"
_DIFF_TEXT_HEADER = re.compile(
    rb"diff .* -> .*: \d+ added, \d+ removed, \d+ path changed in \d+ component\(s\)\r?\n"
)


# the header of `kubetorch diff --format csv`: such a file is kubetorch's
DIFF_CSV_COLUMNS = (
    "change",
    "chain_id",
    "component",
    "informer_resource",
    "event",
    "handler",
    "shared_state",
    "reader",
    "sink_function",
    "api_verb",
    "api_resource",
    "steps_added",
    "steps_removed",
    "steps_moved",
)
_DIFF_CSV_HEADER = (",".join(DIFF_CSV_COLUMNS)).encode()


class OutputError(Exception):
    """The output cannot be written (a one-line error in the CLI)."""


def checkpoint(what: str) -> None:
    """Called after every step that changes the file system while writing. Does nothing; the
    crash tests replace it to kill the process after step k, for every k."""


# ---------------------------------------------------------------- ownership


@dataclass(frozen=True)
class Guard:
    """A folder no output may be, or hold: `path` is resolved, `what` says which it is."""

    path: str
    what: str


def guards(
    *, tree: str | None = None, cache: str | None = None, history: str | None = None
) -> tuple[Guard, ...]:
    """Every given folder and the current folder, each resolved through symbolic links."""
    named = (
        (tree, "the analysed tree"),
        (cache, "the cache folder"),
        (history, "the history folder"),
    )
    found = [Guard(os.path.realpath(path), what) for path, what in named if path]
    with contextlib.suppress(OSError):
        found.append(Guard(os.path.realpath(os.getcwd()), "the current folder"))
    return tuple(found)


def _resolved(path: str) -> str:
    """`path` with its parent resolved (the last part is looked at as itself, link or not)."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _check_guards(path: str, protected: Iterable[Guard], verb: str) -> None:
    real = _resolved(path)
    for g in protected:
        if real == g.path:
            raise OutputError(f"{path}: is {g.what}; refusing to {verb} it")
        if os.path.commonpath([real, g.path]) == real:
            raise OutputError(f"{path}: holds {g.what} ({g.path}); refusing to {verb} it")


def is_output_dir(path: str) -> bool:
    """A folder whose manifest.json says kubetorch wrote it."""
    manifest = os.path.join(path, "manifest.json")
    if os.path.islink(path) or os.path.islink(manifest) or not os.path.isfile(manifest):
        return False
    try:
        with open(manifest, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("tool") == "kubetorch"


# how much of an existing file a format's own recogniser (`is_ours`) is shown
OURS_HEAD_BYTES = 8_000_000


def is_kubetorch_file(path: str, is_ours: Callable[[bytes], bool] | None = None) -> bool:
    """A regular file that carries kubetorch's mark in one of the formats kubetorch writes, or that
    the writer's own recogniser `is_ours` (given the file's first bytes) knows as its output."""
    try:
        with open(path, "rb") as f:
            head = f.read(OURS_HEAD_BYTES if is_ours is not None else 4096)
    except OSError:
        return False
    if is_ours is not None and is_ours(head):
        return True
    if head.startswith(b"PAR1"):
        try:
            meta = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowException):
            return False
        return meta.get(b"generator", b"").startswith(b"kubetorch")
    if b'<meta name="generator" content="kubetorch' in head[:2048]:
        return True
    if re.match(rb'\{\s*"generator":\s*"kubetorch', head):
        return True
    rest = head[len(_DIFF_CSV_HEADER) :] if head.startswith(_DIFF_CSV_HEADER) else b""
    if rest.startswith((b"\n", b"\r\n")):
        return True
    return bool(_DIFF_TEXT_HEADER.match(head))


def claim_output_dir(path: str, protected: Iterable[Guard] = ()) -> str:
    """The absolute path of a folder kubetorch may replace, or OutputError saying why not."""
    out = os.path.abspath(path)
    _check_guards(out, protected, "replace")
    if os.path.islink(out):
        raise OutputError(f"{out}: is a symbolic link; refusing to replace it")
    if not os.path.lexists(out):
        return out
    if not os.path.isdir(out):
        raise OutputError(f"{out}: exists and is not a directory")
    if is_output_dir(out) or not os.listdir(out):
        return out
    raise OutputError(
        f"{out}: exists and is not a kubetorch output folder (no kubetorch manifest.json); refusing to replace it"
    )


def claim_output_file(
    path: str, protected: Iterable[Guard] = (), is_ours: Callable[[bytes], bool] | None = None
) -> str:
    """The absolute path of a file kubetorch may overwrite, or OutputError saying why not."""
    target = os.path.abspath(path)
    _check_guards(target, protected, "overwrite")
    if os.path.islink(target):
        raise OutputError(f"{target}: is a symbolic link; refusing to overwrite it")
    if not os.path.lexists(target):
        return target
    if os.path.isdir(target):
        raise OutputError(f"{target}: is a directory; refusing to overwrite it")
    if not os.path.isfile(target):
        raise OutputError(f"{target}: exists and is not a regular file; refusing to overwrite it")
    if is_kubetorch_file(target, is_ours):
        return target
    raise OutputError(f"{target}: exists and was not written by kubetorch; refusing to overwrite it")


def probe_writable(path: str, inside: bool = False, what: str = "") -> None:
    """Create and remove a temporary entry where writing `path` will create entries: beside it
    (or inside it, with `inside`, when it is a folder), else in its nearest existing ancestor.
    Cheap, so a run can fail in a second instead of after the whole analysis."""
    target = os.path.abspath(path)
    base = target if inside and os.path.isdir(target) else os.path.dirname(target)
    while not os.path.lexists(base) and os.path.dirname(base) != base:
        base = os.path.dirname(base)
    if not os.path.isdir(base):
        raise OutputError(f"{what}{target}: cannot be created: {base} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kubetorch-probe-", dir=base))
    except OSError as e:
        raise OutputError(
            f"{what}{target}: not writable (cannot create an entry in {base}: {e.strerror or e})"
        ) from e
    if not inside and os.path.isdir(target) and not os.access(target, os.W_OK | os.X_OK):
        raise OutputError(f"{what}{target}: not writable (its old contents could not be removed)")


# ---------------------------------------------------------------- temporary folders and leftovers


def _temp_prefix(target: str) -> str:
    return "." + os.path.basename(target) + ".tmp-"


def _backup_name(out: str) -> str:
    return os.path.join(os.path.dirname(out) or ".", "." + os.path.basename(out) + ".previous")


def _write_marker(folder: str) -> None:
    with open(os.path.join(folder, TEMP_MARKER), "w", encoding="utf-8") as f:
        f.write(f"{_MARKER_TEXT}pid {os.getpid()}\nhost {socket.gethostname()}\n")
    checkpoint("marker written")


def _in_use(marker: str) -> bool:
    """The marker names a live process on this host other than us (a concurrent writer)."""
    try:
        with open(marker, encoding="utf-8", errors="replace") as f:
            fields = dict(line.split(" ", 1) for line in f.read().splitlines()[1:] if " " in line)
        pid, host = int(fields["pid"]), fields["host"]
    except (OSError, ValueError, KeyError):
        return False
    if host != socket.gethostname():
        return True  # cannot tell whether a process on another machine still uses it
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _has_marker(folder: str) -> bool:
    marker = os.path.join(folder, TEMP_MARKER)
    return os.path.isfile(marker) and not os.path.islink(marker)


def is_leftover(folder: str) -> bool:
    """A folder kubetorch provably made and no live process uses: it holds the marker, or is a
    complete kubetorch output, or is empty (removing an empty folder loses nothing)."""
    if os.path.islink(folder) or not os.path.isdir(folder):
        return False
    try:
        if not os.listdir(folder):
            return True
    except OSError:
        return False
    if _has_marker(folder):
        return not _in_use(os.path.join(folder, TEMP_MARKER))
    return is_output_dir(folder)


def made_by_kubetorch(path: str) -> bool:
    """An output folder, a temporary folder of kubetorch or an empty folder (a killed run can
    leave one): what a history may hold besides its partitions."""
    if is_output_dir(path):
        return True
    if os.path.islink(path) or not os.path.isdir(path):
        return False
    try:
        return _has_marker(path) or not os.listdir(path)
    except OSError:
        return False


def _discard(folder: str) -> None:
    """Delete a folder kubetorch owns: marker first, every other entry, the marker last."""
    if not _has_marker(folder):
        _write_marker(folder)
    for entry in sorted(os.listdir(folder)):
        if entry == TEMP_MARKER:
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
        checkpoint("entry removed")
    os.unlink(os.path.join(folder, TEMP_MARKER))
    checkpoint("marker removed")
    os.rmdir(folder)
    checkpoint("folder removed")


def _discard_quietly(folder: str) -> None:
    with contextlib.suppress(OSError):
        _discard(folder)


def recover(target: str) -> None:
    """Undo what a killed write of `target` left: put a lone complete backup back, remove the
    temporary folders and backups kubetorch provably made. Anything else is left alone."""
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    backup = _backup_name(target)
    if is_leftover(backup):
        if not os.path.lexists(target) and is_output_dir(backup) and not _has_marker(backup):
            os.rename(backup, target)
            checkpoint("backup restored")
        else:
            _discard_quietly(backup)
    try:
        entries = os.listdir(parent)
    except OSError:
        return
    prefix = _temp_prefix(target)
    for entry in sorted(entries):
        path = os.path.join(parent, entry)
        if entry.startswith(prefix) and is_leftover(path):
            _discard_quietly(path)


def _new_temp_dir(target: str) -> str:
    parent = os.path.dirname(target)
    tmp = tempfile.mkdtemp(prefix=_temp_prefix(target), dir=parent)
    checkpoint("temporary folder created")
    _write_marker(tmp)
    return tmp


# ---------------------------------------------------------------- replacing a folder in one step

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_SYS_RENAMEAT2 = {
    "x86_64": 316,
    "amd64": 316,
    "aarch64": 276,
    "arm64": 276,
    "riscv64": 276,
    "loongarch64": 276,
    "i386": 353,
    "i686": 353,
    "armv7l": 382,
    "armv6l": 382,
    "ppc64le": 357,
    "ppc64": 357,
    "s390x": 347,
}


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _syscall_renameat2() -> Callable[[bytes, bytes, int], int] | None:
    """renameat2 through syscall(2), for a libc without the wrapper (glibc before 2.28, musl)."""
    libc, number = _libc(), _SYS_RENAMEAT2.get(platform.machine().lower())
    if sys.platform != "linux" or libc is None or number is None:
        return None
    syscall = libc.syscall
    syscall.restype = ctypes.c_long

    def call(a: bytes, b: bytes, flags: int) -> int:
        args = (ctypes.c_int(_AT_FDCWD), ctypes.c_char_p(a), ctypes.c_int(_AT_FDCWD), ctypes.c_char_p(b))
        return syscall(ctypes.c_long(number), *args, ctypes.c_uint(flags))

    return call


@functools.cache
def _renameat2() -> Callable[[bytes, bytes, int], int] | None:
    """libc's renameat2, or the raw system call, or None off Linux."""
    libc = _libc()
    if sys.platform != "linux" or libc is None:
        return None
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return _syscall_renameat2()
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return lambda a, b, flags: fn(_AT_FDCWD, a, _AT_FDCWD, b, flags)


def exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one atomic step. False (nothing changed) where the platform or
    the file system cannot; OSError for any other failure."""
    call = _renameat2()
    if call is None:
        return False
    if call(os.fsencode(a), os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), a, None, b)


def _install(tmp: str, out: str) -> None:
    """Put the complete folder `tmp` (still holding its marker) at `out`, replacing what is there."""
    if not os.path.lexists(out):
        os.rename(tmp, out)
        checkpoint("renamed into place")
    elif exchange(tmp, out):
        checkpoint("exchanged")
        _discard(tmp)  # now the old output
    else:
        backup = _backup_name(out)
        os.rename(out, backup)
        checkpoint("old output moved aside")
        os.rename(tmp, out)
        checkpoint("renamed into place")
        _discard(backup)
    os.unlink(os.path.join(out, TEMP_MARKER))
    checkpoint("marker removed from the output")


def replace_dir(out: str, fill: Callable[[str], None], protected: Iterable[Guard] = ()) -> str:
    """Build a new folder with fill(tmp) and put it at `out` in one step; returns `out`. The
    caller's fill may call checkpoint() after each entry it writes."""
    out = claim_output_dir(out, protected)
    parent = os.path.dirname(out)
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{parent}: cannot create output parent: {e.strerror or e}") from e
    recover(out)
    try:
        tmp = _new_temp_dir(out)
    except OSError as e:
        raise OutputError(f"{out}: cannot write: {e.strerror or e}") from e
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        _install(tmp, out)
    except BaseException as e:
        if os.path.isdir(tmp):
            _discard_quietly(tmp)
        with contextlib.suppress(OSError):
            recover(out)  # stopped between the fallback's two renames: the old output goes back
        if isinstance(e, OSError):
            raise OutputError(f"{out}: cannot write: {e.strerror or e}") from e
        raise
    return out


def remove_output_dir(out: str, protected: Iterable[Guard] = ()) -> str:
    """Remove a kubetorch output folder in one step: it is renamed to a temporary sibling (gone
    for every reader at once), then deleted; a kill in between leaves a leftover the next write
    of `out` removes. Only what claim_output_dir would replace is removed."""
    out = claim_output_dir(out, protected)
    if not is_output_dir(out):
        raise OutputError(f"{out}: not a kubetorch output folder; refusing to remove it")
    try:
        tmp = tempfile.mkdtemp(prefix=_temp_prefix(out), dir=os.path.dirname(out))
        checkpoint("temporary folder created")
        os.rename(out, tmp)  # over the empty folder: the name is ours, the move one step
        checkpoint("output renamed away")
        _discard(tmp)
    except OSError as e:
        raise OutputError(f"{out}: cannot remove: {e.strerror or e}") from e
    return out


def write_file_atomically(
    path: str,
    write: Callable[[str], None],
    protected: Iterable[Guard] = (),
    is_ours: Callable[[bytes], bool] | None = None,
) -> str:
    """Call write(tmp) for a file in a temporary sibling folder, then rename it over `path`:
    readers see the old file or the new one, never half of one. Returns the absolute path.
    `is_ours` recognises the writer's own earlier output (see claim_output_file)."""
    target = claim_output_file(path, protected, is_ours)
    parent = os.path.dirname(target)
    try:
        os.makedirs(parent, exist_ok=True)
        recover(target)
        tmp = _new_temp_dir(target)
    except OSError as e:
        raise OutputError(f"{target}: cannot write: {e.strerror or e}") from e
    try:
        staged = os.path.join(tmp, os.path.basename(target))
        write(staged)
        checkpoint("file written")
        os.chmod(staged, 0o644)  # the result is an ordinary file, whatever the writer's umask did
        os.replace(staged, target)
        checkpoint("file renamed into place")
        _discard(tmp)
    except BaseException as e:
        if os.path.isdir(tmp):
            _discard_quietly(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"{target}: cannot write: {e.strerror or e}") from e
        raise
    return target


# ---------------------------------------------------------------- run folders


def write_tables(
    out: str, tables: dict[str, pa.Table], manifest: dict[str, Any], protected: Iterable[Guard] = ()
) -> str:
    """Write NAME.parquet for each table and manifest.json into `out`, atomically."""

    def fill(tmp: str) -> None:
        for name, table in tables.items():
            pq.write_table(table, os.path.join(tmp, name + ".parquet"), compression="zstd")
            checkpoint("table written")
        with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2, sort_keys=True, default=str)
            f.write("\n")
        checkpoint("manifest written")

    return replace_dir(out, fill, protected)


def read_manifest(out: str) -> dict[str, Any]:
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        return json.load(f)


def read_table(out: str, name: str) -> pa.Table:
    """A table of a run folder: NAME.parquet or a folder NAME/ of Parquet files."""
    path = os.path.join(out, name + ".parquet")
    if not os.path.exists(path):
        path = os.path.join(out, name)
    if not os.path.exists(path):
        raise OutputError(f"{out}: no table {name!r} (is this a kubetorch output folder?)")
    return pq.read_table(path)
