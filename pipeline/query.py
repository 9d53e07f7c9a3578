"""`kubetorch query SQL`: DuckDB over a run's tables, or over every release of a history.

Each table is a view named after it (`chains`, `handlers`, `sinks`, ...). Over a history each
view reads that table from every partition with a `release` column from the partition folder,
and a `releases` table (release, started, seq) gives the releases in run order. The ready-made
questions below are data so that `--list` documents them and the tests run every one.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from typing import Any

import click

from pipeline.cli_errors import fail, friendly_errors
from pipeline.runs import check_run, table_paths


@dataclass(frozen=True)
class NamedQuery:
    name: str
    question: str
    sql: str
    history: bool = False  # needs --history (compares releases)
    params: dict[str, str] = field(default_factory=dict)  # $name -> default, set with --param


NAMED: tuple[NamedQuery, ...] = (
    NamedQuery(
        "status-on-pod-update",
        "Which controllers write pods/status on a pod update?",
        """SELECT component, handler, sink_function, api_verb, count(*) AS chains
FROM chains WHERE informer_resource = 'pods' AND event = 'update' AND api_resource = 'pods/status'
GROUP BY ALL ORDER BY component, handler, sink_function""",
    ),
    NamedQuery(
        "foreign-lister-reads",
        "Which chains read a lister of a resource other than the one they watch?",
        """SELECT component, informer_resource, event, substr(r, 8) AS lister_resource,
       handler, api_verb, api_resource, chain_id
FROM (SELECT *, unnest(reads) AS r FROM chains)
WHERE r LIKE 'lister %' AND substr(r, 8) <> informer_resource
ORDER BY component, informer_resource, event, lister_resource, chain_id""",
    ),
    NamedQuery(
        "new-chains",
        "Which chains appeared in the latest release that were not in the one before it?",
        """WITH latest AS (SELECT release FROM releases ORDER BY seq DESC LIMIT 1),
previous AS (SELECT release FROM releases ORDER BY seq DESC LIMIT 1 OFFSET 1)
SELECT n.release, n.component, n.informer_resource, n.event, n.handler, n.api_verb, n.api_resource,
       n.chain_id
FROM chains n
WHERE n.release = (SELECT release FROM latest)
  AND n.chain_id NOT IN (SELECT chain_id FROM chains WHERE release = (SELECT release FROM previous))
ORDER BY n.component, n.chain_id""",
        history=True,
    ),
    NamedQuery(
        "chains-per-component",
        "How many chains does each component have, through how many handlers, states and sinks?",
        """SELECT component, count(*) AS chains, count(DISTINCT handler) AS handlers,
       count(DISTINCT shared_state) AS shared_states, count(DISTINCT sink_function) AS sinks
FROM chains GROUP BY component ORDER BY chains DESC, component""",
    ),
    NamedQuery(
        "widest-reach",
        "Which components' handlers reach the most distinct API resources?",
        """SELECT component, count(DISTINCT api_resource) AS api_resources,
       count(DISTINCT informer_resource || ' ' || event) AS informer_events,
       list(DISTINCT api_resource ORDER BY api_resource) AS resources
FROM chains GROUP BY component ORDER BY api_resources DESC, component""",
    ),
    NamedQuery(
        "sinks-off-chain",
        "Which API writes are reached by no chain (no informer event leads to them)?",
        """SELECT s.function, s.api_verb, s.api_resource, s.kind, s.client, s.file, s.line
FROM sinks s ANTI JOIN chains c
  ON c.sink_function = s.function AND c.api_verb = s.api_verb AND c.api_resource = s.api_resource
ORDER BY s.function, s.api_verb, s.api_resource""",
    ),
    NamedQuery(
        "unresolved-handlers",
        "Which handlers watch a resource only known at run time (`*`), and what could it be?",
        """SELECT component, event, handler, resource_candidates, resolution, file, line
FROM handlers WHERE informer_resource = '*' ORDER BY component, event, handler""",
    ),
    NamedQuery(
        "events-to-recorder",
        "Which informer events reach an event-recorder sink (kind event)?",
        """SELECT informer_resource, event, count(*) AS chains, count(DISTINCT component) AS components,
       list(DISTINCT component ORDER BY component) AS component_list
FROM chains WHERE kind = 'event' GROUP BY informer_resource, event
ORDER BY chains DESC, informer_resource, event""",
    ),
    NamedQuery(
        "top-shared-states",
        "Which shared states carry the most chains?",
        """SELECT component, shared_state, count(*) AS chains, count(DISTINCT handler) AS writers,
       count(DISTINCT reader) AS readers
FROM chains GROUP BY component, shared_state ORDER BY chains DESC, component, shared_state LIMIT 50""",
    ),
    NamedQuery(
        "cascades-into",
        "Which cascade edges lead into a component (--param component=SUBSTRING; default: all)?",
        """SELECT to_component, from_component, api_verb, api_resource, informer_resource, event, handler
FROM cascades WHERE to_component ILIKE '%' || $component || '%'
ORDER BY to_component, from_component, api_resource, event, handler""",
        params={"component": ""},
    ),
    NamedQuery(
        "event-only-endpoints",
        "Which API endpoints are reached only by controllers reacting to events (every call site in the"
        " tree is on a chain, none is reached directly by a command, a start-up path or a user tool)?",
        """WITH reached AS (
  SELECT operation_id, min(endpoint) AS endpoint, count(*) AS call_sites, bool_and(on_chain) AS only_on_chains
  FROM sinks WHERE operation_id IS NOT NULL GROUP BY operation_id)
