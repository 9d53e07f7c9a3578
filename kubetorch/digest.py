"""Content digests of extracted facts that ignore what cannot affect other packages."""

from __future__ import annotations

import hashlib

from kubetorch.ir import FileFacts


def _strip_lines(x):
    """An expression without its line numbers, for content digests that survive line moves."""
    if isinstance(x, tuple):
        if x and x[0] == "call":
            return ("call", _strip_lines(x[1]), _strip_lines(x[2]), x[4])
        if x and x[0] == "comp":
            return ("comp", x[1], _strip_lines(x[2]))
        return tuple(_strip_lines(e) for e in x)
    return x


def api_digest(facts: FileFacts) -> str:
    """Hash of what other packages can see of this file: declarations without bodies or lines.

    A summary computed for package P stays valid while the api digests of the packages P can
    see (its transitive imports) are unchanged.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((facts.package, sorted(facts.imports, key=lambda i: (i[1], i[0] or "")))).encode())
    for t in facts.types:
        h.update(repr((t.name, t.type, t.type_params, t.alias)).encode())
    for fn in facts.funcs:
        if not fn.is_literal:
            h.update(
                repr(
                    (
                        fn.outer,
                        fn.recv_type,
                        [t for _u, t in fn.params],
                        [t for _u, t in fn.results],
                        fn.variadic,
                        fn.type_params,
                    )
                ).encode()
            )
    for v in facts.values:
        h.update(repr((v.name, v.type, v.const, _strip_lines(v.value))).encode())
    return h.hexdigest()
