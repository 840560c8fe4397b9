/* The trace page: fetch the flow graph named by the page's query from the API and
 * mount the trace view; expansions ask the API for a trace from the clicked node. */
(function () {
  "use strict";
  var root = document.getElementById("trace-root");
  if (!root) return;
  var api = root.dataset.api;
  var status = root.querySelector(".trace-status");
  if (!api) { status.textContent = "Enter where to start: an address, a txid, txid:vout or cluster:ID."; return; }
  if (!window.cytoscape) {
    status.textContent = "Cytoscape.js is not installed on this server: run `make setup` (npm ci).";
    return;
  }
  var params = new URLSearchParams(api.split("?")[1]);
  var hopsInput = root.querySelector(".expand-hops");
  var ctx = {
    live: true,
    name: "trace-" + (params.get("start") || "").replace(/[^A-Za-z0-9]+/g, "-").slice(0, 40),
    expandHops: function () { return Math.max(1, Math.min(6, parseInt(hopsInput && hopsInput.value, 10) || 1)); },
    expandUrl: function (d, hops) {
      var p = new URLSearchParams(params);
      p.set("start", d.node);
      p.set("max_hops", String(hops || ctx.expandHops()));
      p.set("max_nodes", "300");
      return "/api/v1/trace?" + p.toString();
    }
  };
  status.textContent = "Tracing\u2026";
  (window.chaintrailTraceFetch || fetch(api, {headers: {"Accept": "application/json"}, credentials: "same-origin"}))
    .then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body.detail || ("HTTP " + r.status));
        return body;
      });
    })
    .then(function (data) { window.ChaintrailTraceView.mount(root, data, ctx); })
    .catch(function (err) { status.textContent = "The trace failed: " + err.message; root.classList.add("failed"); });
})();
