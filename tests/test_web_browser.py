"""The web UI in Debian's headless Chromium (Playwright): search from the
box, the address and cluster pages with their tags and exposure charts,
and the trace graph: what is drawn matches the API's flow graph (nodes,
amounts on edges, colours by category), a click on a node highlights its
path and expands it with the API's trace from that node, and the PNG and
JSON exports download what is on screen."""

from __future__ import annotations

import json

import httpx
import pytest
from test_api_fixtures import browser_skip_reason, chromium, running

pytestmark = pytest.mark.skipif(browser_skip_reason() is not None, reason=browser_skip_reason() or "")

SAT = 100_000_000


def btc(sat: int) -> str:
    """The graph's edge caption of an amount (BTC, trailing zeros dropped)."""
    return f"{sat / SAT:.8f}".rstrip("0").rstrip(".") + " BTC"


@pytest.fixture(scope="module")
def base(eco):
    from chaintrail.api import create_app

    with running(create_app(eco["store"])) as url:
        yield url


@pytest.fixture(scope="module")
def facts(eco, base):
    import pyarrow.parquet as pq

    import chaintrail as ct

    chain = ct.open(eco["store"])
    addr, label = chain.sql("SELECT t.address, t.label FROM tags t JOIN addresses a USING (address) "
                            "WHERE t.category = 'exchange' ORDER BY t.address LIMIT 1").fetchall()[0]
    donation = pq.read_table(eco["truth"] / "donations.parquet")["donation_address"][0].as_py()
    tx = chain.sql("SELECT txid FROM txs WHERE n_outputs > 1 AND NOT is_coinbase ORDER BY tx_id "
                   "LIMIT 1").fetchall()[0][0]
    cid = httpx.get(f"{base}/api/v1/addresses/{addr}").json()["cluster_id"]
    return {"address": addr, "label": label, "donation": donation, "txid": tx, "cluster": cid}


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and
          not m.text.startswith("Failed to load resource") else None)
    pg.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and
          ("/static/" in r.url or "/api/" in r.url) else None)  # scripts, styles and the UI's API calls
    pg.errors = errors
    yield pg
    ctx.close()
    assert not errors, errors  # no script error on any page


def search(page, base: str, text: str) -> None:
    page.goto(base + "/")
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_load_state()


def test_search_box_finds_every_kind(page, base, facts):
    search(page, base, facts["txid"])
    assert page.url.endswith(f"/tx/{facts['txid']}") and facts["txid"] in page.inner_text("main")
    search(page, base, "42")  # a height, and maybe a cluster id too: then both are offered
    if "/search" in page.url:
        assert page.locator("a[href='/cluster/42']").count() == 1
        page.click("a[href='/block/42']")
    assert page.url.endswith("/block/42") and page.inner_text("h1") == "Block 42"
    search(page, base, f"cluster:{facts['cluster']}")
    assert page.url.endswith(f"/cluster/{facts['cluster']}")
    block_hash = httpx.get(f"{base}/api/v1/blocks/42").json()["hash"]
    search(page, base, block_hash)
    assert page.url.endswith("/block/42")
    search(page, base, "no-such-thing")
    assert "Nothing in this store matches" in page.inner_text("main")


def test_address_page_tags_exposure_and_links(page, base, facts):
    search(page, base, facts["address"])
    assert page.url.endswith(f"/address/{facts['address']}")
    assert facts["label"] in page.inner_text("main")  # its tag
    page.wait_for_selector("#exposure.loaded", timeout=120_000)
    charts = page.locator("#exposure svg")
    assert charts.count() >= 2  # composition and category bars at least
    exposure = httpx.get(f"{base}/api/v1/exposure", params={"target": facts["address"]}).json()
    cats = {c["category"] for side in ("incoming", "outgoing") if exposure.get(side)
            for c in exposure[side]["by_category"]}
    text = page.inner_text("#exposure")
    assert cats and all(c in text for c in cats)  # every category of the API's figures is charted
    # links from the page: its cluster, a transaction, a block
    page.click(f"a[href='/cluster/{facts['cluster']}']")
    assert page.url.endswith(f"/cluster/{facts['cluster']}")
    assert facts["label"] in page.inner_text("main")  # the cluster carries the label
    first_member = page.locator("table.grid a[href^='/address/']").first
    member = first_member.inner_text()
    first_member.click()
    assert page.url.endswith(f"/address/{member}")
    page.locator("table.grid a[href^='/tx/']").first.click()
    assert "/tx/" in page.url
    page.locator("a[href^='/block/']").first.click()
    assert "/block/" in page.url


def _open_trace(page, base, start: str, hops: int) -> dict:
    page.goto(f"{base}/trace?start={start}&direction=backward&max_hops={hops}&max_nodes=400")
    page.wait_for_function("() => document.querySelector('.graph').dataset.ready === '1' || "
                           "document.getElementById('trace-root').classList.contains('failed')",
                           timeout=120_000)
    assert page.get_attribute(".graph", "data-ready") == "1", page.inner_text(".trace-status")
    return httpx.get(f"{base}/api/v1/trace", params={"start": start, "direction": "backward",
                                                      "max_hops": hops, "max_nodes": 400,
                                                      "level": "address"}, timeout=120).json()


