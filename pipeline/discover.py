"""discover: walk a source tree, find its Go modules, read and hash every Go file.

The only stage that touches the tree's files. It reads each file once, so the content handed to
extract is exactly the content that was hashed: a cache key can never describe other bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from kubetorch.extract import is_generated
from kubetorch.gomod import ModuleMap, module_path

KUBERNETES_DIRS = ("pkg", "cmd", "plugin", "staging")


class DiscoverError(Exception):
    """The tree cannot be analysed at all (missing, not a directory, no Go files)."""


@dataclass(frozen=True, slots=True)
class Options:
    include_vendor: bool = False
    include_testdata: bool = False
    include_tests: bool = False
    include_generated: bool = False
    dirs: tuple[str, ...] | None = None  # None: pkg/cmd/plugin/staging on a Kubernetes tree, else all


@dataclass(slots=True)
class SourceFile:
    path: str  # relative to the tree root, '/'-separated
    dir: str
    import_path: str
    sha: str  # blake2b-128 of the content, hex
    size: int
    generated: bool
    data: bytes | None  # None when unreadable, binary, or not read (known from the stat memo)
    error: str = ""  # why the file is unusable or suspect ("" when fine)
    abs_path: str = ""
    usable: bool = True  # False when unreadable or binary: nothing to extract

    def content(self) -> bytes:
        """The file's bytes (read now when the stat memo let discovery skip reading it)."""
        if self.data is None:
            with open(self.abs_path, "rb") as f:
                return f.read()
        return self.data


# what the stat memo remembers of a file: (size, mtime_ns, inode) -> (sha, generated, error, usable)
StatKey = tuple[int, int, int]
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


def _skip_dir(name: str, opts: Options) -> str | None:
    if name.startswith(".") or name.startswith("_"):
        return "hidden"
    if name == "vendor" and not opts.include_vendor:
        return "vendor"
    if name == "testdata" and not opts.include_testdata:
        return "testdata"
    return None


def find_modules(root: str, opts: Options) -> dict[str, str]:
    modules: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if _skip_dir(d, opts) is None)
        if "go.mod" in filenames:
            try:
                with open(os.path.join(dirpath, "go.mod"), encoding="utf-8", errors="replace") as f:
                    path = module_path(f.read())
            except OSError:
                path = None
            if path:
                rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
                modules["" if rel == "." else rel] = path
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


def discover(root: str, opts: Options = Options(), memo: StatMemo | None = None) -> Tree:
    """Find and identify the Go files of `root`.

    `memo` is the previous run's stat memo: a file whose size, mtime and inode are unchanged is
    taken to have the same content (git's index makes the same bet), so a run over an unchanged
    tree reads no file at all.
    """
    if not os.path.exists(root):
        raise DiscoverError(f"{root}: no such file or directory")
    if not os.path.isdir(root):
        raise DiscoverError(f"{root}: not a directory")
    root = os.path.abspath(root)
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
            raise DiscoverError(f"{start}: not a directory")
        for dirpath, dirnames, filenames in os.walk(start):
            kept = []
            for d in sorted(dirnames):
                reason = _skip_dir(d, opts)
                if reason is None:
                    kept.append(d)
                elif reason != "hidden":
                    skipped[reason + " dirs"] = skipped.get(reason + " dirs", 0) + 1
            dirnames[:] = kept
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir
            import_path = mapping.import_path(rel_dir)
            for name in sorted(filenames):
                if not name.endswith(".go"):
                    continue
                if name.endswith("_test.go") and not opts.include_tests:
                    skipped["tests"] = skipped.get("tests", 0) + 1
                    continue
                rel = f"{rel_dir}/{name}" if rel_dir else name
                abs_path = os.path.join(dirpath, name)
                sf = None
                try:
                    st = os.stat(abs_path)
                    key: StatKey | None = (st.st_size, st.st_mtime_ns, st.st_ino)
                except OSError:
                    key = None
                known = memo.get(rel)
                if key is not None and known is not None and known[0] == key:
                    _k, sha, generated, error, usable = known
                    sf = SourceFile(
                        rel, rel_dir, import_path, sha, key[0], generated, None, error, abs_path, usable
                    )
                else:
                    sf = read_source(abs_path, rel, rel_dir, import_path)
                    read += 1
                if key is not None and not sf.error:
                    # files with problems are re-read every run: a chmod does not change the key
                    new_memo[rel] = (key, sf.sha, sf.generated, sf.error, sf.usable)
                if sf.generated and not opts.include_generated:
                    skipped["generated"] = skipped.get("generated", 0) + 1
                    continue
                files.append(sf)
    if not files:
        raise DiscoverError(
            f"{root}: no Go files to analyse" + (f" under {', '.join(dirs)}" if dirs != ("",) else "")
        )
    return Tree(root=root, modules=modules, files=files, skipped=skipped, dirs=dirs, memo=new_memo, read=read)


def read_source(abs_path: str, rel: str, rel_dir: str, import_path: str) -> SourceFile:
    """Read one file; problems become an `error` on the record, never an exception."""
    try:
        with open(abs_path, "rb") as f:
            data = f.read()
    except OSError as e:
        reason = "symlink loop" if e.errno == 40 else (e.strerror or str(e))
        return SourceFile(
            rel, rel_dir, import_path, "", 0, False, None, f"unreadable: {reason}", abs_path, False
        )
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
