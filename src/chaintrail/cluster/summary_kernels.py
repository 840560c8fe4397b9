"""Per-cluster figures and the lookup structures of a clustering, as numba
kernels: each cluster's transactions, balance, received value and height
range; the members of each cluster (CSR, for paging through huge
clusters); the evidence edges touching each address (CSR, for
``cluster why``)."""

from __future__ import annotations

from numba import njit

#: columns of the per-cluster accumulator (one row per cluster: one cache line per update)
S_MARK = 0  # last tx counted
S_TXS = 1
S_BALANCE = 2
S_RECEIVED = 3
S_FIRST = 4  # first height (-1 unknown)
S_LAST = 5
N_STATS = 8


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
def cluster_stats(dense, acc, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, out_value,
                  out_address, out_spent_by, in_addr):
    """Fill acc[k] (N_STATS columns, see S_*) for every cluster k: transactions touching it (as
    input or output), unspent value, value received, first and last height of those
    transactions. in_addr: the spent address of every input (input_facts, from input 0)."""
    for k in range(acc.shape[0]):
        acc[k, S_MARK] = -1
        acc[k, S_TXS] = 0
        acc[k, S_BALANCE] = 0
        acc[k, S_RECEIVED] = 0
        acc[k, S_FIRST] = -1
        acc[k, S_LAST] = -1
    for t in range(tx_n_out.shape[0]):
        h = tx_height[t]
        for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
            a = out_address[o]
            if a < 0:
                continue
            k = dense[a]
            v = out_value[o]
            acc[k, S_RECEIVED] += v
            if out_spent_by[o] < 0:
                acc[k, S_BALANCE] += v
            _touch(acc, k, t, h)
        for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            a = in_addr[i]
            if a >= 0:
                _touch(acc, dense[a], t, h)


@njit(cache=True, nogil=True)
def members_csr(dense, n_clusters, start, members):
    """start[k]:start[k+1] of members = the addresses of cluster k, ascending."""
    start[:] = 0
    for x in range(dense.shape[0]):
        start[dense[x] + 1] += 1
    for k in range(n_clusters):
        start[k + 1] += start[k]
    fill = start[:n_clusters].copy()
    for x in range(dense.shape[0]):
        k = dense[x]
        members[fill[k]] = x
        fill[k] += 1


@njit(cache=True, nogil=True)
def incidence_csr(n_addr, ea, eb, start, edges):
    """start[x]:start[x+1] of edges = the ids of the evidence edges touching address x."""
    start[:] = 0
    for j in range(ea.shape[0]):
        start[ea[j] + 1] += 1
        start[eb[j] + 1] += 1
    for x in range(n_addr):
        start[x + 1] += start[x]
    fill = start[:n_addr].copy()
    for j in range(ea.shape[0]):
        edges[fill[ea[j]]] = j
        fill[ea[j]] += 1
        edges[fill[eb[j]]] = j
        fill[eb[j]] += 1
