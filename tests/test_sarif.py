"""`kubetorch sarif` and `diff --format sarif`: valid SARIF 2.1.0, one result per chain, code flows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import demorun
import jsonschema
import pytest
from demorun import analyze_tree, copy_demo
from runfixtures import invoke

from pipeline.output import read_table
from pipeline.sarif import FINGERPRINT

SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif" / "sarif-schema-2.1.0.json"
MULTITOOL = (
    Path(__file__).resolve().parent.parent / ".venv" / "npm" / "node_modules" / ".bin" / "sarif-multitool"
)


demo_run = demorun.demo_run  # the session's analysed demo (a fixture)


def validate(doc: dict) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.fixture(scope="module")
def sarif(demo_run, tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("sarif") / "demo.sarif"
    result = invoke("sarif", str(demo_run), "-o", str(path))
    assert result.exit_code == 0, result.output
    return path, json.loads(path.read_text())


def test_validates_against_the_sarif_schema(sarif):
    assert validate(sarif[1]) == []


def test_schema_catches_a_broken_log(sarif):
    broken = json.loads(json.dumps(sarif[1]))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(validate(broken)) >= 2


def test_one_result_per_chain_with_its_witness(sarif, demo_run):
    chains = {c["chain_id"]: c for c in read_table(str(demo_run), "chains").to_pylist()}
    run = sarif[1]["runs"][0]
    results = run["results"]
    assert len(results) == len(chains) == 90
    assert {r["partialFingerprints"][FINGERPRINT] for r in results} == set(chains)
    rules = run["tool"]["driver"]["rules"]
    for r in results:
        c = chains[r["partialFingerprints"][FINGERPRINT]]
        assert r["ruleId"] == f"{c['informer_resource']}:{c['event']}->{c['api_verb']}:{c['api_resource']}"
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        primary = r["locations"][0]["physicalLocation"]
        assert primary["artifactLocation"] == {"uri": c["sink_file"], "uriBaseId": "SRCROOT"}
        assert primary["region"]["startLine"] == c["sink_line"]
        flow = r["codeFlows"][0]["threadFlows"][0]["locations"]
        assert len(flow) == len(c["path"])
        for step, tfl in zip(c["path"], flow):
            phys = tfl["location"]["physicalLocation"]
            assert (phys["artifactLocation"]["uri"], phys["region"]["startLine"]) == (
                step["file"],
                step["line"],
            )
            assert tfl["location"]["logicalLocations"][0]["fullyQualifiedName"] == step["function"]
        assert [t["executionOrder"] for t in flow] == list(range(1, len(flow) + 1))
        assert r["properties"]["operation_id"] == c["operation_id"]
    assert len(rules) == len({r["ruleId"] for r in results})
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file:///")


def test_fingerprints_survive_moved_code(tmp_path):
    """A line added at the top of every file moves every location, not one fingerprint."""
    tree = copy_demo(tmp_path / "demo")
    out, cache = tmp_path / "out", tmp_path / "cache"
    before = tmp_path / "before.sarif"
    assert analyze_tree(tree, out, cache).exit_code == 0
    assert invoke("sarif", str(out), "-o", str(before)).exit_code == 0
    for go in tree.rglob("*.go"):
        text = go.read_text()
        go.write_text(text.replace("\n", "\n\n", 1))
    after = tmp_path / "after.sarif"
    assert analyze_tree(tree, out, cache).exit_code == 0
    assert invoke("sarif", str(out), "-o", str(after)).exit_code == 0

    def by_fingerprint(path: Path) -> dict[str, int]:
        results = json.loads(path.read_text())["runs"][0]["results"]
        return {
            r["partialFingerprints"][FINGERPRINT]: r["locations"][0]["physicalLocation"]["region"][
                "startLine"
            ]
            for r in results
        }

    old, new = by_fingerprint(before), by_fingerprint(after)
    assert set(old) == set(new)
    assert all(new[k] == old[k] + 1 for k in old)


def test_diff_sarif_has_the_chains_a_change_adds(tmp_path):
    full = copy_demo(tmp_path / "full")
    smaller = copy_demo(tmp_path / "smaller")
    shutil.rmtree(smaller / "pkg" / "controller" / "deployment")
    a, b, cache = tmp_path / "a", tmp_path / "b", tmp_path / "cache"
    assert analyze_tree(smaller, a, cache).exit_code == 0
    assert analyze_tree(full, b, cache).exit_code == 0
    target = tmp_path / "new.sarif"
    result = invoke("diff", str(a), str(b), "--format", "sarif", "--out", str(target))
    assert result.exit_code == 1, result.output  # chains changed
    doc = json.loads(target.read_text())
    assert validate(doc) == []
    results = doc["runs"][0]["results"]
    assert results and all(r["baselineState"] == "new" for r in results)
    assert {r["properties"]["component"].rsplit(".", 1)[1] for r in results} == {"DeploymentController"}
    same = invoke("diff", str(b), str(b), "--format", "sarif")
    assert same.exit_code == 0 and json.loads(same.output)["runs"][0]["results"] == []


def test_never_replaces_a_file_kubetorch_did_not_write(demo_run, tmp_path):
    mine = tmp_path / "notes.sarif"
    mine.write_text("my own notes\n")
    result = invoke("sarif", str(demo_run), "-o", str(mine))
    assert result.exit_code == 1
    assert (
        result.output.strip().startswith("kubetorch: error:") and "not written by kubetorch" in result.output
    )
    assert mine.read_text() == "my own notes\n"
    other_tool = tmp_path / "other.sarif"
    other_tool.write_text(
        json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "codeql"}}}]})
    )
    assert invoke("sarif", str(demo_run), "-o", str(other_tool)).exit_code == 1
    ours = tmp_path / "ours.sarif"
    assert invoke("sarif", str(demo_run), "-o", str(ours)).exit_code == 0
    assert invoke("sarif", str(demo_run), "-o", str(ours), "--component", "scheduler").exit_code == 0
    assert len(json.loads(ours.read_text())["runs"][0]["results"]) < 90
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_bad_input_is_one_line(tmp_path):
    result = invoke("sarif", str(tmp_path / "missing"), "-o", str(tmp_path / "x.sarif"))
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "no such folder" in result.output


@pytest.mark.skipif(
    not MULTITOOL.exists(),
    reason="Microsoft SARIF multitool not installed (tests/install_sarif_multitool.sh)",
)
def test_microsoft_sarif_multitool_validates(sarif, tmp_path):
    report = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [str(MULTITOOL), "validate", str(sarif[0]), "--output", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the multitool exits 0 whatever it finds: its findings are in the log and on stdout
    assert ": error " not in proc.stdout, proc.stdout
    found = json.loads(report.read_text())["runs"][0]["results"]
    assert [r for r in found if r.get("level") == "error"] == [], found


@pytest.mark.skipif(
    not MULTITOOL.exists(),
    reason="Microsoft SARIF multitool not installed (tests/install_sarif_multitool.sh)",
)
def test_microsoft_sarif_multitool_finds_errors(sarif, tmp_path):
    """The check above can fail: the multitool does report a region before line 1."""
    broken = json.loads(json.dumps(sarif[1]))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(broken))
    proc = subprocess.run(
        [str(MULTITOOL), "validate", str(path), "--output", str(tmp_path / "v.sarif")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ": error JSON1008" in proc.stdout, proc.stdout
