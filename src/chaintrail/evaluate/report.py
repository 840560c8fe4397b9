"""``chaintrail evaluate``: score a store's clustering, change detection and
CoinJoin detection against a simulator's ground truth."""

from __future__ import annotations

import time

import numpy as np

from chaintrail.cluster import room as R
from chaintrail.cluster import unionfind_kernels as U
from chaintrail.cluster.params import ClusterParams
from chaintrail.cluster.schedule import make_schedule
from chaintrail.errors import StoreError
from chaintrail.evaluate.scores import change_scores, clustering_scores, coinjoin_scores
from chaintrail.evaluate.truth import load_truth
from chaintrail.heuristics.change import ChangeContext, detect_change, eligible
from chaintrail.heuristics.change_expr import Leaf, parse
from chaintrail.heuristics.codes import HEURISTIC_NAMES
from chaintrail.heuristics.input_facts import InputFacts
from chaintrail.store.arrays import FLAG_COINBASE, ChainArrays
from chaintrail.store.store import Store

#: the single heuristics scored on their own (with their default parameters)
SINGLE = [Leaf(c, 4 if HEURISTIC_NAMES[c] == "power-of-ten" else None) for c in range(len(HEURISTIC_NAMES))]


def multi_input_clusters(arrays, skip: np.ndarray, facts: InputFacts) -> np.ndarray:
    """Root of every address under the multi-input heuristic alone."""
    n = arrays.counts["addresses"]
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, np.int64)
    U.multi_input_only(skip, arrays.tx_first_in, arrays.tx_n_in, facts.addr, parent, size)
    roots = np.empty(n, np.int64)
    U.all_roots(parent, roots)
    return roots


def evaluate_store(store_path, truth_dir) -> dict:
    """All the scores of one store against one truth directory."""
    t0 = time.perf_counter()
    store = Store.open(store_path)
    arrays = ChainArrays.open(store.root, store.manifest)
    entry = store.manifest.extra.get(R.ROOM)
    if arrays is None or not entry:
        raise StoreError(f"{store.root}: no clustering to evaluate: run `chaintrail cluster build` first")
    root = store.root
    params = ClusterParams.from_dict(entry["params"])
    truth = load_truth(truth_dir, arrays)
    n_tx = arrays.counts["txs"]
    dense = R.read_array(root, entry["arrays"]["dense"])
    cids = R.read_array(root, entry["arrays"]["cluster_ids"])
    predicted = np.asarray(cids)[np.asarray(dense)[truth.address_id]]
    codes = R.load_array(root, entry["state"]["cj_codes"])

    skip = (np.asarray(arrays.tx_flags) & FLAG_COINBASE) != 0
    if params.coinjoin_filter:
        skip |= codes != 0
    facts = InputFacts.gather(arrays)
    baseline = multi_input_clusters(arrays, skip, facts)[truth.address_id]

    sched = make_schedule(arrays.tx_height, params.horizon)
    elig = eligible(arrays, codes, max_outputs=params.max_change_outputs)
    ctx = ChangeContext(arrays, elig, sched.due, facts)
    decisions = {}
    for leaf in SINGLE:
        name = HEURISTIC_NAMES[leaf.code] + (f":{leaf.param}" if leaf.param is not None else "")
        decisions[name] = detect_change(ctx, leaf, 0, n_tx).change
    node = parse(params.change)
    if node is not None:
        decisions[f"combined ({params.change})"] = detect_change(ctx, node, 0, n_tx).change
    first_out = np.asarray(arrays.tx_first_out)

    clustering = clustering_scores(predicted, truth)
    base = clustering_scores(baseline, truth)
    ratio = {}
    for key in ("pairwise_entity", "bcubed_entity"):
        b = base[key]["recall"]
        ratio[key] = clustering[key]["recall"] / b if b else None
    return {
        "store": str(root), "truth": str(truth_dir), "params": entry["params"],
        "tip": entry.get("tip"),
        "truth_mapped": {"addresses": int(truth.address_id.size), "missing_addresses": truth.missing_addresses,
                         "txs": int(truth.tx_id.size), "missing_txs": truth.missing_txs},
        "clustering": clustering,
        "multi_input_baseline": base,
        "recall_vs_multi_input": ratio,
        "change": change_scores(first_out, decisions, truth, n_tx, elig),
        "coinjoin": coinjoin_scores(codes, truth),
        "seconds": round(time.perf_counter() - t0, 3),
    }
