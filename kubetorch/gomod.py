"""Go modules: read go.mod files and map a directory to its import path.

The Kubernetes tree is one main module (k8s.io/kubernetes) with a module per directory under
staging/src/k8s.io; the nearest enclosing go.mod decides, exactly as the go command does, so
staging/src/k8s.io/client-go/tools/cache is k8s.io/client-go/tools/cache.
"""

from __future__ import annotations

import posixpath
import re

MODULE_RE = re.compile(r"^\s*module\s+(\"[^\"]+\"|\S+)", re.M)


def module_path(gomod_text: str) -> str | None:
    """The module path declared in a go.mod file, or None when it declares none."""
    m = MODULE_RE.search(gomod_text)
    if not m:
        return None
    return m.group(1).strip('"')


class ModuleMap:
    """Directory (relative, '/'-separated, '' for the root) -> Go import path."""

    def __init__(self, modules: dict[str, str]):
        # longest directory first, so the nearest go.mod wins
        self.modules = dict(sorted(modules.items(), key=lambda kv: -len(kv[0])))

    def import_path(self, rel_dir: str) -> str:
        rel_dir = rel_dir.strip("/")
        parts = rel_dir.split("/") if rel_dir else []
        if "vendor" in parts:
            # vendor/<import path>: the directory names the package directly
            i = len(parts) - 1 - parts[::-1].index("vendor")
            return "/".join(parts[i + 1 :])
        for mod_dir, mod_path in self.modules.items():
            if mod_dir == "":
                return posixpath.join(mod_path, rel_dir) if rel_dir else mod_path
            if rel_dir == mod_dir or rel_dir.startswith(mod_dir + "/"):
                rest = rel_dir[len(mod_dir) :].strip("/")
                return posixpath.join(mod_path, rest) if rest else mod_path
        # no go.mod covers it: fall back to the staging convention, then to the path itself
        if rel_dir.startswith("staging/src/"):
            return rel_dir[len("staging/src/") :]
        return rel_dir or "main"

    def module_of(self, rel_dir: str) -> str | None:
        rel_dir = rel_dir.strip("/")
        for mod_dir, mod_path in self.modules.items():
            if mod_dir == "" or rel_dir == mod_dir or rel_dir.startswith(mod_dir + "/"):
                return mod_path
        return None
