// kubetorch report: draws the chains of one component and the cascade graph with dagre (inlined
// above this script) as plain SVG. No network, no framework: the page must open from a file.
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const CHAR_W = 7.2; // 12px monospace
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

  // A smooth path through dagre's edge points (the uniform B-spline of d3's curveBasis), so
  // bends and self-loops read as curves rather than zig-zags.
  function curve(points) {
    let d = "";
    let x0, y0, x1, y1;
    let n = 0;
    const f = (v) => v.toFixed(1);
    const bez = (x, y) => {
      d += " C" + f((2 * x0 + x1) / 3) + " " + f((2 * y0 + y1) / 3) + " " + f((x0 + 2 * x1) / 3) + " " +
        f((y0 + 2 * y1) / 3) + " " + f((x0 + 4 * x1 + x) / 6) + " " + f((y0 + 4 * y1 + y) / 6);
    };
    for (const p of points) {
      if (n === 0) {
        d = "M" + f(p.x) + " " + f(p.y);
        n = 1;
      } else if (n === 1) {
        n = 2;
      } else {
        if (n === 2) {
          d += " L" + f((5 * x0 + x1) / 6) + " " + f((5 * y0 + y1) / 6);
          n = 3;
        }
        bez(p.x, p.y);
      }
      x0 = x1; y0 = y1; x1 = p.x; y1 = p.y;
    }
    if (n === 3) bez(x1, y1);
    if (n >= 2) d += " L" + f(x1) + " " + f(y1);
    return d;
  }

  // Lay out nodes [{id, label, kind, title}] and edges [{from, to, label}] and draw them into `box`.
  function draw(box, nodes, edges, opts) {
    box.textContent = "";
    if (!nodes.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = opts.empty || "nothing to draw";
      box.appendChild(p);
      return;
    }
    // dagre misplaces self-loops in left-to-right layouts: draw those as arcs over their node,
    // with room made for them between stacked nodes.
    const loops = edges.filter((e) => e.from === e.to);
    const room = loops.length ? 40 : 14;
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "LR", nodesep: room, ranksep: opts.ranksep || 70, edgesep: 8, marginx: 12, marginy: room });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of nodes) {
      const label = clip(n.label);
      g.setNode(n.id, { label: label, width: label.length * CHAR_W + 20, height: 26, node: n });
    }
    edges.forEach((e, i) => {
      if (e.from === e.to) return;
      const label = e.label ? clip(e.label) : "";
      g.setEdge(e.from, e.to, { label: label, width: label.length * 6 + 4, height: label ? 14 : 0, labelpos: "c", edge: e }, "e" + i);
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
    const nodeLayer = el("g", { class: "nodes" }, svg);
    for (const ref of g.edges()) {
      const info = g.edge(ref);
      const e = info.edge;
      const ge = el("g", { class: "edge", "data-from": e.from, "data-to": e.to }, edgeLayer);
      el("path", { d: curve(info.points), "marker-end": "url(#" + marker + ")" }, ge);
      if (info.label) {
        const t = el("text", { x: info.x.toFixed(1), y: (info.y + 4).toFixed(1), class: "edge-label" }, ge);
        t.textContent = info.label;
      }
      if (e.title) el("title", {}, ge).textContent = e.title;
    }
    for (const e of loops) {
      const info = g.node(e.from);
      const top = info.y - info.height / 2;
      const ge = el("g", { class: "edge loop", "data-from": e.from, "data-to": e.to }, edgeLayer);
      const d = "M" + (info.x + 14).toFixed(1) + " " + top.toFixed(1) + " C" + (info.x + 34).toFixed(1) + " " +
        (top - 26).toFixed(1) + " " + (info.x - 34).toFixed(1) + " " + (top - 26).toFixed(1) + " " +
        (info.x - 14).toFixed(1) + " " + top.toFixed(1);
      el("path", { d: d, "marker-end": "url(#" + marker + ")" }, ge);
      if (e.label) {
        const t = el("text", { x: (info.x + 36).toFixed(1), y: (top - 14).toFixed(1), class: "edge-label loop-label" }, ge);
        t.textContent = clip(e.label);
      }
      if (e.title) el("title", {}, ge).textContent = e.title;
    }
    for (const id of g.nodes()) {
      const info = g.node(id);
      const n = info.node;
      const gn = el("g", {
        class: "node kind-" + n.kind + (n.current ? " current" : ""),
        "data-id": n.id, "data-kind": n.kind,
        transform: "translate(" + (info.x - info.width / 2).toFixed(1) + "," + (info.y - info.height / 2).toFixed(1) + ")",
      }, nodeLayer);
      el("rect", { width: info.width.toFixed(1), height: info.height, rx: 5, ry: 5 }, gn);
      const t = el("text", { x: 10, y: 17 }, gn);
      t.textContent = info.label;
      el("title", {}, gn).textContent = n.title || n.label;
      if (opts.onClick && n.target !== undefined) {
        gn.classList.add("clickable");
        gn.addEventListener("click", () => opts.onClick(n.target));
      }
    }
    box.appendChild(svg);
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
      ? data.cascades.length + " cascade edges are too many for one picture: showing this component's"
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
    return { nodes: nodes, edges: edges.map((e) => ({ from: e.from, to: e.to, label: e.label, title: e.title })) };
  }

  function chainTable(comp) {
    const box = document.getElementById("chain-list");
    box.textContent = "";
    if (!comp.chains.length) return;
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const h of ["chain", "event", "handler", "shared state", "reader", "write", "sink at"]) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const c of comp.chains) {
      const row = body.insertRow();
      for (const v of [c.id, c.event, c.handler, c.state, c.reader, c.write, c.at]) row.insertCell().textContent = v;
    }
    box.appendChild(table);
  }

  function show(index) {
    const comp = comps[index];
    document.getElementById("component-name").textContent = comp.name;
    document.getElementById("component-counts").textContent =
      comp.chains.length + " chain(s), " + comp.handlers + " handler(s), " + comp.cascades_out + " cascade edge(s) out, " + comp.cascades_in + " in";
    draw(document.getElementById("component-graph"), comp.nodes, comp.edges, {
      cls: "component", title: "chains of " + comp.name, empty: "no handler or chain in this component",
    });
    chainTable(comp);
    const all = document.getElementById("all-cascades").checked;
    const cg = cascadeGraph(index, all);
    draw(document.getElementById("cascade-graph"), cg.edges.length ? cg.nodes : [], cg.edges, {
      cls: "cascade", title: "cascades", ranksep: 90, empty: "no cascade edge into or out of this component",
      onClick: (i) => select(i),
    });
    const picker = document.getElementById("picker");
    if (picker.value !== String(index)) picker.value = String(index);
  }

  // The page state lives in the fragment (#c=COMPONENT&all) so a view can be linked to.
  function select(index) {
    if (index === undefined) return;
    const whole = document.getElementById("all-cascades").checked ? "&all" : "";
    history.replaceState(null, "", "#c=" + encodeURIComponent(comps[index].name) + whole);
    show(index);
  }

  function fillPicker(filter) {
    const picker = document.getElementById("picker");
    const keep = picker.value;
    picker.textContent = "";
    comps.forEach((c, i) => {
      if (filter && c.name.toLowerCase().indexOf(filter.toLowerCase()) < 0) return;
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = c.short + "  (" + c.chains.length + " chains)";
      o.title = c.name;
      picker.appendChild(o);
    });
    if ([...picker.options].some((o) => o.value === keep)) picker.value = keep;
    document.getElementById("picker-count").textContent = picker.options.length + " of " + comps.length + " components";
  }

  function initial() {
    const params = new URLSearchParams(location.hash.slice(1));
    document.getElementById("all-cascades").checked = params.has("all");
    const i = byName.get(params.get("c") || "");
    return i === undefined ? 0 : i;
  }

  if (!comps.length) {
    document.getElementById("component-graph").textContent = "This run has no handlers or chains.";
    return;
  }
  fillPicker("");
  document.getElementById("picker").addEventListener("change", (ev) => select(Number(ev.target.value)));
  document.getElementById("filter").addEventListener("input", (ev) => {
    fillPicker(ev.target.value);
    const picker = document.getElementById("picker");
    if (picker.options.length && picker.selectedIndex < 0) picker.selectedIndex = 0;
    if (picker.options.length) select(Number(picker.value));
  });
  document.getElementById("all-cascades").addEventListener("change", () => select(Number(document.getElementById("picker").value)));
  show(initial());
})();
