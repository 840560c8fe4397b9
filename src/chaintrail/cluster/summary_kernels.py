"""Per-cluster figures and the lookup structures of a clustering, as numba
kernels: each cluster's transactions, balance, received value and height
range; the members of each cluster (CSR, for paging through huge
clusters); the evidence edges touching each address (CSR, for
``cluster why``)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

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


@njit(cache=True, nogil=True, parallel=True)
def cluster_refs(dense, out_address, in_addr, out_k, in_k):
    """out_k[o] / in_k[i]: the cluster index of the address output o pays / input i spends
    (-1 none). The random reads of ``dense`` done once, on every core."""
    for o in prange(out_address.shape[0]):
        a = out_address[o]
        out_k[o] = dense[a] if a >= 0 else -1
    for i in prange(in_addr.shape[0]):
        a = in_addr[i]
        in_k[i] = dense[a] if a >= 0 else -1


@njit(cache=True, nogil=True, parallel=True)
def cluster_stats(out_k, in_k, acc, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, out_value,
                  out_spent_by, n_parts):
    """Fill acc[k] (N_STATS columns, see S_*) for every cluster k: transactions touching it (as
    input or output), unspent value, value received, first and last height of those
    transactions. out_k, in_k: ``cluster_refs``. The clusters are cut into n_parts ranges, one
    per thread: each thread reads the whole chain in order and updates only its own rows."""
    n_cl = acc.shape[0]
    for p in prange(n_parts):
        lo = n_cl * p // n_parts
        hi = n_cl * (p + 1) // n_parts
        for k in range(lo, hi):
            acc[k, S_MARK] = -1
            acc[k, S_TXS] = 0
            acc[k, S_BALANCE] = 0
            acc[k, S_RECEIVED] = 0
            acc[k, S_FIRST] = -1
            acc[k, S_LAST] = -1
        flat = acc.reshape(-1)
        n_tx = tx_n_out.shape[0]
        for t in range(n_tx):
            v = t + AHEAD  # the rows transaction t + AHEAD will update, fetched while we work
            if v < n_tx:
                for o in range(tx_first_out[v], tx_first_out[v] + tx_n_out[v]):
                    k = out_k[o]
                    if k >= lo and k < hi:
                        prefetch(flat, k * N_STATS)
                for i in range(tx_first_in[v], tx_first_in[v] + tx_n_in[v]):
                    k = in_k[i]
                    if k >= lo and k < hi:
                        prefetch(flat, k * N_STATS)
            h = tx_height[t]
            for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
                k = out_k[o]
                if k < lo or k >= hi:
                    continue
                v = out_value[o]
                acc[k, S_RECEIVED] += v
                if out_spent_by[o] < 0:
                    acc[k, S_BALANCE] += v
                _touch(acc, k, t, h)
            for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
                k = in_k[i]
                if k >= lo and k < hi:
                    _touch(acc, k, t, h)


def stats_table(n_clusters: int) -> np.ndarray:
    """An (n_clusters, N_STATS) int64 table whose rows start on 64-byte boundaries (one cache
    line per row)."""
    raw = np.empty(n_clusters * N_STATS + 8, np.int64)
    skip = (-raw.ctypes.data % 64) // 8
    return raw[skip: skip + n_clusters * N_STATS].reshape(n_clusters, N_STATS)


@njit(cache=True, nogil=True, parallel=True)
def members_csr(dense, n_clusters, start, members, n_parts):
    """start[k]:start[k+1] of members = the addresses of cluster k, ascending. Each of n_parts
    threads counts and fills the clusters of its own range (reading ``dense`` in order)."""
    start[0] = 0
    for p in prange(n_parts):
        lo = n_clusters * p // n_parts
        hi = n_clusters * (p + 1) // n_parts
        for k in range(lo, hi):
            start[k + 1] = 0
        n = dense.shape[0]
        for x in range(n):
            if x + AHEAD < n:
                prefetch(start, dense[x + AHEAD] + 1)
            k = dense[x]
            if k >= lo and k < hi:
                start[k + 1] += 1
    for k in range(n_clusters):
        start[k + 1] += start[k]
    for p in prange(n_parts):
        lo = n_clusters * p // n_parts
        hi = n_clusters * (p + 1) // n_parts
        fill = start[lo:hi].copy()
        n = dense.shape[0]
        for x in range(n):
            if x + AHEAD < n:
                k = dense[x + AHEAD]
                if k >= lo and k < hi:
                    prefetch(fill, k - lo)
            k = dense[x]
            if k >= lo and k < hi:
                members[fill[k - lo]] = x
                fill[k - lo] += 1


@njit(cache=True, nogil=True, parallel=True)
def incidence_csr(n_addr, ea, eb, start, edges, n_parts):
    """start[x]:start[x+1] of edges = the ids of the evidence edges touching address x, ascending.
    Each of n_parts threads counts and fills the addresses of its own range."""
    start[0] = 0
    for p in prange(n_parts):
        lo = n_addr * p // n_parts
        hi = n_addr * (p + 1) // n_parts
        for x in range(lo, hi):
            start[x + 1] = 0
        m = ea.shape[0]
        for j in range(m):
            if j + AHEAD < m:
                prefetch(start, ea[j + AHEAD] + 1)
                prefetch(start, eb[j + AHEAD] + 1)
            a = ea[j]
            if a >= lo and a < hi:
                start[a + 1] += 1
            b = eb[j]
            if b >= lo and b < hi:
                start[b + 1] += 1
    for x in range(n_addr):
        start[x + 1] += start[x]
    for p in prange(n_parts):
        lo = n_addr * p // n_parts
        hi = n_addr * (p + 1) // n_parts
        fill = start[lo:hi].copy()
        m = ea.shape[0]
        for j in range(m):
            if j + AHEAD < m:
                a = ea[j + AHEAD]
                if a >= lo and a < hi:
                    prefetch(fill, a - lo)
                b = eb[j + AHEAD]
                if b >= lo and b < hi:
                    prefetch(fill, b - lo)
            a = ea[j]
            if a >= lo and a < hi:
                edges[fill[a - lo]] = j
                fill[a - lo] += 1
            b = eb[j]
            if b >= lo and b < hi:
                edges[fill[b - lo]] = j
                fill[b - lo] += 1
