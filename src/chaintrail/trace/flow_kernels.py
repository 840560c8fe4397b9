"""Taint propagation over the store's arrays: one numba kernel that walks
the transaction graph from a set of starting outputs, forward (where the
value went) or backward (where it came from), under one policy.

Frontier: a heap of transaction ids. Forward pops the smallest id first,
backward the largest, so a transaction is split once, after every
transaction that can feed it (spends always come later in chain order).

The flow is made of pieces (start inside the output, length, hop): a
piece's hop is the number of transactions its value crossed from the
starting set, so one output can hold value that travelled different
distances. Pieces that reach the hop limit stop there; the others go on.
Positional policies (FIFO, LIFO) keep the pieces' places in the coin;
the others keep one piece per hop.

Each output the flow reaches gets a slot: its amount, least hop, fate
(``F_*``: where its amount stopped, or that it moved on) and its pieces.
Every split moves exact satoshis, so for the conservative policies the
amounts left in terminal slots, plus the fee, plus what flowed back into
the starting set, equal the starting amount. Twin in plain Python:
``flow_reference``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.store.arrays import FLAG_COINBASE
from chaintrail.trace.flow_codes import (  # noqa: F401 - re-exported: FK.F_* in readers and tests
    F_BUDGET,
    F_COINBASE,
    F_CONSUMED,
    F_FLOOR,
    F_HOPLIMIT,
    F_NONE,
    F_QUEUED,
    F_STOP,
    F_UNKNOWN,
    F_UNSPENT,
    FATE_NAMES,
    FEE,
    FLAG_START,
)
from chaintrail.trace.policies import FIFO, FORWARD, HAIRCUT, LIFO, POISON
from chaintrail.trace.split_kernels import (
    _HOP_SPAN,
    backward_bound,
    forward_bound,
    split_backward,
    split_forward,
)
from chaintrail.trace.table_kernels import grow, heap_pop, heap_push, map_get, map_new, map_put

#: added to a transaction's hop once it is split
DONE = np.int64(1) << 40


@njit(cache=True, nogil=True)
def entity_code(o, out_address, addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals):
    """Entity code of output o: by its address's tag, else by its address's cluster; -1 if none.
    The lookups are hash maps (``table_kernels.map_build``) of address id / dense cluster index."""
    a = out_address[o]
    if a < 0:
        return -1
    if addr_hkeys.shape[0] > 0:
        c = map_get(addr_hkeys, addr_hvals, a)
        if c >= 0:
            return c
    if cl_hkeys.shape[0] > 0 and a < dense.shape[0]:
        return map_get(cl_hkeys, cl_hvals, dense[a])
    return -1


@njit(cache=True, nogil=True)
def tx_fate(t, forward, fi, ni, tx_flags, tx_fee, in_spent):
    """What becomes of the flow reaching transaction t (inputs fi..fi+ni): F_CONSUMED, split
    on; backward at a coinbase F_COINBASE; F_UNKNOWN where its fee or an input is unknown."""
    if not forward and (tx_flags[t] & FLAG_COINBASE) != 0:
        return F_COINBASE
    if tx_fee[t] < 0:
        return F_UNKNOWN
    for k in range(ni):
        if in_spent[fi + k] < 0:
            return F_UNKNOWN
    return F_CONSUMED


@njit(cache=True, nogil=True)
def reached(o, ent, amount, min_value, forward, ent_stop, out_spent_by):
    """Where flow newly reaching output o (entity ent, `amount` satoshis) stops: (F_STOP,
    F_FLOOR or F_UNSPENT, -1), or (F_QUEUED, the id it goes on by: forward the input spending
    o, backward o itself)."""
    if ent >= 0 and ent_stop[ent]:
        return F_STOP, -1
    if amount < min_value:
        return F_FLOOR, -1
    if not forward:
        return F_QUEUED, o
    sb = out_spent_by[o]
    if sb < 0:
        return F_UNSPENT, -1
    return F_QUEUED, sb


@njit(cache=True, nogil=True)
def cut_at_hop_limit(iv_h, iv_l, h0, n_iv, max_hops, more):
    """Drop the pieces h0..n_iv that reached the hop limit, keeping the others in order in
    iv_h, iv_l and each array of the tuple `more`; returns (their new end, the satoshis
    dropped)."""
    w = h0
    lim = 0
    for z in range(h0, n_iv):
        if iv_h[z] >= max_hops:
            lim += iv_l[z]
        else:
            iv_l[w] = iv_l[z]
            iv_h[w] = iv_h[z]
            for col in more:
                col[w] = col[z]
            w += 1
    return w, lim


@njit(cache=True, nogil=True)
def _queue(tkeys, tvals, n_tx, heap, n_h, t, hop, direction):
    """Queue transaction t at hop (or lower the hop of a queued one)."""
    cur = map_get(tkeys, tvals, t)
    if cur < 0:
        tkeys, tvals = map_put(tkeys, tvals, n_tx, t, hop)
        n_tx += 1
        heap, n_h = heap_push(heap, n_h, t if direction == FORWARD else -t)
    elif cur < DONE and hop < cur:
        tkeys, tvals = map_put(tkeys, tvals, n_tx, t, hop)
    return tkeys, tvals, n_tx, heap, n_h


@njit(cache=True, nogil=True)
def propagate(direction, policy, starts, max_hops, min_value, budget,
              tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_flags, tx_fee,
              out_tx, out_value, out_address, out_spent_by, in_tx, in_spent,
              addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals, ent_stop):
    """Run one trace. Returns the slots (output, amount, returned-to-start amount, least hop,
    fate, flags, entity, amount stopped by the hop limit, first piece, pieces), the pieces
    (start, length, hop), the edges (source output, destination output or FEE, tx, amount,
    hop) and (work, budget exhausted, transactions split)."""
    positional = policy == FIFO or policy == LIFO
    forward = direction == FORWARD
    n_start = starts.shape[0]
    okeys, ovals = map_new(max(64, 2 * n_start))
    cap = max(64, 2 * n_start)
    sl_out = np.empty(cap, np.int64)
    sl_amt = np.zeros(cap, np.int64)
    sl_ret = np.zeros(cap, np.int64)
    sl_hop = np.zeros(cap, np.int32)
    sl_lim = np.zeros(cap, np.int64)
    sl_fate = np.zeros(cap, np.int8)
    sl_flags = np.zeros(cap, np.int8)
    sl_ent = np.full(cap, -1, np.int32)
    sl_ivh = np.zeros(cap, np.int64)
    sl_ivn = np.zeros(cap, np.int64)
    n_sl = 0
    iv_s = np.empty(max(1024, n_start + 1), np.int64)
    iv_l = np.empty(max(1024, n_start + 1), np.int64)
    iv_h = np.empty(max(1024, n_start + 1), np.int32)
    n_iv = 0
    tkeys, tvals = map_new(256)
    n_tx = 0
    heap = np.empty(256, np.int64)
    n_h = 0
    e_src = np.empty(1024, np.int64)
    e_dst = np.empty(1024, np.int64)
    e_tx = np.empty(1024, np.int64)
    e_amt = np.empty(1024, np.int64)
    e_hop = np.empty(1024, np.int32)
    n_e = 0
    p_src = np.empty(256, np.int64)
    p_start = np.empty(256, np.int64)
    p_len = np.empty(256, np.int64)
    p_hop = np.empty(256, np.int64)
    r_src = np.empty(256, np.int64)
    r_dst = np.empty(256, np.int64)
    r_start = np.empty(256, np.int64)
    r_len = np.empty(256, np.int64)
    r_hop = np.empty(256, np.int64)
    in_val = np.empty(256, np.int64)
    touched = np.empty(256, np.int64)

    # ---- the starting outputs: hop 0, their whole value
    for q in range(n_start):
        o = starts[q]
        if map_get(okeys, ovals, o) >= 0:
            continue
        okeys, ovals = map_put(okeys, ovals, n_sl, o, n_sl)
        s = n_sl
        n_sl += 1
        v = out_value[o]
        sl_out[s] = o
        sl_amt[s] = v
        sl_flags[s] = FLAG_START
        sl_ent[s] = entity_code(o, out_address, addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals)
        sl_ivh[s] = n_iv
        if v > 0:
            iv_s[n_iv] = 0
            iv_l[n_iv] = v
            iv_h[n_iv] = 0
            n_iv += 1
            sl_ivn[s] = 1
        if forward:
            sb = out_spent_by[o]
            if sb < 0:
                sl_fate[s] = F_UNSPENT
                continue
            nxt = in_tx[sb]
        else:
            nxt = out_tx[o]
        if max_hops >= 1:
            tkeys, tvals, n_tx, heap, n_h = _queue(tkeys, tvals, n_tx, heap, n_h, nxt, 1, direction)
            sl_fate[s] = F_QUEUED
        else:
            sl_fate[s] = F_HOPLIMIT
    work = n_sl
    exhausted = False
    n_done = 0

    # ---- the frontier
    while n_h > 0:
        key, n_h = heap_pop(heap, n_h)
        t = key if forward else -key
        hop = map_get(tkeys, tvals, t)
        ni = tx_n_in[t]
        no = tx_n_out[t]
        fi = tx_first_in[t]
        fo = tx_first_out[t]
        cost = ni + no
        if work + cost > budget:
            exhausted = True
            break
        work += cost
        tkeys, tvals = map_put(tkeys, tvals, n_tx, t, hop + DONE)
        n_done += 1
        need = n_sl + ni + no + 1
        if need > sl_out.shape[0]:
            sl_out = grow(sl_out, need)
            sl_amt = grow(sl_amt, need)
            sl_ret = grow(sl_ret, need)
            sl_hop = grow(sl_hop, need)
            sl_lim = grow(sl_lim, need)
            sl_fate = grow(sl_fate, need)
            sl_flags = grow(sl_flags, need)
            sl_ent = grow(sl_ent, need)
            sl_ivh = grow(sl_ivh, need)
            sl_ivn = grow(sl_ivn, need)
        touched = grow(touched, max(ni, no))

        # the flowing pieces: of tainted inputs (forward) or demanded outputs (backward)
        n_p = 0
        n_touch = 0
        side = ni if forward else no
        for k in range(side):
            if forward:
                o = in_spent[fi + k]
                if o < 0:
                    continue
            else:
                o = fo + k
            s = map_get(okeys, ovals, o)
            if s < 0 or sl_fate[s] != F_QUEUED:
                continue
            touched[n_touch] = s
            n_touch += 1
            c = sl_ivn[s]
            p_src = grow(p_src, n_p + c)
            p_start = grow(p_start, n_p + c)
            p_len = grow(p_len, n_p + c)
            p_hop = grow(p_hop, n_p + c)
            h = sl_ivh[s]
            for z in range(c):
                p_src[n_p] = k
                p_start[n_p] = iv_s[h + z]
                p_len[n_p] = iv_l[h + z]
                p_hop[n_p] = iv_h[h + z]
                n_p += 1
        fee = tx_fee[t]
        fate = tx_fate(t, forward, fi, ni, tx_flags, tx_fee, in_spent)
        for z in range(n_touch):
            sl_fate[touched[z]] = fate
        if fate != F_CONSUMED or n_p == 0:
            continue

        in_val = grow(in_val, ni)
        for k in range(ni):
            in_val[k] = out_value[in_spent[fi + k]]
        if forward:
            bound = forward_bound(policy, n_p, ni, no)
        else:
            bound = backward_bound(policy, n_p, ni, no)
        r_src = grow(r_src, bound)
        r_dst = grow(r_dst, bound)
        r_start = grow(r_start, bound)
        r_len = grow(r_len, bound)
        r_hop = grow(r_hop, bound)
        out_vals = out_value[fo:fo + no]
        if forward:
            n_r = split_forward(policy, in_val, ni, out_vals, no, fee, p_src, p_start, p_len, p_hop,
                                n_p, r_src, r_dst, r_start, r_len, r_hop)
        else:
            n_r = split_backward(policy, in_val, ni, out_vals, no, p_src, p_start, p_len, p_hop,
                                 n_p, r_src, r_dst, r_start, r_len, r_hop)
        if policy == POISON or policy == HAIRCUT:
            work += n_r

        # edges (money-flow direction), each row one more hop away from the start
        e_need = n_e + n_r
        e_src = grow(e_src, e_need)
        e_dst = grow(e_dst, e_need)
        e_tx = grow(e_tx, e_need)
        e_amt = grow(e_amt, e_need)
        e_hop = grow(e_hop, e_need)
        for q in range(n_r):
            a = r_src[q]
            b = r_dst[q]
            if forward:
                src_o = in_spent[fi + a]
                dst_o = fo + b if b < no else FEE
            else:
                src_o = in_spent[fi + b]
                dst_o = fo + a
            eh = r_hop[q] + 1
            if (n_e > 0 and e_tx[n_e - 1] == t and e_src[n_e - 1] == src_o
                    and e_dst[n_e - 1] == dst_o and e_hop[n_e - 1] == eh):
                e_amt[n_e - 1] += r_len[q]
            else:
                e_src[n_e] = src_o
                e_dst[n_e] = dst_o
                e_tx[n_e] = t
                e_amt[n_e] = r_len[q]
                e_hop[n_e] = eh
                n_e += 1

        # the receiving side: rows grouped by receiver (amount policies: and by hop)
        n_recv = no if forward else ni
        rkey = np.empty(n_r, np.int64)
        for q in range(n_r):
            rkey[q] = r_dst[q] * _HOP_SPAN + (0 if positional else r_hop[q])
        order = np.argsort(rkey, kind="mergesort")
        iv_s = grow(iv_s, n_iv + n_r)
        iv_l = grow(iv_l, n_iv + n_r)
        iv_h = grow(iv_h, n_iv + n_r)
        q = 0
        while q < n_r:
            b = r_dst[order[q]]
            qe = q
            while qe < n_r and r_dst[order[qe]] == b:
                qe += 1
            if b >= n_recv:  # forward: the fee (recorded as edges)
                q = qe
                continue
            o = fo + b if forward else in_spent[fi + b]
            s = map_get(okeys, ovals, o)
            if s >= 0:  # flowed back into the starting set
                for z in range(q, qe):
                    sl_ret[s] += r_len[order[z]]
                q = qe
                continue
            h0 = n_iv
            amount = 0
            least = 1 << 30
            for z in range(q, qe):
                row = order[z]
                st = r_start[row] if positional else 0
                hh = r_hop[row] + 1
                amount += r_len[row]
                least = min(least, hh)
                if (n_iv > h0 and iv_h[n_iv - 1] == hh
                        and (not positional or iv_s[n_iv - 1] + iv_l[n_iv - 1] == st)):
                    iv_l[n_iv - 1] += r_len[row]
                else:
                    iv_s[n_iv] = st
                    iv_l[n_iv] = r_len[row]
                    iv_h[n_iv] = hh
                    n_iv += 1
            q = qe
            okeys, ovals = map_put(okeys, ovals, n_sl, o, n_sl)
            s = n_sl
            n_sl += 1
            sl_out[s] = o
            sl_amt[s] = amount
            sl_ret[s] = 0
            sl_lim[s] = 0
            sl_hop[s] = least
            sl_flags[s] = 0
            sl_ivh[s] = h0
            sl_ivn[s] = n_iv - h0
            ent = entity_code(o, out_address, addr_hkeys, addr_hvals, dense, cl_hkeys, cl_hvals)
            sl_ent[s] = ent
            fate, by = reached(o, ent, amount, min_value, forward, ent_stop, out_spent_by)
            if fate != F_QUEUED:
                sl_fate[s] = fate
                continue
            nxt = in_tx[by] if forward else out_tx[by]
            # pieces at the hop limit stop here; the others go on
            w, lim = cut_at_hop_limit(iv_h, iv_l, h0, n_iv, max_hops, (iv_s,))
            if w == h0:
                sl_fate[s] = F_HOPLIMIT
                continue
            n_iv = w
            sl_ivn[s] = w - h0
            sl_lim[s] = lim
            go = 1 << 30
            for z in range(h0, w):
                go = min(go, iv_h[z])
            tkeys, tvals, n_tx, heap, n_h = _queue(tkeys, tvals, n_tx, heap, n_h, nxt, go + 1,
                                                   direction)
            sl_fate[s] = F_QUEUED

    # ---- what is still queued ran out of budget
    for s in range(n_sl):
        if sl_fate[s] == F_QUEUED:
            sl_fate[s] = F_BUDGET
    return (sl_out[:n_sl], sl_amt[:n_sl], sl_ret[:n_sl], sl_hop[:n_sl], sl_fate[:n_sl],
            sl_flags[:n_sl], sl_ent[:n_sl], sl_lim[:n_sl], sl_ivh[:n_sl], sl_ivn[:n_sl],
            iv_s[:n_iv], iv_l[:n_iv], iv_h[:n_iv],
            e_src[:n_e], e_dst[:n_e], e_tx[:n_e], e_amt[:n_e], e_hop[:n_e],
            work, exhausted, n_done)
