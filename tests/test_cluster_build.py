"""Clustering a simulated store end to end: an update after new blocks
equals a full rebuild, cluster ids stay stable, every merge's evidence is
real, the views and lookups agree with each other, parameters and tip are
recorded, and tagged services are never merged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from chaintrail.chain import open as open_chain
from chaintrail.cluster import room as R
from chaintrail.cluster.build import build_clusters
from chaintrail.cluster.params import ClusterParams
from chaintrail.cluster.query import Clusters
from chaintrail.store.arrays import ChainArrays
from chaintrail.store.store import Store

from conftest import ingest
from support.chainmaker import write_blk

N_TXS = 24_000
SEED = 5


@pytest.fixture(scope="session")
def sim(tmp_path_factory) -> Path:
    """A small simulated economy ("test" profile: every behaviour, small blocks)."""
    from chaintrail.sim import simulate

    out = tmp_path_factory.mktemp("clsim") / "sim"
    simulate(out, N_TXS, SEED, profile="test")
    return out


@pytest.fixture(scope="session")
def blocks(sim) -> list[bytes]:
    """The simulated blocks in file order (magic + length framing, no XOR key)."""
    out = []
    for f in sorted((sim / "blocks").glob("blk*.dat")):
        data = f.read_bytes()
        pos = 0
        while pos + 8 <= len(data) and data[pos:pos + 4] != b"\x00\x00\x00\x00":
            n = int.from_bytes(data[pos + 4:pos + 8], "little")
            out.append(data[pos + 8:pos + 8 + n])
            pos += 8 + n
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory, sim) -> Path:
    """The whole simulated chain, ingested and clustered with the defaults (horizon 10)."""
    store = tmp_path_factory.mktemp("clfull") / "store"
    ingest(store, sim / "blocks")
    build_clusters(store, ClusterParams(horizon=10))
    return store


def state_of(store: Path) -> dict:
    """Everything a clustering decides, in comparable form."""
    s = Store.open(store)
    e = s.manifest.extra[R.ROOM]
    root = s.root
    dense = np.asarray(R.read_array(root, e["arrays"]["dense"]))
    cids = np.asarray(R.read_array(root, e["arrays"]["cluster_ids"]))
    ev = {k: np.concatenate([np.asarray(R.read_array(root, e["evidence"][k])),
                             np.asarray(R.read_array(root, e["provisional"][f"ev_{k}"]))])
          for k in ("tx", "a", "b", "kind", "support")}
    ref = {k: np.concatenate([np.asarray(R.read_array(root, e["refusals"][k])),
                              np.asarray(R.read_array(root, e["provisional"][f"ref_{k}"]))])
           for k in ("tx", "a", "b", "kind", "reason")}
    c = open_chain(store)
    return {
        "cluster_of": cids[dense],
        "edges": sorted(zip(*(ev[k].tolist() for k in ev))),
        "refusals": sorted(zip(*(ref[k].tolist() for k in ref))),
        "coinjoin": np.asarray(R.read_array(root, e["state"]["cj_codes"])),
        "clusters": c.sql("SELECT * FROM clusters ORDER BY cluster_id").fetchall(),
        "entry": e,
    }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, sim) -> Path:
    """The whole simulated chain ingested once; each test rebuilds its clustering in full."""
    store = tmp_path_factory.mktemp("clingested") / "store"
    ingest(store, sim / "blocks")
    return store


@pytest.mark.parametrize("horizon,cut", [(10, 0.55), (0, 0.8), (144, 0.5)])
def test_update_after_new_blocks_equals_full_rebuild(tmp_path, ingested, blocks, horizon, cut):
    params = ClusterParams(horizon=horizon)
    k = int(len(blocks) * cut)
    write_blk(tmp_path / "a.dat", blocks[:k])
    write_blk(tmp_path / "b.dat", blocks[k:])
    inc = tmp_path / "inc"
    ingest(inc, tmp_path / "a.dat")
    first = build_clusters(inc, params)
    assert not first["incremental"]
    before = state_of(inc)
    ingest(inc, tmp_path / "b.dat")
    second = build_clusters(inc, params)
    assert second["incremental"] and second["new_txs"] < second["txs"]
    assert build_clusters(ingested, params, full=True)["txs"] == second["txs"]
    a, b = state_of(inc), state_of(ingested)
    assert np.array_equal(a["cluster_of"], b["cluster_of"])
    assert a["edges"] == b["edges"]
    assert a["refusals"] == b["refusals"]
    assert np.array_equal(a["coinjoin"], b["coinjoin"])
    assert a["clusters"] == b["clusters"]
    # stable ids: the settled clusters of the first build only grew, and a cluster's id is its
    # smallest (oldest) address, so an address's cluster id never increases
    n0 = before["cluster_of"].shape[0]
    assert (a["cluster_of"][:n0] <= before["cluster_of"]).all()
    settled_edges = np.array([(x[1], x[2]) for x in before["edges"]
                              if x[0] < before["entry"]["settled_upto"] or x[3] == 1], np.int64).reshape(-1, 2)
    if settled_edges.size:
        assert (a["cluster_of"][settled_edges[:, 0]] == a["cluster_of"][settled_edges[:, 1]]).all()
    ids = a["cluster_of"]
    assert (ids <= np.arange(ids.shape[0])).all()  # every cluster id is one of its own addresses
    assert (ids[ids] == ids).all()


def test_parameters_tip_and_rebuild_rules(built, tmp_path):
    e = state_of(built)["entry"]
    s = Store.open(built)
    assert e["params"]["change"] == "fresh-address,power-of-ten:4,locktime,version,rbf"
    assert e["params"]["horizon"] == 10 and e["params"]["coinjoin_filter"] is True
    assert e["tip"] == {"height": s.manifest.tip_height, "hash": s.manifest.tip_hash}
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    # the same parameters and nothing new: an update with no new transactions
    r = build_clusters(copy, ClusterParams(horizon=10))
    assert r["incremental"] and r["new_txs"] == 0
    # other parameters: a full rebuild, recorded
    r = build_clusters(copy, ClusterParams(change="none", coinjoin_filter=False, horizon=10))
    assert not r["incremental"]
    e2 = Store.open(copy).manifest.extra[R.ROOM]
    assert e2["params"]["change"] == "none" and e2["params"]["coinjoin_filter"] is False
    assert r["change_links_settled"] == r["change_links_provisional"] == 0


def test_every_merge_has_real_evidence(built):
    a = ChainArrays.open(Store.open(built).root, Store.open(built).manifest)
    st = state_of(built)
    first_in, n_in = np.asarray(a.tx_first_in), np.asarray(a.tx_n_in)
    first_out, n_out = np.asarray(a.tx_first_out), np.asarray(a.tx_n_out)
    spent, oaddr = np.asarray(a.in_spent), np.asarray(a.out_address)
    rng = np.random.default_rng(1)
    edges = st["edges"]
    for j in rng.choice(len(edges), min(3000, len(edges)), replace=False):
        t, x, y, kind, _ = edges[j]
        ins = {int(oaddr[p]) for p in spent[first_in[t]:first_in[t] + n_in[t]] if p >= 0}
        outs = {int(o) for o in oaddr[first_out[t]:first_out[t] + n_out[t]]}
        assert x in ins
        assert (y in ins) if kind == 1 else (y in outs)


def test_why_walks_a_valid_path(built):
    c = Clusters(open_chain(built))
    st = state_of(built)
    ids = st["cluster_of"]
    sizes = np.bincount(ids)
    big = int(np.argmax(sizes))
    members = np.nonzero(ids == big)[0]
    a = c.arrays
    for x, y in [(members[0], members[-1]), (members[1], members[len(members) // 2])]:
        w = c.why(a.address_text(int(x)), a.address_text(int(y)))
        assert w["linked"] and w["cluster_a"] == big
        at = int(x)
        for s in w["steps"]:
            assert s["address_id_a"] == at
            at = s["address_id_b"]
            assert len(s["txid"]) == 64
        assert at == int(y)
    other = int(np.nonzero(ids != big)[0][0])
    w = c.why(a.address_text(int(members[0])), a.address_text(other))
    assert not w["linked"] and w["steps"] == []


def test_why_kernel_matches_twin(built):
    """The numba search and the pure-Python one find paths of the same (shortest) length."""
    from chaintrail.cluster.why import shortest_path
    from chaintrail.cluster.why_kernels import shortest_path_kernel

    c = Clusters(open_chain(built))
    ev = c.evidence()
    ea, eb = ev.endpoints()
    ids = state_of(built)["cluster_of"]
    sizes = np.bincount(ids)
    rng = np.random.default_rng(2)
    for cid in np.argsort(-sizes)[:8]:
        members = np.nonzero(ids == cid)[0]
        local = ev.of_cluster(c.dense, int(c.dense[members[0]]), members)
        for _ in range(5):
            x, y = (int(v) for v in rng.choice(members, 2))
            ref = shortest_path(local, x, y)
            got = shortest_path_kernel(x, y, members, local.start, local.edges, ea, eb)
            assert ref is not None and len(got) == len(ref)
            at = x
            for j in got:  # a walk from x to y along the edges
                assert at in (ea[j], eb[j])
                at = int(eb[j] if ea[j] == at else ea[j])
            assert at == y
    # addresses of two clusters: not linked
    other = int(np.nonzero(ids != ids[0])[0][0])
    members = np.nonzero(ids == ids[0])[0]
    local = ev.of_cluster(c.dense, int(c.dense[0]), members)
    assert list(shortest_path_kernel(0, other, members, local.start, local.edges, ea, eb)) == [-1]
    assert shortest_path(local, 0, other) is None


def test_views_and_lookups_agree(built):
    c = open_chain(built)
    cl = Clusters(c)
    st = state_of(built)
    n_addr = st["cluster_of"].shape[0]
    got = c.sql("SELECT address_id, cluster_id FROM addresses ORDER BY address_id").fetchnumpy()
    assert np.array_equal(got["cluster_id"], st["cluster_of"][got["address_id"]])
    assert c.sql("SELECT sum(n_addresses) FROM clusters").fetchall()[0][0] == n_addr
    big = c.sql("SELECT * FROM clusters ORDER BY n_addresses DESC LIMIT 1").to_dicts()[0]
    assert set(big) >= {"cluster_id", "n_addresses", "n_txs", "balance", "total_received",
                        "first_height", "last_height", "label"}
    # the cluster's figures agree with the outputs view
    row = c.sql("""SELECT count(DISTINCT o.tx_id), sum(o.value),
                          sum(o.value) FILTER (WHERE o.spending_tx_id IS NULL)
                   FROM outputs o JOIN addresses a USING (address) WHERE a.cluster_id = ?""",
                params=[big["cluster_id"]]).fetchall()[0]
    assert row[1] == big["total_received"] and row[2] == big["balance"]
    assert big["n_txs"] >= row[0]
    # `cluster show` reads the figures from the room's arrays: the same as the view's rows
    ref = cl.ref(str(big["cluster_id"]))
    assert cl.summary(ref) == big
    for row in c.sql("SELECT * FROM clusters USING SAMPLE 50 ROWS (reservoir, 3)").to_dicts():
        assert cl.summary(cl.ref(str(row["cluster_id"]))) == row
    # paging through the members gives every address of the cluster once
    seen = []
    p = 1
    while True:
        page = cl.page(ref, p, 500)
        seen += [r["address_id"] for r in page["addresses"]]
        if p == page["pages"]:
            break
        p += 1
    assert seen == sorted(np.nonzero(st["cluster_of"] == big["cluster_id"])[0].tolist())
    # an address names its cluster
    addr = page["addresses"][0]["address"]
    assert cl.ref(addr).cluster_id == big["cluster_id"]
    # CoinJoin verdicts in the txs view
    n = c.sql("SELECT count(*) FILTER (WHERE coinjoin), count(*) FILTER (WHERE coinjoin IS NULL) FROM txs").fetchall()[0]
    assert n[0] == int((st["coinjoin"] > 0).sum()) and n[1] == 0


def test_tagged_services_are_never_merged(tmp_path, sim):
    pytest.importorskip("chaintrail.attribution.service")
    import duckdb

    from chaintrail.attribution.service import import_tags

    store = tmp_path / "tagged"
    ingest(store, sim / "blocks")
    # no guard: see which services multi-input plus change would put together
    plain = build_clusters(store, ClusterParams(horizon=10, guard_tags=False))
    assert plain["anchors"] == 0
    # tag every address of every service (as an investigator's tag set would, partially)
    con = duckdb.connect()
    rows = con.sql(f"""SELECT a.address, e.name AS label, 'exchange' AS category, e.name AS actor
                       FROM '{sim / 'truth' / 'addresses.parquet'}' a
                       JOIN '{sim / 'truth' / 'entities.parquet'}' e USING (entity_id)
                       WHERE e.kind <> 'user' AND a.address IS NOT NULL""").fetchall()
    csv = tmp_path / "services.csv"
    csv.write_text("address,label,category,actor,confidence\n"
                   + "".join(f"{r[0]},{r[1]},{r[2]},{r[3]},ownership\n" for r in rows))
    import_tags(store, [str(csv)])
    r = build_clusters(store, ClusterParams(horizon=10))
    assert not r["incremental"] and r["anchors"] > 0  # new tags: a full rebuild
    c = open_chain(store)
    mixed = c.sql(f"""
        SELECT a.cluster_id, count(DISTINCT t.entity_id) FROM addresses a
        JOIN '{sim / 'truth' / 'addresses.parquet'}' t USING (address)
        JOIN '{sim / 'truth' / 'entities.parquet'}' e USING (entity_id)
        WHERE e.kind <> 'user' GROUP BY 1 HAVING count(DISTINCT t.entity_id) > 1""").fetchall()
    assert mixed == []
    refused = c.sql("SELECT count(*) FROM cluster_refusals WHERE reason = 'different-services'").fetchall()[0][0]
    assert refused > 0
    labels = c.sql("SELECT count(*) FROM clusters WHERE label IS NOT NULL").fetchall()[0][0]
    assert labels > 0
    cid, label = c.sql("SELECT cluster_id, label FROM clusters WHERE label IS NOT NULL "
                       "ORDER BY n_addresses DESC LIMIT 1").fetchall()[0]
    cl = c.cluster(cid)
    row = c.sql("SELECT * FROM clusters WHERE cluster_id = ?", params=[cid]).to_dicts()[0]
    assert cl.summary == row
    assert cl.label == label and any(t["label"].lower() == label for t in cl.tags)
    json.dumps(r)  # the report is plain JSON


def test_chain_cluster_of_matches_the_lookups(built):
    import chaintrail as ct

    chain = ct.open(built)
    st = state_of(built)
    ids = st["cluster_of"]
    big = int(np.argmax(np.bincount(ids)))
    members = np.nonzero(ids == big)[0]
    a = Clusters(chain).arrays
    first, last = a.address_text(int(members[0])), a.address_text(int(members[-1]))
    cl = chain.cluster_of(last)
    assert cl.cluster_id == big and len(cl) == members.size
    assert cl == chain.cluster(big) == chain.cluster_of(chain.address(last))  # text or Address
    assert cl.addresses(limit=3) == [a.address_text(int(x)) for x in members[:3]]
    assert cl.addresses(limit=2, offset=members.size - 1) == [last]
    assert first in cl and a.address_text(int(np.nonzero(ids != big)[0][0])) not in cl
    row = chain.sql("SELECT n_txs, balance FROM clusters WHERE cluster_id = ?", params=[big]).fetchall()[0]
    assert (cl.n_txs, cl.balance) == row
    df = cl.to_pandas()
    assert list(df["address"]) == [a.address_text(int(x)) for x in members]
    g = cl.to_networkx()  # the recorded merges join exactly the cluster's addresses
    import networkx as nx

    assert set(g.nodes) == set(df["address"]) and nx.is_connected(g) and not g.graph["truncated"]
    assert all(d["heuristic"] for _, _, d in g.edges(data=True))
    w = cl.why(last)  # from the cluster's oldest address
    assert w["linked"] and w["steps"][0]["from"] == first and w["steps"][-1]["to"] == last
    assert cl.tags == []  # no attribution room in this store
    with pytest.raises(Exception, match="no cluster"):
        chain.cluster(int(members[1]))
