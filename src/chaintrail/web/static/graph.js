/* chaintrail flow graph: draws a trace's nodes and edges (satoshis, hops,
 * categories) with Cytoscape.js in hop columns, expands nodes on demand,
 * highlights paths, and exports PNG and JSON. Used by the trace page and
 * inlined into self-contained reports (no network needed there). */
(function (global) {
  "use strict";

  var SAT = 100000000;
  var COL = 240;     // distance between hop columns
  var SUB = 150;     // distance between sub-columns of a crowded hop
  var ROW = 58;      // distance between nodes of a column
  var MAX_ROWS = 28; // nodes per sub-column

  // one colour per category (GraphSense/INTERPOL taxonomy); abuse beats category
  var COLOURS = {
    exchange: "#2f6fb3", wallet_service: "#4f8fd6", atm: "#6aa8e8", payment_processor: "#3aa6a0",
    shop: "#58a55c", market: "#8a6d3b", gambling: "#c17d11", miner: "#7f7f7f", mining_service: "#7f7f7f",
    mixing_service: "#8e44ad", coinjoin: "#a569bd", donation: "#e377c2", defi: "#17becf",
    service: "#5d6d7e", organization: "#5d6d7e", user: "#95a5a6",
    ransomware: "#c0392b", sanction: "#e74c3c", scam: "#d35400", extortion: "#c0392b",
    sextortion: "#c0392b", phishing: "#d35400", service_hack: "#c0392b", terrorism: "#922b21",
    darknet: "#6e2c00"
  };
  var UNATTRIBUTED = "#b8c2cc";
  var FEE = "#f1c40f";

  function colourOf(n) {
    if (n.kind === "fee") return FEE;
    return COLOURS[n.abuse] || COLOURS[n.category] || (n.entity_id ? "#34495e" : UNATTRIBUTED);
  }

  function btc(sat) {
    if (sat === null || sat === undefined) return "?";
    var s = (sat / SAT).toFixed(8).replace(/0+$/, "").replace(/\.$/, "");
    return s + " BTC";
  }

  function shortId(id) {
    if (!id || id.length <= 18) return id;
    return id.slice(0, 8) + "\u2026" + id.slice(-6);
  }

  function sizeOf(amount) {
    var a = Math.max(1, amount || 1);
    return Math.round(Math.min(64, 14 + 5 * Math.log10(a / 1000 + 1)));
  }

  function widthOf(amount) {
    var a = Math.max(1, amount || 1);
    return Math.round(10 * Math.min(9, 1 + 0.9 * Math.log10(a / 10000 + 1))) / 10;
  }

  function expandable(n) {
    return n.kind === "address" || n.kind === "output" || n.kind === "cluster";
  }

  /* frontierHop: the hop limit of the trace the node came from (a node there with flow
   * ending in it is where the trace can go on) */
  function nodeElement(n, extraClasses, frontierHop) {
    var cls = [n.kind];
    if (n.start) cls.push("start");
    if (n.entity_id || n.category) cls.push("entity");
    if (n.terminal_amount > 0 && !n.entity_id && expandable(n) && frontierHop !== undefined &&
        n.hop >= frontierHop) cls.push("frontier");
    if (extraClasses) cls.push(extraClasses);
    var caption = (n.label || shortId(n.node)) + "\n" + btc(n.amount);
    return {
      group: "nodes",
      data: Object.assign({}, n, {id: n.node, colour: colourOf(n), size: sizeOf(n.amount), caption: caption}),
      classes: cls.join(" ")
    };
  }

  function edgeId(e) { return e.source + "\u2192" + e.target; }

  function edgeElement(e, extraClasses) {
    return {
      group: "edges",
      data: Object.assign({}, e, {id: edgeId(e), width: widthOf(e.amount), caption: btc(e.amount)}),
      classes: extraClasses || ""
    };
  }

  /* Positions in hop columns: the start on one side, each further hop one column away
   * (backward: to the left, so money flows left to right; forward: to the right).
   * Within a column nodes sit near the weighted mean row of their neighbours in the
   * previous column; crowded columns wrap into sub-columns. */
  function layered(nodes, edges, direction) {
    var sign = direction === "backward" ? -1 : 1;
    var byHop = {}, hops = [];
    nodes.forEach(function (n) {
      var h = n.hop || 0;
      if (!byHop[h]) { byHop[h] = []; hops.push(h); }
      byHop[h].push(n);
    });
    hops.sort(function (a, b) { return a - b; });
    var adj = {};
    edges.forEach(function (e) {
      (adj[e.source] = adj[e.source] || []).push([e.target, e.amount]);
      (adj[e.target] = adj[e.target] || []).push([e.source, e.amount]);
    });
    var rank = {}, pos = {}, x = 0;
    hops.forEach(function (h, k) {
      var col = byHop[h];
      col.forEach(function (n) {
        var sw = 0, s = 0;
        (adj[n.node] || []).forEach(function (pair) {
          if (rank[pair[0]] !== undefined) { s += rank[pair[0]] * (pair[1] + 1); sw += pair[1] + 1; }
        });
        n._bary = sw > 0 ? s / sw : Infinity;
      });
      col.sort(function (a, b) {
        if (a._bary !== b._bary) return a._bary - b._bary;
        return (b.amount || 0) - (a.amount || 0);
      });
      var subs = Math.max(1, Math.ceil(col.length / MAX_ROWS));
      var rows = Math.ceil(col.length / subs);
      if (k > 0) x += COL;
      col.forEach(function (n, i) {
        var sc = Math.floor(i / rows), r = i % rows;
        rank[n.node] = i / Math.max(1, col.length - 1) * (MAX_ROWS - 1);
        pos[n.node] = {x: sign * (x + sc * SUB), y: (r - (rows - 1) / 2) * ROW};
        delete n._bary;
      });
      x += (subs - 1) * SUB;
    });
    return pos;
  }

  var STYLE = [
    {selector: "node", style: {
      "background-color": "data(colour)", "width": "data(size)", "height": "data(size)",
      "label": "data(caption)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3,
      "text-wrap": "wrap", "text-max-width": 150, "min-zoomed-font-size": 6,
      "border-width": 1, "border-color": "#4b5563", "color": "#1f2937"}},
    {selector: "node.entity", style: {"shape": "round-rectangle"}},
    {selector: "node.fee", style: {"shape": "diamond"}},
    {selector: "node.frontier", style: {"border-style": "dashed", "border-width": 2}},
    {selector: "node.start", style: {"border-width": 5, "border-color": "#111827", "border-style": "solid"}},
    {selector: "node.expanded", style: {"border-style": "double", "border-width": 5}},
    {selector: "edge", style: {
      "width": "data(width)", "line-color": "#9aa5b1", "target-arrow-color": "#9aa5b1",
      "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "straight",
      "label": "data(caption)", "font-size": 8, "text-rotation": "autorotate", "color": "#374151",
      "min-zoomed-font-size": 7, "text-background-color": "#ffffff", "text-background-opacity": 0.85,
      "text-background-padding": 1}},
    {selector: "edge.pair", style: {"curve-style": "bezier"}},  // A->B and B->A: bent apart
    {selector: "edge.expansion", style: {"line-style": "dashed"}},
    {selector: ".dim", style: {"opacity": 0.12}},
    {selector: "edge.hl", style: {"line-color": "#dc2626", "target-arrow-color": "#dc2626", "opacity": 1,
                                  "z-index": 10}},
    {selector: "node.hl", style: {"opacity": 1, "border-color": "#dc2626", "border-width": 3}},
    {selector: "node:selected", style: {"overlay-color": "#dc2626", "overlay-opacity": 0.25,
                                        "overlay-padding": 6}}
  ];

  /* Labels (captions of nodes, amounts of edges) are drawn from this zoom on: below it they
   * are too small to read, and leaving them out makes large graphs draw several times faster. */
  var LABEL_ZOOM = 0.45;
  var STYLE_BARE = STYLE.map(function (rule) {
    if (rule.selector !== "node" && rule.selector !== "edge") return rule;
    var st = Object.assign({}, rule.style);
    st.label = "";
    return {selector: rule.selector, style: st};
  });

  function syncLabels(g) {
    var on = g.cy.zoom() >= LABEL_ZOOM;
    if (on === g.labels) return;
    g.labels = on;
    g.cy.style(on ? STYLE : STYLE_BARE);
  }

  /* A graph in a container. opts: direction, level, expandUrl(id) -> URL (or null: no
   * expansion), linkOf(data) -> URL (or null), onSelect(kind, data), onChange(graph). */
  function create(container, data, opts) {
    opts = opts || {};
    var direction = (data.summary && data.summary.direction) || opts.direction || "backward";
    var nodes = data.nodes.map(function (n) { return Object.assign({}, n); });
    var pos = layered(nodes, data.edges, direction);
    var maxHops = data.summary ? data.summary.max_hops : undefined;
    var ids = {};
    data.edges.forEach(function (e) { ids[edgeId(e)] = true; });
    var elements = nodes.map(function (n) {
      var el = nodeElement(n, null, maxHops); el.position = pos[n.node]; return el;
    }).concat(data.edges.map(function (e) {
      return edgeElement(e, ids[e.target + "\u2192" + e.source] ? "pair" : "");
    }));
    var cy = global.cytoscape({
      container: container, elements: elements, style: STYLE_BARE, layout: {name: "preset"},
      minZoom: 0.02, maxZoom: 4, textureOnViewport: nodes.length > 300,
      motionBlur: false, pixelRatio: 1
    });
    cy.fit(undefined, 30);
    var g = {
      cy: cy, data: data, direction: direction, expansions: [], busy: false, labels: false,
      expand: function (id, hops) { return expand(g, id, hops || 1, opts); },
      highlightPaths: function (id) { highlightPaths(g, id); },
      highlightEntities: function () { highlightEntities(g); },
      clear: function () { cy.elements(".dim, .hl").removeClass("dim hl"); },
      png: function () { return cy.png({output: "blob", full: true, scale: 2, bg: "#ffffff"}); },
      json: function () { return exportJson(g); },
      stats: function () { return {nodes: cy.nodes().length, edges: cy.edges().length}; }
    };
    syncLabels(g);
    cy.on("zoom", function () { syncLabels(g); });
    cy.on("tap", "node", function (evt) {
      var n = evt.target;
      g.highlightPaths(n.id());
      if (opts.onSelect) opts.onSelect("node", n.data(), g);
      if (opts.clickExpands && opts.clickExpands() && canExpand(n, opts)) g.expand(n.id());
    });
    cy.on("tap", "edge", function (evt) {
      var e = evt.target;
      cy.batch(function () {
        g.clear();
        e.union(e.connectedNodes()).addClass("hl");
      });
      if (opts.onSelect) opts.onSelect("edge", e.data(), g);
    });
    cy.on("tap", function (evt) {
      if (evt.target === cy) { g.clear(); if (opts.onSelect) opts.onSelect(null, null, g); }
    });
    return g;
  }

  function canExpand(n, opts) {
    return opts.expandUrl && expandable(n.data()) && !n.data().start && !n.hasClass("expanded");
  }

  /* The flow path of a node: the edges linking it to the start, in money-flow direction. */
  function pathOf(g, n) {
    return g.direction === "backward" ? n.successors() : n.predecessors();
  }

  function highlightPaths(g, id) {
    var cy = g.cy, n = cy.getElementById(id);
    if (n.empty()) return;
    cy.batch(function () {  // only what changes is restyled: fast on large graphs
      g.clear();
      pathOf(g, n).union(n).addClass("hl");
    });
  }

  function highlightEntities(g) {
    var cy = g.cy;
    cy.batch(function () {
      cy.elements().removeClass("hl").addClass("dim");  // everything else fades
      cy.nodes(".entity").forEach(function (n) {
        pathOf(g, n).union(n).removeClass("dim").addClass("hl");
      });
      cy.nodes(".start").removeClass("dim");
    });
  }

  /* Trace on from one node and merge what comes back: the new nodes, laid out in hop
   * columns of their own in a lane below the graph (what was drawn does not move), their
   * hops counted from the original start; new edges dashed. */
  function expand(g, id, hops, opts) {
    var cy = g.cy, parent = cy.getElementById(id);
    if (parent.empty() || g.busy) return Promise.resolve(null);
    var url = opts.expandUrl(parent.data(), hops);
    if (!url) return Promise.resolve(null);
    g.busy = true;
    if (opts.onStatus) opts.onStatus("Expanding " + shortId(id) + "\u2026");
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.detail || ("HTTP " + r.status));
          return body;
        });
      })
      .then(function (sub) {
        var base = parent.data("hop") || 0, added = 0, addedEdges = 0;
        var p0 = parent.position();
        var fresh = sub.nodes.filter(function (n) { return cy.getElementById(n.node).empty(); });
        var local = layered([{node: id, hop: 0, amount: parent.data("amount")}].concat(
          fresh.map(function (n) { return {node: n.node, hop: Math.max(1, n.hop || 0), amount: n.amount}; })),
          sub.edges, g.direction);
        var top = Infinity;
        fresh.forEach(function (n) { top = Math.min(top, local[n.node].y); });
        var lane = cy.nodes().boundingBox().y2 + 2 * ROW;
        cy.batch(function () {
          fresh.forEach(function (n) {
            var m = Object.assign({}, n, {hop: base + (n.hop || 0), start: false, expanded_from: id});
            var el = nodeElement(m, "expansion", base + (sub.summary ? sub.summary.max_hops : 1));
            var q = local[n.node], q0 = local[id];
            el.position = {x: p0.x + (q.x - q0.x), y: lane + (q.y - top)};
            cy.add(el);
            added++;
          });
          sub.edges.forEach(function (e) {
            var eid = edgeId(e);
            if (!cy.getElementById(eid).empty()) return;
            if (cy.getElementById(e.source).empty() || cy.getElementById(e.target).empty()) return;
            cy.add(edgeElement(Object.assign({}, e, {hop: base + (e.hop || 0), expanded_from: id}),
                               "expansion"));
            addedEdges++;
          });
          parent.addClass("expanded").removeClass("frontier");
        });
        if (added) cy.animate({fit: {eles: cy.nodes("[expanded_from = '" + id.replace(/'/g, "") + "']").union(parent),
                                     padding: 40}}, {duration: 250});
        g.expansions.push({node: id, hops: hops, added_nodes: added, added_edges: addedEdges, summary: sub.summary,
                           truncated: !!sub.truncated});
        g.busy = false;
        if (opts.onStatus) opts.onStatus((added || addedEdges) ? ("Expanded " + shortId(id) + ": " + added +
          " new nodes, " + addedEdges + " new edges" + (sub.truncated ? " (cut to the heaviest)" : "") +
          "; its whole value is followed") : ("Nothing further from " + shortId(id)));
        if (opts.onChange) opts.onChange(g);
        return sub;
      })
      .catch(function (err) {
        g.busy = false;
        if (opts.onStatus) opts.onStatus("Could not expand: " + err.message);
        return null;
      });
  }

  function exportJson(g) {
    var strip = function (d) {
      var o = Object.assign({}, d);
      ["id", "colour", "size", "caption", "width"].forEach(function (k) { delete o[k]; });
      return o;
    };
    return {
      format: "chaintrail-flow-graph", version: 1, summary: g.data.summary, terminals: g.data.terminals,
      truncated: g.data.truncated, expansions: g.expansions,
      nodes: g.cy.nodes().map(function (n) { return Object.assign(strip(n.data()), {position: n.position()}); }),
      edges: g.cy.edges().map(function (e) { return strip(e.data()); })
    };
  }

  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function legend(el, g) {
    var seen = {};
    g.cy.nodes().forEach(function (n) {
      var d = n.data();
      var key = d.kind === "fee" ? "fees" : (d.abuse || d.category || (d.entity_id ? "attributed" : "unattributed"));
      seen[key] = d.colour;
    });
    el.innerHTML = "";
    Object.keys(seen).sort().forEach(function (k) {
      var s = document.createElement("span");
      s.className = "lg";
      s.innerHTML = "<i style='background:" + seen[k] + "'></i>";
      s.appendChild(document.createTextNode(k.replace(/_/g, " ")));
      el.appendChild(s);
    });
  }

  global.ChaintrailGraph = {
    create: create, layered: layered, btc: btc, shortId: shortId, colourOf: colourOf,
    download: download, legend: legend, expandable: expandable, COLOURS: COLOURS
  };
})(window);
