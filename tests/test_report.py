"""`kubetorch report`: one self-contained page, checked in a real headless Chromium.

Chromium comes from Debian (tests/install_browser.sh installs it when missing and we are root);
the browser tests skip only when it is still missing after that.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest
from runfixtures import chain, invoke, make_run

SCHED = "example.com/demo/sched.Scheduler"
KUBELET = "example.com/demo/kubelet.Kubelet"
RS = "example.com/demo/rs.ReplicaSetController"
CHAINS = [
    chain(KUBELET, "pods", "update", api_verb="patch", api_resource="pods/status"),
    chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding"),
    chain(SCHED, "pods", "update", api_verb="create", api_resource="events"),
    chain(RS, "apps/replicasets", "add", api_verb="create", api_resource="pods"),
]
HERE = os.path.dirname(os.path.abspath(__file__))
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        subprocess.run(["bash", os.path.join(HERE, "install_browser.sh")], check=False, timeout=900)
        found = find_browser()
    if found is None:
        pytest.skip("chromium is not installed and tests/install_browser.sh could not install it (not root?)")
    return found


def dump_dom(browser: str, page: str, tmp_path, fragment: str = "") -> str:
    url = "file://" + urllib.parse.quote(os.path.abspath(page)) + fragment
    profile = tmp_path / f"profile-{len(os.listdir(tmp_path))}"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def svg(dom: str, cls: str) -> str:
    m = re.search(rf'<svg class="graph {cls}".*?</svg>', dom, re.S)
    assert m, f"no <svg class='graph {cls}'> drawn"
    return m.group(0)


def nodes(svg_text: str) -> dict[str, set[str]]:
    """kind -> labels of the drawn node groups."""
    found: dict[str, set[str]] = {}
    for kind, label in re.findall(
        r'<g class="node kind-(\w+)[^"]*"[^>]*><rect[^>]*>(?:</rect>)?<text[^>]*>(.*?)</text>', svg_text
    ):
        found.setdefault(kind, set()).add(html.unescape(label))
    return found


def edges(svg_text: str) -> list[tuple[str, str]]:
    return [
        (html.unescape(a), html.unescape(b))
        for a, b in re.findall(r'<g class="edge[^"]*" data-from="([^"]*)" data-to="([^"]*)"', svg_text)
    ]


@pytest.fixture
def page(tmp_path):
    run = make_run(str(tmp_path / "run"), CHAINS, release="v1.28")
    out = str(tmp_path / "report" / "index.html")
    r = invoke("report", run, "--html", out)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {out}: 3 components, 4 chains")
    return out


def test_page_is_self_contained(page):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    assert "dagre" in text and "Permission is hereby granted" in text  # the library carries its MIT notice
    assert text.count("</script>") == 3


def test_component_graph_in_chromium(browser, page, tmp_path):
    fragment = "#c=" + urllib.parse.quote(SCHED, safe="")
    dom = dump_dom(browser, page, tmp_path, fragment)
    graph = svg(dom, "component")
    drawn = nodes(graph)
    assert drawn["event"] == {"pods add", "pods update"}
    assert drawn["handler"] == {"sched.(*Scheduler).addHandler", "sched.(*Scheduler).updateHandler"}
    assert drawn["state"] == {"sched.Scheduler.queue"}
    assert drawn["reader"] == {"sched.(*Scheduler).processNextWorkItem"}
    assert drawn["sink"] == {"create pods/binding", "create events"}
    got = edges(graph)
    assert ("event:pods add", f"handler:{SCHED.rpartition('.')[0]}.(*Scheduler).addHandler") in got
    assert (
        f"state:{SCHED}.queue",
        f"reader:{SCHED.rpartition('.')[0]}.(*Scheduler).processNextWorkItem",
    ) in got
    assert len(got) == 7
    assert re.search(r'<path d="M[\d.]+ [\d.]+[^"]*" marker-end=', graph), "edges have drawn paths"
    assert f'Chains of <span id="component-name">{SCHED}</span>' in dom


def test_cascade_graph_in_chromium(browser, page, tmp_path):
    dom = dump_dom(browser, page, tmp_path)  # no fragment: the first component, kubelet
    cascade = svg(dom, "cascade")
    drawn = nodes(cascade)
    assert drawn["component"] == {"kubelet.Kubelet", "sched.Scheduler"}
    assert (
        'class="node kind-component current clickable" data-id="example.com/demo/kubelet.Kubelet"' in cascade
    )
    assert set(edges(cascade)) == {(KUBELET, KUBELET), (KUBELET, SCHED), (SCHED, KUBELET)}
    assert "patch pods/status → update" in html.unescape(cascade)
    assert dom.count("<option") == 3


def test_whole_cascade_graph_in_chromium(browser, page, tmp_path):
    dom = dump_dom(browser, page, tmp_path, "#c=" + urllib.parse.quote(KUBELET, safe="") + "&all")
    cascade = svg(dom, "cascade")
    assert nodes(cascade)["component"] == {"kubelet.Kubelet", "sched.Scheduler", "rs.ReplicaSetController"}
    assert (RS, SCHED) in edges(cascade)


def test_many_components(browser, tmp_path):
    chains = []
    for i in range(200):
        component = f"example.com/big/c{i:03d}.Controller"
        chains.append(
            chain(component, "pods", "update", api_verb="patch", api_resource=f"group{i % 7}.io/things")
        )
        chains.append(
            chain(component, f"group{i % 7}.io/things", "update", api_verb="create", api_resource="pods")
        )
    run = make_run(str(tmp_path / "run"), chains)
    out = str(tmp_path / "big.html")
    assert invoke("report", run, "--html", out).exit_code == 0
    dom = dump_dom(browser, out, tmp_path, "#all")
    assert dom.count("<option") == 200
    assert len(nodes(svg(dom, "component"))["sink"]) == 2
    # 200 x 200 cascade edges: too many for one picture, so the page draws the neighbourhood
    assert "are too many for one picture" in dom
    assert len(nodes(svg(dom, "cascade"))["component"]) == 29  # c000 and the c(7k) it wakes and is woken by


def test_errors(tmp_path):
    r = invoke("report", str(tmp_path / "nope"), "--html", str(tmp_path / "x.html"))
    assert r.exit_code == 1 and "no such folder" in r.output and len(r.output.strip().splitlines()) == 1
    r = invoke("report", str(tmp_path))
    assert r.exit_code == 1 and "--html" in r.output and len(r.output.strip().splitlines()) == 1
