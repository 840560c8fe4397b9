"""Change heuristics (methods.md section 1.2) as one numba kernel over the
store's analysis arrays. Pure-Python twin: ``change_reference``.

Each heuristic looks at one transaction t and either has no opinion on it
or names the outputs that may be its change (its candidates). Only outputs
with an address can be candidates, and only eligible transactions are
looked at (non-coinbase, not a CoinJoin, two or more outputs with an
address). A ``--change`` expression is compiled to a lookup table
(``change.compile_program``) from the heuristics' opinion bits on a
transaction and candidate bits of an output to the expression's verdict;
t gets a change output where exactly one candidate is left.

Heuristics that look at later spends (locktime, version, RBF, peel chain)
see a spend only if the spending transaction's id is below ``limit[t]``:
clustering decides a transaction's change once, a fixed number of blocks
after it, so the answer never changes as the chain grows.

Leaves (codes of ``heuristics.codes``):
  fresh-address   candidates: outputs that are the first ever to pay their
                  address; a transaction paying one of its input addresses: none
  optimal-change  outputs below the smallest input (all inputs known)
  address-type    outputs of the inputs' one script type (all known, one type)
  power-of-ten:d  outputs not a multiple of 10^d sat (some output is one)
  locktime        unspent outputs and outputs spent by a tx whose locktime > 0
                  agrees with t's (some output's spender is known);
  version, rbf    the same with the version, and with RBF signalling
  peel-chain      t has 1 input and 2 outputs and so has its parent or a known
                  child: outputs unspent or spent by such a transaction
  address-reuse   outputs paying one of t's input addresses (if any does)
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from chaintrail.cluster.prefetch import prefetch
from chaintrail.heuristics.codes import (
    H_FRESH,
    H_LOCKTIME,
    H_OPTIMAL,
    H_PEEL,
    H_POW10,
    H_RBF,
    H_REUSE,
    H_TYPE,
    H_VERSION,
)

SEQ_NO_RBF = np.uint32(0xFFFFFFFE)
FEAT_LOCKTIME = 1
FEAT_RBF = 2
FEAT_PEEL = 4
FEAT_VERSION_SHIFT = 8
VERSION_BIAS = 1 << 31  # versions are signed 32-bit
#: how many transactions ahead the kernel prefetches the fingerprints of the spenders it reads
AHEAD = 16



@njit(cache=True, nogil=True)
def eligible_kernel(t0, t1, tx_n_out, tx_first_out, tx_flags, out_address, coinjoin, max_outputs, out):
    """out[t]: t is non-coinbase, not a CoinJoin and has at least two outputs with an address
    (and at most max_outputs outputs)."""
    for t in range(t0, t1):
        if (tx_flags[t] & 1) != 0 or coinjoin[t] != 0 or tx_n_out[t] < 2 or tx_n_out[t] > max_outputs:
            out[t] = False
            continue
        o0 = tx_first_out[t]
        k = 0
        for o in range(o0, o0 + tx_n_out[t]):
            if out_address[o] >= 0:
                k += 1
        out[t] = k >= 2


@njit(cache=True, nogil=True, parallel=True)
def feature_kernel(tx_locktime, tx_version, tx_first_in, tx_n_in, tx_n_out, in_sequence, out):
    """out[t]: FEAT_LOCKTIME (locktime > 0) | FEAT_RBF (an input's sequence is below
    0xfffffffe) | FEAT_PEEL (1 input, 2 outputs) | the version in the bits above FEAT_VERSION_SHIFT
    (one word per spending tx: a single memory access for every fingerprint)."""
    for t in prange(tx_n_in.shape[0]):
        f = (np.int64(tx_version[t]) + VERSION_BIAS) << FEAT_VERSION_SHIFT
        if tx_locktime[t] > 0:
            f |= FEAT_LOCKTIME
        for i in range(tx_first_in[t], tx_first_in[t] + tx_n_in[t]):
            if in_sequence[i] < SEQ_NO_RBF:
                f |= FEAT_RBF
                break
        if tx_n_in[t] == 1 and tx_n_out[t] == 2:
            f |= FEAT_PEEL
        out[t] = f


@njit(cache=True, nogil=True)
def first_output_kernel(ao_start, ao_ids, out):
    """out[o]: output o is the first output ever paying its address."""
    for a in range(ao_start.shape[0] - 1):
        if ao_start[a + 1] > ao_start[a]:
            out[ao_ids[ao_start[a]]] = True


@njit(cache=True, nogil=True, inline="always")
def _pays_input(a, in_addr, k0, n_in):
    """Whether address a is one of the transaction's input addresses."""
    for k in range(k0, k0 + n_in):
        if in_addr[k] == a:
            return True
    return False


