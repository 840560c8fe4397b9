"""The per-cluster figures, members and evidence lookups against their pure-Python twins, and
the linear change-link schedule against the binary-search one."""

from __future__ import annotations

import numpy as np
import pytest

from chaintrail.cluster import unionfind_kernels as U
from chaintrail.cluster.schedule import due_reference, make_schedule
from chaintrail.cluster.summary_kernels import (
    S_BALANCE,
    S_FIRST,
    S_LAST,
    S_RECEIVED,
    S_TXS,
    cluster_refs,
    cluster_stats,
    members_csr,
    stats_table,
)
from chaintrail.cluster.summary_reference import (
    cluster_stats_reference,
    incidence_reference,
    members_reference,
)
from chaintrail.cluster.why import cluster_incidence


def _chain(seed: int, n_tx: int = 300, n_addr: int = 120):
    """A random chain: per tx 0-4 inputs and 1-4 outputs; some outputs without an address, some
    inputs unknown, some heights unknown; every address clustered by a random union-find."""
    rng = np.random.default_rng(seed)
    n_in = rng.integers(0, 5, n_tx)
    n_out = rng.integers(1, 5, n_tx)
    first_in = np.concatenate([[0], np.cumsum(n_in)[:-1]]).astype(np.int64)
    first_out = np.concatenate([[0], np.cumsum(n_out)[:-1]]).astype(np.int64)
    n_o, n_i = int(n_out.sum()), int(n_in.sum())
    out_address = np.where(rng.random(n_o) < 0.9, rng.integers(0, n_addr, n_o), -1).astype(np.int64)
    out_value = rng.integers(1, 10**6, n_o).astype(np.int64)
    out_spent_by = np.where(rng.random(n_o) < 0.6, rng.integers(0, max(n_i, 1), n_o), -1).astype(np.int64)
    in_addr = np.where(rng.random(n_i) < 0.9, rng.integers(0, n_addr, n_i), -1).astype(np.int64)
    height = np.sort(rng.integers(0, 50, n_tx)).astype(np.int32)
    height[rng.random(n_tx) < 0.05] = -1
    parent = np.arange(n_addr, dtype=np.int64)
    for _ in range(n_addr // 2):
        x, y = (int(v) for v in rng.integers(0, n_addr, 2))
        rx, ry = U.find(parent, x), U.find(parent, y)
        parent[max(rx, ry)] = min(rx, ry)
    dense = np.empty(n_addr, np.int64)
    cmin = np.empty(n_addr, np.int64)
    croot = np.empty(n_addr, np.int64)
    n_cl = U.dense_clusters(parent, dense, cmin, croot)
    return dict(n_in=n_in.astype(np.int32), n_out=n_out.astype(np.int32), first_in=first_in,
                first_out=first_out, out_address=out_address, out_value=out_value,
                out_spent_by=out_spent_by, in_addr=in_addr, height=height, dense=dense, n_cl=n_cl,
                n_addr=n_addr)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cluster_figures_match_the_twin(seed):
    c = _chain(seed)
    out_k = np.empty(c["out_address"].shape[0], np.int64)
    in_k = np.empty(c["in_addr"].shape[0], np.int64)
    cluster_refs(c["dense"], c["out_address"], c["in_addr"], out_k, in_k)
    acc = stats_table(c["n_cl"])
    assert acc.ctypes.data % 64 == 0
    cluster_stats(out_k, in_k, acc, c["first_in"], c["n_in"], c["first_out"], c["n_out"], c["height"],
                  c["out_value"], c["out_spent_by"])
    ref = cluster_stats_reference(c["dense"], c["n_cl"], c["first_in"], c["n_in"], c["first_out"],
                                  c["n_out"], c["height"], c["out_value"], c["out_address"],
                                  c["out_spent_by"], c["in_addr"])
    assert acc[:, S_TXS].tolist() == ref["n_txs"]
    assert acc[:, S_BALANCE].tolist() == ref["balance"]
    assert acc[:, S_RECEIVED].tolist() == ref["received"]
    assert acc[:, S_FIRST].tolist() == ref["first"]
    assert acc[:, S_LAST].tolist() == ref["last"]
    assert sum(ref["n_txs"]) > 0 and sum(ref["balance"]) > 0


@pytest.mark.parametrize("seed", [4, 5])
def test_members_and_incidence_match_the_twin(seed):
    c = _chain(seed)
    start = np.empty(c["n_cl"] + 1, np.int64)
    members = np.empty(c["n_addr"], np.int64)
    members_csr(c["dense"], c["n_cl"], start, members)
    got = [members[start[k]:start[k + 1]].tolist() for k in range(c["n_cl"])]
    assert got == members_reference(c["dense"], c["n_cl"])
    # evidence edges join two addresses of one cluster: pairs drawn inside clusters
    rng = np.random.default_rng(seed + 9)
    ea = rng.integers(0, c["n_addr"], 400)
    eb = np.array([rng.choice(got[c["dense"][x]]) for x in ea])
    ref = incidence_reference(c["n_addr"], ea, eb)
    n_edges = 0
    for k in range(c["n_cl"]):
        members = np.array(got[k], np.int64)
        start, edges = cluster_incidence(ea, eb, c["dense"][ea], k, members)
        by_member = [edges[start[p]:start[p + 1]].tolist() for p in range(members.shape[0])]
        assert by_member == [ref[x] for x in members]
        n_edges += sum(map(len, by_member))
    assert n_edges == 2 * ea.shape[0]


def test_numbering_matches_a_sequential_scan():
    rng = np.random.default_rng(5)
    n = 5000
    parent = np.arange(n, dtype=np.int64)
    for _ in range(3000):
        x, y = (int(v) for v in rng.integers(0, n, 2))
        rx, ry = U.find(parent, x), U.find(parent, y)
        if rx != ry:
            parent[ry] = rx
    roots = np.empty(n, np.int64)
    U.all_roots(parent.copy(), roots)
    label: dict[int, int] = {}
    want = [label.setdefault(int(r), len(label)) for r in roots]
    dense = np.empty(n, np.int64)
    cmin = np.empty(n, np.int64)
    croot = np.empty(n, np.int64)
    k = U.dense_clusters(parent, dense, cmin, croot)
    assert k == len(label) and dense.tolist() == want
    assert cmin[:k].tolist() == sorted({int(np.nonzero(roots == r)[0][0]) for r in label})
    assert (parent == roots).all() and (croot[:k] == roots[cmin[:k]]).all()


@pytest.mark.parametrize("horizon", [0, 1, 3, 144])
def test_linear_schedule_equals_binary_search(horizon):
    rng = np.random.default_rng(horizon)
    h = np.sort(rng.integers(0, 300, 4000)).astype(np.int32)
    h[rng.random(4000) < 0.02] = -1  # loose blocks of unknown height
    h[100] = 999  # a height out of order
    s = make_schedule(h, horizon)
    hmax, due = due_reference(h, horizon)
    assert (s.hmax == hmax).all() and (s.due == due).all()
    assert make_schedule(np.zeros(0, np.int32), horizon).due.size == 0
