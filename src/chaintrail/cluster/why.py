"""``chaintrail cluster why A B``: the shortest chain of recorded merges that
links two addresses (breadth-first search over the evidence edges, from
both ends), or "not linked". Each step names the transaction and the
heuristic behind it.

The evidence edges at each address of the cluster are found when asked
(``cluster_incidence``: the cluster of every edge, one gather over the edges
made once per reader, then a scan; a few tenths of a second at 10 M edges),
not kept by the build: a lookup of every address's edges cost each build two
passes over every edge and 150 MB of files (at 10 M transactions) for a
question asked now and then."""

from __future__ import annotations

from collections import deque

import numpy as np

from chaintrail.cluster import room as R
from chaintrail.heuristics.codes import EVIDENCE_NAMES, HEURISTIC_NAMES


def cluster_incidence(ea: np.ndarray, eb: np.ndarray, edge_cluster: np.ndarray, k: int,
                      members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The evidence edges of cluster k at each of its members (its sorted addresses): start[p]:
    start[p+1] of edges = the ids of the edges at members[p], ascending. ea/eb: both addresses of
    every edge; edge_cluster: the cluster index of every edge (of its addresses: both ends of an
    edge are in one cluster)."""
    sel = np.flatnonzero(edge_cluster == k)
    members = np.asarray(members)
    pos = np.concatenate([np.searchsorted(members, ea[sel]), np.searchsorted(members, eb[sel])])
    ids = np.concatenate([sel, sel]).astype(np.int64)
    order = np.lexsort((ids, pos))
    start = np.zeros(members.shape[0] + 1, np.int64)
    np.cumsum(np.bincount(pos, minlength=members.shape[0]), out=start[1:])
    return start, ids[order]


class Evidence:
    """The evidence edges of a clustering (settled then provisional)."""

    def __init__(self, root, entry: dict):
        ev, pv = entry["evidence"], entry["provisional"]
        self.n_settled = ev["tx"]["length"]
        self.tx = _cat(root, ev["tx"], pv["ev_tx"])
        self.a = _cat(root, ev["a"], pv["ev_a"])
        self.b = _cat(root, ev["b"], pv["ev_b"])
        self.kind = _cat(root, ev["kind"], pv["ev_kind"])
        self.support = _cat(root, ev["support"], pv["ev_support"])
        self._ab: tuple[np.ndarray, np.ndarray] | None = None  # endpoints(), made once
        self._dense: np.ndarray | None = None  # the cluster index the edge clusters are of
        self._edge_cluster: np.ndarray | None = None

    def endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Both addresses of every edge as two contiguous arrays (for the kernel; made once)."""
        if self._ab is None:
            self._ab = (np.concatenate([np.asarray(self.a.first), np.asarray(self.a.second)]),
                        np.concatenate([np.asarray(self.b.first), np.asarray(self.b.second)]))
        return self._ab

    def of_cluster(self, dense: np.ndarray, k: int, members: np.ndarray) -> ClusterEvidence:
        """The edges of cluster k (members: its sorted addresses; dense: the cluster index of
        every address) by member. The cluster of every edge is found once (a gather over the
        edges) and kept for the next question."""
        ea, eb = self.endpoints()
        if self._dense is not dense:
            self._dense, self._edge_cluster = dense, np.take(np.asarray(dense), ea)
        start, edges = cluster_incidence(ea, eb, self._edge_cluster, k, members)
        return ClusterEvidence(np.asarray(members), start, edges, ea, eb)

    def edge(self, j: int) -> dict:
        sup = int(self.support[j])
        return {
            "tx_id": int(self.tx[j]), "address_id_a": int(self.a[j]), "address_id_b": int(self.b[j]),
            "heuristic": EVIDENCE_NAMES.get(int(self.kind[j]), "?"),
            "change_heuristics": [HEURISTIC_NAMES[k] for k in range(len(HEURISTIC_NAMES)) if sup >> k & 1],
            "provisional": j >= self.n_settled,
        }


class ClusterEvidence:
    """The evidence edges of one cluster at each of its members (``cluster_incidence``)."""

    def __init__(self, members: np.ndarray, start: np.ndarray, edges: np.ndarray, ea: np.ndarray,
                 eb: np.ndarray):
        self.members, self.start, self.edges, self.ea, self.eb = members, start, edges, ea, eb

    def neighbours(self, x: int):
        """(edge id, other address) of every evidence edge at address x (none outside the cluster)."""
        p = int(np.searchsorted(self.members, x))
        if p >= self.members.shape[0] or int(self.members[p]) != x:
            return
        for j in self.edges[self.start[p]:self.start[p + 1]]:
            j = int(j)
            a, b = int(self.ea[j]), int(self.eb[j])
            yield j, (b if a == x else a)


class _Lazy:
    """Concatenation of a memory-mapped array and an in-memory one, indexed lazily."""

    def __init__(self, first: np.ndarray, second: np.ndarray):
        self.first, self.second = first, second
        self.n = first.shape[0]

    def __getitem__(self, j: int):
        return self.first[j] if j < self.n else self.second[j - self.n]


def _cat(root, spec_a: dict, spec_b: dict) -> _Lazy:
    return _Lazy(R.read_array(root, spec_a), R.read_array(root, spec_b))


def shortest_path(ev: ClusterEvidence, src: int, dst: int, max_visits: int | None = None) -> list[int] | None:
    """Edge ids of a shortest evidence path from src to dst (None: not linked).
    Searches from both ends, expanding the smaller frontier."""
    if src == dst:
        return []
    seen = [{src: (-1, -1)}, {dst: (-1, -1)}]  # address -> (edge, previous address)
    frontier = [deque([src]), deque([dst])]
    visits = 0
    while frontier[0] and frontier[1]:
        side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        for _ in range(len(frontier[side])):
            x = frontier[side].popleft()
            for j, y in ev.neighbours(x):
                if y in seen[side]:
                    continue
                seen[side][y] = (j, x)
                if y in seen[1 - side]:
                    return _join(seen, y)
                frontier[side].append(y)
                visits += 1
                if max_visits is not None and visits > max_visits:
                    return None
    return None


def _join(seen, meet: int) -> list[int]:
    left = []
    x = meet
    while seen[0][x][0] >= 0:
        j, x = seen[0][x]
        left.append(j)
    left.reverse()
    right = []
    x = meet
    while seen[1][x][0] >= 0:
        j, x = seen[1][x]
        right.append(j)
    return left + right
