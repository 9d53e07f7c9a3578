"""`kubetorch.toml`: the analysis options of a tree in a file, so a nightly job carries no long
command line. Read from `--config FILE`, else from TREE/kubetorch.toml when there is one; an option
given on the command line wins over the file.

    dirs = ["pkg", "cmd", "plugin", "staging"]   # sub-folders to analyse
    include = ["generated"]                      # vendor, testdata, tests, generated
    max_file_size = "10MB"
    models = ["models/extra.toml"]               # model files (paths relative to this file)
    rbac = ["cluster/rbac"]                      # RBAC manifests: files or folders of them

Every key is checked (unknown keys, wrong types, missing files are one-line errors). `rbac` feeds
the RBAC check as `--rbac` does (RunConfig.rbac_files; a folder gives its `*.yaml` and `*.yml`
files; `--rbac` on the command line replaces the key). `models` is carried to RunConfig.models and
the manifest; no stage reads it yet.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILE_NAME = "kubetorch.toml"
INCLUDES = ("vendor", "testdata", "tests", "generated")
KEYS = ("dirs", "include", "max_file_size", "models", "rbac")


class ConfigError(Exception):
    """The config file is unusable (a one-line error in the CLI)."""


@dataclass(frozen=True)
class FileConfig:
    path: str | None = None  # the file read, None when there was none
    dirs: tuple[str, ...] | None = None
    include: frozenset[str] = frozenset()
    max_file_size: str | int | None = None
    models: tuple[str, ...] = ()
    rbac: tuple[str, ...] = ()


def find(tree: str, given: str | None) -> str | None:
    """The config file to read: --config, else TREE/kubetorch.toml when it is a file."""
    if given is not None:
        return given
    candidate = os.path.join(tree, FILE_NAME)
    return candidate if os.path.isfile(candidate) else None


def _strings(path: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{path}: {key}: expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def _paths(path: str, key: str, value: Any, dirs_ok: bool) -> tuple[str, ...]:
    base = os.path.dirname(os.path.abspath(path))
    out = []
    for entry in _strings(path, key, value):
        full = os.path.normpath(os.path.join(base, os.path.expanduser(entry)))
        if not os.path.exists(full):
            raise ConfigError(f"{path}: {key}: {full}: no such file")
        if not os.path.isfile(full) and not (dirs_ok and os.path.isdir(full)):
            raise ConfigError(f"{path}: {key}: {full}: not a file{' or folder' if dirs_ok else ''}")
        out.append(full)
    return tuple(out)


def _yaml_files(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Each file as given, each folder as its YAML files (sorted, not recursive)."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            out += [os.path.join(p, n) for n in sorted(os.listdir(p)) if n.endswith((".yaml", ".yml"))]
        else:
            out.append(p)
    return tuple(out)


def load(path: str | None) -> FileConfig:
    """The checked contents of the config file at `path` (an empty config for None)."""
    if path is None:
        return FileConfig()
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such config file") from e
    except IsADirectoryError as e:
        raise ConfigError(f"{path}: is a folder, not a config file") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    unknown = sorted(set(doc) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    include = frozenset(_strings(path, "include", doc.get("include", [])))
    if include - set(INCLUDES):
        bad = sorted(include - set(INCLUDES))[0]
        raise ConfigError(f"{path}: include: {bad!r} is not one of {', '.join(INCLUDES)}")
    size = doc.get("max_file_size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, str | int)):
        raise ConfigError(f'{path}: max_file_size: expected a size like "10MB" or a number of bytes')
    dirs = doc.get("dirs")
    return FileConfig(
        path=os.path.abspath(path),
        dirs=tuple(d.strip("/") for d in _strings(path, "dirs", dirs)) if dirs is not None else None,
        include=include,
        max_file_size=size,
        models=_paths(path, "models", doc.get("models", []), dirs_ok=False),
        rbac=_yaml_files(_paths(path, "rbac", doc.get("rbac", []), dirs_ok=True)),
    )
