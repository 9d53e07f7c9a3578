"""`kubetorch query SQL`: DuckDB over a run's tables, or over every release of a history.

Each table is a view named after it (`chains`, `handlers`, `sinks`, ...). Over a history each
view reads that table from every partition with a `release` column from the partition folder,
and a `releases` table (release, started, seq) gives the releases in run order. The ready-made
questions below are data so that `--list` documents them and the tests run every one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import click

from pipeline import formats
from pipeline.cli_errors import fail, friendly_errors
from pipeline.runs import check_run, open_run, table, table_paths


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
        """SELECT component, informer_resource, event, r.resource AS lister_resource,
       r.function AS read_by, handler, api_verb, api_resource, chain_id
FROM (SELECT *, unnest(reads) AS r FROM chains)
WHERE r.kind = 'lister' AND r.resource <> informer_resource
ORDER BY component, informer_resource, event, lister_resource, chain_id""",
    ),
    NamedQuery(
        "new-chains",
        "Which chains appeared in a release (--param release=LABEL; default: the latest) that were not "
        "in the release before it?",
        """WITH target AS (
  SELECT seq FROM releases WHERE release = coalesce(nullif($release, ''), (SELECT max_by(release, seq) FROM releases))
), previous AS (
  SELECT release FROM releases WHERE seq = (SELECT seq FROM target) - 1
)
SELECT n.release, (SELECT release FROM previous) AS previous_release, n.component, n.informer_resource,
       n.event, n.handler, n.sink_function, n.api_verb, n.api_resource, n.chain_id
FROM chains n
WHERE n.release = (SELECT release FROM releases WHERE seq = (SELECT seq FROM target))
  AND n.chain_id NOT IN (SELECT chain_id FROM chains WHERE release = (SELECT release FROM previous))
ORDER BY n.component, n.chain_id""",
        history=True,
        params={"release": ""},
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
        """SELECT s.sink_function, s.api_verb, s.api_resource, s.kind, s.client, s.sink_file, s.sink_line
FROM sinks s ANTI JOIN chains c USING (sink_function, api_verb, api_resource)
ORDER BY s.sink_function, s.api_verb, s.api_resource""",
    ),
    NamedQuery(
        "unresolved-handlers",
        "Which handlers watch a resource only known at run time (`*`), and what could it be?",
        """SELECT component, event, handler, resource_candidates, resolution, registration_file, registration_line
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


def _connect():
    """An in-memory DuckDB that resolves table names only to tables: without this, a query naming
    a table that does not exist would read a Python object of that name in kubetorch's code."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET python_enable_replacements = false")
    return con


def connect_run(run: str):
    """An in-memory DuckDB with one view per table of the run folder."""
    con = _connect()
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
    from pipeline.history import release_dir, releases, table_files

    runs = releases(history_dir)
    labels = [r.label for r in runs]
    if not labels:
        fail(f"{history_dir}: the history holds no release")
    con = _connect()
    names = sorted({n for label in labels for n in table_paths(release_dir(history_dir, label))})
    for name in names:
        files = table_files(history_dir, name)
        listed = "[" + ", ".join(_literal(f) for f in files) + "]"
        source = f"read_parquet({listed}, hive_partitioning = true, union_by_name = true)"
        _create_view(con, name, source, history_dir)
    con.execute(
        "CREATE TABLE releases (release VARCHAR, started VARCHAR, commit VARCHAR, commit_date VARCHAR, seq INTEGER)"
    )
    for seq, r in enumerate(runs):
        values = [r.label, r.started or None, r.commit or None, r.commit_date or None, seq]
        con.execute("INSERT INTO releases VALUES (?, ?, ?, ?, ?)", values)
    return con


def duckdb_message(error: Exception) -> str:
    """DuckDB's message on one line, with its hints ("Did you mean "chains"?") and the text its
    caret points at instead of the two-line LINE/caret picture."""
    lines = str(error).split("\n")
    out, where = [], ""
    for i, line in enumerate(lines):
        if line.startswith("LINE "):
            caret = lines[i + 1] if i + 1 < len(lines) else ""
            start = caret.find("^")
            if start >= 0:
                token = line[start : start + max(1, caret.count("^"))]
                where = f" ({line.split(':', 1)[0].lower()}: {token!r})"
            break
        if line.strip():
            out.append(" ".join(line.split()))
    return " ".join(out) + where


def run_sql(con, sql: str, params: dict[str, str] | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of `sql`; a DuckDB error becomes a one-line user error."""
    import duckdb

    try:
        result = con.execute(sql, params) if params else con.execute(sql)
        if result.description is None:
            return [], []
        return [d[0] for d in result.description], result.fetchall()
    except duckdb.Error as e:
        fail(f"query failed: {duckdb_message(e)}")


def format_table(columns: list[str], rows: list[tuple]) -> str:
    if not columns:
        return "(no result)\n"
    return formats.render("table", columns, rows)


def format_csv(columns: list[str], rows: list[tuple]) -> str:
    return formats.as_csv(columns, rows)


def format_json(columns: list[str], rows: list[tuple]) -> str:
    return formats.as_json(columns, rows)


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


