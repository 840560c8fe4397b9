"""The analysis endpoints over a simulated economy that is clustered and
tagged (httpx over ASGI): clusters and their pages, tags, batch screening,
trace graphs within budgets and node limits, exposure, privacy audit."""

from __future__ import annotations

import pytest

import chaintrail as ct


@pytest.fixture(scope="module")
def facts(eco):
    """An exchange-tagged address, its cluster, the biggest cluster, the donation address."""
    import pyarrow.parquet as pq

    chain = ct.open(eco["store"])
    addr, label = chain.sql("SELECT t.address, t.label FROM tags t JOIN addresses a USING (address) "
                            "WHERE t.category = 'exchange' ORDER BY t.address LIMIT 1").fetchall()[0]
    big = chain.sql("SELECT cluster_id, n_addresses FROM clusters ORDER BY n_addresses DESC LIMIT 1").fetchall()[0]
    donation = pq.read_table(eco["truth"] / "donations.parquet")["donation_address"][0].as_py()
    return {"address": addr, "label": label, "big": int(big[0]), "big_n": int(big[1]),
            "donation": donation}


def test_address_links_to_its_cluster(eco_api, facts):
    a = eco_api.get(f"/api/v1/addresses/{facts['address']}").json()
    assert isinstance(a["cluster_id"], int)
    c = eco_api.get(f"/api/v1/clusters/{a['cluster_id']}").json()
    assert c["cluster_id"] == a["cluster_id"]
    assert any(x["label"] == facts["label"] for x in c["labels"])


def test_cluster_members_paginated(eco_api, facts):
    cid, n = facts["big"], facts["big_n"]
    first = eco_api.get(f"/api/v1/clusters/{cid}/addresses", params={"limit": 100}).json()
    assert first["total"] == n and len(first["items"]) == min(100, n)
    seen = {r["address"] for r in first["items"]}
    offset, pages = first["next_offset"], 1
    while offset is not None:
        page = eco_api.get(f"/api/v1/clusters/{cid}/addresses", params={"limit": 100, "offset": offset}).json()
        seen |= {r["address"] for r in page["items"]}
        offset, pages = page["next_offset"], pages + 1
    assert len(seen) == n  # every member exactly once across pages
    r = eco_api.get(f"/api/v1/clusters/{cid}/addresses", params={"limit": 1001})
    assert r.status_code == 422
    assert eco_api.get("/api/v1/clusters/999999999").status_code == 404


def test_search_finds_clusters(eco_api, facts):
    hits = eco_api.get("/api/v1/search", params={"q": f"cluster:{facts['big']}"}).json()["results"]
    assert hits == [{"kind": "cluster", "id": str(facts["big"]), "label": f"cluster {facts['big']}",
                     "url": f"/cluster/{facts['big']}", "api": f"/api/v1/clusters/{facts['big']}"}]


def test_why(eco_api, facts):
    cid = facts["big"]
    two = eco_api.get(f"/api/v1/clusters/{cid}/addresses", params={"limit": 2}).json()["items"]
    w = eco_api.get("/api/v1/why", params={"a": two[0]["address"], "b": two[1]["address"]}).json()
    assert w["linked"] and w["steps"] and all(len(s["txid"]) == 64 for s in w["steps"])


def test_tags(eco_api, facts):
    t = eco_api.get(f"/api/v1/tags/{facts['address']}").json()
    assert any(x["label"] == facts["label"] for x in t["tags"])
    c = eco_api.get(f"/api/v1/tags/{facts['big']}").json()
    assert c["cluster_id"] == facts["big"]


def test_screen_batch(eco_api, facts):
    body = {"addresses": [facts["address"], facts["donation"], "not-an-address"], "fail_on": "any"}
    r = eco_api.post("/api/v1/screen", json=body).json()
    by = {x["address"]: x for x in r["results"]}
    assert by[facts["address"]]["hit"] and "tagged" in by[facts["address"]]["hits"]
    assert by["not-an-address"]["status"] == "error" and not by["not-an-address"]["valid"]
    assert r["counts"]["addresses"] == 3 and r["counts"]["errors"] == 1
    assert eco_api.post("/api/v1/screen", json={"addresses": []}).status_code == 422
    too_many = {"addresses": ["x"] * 10_001}
    assert eco_api.post("/api/v1/screen", json=too_many).status_code == 422


