"""`kubetorch report`: one self-contained page, checked in a real headless Chromium at 1280 px.

Chromium comes from Debian (tests/install_browser.sh installs it when missing and we are root); the
browser tests skip only when it is still missing after that. The page is driven over the DevTools
protocol (tests/browser.py): the first component has chains, a click on a chain opens its witness,
the counts match the tables, and in the drawn layout no edge runs over a node's or an edge's label.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest
from browser import Browser
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
def browser():
    found = find_browser()
    if found is None:
        subprocess.run(["bash", os.path.join(HERE, "install_browser.sh")], check=False, timeout=900)
        found = find_browser()
    if found is None:
        pytest.skip("chromium is not installed and tests/install_browser.sh could not install it (not root?)")
    with Browser(found) as b:
        yield b


def url(page: str, fragment: str = "") -> str:
    return "file://" + urllib.parse.quote(os.path.abspath(page)) + fragment


def open_page(browser, page: str, fragment: str = ""):
    p = browser.open(url(page, fragment), width=1280, height=900)
    p.wait_for("document.querySelector('#component-graph svg, #component-graph .empty')")
    return p


@pytest.fixture
def page(tmp_path):
    run = make_run(str(tmp_path / "run"), CHAINS, release="v1.28")
    out = str(tmp_path / "report" / "index.html")
    r = invoke("report", run, "--html", out)
    assert r.exit_code == 0, r.output
    assert r.output.startswith(f"wrote {out}: 3 components, 4 chains, 5 cascade rows drawn as 5 edges")
    return out


GEOMETRY = """(() => {
  const boxes = [], paths = [];
  for (const svg of document.querySelectorAll('svg.graph')) {
    const graph = svg.classList.contains('cascade') ? 'cascade' : 'component';
    for (const g of svg.querySelectorAll('g.node')) {
      const m = /translate\\(([-\\d.]+),([-\\d.]+)\\)/.exec(g.getAttribute('transform'));
      const r = g.querySelector('rect');
      boxes.push({graph, what: 'node', id: g.dataset.id, x: +m[1], y: +m[2],
                  w: +r.getAttribute('width'), h: +r.getAttribute('height')});
    }
    for (const g of svg.querySelectorAll('g.edge-label')) {
      const r = g.querySelector('rect');
      boxes.push({graph, what: 'label', id: g.dataset.from + ' -> ' + g.dataset.to, x: +r.getAttribute('x'),
                  y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height')});
    }
    for (const g of svg.querySelectorAll('g.edge')) {
      const p = g.querySelector('path');
      const n = Math.ceil(p.getTotalLength() / 2);
      const pts = [];
      for (let i = 0; i <= n; i++) { const q = p.getPointAtLength(i * p.getTotalLength() / n); pts.push([q.x, q.y]); }
      paths.push({graph, from: g.dataset.from, to: g.dataset.to, points: pts});
    }
  }
  return {boxes, paths};
})()"""


def overlaps(geometry: dict) -> list[str]:
    """Every (edge, label) where the drawn edge runs inside a node's box (other than its own two
    ends) or an edge label's box (other than its own): read from the layout's coordinates."""
    found = []
    for p in geometry["paths"]:
        for b in geometry["boxes"]:
            if b["graph"] != p["graph"]:
                continue
            own = b["what"] == "node" and b["id"] in (p["from"], p["to"])
            own = own or (b["what"] == "label" and b["id"] == f"{p['from']} -> {p['to']}")
            if own:
                continue
            inside = [
                (x, y)
                for x, y in p["points"]
                if b["x"] + 1 < x < b["x"] + b["w"] - 1 and b["y"] + 1 < y < b["y"] + b["h"] - 1
            ]
            if inside:
                found.append(f"{p['from']} -> {p['to']} crosses {b['what']} {b['id']} at {inside[0]}")
    return found


def test_page_is_self_contained(page):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    assert "dagre" in text and "Permission is hereby granted" in text  # the library carries its MIT notice
    assert text.count("</script>") == 3


def test_opens_on_the_component_with_the_most_chains(browser, page):
    p = open_page(browser, page)
    assert p.evaluate("document.getElementById('component-name').textContent") == SCHED
    assert p.evaluate("document.querySelectorAll('#chain-list tr.chain').length") == 2
    listed = p.evaluate(
        "[...document.querySelectorAll('#component-list tr.component')].map(r => [...r.cells].map(c => c.textContent))"
    )
    assert listed == [
        ["sched.Scheduler", "2", "2", "2"],
        ["kubelet.Kubelet", "1", "1", "1"],
        ["rs.ReplicaSetController", "1", "1", "1"],
    ]
    kinds = p.evaluate(
        "[...document.querySelectorAll('svg.component g.node')].map(g => g.dataset.kind + ':' + g.querySelector('text').textContent)"
    )
    assert "state:sched.Scheduler.queue" in kinds and "sink:create pods/binding" in kinds


def test_component_list_filters_and_sorts(browser, tmp_path):
    chains = [
        chain(RS, "pods", e, api_verb="create", api_resource=r)
        for e in ("add", "update")
        for r in ("pods", "events")
    ]
    chains += [
        chain(SCHED, "pods", "add", api_verb="create", api_resource="pods/binding", sink_function=f)
        for f in ("example.com/demo/sched.a", "example.com/demo/sched.b", "example.com/demo/sched.c")
    ]
    out = str(tmp_path / "r.html")
    assert invoke("report", make_run(str(tmp_path / "run"), chains), "--html", out).exit_code == 0
    p = open_page(browser, out)
    names = "[...document.querySelectorAll('#component-list tr.component td.name')].map(c => c.textContent)"
    assert p.evaluate(names) == ["rs.ReplicaSetController", "sched.Scheduler"]  # 4 chains before 3
    p.evaluate(
        "(s => { s.value = 'sinks'; s.dispatchEvent(new Event('change')); })(document.getElementById('sort'))"
    )
    assert p.evaluate(names) == ["sched.Scheduler", "rs.ReplicaSetController"]  # 3 sinks before 2
    p.evaluate(
        "(f => { f.value = 'replica'; f.dispatchEvent(new Event('input')); })(document.getElementById('filter'))"
    )
    assert p.evaluate(names) == ["rs.ReplicaSetController"]
    assert p.evaluate("document.getElementById('list-count').textContent") == "1 of 2 components"
    p.evaluate("document.querySelector('#component-list tr.component').click()")
    assert p.evaluate("document.getElementById('component-name').textContent") == RS


def test_clicking_a_chain_opens_its_witness(browser, page):
    p = open_page(browser, page)
    assert p.evaluate("document.getElementById('witness').hidden") is True
    first = p.evaluate("document.querySelector('#chain-list tr.chain').dataset.chain")
    p.evaluate("document.querySelector('#chain-list tr.chain').click()")
    assert p.evaluate("document.getElementById('witness').hidden") is False
    steps = p.evaluate(
        "[...document.querySelectorAll('#witness li')].map(li => [li.querySelector('.step-kind').textContent, "
        "li.querySelector('.step-at').textContent, (li.querySelector('code') || {}).textContent])"
    )
    assert [s[0] for s in steps] == ["handle", "write", "read", "sink"]
    assert steps[-1][1] == "pkg/sync.go:40" and steps[-1][2] == "// line 40"  # file:line and the source line
    assert f"chain={first}" in p.evaluate("location.hash")
    again = open_page(browser, page, p.evaluate("location.hash"))  # a link to the view opens it
    assert again.evaluate("document.getElementById('witness').hidden") is False


def test_counts_match_the_tables_and_say_what_is_folded(browser, page):
    p = open_page(browser, page)
    meta = p.evaluate("document.getElementById('meta').textContent")
    assert meta.startswith(
        "4 chains and 4 handlers in 3 components; 5 cascade rows between 5 component pairs"
    )
    counts = p.evaluate("document.getElementById('component-counts').textContent")
    assert counts.startswith("2 chains, 2 handlers, 2 sinks, 2 resources written;")
    drawn = len(p.evaluate("[...document.querySelectorAll('svg.component g.node')]"))
    assert f"Drawn: {drawn} nodes" in counts and "share its node" in counts
    note = p.evaluate("document.getElementById('cascade-note').textContent")
    assert "rows between the same two components are one edge" in note


def test_readable_at_1280_and_no_edge_over_a_label(browser, page, tmp_path):
    p = open_page(browser, page, "#all")
    assert p.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling
    geometry = p.evaluate(GEOMETRY)
    assert len(geometry["paths"]) > 5 and any(b["what"] == "label" for b in geometry["boxes"])
    assert overlaps(geometry) == []
    shot = tmp_path / "report.png"
    p.screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_overlap_check_can_fail():
    geometry = {
        "boxes": [{"graph": "g", "what": "node", "id": "b", "x": 0, "y": 0, "w": 10, "h": 10}],
        "paths": [{"graph": "g", "from": "a", "to": "c", "points": [[-5, 5], [5, 5], [15, 5]]}],
    }
    assert overlaps(geometry) == ["a -> c crosses node b at (5, 5)"]


def test_a_big_run_stays_readable(browser, tmp_path):
    chains = []
    for i in range(60):
        component = f"example.com/big/c{i:03d}.Controller"
        for event, write in (
            ("add", "create pods"),
            ("update", "patch pods/status"),
            ("delete", "delete pods"),
        ):
            verb, resource = write.split()
            chains.append(
                chain(component, f"group{i % 7}.io/things", event, api_verb=verb, api_resource=resource)
            )
        chains.append(
            chain(component, "pods", "update", api_verb="patch", api_resource=f"group{i % 7}.io/things")
        )
    out = str(tmp_path / "big.html")
    r = invoke("report", make_run(str(tmp_path / "run"), chains), "--html", out)
    assert r.exit_code == 0, r.output
    p = open_page(browser, out)
    assert p.evaluate("document.querySelectorAll('#component-list tr.component').length") == 60
    assert p.evaluate("document.documentElement.scrollWidth") <= 1280
    assert overlaps(p.evaluate(GEOMETRY)) == []
    p = open_page(browser, out, "#all")  # 60 x 60 cascade edges: too many for one picture
    assert "are too many for one picture" in p.evaluate("document.getElementById('cascade-note').textContent")


def test_report_from_a_history_release(tmp_path):
    from pipeline.history import add_run

    history = str(tmp_path / "h")
    add_run(history, make_run(str(tmp_path / "run"), CHAINS), "v1.28")
    out = str(tmp_path / "r.html")
    r = invoke("report", "--history", history, "v1.28", "--html", out)
    assert r.exit_code == 0, r.output
    with open(out, encoding="utf-8") as f:
        data = json.loads(re.search(r'id="kubetorch-data">(.*?)</script>', f.read(), re.S).group(1))
    assert data["counts"]["chains"] == 4 and data["components"][0]["name"] == SCHED
    assert math.isclose(sum(len(c["chains"]) for c in data["components"]), 4)


def test_errors(tmp_path):
    r = invoke("report", str(tmp_path / "nope"), "--html", str(tmp_path / "x.html"))
    assert r.exit_code == 1 and "no such folder" in r.output and len(r.output.strip().splitlines()) == 1
    r = invoke("report", str(tmp_path))
    assert r.exit_code == 1 and "--html" in r.output and len(r.output.strip().splitlines()) == 1
