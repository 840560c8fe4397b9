"""The exposure trace of one customer transfer, specialised: the haircut
policy at output level, no value floor, stopping at every entity of the
stop mask. It gives, satoshi for satoshi, the slots, pieces, work and
budget cut-off of the trace engine's general kernel
(``flow_kernels.propagate``) for that case (tests hold the two equal), at
a fraction of its cost, because the case allows:

- No hash maps. The frontier is a heap (``table_kernels``') with one
  entry per queued slot, keyed forward by the id of the input that spends
  it, backward by its output id negated (the slot in the key's low bits).
  Inputs and outputs are numbered in transaction order (the store's
  layout, checked by the caller), so the heap gives the transactions in
  the engine's order (forward the lowest first, backward the highest) and
  each one's tainted inputs or outputs together, which is all the general
  kernel's output and transaction maps are used for (an output is
  received at most once, by the one transaction that creates or spends it,
  so "already seen" only happens for starting outputs: flow back into the
  start). The same layout gives a transaction's input and output counts
  from the next one's first rows (no two more random reads).
- The rows the next transactions will read are prefetched: a queued
  slot's transaction's, the next transaction's first outputs or inputs
  while this one is split, the receivers' spenders and entity codes.
- The engine's own rules, called, not restated: the haircut split
  (``split_kernels.haircut_sums`` and ``haircut_fill``), a transaction's
  fate (``flow_kernels.tx_fate``), where flow reaching an output stops
  (``reached``) and the hop limit (``cut_at_hop_limit``). No
  per-transaction allocation: the split runs in per-call scratch buffers
  sized by the work budget, and the receivers take their pieces per hop
  column by column, without sorting rows.
- No edge list: each piece keeps only the heaviest edge it arrived by (the
  first in edge order among equals), which is what the evidence paths read
  (``evidence_kernels.trace_hits``: at each hop the heaviest edge).
- Entity codes from a table per output (``output_entities``), built once
  per resolver from the engine's hash maps: one read where the engine
  makes three hash-map probes.

``screen_haircut`` runs it for many transfers and returns what
``evidence_kernels.screen_hits`` returns (exposure sums, base, exhausted,
evidence hits and their paths), identically."""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.cluster.prefetch import prefetch
from chaintrail.monitor.evidence_kernels import _buffers, _collect, _trim
from chaintrail.trace.flow_codes import (
    F_BUDGET,
    F_COINBASE,
    F_CONSUMED,
    F_FLOOR,
    F_HOPLIMIT,
    F_QUEUED,
    F_STOP,
    F_UNKNOWN,
    F_UNSPENT,
)
from chaintrail.trace.flow_kernels import cut_at_hop_limit, entity_code, reached, tx_fate
from chaintrail.trace.split_kernels import haircut_fill, haircut_sums
from chaintrail.trace.table_kernels import heap_pop, heap_push

#: a split's matrix (pieces x columns) in the scratch buffer up to this many cells
_MAT_CELLS = 1 << 16


@njit(cache=True, nogil=True)
def output_entities(out_address, addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals):
    """Entity code of every output (-1: none), as ``flow_kernels.entity_code`` reads it from
    the resolver's hash maps (its address's own tag, else its address's cluster's): one array
    read per output in the traces. Built from the maps' entries: a table per address, then
    one pass over the outputs."""
    n_addr = 0
    for o in range(out_address.shape[0]):
        n_addr = max(n_addr, out_address[o] + 1)
    by_addr = np.full(n_addr, -1, np.int32)
    if cl_hkeys.shape[0] > 0:
        top = -1
        for h in range(cl_hkeys.shape[0]):
            top = max(top, cl_hkeys[h])
        by_cluster = np.full(top + 1, -1, np.int64)
        for h in range(cl_hkeys.shape[0]):
            if cl_hkeys[h] >= 0:
                by_cluster[cl_hkeys[h]] = cl_hvals[h]
        one = np.zeros(1, np.int64)
        for a in range(min(n_addr, dense.shape[0])):
            d = dense[a]
            if d < 0:  # not a cluster index: the engine's own lookup
                one[0] = a
                by_addr[a] = entity_code(0, one, addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals)
            elif d <= top:
                by_addr[a] = by_cluster[d]
    for h in range(addr_hkeys.shape[0]):
        k = addr_hkeys[h]
        if 0 <= k < n_addr:
            by_addr[k] = addr_hvals[h]
    out = np.empty(out_address.shape[0], np.int32)
    for o in range(out_address.shape[0]):
        a = out_address[o]
        out[o] = by_addr[a] if a >= 0 else -1
    return out


