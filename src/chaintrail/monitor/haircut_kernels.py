"""The exposure trace of one customer transfer, specialised: the haircut
policy at output level, no value floor, stopping at every entity of the
stop mask. It gives, satoshi for satoshi, the slots, pieces, work and
budget cut-off of the trace engine's general kernel
(``flow_kernels.propagate``) for that case (tests hold the two equal), at
a fraction of its cost, because the case allows:

- No hash maps. The frontier is a heap with one entry per queued slot:
  forward the id of the input that spends it, backward its output id,
  negated. Inputs and outputs are numbered in transaction order (the
  store's layout, checked by the caller), so the heap gives the
  transactions in the engine's order (forward the lowest first, backward
  the highest) and each one's tainted inputs or outputs together, which
  is all the general kernel's output and transaction maps are used for (an
  output is received at most once, by the one transaction that creates or
  spends it, so "already seen" only happens for starting outputs: flow
  back into the start).
- The rows a transaction's receivers will read (spenders, entity codes)
  are prefetched while its split is computed.
- No per-transaction allocation: the haircut split (``split_kernels``' rule
  for HAIRCUT: largest-remainder apportionment, per-piece floors, then the
  north-west-corner fill) runs in per-call scratch buffers sized by the
  work budget, and the receivers take their pieces per hop column by
  column, without sorting rows.
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
from chaintrail.store.arrays import FLAG_COINBASE
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
from chaintrail.trace.flow_kernels import entity_code
from chaintrail.trace.intmath_kernels import mul_divmod

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


@njit(cache=True, nogil=True)
def _hpush(hk, hv, n, key, val):
    i = n
    hk[i] = key
    hv[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return n + 1


@njit(cache=True, nogil=True)
def _hpop(hk, hv, n):
    key = hk[0]
    val = hv[0]
    n -= 1
    hk[0] = hk[n]
    hv[0] = hv[n]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and hk[c + 1] < hk[c]:
            c += 1
        if hk[i] <= hk[c]:
            break
        hk[i], hk[c] = hk[c], hk[i]
        hv[i], hv[c] = hv[c], hv[i]
        i = c
    return key, val, n


@njit(cache=True, nogil=True)
def workspace(max_start, budget, max_hops):
    """Buffers for traces of up to `max_start` starting outputs under `budget`: slots (output,
    fate, entity, amount stopped by the hop limit, first piece, pieces), pieces (amount, hop,
    edge tx, edge's slot nearer the start, edge amount), the heap and the sorted starts, the
    split's units (slot, hop, amount, hop index, row residual) and columns (value, sum,
    remainder, order) and its matrix. A split creates at most one slot per unit of work it costs, and one piece
    per slot and hop, so the slots and pieces fit in these sizes."""
    n_sl = max_start + budget + 1
    n_iv = max_start + (budget + 1) * max(max_hops, 1) + 1
    n_col = budget + max_hops + 2
    return ((np.empty(n_sl, np.int64), np.empty(n_sl, np.int8), np.empty(n_sl, np.int64),
             np.empty(n_sl, np.int64), np.empty(n_sl, np.int64), np.empty(n_sl, np.int64)),
            (np.empty(n_iv, np.int64), np.empty(n_iv, np.int64), np.empty(n_iv, np.int64),
             np.empty(n_iv, np.int64), np.empty(n_iv, np.int64)),
            (np.empty(n_sl, np.int64), np.empty(n_sl, np.int64), np.empty(n_sl, np.int64),
             np.empty(max_start + 1, np.int64), np.zeros(max_start + 1, np.bool_)),
            (np.empty(n_iv, np.int64), np.empty(n_iv, np.int64), np.empty(n_iv, np.int64),
             np.empty(n_iv, np.int64), np.empty(n_iv, np.int64)),
            (np.empty(n_col, np.int64), np.empty(n_col, np.int64), np.empty(n_col, np.int64),
             np.empty(n_col, np.int64), np.empty(_MAT_CELLS, np.int64)))


@njit(cache=True, nogil=True)
def _is_start(ss, n_ss, o):
    lo = 0
    hi = n_ss
    while lo < hi:
        mid = (lo + hi) >> 1
        if ss[mid] < o:
            lo = mid + 1
        else:
            hi = mid
    return lo < n_ss and ss[lo] == o


@njit(cache=True, nogil=True)
def _top_remainders(rem, n, count, order):
    """order[:count] = the indices of the `count` largest rem[:n], largest first, lower index
    first among equals (a stable sort of -rem, as the engine's apportionment takes them)."""
    if n > 64:
        o = np.argsort(-rem[:n], kind="mergesort")
        for k in range(count):
            order[k] = o[k]
        return
    for k in range(n):  # insertion sort, stable
        order[k] = k
        j = k
        while j > 0 and rem[order[j - 1]] < rem[k]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = k


@njit(cache=True, nogil=True)
def _fill(mat, nc, n_rows, n_cols, row_sum, col_sum, rres, cres):
    """``intmath_kernels.fill_residuals`` over a flat matrix with row stride nc."""
    for i in range(n_rows):
        s = 0
        for j in range(n_cols):
            s += mat[i * nc + j]
        rres[i] = row_sum[i] - s
    for j in range(n_cols):
        s = 0
        for i in range(n_rows):
            s += mat[i * nc + j]
        cres[j] = col_sum[j] - s
    i = 0
    j = 0
    while i < n_rows and j < n_cols:
        if rres[i] == 0:
            i += 1
            continue
        if cres[j] == 0:
            j += 1
            continue
        x = min(rres[i], cres[j])
        mat[i * nc + j] += x
        rres[i] -= x
        cres[j] -= x


@njit(cache=True, nogil=True)
def _split(fwd, m, u_amt, col_val, n_cols, fee, col_sum, rem, order, rres, mat):
    """The haircut split of one transaction (``split_kernels`` HAIRCUT, forward: columns are
    the outputs and the fee; backward: the inputs): mat[a * n_cols + j], the satoshis of unit
    a that go to column j."""
    total = 0
    for a in range(m):
        total += u_amt[a]
    value = 0
    for j in range(n_cols):
        value += col_val[j]
    if fwd:
        n_out = n_cols - 1
        given = 0
        for j in range(n_out):
            q, r = mul_divmod(total, col_val[j], value)
            col_sum[j] = q
            rem[j] = r
            given += q
        to_fee = total - given
        if to_fee > fee:
            _top_remainders(rem, n_out, to_fee - fee, order)
            for k in range(to_fee - fee):
                col_sum[order[k]] += 1
            to_fee = fee
        col_sum[n_out] = to_fee
    elif value == 0 or total == 0:
        for j in range(n_cols):
            col_sum[j] = 0
    else:  # apportion(total, col_val)
        given = 0
        for j in range(n_cols):
            q, r = mul_divmod(total, col_val[j], value)
            col_sum[j] = q
            rem[j] = r
            given += q
        left = total - given
        if left > 0:
            _top_remainders(rem, n_cols, left, order)
            for k in range(left):
                col_sum[order[k]] += 1
    if m == 1:  # one unit: its floors are the columns' floors, the fill gives it col_sum
        for j in range(n_cols):
            mat[j] = col_sum[j]
        return
    for a in range(m):
        for j in range(n_cols):
            mat[a * n_cols + j] = mul_divmod(u_amt[a], col_val[j], value)[0]
    _fill(mat, n_cols, m, n_cols, u_amt, col_sum, rres, rem)


@njit(cache=True, nogil=True)
def trace(st, fwd, max_hops, budget, ws, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags,
          tx_fee, out_tx, out_value, out_address, out_spent_by, in_tx, in_spent, out_ent, ent_stop):
    """One trace from starting outputs st (forward when fwd) into the workspace `ws`. Returns
    (slots, pieces, work, budget exhausted, satoshis to fees, satoshis flowed back into the
    starting outputs)."""
    sl_out, sl_fate, sl_ent, sl_lim, sl_ivh, sl_ivn = ws[0]
    iv_l, iv_h, iv_etx, iv_eto, iv_eamt = ws[1]
    hk, hv, tsl, ss, used = ws[2]
    u_slot, u_hop, u_amt, u_hi, rres = ws[3]
    col_val, col_sum, rem, order, mat0 = ws[4]
    n_start = st.shape[0]
    # the distinct starting outputs, sorted (flow reaching one of them flowed back)
    n_ss = 0
    for q in range(n_start):
        ss[n_ss] = st[q]
        n_ss += 1
    ss[:n_ss].sort()
    w = 0
    for q in range(n_ss):
        if q == 0 or ss[q] != ss[w - 1]:
            ss[w] = ss[q]
            w += 1
    n_ss = w
    for q in range(n_ss):
        used[q] = False
    n_sl = 0
    n_iv = 0
    n_h = 0
    for q in range(n_start):
        o = st[q]
        lo = 0
        hi = n_ss
        while lo < hi:
            mid = (lo + hi) >> 1
            if ss[mid] < o:
                lo = mid + 1
            else:
                hi = mid
        if used[lo]:
            continue
        used[lo] = True
        s = n_sl
        n_sl += 1
        v = out_value[o]
        sl_out[s] = o
        sl_ent[s] = out_ent[o]
        sl_lim[s] = 0
        sl_ivh[s] = n_iv
        sl_ivn[s] = 0
        if v > 0:
            iv_l[n_iv] = v
            iv_h[n_iv] = 0
            iv_etx[n_iv] = -1
            iv_eto[n_iv] = -1
            iv_eamt[n_iv] = 0
            n_iv += 1
            sl_ivn[s] = 1
        if fwd:
            key = out_spent_by[o]
            if key < 0:
                sl_fate[s] = F_UNSPENT
                continue
        else:
            key = -o
        if max_hops >= 1:
            n_h = _hpush(hk, hv, n_h, key, s)
            sl_fate[s] = F_QUEUED
        else:
            sl_fate[s] = F_HOPLIMIT
    work = n_sl
    exhausted = False
    to_fees = 0
    back = 0
    present = np.zeros(max_hops + 1, np.int64)
    acc = np.zeros(max_hops + 1, np.int64)
    best = np.zeros(max_hops + 1, np.int64)
    best_a = np.zeros(max_hops + 1, np.int64)

    while n_h > 0:
        t = in_tx[hk[0]] if fwd else out_tx[-hk[0]]
        ni = np.int64(tx_n_in[t])
        no = np.int64(tx_n_out[t])
        fi = tx_first_in[t]
        fo = tx_first_out[t]
        cost = ni + no
        if work + cost > budget:
            exhausted = True
            break
        work += cost
        fee = tx_fee[t]
        fate = F_CONSUMED
        if not fwd and (tx_flags[t] & FLAG_COINBASE) != 0:
            fate = F_COINBASE
        elif fee < 0:
            fate = F_UNKNOWN
        else:
            for k in range(ni):
                if in_spent[fi + k] < 0:
                    fate = F_UNKNOWN
        # the flowing units: the pieces of the tainted side's slots, in index then hop order
        n_t = 0
        while n_h > 0 and ((hk[0] < fi + ni) if fwd else (-hk[0] >= fo)):
            _key, s, n_h = _hpop(hk, hv, n_h)
            sl_fate[s] = fate
            tsl[n_t] = s
            n_t += 1
        m = 0
        for y in range(n_t):
            s = tsl[y] if fwd else tsl[n_t - 1 - y]  # backward: popped highest output first
            for z in range(sl_ivh[s], sl_ivh[s] + sl_ivn[s]):
                u_slot[m] = s
                u_hop[m] = iv_h[z]
                u_amt[m] = iv_l[z]
                m += 1
        if fate != F_CONSUMED or m == 0:
            continue
        # the receiving columns
        if fwd:
            n_cols = no + 1
            for j in range(no):
                col_val[j] = out_value[fo + j]
                prefetch(in_tx, out_spent_by[fo + j])
            col_val[no] = fee
        else:
            n_cols = ni
            for j in range(ni):
                o = in_spent[fi + j]
                prefetch(out_ent, o)
                prefetch(out_tx, o)
                col_val[j] = out_value[o]
        mat = mat0 if m * n_cols <= mat0.shape[0] else np.empty(m * n_cols, np.int64)
        _split(fwd, m, u_amt, col_val, n_cols, fee, col_sum, rem, order, rres, mat)
        # the units' hops, ascending (a receiver's pieces: one per hop, in hop order)
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
        n_r = 0
        for b in range(n_cols):
            for x in range(nh):
                acc[x] = 0
                best[x] = 0
                best_a[x] = -1
            got = 0
            for a in range(m):
                v = mat[a * n_cols + b]
                if v > 0:
                    n_r += 1
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
            if _is_start(ss, n_ss, o):
                back += got
                continue
            s = n_sl
            n_sl += 1
            h0 = n_iv
            sl_out[s] = o
            sl_lim[s] = 0
            sl_ivh[s] = h0
            for x in range(nh):
                if acc[x] > 0:
                    iv_l[n_iv] = acc[x]
                    iv_h[n_iv] = order[x] + 1
                    iv_etx[n_iv] = t
                    iv_eto[n_iv] = u_slot[best_a[x]]
                    iv_eamt[n_iv] = best[x]
                    n_iv += 1
            sl_ivn[s] = n_iv - h0
            ent = out_ent[o]
            sl_ent[s] = ent
            if ent >= 0 and ent_stop[ent]:
                sl_fate[s] = F_STOP
                continue
            if fwd:
                key = out_spent_by[o]
                if key < 0:
                    sl_fate[s] = F_UNSPENT
                    continue
            else:
                key = -o
            # pieces at the hop limit stop here; the others go on
            w = h0
            lim = 0
            for z in range(h0, n_iv):
                if iv_h[z] >= max_hops:
                    lim += iv_l[z]
                else:
                    iv_l[w] = iv_l[z]
                    iv_h[w] = iv_h[z]
                    iv_etx[w] = iv_etx[z]
                    iv_eto[w] = iv_eto[z]
                    iv_eamt[w] = iv_eamt[z]
                    w += 1
            if w == h0:
                sl_fate[s] = F_HOPLIMIT
                continue
            n_iv = w
            sl_ivn[s] = w - h0
            sl_lim[s] = lim
            n_h = _hpush(hk, hv, n_h, key, s)
            sl_fate[s] = F_QUEUED
        work += n_r

    # what is still queued ran out of budget
    for q in range(n_h):
        sl_fate[hv[q]] = F_BUDGET
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
