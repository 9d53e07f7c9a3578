"""Source snippets and permalinks for witness steps.

A snippet is the step's source line from the bytes discovery hashed (never a newer copy of the
file). A permalink needs a git checkout whose remote is on a host with a known URL scheme (GitHub,
GitLab): `https://github.com/OWNER/REPO/blob/COMMIT/PATH#LLINE`. Files changed or untracked in
the checkout get none, since the commit does not hold the line shown. A remote's user name or
token never reaches a link.
"""

from __future__ import annotations

import os
import re
import subprocess
import urllib.parse
from collections.abc import Callable, Iterable

from pipeline.discover import FileProblem, SourceFile

SNIPPET_CHARS = 160

# remote host -> the path between the repository and the commit in a link to a line
HOSTS = {"github.com": "blob", "gitlab.com": "-/blob"}

_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")  # git@github.com:owner/repo.git


def snippets(files: Iterable[SourceFile]) -> Callable[[str, int], str | None]:
    """(file, line) -> that line of the file, trimmed, or None; files are read at most once."""
    by_path = {f.path: f for f in files if f.usable}
    lines: dict[str, list[str] | None] = {}

    def snippet(path: str, line: int) -> str | None:
        if path not in lines:
            f = by_path.get(path)
            try:
                lines[path] = f.content().decode("utf-8", "replace").splitlines() if f else None
            except FileProblem:
                lines[path] = None
        text = lines[path]
        if not text or not line or not 0 < line <= len(text):
            return None
        s = text[line - 1].strip()
        return s if len(s) <= SNIPPET_CHARS else s[: SNIPPET_CHARS - 1] + "…"

    return snippet


def web_base(remote: str) -> tuple[str, str] | None:
    """(https://HOST/OWNER/REPO, blob path) of a remote URL on a known host, without credentials."""
    remote = remote.strip()
    m = _SCP.match(remote) if "://" not in remote else None
    if m:
        host, path = m["host"], m["path"]
    else:
        parsed = urllib.parse.urlsplit(remote)
        if parsed.scheme not in ("https", "http", "ssh", "git"):
            return None
        host, path = parsed.hostname or "", parsed.path
    host = host.lower()
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    if host not in HOSTS or path.count("/") < 1 or ".." in path.split("/"):
        return None
    return f"https://{host}/{path}", HOSTS[host]


def _git(root: str, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, timeout=30, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return os.fsdecode(out.stdout) if out.returncode == 0 else None


def _remote(root: str) -> str | None:
    names = (_git(root, "remote") or "").split()
    for name in ("origin", "upstream", *names):
        if name in names:
            url = _git(root, "remote", "get-url", name)
            if url and web_base(url):
                return url.strip()
    return None


def permalinks(root: str) -> Callable[[str, int], str | None] | None:
    """(file relative to root, line) -> its permalink; None when root is not a git checkout of
    a known remote."""
    commit = (_git(root, "rev-parse", "HEAD") or "").strip()
    remote = _remote(root) if commit else None
    if not remote:
        return None
    base, blob = web_base(remote) or ("", "")
    prefix = (_git(root, "rev-parse", "--show-prefix") or "").strip()
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".") or ""
    # entries are "XY path" (a rename adds the old path as the next entry): paths from the top
    dirty = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
    dirty |= {entry for entry in status.split("\0") if entry and entry[2:3] != " "}

    def url(file: str, line: int) -> str | None:
        top = prefix + file
        if "\\" in file or top in dirty:
            return None  # a spelled (escaped) name, or a line the commit may not hold
        return f"{base}/{blob}/{commit}/{urllib.parse.quote(top)}#L{line}"

    return url
