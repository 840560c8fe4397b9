"""The figures of ``chaintrail evaluate``, each computed from arrays on the
store's ids: address clustering against the true owners, change detection
per heuristic against the true change outputs, CoinJoin detection per
protocol against the true CoinJoins. docs/clustering.md defines each one.
"""

from __future__ import annotations

import numpy as np

from chaintrail.evaluate.metrics import largest_cluster_purity, pair_scores
from chaintrail.heuristics.codes import PROTOCOL_CODES


def bcubed(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """Address-weighted (B-cubed) precision and recall: per address, the share of its cluster
    that shares its owner, and the share of its owner's addresses in its cluster; averaged."""
    predicted = np.asarray(predicted, np.int64)
    truth = np.asarray(truth, np.int64)
    if predicted.size == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    _, ip, cp = np.unique(predicted, return_inverse=True, return_counts=True)
    _, it, ct = np.unique(truth, return_inverse=True, return_counts=True)
    cell = ip.astype(np.int64) * (int(it.max()) + 1) + it
    _, ic, cc = np.unique(cell, return_inverse=True, return_counts=True)
    both = cc[ic].astype(np.float64)
    p = float((both / cp[ip]).mean())
    r = float((both / ct[it]).mean())
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def services_per_cluster(predicted: np.ndarray, entity: np.ndarray, is_service: np.ndarray,
                         names: dict[int, str], limit: int = 10) -> dict:
    """Clusters holding addresses of two or more services (non-user entities)."""
    p = predicted[is_service]
    e = entity[is_service]
    if p.size == 0:
        return {"clusters_with_several_services": 0, "examples": []}
    pairs = np.unique(np.stack([p, e], axis=1), axis=0)
    cl, counts = np.unique(pairs[:, 0], return_counts=True)
    multi = cl[counts > 1]
    examples = []
    for c in multi[np.argsort(-counts[counts > 1])][:limit]:
        ents = pairs[pairs[:, 0] == c, 1]
        examples.append({"cluster_id": int(c), "services": sorted(names.get(int(x), str(x)) for x in ents)})
    return {"clusters_with_several_services": int(multi.size), "examples": examples}


def clustering_scores(predicted: np.ndarray, truth) -> dict:
    """Pairwise and address-weighted scores against entities and wallets, the largest cluster,
    and the clusters that mix services."""
    ent = pair_scores(predicted, truth.entity)
    wal = pair_scores(predicted, truth.wallet)
    return {
        "addresses": int(predicted.size),
        "pairwise_entity": ent.to_dict(),
        "pairwise_wallet": wal.to_dict(),
        "bcubed_entity": bcubed(predicted, truth.entity),
        "bcubed_wallet": bcubed(predicted, truth.wallet),
        "largest_cluster": largest_cluster_purity(predicted, truth.entity),
        "services": services_per_cluster(predicted, truth.entity, truth.service, truth.entity_names),
    }


def change_scores(first_out: np.ndarray, decisions: dict[str, np.ndarray], truth, n_tx: int,
                  eligible: np.ndarray) -> dict:
    """Per heuristic: answers (txs with a unique candidate), precision (answers naming the true
    change output) and coverage (answers among eligible txs that have a true change output)."""
    true_vout = np.full(n_tx, -2, np.int64)
    true_vout[truth.tx_id] = truth.change_vout
    known = true_vout > -2
    base = eligible & known & (true_vout >= 0)
    out = {}
    for name, change in decisions.items():
        has = (change >= 0) & known & eligible
        vout = np.where(has, change - first_out, -1)
        correct = has & (vout == true_vout)
        n_ans = int(has.sum())
        out[name] = {
            "answers": n_ans,
            "correct": int(correct.sum()),
            "precision": float(correct.sum() / n_ans) if n_ans else None,
            "coverage": float((has & base).sum() / base.sum()) if base.sum() else None,
        }
    return {"eligible_with_change": int(base.sum()), "heuristics": out}


def coinjoin_scores(codes: np.ndarray, truth) -> dict:
    """Precision and recall per protocol, and of "any CoinJoin"; the truth's CoinJoins are its
    transactions of kind 'coinjoin' (PayJoins and Whirlpool TX0s are not CoinJoins)."""
    n = codes.shape[0]
    true_code = np.zeros(n, np.int64)
    is_cj = truth.kind == "coinjoin"
    proto = np.array([PROTOCOL_CODES.get(p, PROTOCOL_CODES["generic"]) for p in truth.protocol[is_cj]],
                     np.int64)
    true_code[truth.tx_id[is_cj]] = proto
    judged = np.zeros(n, bool)
    judged[truth.tx_id] = True
    c = np.where(judged, codes.astype(np.int64), 0)
    out = {}
    for name, k in PROTOCOL_CODES.items():
        det = c == k
        tru = true_code == k
        tp = int((det & tru).sum())
        if name == "generic":  # no simulated protocol is "generic": count any true CoinJoin as right
            tp = int((det & (true_code > 0)).sum())
        out[name] = {"detected": int(det.sum()), "true": int(tru.sum()), "correct": tp,
                     "precision": tp / int(det.sum()) if det.sum() else None,
                     "recall": tp / int(tru.sum()) if tru.sum() else None}
    det = c > 0
    tru = true_code > 0
    tp = int((det & tru).sum())
    out["any"] = {"detected": int(det.sum()), "true": int(tru.sum()), "correct": tp,
                  "precision": tp / int(det.sum()) if det.sum() else None,
                  "recall": tp / int(tru.sum()) if tru.sum() else None}
    return out