def test_screen_large_batch_lists_only_hits(eco_api, facts):
    addrs = [facts["address"]] + ["2N" + "x" * 30] * 1500
    r = eco_api.post("/api/v1/screen", json={"addresses": addrs}).json()
    assert r["clean_omitted"] and r["counts"]["addresses"] == 1501
    assert r["results"][0]["index"] == 0 and r["results"][0]["hit"]


def test_trace_graph(eco_api, facts):
    g = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "direction": "backward",
                                         "max_hops": 2, "level": "address", "max_nodes": 5000}).json()
    s = g["summary"]
    assert s["conserved"] and s["max_hops"] == 2 and s["budget"] == 2_000_000
    names = {n["node"] for n in g["nodes"]}
    assert facts["donation"] in names
    assert all(e["source"] in names and e["target"] in names for e in g["edges"])
    assert all(isinstance(e["amount"], int) and e["amount"] > 0 and 1 <= e["hop"] <= 2 for e in g["edges"])
    assert sum(t["amount"] for t in g["terminals"]) == s["injected"]
    assert any(n["category"] for n in g["nodes"])  # terminals carry their categories
    assert not g["truncated"] and g["nodes_total"] == len(g["nodes"])


def test_trace_node_limit_keeps_graph_connected(eco_api, facts):
    full = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "max_hops": 2,
                                            "max_nodes": 5000}).json()
    assert len(full["nodes"]) > 30 and not full["truncated"]
    cut = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "max_hops": 2, "max_nodes": 30}).json()
    assert cut["truncated"] and len(cut["nodes"]) == 30 and cut["nodes_total"] == len(full["nodes"])
    keep = {n["node"] for n in cut["nodes"]}
    hops = {n["node"]: n["hop"] for n in cut["nodes"]}
    for n in cut["nodes"]:  # every kept node still links to a kept node one hop nearer the start
        if n["hop"] > 0 and n["kind"] != "fee":
            assert any((e["source"] == n["node"] and hops.get(e["target"]) == n["hop"] - 1)
                       or (e["target"] == n["node"] and hops.get(e["source"]) == n["hop"] - 1)
                       for e in cut["edges"]), n["node"]
    assert all(e["source"] in keep and e["target"] in keep for e in cut["edges"])


def test_trace_budget_and_limits(eco_api, facts):
    small = eco_api.get("/api/v1/trace", params={"start": f"cluster:{facts['big']}", "budget": 50,
                                             "max_hops": 6}).json()
    assert small["summary"]["budget_exhausted"]
    assert eco_api.get("/api/v1/trace", params={"start": facts["donation"], "budget": 10**9}).status_code == 422
    assert eco_api.get("/api/v1/trace", params={"start": facts["donation"], "max_hops": 99}).status_code == 422
    assert eco_api.get("/api/v1/trace", params={"start": facts["donation"], "policy": "magic"}).status_code == 422
    r = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "stop_at": "nonsense-category"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert eco_api.get("/api/v1/trace", params={"start": "1" * 64}).status_code == 404


def test_trace_exports(eco_api, facts):
    r = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "max_hops": 2, "format": "graphml"})
    assert r.status_code == 200 and "<graphml" in r.text
    r = eco_api.get("/api/v1/trace", params={"start": facts["donation"], "max_hops": 2, "format": "csv"})
    assert r.status_code == 200 and r.text.startswith("source,target,amount")


def test_exposure(eco_api, facts):
    e = eco_api.get("/api/v1/exposure", params={"target": facts["donation"], "explain": True}).json()
    inc = e["incoming"]
    assert inc["direction"] == "incoming" and inc["external"] > 0
    assert inc["direct"] and inc["direct"][0]["evidence"]
    assert 0 < inc["exposed_share"] <= 1
    assert eco_api.get("/api/v1/exposure", params={"target": facts["donation"], "max_hops": 0}).status_code == 422


def test_privacy_audit(eco_api, facts):
    r = eco_api.post("/api/v1/privacy-audit", json={"addresses": [facts["donation"]], "hops": 2,
                                                "policies": ["haircut", "fifo"]}).json()
    assert r["findings"] and set(r["policies"]) == {"haircut", "fifo"}
    assert r["policies"]["haircut"]["incoming"]["payments"] > 0
    q = eco_api.get("/api/v1/privacy-audit", params={"address": facts["donation"], "hops": 2}).json()
    assert q["policies"]["haircut"]["incoming"]["payments"] == r["policies"]["haircut"]["incoming"]["payments"]
    assert eco_api.post("/api/v1/privacy-audit", json={"addresses": []}).status_code == 422
