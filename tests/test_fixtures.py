"""Every Go fixture program (tests/go/*/*) and the demo tree give exactly their expected rows.

Each fixture reproduces one real Kubernetes pattern (see its expected.json "pattern"); the
expected handlers and chains are exact sets, and forbidden chains must not appear.
"""

from __future__ import annotations

import os

import pytest
from fixturecheck import GO, REPO, compare, fixture_dirs


@pytest.mark.parametrize("name", fixture_dirs("collector"))
def test_collector_fixture(name: str) -> None:
    assert compare(os.path.join(GO, "collector", name)) == []


@pytest.mark.parametrize("name", fixture_dirs("tracker"))
def test_tracker_fixture(name: str) -> None:
    assert compare(os.path.join(GO, "tracker", name)) == []


def test_demo_tree() -> None:
    assert compare(os.path.join(REPO, "demo")) == []


def test_two_controllers_never_link() -> None:
    """The same queue type, field name and method names in two controllers: no chain may start in
    one controller and end in the other's sink (the fixture also lists each cross pair as forbidden)."""
    from fixturecheck import rows, run

    result = run(os.path.join(GO, "tracker", "two-controllers-same-queue-type"))
    chains = rows(result, "chains")
    assert chains, "the fixture must produce chains for both controllers"
    for c in chains:
        owner_pkg = c["component"].rsplit(".", 1)[0]
        assert c["sink_function"].startswith(owner_pkg + "."), (c["component"], c["sink_function"])
        assert c["reader"].startswith(owner_pkg + "."), (c["component"], c["reader"])
