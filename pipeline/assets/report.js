// kubetorch report: draws the chains of one component and the cascade graph with dagre (inlined
// above this script) as plain SVG. No network, no framework: the page must open from a file.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const CHAR_W = 6.7; // 11px monospace
  const MAX_LABEL = 64;
  const data = JSON.parse(document.getElementById("kubetorch-data").textContent);
  const comps = data.components;
  const byName = new Map(comps.map((c, i) => [c.name, i]));

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function clip(text) {
    return text.length > MAX_LABEL ? text.slice(0, MAX_LABEL - 1) + "\u2026" : text;
  }

  // Long names wrap at their own separators ("/", ".", "(") into lines of at most WRAP characters,
  // so a five-rank chain graph fits a 1280 px window.
  const WRAP = 21;
  function wrap(text) {
    const parts = clip(text).split(/(?<=[/.)])/);
    const lines = [];
    let line = "";
    for (const p of parts) {
      if (line && line.length + p.length > WRAP) { lines.push(line); line = ""; }
      line += p;
      while (line.length > WRAP) { lines.push(line.slice(0, WRAP)); line = line.slice(WRAP); }
    }
    if (line) lines.push(line);
    return lines.slice(0, 4);
  }

  // Lay out nodes [{id, label, kind, title}] and edges [{from, to, label}] and draw them into
  // `box`. Edges are straight segments through dagre's points: dagre routes every edge through
  // dummy nodes of the ranks it crosses, so no edge runs over a node or another edge's label.
  function draw(box, nodes, edges, opts) {
    box.textContent = "";
    if (!nodes.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = opts.empty || "nothing to draw";
      box.appendChild(p);
      return null;
    }
    // dagre misplaces self-loops in left-to-right layouts: draw those as arcs over their node,
    // with room made for them between stacked nodes.
    const loops = edges.filter((e) => e.from === e.to);
    const room = loops.length ? 44 : 16;
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "LR", nodesep: room, ranksep: opts.ranksep || 40, edgesep: 10, marginx: 12, marginy: room });
    g.setDefaultEdgeLabel(() => ({}));
    // a self-loop's label is written inside its node (under a ↻), where no other edge can run
    const loopLabel = new Map(loops.filter((e) => e.label).map((e) => [e.from, e.label]));
    for (const n of nodes) {
      const lines = wrap(n.label);
      if (loopLabel.has(n.id)) lines.push(...wrap("\u21bb " + loopLabel.get(n.id)).slice(0, 3));
      const width = Math.max(...lines.map((l) => l.length)) * CHAR_W + 16;
      g.setNode(n.id, { lines: lines, width: width, height: lines.length * 14 + 10, node: n });
    }
    edges.forEach((e, i) => {
      if (e.from === e.to) return;
      const label = e.label ? clip(e.label) : "";
      g.setEdge(e.from, e.to, { label: label, width: label ? label.length * 6 + 8 : 0, height: label ? 16 : 0, labelpos: "c", edge: e }, "e" + i);
    });
    dagre.layout(g);
    const size = g.graph();
    const svg = el("svg", {
      class: "graph " + (opts.cls || ""),
      width: Math.ceil(size.width), height: Math.ceil(size.height),
      viewBox: "0 0 " + Math.ceil(size.width) + " " + Math.ceil(size.height),
      role: "img", "aria-label": opts.title || "graph",
    });
    const marker = "arrow-" + (opts.cls || "g");
    const defs = el("defs", {}, svg);
    const m = el("marker", { id: marker, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }, m);
    const edgeLayer = el("g", { class: "edges" }, svg);
    const labelLayer = el("g", { class: "edge-labels" }, svg);
    const nodeLayer = el("g", { class: "nodes" }, svg);
    const f = (v) => v.toFixed(1);
    // the x ranges free of any node or label (the gaps between dagre's rank columns)
    const extents = [];
    for (const id of g.nodes()) { const n = g.node(id); extents.push([n.x - n.width / 2, n.x + n.width / 2]); }
    for (const ref of g.edges()) { const e = g.edge(ref); if (e.label) extents.push([e.x - e.width / 2, e.x + e.width / 2]); }
    extents.sort((a, b) => a[0] - b[0]);
    const columns = [];
    for (const [a, b] of extents) {
      if (columns.length && a <= columns[columns.length - 1][1]) columns[columns.length - 1][1] = Math.max(columns[columns.length - 1][1], b);
      else columns.push([a, b]);
    }
    function gapBetween(xa, xb, k) {
      const lo = Math.min(xa, xb), hi = Math.max(xa, xb);
      for (let i = 0; i + 1 < columns.length; i++) {
        const a = Math.max(columns[i][1], lo), b = Math.min(columns[i + 1][0], hi);
        if (b - a > 4) return a + (b - a) * ((k % 5) + 1) / 6;  // spread the edges over the gap
      }
      return null;
    }
    // Each edge leaves its node's side at mid-height, runs horizontally through its own rank
    // (where only it sits at that height), and turns vertically only in the gaps between ranks:
    // so it never runs over a node or a label, whatever dagre's points would have cut across.
    function route(info, from, to, k) {
      const pts = info.points.slice(1, -1);
      const first = pts.length ? pts[0] : to;
      const last = pts.length ? pts[pts.length - 1] : from;
      const out = [];
      const right = first.x >= from.x;
      out.push({ x: from.x + (right ? 1 : -1) * from.width / 2, y: from.y });
      for (const q of pts) out.push(q);
      const enterLeft = last.x <= to.x;
      out.push({ x: to.x + (enterLeft ? -1 : 1) * to.width / 2, y: to.y });
      const path = [out[0]];
      for (let i = 1; i < out.length; i++) {
        const a = out[i - 1], b = out[i];
        const xm = Math.abs(a.y - b.y) > 0.5 ? gapBetween(a.x, b.x, k) : null;
        if (xm !== null) path.push({ x: xm, y: a.y }, { x: xm, y: b.y });
        path.push(b);
      }
      return "M" + path.map((q) => f(q.x) + " " + f(q.y)).join(" L");
    }
    let k = 0;
    for (const ref of g.edges()) {
      const info = g.edge(ref);
      const e = info.edge;
      const ge = el("g", { class: "edge", "data-from": e.from, "data-to": e.to }, edgeLayer);
      el("path", { d: route(info, g.node(e.from), g.node(e.to), k++), "marker-end": "url(#" + marker + ")" }, ge);
      if (e.title) el("title", {}, ge).textContent = e.title;
      if (info.label) {
        const gl = el("g", { class: "edge-label", "data-from": e.from, "data-to": e.to }, labelLayer);
        el("rect", { class: "label-box", x: f(info.x - info.width / 2), y: f(info.y - info.height / 2), width: f(info.width), height: f(info.height) }, gl);
        el("text", { x: f(info.x), y: f(info.y + 3.5) }, gl).textContent = info.label;
        if (e.title) el("title", {}, gl).textContent = e.title;
      }
    }
    for (const e of loops) {
      const info = g.node(e.from);
      const top = info.y - info.height / 2;
      const ge = el("g", { class: "edge loop", "data-from": e.from, "data-to": e.to }, edgeLayer);
      const d = "M" + f(info.x + 14) + " " + f(top) + " C" + f(info.x + 34) + " " + f(top - 28) + " " +
        f(info.x - 34) + " " + f(top - 28) + " " + f(info.x - 14) + " " + f(top);
      el("path", { d: d, "marker-end": "url(#" + marker + ")" }, ge);
      if (e.title) el("title", {}, ge).textContent = e.title;
    }
    for (const id of g.nodes()) {
      const info = g.node(id);
      const n = info.node;
      const gn = el("g", {
        class: "node kind-" + n.kind + (n.current ? " current" : ""),
        "data-id": n.id, "data-kind": n.kind,
        transform: "translate(" + f(info.x - info.width / 2) + "," + f(info.y - info.height / 2) + ")",
      }, nodeLayer);
      el("rect", { width: f(info.width), height: info.height, rx: 5, ry: 5 }, gn);
      const t = el("text", { x: 8, y: 16 }, gn);
      info.lines.forEach((line, i) => {
        el("tspan", { x: 8, y: 16 + i * 14 }, t).textContent = line;
      });
      el("title", {}, gn).textContent = n.title || n.label;
      if (opts.onClick && n.target !== undefined) {
        gn.classList.add("clickable");
        gn.addEventListener("click", () => opts.onClick(n.target));
      }
    }
    box.appendChild(svg);
    return { nodes: g.nodeCount(), edges: edges.length };
  }

  // dagre's layout time grows fast with edges (300 take about 2 s, 600 about 12 s): past these
  // limits the page draws less rather than freeze.
  const MAX_WHOLE = 300;
  const MAX_AROUND = 300;

  function cascadeGraph(index, whole) {
    const current = comps[index].name;
    const all = whole && data.cascades.length <= MAX_WHOLE;
    const note = document.getElementById("cascade-note");
    note.textContent = whole && !all
      ? data.cascades.length + " cascade edges are too many for one picture: showing this component's."
      : "";
    let edges = data.cascades.filter((e) => all || e.from === current || e.to === current);
    if (edges.length > MAX_AROUND) {
      // its own writes first: what this component wakes is what the page is about
      edges = edges.filter((e) => e.from === current).concat(edges.filter((e) => e.from !== current)).slice(0, MAX_AROUND);
      note.textContent += " (first " + MAX_AROUND + " edges: the rest are in the cascades table)";
    }
    const names = new Set([current]);
    for (const e of edges) { names.add(e.from); names.add(e.to); }
    const nodes = [...names].sort().map((name) => {
      const i = byName.get(name);
      return {
        id: name, kind: "component", label: i === undefined ? name : comps[i].short, title: name,
        current: name === current, target: i,
      };
    });
    return { nodes: nodes, edges: edges.map((e) => ({ from: e.from, to: e.to, label: e.label, title: e.title, rows: e.rows })) };
  }

  // a cell whose long Go names may wrap after "/", "." and ")" (a <wbr> there; no text added)
  function cell(row, text, cls) {
    const td = row.insertCell();
    const parts = String(text).split(/(?<=[/.)])/);
    parts.forEach((part, i) => {
      if (i) td.appendChild(document.createElement("wbr"));
      td.appendChild(document.createTextNode(part));
    });
    if (cls) td.className = cls;
    return td;
  }

  function chainTable(comp) {
    const box = document.getElementById("chain-list");
    box.textContent = "";
    if (!comp.chains.length) return;
    const table = document.createElement("table");
    table.className = "chains";
    const head = table.createTHead().insertRow();
    for (const h of ["chain", "event", "handler", "shared state", "reader", "sink function", "write", "sink at"]) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const c of comp.chains) {
      const row = body.insertRow();
      row.className = "chain";
      row.dataset.chain = c.id;
      row.tabIndex = 0;
      row.title = "show the witness of this chain";
      for (const v of [c.id, c.event, c.handler, c.state, c.reader, c.sink, c.write, c.at]) cell(row, v);
      row.addEventListener("click", () => openChain(c.id));
      row.addEventListener("keydown", (ev) => { if (ev.key === "Enter") openChain(c.id); });
    }
    box.appendChild(table);
  }

  function witness(comp, id) {
    const panel = document.getElementById("witness");
    const c = comp.chains.find((x) => x.id === id);
    document.querySelectorAll("tr.chain").forEach((r) => r.classList.toggle("selected", r.dataset.chain === id));
    if (!c) { panel.hidden = true; return; }
    panel.textContent = "";
    panel.hidden = false;
    const h = document.createElement("h3");
    h.textContent = "Witness of chain " + c.id + ": " + c.event + " \u2192 " + c.handler + " \u2192 " + c.state +
      " \u2192 " + c.reader + " \u2192 " + c.write + " (" + c.steps.length + " steps)";
    panel.appendChild(h);
    const close = document.createElement("button");
    close.textContent = "close";
    close.className = "close";
    close.addEventListener("click", () => openChain(""));
    panel.appendChild(close);
    const ol = document.createElement("ol");
    ol.className = "steps";
    for (const s of c.steps) {
      const li = document.createElement("li");
      li.className = "step kind-" + s.kind;
      const kind = document.createElement("span");
      kind.className = "step-kind";
      kind.textContent = s.kind;
      const what = document.createElement("span");
      what.className = "step-text";
      // the words after the kind: "register AddEventHandler" shows "AddEventHandler" after "register"
      const words = s.step.replace(/^return to$/, "return");
      what.textContent = words.startsWith(s.kind) ? words.slice(s.kind.length).trim() : words;
      const fn = document.createElement("span");
      fn.className = "step-function";
      fn.textContent = s.short;
      fn.title = s.function;
      const at = document.createElement(s.url ? "a" : "span");
      at.className = "step-at";
      at.textContent = s.at;
      if (s.url) { at.href = s.url; at.target = "_blank"; at.rel = "noopener"; }
      li.append(kind, what, fn, at);
      if (s.snippet) {
        const code = document.createElement("code");
        code.textContent = s.snippet;
        li.appendChild(code);
      }
      ol.appendChild(li);
    }
    panel.appendChild(ol);
  }

  let current = 0;

  function show(index, chain) {
    current = index;
    const comp = comps[index];
    document.getElementById("component-name").textContent = comp.name;
    const drawn = draw(document.getElementById("component-graph"), comp.nodes, comp.edges, {
      cls: "component", title: "chains of " + comp.name, empty: "no handler or chain in this component",
    });
    document.getElementById("component-counts").textContent =
      comp.chains.length + " chains, " + comp.handlers + " handlers, " + comp.sinks + " sinks, " + comp.resources +
      " resources written; " + comp.cascades_out + " cascade rows out, " + comp.cascades_in + " in. Drawn: " +
      (drawn ? drawn.nodes + " nodes and " + drawn.edges + " edges" : "nothing") +
      " (chains through the same event, handler, state, reader or write share its node; each chain is a row below).";
    chainTable(comp);
    witness(comp, chain || "");
    const all = document.getElementById("all-cascades").checked;
    const cg = cascadeGraph(index, all);
    draw(document.getElementById("cascade-graph"), cg.edges.length ? cg.nodes : [], cg.edges, {
      cls: "cascade", title: "cascades", ranksep: 70, empty: "no cascade edge into or out of this component",
      onClick: (i) => select(i),
    });
    const rows = cg.edges.reduce((n, e) => n + (e.rows || 1), 0);
    document.getElementById("cascade-note").textContent += (cg.edges.length ? " Drawn: " + cg.edges.length +
      " edges for " + rows + " cascade rows (rows between the same two components are one edge; hover it for them)." : "");
    document.querySelectorAll("#component-list tr.component").forEach((r) => r.classList.toggle("selected", Number(r.dataset.index) === index));
  }

  // The page state lives in the fragment (#c=COMPONENT&chain=ID&all) so a view can be linked to.
  function state(index, chain) {
    const whole = document.getElementById("all-cascades").checked ? "&all" : "";
    const c = chain ? "&chain=" + encodeURIComponent(chain) : "";
    history.replaceState(null, "", "#c=" + encodeURIComponent(comps[index].name) + c + whole);
  }

  function select(index) {
    if (index === undefined) return;
    state(index, "");
    show(index, "");
  }

  function openChain(id) {
    state(current, id);
    witness(comps[current], id);
    if (id) document.getElementById("witness").scrollIntoView({ block: "nearest" });
  }

  const SORTS = {
    chains: (a, b) => b.chains.length - a.chains.length,
    sinks: (a, b) => b.sinks - a.sinks,
    resources: (a, b) => b.resources - a.resources,
    name: () => 0,
  };

  function fillList() {
    const filter = document.getElementById("filter").value.toLowerCase();
    const by = SORTS[document.getElementById("sort").value] || SORTS.chains;
    const body = document.querySelector("#component-list tbody");
    body.textContent = "";
    const shown = comps.map((c, i) => i).filter((i) => !filter || comps[i].name.toLowerCase().includes(filter));
    shown.sort((a, b) => by(comps[a], comps[b]) || comps[a].name.localeCompare(comps[b].name));
    for (const i of shown) {
      const c = comps[i];
      const row = body.insertRow();
      row.className = "component" + (i === current ? " selected" : "");
      row.dataset.index = String(i);
      row.title = c.name;
      cell(row, c.short, "name");
      cell(row, String(c.chains.length), "num");
      cell(row, String(c.sinks), "num");
      cell(row, String(c.resources), "num");
      row.addEventListener("click", () => select(i));
    }
    document.getElementById("list-count").textContent = shown.length + " of " + comps.length + " components";
  }

  function initial() {
    const params = new URLSearchParams(location.hash.slice(1));
    document.getElementById("all-cascades").checked = params.has("all");
    const i = byName.get(params.get("c") || "");
    return [i === undefined ? 0 : i, params.get("chain") || ""];  // 0: the most chains
  }

  if (!comps.length) {
    document.getElementById("component-graph").textContent = "This run has no handlers or chains.";
    return;
  }
  document.getElementById("filter").addEventListener("input", fillList);
  document.getElementById("sort").addEventListener("change", fillList);
  document.getElementById("all-cascades").addEventListener("change", () => { state(current, ""); show(current, ""); });
  const [first, chain] = initial();
  current = first;
  fillList();
  show(first, chain);
})();
