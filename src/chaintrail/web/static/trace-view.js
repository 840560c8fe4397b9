/* The trace view around a ChaintrailGraph: the details panel, the legend, the
 * terminals table, the tool buttons and exports. The trace page feeds it a graph
 * fetched from the API; a report feeds it the graph embedded in the file (no
 * server: links and expansion are off there). */
(function (global) {
  "use strict";
  var G = global.ChaintrailGraph;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function linkOf(d, live) {
    if (!live) return null;
    if (d.kind === "address") return "/address/" + encodeURIComponent(d.node);
    if (d.kind === "cluster") return "/cluster/" + d.node.split(":")[1];
    if (d.kind === "output") {
      var p = d.node.split(":");
      return "/tx/" + p[0] + "#vout-" + p[1];
    }
    return null;
  }

  function row(table, key, value, href) {
    var tr = el("tr");
    tr.appendChild(el("th", {}, key));
    var td = el("td");
    if (href) { var a = el("a", {href: href}, value); td.appendChild(a); } else { td.textContent = value; }
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function showDetails(panel, kind, d, g, ctx) {
    panel.innerHTML = "";
    if (!kind) { panel.appendChild(el("p", {"class": "muted"}, "Click a node or an edge.")); return; }
    var t = el("table", {"class": "kv"});
    if (kind === "node") {
      panel.appendChild(el("h3", {}, d.label || d.kind));
      row(t, d.kind, d.node, linkOf(d, ctx.live));
      if (d.entity_id) row(t, "entity", (d.label || d.entity_id) + (d.category ? " (" + d.category + ")" : "") +
                                        (d.abuse ? " \u2013 " + d.abuse : ""));
      row(t, "flow reached", G.btc(d.amount));
      row(t, "value held", G.btc(d.value));
      row(t, "hop", String(d.hop));
      if (d.terminal_amount) row(t, "flow ended here", G.btc(d.terminal_amount));
      if (d.outputs) row(t, "outputs", String(d.outputs));
      if (d.expanded_from) row(t, "expanded from", d.expanded_from);
      panel.appendChild(t);
      var bar = el("div", {"class": "actions"});
      if (ctx.live && G.expandable(d) && !d.start) {
        var b = el("button", {type: "button", id: "btn-expand"}, "Expand");
        b.onclick = function () { g.expand(d.node, ctx.expandHops()); };
        bar.appendChild(b);
        var q = "start=" + encodeURIComponent(d.node) + "&direction=" + g.direction;
        bar.appendChild(el("a", {"class": "btn", href: "/trace?" + q}, "Trace from here"));
        if (d.kind !== "output") {
          bar.appendChild(el("a", {"class": "btn", href: "/exposure?target=" + encodeURIComponent(d.node)},
                             "Exposure"));
        }
      }
      panel.appendChild(bar);
    } else {
      panel.appendChild(el("h3", {}, "Flow"));
      row(t, "from", d.source, linkOf({kind: kindOf(d.source), node: d.source}, ctx.live));
      row(t, "to", d.target, linkOf({kind: kindOf(d.target), node: d.target}, ctx.live));
      row(t, "amount", G.btc(d.amount));
      row(t, "hops", d.hop === d.max_hop ? String(d.hop) : d.hop + "\u2013" + d.max_hop);
      row(t, "transactions", String(d.n_txs));
      if (d.txid) row(t, "transaction", d.txid, ctx.live ? "/tx/" + d.txid : null);
      panel.appendChild(t);
    }
  }

  function kindOf(id) {
    if (id === "fee") return "fee";
    if (id.indexOf("cluster:") === 0) return "cluster";
    if (/^[0-9a-f]{64}:\d+$/.test(id)) return "output";
    return "address";
  }

  function terminalsTable(table, terms) {
    table.innerHTML = "";
    var head = el("tr");
    ["where", "entity", "category", "amount", "share", "hops"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
    table.appendChild(head);
    (terms || []).slice(0, 200).forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, r.kind.replace(/_/g, " ")));
      tr.appendChild(el("td", {}, r.label || ""));
      tr.appendChild(el("td", {}, r.category || ""));
      tr.appendChild(el("td", {"class": "r"}, G.btc(r.amount)));
      tr.appendChild(el("td", {"class": "r"}, (100 * r.share).toFixed(2) + "%"));
      tr.appendChild(el("td", {"class": "r"}, r.min_hop === r.max_hop ? String(r.min_hop) : r.min_hop + "\u2013" + r.max_hop));
      table.appendChild(tr);
    });
  }

  function summaryText(data, stats) {
    var s = data.summary || {};
    var txt = s.direction + " " + s.policy + " trace of " + G.btc(s.injected) + " from " +
              (s.start ? s.start.ref : "?") + ": " + stats.nodes + " nodes, " + stats.edges + " edges, " +
              (s.txs || 0) + " transactions";
    if (data.truncated) txt += " (cut to the heaviest " + data.nodes.length + " of " + data.nodes_total + " nodes)";
    if (s.budget_exhausted) txt += "; the work budget ran out";
    return txt + ".";
  }

  /* Mount a view. root holds #graph, #details, #legend, #terminals, #trace-status and the tools. */
  function mount(root, data, ctx) {
    var q = function (sel) { return root.querySelector(sel); };
    var container = q(".graph");
    var status = q(".trace-status");
    var setStatus = function (m) { if (status) status.textContent = m; };
    var t0 = global.performance ? performance.now() : 0;
    var g = G.create(container, data, {
      expandUrl: ctx.live ? ctx.expandUrl : null,
      clickExpands: function () { var c = q(".click-expands"); return ctx.live && c && c.checked; },
      onSelect: function (kind, d, gr) { showDetails(q(".details"), kind, d, gr, ctx); },
      onStatus: setStatus,
      onChange: function (gr) {
        G.legend(q(".legend"), gr);
        container.dataset.nodes = gr.cy.nodes().length;
        container.dataset.expansions = gr.expansions.length;
      }
    });
    G.legend(q(".legend"), g);
    terminalsTable(q(".terminals"), data.terminals);
    setStatus(summaryText(data, g.stats()));
    var bind = function (sel, fn) { var b = q(sel); if (b) b.onclick = fn; };
    bind(".btn-fit", function () { g.cy.fit(undefined, 30); });
    bind(".btn-paths", function () { g.highlightEntities(); });
    bind(".btn-clear", function () { g.clear(); });
    bind(".btn-png", function () { G.download(g.png(), (ctx.name || "trace") + ".png"); });
    bind(".btn-json", function () {
      var blob = new Blob([JSON.stringify(g.json(), null, 1)], {type: "application/json"});
      G.download(blob, (ctx.name || "trace") + ".json");
    });
    container.dataset.nodes = g.cy.nodes().length;
    container.dataset.expansions = 0;
    g.cy.one("render", function () {
      container.dataset.ready = "1";
      container.dataset.drawMs = Math.round((global.performance ? performance.now() : 0) - t0);
    });
    g.cy.forceRender && g.cy.forceRender();
    global.chaintrailGraph = g;
    return g;
  }

  global.ChaintrailTraceView = {mount: mount, kindOf: kindOf};
})(window);