#: a heap entry: the key (forward the input id, backward the output id negated) times this,
#: plus the slot (so slots must stay below it: ``workspace`` checks)
_SLOT_BITS = 24
_SLOT_SPAN = np.int64(1) << _SLOT_BITS
_SLOT_MASK = _SLOT_SPAN - 1


@njit(cache=True, nogil=True)
def workspace(max_start, budget, max_hops):
    """Buffers for traces of up to `max_start` starting outputs under `budget`: slots (output,
    fate, entity, amount stopped by the hop limit, first piece, pieces), pieces (amount, hop,
    edge tx, edge's slot nearer the start, edge amount), the heap, the slots a transaction
    takes, the sorted starts and their slots, the split's units (slot, hop, amount, hop index) and scratch,
    its columns (value, sum, scratch, hop order) and matrix, and per hop (index, amount, best
    edge amount, its unit). A split creates at most one slot per unit of work it costs, and
    one piece per slot and hop, so the slots and pieces fit in these sizes."""
    n_sl = max_start + budget + 1
    if n_sl >= _SLOT_SPAN:
        raise ValueError("haircut_kernels: budget too large for the heap's slot numbers")
    n_iv = max_start + (budget + 1) * max(max_hops, 1) + 1
    n_col = budget + max_hops + 2
    n_hop = max_hops + 2
    return ((np.empty(n_sl, np.int64), np.empty(n_sl, np.int8), np.empty(n_sl, np.int64),
             np.empty(n_sl, np.int64), np.empty(n_sl, np.int64), np.empty(n_sl, np.int64)),
            (np.empty(n_iv, np.int64), np.empty(n_iv, np.int64), np.empty(n_iv, np.int64),
             np.empty(n_iv, np.int64), np.empty(n_iv, np.int64)),
            (np.empty(n_sl, np.int64), np.empty(n_sl, np.int64), np.empty(max_start + 1, np.int64),
             np.empty(max_start + 1, np.int64)),
            (np.empty(n_iv, np.int64), np.empty(n_iv, np.int64), np.empty(n_iv, np.int64),
             np.empty(n_iv, np.int64), np.empty(n_iv, np.int64)),
            (np.empty(n_col, np.int64), np.empty(n_col, np.int64), np.empty(n_col, np.int64),
             np.empty(n_col, np.int64), np.empty(_MAT_CELLS, np.int64)),
            (np.empty(n_hop, np.int64), np.empty(n_hop, np.int64), np.empty(n_hop, np.int64),
             np.empty(n_hop, np.int64)))


@njit(cache=True, nogil=True)
def _find(ss, n_ss, o):
    """The first index of sorted ss[:n_ss] not below o."""
    lo = 0
    hi = n_ss
    while lo < hi:
        mid = (lo + hi) >> 1
        if ss[mid] < o:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _sorted_starts(st, ss):
    """ss[:n] = the distinct starting outputs, sorted; returns n."""
    n = st.shape[0]
    ss[:n] = st
    ss[:n].sort()
    w = 0
    for q in range(n):
        if q == 0 or ss[q] != ss[w - 1]:
            ss[w] = ss[q]
            w += 1
    return w


@njit(cache=True, nogil=True)
def _columns(fwd, fi, ni, fo, no, fee, col_val, out_value, out_spent_by, in_spent, in_tx,
             out_tx, out_ent):
    """A split's receiving columns' values (forward the outputs then the fee, backward the
    inputs' coins); returns their number. The rows the receivers will read are prefetched."""
    if fwd:
        for j in range(no):
            col_val[j] = out_value[fo + j]
            prefetch(in_tx, out_spent_by[fo + j])
        col_val[no] = fee
        return no + 1
    for j in range(ni):  # the coins' rows, all asked for before the first is read
        o = in_spent[fi + j]
        prefetch(out_value, o)
        prefetch(out_ent, o)
        prefetch(out_tx, o)
    for j in range(ni):
        col_val[j] = out_value[in_spent[fi + j]]
    return ni


