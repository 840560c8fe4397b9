"""``cluster why`` as a numba kernel: breadth-first search over the evidence
edges of one cluster, from one address to another, so a path across a
cluster of hundreds of thousands of addresses takes milliseconds.
Pure-Python twin: ``why.shortest_path`` (both give a shortest path; when
several exist they may pick different ones)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _pos(members, x):
    """Index of address x in the cluster's sorted members (-1 when absent)."""
    k = np.searchsorted(members, x)
    if k < members.shape[0] and members[k] == x:
        return k
    return -1


@njit(cache=True, nogil=True)
def shortest_path_kernel(src, dst, members, inc_start, inc_edges, ea, eb):
    """Edge ids of a shortest evidence path from src to dst, both in the cluster whose sorted
    addresses are `members` (inc_start/inc_edges: the evidence edges at each member, by its
    position in `members`, see ``why.cluster_incidence``; ea/eb: each edge's two addresses).
    Empty when src == dst; [-1] when they are not linked."""
    if src == dst:
        return np.zeros(0, np.int64)
    n = members.shape[0]
    via = np.full(n, -2, np.int64)  # edge that reached each member (-1: the start, -2: not yet)
    queue = np.empty(n, np.int64)
    ps, pd = _pos(members, src), _pos(members, dst)
    if ps < 0 or pd < 0:
        return np.full(1, -1, np.int64)
    via[ps] = -1
    queue[0] = ps  # positions in members
    head, tail = 0, 1
    found = False
    while head < tail and not found:
        px = queue[head]
        x = members[px]
        head += 1
        for j in range(inc_start[px], inc_start[px + 1]):
            e = inc_edges[j]
            y = eb[e] if ea[e] == x else ea[e]
            py = _pos(members, y)
            if py < 0 or via[py] != -2:
                continue
            via[py] = e
            queue[tail] = py
            tail += 1
            if y == dst:
                found = True
                break
    if not found:
        return np.full(1, -1, np.int64)
    out = np.empty(n, np.int64)
    m = 0
    x = dst
    while x != src:
        e = via[_pos(members, x)]
        out[m] = e
        m += 1
        x = eb[e] if ea[e] == x else ea[e]
    return out[:m][::-1].copy()
