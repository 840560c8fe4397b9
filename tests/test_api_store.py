"""The REST API over a real store of mainnet blocks 0-599 (httpx over ASGI):
status, search, blocks, transactions, addresses, limits, problem+json
errors, the OpenAPI document, rooms that are absent, and re-opening the
store when a new generation is committed."""

from __future__ import annotations

import shutil
import time

import pytest
from test_api_fixtures import Api  # noqa: I001

from conftest import BUILTIN, ingest

HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
SATOSHI_170 = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def api(chain_0_599):
    from chaintrail.api import create_app

    client = Api(create_app(chain_0_599.path))
    yield client
    client.close()


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("/problems/")
    return body


def test_status(api):
    s = api.get("/api/v1/status").json()
    assert s["tip_height"] == 599 and s["network"] == "mainnet"
    assert s["counts"]["txs"] >= 600
    assert s["rooms"] == {"clustering": False, "attribution": False}


def test_blocks_list_and_limits(api):
    page = api.get("/api/v1/blocks", params={"limit": 3}).json()
    assert [b["height"] for b in page["items"]] == [599, 598, 597]
    assert page["total"] == 600 and page["next_offset"] == 3
    last = api.get("/api/v1/blocks", params={"limit": 10, "offset": 595}).json()
    assert [b["height"] for b in last["items"]] == [4, 3, 2, 1, 0] and last["next_offset"] is None
    body = _problem(api.get("/api/v1/blocks", params={"limit": 5000}), 422)
    assert "limit" in body["detail"]
    _problem(api.get("/api/v1/blocks", params={"offset": -1}), 422)


def test_block_by_height_and_hash(api):
    b = api.get("/api/v1/blocks/170").json()
    assert b["n_tx"] == 2 and b["height"] == 170
    same = api.get(f"/api/v1/blocks/{b['hash']}").json()
    assert same["height"] == 170
    txs = api.get("/api/v1/blocks/170/txs").json()
    assert [t["txid"] for t in txs["items"]][1] == HAL_TX and txs["total"] == 2
    assert txs["items"][0]["is_coinbase"]
    _problem(api.get("/api/v1/blocks/600"), 404)
    _problem(api.get("/api/v1/blocks/" + "0" * 64), 404)
    _problem(api.get("/api/v1/blocks/nonsense"), 404)


def test_transaction(api):
    tx = api.get(f"/api/v1/txs/{HAL_TX}").json()
    assert tx["height"] == 170 and tx["fee"] == 0
    assert [o["value"] for o in tx["outputs"]] == [1_000_000_000, 4_000_000_000]
    assert tx["outputs"][0]["address"] == HAL
    assert tx["inputs"][0]["prev_vout"] == 0 and tx["inputs"][0]["value"] == 5_000_000_000
    assert not tx["inputs_truncated"]
    outs = api.get(f"/api/v1/txs/{HAL_TX}/outputs", params={"limit": 1, "offset": 1}).json()
    assert outs["total"] == 2 and outs["items"][0]["vout"] == 1
    ins = api.get(f"/api/v1/txs/{HAL_TX}/inputs").json()
    assert ins["total"] == 1
    _problem(api.get("/api/v1/txs/" + "ab" * 32), 404)
    _problem(api.get("/api/v1/txs/xyz"), 404)


def test_address(api):
    a = api.get(f"/api/v1/addresses/{SATOSHI_170}").json()
    assert a["address"] == SATOSHI_170 and a["balance"] == a["received"] - a["sent"]
    assert a["cluster_id"] is None
    hist = api.get(f"/api/v1/addresses/{SATOSHI_170}/txs", params={"limit": 2}).json()
    assert hist["total"] == a["n_txs"] and len(hist["items"]) == 2
    heights = [t["height"] for t in hist["items"]]
    assert heights == sorted(heights, reverse=True)  # newest first
    everything = api.get(f"/api/v1/addresses/{SATOSHI_170}/txs", params={"limit": 1000}).json()
    assert sum(t["delta"] for t in everything["items"]) == a["balance"]
    outs = api.get(f"/api/v1/addresses/{SATOSHI_170}/outputs", params={"unspent": True}).json()
    assert outs["total"] == a["n_unspent"]
    hal = api.get(f"/api/v1/addresses/{HAL}").json()
    assert hal["received"] >= 1_000_000_000
    _problem(api.get("/api/v1/addresses/not-an-address"), 404)
    _problem(api.get("/api/v1/addresses/1BoatSLRHtKNngkdXEeobR76b53LETtpyT"), 404)  # valid, never paid


