"""The exposure of many transfers in one compiled call: for each transfer the
trace engine's ``propagate`` kernel runs (called from numba, so the
per-trace cost is the trace's own work, not the ~0.1 ms of a Python-level
dispatch with two dozen array arguments), and its terminal records are
summed in place: satoshis stopped at an entity of a monitored category per
hop, and the external base (everything but flow back into the starting
outputs, flow meeting the customer's own entity and, forward, coins still
unspent where they started). The plain twin is ``exposure.trace_reference``,
which reads the same kernel's output through ``records.terminal_records``
in NumPy; tests hold the two equal."""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.trace.flow_codes import (
    F_BUDGET,
    F_COINBASE,
    F_FLOOR,
    F_HOPLIMIT,
    F_STOP,
    F_UNKNOWN,
    F_UNSPENT,
    FEE,
)
from chaintrail.trace.flow_kernels import propagate
from chaintrail.trace.policies import BACKWARD, FORWARD, HAIRCUT


@njit(cache=True, nogil=True)
def _terminal(f) -> bool:
    return (f == F_UNSPENT or f == F_STOP or f == F_FLOOR or f == F_HOPLIMIT or f == F_BUDGET
            or f == F_UNKNOWN or f == F_COINBASE)


@njit(cache=True, nogil=True)
def sum_trace(r, st, fwd, ow, ecat, max_hops, only, out_address, by_hop_k):
    """One trace's output `r` (from starting outputs st, forward when fwd, the customer's own
    entity ow or -1) summed into by_hop_k (n_cat, max_hops + 1): satoshis stopped at an entity
    of a monitored category per hop (with `only` non-empty, only at those addresses); returns
    the external base."""
    sl_out, sl_fate, sl_ent, sl_lim, sl_first, sl_cnt = r[0], r[4], r[6], r[7], r[8], r[9]
    p_len, p_hop = r[11], r[12]
    e_src, e_dst, e_amt = r[13], r[14], r[16]
    total = 0
    internal = 0
    for i in range(sl_fate.shape[0]):
        f = sl_fate[i]
        e = sl_ent[i]
        mine = ow >= 0 and e == ow
        if _terminal(f):
            for q in range(sl_first[i], sl_first[i] + sl_cnt[i]):
                amt = p_len[q]
                h = p_hop[q]
                total += amt
                if mine or (fwd and h == 0 and f == F_UNSPENT):
                    internal += amt
                elif f == F_STOP and e >= 0 and ecat[e] > 0:
                    if only.shape[0] > 0:
                        a = out_address[sl_out[i]]
                        p = np.searchsorted(only, a)
                        if p >= only.shape[0] or only[p] != a:
                            continue
                    by_hop_k[ecat[e], min(h, max_hops)] += amt
        if sl_lim[i] > 0:
            total += sl_lim[i]
            if mine:
                internal += sl_lim[i]
    for j in range(e_src.shape[0]):
        far = e_dst[j] if fwd else e_src[j]
        if e_dst[j] == FEE:
            total += e_amt[j]
            continue
        for s in range(st.shape[0]):
            if st[s] == far:  # flow back into the starting outputs
                total += e_amt[j]
                internal += e_amt[j]
                break
    return total - internal


@njit(cache=True, nogil=True)
def screen_exposure(s0, sn, starts, forward, own, ecat, n_cat, max_hops, budget, only,
                    tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                    out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                    addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop):
    """Per transfer k (starting outputs starts[s0[k]:s0[k] + sn[k]], traced forward when
    forward[k], the customer's own entity own[k] or -1): (satoshis met per category and hop
    (n, n_cat, max_hops + 1), external base (n,), budget exhausted (n,)). With `only` (sorted
    address ids, non-empty), only what stopped at those addresses is counted."""
    n = s0.shape[0]
    by_hop = np.zeros((n, n_cat, max_hops + 1), np.int64)
    base = np.zeros(n, np.int64)
    exhausted = np.zeros(n, np.bool_)
    for k in range(n):
        st = starts[s0[k]:s0[k] + sn[k]]
        fwd = forward[k]
        d = FORWARD if fwd else BACKWARD
        r = propagate(d, HAIRCUT, st, max_hops, 0, budget,
                      tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                      out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                      addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop)
        exhausted[k] = r[19]
        base[k] = sum_trace(r, st, fwd, own[k], ecat, max_hops, only, out_address, by_hop[k])
    return by_hop, base, exhausted
