"""Content-addressed result store: the lowest layer, knows nothing of Go or Kubernetes."""

from cache.store import CacheError, ResultCache, Shape, cache_info, clear_cache, default_cache_dir, type_shape

__all__ = [
    "CacheError",
    "ResultCache",
    "Shape",
    "cache_info",
    "clear_cache",
    "default_cache_dir",
    "type_shape",
]