def test_search(api):
    def kinds(q):
        return [(h["kind"], h["id"]) for h in api.get("/api/v1/search", params={"q": q}).json()["results"]]

    assert kinds(HAL_TX) == [("tx", HAL_TX)]
    assert kinds(f"{HAL_TX}:1") == [("tx", HAL_TX)]
    assert kinds("170") == [("block", "170")]  # no clustering: a number is a height
    block_hash = api.get("/api/v1/blocks/170").json()["hash"]
    assert kinds(block_hash) == [("block", "170")]
    assert kinds(HAL) == [("address", HAL)]
    assert kinds("cluster:5") == [] and kinds("hello") == [] and kinds("99999") == []


def test_absent_rooms_answer_clearly(api):
    body = _problem(api.get("/api/v1/clusters/5"), 404)
    assert "cluster build" in body["detail"]
    body = _problem(api.get(f"/api/v1/tags/{HAL}"), 404)
    assert "tags import" in body["detail"]
    # tracing needs no tags: an unattributed trace of Hal's coins
    g = api.get("/api/v1/trace", params={"start": f"{HAL_TX}:0", "direction": "forward",
                                         "max_hops": 2}).json()
    assert g["summary"]["injected"] == 1_000_000_000 and g["summary"]["conserved"]


def test_missing_room_function_is_501(api, monkeypatch):
    from chaintrail.api import analysis

    def fake(module, name, what):
        from chaintrail.api.rooms import room_function

        return room_function("chaintrail.not_a_room", name, what)

    monkeypatch.setattr(analysis, "room_function", fake)
    body = _problem(api.get("/api/v1/exposure", params={"target": HAL}), 501)
    assert "not available yet" in body["detail"] and body["type"] == "/problems/room-not-ready"


def test_openapi_and_docs(api):
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    for p in ("/api/v1/status", "/api/v1/blocks", "/api/v1/blocks/{ref}", "/api/v1/txs/{txid}",
              "/api/v1/addresses/{address}", "/api/v1/clusters/{cluster_id}",
              "/api/v1/clusters/{cluster_id}/addresses", "/api/v1/tags/{ref}", "/api/v1/screen",
              "/api/v1/trace", "/api/v1/exposure", "/api/v1/privacy-audit", "/api/v1/search"):
        assert p in paths, p
    limit = next(x for x in paths["/api/v1/blocks"]["get"]["parameters"] if x["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000
    budget = next(x for x in paths["/api/v1/trace"]["get"]["parameters"] if x["name"] == "budget")
    assert budget["schema"]["maximum"] >= budget["schema"]["default"]
    assert "/" not in [p for p in paths if not p.startswith("/api/")]  # pages are not API
    r = api.get("/docs")
    assert r.status_code == 200 and "/openapi.json" in r.text


def test_unknown_route_is_problem(api):
    _problem(api.get("/api/v1/nothing-here"), 404)
    _problem(api.post("/api/v1/status"), 405)


def test_store_reopened_on_new_generation(tmp_path):
    """A commit by another process (here: an index rebuild) is picked up without a restart."""
    from chaintrail.api import create_app
    from chaintrail.api import holder as H

    store = tmp_path / "store"
    ingest(store, BUILTIN)
    api = Api(create_app(store))
    try:
        g0 = api.get("/api/v1/status").json()["generation"]
        from chaintrail.store.index_build import update_index
        from chaintrail.store.store import Store

        s = Store.open_writer(store)
        try:
            update_index(s, True)
        finally:
            s.close()
        time.sleep(H.CHECK_INTERVAL + 0.1)
        g1 = api.get("/api/v1/status").json()["generation"]
        assert g1 > g0
        assert api.get(f"/api/v1/txs/{HAL_TX}").status_code == 200
    finally:
        api.close()
        shutil.rmtree(store, ignore_errors=True)
