"""Rows for people and for programs: every read command prints through `render`.

`table` has a header line and one line per row; names are shortened to their last import-path
segment (`replicaset.(*RSController).addPod`) only in columns where that keeps every value
distinct, and cells are cut to fit only on a terminal (in a pipe or a file every value is whole).
`json` is a list of objects and `csv` a header and rows, both with full values: what a script reads.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

FORMATS = ("table", "json", "csv")
MIN_CELL = 12  # a cut cell keeps at least this many characters


def format_option(choices: Sequence[str] = FORMATS, default: str = "table") -> Callable:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="table for people; json or csv (full values) for programs.",
    )


def terminal_width() -> int | None:
    """The terminal's width when stdout is one, else None (nothing is cut)."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((120, 24)).columns


def short_name(name: str) -> str:
    """A qualified Go name without its import path's folders: `replicaset.(*RSController).addPod`."""
    return name.rpartition("/")[2] if "/" in name.split("(", 1)[0] else name


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def _shortened(values: list[str]) -> list[str]:
    short = [short_name(v) for v in values]
    full_of: dict[str, str] = {}
    for s, v in zip(short, values):
        if full_of.setdefault(s, v) != v:
            return values  # shortening would make two different names look the same
    return short


def _fit(widths: list[int], limit: int, gap: int) -> list[int]:
    """Column widths that fit `limit`, taking characters from the widest columns first."""
    widths = list(widths)
    while sum(widths) + gap * (len(widths) - 1) > limit:
        i = max(range(len(widths)), key=lambda k: widths[k])
        if widths[i] <= MIN_CELL:
            break
        widths[i] -= 1
    return widths


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    short: Iterable[str] = (),
    width: int | None = None,
    footer: str | None = None,
) -> str:
    """Aligned columns under a header; `short` names the columns of Go names to shorten."""
    cells = [[text(v) for v in row] for row in rows]
    for i, name in enumerate(columns):
        if name in set(short):
            for row, value in zip(cells, _shortened([r[i] for r in cells])):
                row[i] = value
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if width is not None:
        widths = _fit(widths, width, 2)

    def line(values: Sequence[str]) -> str:
        out = []
        for v, w in zip(values, widths):
            out.append(v if len(v) <= w else v[: w - 1] + "…")
            out[-1] = out[-1].ljust(w)
        return "  ".join(out).rstrip()

    lines = [line(list(columns)), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    if footer is None:
        footer = f"({len(cells)} row{'' if len(cells) == 1 else 's'})"
    if footer:
        lines.append(footer)
    return "\n".join(lines) + "\n"


def as_json(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    return (
        json.dumps([dict(zip(columns, row)) for row in rows], indent=2, default=str, ensure_ascii=False)
        + "\n"
    )


def as_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if v is None else v if isinstance(v, str | int | float) else text(v) for v in row]
        )
    return buf.getvalue()


def render(
    fmt: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    short: Iterable[str] = (),
    footer: str | None = None,
    width: int | None = None,
) -> str:
    if fmt == "json":
        return as_json(columns, rows)
    if fmt == "csv":
        return as_csv(columns, rows)
    return table(columns, rows, short, width if width is not None else terminal_width(), footer)


def render_dicts(
    fmt: str,
    items: Sequence[dict],
    table_columns: Sequence[str],
    *,
    short: Iterable[str] = (),
    footer: str | None = None,
    derived: dict[str, Callable[[dict], Any]] | None = None,
    all_columns: Sequence[str] = (),
) -> str:
    """Rows given as dicts: `table` shows `table_columns` (a name in `derived` is computed from the
    row), json and csv `all_columns` and every other key of the rows."""
    if fmt == "table":
        derived = derived or {}
        rows = [[derived[c](r) if c in derived else r.get(c) for c in table_columns] for r in items]
        return render(fmt, table_columns, rows, short=short, footer=footer)
    keys: list[str] = list(all_columns)
    for r in items:
        keys += [k for k in r if k not in keys]
    return render(fmt, keys, [[r.get(k) for k in keys] for r in items])
