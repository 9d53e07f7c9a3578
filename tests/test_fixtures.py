"""Every Go fixture program (tests/go/*/*) and the demo tree give exactly their expected rows.

Each fixture reproduces one real Kubernetes pattern (see its expected.json "pattern"); the
expected handlers and chains are exact sets, and forbidden chains must not appear.

A fixture whose expected.json has an "xfail" key ("mechanism N: what goes wrong today") shows a
mechanism that is not fixed yet: it is a strict xfail, so the day the mechanism is fixed the test
fails as XPASS until the key is removed.
"""

from __future__ import annotations

import os

import pytest
from fixturecheck import GO, REPO, compare, expected, fixture_dirs


def fixture_params(group: str) -> list:
    """One pytest param per fixture of a group, strictly xfailed when its expected.json says so."""
    params = []
    for name in fixture_dirs(group):
        reason = expected(os.path.join(GO, group, name)).get("xfail")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("name", fixture_params("collector"))
def test_collector_fixture(name: str) -> None:
    assert compare(os.path.join(GO, "collector", name)) == []


@pytest.mark.parametrize("name", fixture_params("tracker"))
def test_tracker_fixture(name: str) -> None:
    assert compare(os.path.join(GO, "tracker", name)) == []


def test_demo_tree() -> None:
    assert compare(os.path.join(REPO, "demo")) == []


def test_xfail_markers_name_a_mechanism() -> None:
    """An xfail marker says which mechanism of issue 10 it waits for, so it is easy to find and flip."""
    for group in ("collector", "tracker"):
        for name in fixture_dirs(group):
            reason = expected(os.path.join(GO, group, name)).get("xfail")
            if reason is not None:
                assert isinstance(reason, str) and reason.startswith("mechanism "), (group, name, reason)


def test_expected_states_are_qualified() -> None:
    """expected.json spells shared state as every table does (`example.com/x/pkg.Struct.field`): a
    short spelling would make a strict xfail fail for its spelling, hiding its mechanism, and a
    forbidden chain with one would never match."""
    for group in ("collector", "tracker"):
        for name in fixture_dirs(group):
            exp = expected(os.path.join(GO, group, name))
            with open(os.path.join(GO, group, name, "go.mod"), encoding="utf-8") as f:
                module = f.read().split()[1]
            for c in exp.get("chains", []) + exp.get("forbidden_chains", []):
                state = c.get("shared_state")
                assert state is None or state.startswith(module + "/") or state.startswith(module + "."), (
                    group,
                    name,
                    state,
                )


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
