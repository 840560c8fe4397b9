"""The specialised haircut trace of the re-screening (``monitor.haircut_kernels``) against
the trace engine's general kernel on the monitoring tests' simulated store: the same slots,
fates, entities, pieces, work and budget cut-off for every trace (backward and forward,
single and multi-start, duplicated starts, flow back into the start, tiny budgets that run
out), the same exposure sums, bases and evidence hits with their paths as
``evidence_kernels.screen_hits``, and ``trace_with_evidence`` equal to the plain twins."""

from __future__ import annotations

import numpy as np
import pytest

from chaintrail.monitor import exposure as exposure_mod
from chaintrail.monitor import haircut_kernels as hk
from chaintrail.monitor.evidence_kernels import screen_hits
from chaintrail.monitor.exposure import (
    N_CAT,
    _kernel_args,
    _sorted,
    evidence,
    output_entities,
    trace_reference,
    trace_with_evidence,
)
from chaintrail.monitor.transfers import DEPOSIT, SPEND, Transfers
from chaintrail.monitor.watch import CAT_CODES, watch_of
from chaintrail.trace.engine import chain_arrays
from chaintrail.trace.flow_kernels import entity_code, propagate
from chaintrail.trace.policies import BACKWARD, FORWARD, HAIRCUT


@pytest.fixture(scope="module")
def watch(monitor_chain):
    return watch_of(monitor_chain)


def _transfers(chain, watch) -> Transfers:
    """Transfers shaped like a re-screening's: single outputs traced backward (deposits), the
    coins a transaction spends traced forward (spends, often several), and constructed cases:
    several unrelated starts, a start repeated, and starts one of which the other's flow
    reaches (flow back into the start, both ways)."""
    a = chain._arrays
    rng = np.random.default_rng(5)
    n_tx = int(a.counts["txs"])
    first_in, n_in = np.asarray(a.tx_first_in), np.asarray(a.tx_n_in)
    first_out, n_out = np.asarray(a.tx_first_out), np.asarray(a.tx_n_out)
    in_spent, spent_by = np.asarray(a.in_spent), np.asarray(a.out_spent_by)
    in_tx = np.asarray(a.in_tx)
    n_o = int(a.counts["outputs"])
    cases: list[tuple[list[int], bool]] = []
    for o in rng.choice(n_o, 160, replace=False).tolist():  # deposits, withdrawals
        cases.append(([o], False))
    spending = np.nonzero(in_spent[first_in[np.arange(n_tx)]] >= 0)[0]
    for t in rng.choice(spending, 140, replace=False).tolist():  # spends
        cases.append((in_spent[first_in[t]:first_in[t] + n_in[t]].tolist(), True))
    # near the monitored categories: outputs of transactions one or two hops after coins of
    # theirs (traced back), coins spent by transactions that pay them (traced forward)
    out_tx = np.asarray(a.out_tx)
    mon = np.nonzero(watch.category_of(np.asarray(a.out_address)) > 0)[0]
    nxt = in_tx[np.maximum(spent_by[mon], 0)]
    nxt = np.unique(nxt[spent_by[mon] >= 0])
    after = np.unique(np.concatenate([np.arange(first_out[t], first_out[t] + n_out[t])
                                      for t in nxt.tolist()]))
    after2 = after[spent_by[after] >= 0]
    after2 = np.unique(np.concatenate([np.arange(first_out[t], first_out[t] + n_out[t])
                                       for t in np.unique(in_tx[spent_by[after2]]).tolist()]))
    for o in rng.choice(np.concatenate([after, after2]), 120, replace=False).tolist():
        cases.append(([o], False))
    for t in rng.choice(np.unique(out_tx[mon]), 100, replace=False).tolist():
        if in_spent[first_in[t]] >= 0:
            cases.append((in_spent[first_in[t]:first_in[t] + n_in[t]].tolist(), True))
    for _ in range(20):  # unrelated starts
        cases.append((rng.choice(n_o, 3, replace=False).tolist(), bool(rng.integers(2))))
    for o in rng.choice(n_o, 10, replace=False).tolist():  # a start given twice
        cases.append(([o, o], True))
        cases.append(([o, o], False))
    spent = np.nonzero(spent_by >= 0)[0]
    for o1 in rng.choice(spent, 40, replace=False).tolist():  # o1 spent by t, which pays o2
        t = int(in_tx[spent_by[o1]])
        o2 = int(first_out[t] + rng.integers(n_out[t]))
        cases.append(([o1, o2], True))  # forward from o1 reaches o2
        cases.append(([o2, o1], False))  # backward from o2 reaches o1
    sn = np.array([len(s) for s, _ in cases], np.int64)
    starts = np.concatenate([np.asarray(s, np.int64) for s, _ in cases])
    out_address = np.asarray(a.out_address)
    addr = out_address[starts[np.concatenate([[0], np.cumsum(sn)[:-1]])]]
    n = len(cases)
    direction = np.array([SPEND if f else DEPOSIT for _, f in cases], np.int8)
    return Transfers(np.zeros(n, np.int64), np.zeros(n, np.int64), direction, addr,
                     np.asarray(a.out_value)[starts[np.concatenate([[0], np.cumsum(sn)[:-1]])]],
                     np.zeros(n, np.int64), np.concatenate([[0], np.cumsum(sn)[:-1]]), sn, starts)


@pytest.fixture(scope="module")
def transfers(monitor_chain, watch):
    return _transfers(monitor_chain, watch)