def test_trace_graph_draws_the_api_graph(page, base, facts):
    api = _open_trace(page, base, facts["donation"], 1)
    far = page.evaluate("""() => { const cy = window.chaintrailGraph.cy; cy.zoom(0.1);
      return cy.edges().map(e => e.style('label')); }""")
    assert set(far) == {""}  # too small to read: not drawn
    drawn = page.evaluate("""() => { const cy = window.chaintrailGraph.cy; cy.zoom(1.2);
      return {nodes: cy.nodes().map(n => ({id: n.id(), colour: n.style('background-color'),
                                           category: n.data('abuse') || n.data('category') || null,
                                           kind: n.data('kind'),
                                           attributed: !!n.data('entity_id'), visible: n.visible()})),
              edges: cy.edges().map(e => ({s: e.data('source'), t: e.data('target'),
                                           label: e.style('label'), visible: e.visible()}))}; }""")
    assert {n["id"] for n in drawn["nodes"]} == {n["node"] for n in api["nodes"]}
    assert all(n["visible"] for n in drawn["nodes"]) and all(e["visible"] for e in drawn["edges"])
    amounts = {(e["source"], e["target"]): e["amount"] for e in api["edges"]}
    assert {(e["s"], e["t"]) for e in drawn["edges"]} == set(amounts)
    for e in drawn["edges"]:  # zoomed in, every edge is labelled with its amount
        assert e["label"] == btc(amounts[(e["s"], e["t"])])
    by_cat: dict = {}
    for n in drawn["nodes"]:
        key = n["category"] if n["attributed"] else ("fee" if n["kind"] == "fee" else None)
        by_cat.setdefault(key, set()).add(n["colour"])
    assert len(by_cat) >= 3 and all(len(c) == 1 for c in by_cat.values())  # one colour per category
    assert by_cat["exchange"] != by_cat[None]  # attributed nodes stand out from unattributed ones
    # the terminals table lists where the flow ended, with amounts
    rows = page.locator("table.terminals tr").count() - 1
    assert rows == min(200, len(api["terminals"]))


def test_click_highlights_path_and_expands(page, base, facts):
    _open_trace(page, base, facts["donation"], 1)
    target = page.evaluate("""() => { const cy = window.chaintrailGraph.cy;
      const n = cy.nodes('.frontier').sort((a, b) => b.data('amount') - a.data('amount')).first();
      cy.zoom(1.5); cy.center(n); return n.id(); }""")
    assert target
    before = int(page.get_attribute(".graph", "data-nodes"))
    pos = page.evaluate(f"() => window.chaintrailGraph.cy.getElementById({json.dumps(target)}).renderedPosition()")
    box = page.locator(".graph").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])  # a real click on the drawn node
    # the details panel names it and its path to the start is highlighted
    assert target in page.inner_text(".details")
    hl = page.evaluate("() => window.chaintrailGraph.cy.edges('.hl').map(e => [e.data('source'), e.data('target')])")
    assert [target, facts["donation"]] in [list(x) for x in hl]
    page.wait_for_function("() => document.querySelector('.graph').dataset.expansions === '1'",
                           timeout=120_000)
    sub = httpx.get(f"{base}/api/v1/trace", params={"start": target, "direction": "backward",
                                                    "max_hops": 1, "max_nodes": 300, "level": "address",
                                                    "policy": "haircut"}, timeout=120).json()
    state = page.evaluate("""() => { const g = window.chaintrailGraph; g.cy.stop(); g.cy.zoom(1.2);
      return {ids: g.cy.nodes().map(n => n.id()), expanded: g.cy.nodes('.expanded').map(n => n.id()),
              edges: g.cy.edges('.expansion').map(e => [e.data('source'), e.data('target'), e.style('label')])}; }""")
    new = {n["node"] for n in sub["nodes"]} - {target}
    assert new and new <= set(state["ids"])  # everything the API traced from it is drawn now
    assert len(state["ids"]) > before and state["expanded"] == [target]
    sub_edges = {(e["source"], e["target"]): e["amount"] for e in sub["edges"]}
    drawn_new = {(s, t): lbl for s, t, lbl in state["edges"]}
    assert drawn_new and all(lbl == btc(sub_edges[k]) for k, lbl in drawn_new.items())
    assert "Expanded" in page.inner_text(".trace-status")


def test_png_and_json_export(page, base, facts, tmp_path):
    _open_trace(page, base, facts["donation"], 1)
    n_nodes = page.evaluate("() => window.chaintrailGraph.cy.nodes().length")
    with page.expect_download() as dl:
        page.click(".btn-png")
    png = tmp_path / "g.png"
    dl.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    with page.expect_download() as dl:
        page.click(".btn-json")
    js = tmp_path / "g.json"
    dl.value.save_as(js)
    doc = json.loads(js.read_text())
    assert doc["format"] == "chaintrail-flow-graph" and len(doc["nodes"]) == n_nodes
    assert all(isinstance(e["amount"], int) for e in doc["edges"])
    assert doc["summary"]["start"]["ref"] == facts["donation"]
