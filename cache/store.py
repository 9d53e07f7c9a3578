"""A diskcache-backed store of analysis results, keyed by what they were computed from.

Keys are (stage, stage fingerprint, content key): the content key is a file or package content
hash, the fingerprint hashes the analyzer code of that stage, so editing the analyzer invalidates
exactly the results it could change and nothing needs a manual `cache clear`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import diskcache
import platformdirs


def default_cache_dir() -> str:
    return os.environ.get("KUBETORCH_CACHE") or platformdirs.user_cache_dir("kubetorch")


class CacheError(Exception):
    """The cache directory cannot be created or opened."""


class ResultCache:
    """get/put by (stage, fingerprint, key); `None` means absent (results are never None)."""

    def __init__(self, directory: str | None = None, size_limit_gb: float = 20.0):
        self.directory = os.path.abspath(directory or default_cache_dir())
        try:
            os.makedirs(self.directory, exist_ok=True)
            self._cache = diskcache.Cache(
                self.directory,
                size_limit=int(size_limit_gb * 1024**3),
                eviction_policy="least-recently-stored",
                statistics=False,
            )
        except (OSError, diskcache.core.sqlite3.Error) as e:
            raise CacheError(f"cannot open cache at {self.directory}: {e}") from e

    @staticmethod
    def _key(stage: str, fingerprint: str, key: str) -> str:
        return f"{stage}/{fingerprint}/{key}"

    def get(self, stage: str, fingerprint: str, key: str) -> Any:
        return self._cache.get(self._key(stage, fingerprint, key), default=None, retry=True)

    def get_many(self, stage: str, fingerprint: str, keys: Iterable[str]) -> dict[str, Any]:
        """Found values by key, read in one transaction (much faster than one get per key)."""
        found: dict[str, Any] = {}
        with self._cache.transact(retry=True):
            for k in keys:
                v = self._cache.get(self._key(stage, fingerprint, k), default=None)
                if v is not None:
                    found[k] = v
        return found

    def put(self, stage: str, fingerprint: str, key: str, value: Any) -> None:
        self._cache.set(self._key(stage, fingerprint, key), value, retry=True)

    def put_many(self, stage: str, fingerprint: str, items: Iterable[tuple[str, Any]]) -> None:
        with self._cache.transact(retry=True):
            for k, v in items:
                self._cache.set(self._key(stage, fingerprint, k), v)

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._cache.transact(retry=True):
            yield

    def info(self) -> dict[str, Any]:
        stages: dict[str, int] = {}
        for key in self._cache.iterkeys():
            stage = str(key).split("/", 1)[0]
            stages[stage] = stages.get(stage, 0) + 1
        return {
            "directory": self.directory,
            "entries": sum(stages.values()),
            "bytes": self._cache.volume(),
            "stages": stages,
        }

    def clear(self) -> int:
        n = len(self._cache)
        self._cache.clear(retry=True)
        self._cache.close()
        # diskcache keeps value files in sub-directories; remove everything but the database
        for name in os.listdir(self.directory):
            p = os.path.join(self.directory, name)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
        self._cache = diskcache.Cache(self.directory)
        return n

    def close(self) -> None:
        self._cache.close()
