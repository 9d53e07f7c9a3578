"""chain_id is a hash of names only: it survives moved code, and changes when a name changes."""

from __future__ import annotations

import os
import shutil

from fixturecheck import GO

from kubetorch.identity import chain_id
from pipeline.run import RunConfig, analyze


def _chains(tree: str) -> dict[str, dict]:
    result = analyze(RunConfig(tree=tree, release="t", jobs=1, use_cache=False, quiet=True))
    return {c["chain_id"]: c for c in result.tables["chains"].to_pylist()}


def _shift_lines(tree: str, lines: int) -> None:
    for dirpath, _dirs, files in os.walk(tree):
        for name in files:
            if name.endswith(".go"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write("// moved\n" * lines + text)


def test_chain_id_is_the_hash_of_its_names(tmp_path) -> None:
    for cid, c in _chains(os.path.join(GO, "tracker", "func-valued-field")).items():
        assert cid == chain_id(
            c["component"],
            c["informer_resource"],
            c["event"],
            c["handler"],
            c["sink_function"],
            c["api_verb"],
            c["api_resource"],
        )


def test_chain_ids_survive_line_moves(tmp_path) -> None:
    tree = str(tmp_path / "tree")
    shutil.copytree(os.path.join(GO, "tracker", "interface-dispatch"), tree)
    before = _chains(tree)
    _shift_lines(tree, 7)
    after = _chains(tree)
    assert before and set(before) == set(after)
    for cid, c in before.items():
        moved = after[cid]
        assert moved["sink_line"] == c["sink_line"] + 7
        assert [s["function"] for s in moved["path"]] == [s["function"] for s in c["path"]]


def test_renamed_handler_is_a_removal_and_an_addition(tmp_path) -> None:
    tree = str(tmp_path / "tree")
    shutil.copytree(os.path.join(GO, "tracker", "func-valued-field"), tree)
    before = _chains(tree)
    for dirpath, _dirs, files in os.walk(tree):
        for name in files:
            if name.endswith(".go"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text.replace("addDeployment", "onDeploymentAdd"))
    after = _chains(tree)
    renamed = {cid for cid, c in before.items() if c["handler"].endswith("addDeployment")}
    assert renamed, "the fixture must have chains from addDeployment"
    assert not renamed & set(after)
    assert any(c["handler"].endswith("onDeploymentAdd") for c in after.values())
    assert set(before) - renamed <= set(after)
