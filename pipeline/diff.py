"""`kubetorch diff A B`: which chains appeared, disappeared or changed their witness path.

Chains are matched by chain_id, which hashes names only, so a chain survives moved code and a new
release; its path is compared as the sequence of (function, step) without file and line for the
same reason. The exit status follows diff(1) so scripts and CI can gate on it.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import click
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import formats
from pipeline.cli_errors import fail, friendly_errors
from pipeline.output import DIFF_CSV_COLUMNS, GENERATOR, claim_output_file, write_file_atomically
from pipeline.runs import check_run, location, rows, short_name
from pipeline.tables import CHAINS, PATH_STEP

EXIT_SAME = 0
EXIT_CHANGED = 1
EXIT_DIFF_ERROR = 2
CHANGES = ("added", "removed", "path-changed")
MARK = {"added": "+", "removed": "-", "path-changed": "~"}

DIFF_SCHEMA = pa.schema([pa.field("change", pa.string()), *CHAINS, pa.field("old_path", pa.list_(PATH_STEP))])


def path_key(path: list[dict] | None) -> tuple[tuple[str, str], ...]:
    """What counts in a witness path: which functions, in which roles; not where they are."""
    return tuple((s.get("function") or "", s.get("step") or "") for s in path or [])


def _by_id(chains: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for c in sorted(chains, key=lambda c: (c["chain_id"], path_key(c.get("path")))):
        out.setdefault(c["chain_id"], c)
    return out


def _order(row: dict) -> tuple:
    return (
        row.get("component") or "",
        CHANGES.index(row["change"]),
        row.get("informer_resource") or "",
        row.get("event") or "",
        row.get("handler") or "",
        row.get("api_verb") or "",
        row.get("api_resource") or "",
        row["chain_id"],
    )


def diff_chains(old: list[dict], new: list[dict]) -> list[dict]:
    """Changed chains from `old` to `new`: each a chain row plus `change` and `old_path`."""
    a, b = _by_id(old), _by_id(new)
    changes = [{**b[i], "change": "added", "old_path": None} for i in b.keys() - a.keys()]
    changes += [{**a[i], "change": "removed", "old_path": None} for i in a.keys() - b.keys()]
    changes += [
        {**b[i], "change": "path-changed", "old_path": a[i].get("path")}
        for i in a.keys() & b.keys()
        if path_key(a[i].get("path")) != path_key(b[i].get("path"))
    ]
    return sorted(changes, key=_order)


def step_changes(old: list[dict] | None, new: list[dict] | None) -> dict[str, list[dict]]:
    """What changed between two witness paths, step by step (a step is its function and role):
    steps only in the new path (added), only in the old one (removed), and in both but in another
    place relative to the steps kept in order (moved). Each entry carries its step number (`at`,
    1-based; `was` for a moved step's old number) and the step's fields."""
    old, new = old or [], new or []
    a, b = [path_key([s])[0] for s in old], [path_key([s])[0] for s in new]
    added, removed = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            removed += [{"at": i + 1, **old[i]} for i in range(i1, i2)]
        if tag in ("insert", "replace"):
            added += [{"at": j + 1, **new[j]} for j in range(j1, j2)]
    moved = []
    for step in list(added):
        key = path_key([step])[0]
        was = next((r for r in removed if path_key([r])[0] == key), None)
        if was is not None:
            added.remove(step)
            removed.remove(was)
            moved.append({**step, "was": was["at"]})
    return {"added": added, "removed": removed, "moved": moved}


def counts(changes: list[dict]) -> dict[str, int]:
    return {c: sum(1 for r in changes if r["change"] == c) for c in CHANGES}


def by_component(changes: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for row in changes:
        groups.setdefault(row.get("component") or "", []).append(row)
    return groups


def describe(chain: dict) -> str:
    """One chain on one line: event, handler, shared state, reader, API write."""
    return (
        f"{chain.get('informer_resource')} {chain.get('event')} -> {short_name(chain.get('handler'))}"
        f" -> {short_name(chain.get('shared_state')) or '?'} -> {short_name(chain.get('reader'))}"
        f" -> {chain.get('api_verb')} {chain.get('api_resource')} ({short_name(chain.get('sink_function'))})"
    )


def _step_text(s: dict) -> str:
    words, state = s.get("step") or "", s.get("state")
    words = words.replace(state, short_name(state)) if state else words
    return f"{words}  {short_name(s.get('function'))}  {location(s.get('file'), s.get('line'))}".rstrip()


def step_lines(row: dict, indent: str = "      ") -> list[str]:
    """A changed witness as lines: a count, then `+ N.` added, `- N.` removed, `> N. (was M.)` moved."""
    d = step_changes(row.get("old_path"), row.get("path"))
    lines = [
        f"{indent}witness: {len(d['added'])} step(s) added, {len(d['removed'])} removed, {len(d['moved'])} moved "
        f"({len(row.get('old_path') or [])} -> {len(row.get('path') or [])} steps)"
    ]
    entries = [("+", s["at"], s) for s in d["added"]] + [("-", s["at"], s) for s in d["removed"]]
    entries += [(">", s["at"], s) for s in d["moved"]]
    for mark, at, s in sorted(entries, key=lambda e: (e[1], "-+>".index(e[0]))):
        was = f" (was {s['was']}.)" if mark == ">" else ""
        lines.append(f"{indent}{mark} {at}.{was} {_step_text(s)}")
    return lines


def format_table(changes: list[dict], a: str, b: str) -> str:
    n = counts(changes)
    groups = by_component(changes)
    lines = [
        f"diff {a} -> {b}: {n['added']} added, {n['removed']} removed, "
        f"{n['path-changed']} path changed in {len(groups)} component(s)"
    ]
    for component, group in groups.items():
        lines += ["", component]
        for row in group:
            lines.append(f"  {MARK[row['change']]} {row['chain_id']}  {describe(row)}")
            if row["change"] == "path-changed":
                lines += step_lines(row)
    return "\n".join(lines) + "\n"


def format_json(changes: list[dict], a: str, b: str) -> str:
    components = []
    for component, group in by_component(changes).items():
        entry: dict[str, Any] = {"component": component}
        for change in CHANGES:
            entry[change.replace("-", "_")] = [
                {
                    **{k: v for k, v in row.items() if k != "change" and (k != "old_path" or v is not None)},
                    **(
                        {"steps": step_changes(row["old_path"], row.get("path"))}
                        if change == "path-changed"
                        else {}
                    ),
                }
                for row in group
                if row["change"] == change
            ]
        components.append(entry)
    counted = {k.replace("-", "_"): v for k, v in counts(changes).items()}
    doc = {
        "generator": GENERATOR,  # first, so a later --out may recognise the file as kubetorch's
        "from": a,
        "to": b,
        "changed": bool(changes),
        "counts": counted,
        "components": components,
    }
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


def write_parquet(changes: list[dict], out: str) -> None:
    """The changes as one Parquet table (marked as kubetorch's in its key-value metadata),
    written to a temporary name and renamed."""
    names = DIFF_SCHEMA.names
    schema = DIFF_SCHEMA.with_metadata({"generator": GENERATOR})
    table = pa.Table.from_pylist([{k: row.get(k) for k in names} for row in changes], schema=schema)
    write_file_atomically(out, lambda tmp: pq.write_table(table, tmp, compression="zstd"))


def _steps_cell(steps: list[dict]) -> str:
    return "; ".join(f"{s['at']}. {s.get('step')} {s.get('function')}" for s in steps)


def format_csv(changes: list[dict]) -> str:
    """One row per change; a path change says which steps were added, removed and moved."""
    out = []
    for row in changes:
        d = step_changes(row.get("old_path"), row.get("path")) if row["change"] == "path-changed" else None
        steps = [_steps_cell(d[k]) if d else "" for k in ("added", "removed", "moved")]
        out.append([row.get(c) for c in DIFF_CSV_COLUMNS[:-3]] + steps)
    return formats.as_csv(DIFF_CSV_COLUMNS, out)


def write_text(text: str, out: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    write_file_atomically(out, write)


def load_chains(spec: str, history: str | None) -> list[dict]:
    """Chains of a run folder, or of a release label in the history."""
    if history is not None:
        from pipeline.history import release_dir

        # the partition's label is the release, whatever label the run itself was given
        return [{**c, "release": spec} for c in rows(release_dir(history, spec), "chains")]
    return rows(check_run(spec), "chains")


@friendly_errors
def _diff(a: str, b: str, history: str | None, fmt: str, out: str | None) -> bool:
    if fmt == "parquet" and not out:
        fail("--format parquet needs --out FILE")
    if out:
        claim_output_file(out)  # before any work: never over a file kubetorch did not write
    changes = diff_chains(load_chains(a, history), load_chains(b, history))
    if fmt == "parquet":
        write_parquet(changes, out or "")
        n = counts(changes)
        click.echo(
            f"wrote {len(changes)} change(s) to {out}: {n['added']} added, {n['removed']} removed, "
            f"{n['path-changed']} path changed"
        )
        return bool(changes)
    if fmt == "sarif":
        return _diff_sarif(changes, b, history, out)
    text = {"json": format_json, "csv": lambda c, _a, _b: format_csv(c), "table": format_table}[fmt](
        changes, a, b
    )
    if out:
        write_text(text, out)
    else:
        click.echo(text, nl=False)
    return bool(changes)


def _diff_sarif(changes: list[dict], b: str, history: str | None, out: str | None) -> bool:
    """The chains B adds, as SARIF results marked new (pipeline/sarif.py)."""
    from pipeline.exports import write_output
    from pipeline.output import read_manifest
    from pipeline.sarif import dumps, is_sarif_by_kubetorch, sarif_log

    if history is not None:
        from pipeline.history import release_dir

        manifest = read_manifest(release_dir(history, b))
    else:
        manifest = read_manifest(b)
    added = [
        {k: v for k, v in c.items() if k not in ("change", "old_path")}
        for c in changes
        if c["change"] == "added"
    ]
    write_output(out or "-", dumps(sarif_log(added, manifest, baseline="new")), is_sarif_by_kubetorch)
    return bool(changes)


@click.command("diff")
@click.argument("a")
@click.argument("b")
@click.option(
    "--history",
    type=click.Path(path_type=str),
    default=None,
    help="History folder: A and B are release labels in it instead of run folders.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "parquet", "sarif"]),
    default="table",
    show_default=True,
    help="table for people; json, csv or parquet (full values) for programs; "
    "sarif: the chains B adds, as SARIF 2.1.0 results marked new.",
)
@click.option(
    "--out",
    type=click.Path(path_type=str),
    default=None,
    help="Write the result to FILE (required for parquet; default: stdout); only a new file or one kubetorch wrote.",
)
def diff_command(a: str, b: str, history: str | None, fmt: str, out: str | None) -> None:
    """Compare the chains of A and B by chain_id: added, removed, and witness path changed.

    A path change is a different sequence of (function, step); files and lines are ignored so
    moved code is not a change. The table shows which steps were added (+), removed (-) and
    moved (>) with their numbers in the new path.

    \b
    Exit status (like diff(1), unlike the other commands whose errors exit 1):
      0  no chain changed
      1  some chain was added, removed or changed its path
      2  error (missing folder, unknown release, not a kubetorch output, ...)
    """
    try:
        changed = _diff(a, b, history, fmt, out)
    except click.ClickException as e:
        e.exit_code = EXIT_DIFF_ERROR
        raise
    raise SystemExit(EXIT_CHANGED if changed else EXIT_SAME)
