"""Content-addressed result store: the lowest layer, knows nothing of Go or Kubernetes."""

from cache.store import ResultCache, default_cache_dir

__all__ = ["ResultCache", "default_cache_dir"]
