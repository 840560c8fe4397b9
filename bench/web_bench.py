"""Issue 7's figures, over the shared 10M-transaction simulated store (the
clustered and tagged copy when it is ready) served by `chaintrail serve`
on loopback:

- address JSON latency (p50/p95/p99) with 20 concurrent clients, measured
  with wrk (a C load generator; Debian's package) replaying 2,000 random
  addresses; without wrk, an httpx async generator of 20 clients is used
  instead (the figure says which);
- a 500-node trace graph in headless Chromium: the time from navigation to
  the graph drawn, and to the first click on a node answered (its path
  highlighted and its details shown), with the server's trace time and the
  browser-only time (from the API's answer to interactive) separately.

The server runs in its own process; the store is only read.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import ROOT, median

STORES = [ROOT / "bench" / "stores" / "sim10m-clustered", ROOT / "bench" / "stores" / "sim10m"]
CLIENTS = 20
N_ADDRESSES = 2000
GRAPH_NODES = 500
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

_WRK_SCRIPT = r'''
local paths = {}
for line in io.lines(os.getenv("WRK_ADDRS")) do paths[#paths + 1] = "/api/v1/addresses/" .. line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\n{"requests": %d, "seconds": %.3f, "errors": %d, "non2xx": %d, ' ..
    '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3))
end
'''


def _store() -> Path | None:
    for s in STORES:
        if s.is_dir() and Path(str(s) + ".READY").exists():
            return s
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`chaintrail serve` over a store in a child process."""

    def __init__(self, store: Path, work: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CHAINTRAIL_CACHE": str(work / "web-cache")}
        env.pop("CHAINTRAIL_API_KEYS", None)
        self.log = open(work / "web-serve.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "chaintrail", "serve", "--store", str(store),
                                      "--port", str(self.port)], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        import httpx

        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(self.base + "/api/v1/status", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {(work / 'web-serve.log').read_text()[-2000:]}")
            time.sleep(0.5)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _sample_addresses(store: Path, n: int) -> list[str]:
    """n addresses drawn uniformly by address id (seeded)."""
    import numpy as np

    import chaintrail as ct

    chain = ct.open(store)
    total = int(chain._store.manifest.counts["addresses"])
    ids = np.random.default_rng(7).choice(total, size=n, replace=False)
    return [chain.address_by_id(int(i)).address for i in ids]


def _wrk(base: str, addr_file: Path, script: Path, seconds: int) -> dict:
    p = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "-s", str(script), base],
                       capture_output=True, text=True, env={**os.environ, "WRK_ADDRS": str(addr_file)})
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed: {p.stderr.strip()[-500:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _httpx_load(base: str, addresses: list[str], seconds: int) -> dict:
    """20 concurrent async clients, each sending its next request when the last is answered."""
    import asyncio

    import httpx

    async def main() -> dict:
        lat: list[float] = []
        errors = 0
        end = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            async def worker(k: int) -> None:
                nonlocal errors
                i = k
                while time.perf_counter() < end:
                    t = time.perf_counter()
                    r = await client.get(f"/api/v1/addresses/{addresses[i % len(addresses)]}")
                    lat.append(time.perf_counter() - t)
                    errors += r.status_code != 200
                    i += CLIENTS
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(k) for k in range(CLIENTS)))
            took = time.perf_counter() - t0
        lat.sort()
        q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1e3  # noqa: E731
        return {"requests": len(lat), "seconds": took, "errors": 0, "non2xx": errors,
                "p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": lat[-1] * 1e3}

    return asyncio.run(main())


def measure_address_load(server: Server, store: Path, work: Path, runs: int, seconds: int) -> dict:
    """Median latency figures of `runs` load runs (after a warm-up run)."""
    addresses = _sample_addresses(store, N_ADDRESSES)
    addr_file = work / "web-addresses.txt"
    addr_file.write_text("\n".join(addresses) + "\n")
    script = work / "web-address.lua"
    script.write_text(_WRK_SCRIPT)
    tool = "wrk" if shutil.which("wrk") else "httpx-async"

    def once(secs: int) -> dict:
        load = os.getloadavg()[0]
        r = (_wrk(server.base, addr_file, script, secs) if tool == "wrk"
             else _httpx_load(server.base, addresses, secs))
        r["rps"] = r["requests"] / r["seconds"]
        r["load_before"] = load
        return r

    once(3)  # warm-up: page cache of the index arrays
    out = [once(seconds) for _ in range(runs)]
    return {"tool": tool, "runs": out, **{k: median([r[k] for r in out])
                                          for k in ("p50_ms", "p95_ms", "p99_ms", "rps", "load_before")}}