@njit(cache=True, nogil=True)
def _ahead(fwd, fi, fo, in_spent, out_value, out_spent_by, out_ent):
    """Prefetch the rows a transaction's split will read first (forward its outputs', backward
    its inputs')."""
    prefetch(in_spent, fi)
    if fwd:
        prefetch(out_value, fo)
        prefetch(out_spent_by, fo)
        prefetch(out_ent, fo)


@njit(cache=True, nogil=True)
def _hop_index(u_hop, u_hi, order, present, m, max_hops):
    """The units' distinct hops ascending (order[:nh]; a receiver's pieces: one per hop, in hop
    order) and each unit's index among them (u_hi); returns nh."""
    for h in range(max_hops + 1):
        present[h] = -1
    for a in range(m):
        present[u_hop[a]] = 0
    nh = 0
    for h in range(max_hops + 1):
        if present[h] == 0:
            present[h] = nh
            order[nh] = h
            nh += 1
    for a in range(m):
        u_hi[a] = present[u_hop[a]]
    return nh


@njit(cache=True, nogil=True)
def trace(st, fwd, max_hops, budget, ws, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags,
          tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent, out_ent, ent_stop):
    """One trace from starting outputs st (forward when fwd) into the workspace `ws`. Returns
    (slots, pieces, work, budget exhausted, satoshis to fees, satoshis flowed back into the
    starting outputs)."""
    sl_out, sl_fate, sl_ent, sl_lim, sl_ivh, sl_ivn = ws[0]
    iv_l, iv_h, iv_etx, iv_eto, iv_eamt = ws[1]
    heap, tsl, ss, ss_slot = ws[2]
    u_slot, u_hop, u_amt, u_hi, rres = ws[3]
    col_val, col_sum, rem, order, mat0 = ws[4]
    present, acc, best, best_a = ws[5]
    more = (iv_etx, iv_eto, iv_eamt)
    n_tx = tx_first_in.shape[0]
    # the starting outputs, each once: hop 0, their whole value
    n_ss = _sorted_starts(st, ss)
    ss_slot[:n_ss] = -1
    n_sl = n_iv = n_h = 0
    for q in range(st.shape[0]):
        o = st[q]
        i = _find(ss, n_ss, o)
        if ss_slot[i] >= 0:
            continue
        s = ss_slot[i] = n_sl
        n_sl += 1
        v = out_value[o]
        sl_out[s], sl_ent[s], sl_lim[s], sl_ivh[s], sl_ivn[s] = o, out_ent[o], 0, n_iv, 1 if v > 0 else 0
        if v > 0:
            iv_l[n_iv], iv_h[n_iv], iv_etx[n_iv], iv_eto[n_iv], iv_eamt[n_iv] = v, 0, -1, -1, 0
            n_iv += 1
        fate, by = reached(o, -1, 0, 0, fwd, ent_stop, out_spent_by)
        if fate == F_QUEUED and max_hops < 1:
            fate = F_HOPLIMIT
        sl_fate[s] = fate
        if fate == F_QUEUED:
            heap, n_h = heap_push(heap, n_h, (by if fwd else -by) * _SLOT_SPAN + s)
    work = n_sl
    exhausted = False
    to_fees = 0
    back = 0

    while n_h > 0:
        key = heap[0] >> _SLOT_BITS
        t = in_tx[key] if fwd else out_tx[-key]
        fi = tx_first_in[t]
        fo = tx_first_out[t]
        if t + 1 < n_tx:  # the counts from the next transaction's firsts: on the same rows
            ni = tx_first_in[t + 1] - fi
            no = tx_first_out[t + 1] - fo
        else:
            ni = np.int64(tx_n_in[t])
            no = np.int64(tx_n_out[t])
        cost = ni + no
        if work + cost > budget:
            exhausted = True
            break
        work += cost
        fate = tx_fate(t, fwd, fi, ni, tx_flags, tx_fee, in_spent)
        # the slots it takes (forward its inputs', backward its outputs', highest first), and
        # their pieces as the flowing units, in index then hop order
        end = (fi + ni) * _SLOT_SPAN if fwd else (1 - fo) * _SLOT_SPAN
        n_t = 0
        while n_h > 0 and heap[0] < end:
            top, n_h = heap_pop(heap, n_h)
            tsl[n_t] = top & _SLOT_MASK
            sl_fate[tsl[n_t]] = fate
            n_t += 1
        m = 0
        for y in range(n_t):
            s = tsl[y] if fwd else tsl[n_t - 1 - y]
            for z in range(sl_ivh[s], sl_ivh[s] + sl_ivn[s]):
                u_slot[m], u_hop[m], u_amt[m] = s, iv_h[z], iv_l[z]
                m += 1
        if n_h > 0:  # the next transaction's rows, loading while this one is split
            t2 = in_tx[heap[0] >> _SLOT_BITS] if fwd else out_tx[-(heap[0] >> _SLOT_BITS)]
            _ahead(fwd, tx_first_in[t2], tx_first_out[t2], in_spent, out_value, out_spent_by,
                   out_ent)
        if fate != F_CONSUMED or m == 0:
            continue
        # the haircut split (``split_kernels``), into the matrix buffer when it fits
        fee = tx_fee[t]
        n_cols = _columns(fwd, fi, ni, fo, no, fee, col_val, out_value, out_spent_by, in_spent,
                          in_tx, out_tx, out_ent)
        total = 0
        for a in range(m):
            total += u_amt[a]
        if m * n_cols <= mat0.shape[0]:
            mat = mat0[:m * n_cols].reshape((m, n_cols))
        else:
            mat = np.empty((m, n_cols), np.int64)
        value = haircut_sums(total, col_val, n_cols, fwd, col_sum, rem, order)
        haircut_fill(u_amt, m, col_val, n_cols, value, col_sum, mat, rres, rem)
        nh = _hop_index(u_hop, u_hi, order, present, m, max_hops)
        # the receivers, column by column: one piece per hop, with its heaviest edge (the
        # first among equals)
        for b in range(n_cols):
            for x in range(nh):
                acc[x] = 0
                best[x] = 0
            got = 0
            for a in range(m):
                v = mat[a, b]
                if v > 0:
                    work += 1
                    x = u_hi[a]
                    acc[x] += v
                    got += v
                    if v > best[x]:
                        best[x] = v
                        best_a[x] = a
            if got == 0:
                continue
            if fwd and b == no:
                to_fees += got
                continue
            o = fo + b if fwd else in_spent[fi + b]
            i = _find(ss, n_ss, o)
            if i < n_ss and ss[i] == o:
                back += got
                continue
            s = n_sl
            n_sl += 1
            h0 = n_iv
            for x in range(nh):
                if acc[x] > 0:
                    iv_l[n_iv], iv_h[n_iv], iv_etx[n_iv] = acc[x], order[x] + 1, t
                    iv_eto[n_iv], iv_eamt[n_iv] = u_slot[best_a[x]], best[x]
                    n_iv += 1
            ent = out_ent[o]
            sl_out[s], sl_ent[s], sl_lim[s], sl_ivh[s], sl_ivn[s] = o, ent, 0, h0, n_iv - h0
            fate, by = reached(o, ent, 0, 0, fwd, ent_stop, out_spent_by)
            if fate == F_QUEUED:
                # pieces at the hop limit stop here; the others go on
                w, lim = cut_at_hop_limit(iv_h, iv_l, h0, n_iv, max_hops, more)
                if w == h0:  # all of them (kept, as the engine keeps them)
                    fate = F_HOPLIMIT
                else:
                    n_iv = w
                    sl_ivn[s] = w - h0
                    sl_lim[s] = lim
                    # its transaction's rows, for when it is popped
                    t2 = in_tx[by] if fwd else out_tx[by]
                    prefetch(tx_first_in, t2)
                    prefetch(tx_first_out, t2)
                    prefetch(tx_fee, t2)
                    if fwd:
                        prefetch(in_spent, by)
                    else:
                        prefetch(tx_flags, t2)
                    heap, n_h = heap_push(heap, n_h, (by if fwd else -by) * _SLOT_SPAN + s)
            sl_fate[s] = fate

    # what is still queued ran out of budget
    for q in range(n_h):
        sl_fate[heap[q] & _SLOT_MASK] = F_BUDGET
    return n_sl, n_iv, work, exhausted, to_fees, back


