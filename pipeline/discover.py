"""discover: walk a source tree, find its Go modules, read and hash every Go file.

The only stage that touches the tree's files. It reads each file once, so the content handed to
extract is exactly the content that was hashed: a cache key can never describe other bytes.

A tree may hold anything, and nothing in it may stop or hang the run: names in any bytes get a
lossless printable spelling (`spell`); FIFOs, devices and sockets (and symlinks to them) are never
opened; files over the size limit are never read; a folder that cannot be listed is reported like
a file that cannot be read. Each of these is a record with an `error`, never an exception.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from kubetorch.extract import is_generated
from kubetorch.gomod import ModuleMap, module_path

KUBERNETES_DIRS = ("pkg", "cmd", "plugin", "staging")
DEFAULT_MAX_FILE_SIZE = 10_000_000  # 3.4x the largest Go file of Kubernetes v1.28 (generated openapi)

# never block on open (a FIFO put where a file was), never make a terminal device ours
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


class DiscoverError(Exception):
    """The tree cannot be analysed at all (missing, not a directory, no Go files)."""


class FileProblem(Exception):
    """A file's content could not be had when it was needed: it vanished, became unreadable or
    something else than a regular file, or holds other bytes than discovery saw. The message is
    the file's one-line report."""


@dataclass(frozen=True, slots=True)
class Options:
    include_vendor: bool = False
    include_testdata: bool = False
    include_tests: bool = False
    include_generated: bool = False
    dirs: tuple[str, ...] | None = None  # None: pkg/cmd/plugin/staging on a Kubernetes tree, else all
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are reported, never read


@dataclass(slots=True)
class SourceFile:
    path: str  # relative to the tree root, '/'-separated, in the spelling of `spell`
    dir: str
    import_path: str
    sha: str  # blake2b-128 of the content, hex
    size: int
    generated: bool
    data: bytes | None  # None when unreadable, binary, skipped, or not read (known from the stat memo)
    error: str = ""  # why the file is unusable or suspect ("" when fine)
    abs_path: str = ""  # as the OS spells it (may hold surrogate-escaped bytes)
    usable: bool = True  # False when unreadable, binary or skipped: nothing to extract

    def content(self) -> bytes:
        """The file's bytes, read now when the stat memo let discovery skip reading it.

        Raises FileProblem when the file is no longer the one discovery saw (deleted, unreadable,
        no longer a regular file, other bytes): its sha would describe other content."""
        if self.data is not None:
            return self.data
        data, error = read_regular(self.abs_path, self.size)
        if error:
            raise FileProblem(error)
        if len(data) != self.size or file_sha(data) != self.sha:
            raise FileProblem("unreadable: changed during the run (rerun to analyse it)")
        return data


# what the stat memo remembers of a file: (size, mtime_ns, ctime_ns, inode) -> (sha, generated,
# error, usable). ctime is in the key because no user can set it back (touch -d sets mtime only).
StatKey = tuple[int, int, int, int]
StatMemo = dict[str, tuple[StatKey, str, bool, str, bool]]


@dataclass(slots=True)
class Tree:
    root: str
    modules: dict[str, str]  # rel dir -> module path
    files: list[SourceFile]
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    dirs: tuple[str, ...] = ()
    memo: StatMemo = field(default_factory=dict)  # to hand back to the next run
    read: int = 0  # files whose content was read (not known from the memo)

    @property
    def problems(self) -> list[SourceFile]:
        return [f for f in self.files if f.error]


def file_sha(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def spell(name: str) -> str:
    """A printable, lossless spelling of a name as the OS gives it (a str whose undecodable bytes
    are surrogate escapes): such bytes become `\\xff`, unprintable characters `\\x1b` / `\\u2028`,
    and a backslash is doubled, so two names never share a spelling. Pyarrow, JSON and a terminal
    all take the result; a UTF-8 name without control characters is returned as it is."""
    if name.isprintable() and "\\" not in name:
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of the byte code - 0xDC00
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:  # an escaped byte is never below 0x80, so \xNN stays unambiguous
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:([kmg])(i?)b?|b?)", re.IGNORECASE)
_UNITS = {"": 0, "k": 1, "m": 2, "g": 3}


