"""Every `kubetorch ...` command in the README's sh blocks runs, in order, on a copy of the demo
tree standing in for ~/src/kubernetes (the config example is written from its toml block)."""

from __future__ import annotations

import os
import re
import shlex
import shutil

import pytest
import tomllib
from runfixtures import invoke

from pipeline.runs import rows

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# a Kubernetes tree has its RBAC bootstrap policy here (the `rbac` table's source); the demo gets one
BOOTSTRAP = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/controller-roles.yaml"
ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: demo}\n"
    'rules: [{apiGroups: [""], resources: [pods], verbs: [create]}]\n'
)


def blocks(kind: str) -> list[str]:
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        return re.findall(rf"^```{kind}\n(.*?)^```", f.read(), re.S | re.M)


def commands() -> list[str]:
    found = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.startswith("kubetorch "):
                found.append(re.split(r"\s{2,}#", line)[0].strip())
    return found


def test_the_readme_has_examples():
    assert len(commands()) >= 15
    assert {c.split()[1] for c in commands()} >= {
        "analyze",
        "chains",
        "handlers",
        "query",
        "report",
        "diff",
        "history",
    }


def test_every_readme_example_runs(tmp_path, monkeypatch):
    tree = tmp_path / "kubernetes"
    shutil.copytree(os.path.join(REPO, "demo"), tree)
    (tree / BOOTSTRAP).parent.mkdir(parents=True)
    (tree / BOOTSTRAP).write_text(ROLE)
    (config_text,) = [b for b in blocks("toml") if b.startswith("# nightly.toml")]
    (tmp_path / "nightly.toml").write_text(config_text)
    config = tomllib.loads(config_text)
    for path in config["models"]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("# more models\n")
    for path in config["rbac"]:
        (tmp_path / path).mkdir(parents=True, exist_ok=True)
        (tmp_path / path / "role.yaml").write_text(ROLE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KUBETORCH_CACHE", str(tmp_path / "kcache"))
    for line in commands():
        if "<chain_id>" in line:
            line = line.replace("<chain_id>", rows("out/v1.28", "chains")[0]["chain_id"])
        args = [
            os.path.expanduser(a).replace(os.path.expanduser("~/src/kubernetes"), str(tree))
            for a in shlex.split(line)
        ]
        r = invoke(*args[1:])
        allowed = (0, 1) if args[1] == "diff" else (0,)
        assert r.exit_code in allowed, f"{line}\n{r.output}"
        assert "Traceback" not in r.output and "error" not in r.output.split("\n")[0], line
    assert (tmp_path / "v1.28.html").exists()


@pytest.mark.parametrize("line", commands())
def test_examples_use_the_documented_shape(line):
    """The run folder (or --history) comes first; no spelling the README no longer documents."""
    assert "--run " not in line
    words = line.split()
    first = 3 if words[1] == "export" else 2
    read = ("chains", "handlers", "query", "report", "cascades", "rbac", "sarif", "plan", "export")
    if words[1] in read and "--list" not in words:
        assert words[first].startswith(("out/", "--history")), line
