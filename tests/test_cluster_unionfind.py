"""The union-find pass: multi-input components equal scipy's connected
components; with change events and guards it equals its pure-Python twin
(partition, evidence edges in order, refusals); cluster numbering."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from chaintrail.bitcoin.script_types import P2WPKH
from chaintrail.cluster import unionfind_kernels as U
from chaintrail.cluster.build import Buffers, UFState, _run_pass
from chaintrail.cluster.unionfind_reference import RefClustering, plain_multi_input_reference
from chaintrail.heuristics.array_chain import ArrayChain, TxSpec
from chaintrail.heuristics.input_facts import InputFacts


def fresh_state(n: int, svc=None, cannot_link=False) -> UFState:
    svc_arr = np.array(svc, np.int32) if svc is not None else np.zeros(0, np.int32)
    if cannot_link:
        cl = [np.full(n, -1, np.int64), np.full(n, -1, np.int64), np.zeros(n, np.int64),
              np.zeros(0, np.int64), np.zeros(0, np.int64)]
    else:
        cl = [np.zeros(0, np.int64)] * 5
    return UFState(np.arange(n, dtype=np.int32), np.ones(n, np.int32), svc_arr, *cl, 0)


def partition(parent: np.ndarray) -> set[frozenset]:
    roots = np.empty_like(parent)
    U.all_roots(parent.copy(), roots)
    groups: dict[int, set] = {}
    for x, r in enumerate(roots):
        groups.setdefault(int(r), set()).add(x)
    return {frozenset(g) for g in groups.values()}


@st.composite
def chains(draw, max_addr=40):
    """Random spends of random coins; addresses drawn from a small pool (so reuse is common)."""
    n_addr = draw(st.integers(2, max_addr))
    specs = [TxSpec([], [(1000, P2WPKH, k) for k in range(n_addr)], 0)]
    coins = [(0, k) for k in range(n_addr)]
    for h in range(1, draw(st.integers(1, 30))):
        if not coins:
            break
        ins = [coins.pop(draw(st.integers(0, len(coins) - 1))) for _ in range(draw(st.integers(1, min(4, len(coins)))))]
        outs = [(1000, P2WPKH, draw(st.integers(0, n_addr - 1))) for _ in range(draw(st.integers(1, 3)))]
        specs.append(TxSpec(ins, outs, h))
        coins += [(len(specs) - 1, j) for j in range(len(outs))]
    return ArrayChain(specs)


@settings(max_examples=80, deadline=None)
@given(chains(), st.randoms(use_true_random=False))
def test_multi_input_equals_scipy_components(chain, rnd):
    n_tx, n_addr = chain.counts["txs"], chain.counts["addresses"]
    skip = np.array([rnd.random() < 0.2 for _ in range(n_tx)])
    facts = InputFacts.gather(chain)
    state = fresh_state(n_addr)
    buf = Buffers(4, cap_ref=4)  # tiny buffers: the pass must stop and resume
    ev = {k: np.zeros(0, d) for k, d in (("tx", np.int64), ("due", np.int64), ("out", np.int64),
                                          ("support", np.uint16))}
    _run_pass(state, chain, facts.addr, skip, ev, 0, n_tx, 0, buf)
    rows, cols = [], []
    for t in range(n_tx):
        if skip[t]:
            continue
        a = [int(x) for x in facts.addr[chain.tx_first_in[t]:chain.tx_first_in[t] + chain.tx_n_in[t]] if x >= 0]
        rows += a[:1] * (len(a) - 1)
        cols += a[1:]
    g = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_addr, n_addr))
    _, labels = connected_components(g, directed=False)
    expected: dict[int, set] = {}
    for x, lab in enumerate(labels):
        expected.setdefault(int(lab), set()).add(x)
    assert partition(state.parent) == {frozenset(v) for v in expected.values()}
    # one evidence edge per successful union: a spanning forest
    edges = buf.result("ev")
    assert edges["tx"].shape[0] == n_addr - len(expected)
    # and the same through the plain kernel
    p = np.arange(n_addr, dtype=np.int64)
    U.multi_input_only(skip, chain.tx_first_in, chain.tx_n_in, facts.addr, p, np.ones(n_addr, np.int64))
    assert partition(p) == partition(state.parent)


@st.composite
def scenarios(draw):
    chain = draw(chains(max_addr=25))
    n_tx = chain.counts["txs"]
    events = []
    for t in range(1, n_tx):
        outs = [o for o in range(int(chain.tx_first_out[t]), int(chain.tx_first_out[t] + chain.tx_n_out[t]))]
        if draw(st.integers(0, 2)) == 0:
            events.append((t, draw(st.integers(t + 1, n_tx)), draw(st.sampled_from(outs)),
                           draw(st.integers(0, 511))))
    events.sort(key=lambda e: (e[1], e[0]))
    n_addr = chain.counts["addresses"]
    svc = [draw(st.sampled_from([-1, -1, -1, 0, 1, 2])) for _ in range(n_addr)]
    flags = draw(st.sampled_from([0, U.F_MI_GUARD, U.F_OTHER_OUTPUT, U.F_CANNOT_LINK,
                                  U.F_MI_GUARD | U.F_OTHER_OUTPUT | U.F_CANNOT_LINK,
                                  U.F_CANNOT_LINK | U.F_CL_MULTI_INPUT | U.F_OTHER_OUTPUT]))
    skip = [draw(st.integers(0, 5)) == 0 for _ in range(n_tx)]
    return chain, events, svc, flags, skip


@settings(max_examples=120, deadline=None)
@given(scenarios())
def test_pass_with_change_events_and_guards_matches_twin(case):
    chain, events, svc, flags, skip = case
    n_tx, n_addr = chain.counts["txs"], chain.counts["addresses"]
    facts = InputFacts.gather(chain)
    state = fresh_state(n_addr, svc, cannot_link=bool(flags & U.F_CANNOT_LINK))
    ev = {"tx": np.array([e[0] for e in events], np.int64), "due": np.array([e[1] for e in events], np.int64),
          "out": np.array([e[2] for e in events], np.int64), "support": np.array([e[3] for e in events], np.uint16)}
    buf = Buffers(2, cap_ref=2)
    _run_pass(state, chain, facts.addr, np.array(skip), ev, 0, n_tx, flags, buf)
    ref = RefClustering(n_addr, svc)
    ref.run(chain, skip, events, 0, n_tx, flags)
    assert partition(state.parent) == ref.partition()
    got = buf.result("ev")
    assert list(zip(*(got[k].tolist() for k in ("tx", "a", "b", "kind", "support")))) == ref.edges
    got = buf.result("ref")
    assert list(zip(*(got[k].tolist() for k in ("tx", "a", "b", "kind", "reason")))) == ref.refused


def test_numbering_by_smallest_address():
    parent = np.array([0, 0, 2, 2, 1, 5, 3], np.int64)  # {0, 1, 4}, {2, 3, 6}, {5}
    dense = np.empty(7, np.int64)
    cmin = np.empty(7, np.int64)
    croot = np.empty(7, np.int64)
    n = U.dense_clusters(parent, dense, cmin, croot)
    assert n == 3 and list(cmin[:3]) == [0, 2, 5]
    assert list(dense) == [0, 0, 1, 1, 0, 2, 1]


def test_path_halving_keeps_roots():
    n = 1000
    parent = np.concatenate([[0], np.arange(n - 1)]).astype(np.int64)  # a chain 999 -> ... -> 0
    assert U.find(parent, n - 1) == 0
    assert parent[n - 1] < n - 2  # the path got shorter
    roots = np.empty(n, np.int64)
    U.all_roots(parent, roots)
    assert (roots == 0).all()


def _big_chain(seed: int, n_tx: int = 3000, n_addr: int = 800) -> ArrayChain:
    """A longer random chain than hypothesis draws (past the pass's prefetch distance): many
    multi-input spends over a pool of reused addresses."""
    rng = np.random.default_rng(seed)
    specs = [TxSpec([], [(1000, P2WPKH, k) for k in range(n_addr)], 0)]
    coins = [(0, k) for k in range(n_addr)]
    for h in range(1, n_tx):
        k_in = min(len(coins), int(rng.integers(1, 5)))
        ins = [coins.pop(int(rng.integers(0, len(coins)))) for _ in range(k_in)]
        outs = [(1000, P2WPKH, int(rng.integers(0, n_addr))) for _ in range(int(rng.integers(1, 4)))]
        specs.append(TxSpec(ins, outs, h))
        coins += [(len(specs) - 1, j) for j in range(len(outs))]
    return ArrayChain(specs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pass_leaves_the_plain_union_by_size_state(seed):
    """The pass keeps a root's size in its parent entry while it runs; afterwards parent and
    size are exactly what plain union by size with path halving leaves (the saved state)."""
    chain = _big_chain(seed)
    n_tx, n_addr = chain.counts["txs"], chain.counts["addresses"]
    rng = np.random.default_rng(seed)
    skip = rng.random(n_tx) < 0.1
    facts = InputFacts.gather(chain)
    state = fresh_state(n_addr)
    ev = {k: np.zeros(0, d) for k, d in (("tx", np.int64), ("due", np.int64), ("out", np.int64),
                                          ("support", np.uint16))}
    _run_pass(state, chain, facts.addr, skip, ev, 0, n_tx, 0, Buffers(64, cap_ref=64))
    parent, size = list(range(n_addr)), [1] * n_addr
    plain_multi_input_reference(skip, chain.tx_first_in, chain.tx_n_in, facts.addr, parent, size)
    assert state.parent.tolist() == parent
    assert state.size.tolist() == size
    assert len(partition(state.parent)) < n_addr // 2  # the chain merged a lot


def test_encoded_roots_round_trip():
    rng = np.random.default_rng(3)
    n = 2000
    parent = np.arange(n, dtype=np.int32)
    size = np.ones(n, np.int32)
    for _ in range(1500):
        x, y = (int(v) for v in rng.integers(0, n, 2))
        rx, ry = U.find(parent, x), U.find(parent, y)
        if rx != ry:
            parent[ry] = rx
            size[rx] += size[ry]
    p, s = parent.copy(), size.copy()
    U.encode_roots(p, s)
    assert ((p < 0) == (parent == np.arange(n))).all() and (-p[p < 0] == size[parent == np.arange(n)]).all()
    U.decode_roots(p, s)
    assert (p == parent).all() and (s == size).all()


@pytest.mark.parametrize("i0", [0, 37])
def test_input_facts_are_the_spent_outputs(i0):
    """The gather (which prefetches ahead) equals indexing the spent outputs directly."""
    chain = _big_chain(4, n_tx=600, n_addr=200)
    f = InputFacts.gather(chain, i0)
    spent = np.asarray(chain.in_spent)[i0:]
    known = spent >= 0
    assert f.addr.shape[0] == spent.shape[0] > 500 and known.sum() > 500
    p = np.where(known, spent, 0)
    assert (f.addr == np.where(known, np.asarray(chain.out_address)[p], -1)).all()
    assert (f.value == np.where(known, np.asarray(chain.out_value)[p], -1)).all()
    assert (f.type == np.where(known, np.asarray(chain.out_type)[p], 255)).all()
