"""The evaluation's measures against brute force (pairs enumerated), and the
accuracy of the default clustering on a small default simulated economy."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaintrail.evaluate.metrics import largest_cluster_purity, pair_scores
from chaintrail.evaluate.scores import bcubed

from conftest import ingest


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=40))
def test_pairwise_scores_equal_brute_force(items):
    pred = np.array([p for p, _ in items], np.int64)
    true = np.array([t for _, t in items], np.int64)
    s = pair_scores(pred, true)
    same_p = same_t = both = 0
    for i, j in itertools.combinations(range(len(items)), 2):
        sp, stt = pred[i] == pred[j], true[i] == true[j]
        same_p += sp
        same_t += stt
        both += sp and stt
    assert (s.pairs_predicted, s.pairs_true, s.pairs_both) == (same_p, same_t, both)
    b = bcubed(pred, true)
    if items:
        prec = np.mean([np.sum((pred == pred[i]) & (true == true[i])) / np.sum(pred == pred[i])
                        for i in range(len(items))])
        rec = np.mean([np.sum((pred == pred[i]) & (true == true[i])) / np.sum(true == true[i])
                       for i in range(len(items))])
        assert b["precision"] == pytest.approx(prec) and b["recall"] == pytest.approx(rec)


def test_largest_cluster_purity():
    r = largest_cluster_purity(np.array([1, 1, 1, 2, 2]), np.array([7, 7, 8, 9, 9]))
    assert r == {"cluster_id": 1, "size": 3, "distinct_true": 2, "majority_share": pytest.approx(2 / 3)}


# --------------------------------------------------------------------------- the default economy

N_TXS = 40_000
SEED = 7


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[dict, Path]:
    from chaintrail.cluster.build import build_clusters
    from chaintrail.evaluate.report import evaluate_store
    from chaintrail.sim import simulate

    d = tmp_path_factory.mktemp("evalsim")
    simulate(d / "sim", N_TXS, SEED)  # the default profile
    ingest(d / "store", d / "sim" / "blocks")
    build_clusters(d / "store")
    return evaluate_store(d / "store", d / "sim" / "truth"), d


def test_multi_input_is_precise(evaluated):
    r, _ = evaluated
    assert r["multi_input_baseline"]["pairwise_entity"]["precision"] >= 0.999


def test_default_change_is_precise_and_adds_recall(evaluated):
    r, _ = evaluated
    c = r["clustering"]
    assert c["pairwise_entity"]["precision"] >= 0.99
    assert c["bcubed_entity"]["precision"] >= 0.99
    assert r["recall_vs_multi_input"]["bcubed_entity"] >= 1.5
    assert r["recall_vs_multi_input"]["pairwise_entity"] > 1.0
    combined = [v for k, v in r["change"]["heuristics"].items() if k.startswith("combined")][0]
    assert combined["precision"] >= 0.99 and combined["coverage"] > 0.3
    assert c["largest_cluster"]["distinct_true"] == 1


def test_coinjoins_found_per_protocol(evaluated):
    r, _ = evaluated
    for name, s in r["coinjoin"].items():
        if s["true"]:
            assert s["recall"] >= 0.99, name
        if s["detected"]:
            assert s["precision"] >= 0.99, name


def test_services_merged_only_through_payjoins(evaluated):
    """Without tags, two services meet in a cluster only where a PayJoin (undetectable by
    design) joined a customer to a merchant, or spent a change output so that the change
    fingerprints pointed at the payee (BIP78: PayJoin breaks both heuristics): every such
    cluster's evidence path shows one."""
    import duckdb

    from chaintrail.chain import open as open_chain
    from chaintrail.cluster.query import Clusters

    r, d = evaluated
    services = r["clustering"]["services"]
    assert services["clusters_with_several_services"] <= 10
    truth = d / "sim" / "truth"
    kinds = dict(duckdb.sql(f"SELECT txid, kind FROM '{truth}/txs.parquet'").fetchall())
    change_vout = dict(duckdb.sql(f"SELECT txid, change_vout FROM '{truth}/txs.parquet'").fetchall())
    cl = Clusters(open_chain(d / "store"))
    a = cl.arrays

    def payjoin_behind(step) -> bool:
        if kinds.get(step["txid"]) == "payjoin":
            return True
        v = change_vout.get(step["txid"], -1)
        if step["heuristic"] != "change" or v is None or v < 0:
            return False
        spent_by = int(a.out_spent_by[int(a.tx_first_out[step["tx_id"]]) + v])
        return spent_by >= 0 and kinds.get(bytes(a.tx_hash[int(a.in_tx[spent_by])]).hex()) == "payjoin"

    for ex in services["examples"]:
        picks = []
        for name in ex["services"][:2]:
            rows = duckdb.sql(f"""SELECT a.address FROM '{truth}/addresses.parquet' a
                                 JOIN '{truth}/entities.parquet' e USING (entity_id)
                                 WHERE e.name = ? AND a.address IS NOT NULL""", params=[name]).fetchall()
            picks.append(next(x for (x,) in rows if cl.ref(x).cluster_id == ex["cluster_id"]))
        w = cl.why(picks[0], picks[1])
        assert w["linked"]
        assert any(payjoin_behind(s) for s in w["steps"]), ex
