"""The README documents what the code does: the table docs are generated from the declarations in
pipeline/tables.py (the same source as the Parquet field metadata), every ready-made query is there."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from pipeline import docs, tables
from pipeline.query import NAMED

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


@pytest.fixture(scope="module")
def readme() -> str:
    with open(README, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name", sorted(docs.SECTIONS))
def test_generated_sections_are_current(readme: str, name: str) -> None:
    assert docs.section(readme, name) is not None, f"README.md lost its generated {name} markers"
    assert docs.section(readme, name) == docs.SECTIONS[name](), (
        "README is stale: run `python -m pipeline.docs`"
    )


@pytest.mark.parametrize("name", sorted(tables.TABLES))
def test_every_column_has_a_description(name: str) -> None:
    doc = tables.TABLES[name]
    assert doc.doc and doc.schema.metadata[b"description"].decode() == doc.doc
    for field in doc.schema:
        assert tables.describe(field), f"{name}.{field.name} has no description"
        inner = field.type.value_type if pa.types.is_list(field.type) else None
        if inner is not None and pa.types.is_struct(inner):
            assert all(tables.describe(f) for f in inner), (
                f"{name}.{field.name} has a struct field without one"
            )


def test_one_name_for_one_thing() -> None:
    """A column name means one thing in every table: its type is the same wherever it appears."""
    types: dict[str, set[str]] = {}
    for doc in tables.TABLES.values():
        for field in doc.schema:
            types.setdefault(field.name, set()).add(str(field.type))
    assert {k: v for k, v in types.items() if len(v) > 1} == {}
    # the join keys between the tables
    for name, columns in {
        "chains": (
            "sink_function",
            "shared_state",
            "registration_file",
            "registration_line",
            "component",
            "operation_id",
        ),
        "sinks": ("sink_function", "api_verb", "api_resource", "operation_id"),
        "handlers": ("registration_file", "registration_line", "component", "handler"),
        "accesses": ("shared_state", "function", "file"),
        "files": ("file", "package"),
        "packages": ("package",),
        "functions": ("qualified_name", "package", "file"),
        "rbac": ("component", "chain_id", "sink_function", "sink_file", "sink_line"),
    }.items():
        assert set(columns) <= set(tables.TABLES[name].schema.names), name


def test_every_table_of_a_run_is_declared() -> None:
    """The tables a run writes (always or when the tree gives them) are the declared ones, so each
    is in the generated README docs."""
    from pipeline.cache_entries import OPTIONAL_SCHEMAS, SCHEMAS

    assert set(SCHEMAS) | set(OPTIONAL_SCHEMAS) == set(tables.TABLES)
    for name, schema in {**SCHEMAS, **OPTIONAL_SCHEMAS}.items():
        assert schema is tables.TABLES[name].schema


@pytest.mark.parametrize("query", NAMED, ids=[q.name for q in NAMED])
def test_every_named_query_listed(readme: str, query) -> None:
    assert query.name in readme
    assert query.sql.strip().splitlines()[0].strip() in readme