SELECT r.operation_id, r.endpoint, r.call_sites, count(DISTINCT c.component) AS components,
       list(DISTINCT c.informer_resource || ' ' || c.event ORDER BY c.informer_resource || ' ' || c.event)
         AS triggered_by
FROM reached r JOIN chains c ON c.operation_id = r.operation_id
WHERE r.only_on_chains
GROUP BY r.operation_id, r.endpoint, r.call_sites
ORDER BY components DESC, r.operation_id""",
    ),
)


def named(name: str) -> NamedQuery:
    for q in NAMED:
        if q.name == name:
            return q
    fail(f"no named query {name!r} (known: {', '.join(q.name for q in NAMED)})")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source(path: str) -> str:
    return os.path.join(path, "*.parquet") if os.path.isdir(path) else path


def connect_run(run: str):
    """An in-memory DuckDB with one view per table of the run folder."""
    import duckdb

    con = duckdb.connect()
    for name, path in table_paths(check_run(run)).items():
        _create_view(con, name, f"read_parquet({_literal(_source(path))})", path)
    return con


def _create_view(con, name: str, source: str, where: str) -> None:
    import duckdb

    try:
        con.execute(f"CREATE VIEW {_ident(name)} AS SELECT * FROM {source}")
    except duckdb.Error as e:
        fail(f"{where}: cannot read table {name!r}: {str(e).splitlines()[0]}")


def connect_history(history_dir: str):
    """An in-memory DuckDB with one view per table across all releases, plus `releases`."""
    import duckdb

    from pipeline.history import release_dir, release_runs, table_files

    runs = release_runs(history_dir)
    labels = [label for label, _started in runs]
    if not labels:
        fail(f"{history_dir}: the history holds no release")
    con = duckdb.connect()
    names = sorted({n for label in labels for n in table_paths(release_dir(history_dir, label))})
    for name in names:
        files = table_files(history_dir, name)
        listed = "[" + ", ".join(_literal(f) for f in files) + "]"
        source = f"read_parquet({listed}, hive_partitioning = true, union_by_name = true)"
        _create_view(con, name, source, history_dir)
    con.execute("CREATE TABLE releases (release VARCHAR, started VARCHAR, seq INTEGER)")
    for seq, (label, started) in enumerate(runs):
        con.execute("INSERT INTO releases VALUES (?, ?, ?)", [label, started or None, seq])
    return con


def run_sql(con, sql: str, params: dict[str, str] | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of `sql`; a DuckDB error becomes a one-line user error."""
    import duckdb

    try:
        result = con.execute(sql, params) if params else con.execute(sql)
        if result.description is None:
            return [], []
        return [d[0] for d in result.description], result.fetchall()
    except duckdb.Error as e:
        message = " ".join(str(e).split("\n")[0].split())
        fail(f"query failed: {message}")


def _cell(value: Any, width: int | None = None) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)
    if width and len(text) > width:
        return text[: width - 1] + "…"
    return text


def format_table(columns: list[str], rows: list[tuple], max_width: int = 80) -> str:
    if not columns:
        return "(no result)\n"
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def format_csv(columns: list[str], rows: list[tuple]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buf.getvalue()


def format_json(columns: list[str], rows: list[tuple]) -> str:
    return json.dumps([dict(zip(columns, row)) for row in rows], indent=2, default=str) + "\n"


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.isidentifier():
            fail(f"--param {value!r}: expected NAME=VALUE")
        out[key] = text
    return out


def list_text() -> str:
    width = max(len(q.name) for q in NAMED)
    return "".join(
        f"{q.name.ljust(width)}  {q.question}{'  [--history]' if q.history else ''}\n" for q in NAMED
    )


@click.command("query")
@click.argument("sql", required=False)
@click.option("--run", "run", type=click.Path(path_type=str), default=None, help="Run folder to query.")
@click.option(
    "--history", type=click.Path(path_type=str), default=None, help="History folder: query every release."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option("--list", "list_only", is_flag=True, help="List the ready-made questions and exit.")
@click.option("--named", "name", default=None, metavar="NAME", help="Run a ready-made question (see --list).")
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE", help="Value for $NAME in the SQL.")
@friendly_errors
def query_command(
    sql: str | None,
    run: str | None,
    history: str | None,
    fmt: str,
    list_only: bool,
    name: str | None,
    param: tuple[str, ...],
) -> None:
    """Run SQL (DuckDB) over the tables of a run (--run, default out/kubetorch) or a history.

    Every table is a view named after it: chains, handlers, sinks, accesses, calls, cascades,
    files, functions, ... With --history each view spans all releases with a `release` column,
    and `releases` (release, started, seq) lists the releases in run order.
    """
    if list_only:
        click.echo(list_text(), nl=False)
        return
    if (sql is None) == (name is None):
        fail("give either SQL or --named NAME (see --list)")
    if run is not None and history is not None:
        fail("give --run or --history, not both")
    params = _params(param)
    if name is not None:
        q = named(name)
        if q.history and history is None:
            fail(f"query {q.name!r} compares releases: give --history DIR")
        sql = q.sql
        params = {**q.params, **params}
        unknown = sorted(set(params) - set(q.params))
        if unknown:
            fail(
                f"query {q.name!r} has no parameter {unknown[0]!r} (it has: {', '.join(q.params) or 'none'})"
            )
    con = connect_history(history) if history is not None else connect_run(run or "out/kubetorch")
    columns, rows = run_sql(con, sql or "", params)
    formatter = {"table": format_table, "csv": format_csv, "json": format_json}[fmt]
    click.echo(formatter(columns, rows), nl=False)
