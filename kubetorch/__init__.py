"""kubetorch: static analysis of Kubernetes controllers (analysis only: no I/O policy, no Dask)."""

from __future__ import annotations

import hashlib
import os
from functools import cache

__version__ = "0.1.0"

_HERE = os.path.dirname(os.path.abspath(__file__))


@cache
def fingerprint(*names: str) -> str:
    """Hash of the named analyzer source files (and the version): a cache key part that changes
    exactly when the code computing a stage changes."""
    h = hashlib.blake2b(__version__.encode(), digest_size=8)
    for name in names:
        with open(os.path.join(_HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def extract_fingerprint() -> str:
    try:
        from importlib.metadata import version

        grammar = version("tree-sitter-go") + version("tree-sitter")
    except Exception:  # noqa: BLE001 - metadata missing in odd installs
        grammar = "unknown"
    return fingerprint("ir.py", "extract.py", "digest.py") + grammar.replace(".", "")


def summarize_fingerprint() -> str:
    return fingerprint("ir.py", "index.py", "models.py", "models.toml", "summary.py", "summarize.py")


def analysis_fingerprint() -> str:
    """Everything that decides a run's tables."""
    names = sorted(n for n in os.listdir(_HERE) if n.endswith((".py", ".toml")))
    return fingerprint(*names) + extract_fingerprint()
