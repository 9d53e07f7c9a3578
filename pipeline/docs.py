"""The README's generated parts: the table docs (from pipeline/tables.py, the same declarations that
put each column's description in the Parquet schema) and the ready-made questions (from
pipeline/query.py). `python -m pipeline.docs` rewrites them in README.md; tests/test_readme.py
fails when they are stale.
"""

from __future__ import annotations

import os
import re
import sys

from pipeline.query import NAMED
from pipeline.tables import markdown as tables_markdown

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def queries_markdown() -> str:
    out = [
        "`kubetorch query --list` lists them; every table of the run (or history) is a DuckDB view.",
        "",
    ]
    for i, q in enumerate(NAMED, 1):
        where = "--history DIR" if q.history else "OUT"
        params = "".join(f" [--param {k}=...]" for k in q.params)
        out += [
            f"{i}. **{q.question}** — `kubetorch query {where} --named {q.name}{params}`",
            "",
            "   ```sql",
        ]
        out += [f"   {line}".rstrip() for line in q.sql.splitlines()]
        out += ["   ```", ""]
    return "\n".join(out)


SECTIONS = {"tables": tables_markdown, "queries": queries_markdown}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} .*?-->\n\n)(.*?)(<!-- end: {name} -->)", re.S)


def section(text: str, name: str) -> str | None:
    m = _pattern(name).search(text)
    return m.group(2) if m else None


def update(text: str) -> str:
    for name, make in SECTIONS.items():
        text = _pattern(name).sub(lambda m, make=make: m.group(1) + make() + m.group(3), text)
    return text


if __name__ == "__main__":  # pragma: no cover
    with open(README, encoding="utf-8") as f:
        old = f.read()
    new = update(old)
    if new != old:
        with open(README, "w", encoding="utf-8") as f:
            f.write(new)
    sys.stdout.write("README.md up to date\n" if new == old else "README.md updated\n")
