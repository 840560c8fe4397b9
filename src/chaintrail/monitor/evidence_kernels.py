"""The evidence of many alerts in one compiled call: for each alerting
transfer the trace is run again (the propagation kernel, called from
numba), the places its flow stopped at an entity of the alert's category
are ranked heaviest first (ties in the trace's record order), optionally
kept to given addresses, and for each the path back to the start is read
off the trace's edges (at each hop the heaviest edge, as
``TraceResult.path_to`` does). ``screen_hits`` does the exposure sums and the
evidence from one trace per transfer (a re-screening, where most transfers
traced alert) with the general kernel: the reference of
``haircut_kernels.screen_haircut``, which the re-screening runs. The plain
twin is ``exposure.evidence``, one transfer at a time; tests hold the two
equal."""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.monitor.exposure_kernels import sum_trace
from chaintrail.trace.flow_codes import F_STOP
from chaintrail.trace.flow_kernels import propagate
from chaintrail.trace.policies import BACKWARD, FORWARD, HAIRCUT


@njit(cache=True, nogil=True)
def _grow(x, n):
    if n <= x.shape[0]:
        return x
    y = np.empty(max(n, 2 * x.shape[0]), x.dtype)
    y[:x.shape[0]] = x
    return y


@njit(cache=True, nogil=True)
def _push(buf, n, vals):
    buf = _grow(buf, n + vals.shape[0])
    buf[n:n + vals.shape[0]] = vals
    return buf


@njit(cache=True, nogil=True)
def trace_hits(r, fwd, cat, limit, keep, only, out_address, ecat):
    """One trace's output `r`: its `limit` heaviest stops at an entity of category `cat`
    (record order among equals), of those the ones at addresses in `only` (sorted; empty: all),
    the first `keep`: (output, entity, amount, hop) per hit, and the steps of their paths
    (hit, hop, tx, source, destination, amount) in money-flow order."""
    sl_out, sl_fate, sl_ent, sl_first, sl_cnt = r[0], r[4], r[6], r[8], r[9]
    pc_len, pc_hop = r[11], r[12]
    e_src, e_dst, e_tx, e_amt, e_hop = r[13], r[14], r[15], r[16], r[17]
    n_rec = 0
    for i in range(sl_fate.shape[0]):
        e = sl_ent[i]
        if sl_fate[i] == F_STOP and e >= 0 and ecat[e] == cat:
            n_rec += sl_cnt[i]
    r_out = np.empty(n_rec, np.int64)
    r_ent = np.empty(n_rec, np.int64)
    r_amt = np.empty(n_rec, np.int64)
    r_hop = np.empty(n_rec, np.int64)
    m = 0
    for i in range(sl_fate.shape[0]):
        e = sl_ent[i]
        if sl_fate[i] == F_STOP and e >= 0 and ecat[e] == cat:
            for q in range(sl_first[i], sl_first[i] + sl_cnt[i]):
                r_out[m], r_ent[m], r_amt[m], r_hop[m] = sl_out[i], e, pc_len[q], pc_hop[q]
                m += 1
    order = np.argsort(-r_amt, kind="mergesort")[:limit]
    hits = np.empty(order.shape[0], np.int64)
    nh = 0
    for z in range(order.shape[0]):
        if nh >= keep:
            break
        o = r_out[order[z]]
        if only.shape[0] > 0:
            a = out_address[o]
            pos = np.searchsorted(only, a)
            if a < 0 or pos >= only.shape[0] or only[pos] != a:
                continue
        hits[nh] = order[z]
        nh += 1
    hits = hits[:nh]
    # paths: edges by their end further from the start (stable: edge order within a node)
    away = e_dst if fwd else e_src
    toward = e_src if fwd else e_dst
    by_away = np.argsort(away, kind="mergesort") if nh > 0 else np.zeros(0, np.int64)
    away_sorted = away[by_away]
    s_hit = np.empty(16, np.int64)
    s_hop = np.empty(16, np.int64)
    s_tx = np.empty(16, np.int64)
    s_src = np.empty(16, np.int64)
    s_dst = np.empty(16, np.int64)
    s_amt = np.empty(16, np.int64)
    n_s = 0
    for x in range(nh):
        node = r_out[hits[x]]
        hh = r_hop[hits[x]]
        first_step = n_s
        while hh >= 1:
            lo = np.searchsorted(away_sorted, node, "left")
            hi = np.searchsorted(away_sorted, node, "right")
            best = -1
            for w in range(lo, hi):
                ed = by_away[w]
                if e_hop[ed] == hh and (best < 0 or e_amt[ed] > e_amt[best]):
                    best = ed
            if best < 0:
                break
            s_hit, s_hop, s_tx = _grow(s_hit, n_s + 1), _grow(s_hop, n_s + 1), _grow(s_tx, n_s + 1)
            s_src, s_dst, s_amt = _grow(s_src, n_s + 1), _grow(s_dst, n_s + 1), _grow(s_amt, n_s + 1)
            s_hit[n_s], s_hop[n_s], s_tx[n_s] = x, e_hop[best], e_tx[best]
            s_src[n_s], s_dst[n_s], s_amt[n_s] = e_src[best], e_dst[best], e_amt[best]
            n_s += 1
            node = toward[best]
            hh -= 1
        if fwd:  # forward: money-flow order is from the start outward
            for arr in (s_hop, s_tx, s_src, s_dst, s_amt):
                arr[first_step:n_s] = arr[first_step:n_s][::-1].copy()
    return (r_out[hits], r_ent[hits], r_amt[hits], r_hop[hits], s_hit[:n_s], s_hop[:n_s],
            s_tx[:n_s], s_src[:n_s], s_dst[:n_s], s_amt[:n_s])