@njit(cache=True, nogil=True)
def _decide_range(t0, t1, base, elig, leaf_code, leaf_unit, table, tx_first_in, tx_n_in,
                  tx_first_out, tx_n_out, tx_feat, in_base, in_addr, in_value, in_type,
                  in_spent, out_value, out_type, out_address, out_tx, spender, first_out, limit,
                  change, support):
    """change/support of txs [t0, t1) (written at t - base, see change_kernel). One flat loop:
    helpers taking arrays cost a call per transaction."""
    n_leaf = leaf_code.shape[0]
    # the peel-chain facts cost two random reads per peel-shaped tx: only when a leaf asks
    need_peel = False
    for k in range(n_leaf):
        if leaf_code[k] == H_PEEL:
            need_peel = True
    for t in range(t0, t1):
        v = t + AHEAD  # the spenders' fingerprints tx v will read: random reads, started early
        if v < t1 and elig[v]:
            for o in range(tx_first_out[v], tx_first_out[v] + tx_n_out[v]):
                if spender[o] >= 0:
                    prefetch(tx_feat, spender[o])
        change[t - base] = -1
        support[t - base] = 0
        if not elig[t]:
            continue
        lim = limit[t]
        i0 = tx_first_in[t]
        n_in = tx_n_in[t]
        o0 = tx_first_out[t]
        n_out = tx_n_out[t]
        # --- facts of the transaction shared by the leaves
        k0 = i0 - in_base
        known = True
        lo = np.int64(-1)
        ty = -1
        one_type = True
        for k in range(k0, k0 + n_in):
            v = in_value[k]
            if v < 0:
                known = False
                break
            if lo < 0 or v < lo:
                lo = v
            if ty < 0:
                ty = in_type[k]
            elif in_type[k] != ty:
                one_type = False
        self_change = False
        any_spent = False
        for o in range(o0, o0 + n_out):
            a = out_address[o]
            if a < 0:
                continue
            if _pays_input(a, in_addr, k0, n_in):
                self_change = True
            s = spender[o]
            if s >= 0 and s < lim:
                any_spent = True
        peel = False
        if need_peel and (tx_feat[t] & FEAT_PEEL) != 0:
            p = in_spent[i0]
            peel = p >= 0 and (tx_feat[out_tx[p]] & FEAT_PEEL) != 0
            if not peel:
                for o in range(o0, o0 + 2):
                    s = spender[o]
                    if s >= 0 and s < lim and (tx_feat[s] & FEAT_PEEL) != 0:
                        peel = True
        feat_t = tx_feat[t]
        # --- opinion of each leaf
        opinion_bits = 0
        for k in range(n_leaf):
            c = leaf_code[k]
            has = False
            if c == H_FRESH:
                has = True
            elif c == H_OPTIMAL:
                has = known
            elif c == H_TYPE:
                has = known and one_type and ty >= 0
            elif c == H_POW10:
                for o in range(o0, o0 + n_out):
                    if out_address[o] >= 0 and out_value[o] % leaf_unit[k] == 0:
                        has = True
                        break
            elif c == H_LOCKTIME or c == H_VERSION or c == H_RBF:
                has = any_spent
            elif c == H_PEEL:
                has = peel
            elif c == H_REUSE:
                has = self_change
            if has:
                opinion_bits |= 1 << k
        row = opinion_bits << n_leaf
        if (table[row] & 2) == 0:  # no opinion overall
            continue
        # --- candidates, output by output
        found = -1
        found_bits = 0
        n = 0
        for o in range(o0, o0 + n_out):
            a = out_address[o]
            if a < 0:
                continue
            s = -2  # spender not looked up yet
            bits = 0
            for k in range(n_leaf):
                if ((opinion_bits >> k) & 1) == 0:
                    continue
                c = leaf_code[k]
                ok = False
                if c == H_FRESH:
                    ok = (not self_change) and first_out[o]
                elif c == H_OPTIMAL:
                    ok = out_value[o] < lo
                elif c == H_TYPE:
                    ok = out_type[o] == ty
                elif c == H_POW10:
                    ok = out_value[o] % leaf_unit[k] != 0
                elif c == H_REUSE:
                    ok = _pays_input(a, in_addr, k0, n_in)
                else:
                    if s == -2:
                        s = spender[o]
                        if s >= lim:
                            s = -1
                    if s < 0:
                        ok = True
                    elif c == H_LOCKTIME:
                        ok = (tx_feat[s] & FEAT_LOCKTIME) == (feat_t & FEAT_LOCKTIME)
                    elif c == H_VERSION:
                        ok = (tx_feat[s] >> FEAT_VERSION_SHIFT) == (feat_t >> FEAT_VERSION_SHIFT)
                    elif c == H_RBF:
                        ok = (tx_feat[s] & FEAT_RBF) == (feat_t & FEAT_RBF)
                    else:  # H_PEEL
                        ok = (tx_feat[s] & FEAT_PEEL) != 0
                if ok:
                    bits |= 1 << k
            if table[row | bits] & 1:
                n += 1
                found = o
                found_bits = bits
        if n == 1:
            change[t - base] = found
            code_bits = 0
            for k in range(n_leaf):
                if (found_bits >> k) & 1 and (opinion_bits >> k) & 1:
                    code_bits |= 1 << leaf_code[k]
            support[t - base] = code_bits


@njit(cache=True, nogil=True, parallel=True)
def change_kernel(t0, t1, elig, leaf_code, leaf_unit, table, tx_first_in, tx_n_in,
                  tx_first_out, tx_n_out, tx_feat, in_base, in_addr, in_value, in_type,
                  in_spent, out_value, out_type, out_address, out_tx, spender, first_out, limit,
                  change, support):
    """change[t - t0]: the unique change output of t in [t0, t1) (or -1); support[t - t0]: the
    bits (bit = heuristic code) of the leaves that had an opinion and counted it a candidate.
    Chunks of transactions run in parallel."""
    chunk = 65536
    n_chunks = (t1 - t0 + chunk - 1) // chunk
    for c in prange(n_chunks):
        a = t0 + c * chunk
        b = min(t1, a + chunk)
        _decide_range(a, b, t0, elig, leaf_code, leaf_unit, table, tx_first_in, tx_n_in,
                      tx_first_out, tx_n_out, tx_feat, in_base, in_addr, in_value,
                      in_type, in_spent, out_value, out_type, out_address, out_tx, spender,
                      first_out, limit, change, support)
