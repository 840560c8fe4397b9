"""Pure-Python twins of ``summary_kernels`` (the per-cluster figures and the
members lookup) and of ``why.cluster_incidence`` (the evidence edges at each
address), written the plain way (for tests)."""

from __future__ import annotations


def cluster_stats_reference(dense, n_clusters: int, tx_first_in, tx_n_in, tx_first_out, tx_n_out,
                            tx_height, out_value, out_address, out_spent_by, in_addr) -> dict:
    """Per cluster: txs touching it, unspent value, value received, first and last height."""
    txs = [set() for _ in range(n_clusters)]
    bal = [0] * n_clusters
    rec = [0] * n_clusters
    heights: list[list[int]] = [[] for _ in range(n_clusters)]
    for t in range(len(tx_n_out)):
        touched = set()
        for o in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
            a = out_address[o]
            if a >= 0:
                k = int(dense[a])
                rec[k] += int(out_value[o])
                if out_spent_by[o] < 0:
                    bal[k] += int(out_value[o])
                touched.add(k)
        for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            if in_addr[i] >= 0:
                touched.add(int(dense[in_addr[i]]))
        for k in touched:
            txs[k].add(t)
            if tx_height[t] >= 0:
                heights[k].append(int(tx_height[t]))
    return {"n_txs": [len(s) for s in txs], "balance": bal, "received": rec,
            "first": [min(h) if h else -1 for h in heights], "last": [max(h) if h else -1 for h in heights]}


def members_reference(dense, n_clusters: int) -> list[list[int]]:
    """The addresses of every cluster, ascending."""
    out: list[list[int]] = [[] for _ in range(n_clusters)]
    for x, k in enumerate(dense):
        out[int(k)].append(x)
    return out


def incidence_reference(n_addr: int, ea, eb) -> list[list[int]]:
    """The evidence edges touching every address, ascending (the twin of
    ``why.cluster_incidence``, which finds them for the members of one cluster)."""
    out: list[list[int]] = [[] for _ in range(n_addr)]
    for j, (a, b) in enumerate(zip(ea, eb)):
        out[int(a)].append(j)
        out[int(b)].append(j)
    return out
