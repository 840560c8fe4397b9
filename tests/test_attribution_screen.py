"""Screening through the command line (exit status 0 clean, 1 hit, 2 error)
and the Python API, on a store of real blocks, tags and OFAC lists; and
the propagation of tags to a hand-made clustering of a real store."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_attribution_fixtures import TRON, loose_store, run_cli, screened_store  # noqa: F401

from chaintrail.attribution.addresses import check_addresses
from chaintrail.attribution.propagation import (
    cluster_labels,
    service_anchors,
    suspected_false_merges,
)
from chaintrail.attribution.screening import Screener, exit_status
from chaintrail.attribution.service import import_sanctions, show_tags
from chaintrail.chain import open as open_chain
from chaintrail.store.store import Store

from conftest import BUILTIN, ingest

YAN = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"
ARCHIVE = "1Archive1n2C579dMsAu3iC6tWzuQJz8dN"  # tagged (Internet Archive), not sanctioned
GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # on chain, neither listed nor tagged
TYPO = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"


def test_screen_exit_codes(screened_store, tmp_path):  # noqa: F811
    s = screened_store["path"]
    clean = run_cli("screen", GENESIS, "--store", s)
    assert clean.returncode == 0, clean.stderr
    hit = run_cli("screen", YAN, "--store", s, "--json")
    assert hit.returncode == 1
    [r] = json.loads(hit.stdout)["results"]
    assert r["hits"] == ["sanctioned", "tagged"]
    assert r["sanctions"][0]["listed_since"] == "2024-05-03" and r["sanctions"][0]["entity"] == "YAN, Xiaobing"
    bad = run_cli("screen", TYPO, "--store", s, "--json")
    assert bad.returncode == 2 and "checksum" in json.loads(bad.stdout)["results"][0]["error"]
    assert run_cli("screen", TYPO, YAN, "--store", s).returncode == 1  # a hit is never masked
    assert run_cli("screen", ARCHIVE, "--store", s).returncode == 1
    assert run_cli("screen", ARCHIVE, "--store", s, "--fail-on", "sanctions").returncode == 0
    nostore = run_cli("screen", YAN, "--store", tmp_path / "none")
    assert nostore.returncode == 2 and nostore.stderr.startswith("chaintrail: error:")


def test_a_store_without_lists_is_not_clean(tmp_path):
    ingest(tmp_path / "s", BUILTIN)
    p = run_cli("screen", GENESIS, "--store", tmp_path / "s")
    assert p.returncode == 2 and "nothing to screen against" in p.stderr


def test_screen_file_reports_hits_and_errors(screened_store, tmp_path):  # noqa: F811
    f = tmp_path / "addresses.txt"
    f.write_text(f"# customers\n{GENESIS}\n\n{YAN}\n  {TYPO}  \n{TRON}\n")
    p = run_cli("screen", "--file", f, "--store", screened_store["path"], "--json")
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["summary"] == {"addresses": 4, "hits": 2, "errors": 1, "clean": 1}
    by = {r["address"]: r for r in out["results"]}
    assert by[TRON]["valid"] is False and by[TRON]["hits"] == ["sanctioned"]  # tags skip it
    assert by[TYPO]["status"] == "error"


def test_api_screens_addresses_never_seen_on_chain(screened_store):  # noqa: F811
    sc = Screener(open_chain(screened_store["path"]))
    r = sc.screen([YAN, YAN.lower(), "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh".upper()])
    assert r[0].is_hit() and r[0].sanctions[0]["programs"] == "SDNTK"
    assert r[1].status == "error"  # base58 is case-sensitive
    assert r[2].tags and r[2].tags[0]["abuse"] == "scam"  # bech32 in capitals is the same address
    assert exit_status(r) == 1


def test_batch_screening_agrees_with_single(screened_store):  # noqa: F811
    chain = open_chain(screened_store["path"])
    tagged = [a for (a,) in chain.sql("SELECT address FROM tags USING SAMPLE reservoir(300 ROWS) REPEATABLE (42)").fetchall()]
    listed = [a for (a,) in chain.sql("SELECT address FROM sanctions").fetchall()]
    onchain = [a for (a,) in chain.sql("SELECT address FROM addresses LIMIT 300").fetchall()]
    batch = tagged + listed + onchain + [TYPO]
    sc = Screener(chain)
    outcome = sc.screen_batch(pa.array(batch))
    single = sc.screen(batch[:50])
    assert set(outcome.results) == {i for i, a in enumerate(batch) if a not in set(onchain)}
    for i, r in enumerate(single):
        assert r.kinds() == (outcome.results[i].kinds() if i in outcome.results else [])
    assert outcome.counts()["errors"] == 1
    assert sc.index().candidates(check_addresses(onchain).hashes).sum() == 0


@pytest.fixture(scope="module")
def clustered(loose_store, tmp_path_factory):  # noqa: F811
    """A copy of the loose-blocks store with a hand-made clustering of real tagged addresses."""
    root = tmp_path_factory.mktemp("clustered") / "store"
    shutil.copytree(loose_store["path"], root)
    chain = open_chain(root)
    ids = dict(chain.sql("SELECT address, address_id FROM addresses").fetchall())
    tagged = {a for (a,) in chain.sql("SELECT DISTINCT address FROM tags").fetchall()}
    untagged = sorted(a for a in ids if a not in tagged)[:4]
    binance, bitfinex = "1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s", "3D2oetdNuZUqQHPJmcMDDHYoqkyNVsFk9r"
    bitmex = ["3BMEX1TXMav3of2DjTr6PdGe48zophUP4q", "3BMEX1jUXpWy6RS1W1uYiHQA2GfETh3ru3"]
    clusters = {1: [binance, bitfinex, untagged[0]], 2: [*bitmex, untagged[1]],
                3: [untagged[2], untagged[3]]}
    rel = "rooms/clusters/address_cluster-hand.parquet"
    with Store.open_writer(root) as st:  # files are written under the lock, before the commit
        (root / "rooms" / "clusters").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({
            "address_id": pa.array([ids[a] for c in clusters.values() for a in c], pa.int64()),
            "cluster_id": pa.array([c for c, m in clusters.items() for _ in m], pa.int64())}),
            root / rel)
        st.commit_extra("clusters", {"address_cluster_file": rel, "files": [rel], "views": {}})
    listed = root.parent / "test-list.txt"
    listed.write_text(untagged[3] + "\n")
    import_sanctions(root, listed, list_name="test-list", list_date=dt.date(2024, 1, 1))
    return {"path": root, "clusters": clusters, "untagged": untagged}


def test_cluster_labels_carry_tags_with_confidence(clustered):
    chain = open_chain(clustered["path"])
    labels = cluster_labels(chain, 2)
    assert [(x["label"], x["actor"], x["n_addresses"], x["confidence"]) for x in labels] == \
        [("bitmex reserve wallet", "bitmex", 2, "service_data")]
    assert labels[0]["confidence_score"] == 50


def test_two_services_in_one_cluster_are_a_suspected_false_merge(clustered):
    chain = open_chain(clustered["path"])
    merges = suspected_false_merges(chain)
    assert [m["cluster_id"] for m in merges] == [1]
    assert sorted(s["service"] for s in merges[0]["services"]) == ["binance", "bitfinex"]
    anchors = service_anchors(chain).to_pylist()
    guard = {r["address"]: r["service"] for r in anchors}
    assert guard["1NDyJtNTjmwk5xPNhjgAMu4HDHigtobu1s"] == "binance"
    assert guard["3D2oetdNuZUqQHPJmcMDDHYoqkyNVsFk9r"] == "bitfinex"
    shown = show_tags(chain, "1")
    assert shown["suspected_false_merge"]["n_services"] == 2


def test_cluster_hits_with_evidence(clustered):
    u = clustered["untagged"]
    chain = open_chain(clustered["path"])
    r = Screener(chain).screen([u[1], u[2], u[0]])
    assert r[0].kinds() == ["cluster_tagged"] and r[0].cluster_id == 2
    assert r[0].cluster_tags[0]["label"] == "bitmex reserve wallet"
    assert r[0].cluster_tags[0]["evidence"].startswith(f"chaintrail cluster why {u[1]} 3BMEX")
    assert r[1].kinds() == ["cluster_sanctioned"]
    assert r[1].cluster_sanctions[0]["member"] == u[3]
    assert r[1].cluster_sanctions[0]["listed_since"] == "2024-01-01"
    assert {t["actor"] for t in r[2].cluster_tags} == {"binance", "bitfinex"}
    p = run_cli("screen", u[2], "--store", clustered["path"], "--fail-on", "sanctions")
    assert p.returncode == 1 and "cluster why" in p.stdout
    shown = run_cli("tags", "show", u[1], "--store", clustered["path"], "--json")
    assert json.loads(shown.stdout)["cluster_labels"][0]["actor"] == "bitmex"
