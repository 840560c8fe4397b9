"""Scores of a partition against a ground-truth partition, without
materialising pairs: the contingency table of (predicted, true) labels,
and sums of C(n, 2) over its cells, rows and columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _pairs(counts: np.ndarray) -> int:
    c = counts.astype(np.int64)
    return int((c * (c - 1) // 2).sum())


def _run_lengths(sorted_keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return np.diff(np.r_[starts, sorted_keys.size])


@dataclass
class PairScores:
    """Pairwise precision and recall, with homogeneity-style summaries."""

    n_items: int
    pairs_predicted: int  # same predicted cluster
    pairs_true: int  # same true label
    pairs_both: int  # same cluster and same label
    n_clusters: int
    n_labels: int

    @property
    def precision(self) -> float:
        return self.pairs_both / self.pairs_predicted if self.pairs_predicted else 1.0

    @property
    def recall(self) -> float:
        return self.pairs_both / self.pairs_true if self.pairs_true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {"items": self.n_items, "clusters": self.n_clusters, "true_groups": self.n_labels,
                "pairs_predicted": self.pairs_predicted, "pairs_true": self.pairs_true,
                "pairs_correct": self.pairs_both, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


def pair_scores(predicted: np.ndarray, truth: np.ndarray) -> PairScores:
    """Pairwise scores of two labelings of the same items (int arrays of equal length)."""
    predicted = np.asarray(predicted, np.int64)
    truth = np.asarray(truth, np.int64)
    order = np.lexsort((truth, predicted))
    p, t = predicted[order], truth[order]
    cell_start = np.flatnonzero(np.r_[True, (p[1:] != p[:-1]) | (t[1:] != t[:-1])]) if p.size else \
        np.zeros(0, np.int64)
    cells = np.diff(np.r_[cell_start, p.size]) if p.size else np.zeros(0, np.int64)
    clusters = _run_lengths(p)
    labels = _run_lengths(np.sort(t))
    return PairScores(int(p.size), _pairs(clusters), _pairs(labels), _pairs(cells), int(clusters.size),
                      int(labels.size))


def largest_cluster_purity(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """The largest predicted cluster: its size, how many distinct true labels it holds,
    and the share of its items that belong to its most common label."""
    predicted = np.asarray(predicted, np.int64)
    truth = np.asarray(truth, np.int64)
    if predicted.size == 0:
        return {"size": 0, "distinct_true": 0, "majority_share": 1.0}
    ids, counts = np.unique(predicted, return_counts=True)
    big = ids[np.argmax(counts)]
    members = truth[predicted == big]
    labs, lc = np.unique(members, return_counts=True)
    return {"cluster_id": int(big), "size": int(members.size), "distinct_true": int(labs.size),
            "majority_share": float(lc.max() / members.size)}