@njit(cache=True, nogil=True)
def _terminal(f) -> bool:
    return (f == F_UNSPENT or f == F_STOP or f == F_FLOOR or f == F_HOPLIMIT or f == F_BUDGET
            or f == F_UNKNOWN or f == F_COINBASE)


@njit(cache=True, nogil=True)
def _in_sorted(only, a):
    p = np.searchsorted(only, a)
    return p < only.shape[0] and only[p] == a


@njit(cache=True, nogil=True)
def sums(ws, n_sl, fwd, ow, ecat, max_hops, only, out_address, to_fees, back, by_hop_k):
    """``exposure_kernels.sum_trace`` of a trace in the workspace: satoshis stopped at an entity
    of a monitored category per hop into by_hop_k (with `only` non-empty, only at those
    addresses); returns the external base."""
    sl_out, sl_fate, sl_ent, sl_lim, sl_ivh, sl_ivn = ws[0]
    iv_l, iv_h = ws[1][0], ws[1][1]
    total = to_fees + back
    internal = back
    for s in range(n_sl):
        f = sl_fate[s]
        e = sl_ent[s]
        mine = ow >= 0 and e == ow
        if _terminal(f):
            for z in range(sl_ivh[s], sl_ivh[s] + sl_ivn[s]):
                amt = iv_l[z]
                h = iv_h[z]
                total += amt
                if mine or (fwd and h == 0 and f == F_UNSPENT):
                    internal += amt
                elif f == F_STOP and e >= 0 and ecat[e] > 0:
                    if only.shape[0] > 0 and not _in_sorted(only, out_address[sl_out[s]]):
                        continue
                    by_hop_k[ecat[e], min(h, max_hops)] += amt
        if sl_lim[s] > 0:
            total += sl_lim[s]
            if mine:
                internal += sl_lim[s]
    return total - internal