def parse_size(text: str) -> int:
    """`10MB`, `512k`, `1.5M`, `4096`, `2MiB` -> bytes (k, M, G: powers of 1000; Ki, Mi, Gi: of 1024).

    Raises ValueError with a message fit for the user."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a size: {text!r} (examples: 10MB, 512k, 4096)")
    number, unit, binary = match.groups()
    base = 1024 if binary else 1000
    size = int(float(number) * base ** _UNITS[(unit or "").lower()])
    if size < 1:
        raise ValueError(f"not a size: {text!r} (must be at least 1 byte)")
    return size


def _skip_dir(name: str, opts: Options) -> str | None:
    if name.startswith(".") or name.startswith("_"):
        return "hidden"
    if name == "vendor" and not opts.include_vendor:
        return "vendor"
    if name == "testdata" and not opts.include_testdata:
        return "testdata"
    return None


def _rel(root: str, path: str) -> str:
    rel = os.path.relpath(path, root).replace(os.sep, "/")
    return "" if rel == "." else spell(rel)


def find_modules(root: str, opts: Options) -> dict[str, str]:
    modules: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):  # an unlistable folder is reported by discover
        dirnames[:] = sorted(d for d in dirnames if _skip_dir(d, opts) is None)
        if "go.mod" in filenames:
            go_mod = os.path.join(dirpath, "go.mod")
            # stat before open: a go.mod that is a FIFO or a device is never read
            data, error = read_regular(go_mod, 1_000_000) if os.path.isfile(go_mod) else (b"", "skipped")
            path = None if error else module_path(data.decode("utf-8", errors="replace"))
            if path:
                modules[_rel(root, dirpath)] = path
    return modules


def default_dirs(root: str, opts: Options = Options()) -> tuple[str, ...]:
    """A Kubernetes checkout is analysed in pkg, cmd, plugin and staging (and vendor when asked);
    anything else whole."""
    if os.path.isdir(os.path.join(root, "staging", "src", "k8s.io")) and os.path.isdir(
        os.path.join(root, "pkg")
    ):
        wanted = KUBERNETES_DIRS + (("vendor",) if opts.include_vendor else ())
        return tuple(d for d in wanted if os.path.isdir(os.path.join(root, d)))
    return ("",)


@dataclass(frozen=True, slots=True)
class _Listing:
    """One folder of the walk: its path, and its Go file entries (or why it cannot be listed)."""

    path: str
    files: tuple[os.DirEntry, ...]
    error: str = ""


def _walk(start: str, opts: Options, skipped: dict[str, int]) -> Iterator[_Listing]:
    """Folders under `start`, parents first and in name order (as os.walk, which would skip an
    unlistable folder silently); symlinks to folders are not followed."""
    stack = [start]
    while stack:
        path = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            yield _Listing(path, (), e.strerror or str(e))
            continue
        files, subdirs = [], []
        for entry in entries:
            if _is_dir(entry):
                reason = _skip_dir(entry.name, opts)
                if reason is None:
                    if not entry.is_symlink():
                        subdirs.append(entry.path)
                elif reason != "hidden":
                    skipped[reason + " dirs"] = skipped.get(reason + " dirs", 0) + 1
            elif entry.name.endswith(".go"):
                if entry.name.endswith("_test.go") and not opts.include_tests:
                    skipped["tests"] = skipped.get("tests", 0) + 1
                else:
                    files.append(entry)
        yield _Listing(path, tuple(files))
        stack.extend(reversed(subdirs))


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover(root: str, opts: Options = Options(), memo: StatMemo | None = None) -> Tree:
    """Find and identify the Go files of `root`.

    `memo` is the previous run's stat memo: a file whose size, mtime, ctime and inode are
    unchanged is taken to have the same content (git's index makes the same bet), so a run over
    an unchanged tree reads no file at all.
    """
    if not os.path.exists(root):
        raise DiscoverError(f"{spell(root)}: no such file or directory")
    if not os.path.isdir(root):
        raise DiscoverError(f"{spell(root)}: not a directory")
    root = os.path.abspath(root)
    try:
        os.scandir(root).close()
    except OSError as e:
        raise DiscoverError(f"{spell(root)}: cannot list: {e.strerror or e}") from e
    modules = find_modules(root, opts)
    mapping = ModuleMap(modules)
    dirs = opts.dirs if opts.dirs else default_dirs(root, opts)
    skipped: dict[str, int] = {}
    files: list[SourceFile] = []
    memo = memo or {}
    new_memo: StatMemo = {}
    read = 0
    for top in dirs:
        start = os.path.join(root, top) if top else root
        if not os.path.isdir(start):
            raise DiscoverError(f"{spell(start)}: not a directory")
        for listing in _walk(start, opts, skipped):
            rel_dir = _rel(root, listing.path)
            import_path = mapping.import_path(rel_dir)
            if listing.error:
                files.append(_problem(rel_dir, rel_dir, import_path, f"unreadable folder: {listing.error}"))
                continue
            for entry in listing.files:
                name = spell(entry.name)
                rel = f"{rel_dir}/{name}" if rel_dir else name
                sf, key = _identify(entry, rel, rel_dir, import_path, opts, memo)
                if sf is None:
                    sf = read_source(entry.path, rel, rel_dir, import_path, opts.max_file_size)
                    read += 1
                if key is not None and not sf.error:
                    # files with problems are re-read every run
                    new_memo[rel] = (key, sf.sha, sf.generated, sf.error, sf.usable)
                if sf.generated and not opts.include_generated:
                    skipped["generated"] = skipped.get("generated", 0) + 1
                    continue
                files.append(sf)
    if not files:
        raise DiscoverError(
            f"{spell(root)}: no Go files to analyse" + (f" under {', '.join(dirs)}" if dirs != ("",) else "")
        )
    return Tree(root=root, modules=modules, files=files, skipped=skipped, dirs=dirs, memo=new_memo, read=read)


def _identify(
    entry: os.DirEntry, rel: str, rel_dir: str, import_path: str, opts: Options, memo: StatMemo
) -> tuple[SourceFile | None, StatKey | None]:
    """What stat alone says about a file: a problem record (not a regular file, too large, gone),
    or the record the memo remembers; (None, key) when its content must be read."""
    try:
        st = os.stat(entry.path)  # follows symlinks: x.go -> /dev/zero is a character device
    except OSError as e:
        return _problem(rel, rel_dir, import_path, unreadable(e)), None
    kind = _not_regular(st.st_mode)
    if kind:
        via = "a symlink to " if entry.is_symlink() else ""
        return _problem(rel, rel_dir, import_path, f"skipped: not a regular file ({via}{kind})"), None
    if st.st_size > opts.max_file_size:
        return _problem(rel, rel_dir, import_path, _too_large(st.st_size, opts), st.st_size), None
    key: StatKey = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    known = memo.get(rel)
    if known is not None and known[0] == key:
        _k, sha, generated, error, usable = known
        return SourceFile(
            rel, rel_dir, import_path, sha, st.st_size, generated, None, error, entry.path, usable
        ), key
    return None, key


def _problem(rel: str, rel_dir: str, import_path: str, error: str, size: int = 0) -> SourceFile:
    return SourceFile(rel, rel_dir, import_path, "", size, False, None, error, "", False)


def _not_regular(mode: int) -> str:
    """'' for a regular file, else what it is instead."""
    if stat.S_ISREG(mode):
        return ""
    for test, kind in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return kind
    return "a special file"


def _too_large(size: int, opts: Options) -> str:
    return f"skipped: {size:,} bytes, over the {opts.max_file_size:,}-byte limit (--max-file-size)"


def unreadable(e: OSError) -> str:
    reason = "symlink loop" if e.errno == errno.ELOOP else (e.strerror or str(e))
    return f"unreadable: {reason}"


def read_regular(abs_path: str, limit: int) -> tuple[bytes, str]:
    """Up to `limit` + 1 bytes of a regular file, or why not (b'' and the report).

    The type is checked again on the open file, so a FIFO or device put in the file's place after
    its stat is never read, and the open itself cannot block."""
    try:
        fd = os.open(abs_path, _OPEN_FLAGS)
    except OSError as e:
        return b"", unreadable(e)
    try:
        kind = _not_regular(os.fstat(fd).st_mode)
        if kind:
            return b"", f"skipped: not a regular file ({kind})"
        with open(fd, "rb", closefd=False) as f:
            return f.read(limit + 1), ""
    except OSError as e:
        return b"", unreadable(e)
    finally:
        os.close(fd)


def read_source(
    abs_path: str, rel: str, rel_dir: str, import_path: str, limit: int = DEFAULT_MAX_FILE_SIZE
) -> SourceFile:
    """Read one file; problems become an `error` on the record, never an exception."""
    data, error = read_regular(abs_path, limit)
    if error:
        return _problem(rel, rel_dir, import_path, error)
    if len(data) > limit:  # grew after its stat
        too_large = _too_large(len(data), Options(max_file_size=limit))
        return _problem(rel, rel_dir, import_path, too_large, len(data))
    sha = file_sha(data)
    if b"\0" in data:
        return SourceFile(
            rel,
            rel_dir,
            import_path,
            sha,
            len(data),
            False,
            None,
            "binary content (NUL bytes)",
            abs_path,
            False,
        )
    error = ""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        error = f"not valid UTF-8 (byte {e.start})"
    return SourceFile(
        rel, rel_dir, import_path, sha, len(data), is_generated(data), data, error, abs_path, True
    )
