"""One transaction's taint split, forward and backward, for the five
policies: the numba kernels that the propagation loop calls for every
transaction it crosses. Twins in plain Python: ``split_reference``.

Forward: the tainted parts of the inputs ("pieces": input index, start
inside the input, length, hop) become pieces of the outputs (the fee
being output index n_out). Backward: the demanded parts of the outputs
(the value whose origin is asked for) become pieces of the inputs. A
piece's hop is the length of the path its value travelled; it is carried
through unchanged (the caller adds one). Every result row is (source
index, destination index, start inside the destination or -1 when the
policy keeps no positions, length, hop).

Policies that keep no positions (poison, haircut, TIHO) first merge the
pieces into units, one per (source index, hop), in that order.

Result buffers must hold ``forward_bound`` / ``backward_bound`` rows.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.trace.intmath_kernels import (
    add_to_largest,
    apportion,
    fill_residuals,
    floors,
    mul_divmod,
)
from chaintrail.trace.policies import FIFO, HAIRCUT, LIFO, POISON, TIHO

_HOP_SPAN = np.int64(1) << 20  # hops are below this


@njit(cache=True, nogil=True)
def forward_bound(policy: int, n_pieces: int, n_in: int, n_out: int) -> int:
    """Rows a forward split can produce."""
    if policy == POISON or policy == HAIRCUT:
        return n_pieces * (n_out + 1)
    return n_pieces + n_out + 1


@njit(cache=True, nogil=True)
def backward_bound(policy: int, n_pieces: int, n_in: int, n_out: int) -> int:
    """Rows a backward split can produce."""
    if policy == POISON or policy == HAIRCUT:
        return n_pieces * n_in
    return n_pieces + n_in


@njit(cache=True, nogil=True)
def units(p_src, p_len, p_hop, n_p):
    """Pieces merged per (source index, hop), sorted: (src, hop, amount, count)."""
    key = np.empty(n_p, np.int64)
    for q in range(n_p):
        key[q] = p_src[q] * _HOP_SPAN + p_hop[q]
    order = np.argsort(key, kind="mergesort")
    u_src = np.empty(n_p, np.int64)
    u_hop = np.empty(n_p, np.int64)
    u_amt = np.empty(n_p, np.int64)
    m = 0
    for q in range(n_p):
        p = order[q]
        if p_len[p] == 0:
            continue
        if m > 0 and u_src[m - 1] == p_src[p] and u_hop[m - 1] == p_hop[p]:
            u_amt[m - 1] += p_len[p]
        else:
            u_src[m] = p_src[p]
            u_hop[m] = p_hop[p]
            u_amt[m] = p_len[p]
            m += 1
    return u_src, u_hop, u_amt, m


@njit(cache=True, nogil=True)
def _sweep(pos, lens, src, hop, order, n_p, d_order, d_len, n_d,
           r_src, r_dst, r_start, r_len, r_hop):
    """Lay pieces (absolute positions, taken in `order`) over destinations laid end to end
    in d_order; one result row per overlap."""
    k = 0
    j = 0
    base = 0
    for q in range(n_p):
        p = order[q]
        a = pos[p]
        left = lens[p]
        while left > 0:
            while j < n_d and a >= base + d_len[d_order[j]]:
                base += d_len[d_order[j]]
                j += 1
            if j >= n_d:
                break
            end = base + d_len[d_order[j]]
            take = min(left, end - a)
            r_src[k] = src[p]
            r_dst[k] = d_order[j]
            r_start[k] = a - base
            r_len[k] = take
            r_hop[k] = hop[p]
            k += 1
            a += take
            left -= take
    return k


@njit(cache=True, nogil=True)
def _emit(mat, u_src, u_hop, n_rows, n_cols, r_src, r_dst, r_start, r_len, r_hop):
    k = 0
    for a in range(n_rows):
        for b in range(n_cols):
            if mat[a, b] > 0:
                r_src[k] = u_src[a]
                r_dst[k] = b
                r_start[k] = -1
                r_len[k] = mat[a, b]
                r_hop[k] = u_hop[a]
                k += 1
    return k


@njit(cache=True, nogil=True)
def _stream(u_src, u_hop, u_amt, m, d_order, d_len, n_d, r_src, r_dst, r_start, r_len, r_hop):
    """Units end to end (in unit order) laid over destinations in d_order; no positions kept."""
    pos = np.empty(m, np.int64)
    acc = 0
    for a in range(m):
        pos[a] = acc
        acc += u_amt[a]
    k = _sweep(pos, u_amt, u_src, u_hop, np.arange(m), m, d_order, d_len, n_d,
               r_src, r_dst, r_start, r_len, r_hop)
    for q in range(k):
        r_start[q] = -1
    return k


@njit(cache=True, nogil=True)
def haircut_sums(total, col_val, n_cols, fee_last, col_sum, rem, order):
    """The haircut's column sums (col_sum[:n_cols]) of `total` satoshis over columns of values
    col_val[:n_cols]: each column the floor of total * its value / all values; with fee_last
    (forward: the last column is the fee) what the others leave goes to the fee up to its
    value; the rest one satoshi each to the largest remainders (ties: lower index first).
    Returns the sum of the values. rem and order (n_cols) are scratch."""
    value = 0
    for j in range(n_cols):
        value += col_val[j]
    if not fee_last:
        apportion(total, col_val, n_cols, col_sum, rem, order)
        return value
    n_f = n_cols - 1
    left = total - floors(total, col_val, n_f, value, col_sum, rem)
    col_sum[n_f] = min(left, col_val[n_f])
    add_to_largest(col_sum, rem, n_f, left - col_sum[n_f], order)
    return value


@njit(cache=True, nogil=True)
def haircut_fill(u_amt, m, col_val, n_cols, value, col_sum, mat, rres, cres):
    """The haircut's matrix mat[:m, :n_cols], unit a's satoshis to column j: the floors of
    u_amt[a] * col_val[j] / value raised from the north-west corner to the units' amounts
    and the column sums (``haircut_sums``). rres (m) and cres (n_cols) are scratch."""
    if m == 1:  # one unit: its floors are the columns' floors, the fill gives it col_sum
        for j in range(n_cols):
            mat[0, j] = col_sum[j]
        return
    for a in range(m):
        for j in range(n_cols):
            mat[a, j] = mul_divmod(u_amt[a], col_val[j], value)[0]
    fill_residuals(mat, m, n_cols, u_amt, col_sum, rres, cres)


@njit(cache=True, nogil=True)
def split_forward(policy, in_val, n_in, out_val, n_out, fee, p_src, p_start, p_len, p_hop, n_p,
                  r_src, r_dst, r_start, r_len, r_hop):
    """Forward split of one transaction; returns the number of result rows."""
    total = 0
    for q in range(n_p):
        total += p_len[q]
    if total == 0:
        return 0
    n_cols = n_out + 1
    col_val = np.empty(n_cols, np.int64)
    for j in range(n_out):
        col_val[j] = out_val[j]
    col_val[n_out] = fee
    value = 0
    for j in range(n_cols):
        value += col_val[j]

    if policy == FIFO or policy == LIFO:
        # FIFO / LIFO (Clayton's case): inputs end to end (LIFO: reversed), outputs in
        # index order, the fee last
        base = np.empty(n_in, np.int64)
        acc = 0
        for s in range(n_in):
            i = s if policy == FIFO else n_in - 1 - s
            base[i] = acc
            acc += in_val[i]
        pos = np.empty(n_p, np.int64)
        for q in range(n_p):
            pos[q] = base[p_src[q]] + p_start[q]
        order = np.argsort(pos, kind="mergesort")
        d_order = np.arange(n_cols)
        return _sweep(pos, p_len, p_src, p_hop, order, n_p, d_order, col_val, n_cols,
                      r_src, r_dst, r_start, r_len, r_hop)

    u_src, u_hop, u_amt, m = units(p_src, p_len, p_hop, n_p)
    if policy == TIHO:
        # the tainted amount fills the highest-value outputs first, the fee last
        d_order = np.empty(n_cols, np.int64)
        by_value = np.argsort(-out_val[:n_out], kind="mergesort")
        for j in range(n_out):
            d_order[j] = by_value[j]
        d_order[n_out] = n_out
        return _stream(u_src, u_hop, u_amt, m, d_order, col_val, n_cols,
                       r_src, r_dst, r_start, r_len, r_hop)

    mat = np.zeros((m, n_cols), np.int64)
    col_sum = np.empty(n_cols, np.int64)
    rres = np.empty(max(m, n_cols), np.int64)
    cres = np.empty(max(m, n_cols), np.int64)
    if policy == POISON:
        # every output and the fee fully tainted, each split over the units by their taint
        row_sum = np.empty(m, np.int64)
        apportion(value, u_amt, m, row_sum, rres, cres)
        for j in range(n_cols):
            col_sum[j] = col_val[j]
        for a in range(m):
            for j in range(n_cols):
                mat[a, j] = mul_divmod(col_val[j], u_amt[a], total)[0]
        fill_residuals(mat, m, n_cols, row_sum, col_sum, rres, cres)
    else:
        # haircut: total * value / (outputs + fee) per output, floored; the rest to the
        # fee, capped at its value (any excess back to the largest remainders)
        haircut_sums(total, col_val, n_cols, True, col_sum, rres, cres)
        haircut_fill(u_amt, m, col_val, n_cols, value, col_sum, mat, rres, cres)
    return _emit(mat, u_src, u_hop, m, n_cols, r_src, r_dst, r_start, r_len, r_hop)


@njit(cache=True, nogil=True)
def split_backward(policy, in_val, n_in, out_val, n_out, p_src, p_start, p_len, p_hop, n_p,
                   r_src, r_dst, r_start, r_len, r_hop):
    """Backward split of one transaction (demand on outputs -> inputs); returns the row count."""
    total = 0
    for q in range(n_p):
        total += p_len[q]
    if total == 0:
        return 0
    value = 0
    for i in range(n_in):
        value += in_val[i]

    if policy == FIFO or policy == LIFO:
        # FIFO / LIFO: the forward stream read from the outputs' side
        obase = np.empty(n_out, np.int64)
        acc = 0
        for j in range(n_out):
            obase[j] = acc
            acc += out_val[j]
        pos = np.empty(n_p, np.int64)
        for q in range(n_p):
            pos[q] = obase[p_src[q]] + p_start[q]
        order = np.argsort(pos, kind="mergesort")
        d_order = np.empty(n_in, np.int64)
        for s in range(n_in):
            d_order[s] = s if policy == FIFO else n_in - 1 - s
        return _sweep(pos, p_len, p_src, p_hop, order, n_p, d_order, in_val, n_in,
                      r_src, r_dst, r_start, r_len, r_hop)

    u_src, u_hop, u_amt, m = units(p_src, p_len, p_hop, n_p)
    if policy == TIHO:
        # the demand is drawn from the highest-value inputs first
        d_order = np.argsort(-in_val[:n_in], kind="mergesort")
        return _stream(u_src, u_hop, u_amt, m, d_order, in_val, n_in,
                       r_src, r_dst, r_start, r_len, r_hop)

    mat = np.zeros((m, n_in), np.int64)
    col_sum = np.empty(n_in, np.int64)
    rres = np.empty(max(m, n_in), np.int64)
    cres = np.empty(max(m, n_in), np.int64)
    if policy == POISON:
        # every input is a full source of the demanded outputs
        row_sum = np.empty(m, np.int64)
        apportion(value, u_amt, m, row_sum, rres, cres)
        for i in range(n_in):
            col_sum[i] = in_val[i]
        for a in range(m):
            for i in range(n_in):
                mat[a, i] = mul_divmod(in_val[i], u_amt[a], total)[0]
        fill_residuals(mat, m, n_in, row_sum, col_sum, rres, cres)
    else:
        # haircut: each input supplies the demand in proportion to its value
        haircut_sums(total, in_val, n_in, False, col_sum, rres, cres)
        haircut_fill(u_amt, m, in_val, n_in, value, col_sum, mat, rres, cres)
    return _emit(mat, u_src, u_hop, m, n_in, r_src, r_dst, r_start, r_len, r_hop)