@njit(cache=True, nogil=True)
def hits(ws, n_sl, fwd, cat, limit, keep, only, out_address, ecat):
    """``evidence_kernels.trace_hits`` of a trace in the workspace: the `limit` heaviest stops
    at an entity of category `cat` (slot then piece order among equals), of those the ones at
    addresses in `only` (sorted; empty: all), the first `keep`, with their paths (at each hop
    the heaviest edge the flow arrived by)."""
    sl_out, sl_fate, sl_ent, _lim, sl_ivh, sl_ivn = ws[0]
    iv_l, iv_h, iv_etx, iv_eto, iv_eamt = ws[1]
    n_rec = 0
    for s in range(n_sl):
        e = sl_ent[s]
        if sl_fate[s] == F_STOP and e >= 0 and ecat[e] == cat:
            n_rec += sl_ivn[s]
    r_sl = np.empty(n_rec, np.int64)
    r_iv = np.empty(n_rec, np.int64)
    r_amt = np.empty(n_rec, np.int64)
    m = 0
    for s in range(n_sl):
        e = sl_ent[s]
        if sl_fate[s] == F_STOP and e >= 0 and ecat[e] == cat:
            for z in range(sl_ivh[s], sl_ivh[s] + sl_ivn[s]):
                r_sl[m] = s
                r_iv[m] = z
                r_amt[m] = iv_l[z]
                m += 1
    order = np.argsort(-r_amt, kind="mergesort")[:limit]
    pick = np.empty(order.shape[0], np.int64)
    nh = 0
    for z in range(order.shape[0]):
        if nh >= keep:
            break
        if only.shape[0] > 0:
            a = out_address[sl_out[r_sl[order[z]]]]
            if a < 0 or not _in_sorted(only, a):
                continue
        pick[nh] = order[z]
        nh += 1
    h_out = np.empty(nh, np.int64)
    h_ent = np.empty(nh, np.int64)
    h_amt = np.empty(nh, np.int64)
    h_hop = np.empty(nh, np.int64)
    n_steps = 0
    for x in range(nh):
        r = pick[x]
        h_out[x] = sl_out[r_sl[r]]
        h_ent[x] = sl_ent[r_sl[r]]
        h_amt[x] = r_amt[r]
        h_hop[x] = iv_h[r_iv[r]]
        n_steps += h_hop[x]
    s_hit = np.empty(n_steps, np.int64)
    s_hop = np.empty(n_steps, np.int64)
    s_tx = np.empty(n_steps, np.int64)
    s_src = np.empty(n_steps, np.int64)
    s_dst = np.empty(n_steps, np.int64)
    s_amt = np.empty(n_steps, np.int64)
    n_s = 0
    for x in range(nh):
        s = r_sl[pick[x]]
        hh = h_hop[x]
        first_step = n_s
        while hh >= 1:
            z = -1
            for y in range(sl_ivh[s], sl_ivh[s] + sl_ivn[s]):
                if iv_h[y] == hh:
                    z = y
                    break
            if z < 0 or iv_etx[z] < 0:
                break
            near = iv_eto[z]
            s_hit[n_s], s_hop[n_s], s_tx[n_s], s_amt[n_s] = x, hh, iv_etx[z], iv_eamt[z]
            if fwd:
                s_src[n_s], s_dst[n_s] = sl_out[near], sl_out[s]
            else:
                s_src[n_s], s_dst[n_s] = sl_out[s], sl_out[near]
            n_s += 1
            s = near
            hh -= 1
        if fwd:  # forward: money-flow order is from the start outward
            for arr in (s_hop, s_tx, s_src, s_dst, s_amt):
                arr[first_step:n_s] = arr[first_step:n_s][::-1].copy()
    return (h_out, h_ent, h_amt, h_hop, s_hit[:n_s], s_hop[:n_s], s_tx[:n_s], s_src[:n_s],
            s_dst[:n_s], s_amt[:n_s])


