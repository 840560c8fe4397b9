"""The UI's server-rendered pages (httpx over ASGI, no browser): every page
links onwards (blocks, transactions, addresses, clusters, traces), unknown
ids give an HTML 404 page, exposure and audit pages show their figures."""

from __future__ import annotations

import re

import pytest
from test_api_fixtures import Api


@pytest.fixture(scope="module")
def ui(eco):
    from chaintrail.api import create_app

    client = Api(create_app(eco["store"]), headers={"Accept": "text/html"})
    yield client
    client.close()


@pytest.fixture(scope="module")
def donation(eco):
    import pyarrow.parquet as pq

    return pq.read_table(eco["truth"] / "donations.parquet")["donation_address"][0].as_py()


def links(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf'href="({re.escape(prefix)}[^"#?]*)', html))


def test_pages_link_to_each_other(ui, donation):
    home = ui.get("/").text
    assert links(home, "/block/") and "/trace" in home and "/docs" in home
    a = ui.get(f"/address/{donation}")
    assert a.status_code == 200
    txs = links(a.text, "/tx/")
    assert txs and links(a.text, "/cluster/") and links(a.text, "/block/")
    assert f"/trace?start={donation}" in a.text and f"/report?ref={donation}" in a.text
    tx = ui.get(sorted(txs)[0]).text
    assert f"/address/{donation}" in tx and links(tx, "/block/")
    assert "/trace?start=" in tx  # each output traces on
    block = ui.get(sorted(links(tx, "/block/"))[0]).text
    assert links(block, "/tx/") and "Transactions" in block
    cluster = ui.get(sorted(links(a.text, "/cluster/"))[0]).text
    assert f"/address/{donation}" in cluster or links(cluster, "/address/")


def test_unknown_ids_are_html_404(ui):
    for url in ("/tx/" + "ab" * 32, "/address/mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrY8", "/block/99999",
                "/cluster/999999999", "/no-such-page"):
        r = ui.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), url
        assert "<h1>Not found</h1>" in r.text and 'name="q"' in r.text  # the search box is there


def test_exposure_page_shows_figures_and_evidence(ui, donation):
    r = ui.get("/exposure", params={"target": donation, "max_hops": 3})
    assert r.status_code == 200 and "<svg" in r.text
    assert "Direct" in r.text and links(r.text, "/tx/")  # the evidence transactions link
    frag = ui.get("/fragments/exposure", params={"target": donation}).text
    assert "<svg" in frag and "Incoming" in frag


def test_privacy_audit_page(ui, donation):
    r = ui.get("/audit", params={"address": donation, "hops": 2})
    assert r.status_code == 200 and donation in r.text


def test_trace_page_asks_the_api(ui, donation):
    r = ui.get("/trace", params={"start": donation, "max_hops": 2})
    assert r.status_code == 200
    assert "/static/vendor/cytoscape.min.js" in r.text and "chaintrailTraceFetch" in r.text
    assert "/api/v1/trace?start=" in r.text
    empty = ui.get("/trace").text
    assert "chaintrailTraceFetch" not in empty  # nothing to trace yet
