"""The README documents what the code does: every table and column, every ready-made query."""

from __future__ import annotations

import os

import pytest

from pipeline import tables
from pipeline.query import NAMED

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


@pytest.fixture(scope="module")
def readme() -> str:
    with open(README, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize(
    "name,schema",
    [
        ("chains", tables.CHAINS),
        ("handlers", tables.HANDLERS),
        ("sinks", tables.SINKS),
        ("accesses", tables.ACCESSES),
        ("calls", tables.CALLS),
        ("cascades", tables.CASCADES),
        ("rbac", tables.RBAC),
        ("files", tables.FILES),
        ("packages", tables.PACKAGES),
        ("types", tables.TYPES),
        ("functions", tables.FUNCTIONS),
        ("api_resources", tables.API_RESOURCES),
    ],
)
def test_every_column_documented(readme: str, name: str, schema) -> None:
    assert f"**{name}**" in readme
    for column in schema.names:
        assert column in readme, f"{name}.{column} is not documented in README.md"


@pytest.mark.parametrize("query", NAMED, ids=[q.name for q in NAMED])
def test_every_named_query_listed(readme: str, query) -> None:
    assert query.name in readme
    assert query.sql.strip().splitlines()[0].strip() in readme
