"""Exposure on a simulated donation economy attributed from its truth:
direct exposure against the truth, the accounting of every satoshi, the
evidence behind each figure, outgoing exposure and a cluster target."""

from __future__ import annotations

import numpy as np
import pytest

from chaintrail.trace import exposure


@pytest.fixture(scope="module")
def incoming(eco_chain, eco_truth):
    return exposure(eco_chain, eco_truth["donation_address"], "incoming", max_hops=3, explain=True).incoming


def test_direct_exposure_matches_truth(incoming, eco_truth):
    """Share of donated value paid straight by exchanges: within half a point of the truth."""
    direct = sum(f.amount for f in incoming.direct if f.category == "exchange")
    assert incoming.external == eco_truth["value"]  # the outside value is exactly what was donated
    assert abs(direct / incoming.external - eco_truth["by_source"]["exchange_withdrawal"]["value_share"]) < 0.005


def test_every_satoshi_accounted(incoming):
    assert incoming.total == incoming.internal + incoming.external
    assert incoming.exposed + sum(incoming.unattributed.values()) == incoming.external
    assert all(f.min_hop == f.max_hop == 1 for f in incoming.direct)
    assert all(f.min_hop >= 2 and f.max_hop <= 3 for f in incoming.indirect)
    for f in incoming.direct + incoming.indirect:
        assert f.share == pytest.approx(f.amount / incoming.external)
    cat = {c["category"]: c["amount"] for c in incoming.by_category}
    assert sum(cat.values()) == incoming.exposed
    assert not incoming.budget_exhausted


def test_explain_gives_the_transactions(eco_chain, incoming, eco_truth):
    target_txs = {int(eco_chain._arrays.out_tx[o]) for o in eco_chain.address(eco_truth["donation_address"]).output_ids}
    f = incoming.direct[0]
    assert f.evidence and sum(e["amount"] for e in f.evidence) <= f.amount
    for ev in f.evidence:
        assert ev["hop"] == 1 and ev["txids"]
        assert {eco_chain.tx(t).tx_id for t in ev["txids"]} <= target_txs  # the target's own txs
    ind = [e for f in incoming.indirect for e in f.evidence]
    assert ind
    for ev in ind[:20]:
        assert len(ev["path"]) == ev["hop"]
        assert eco_chain.tx(ev["path"][-1]["txid"]).tx_id in target_txs  # the path ends at the target


def test_outgoing_exposure(eco_chain, eco_truth):
    out = exposure(eco_chain, eco_truth["donation_address"], "outgoing", max_hops=2).outgoing
    assert out.total == out.internal + out.external
    # the organisation cashes out at an exchange now and then
    assert any(f.category == "exchange" for f in out.direct)


def test_exposure_of_an_exchange_cluster(eco_chain):
    rows = eco_chain.sql("""
        SELECT c.cluster_id, c.n_addresses FROM clusters c
        JOIN addresses a ON a.cluster_id = c.cluster_id JOIN tags t ON t.address = a.address
        WHERE t.category = 'exchange' GROUP BY 1, 2 ORDER BY 2 DESC LIMIT 1""").fetchall()
    cid = int(rows[0][0])
    rep = exposure(eco_chain, f"cluster:{cid}", "both", max_hops=2, budget=200_000)
    assert rep.target.kind == "cluster" and rep.target_entities
    for side in rep.sides():
        own = set(rep.target_entities)
        assert not [f for f in side.direct + side.indirect if f.entity_id in own]
        assert side.total == side.internal + side.external
    d = rep.to_dict()
    assert d["incoming"]["work"] > 0 and isinstance(d["outgoing"]["exposed_share"], float)
    assert np.isfinite(d["incoming"]["exposed_share"])


def test_exposure_as_a_dataframe(eco_chain, eco_truth):
    rep = exposure(eco_chain, eco_truth["donation_address"], "both", max_hops=2)
    df = rep.to_pandas()
    for side in rep.sides():
        for depth, figs in (("direct", side.direct), ("indirect", side.indirect)):
            rows = df[(df["direction"] == side.direction) & (df["depth"] == depth)]
            assert list(rows["entity_id"]) == [f.entity_id for f in figs]
            assert int(rows["amount"].sum()) == sum(f.amount for f in figs)
    assert set(df["direction"]) == {"incoming", "outgoing"}
