"""Per-cluster figures and the members lookup of a clustering, as numba
kernels: each cluster's transactions, balance, received value and height
range; the members of each cluster (CSR, for paging through huge
clusters). (The evidence edges at each address, for ``cluster why``, are
found when asked: ``why.cluster_incidence``.)

Each kernel runs on one thread and releases the GIL: the build runs the
two independent ones side by side (``outputs.write_outputs``), so every
core works and no row is read twice (splitting one kernel's rows between
threads made each thread read the whole chain)."""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.cluster.prefetch import prefetch

#: columns of the per-cluster accumulator (one row per cluster: one cache line per update)
S_MARK = 0  # last tx counted
S_TXS = 1
S_BALANCE = 2
S_RECEIVED = 3
S_FIRST = 4  # first height (-1 unknown)
S_LAST = 5
N_STATS = 8

#: how far ahead (transactions, or rows read in order) the kernels prefetch the rows they update
AHEAD = 16


@njit(cache=True, nogil=True, inline="always")
def _touch(acc, k, t, h):
    if acc[k, S_MARK] != t:
        acc[k, S_MARK] = t
        acc[k, S_TXS] += 1
        if h >= 0:
            if acc[k, S_FIRST] < 0 or h < acc[k, S_FIRST]:
                acc[k, S_FIRST] = h
            if h > acc[k, S_LAST]:
                acc[k, S_LAST] = h


@njit(cache=True, nogil=True)
def cluster_refs(dense, out_address, in_addr, out_k, in_k):
    """out_k[o] / in_k[i]: the cluster index of the address output o pays / input i spends
    (-1 none): the random reads of ``dense`` done once, so ``cluster_stats`` reads in order."""
    for o in range(out_address.shape[0]):
        a = out_address[o]
        out_k[o] = dense[a] if a >= 0 else -1
    for i in range(in_addr.shape[0]):
        a = in_addr[i]
        in_k[i] = dense[a] if a >= 0 else -1


@njit(cache=True, nogil=True)
def cluster_stats(out_k, in_k, acc, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, out_value,
                  out_spent_by):
    """Fill acc[k] (N_STATS columns, see S_*) for every cluster k: transactions touching it (as
    input or output), unspent value, value received, first and last height of those
    transactions. out_k, in_k: ``cluster_refs``. One pass over the chain in order; the rows
    transaction t + AHEAD will update are prefetched while t is counted."""
    for k in range(acc.shape[0]):
        acc[k, S_MARK] = -1
        acc[k, S_TXS] = 0
        acc[k, S_BALANCE] = 0
        acc[k, S_RECEIVED] = 0
        acc[k, S_FIRST] = -1
        acc[k, S_LAST] = -1
    flat = acc.reshape(-1)
    n_tx = tx_n_out.shape[0]
    for t in range(n_tx):
        v = t + AHEAD
        if v < n_tx:
            for o in range(tx_first_out[v], tx_first_out[v] + tx_n_out[v]):
                k = out_k[o]
                if k >= 0:
                    prefetch(flat, k * N_STATS)
            for i in range(tx_first_in[v], tx_first_in[v] + tx_n_in[v]):
                k = in_k[i]
                if k >= 0:
                    prefetch(flat, k * N_STATS)
        h = tx_height[t]
        for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
            k = out_k[o]
            if k < 0:
                continue
            v = out_value[o]
            acc[k, S_RECEIVED] += v
            if out_spent_by[o] < 0:
                acc[k, S_BALANCE] += v
            _touch(acc, k, t, h)
        for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            k = in_k[i]
            if k >= 0:
                _touch(acc, k, t, h)


def stats_table(n_clusters: int) -> np.ndarray:
    """An (n_clusters, N_STATS) int64 table whose rows start on 64-byte boundaries (one cache
    line per row)."""
    raw = np.empty(n_clusters * N_STATS + 8, np.int64)
    skip = (-raw.ctypes.data % 64) // 8
    return raw[skip: skip + n_clusters * N_STATS].reshape(n_clusters, N_STATS)


@njit(cache=True, nogil=True)
def members_csr(dense, n_clusters, start, members):
    """start[k]:start[k+1] of members = the addresses of cluster k, ascending: count, add up,
    fill (reading ``dense`` in order, the counters it will update prefetched)."""
    start[0] = 0
    for k in range(n_clusters):
        start[k + 1] = 0
    n = dense.shape[0]
    for x in range(n):
        if x + AHEAD < n:
            prefetch(start, dense[x + AHEAD] + 1)
        start[dense[x] + 1] += 1
    for k in range(n_clusters):
        start[k + 1] += start[k]
    fill = start[:n_clusters].copy()
    for x in range(n):
        if x + AHEAD < n:
            prefetch(fill, dense[x + AHEAD])
        k = dense[x]
        members[fill[k]] = x
        fill[k] += 1