@njit(cache=True, nogil=True)
def _run(st, fwd, max_hops, budget, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags,
         tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
         addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop):
    return propagate(FORWARD if fwd else BACKWARD, HAIRCUT, st, max_hops, 0, budget,
                     tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                     out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                     addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop)


@njit(cache=True, nogil=True)
def _collect(h, n_h, p, n_p, owner, cat, got):
    """Append one trace's hits (tagged with owner and cat) and steps to the buffers."""
    nh = got[0].shape[0]
    h_own, h_cat, h_out, h_ent, h_amt, h_hop = h
    h_own = _push(h_own, n_h, np.full(nh, owner, np.int64))
    h_cat = _push(h_cat, n_h, np.full(nh, cat, np.int64))
    h_out, h_ent = _push(h_out, n_h, got[0]), _push(h_ent, n_h, got[1])
    h_amt, h_hop = _push(h_amt, n_h, got[2]), _push(h_hop, n_h, got[3])
    p_hit, p_hop, p_tx, p_src, p_dst, p_amt = p
    p_hit = _push(p_hit, n_p, got[4] + n_h)
    p_hop, p_tx = _push(p_hop, n_p, got[5]), _push(p_tx, n_p, got[6])
    p_src, p_dst, p_amt = _push(p_src, n_p, got[7]), _push(p_dst, n_p, got[8]), _push(p_amt, n_p, got[9])
    return ((h_own, h_cat, h_out, h_ent, h_amt, h_hop), n_h + nh,
            (p_hit, p_hop, p_tx, p_src, p_dst, p_amt), n_p + got[4].shape[0])


@njit(cache=True, nogil=True)
def _buffers():
    z = np.empty(64, np.int64)
    return (z, z.copy(), z.copy(), z.copy(), z.copy(), z.copy())


@njit(cache=True, nogil=True)
def _trim(b, n):
    return (b[0][:n], b[1][:n], b[2][:n], b[3][:n], b[4][:n], b[5][:n])


@njit(cache=True, nogil=True)
def hit_evidence(rows, cats, s0, sn, starts, forward, max_hops, budget, limit, keep, only, ecat,
                 tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                 out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                 addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop):
    """For each j, transfer rows[j] traced again and its hits of category cats[j]
    (``trace_hits``). Returns the hits (j, cat, output, entity, amount, hop) and their paths'
    steps (hit, hop, tx, source, destination, amount)."""
    h, p = _buffers(), _buffers()
    n_h = n_p = 0
    for j in range(rows.shape[0]):
        k = rows[j]
        st = starts[s0[k]:s0[k] + sn[k]]
        r = _run(st, forward[k], max_hops, budget, tx_first_in, tx_n_in, tx_first_out, tx_n_out,
                 tx_flags, tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                 addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop)
        got = trace_hits(r, forward[k], cats[j], limit, keep, only, out_address, ecat)
        h, n_h, p, n_p = _collect(h, n_h, p, n_p, j, cats[j], got)
    return _trim(h, n_h), _trim(p, n_p)


@njit(cache=True, nogil=True)
def screen_hits(s0, sn, starts, forward, own, ecat, n_cat, max_hops, budget, only, limit, keep,
                tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop):
    """``exposure_kernels.screen_exposure`` and, from the same trace, the hits (``trace_hits``)
    of every category the transfer met (at `only`, when given): one trace per transfer where
    screening and then building the evidence would take two. Returns (by_hop, base,
    exhausted), the hits (k, cat, output, entity, amount, hop) and their steps."""
    n = s0.shape[0]
    by_hop = np.zeros((n, n_cat, max_hops + 1), np.int64)
    base = np.zeros(n, np.int64)
    exhausted = np.zeros(n, np.bool_)
    h, p = _buffers(), _buffers()
    n_h = n_p = 0
    for k in range(n):
        st = starts[s0[k]:s0[k] + sn[k]]
        r = _run(st, forward[k], max_hops, budget, tx_first_in, tx_n_in, tx_first_out, tx_n_out,
                 tx_flags, tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                 addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop)
        exhausted[k] = r[19]
        base[k] = sum_trace(r, st, forward[k], own[k], ecat, max_hops, only, out_address,
                            by_hop[k])
        for c in range(1, n_cat):
            met = 0
            for hh in range(1, max_hops + 1):
                met += by_hop[k, c, hh]
            if met > 0:
                got = trace_hits(r, forward[k], c, limit, keep, only, out_address, ecat)
                h, n_h, p, n_p = _collect(h, n_h, p, n_p, k, c, got)
    return (by_hop, base, exhausted), _trim(h, n_h), _trim(p, n_p)
