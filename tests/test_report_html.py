"""`chaintrail report ADDRESS|CLUSTER_ID --out report.html`: one HTML file
with the summary, tags, exposure charts, the trace graph and the evidence
table, which opens with no network (checked in Chromium with every request
refused) and whose figures are the API's."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from test_api_fixtures import browser_skip_reason, chromium


@pytest.fixture(scope="module")
def donation(eco):
    import pyarrow.parquet as pq

    return pq.read_table(eco["truth"] / "donations.parquet")["donation_address"][0].as_py()


def report(eco, ref: str, out, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chaintrail", "report", ref, "--out", str(out),
                           "--store", str(eco["store"]), "--max-hops", "3", *extra],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def address_report(eco, donation, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    p = report(eco, donation, out)
    assert p.returncode == 0, p.stderr
    return out


def _graph_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', html, re.S)
    assert m, "the report embeds its graph"
    return json.loads(m.group(1))


def test_report_is_self_contained(address_report):
    html = address_report.read_text()
    # nothing is loaded from anywhere: no external scripts, styles, images, frames or fonts
    assert not re.search(r"<(script|img|iframe|link|source|embed|object)\b[^>]*\b(src|href)=", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert not re.search(r"@import", html)
    for attr in re.findall(r"\b(?:src|href)=\"([^\"]*)\"", html):
        assert not attr.startswith(("http:", "https:", "//", "/")), attr  # no server or web links
    assert "cytoscape" in html and "ChaintrailTraceView.mount" in html  # the library is inlined


def test_report_figures_are_the_apis(address_report, eco_api, donation):
    html = address_report.read_text()
    a = eco_api.get(f"/api/v1/addresses/{donation}").json()
    assert donation in html and f"{a['n_txs']:,}" in html
    exp = eco_api.get("/api/v1/exposure", params={"target": donation, "max_hops": 3, "explain": True}).json()
    evidence_txids = {t for side in ("incoming", "outgoing") if exp.get(side)
                      for depth in ("direct", "indirect") for f in exp[side][depth]
                      for ev in f["evidence"] for t in ev["txids"]}
    assert evidence_txids
    table = html[html.index("<h2>Evidence</h2>"):]
    shown = set(re.findall(r"[0-9a-f]{64}", table))
    assert shown & evidence_txids and len(shown & evidence_txids) >= min(20, len(evidence_txids)) // 2
    for side in ("incoming", "outgoing"):
        for f in (exp.get(side) or {}).get("direct", [])[:5]:
            assert f["label"] in html  # the entities of the exposure tables
    graph = _graph_data(html)
    g = eco_api.get("/api/v1/trace", params={"start": donation, "max_hops": 3, "max_nodes": 400}).json()
    assert {n["node"] for n in graph["nodes"]} == {n["node"] for n in g["nodes"]}
    assert graph["summary"]["injected"] == g["summary"]["injected"]
    assert html.count("<svg") >= 3  # exposure charts


def test_report_opens_offline_and_is_interactive(address_report, tmp_path):
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    html = address_report.read_text()
    n_nodes = len(_graph_data(html)["nodes"])
    with chromium() as browser:
        ctx = browser.new_context(offline=True, viewport={"width": 1300, "height": 900})
        requests: list[str] = []

        def gate(route):
            requests.append(route.request.url)
            if route.request.url.startswith("file:"):
                return route.continue_()
            return route.abort()

        ctx.route("**/*", gate)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(address_report.as_uri())
        page.wait_for_selector(".graph[data-ready='1']", timeout=60_000)
        drawn = page.evaluate("() => window.chaintrailGraph.cy.nodes().length")
        assert drawn == n_nodes
        page.locator(".graph").scroll_into_view_if_needed()
        node = page.evaluate("""() => { const cy = window.chaintrailGraph.cy;
          const n = cy.nodes('[!start]').filter(x => x.data('kind') === 'address').first();
          cy.center(n); return n.id(); }""")
        pos = page.evaluate(f"() => window.chaintrailGraph.cy.getElementById({json.dumps(node)}).renderedPosition()")
        box = page.locator(".graph").bounding_box()
        page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
        assert node in page.inner_text(".details")
        assert page.evaluate("() => window.chaintrailGraph.cy.elements('.hl').length") >= 2  # its path
        assert page.evaluate("() => window.chaintrailGraph.expansions.length") == 0  # no server to ask
        ctx.close()
    assert requests == [address_report.as_uri()] and not errors


def test_cluster_report(eco, eco_api, tmp_path):
    big = eco_api.get("/api/v1/search", params={"q": "cluster:0"})  # any valid request warms the app
    assert big.status_code == 200
    import chaintrail as ct

    cid, n = ct.open(eco["store"]).sql("SELECT cluster_id, n_addresses FROM clusters "
                                       "ORDER BY n_addresses DESC LIMIT 1").fetchall()[0]
    out = tmp_path / "cluster.html"
    p = report(eco, str(cid), out, "--json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    html = out.read_text()
    assert info["bytes"] == len(html.encode()) and f"Cluster {cid}" in html and f"{n:,}" in html
    summary = eco_api.get(f"/api/v1/clusters/{cid}").json()
    assert all(lab["label"] in html for lab in summary["labels"][:3])
    assert _graph_data(html)["summary"]["start"]["ref"] == f"cluster:{cid}"


def test_report_bad_reference(eco, tmp_path):
    p = report(eco, "not-an-address", tmp_path / "x.html")
    assert p.returncode != 0 and not (tmp_path / "x.html").exists()
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "not-an-address" in lines[0]
    p = report(eco, "99999999", tmp_path / "y.html")
    assert p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1


def test_report_download_from_the_ui(eco_api, donation):
    r = eco_api.get("/report", params={"ref": donation, "max_hops": 2})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert donation in r.text and "graph-data" in r.text