def _graph_starts(base: str, store: Path, want: int) -> list[str]:
    """Addresses (seeded sample) whose 6-hop forward trace has at least GRAPH_NODES nodes."""
    import httpx

    starts = []
    for a in _sample_addresses(store, 400):
        g = httpx.get(base + "/api/v1/trace", params={"start": a, "direction": "forward", "max_hops": 6,
                                                      "max_nodes": GRAPH_NODES}, timeout=300).json()
        if len(g.get("nodes", [])) >= GRAPH_NODES:
            starts.append(a)
            if len(starts) == want:
                break
    return starts


def measure_graph(server: Server, store: Path, runs: int) -> dict | None:
    """Navigation -> 500-node graph drawn -> first click answered, in headless Chromium."""
    if not CHROMIUM.exists():
        print(f"web bench: {CHROMIUM} is missing, no graph figure")
        return None
    from playwright.sync_api import sync_playwright

    starts = _graph_starts(server.base, store, 3)
    if not starts:
        print("web bench: no start with a 500-node trace found")
        return None
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for k in range(runs):
                for a in starts:
                    rows.append(_one_graph(browser, server.base, a, first=k == 0))
        finally:
            browser.close()
    rows = [r for r in rows if not r.pop("warm_up")]
    keys = ("drawn_ms", "interactive_ms", "server_ms", "browser_ms", "draw_only_ms")
    return {"starts": starts, "runs": rows, "nodes": median([r["nodes"] for r in rows]),
            **{k: median([r[k] for r in rows]) for k in keys},
            "max_interactive_ms": max(r["interactive_ms"] for r in rows)}


def _one_graph(browser, base: str, start: str, first: bool) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    url = f"{base}/trace?start={start}&direction=forward&max_hops=6&max_nodes={GRAPH_NODES}"
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => { const g = document.querySelector('.graph');"
                           " return g && g.dataset.ready === '1'; }", timeout=300_000, polling=10)
    t_drawn = page.evaluate("() => performance.now()")
    node = page.evaluate("""() => { const cy = window.chaintrailGraph.cy;
      const n = cy.nodes('[!start]').sort((a, b) => b.data('amount') - a.data('amount')).first();
      const p = n.renderedPosition(); return {id: n.id(), x: p.x, y: p.y}; }""")
    box = page.locator(".graph").bounding_box()
    page.evaluate("() => { document.querySelector('.click-expands').checked = false; }")  # measure the click only
    page.mouse.click(box["x"] + node["x"], box["y"] + node["y"])
    page.wait_for_function("(id) => document.querySelector('.details').textContent.includes(id) && "
                           "window.chaintrailGraph.cy.edges('.hl').length > 0", arg=node["id"], polling=10)
    t_click = page.evaluate("() => performance.now()")
    timing = page.evaluate("""() => { const e = performance.getEntriesByType('resource')
        .filter(r => r.name.includes('/api/v1/trace'))[0];
      return {start: e.startTime, end: e.responseEnd,
              draw: +document.querySelector('.graph').dataset.drawMs,
              nodes: window.chaintrailGraph.cy.nodes().length}; }""")
    page.close()
    return {"start": start, "warm_up": first, "nodes": timing["nodes"], "drawn_ms": t_drawn,
            "interactive_ms": t_click, "server_ms": timing["end"] - timing["start"],
            "browser_ms": t_click - timing["end"] - 0.0, "draw_only_ms": timing["draw"]}


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    store = _store()
    if store is None:
        print("skipping web: no ready 10M store in bench/stores (sim10m-clustered or sim10m)")
        return
    runs = repeats or (1 if quick else 5)
    server = Server(store, work)
    try:
        load = measure_address_load(server, store, work, runs, 5 if quick else 10)
        graph = measure_graph(server, store, max(2, runs if not quick else 2))
    finally:
        server.close()
    figures = [{
        "name": f"address JSON, {CLIENTS} concurrent clients ({load['tool']}), {store.name}",
        "value": f"p95 {load['p95_ms']:.1f} ms (p50 {load['p50_ms']:.1f}, p99 {load['p99_ms']:.1f}; "
                 f"{load['rps']:.0f} req/s; median of {runs}, load {load['load_before']:.1f})",
        "target": "p95 < 50 ms"}]
    if graph:
        figures.append({
            "name": f"{GRAPH_NODES}-node trace graph in headless Chromium, {store.name}",
            "value": f"interactive {graph['interactive_ms']:.0f} ms after navigation (drawn "
                     f"{graph['drawn_ms']:.0f}; server trace {graph['server_ms']:.0f}, browser "
                     f"{graph['browser_ms']:.0f}; worst {graph['max_interactive_ms']:.0f}; "
                     f"median of {len(graph['runs'])})",
            "target": "< 2 s"})
    results.put("web", {"figures": figures, "store": str(store.relative_to(ROOT)), "address_load": load,
                        "graph": graph, "clients": CLIENTS})
    for f in figures:
        print(f"web: {f['name']}: {f['value']} (target {f['target']})")
