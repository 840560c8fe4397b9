"""CoinJoin detection per transaction (methods.md section 2), as a numba
kernel over the store's analysis arrays. Pure-Python twin:
``coinjoin_reference``.

Every rule first asks for a non-coinbase transaction with at least one
repeated output value; then the protocols are tried from the most specific
(Whirlpool, Wasabi 2, Wasabi 1) to the least (JoinMarket, generic). Input
facts (value, script type, address) come from the spent output; an input
whose previous output is not in the store is "unknown", and a rule that
needs a fact it cannot know does not fire -- except the two equal-output
rules, which then use the counts they can bound (recorded as
``inputs_known = False`` next to the verdict).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from chaintrail.bitcoin.script_types import OP_RETURN, P2TR, P2WPKH, P2WSH, WITNESS_UNKNOWN
from chaintrail.heuristics.codes import (
    CJ_GENERIC,
    CJ_JOINMARKET,
    CJ_NONE,
    CJ_WASABI1,
    CJ_WASABI2,
    CJ_WHIRLPOOL,
)
from chaintrail.heuristics.denominations import (
    GENERIC_MIN_EQUAL,
    GENERIC_ROUND,
    JOINMARKET_MARGIN,
    JOINMARKET_MIN_EQUAL,
    WASABI1_BASE,
    WASABI1_MIN_EQUAL,
    WASABI1_PRECISION,
    WHIRLPOOL_TOLERANCE,
)

GATE_WASABI1 = 530_500
GATE_WASABI1_NOCOORD = 610_000
GATE_WHIRLPOOL = 570_000
GATE_WASABI2 = 741_213

FLAG_COINBASE = 1


@njit(cache=True, nogil=True, inline="always")
def _native_segwit(t):
    return t == P2WPKH or t == P2WSH or t == P2TR or t == WITNESS_UNKNOWN


@njit(cache=True, nogil=True)
def _contains(sorted_arr, v):
    i = np.searchsorted(sorted_arr, v)
    return i < sorted_arr.shape[0] and sorted_arr[i] == v


@njit(cache=True, nogil=True)
def _count_distinct(buf, n):
    """Distinct values among buf[:n] (sorts buf[:n] in place)."""
    if n == 0:
        return 0
    buf[:n].sort()
    d = 1
    for k in range(1, n):
        if buf[k] != buf[k - 1]:
            d += 1
    return d


@njit(cache=True, nogil=True)
def _value_stats(vals, n):
    """On sorted vals[:n]: (values repeated, most frequent count, its value, values seen once,
    count of the most frequent value that is not dust 546/2730)."""
    n_rep = 0
    best_c = 0
    best_v = -1
    n_single = 0
    k = 0
    while k < n:
        j = k
        while j + 1 < n and vals[j + 1] == vals[k]:
            j += 1
        c = j - k + 1
        if c >= 2:
            n_rep += 1
        else:
            n_single += 1
        if c > best_c or (c == best_c and vals[k] > best_v):
            best_c = c
            best_v = vals[k]
        k = j + 1
    return n_rep, best_c, best_v, n_single


@njit(cache=True, nogil=True, inline="always")
def classify_tx(t, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, tx_flags, out_value,
                out_type, out_address, in_spent, in_base, in_addr, in_value, in_type, denoms, pools,
                coord_ids, gates, codes, out_tx, vbuf, abuf):
    """(protocol code, inputs known) of transaction t (the JoinMarket verdict before the
    check of spent Wasabi outputs, see detect_kernel).
    in_addr/in_value/in_type: facts of input i at index i - in_base (input_facts).
    Inlined into the loop over transactions: a call passing two dozen arrays cost more than
    judging the typical transaction (a third of the kernel's time at 10 M txs)."""
    n_in = tx_n_in[t]
    n_out = tx_n_out[t]
    i0 = tx_first_in[t]
    k0 = i0 - in_base
    o0 = tx_first_out[t]
    known = True
    for k in range(k0, k0 + n_in):
        if in_value[k] < 0:
            known = False
            break
    if (tx_flags[t] & FLAG_COINBASE) != 0 or n_out < 2:
        return CJ_NONE, known
    if n_out == 2 and out_value[o0] != out_value[o0 + 1]:
        return CJ_NONE, known
    data = False
    for k in range(n_out):
        vbuf[k] = out_value[o0 + k]
        if out_type[o0 + k] == OP_RETURN:
            data = True
    vbuf[:n_out].sort()
    n_rep, m, d, n_single = _value_stats(vbuf, n_out)
    if n_rep == 0:
        return CJ_NONE, known
    h = tx_height[t]
    # ---------------------------------------------------------------- Whirlpool
    if h >= gates[2] and 5 <= n_in <= 10 and n_in == n_out and m == n_out and known \
            and _contains(pools, d):
        ok = True
        for k in range(n_out):
            if out_type[o0 + k] != P2WPKH:
                ok = False
        for k in range(k0, k0 + n_in):
            v = in_value[k]
            if in_type[k] != P2WPKH or v < d or v - d > WHIRLPOOL_TOLERANCE:
                ok = False
        if ok:
            return CJ_WHIRLPOOL, known
    # ---------------------------------------------------------------- Wasabi 2
    if h >= gates[3] and n_in >= 15 and known:
        ok = True
        prev = np.int64(-1)
        for k in range(k0, k0 + n_in):
            ty = in_type[k]
            if ty != P2WPKH and ty != P2TR:
                ok = False
                break
            v = in_value[k]
            if prev >= 0 and v > prev:
                ok = False
                break
            prev = v
        if ok:
            std = 0
            for k in range(n_out):
                v = out_value[o0 + k]
                if k > 0 and v > out_value[o0 + k - 1]:
                    ok = False
                    break
                if _contains(denoms, v):
                    std += 1
            if ok and std * 10 > 8 * n_out:
                return CJ_WASABI2, known
    # ---------------------------------------------------------------- Wasabi 1
    if h >= gates[0]:
        if h < gates[1]:
            pays = False
            for k in range(n_out):
                a = out_address[o0 + k]
                if a >= 0:
                    for c in range(coord_ids.shape[0]):
                        if coord_ids[c] == a:
                            pays = True
            if pays and m >= 3:
                return CJ_WASABI1, known
        elif known and m >= WASABI1_MIN_EQUAL and abs(d - WASABI1_BASE) <= WASABI1_PRECISION \
                and n_in >= m and n_single >= 2:
            ok = True
            for k in range(n_out):
                if not _native_segwit(out_type[o0 + k]):
                    ok = False
            for k in range(k0, k0 + n_in):
                if not _native_segwit(in_type[k]):
                    ok = False
            if ok:
                return CJ_WASABI1, known
    # ---------------------------------------------------------------- JoinMarket
    if data:
        return CJ_NONE, known
    if n_rep == 1 and m >= JOINMARKET_MIN_EQUAL and (n_out - m == m or n_out - m == m - 1) and n_in >= m:
        n_addr = 0
        for k in range(n_out):
            a = out_address[o0 + k]
            if a >= 0:
                abuf[n_addr] = a
                n_addr += 1
        if _count_distinct(abuf, n_addr) >= m:
            n_unknown = 0
            n_addr = 0
            max_in = np.int64(0)
            for k in range(k0, k0 + n_in):
                if in_addr[k] < 0:
                    n_unknown += 1
                else:
                    abuf[n_addr] = in_addr[k]
                    n_addr += 1
                if in_value[k] > max_in:
                    max_in = in_value[k]
            if _count_distinct(abuf, n_addr) + n_unknown >= m:
                max_other = np.int64(0)
                for k in range(n_out):
                    v = out_value[o0 + k]
                    if v != d and v > max_other:
                        max_other = v
                if not known or max_in <= d + max_other - JOINMARKET_MARGIN:
                    return CJ_JOINMARKET, known
    # ---------------------------------------------------------------- generic (BlockSci's rule, tightened)
    if n_in >= 2 and n_out >= 3:
        k_half = (n_out + 1) // 2
        if m == k_half and m >= GENERIC_MIN_EQUAL and k_half <= n_in and d != 546 and d != 2730:
            n_unknown = 0
            n_addr = 0
            for k in range(k0, k0 + n_in):
                if in_addr[k] < 0:
                    n_unknown += 1
                else:
                    abuf[n_addr] = in_addr[k]
                    n_addr += 1
            if _count_distinct(abuf, n_addr) + n_unknown >= k_half:
                # the equal outputs: one script type (participants of a join use the same
                # kind of wallet; a batch paying equal amounts pays whatever each payee uses)
                # and as many addresses as outputs; the other outputs: changes, never round
                ty = -1
                one_type = True
                n_addr = 0
                for o in range(o0, o0 + n_out):
                    if out_value[o] != d and out_value[o] % GENERIC_ROUND == 0:
                        one_type = False  # a round "change" is a payment: a batch, not a join
                    if out_value[o] == d:
                        if ty < 0:
                            ty = out_type[o]
                        elif out_type[o] != ty:
                            one_type = False
                        if out_address[o] >= 0:
                            abuf[n_addr] = out_address[o]
                            n_addr += 1
                if one_type and _count_distinct(abuf, n_addr) == m:
                    return CJ_GENERIC, known
    return CJ_NONE, known


@njit(cache=True, nogil=True)
def _detect_range(t0, t1, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, tx_flags,
                  out_value, out_type, out_address, out_tx, in_spent, in_base, in_addr, in_value,
                  in_type, denoms, pools, coord_ids, gates, codes, known):
    max_n = 1
    for t in range(t0, t1):
        max_n = max(max_n, tx_n_out[t], tx_n_in[t])
    vbuf = np.empty(max_n, np.int64)
    abuf = np.empty(max_n, np.int64)
    for t in range(t0, t1):
        c, k = classify_tx(t, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, tx_flags,
                           out_value, out_type, out_address, in_spent, in_base, in_addr, in_value,
                           in_type, denoms, pools, coord_ids, gates, codes, out_tx, vbuf, abuf)
        codes[t] = c
        known[t] = k


@njit(cache=True, nogil=True)
def _clear_wasabi_children(t0, t1, tx_first_in, tx_n_in, in_spent, out_tx, codes):
    """JoinMarket verdicts of txs spending a Wasabi CoinJoin's outputs are taken back."""
    for t in range(t0, t1):
        if codes[t] != CJ_JOINMARKET:
            continue
        for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            o = in_spent[i]
            if o >= 0:
                c = codes[out_tx[o]]
                if c == CJ_WASABI1 or c == CJ_WASABI2:
                    codes[t] = CJ_NONE
                    break


@njit(cache=True, nogil=True, parallel=True)
def detect_kernel(t0, t1, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, tx_flags,
                  out_value, out_type, out_address, out_tx, in_spent, in_base, in_addr, in_value,
                  in_type, denoms, pools, coord_ids, gates, codes, known):
    """Fill codes[t] and known[t] for t in [t0, t1): chunks in parallel, then the JoinMarket
    verdicts of txs spending Wasabi outputs are taken back in chain order."""
    chunk = 65536
    n_chunks = (t1 - t0 + chunk - 1) // chunk
    for c in prange(n_chunks):
        a = t0 + c * chunk
        b = min(t1, a + chunk)
        _detect_range(a, b, tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_height, tx_flags,
                      out_value, out_type, out_address, out_tx, in_spent, in_base, in_addr, in_value,
                      in_type, denoms, pools, coord_ids, gates, codes, known)
    _clear_wasabi_children(t0, t1, tx_first_in, tx_n_in, in_spent, out_tx, codes)