@njit(cache=True, nogil=True)
def screen_haircut(s0, sn, starts, forward, own, ecat, n_cat, max_hops, budget, only, limit, keep,
                   tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
                   out_tx, out_value, out_address, out_spent_by, in_tx, in_spent, out_ent, ent_stop):
    """``evidence_kernels.screen_hits`` by the specialised trace: per transfer k (starting
    outputs starts[s0[k]:s0[k] + sn[k]], forward when forward[k], the customer's own entity
    own[k] or -1) its exposure per category and hop, external base and budget cut-off, and the
    hits (k, cat, output, entity, amount, hop) of every category it met, with their steps."""
    n = s0.shape[0]
    by_hop = np.zeros((n, n_cat, max_hops + 1), np.int64)
    base = np.zeros(n, np.int64)
    exhausted = np.zeros(n, np.bool_)
    h, p = _buffers(), _buffers()
    n_h = n_p = 0
    ws = workspace(max(1, sn.max()) if n > 0 else 1, budget, max_hops)
    for k in range(n):
        st = starts[s0[k]:s0[k] + sn[k]]
        fwd = forward[k]
        n_sl, _n_iv, _work, ex, to_fees, back = trace(
            st, fwd, max_hops, budget, ws, tx_first_in, tx_n_in, tx_first_out, tx_n_out,
            tx_flags, tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
            out_ent, ent_stop)
        exhausted[k] = ex
        base[k] = sums(ws, n_sl, fwd, own[k], ecat, max_hops, only, out_address, to_fees, back,
                       by_hop[k])
        for c in range(1, n_cat):
            met = 0
            for hh in range(1, max_hops + 1):
                met += by_hop[k, c, hh]
            if met > 0:
                got = hits(ws, n_sl, fwd, c, limit, keep, only, out_address, ecat)
                h, n_h, p, n_p = _collect(h, n_h, p, n_p, k, c, got)
    return (by_hop, base, exhausted), _trim(h, n_h), _trim(p, n_p)


@njit(cache=True, nogil=True)
def trace_records(st, fwd, max_hops, budget, tx_first_in, tx_n_in, tx_first_out, tx_n_out,
                  tx_flags, tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
                  out_ent, ent_stop):
    """One trace's records as copies, for comparing with the general kernel: slots (output,
    fate, entity, amount stopped by the hop limit, first piece, pieces), pieces (amount, hop),
    work, exhausted, satoshis to fees, satoshis flowed back."""
    ws = workspace(max(1, st.shape[0]), budget, max_hops)
    n_sl, n_iv, work, ex, to_fees, back = trace(
        st, fwd, max_hops, budget, ws, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags,
        tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent, out_ent, ent_stop)
    sl, iv = ws[0], ws[1]
    return (sl[0][:n_sl].copy(), sl[1][:n_sl].copy(), sl[2][:n_sl].copy(), sl[3][:n_sl].copy(),
            sl[4][:n_sl].copy(), sl[5][:n_sl].copy(), iv[0][:n_iv].copy(), iv[1][:n_iv].copy(),
            work, ex, to_fees, back)
