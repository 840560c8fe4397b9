"""How far newly listed items' value can reach, as one numba sweep over the
store's arrays: the least number of transactions a trace would cross
between a transaction and a new item's output, for every transaction
within the rules' hop limit. Forward from the items' coins (to the
transactions that spend them, then to those spending their unattributed
outputs: a backward trace from a deposit in such a transaction can meet the
item), or backward (to the transactions that created them, then to those
whose unattributed outputs those spent: a forward trace from a spend can).

It follows the trace engine's stopping rules, so that what it does not
reach no trace can: a transaction with an unresolved input or a negative
fee is never crossed, nor one costing more work than the whole budget, and
an attributed output other than the start stops the flow. The plain twin
is ``reach.levels_reference``."""

from __future__ import annotations

import numpy as np
from numba import njit

UNREACHED = np.int8(127)


@njit(cache=True, nogil=True)
def _crossable(t, budget, tx_first_in, tx_n_in, tx_n_out, tx_fee, in_spent):
    """Whether a trace can cross transaction t (inputs known, fee known, within the budget)."""
    if tx_fee[t] < 0 or tx_n_in[t] + tx_n_out[t] >= budget:
        return False
    fi = tx_first_in[t]
    for k in range(tx_n_in[t]):
        if in_spent[fi + k] < 0:
            return False
    return True


@njit(cache=True, nogil=True)
def sweep_levels(seeds, to_spenders, max_hops, budget, tx_first_in, tx_n_in, tx_first_out,
                 tx_n_out, tx_fee, out_tx, out_address, out_spent_by, in_tx, in_spent, addr_attr):
    """Per transaction: the least hop (1..max_hops) at which a trace started in it meets one of
    the seed outputs, UNREACHED (127) otherwise. to_spenders: from the seeds to the
    transactions spending them (backward traces of deposits); else to those creating them
    (forward traces of spends). addr_attr: per address id, attributed (a trace stops there)."""
    n_tx = tx_n_in.shape[0]
    level = np.full(n_tx, UNREACHED, np.int8)
    blocked = np.zeros(n_tx, np.bool_)
    checked = np.zeros(n_tx, np.bool_)
    frontier = np.empty(max(seeds.shape[0], 16), np.int64)
    n_f = 0
    for q in range(seeds.shape[0]):
        o = seeds[q]
        if to_spenders:
            sb = out_spent_by[o]
            if sb < 0:
                continue
            t = in_tx[sb]
        else:
            t = out_tx[o]
        if not checked[t]:
            checked[t] = True
            blocked[t] = not _crossable(t, budget, tx_first_in, tx_n_in, tx_n_out, tx_fee, in_spent)
        if blocked[t] or level[t] <= 1:
            continue
        level[t] = 1
        frontier[n_f] = t
        n_f += 1
    hop = 1
    while hop < max_hops and n_f > 0:
        nxt = np.empty(max(16, 2 * n_f), np.int64)
        n_n = 0
        for z in range(n_f):
            t = frontier[z]
            if to_spenders:
                lo, n = tx_first_out[t], tx_n_out[t]
            else:
                lo, n = tx_first_in[t], tx_n_in[t]
            for k in range(n):
                if to_spenders:
                    o = lo + k
                else:
                    o = in_spent[lo + k]
                a = out_address[o]
                if a >= 0 and addr_attr[a]:
                    continue  # a trace stops at an attributed output
                if to_spenders:
                    sb = out_spent_by[o]
                    if sb < 0:
                        continue
                    u = in_tx[sb]
                else:
                    u = out_tx[o]
                if level[u] <= hop + 1:
                    continue
                if not checked[u]:
                    checked[u] = True
                    blocked[u] = not _crossable(u, budget, tx_first_in, tx_n_in, tx_n_out, tx_fee,
                                                in_spent)
                if blocked[u]:
                    continue
                level[u] = hop + 1
                if n_n == nxt.shape[0]:
                    bigger = np.empty(2 * n_n, np.int64)
                    bigger[:n_n] = nxt[:n_n]
                    nxt = bigger
                nxt[n_n] = u
                n_n += 1
        frontier, n_f = nxt, n_n
        hop += 1
    return level