def test_output_entities_are_the_engines_lookup(monitor_chain, watch):
    args = watch.resolver.kernel_args()
    out_address = chain_arrays(monitor_chain)[8]
    table = output_entities(monitor_chain, watch)
    want = np.array([entity_code(o, out_address, *args) for o in range(out_address.size)],
                    np.int32)
    assert (table == want).all() and (want >= 0).sum() > 100 and (out_address < 0).any()
    assert output_entities(monitor_chain, watch) is table  # built once per resolver


def _pieces(firsts, counts, *cols):
    idx = np.concatenate([np.arange(f, f + c) for f, c in zip(firsts, counts)] + [np.zeros(0, int)])
    return [c[idx.astype(np.int64)] for c in cols]


@pytest.mark.parametrize("max_hops,budget", [(4, 50_000), (4, 60), (2, 400), (6, 5_000)])
def test_traces_equal_the_general_kernel(monitor_chain, watch, transfers, max_hops, budget):
    tr = transfers
    ca = chain_arrays(monitor_chain)
    mask = np.ascontiguousarray(watch.mask, np.bool_)
    table = output_entities(monitor_chain, watch)
    seen = {"exhausted": 0, "back": 0, "stop": 0, "forward": 0}
    for k in range(len(tr)):
        st = np.ascontiguousarray(tr.starts[tr.s0[k]:tr.s0[k] + tr.sn[k]])
        fwd = bool(tr.direction[k] == SPEND)
        r = propagate(FORWARD if fwd else BACKWARD, HAIRCUT, st, max_hops, 0, budget, *ca,
                      *watch.resolver.kernel_args(), mask)
        q = hk.trace_records(st, fwd, max_hops, budget, *ca, table, mask)
        assert (r[0] == q[0]).all() and (r[4] == q[1]).all(), k  # outputs, fates
        assert (r[6] == q[2]).all() and (r[7] == q[3]).all(), k  # entities, hop-limited
        assert (r[9] == q[5]).all(), k  # pieces per slot
        for x, y in zip(_pieces(r[8], r[9], r[11], r[12]), _pieces(q[4], q[5], q[6], q[7])):
            assert (x == y).all(), k  # amounts and hops of the pieces
        assert (r[18], bool(r[19])) == (q[8], bool(q[9])), k  # work, budget exhausted
        fee = r[16][r[14] == -1].sum() if fwd else 0
        assert q[10] == fee and q[11] == r[2].sum(), k  # to fees, flowed back
        seen["exhausted"] += bool(q[9])
        seen["back"] += q[11] > 0
        seen["stop"] += (q[1] == hk.F_STOP).any()
        seen["forward"] += fwd
    assert seen["back"] >= 10 and seen["stop"] >= 20 and seen["forward"] >= 100
    if budget < 1000:
        assert seen["exhausted"] >= 20


@pytest.mark.parametrize("budget", [50_000, 80])
def test_screen_equals_screen_hits(monitor_chain, watch, transfers, budget):
    """Exposure sums, bases, exhausted flags, hits and their paths: identical arrays."""
    tr = transfers
    fw = np.ascontiguousarray(tr.direction == SPEND)
    own = watch.resolver.codes(tr.address).astype(np.int64)
    st = np.ascontiguousarray(tr.starts)
    ecat = watch.entity_cat.astype(np.int64)
    rans = np.nonzero(watch.category_of(np.arange(monitor_chain._arrays.counts["addresses"]))
                      == CAT_CODES["ransomware"])[0]
    for only in (None, rans[::2]):
        args = (ecat, N_CAT, 4, budget, _sorted(only), 20, 5)
        a = screen_hits(tr.s0, tr.sn, st, fw, own, *args, *_kernel_args(monitor_chain, watch))
        b = hk.screen_haircut(tr.s0, tr.sn, st, fw, own, *args, *chain_arrays(monitor_chain),
                              output_entities(monitor_chain, watch), np.ascontiguousarray(watch.mask))
        for x, y in zip(a, b):
            for u, v in zip(x, y):
                assert u.dtype == v.dtype and u.shape == v.shape and (u == v).all()
        assert a[0][0].sum() > 0 and a[1][0].size > 40 and a[2][0].size > a[1][0].size
        if budget < 1000:
            assert a[0][2].sum() >= 20


def test_trace_with_evidence_equals_the_plain_twins(monitor_chain, watch, transfers, monkeypatch):
    """In threads, in parts taken in turn: the exposures equal ``trace_reference`` (one engine
    trace per transfer) and each evidence list (as dicts) the plain ``evidence`` of that transfer."""
    monkeypatch.setattr(exposure_mod, "PART_ROWS", 37)
    tr = transfers
    ex, ev = trace_with_evidence(monitor_chain, watch, tr, 4, threads=2)
    ref = trace_reference(monitor_chain, watch, tr, 4)
    assert (ex.by_hop == ref.by_hop).all() and (ex.base == ref.base).all()
    assert (ex.exhausted == ref.exhausted).all() and ex.by_hop.sum() > 0
    met = {(int(k), int(c)) for k, c in zip(*np.nonzero(ex.by_hop[:, :, 1:].sum(axis=2)))}
    assert set(ev) == met and len(met) >= 30
    for (k, c), hits in ev.items():
        got = [h.to_dict() for h in hits]
        assert got == evidence(monitor_chain, watch, tr, ref, k, c, limit=5), (k, c)