def describe_text(out: str, name: str, fmt: str) -> str:
    """The columns of table `name` of a run, with the descriptions its Parquet schema carries."""
    import pyarrow as pa

    from pipeline.tables import describe

    paths = table_paths(out)
    if name not in paths:
        fail(f"{out}: no table {name!r} (tables: {', '.join(sorted(paths))})")
    schema = table(out, name).schema
    rows = []
    for f in schema:
        rows.append([f.name, str(f.type) if not pa.types.is_list(f.type) else "list", describe(f)])
        inner = f.type.value_type if pa.types.is_list(f.type) else None
        if inner is not None and pa.types.is_struct(inner):
            rows += [[f"{f.name}[].{g.name}", str(g.type), describe(g)] for g in inner]
    doc = (schema.metadata or {}).get(b"description", b"").decode()
    footer = f"{name}: {doc}" if doc else f"({len(rows)} columns)"
    return formats.render(fmt, ["column", "type", "description"], rows, footer=footer)


def _split_arguments(args: tuple[str, ...], history: str | None, run: str | None, wants_sql: bool):
    """(run folder or release, SQL) from the positional arguments: `OUT SQL`, `OUT`,
    `--history DIR [RELEASE] SQL`, `--history DIR [RELEASE]`."""
    if len(args) > 2:
        fail(f'too many arguments: {" ".join(args[2:])!r} (quote the SQL: kubetorch query OUT "SELECT ...")')
    if run is not None:  # the older spelling, `query SQL --run OUT`
        if len(args) > 1:
            fail('give the run folder once: kubetorch query OUT "SQL"')
        return run, args[0] if args else None
    if history is not None:
        if len(args) == 2:
            return args[0], args[1]
        if len(args) == 1 and wants_sql:
            return None, args[0]
        return (args[0] if args else None), None
    if not args:
        fail('give the run folder: kubetorch query OUT "SQL" (or --history DIR)')
    source = args[0]
    if not os.path.exists(source) and any(ch.isspace() for ch in source):
        fail(f'{source!r} is not a run folder: the run folder comes first, kubetorch query OUT "SQL"')
    return source, args[1] if len(args) > 1 else None


@click.command("query")
@click.argument("args", nargs=-1, metavar="[OUT|RELEASE] [SQL]")
@click.option(
    "--history",
    type=click.Path(path_type=str),
    default=None,
    metavar="DIR",
    help="History folder: query every release (or the RELEASE given).",
)
@click.option("--run", "run", type=click.Path(path_type=str), default=None, hidden=True)
@formats.format_option()
@click.option("--list", "list_only", is_flag=True, help="List the ready-made questions and exit.")
@click.option("--named", "name", default=None, metavar="NAME", help="Run a ready-made question (see --list).")
@click.option("--param", "param", multiple=True, metavar="NAME=VALUE", help="Value for $NAME in the SQL.")
@click.option(
    "--describe", "describe", default=None, metavar="TABLE", help="The columns of TABLE and what they mean."
)
@friendly_errors
def query_command(
    args: tuple[str, ...],
    history: str | None,
    run: str | None,
    fmt: str,
    list_only: bool,
    name: str | None,
    param: tuple[str, ...],
    describe: str | None,
) -> None:
    """Run SQL (DuckDB) over the tables of run folder OUT, or of a history.

    \b
      kubetorch query OUT "SELECT component, count(*) FROM chains GROUP BY 1"
      kubetorch query OUT --named status-on-pod-update
      kubetorch query OUT --describe chains
      kubetorch query --history DIR --named new-chains
      kubetorch query --history DIR v1.28 "SELECT count(*) FROM chains"

    Every table is a view named after it: chains, handlers, sinks, accesses, calls, cascades,
    files, functions, ... With --history (and no RELEASE) each view spans all releases with a
    `release` column, and `releases` (release, started, commit, commit_date, seq) lists them in version order.
    """
    if list_only:
        click.echo(list_text(), nl=False)
        return
    if run is not None and history is not None:
        fail("give --run or --history, not both")
    source, sql = _split_arguments(args, history, run, wants_sql=name is None and describe is None)
    if describe is not None:
        if sql is not None:
            fail("--describe TABLE takes no SQL")
        if history is not None and source is None:
            from pipeline.history import list_releases

            known = list_releases(history)
            source = known[-1] if known else None
        click.echo(describe_text(open_run(source, history), describe, fmt), nl=False)
        return
    if (sql is None) == (name is None):
        fail("give either SQL or --named NAME (see --list)")
    params = _params(param)
    if name is not None:
        q = named(name)
        if q.history and (history is None or source is not None):
            fail(f"query {q.name!r} compares releases: give --history DIR (and no release)")
        sql = q.sql
        params = {**q.params, **params}
        unknown = sorted(set(params) - set(q.params))
        if unknown:
            fail(
                f"query {q.name!r} has no parameter {unknown[0]!r} (it has: {', '.join(q.params) or 'none'})"
            )
    if history is not None and source is None:
        con = connect_history(history)
    else:
        con = connect_run(open_run(source, history))
    columns, rows = run_sql(con, sql or "", params)
    formatter = {"table": format_table, "csv": format_csv, "json": format_json}[fmt]
    click.echo(formatter(columns, rows), nl=False)
