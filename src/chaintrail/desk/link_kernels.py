"""The bounded hop search behind linking request targets to customers: a
breadth-first search over the address graph of the store's analysis arrays,
per target and direction, that records every address reached with its
parent and the transaction between them (the evidence path), and stops at
customer addresses, at the exchange's own wallets (``no_cross``), at the hop
limit, at hubs and at a work budget.

Forward (direction 0): A -> B when a transaction spends a coin of A and pays
B. Backward (direction 1): B -> A when a transaction with an input from B
pays A. Transactions outside [t_lo, t_hi] (block time) are not crossed."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _grow(arr, n):
    out = np.empty(max(n, arr.shape[0] * 2), arr.dtype)
    out[:arr.shape[0]] = arr
    return out


@njit(cache=True, nogil=True)
def hop_search(ao_start, ao_ids, out_tx, out_address, out_spent_by, in_tx, in_spent,
               tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_time,
               seed_group, seed_target, seed_dir, seed_addr, seed_tx, seed_hop,
               is_customer, no_cross, max_hops, hub_limit, budget, t_lo, t_hi, addr_stamp, tx_stamp):
    """Search from every seed group; returns records (addr, parent, tx, hop, dir), links
    (target, record) and per-group flags (work, exhausted, hubs skipped)."""
    cap = 1024
    r_addr = np.empty(cap, np.int64)
    r_parent = np.empty(cap, np.int64)
    r_tx = np.empty(cap, np.int64)
    r_hop = np.empty(cap, np.int32)
    r_dir = np.empty(cap, np.int8)
    l_target = np.empty(64, np.int64)
    l_rec = np.empty(64, np.int64)
    n_rec = 0
    n_link = 0
    n_groups = seed_group[-1] + 1 if seed_group.shape[0] else 0
    g_work = np.zeros(n_groups, np.int64)
    g_exhausted = np.zeros(n_groups, np.bool_)
    g_hubs = np.zeros(n_groups, np.int64)
    s = 0
    n_seeds = seed_group.shape[0]
    while s < n_seeds:
        g = seed_group[s]
        target = seed_target[s]
        d = seed_dir[s]
        stamp = g + 1
        start = n_rec
        # seeds of this group
        while s < n_seeds and seed_group[s] == g:
            a = seed_addr[s]
            if seed_tx[s] >= 0:
                tx_stamp[seed_tx[s]] = stamp
            if a >= 0 and addr_stamp[a] != stamp:
                addr_stamp[a] = stamp
                if n_rec == r_addr.shape[0]:
                    r_addr = _grow(r_addr, n_rec + 1)
                    r_parent = _grow(r_parent, n_rec + 1)
                    r_tx = _grow(r_tx, n_rec + 1)
                    r_hop = _grow(r_hop, n_rec + 1)
                    r_dir = _grow(r_dir, n_rec + 1)
                r_addr[n_rec] = a
                r_parent[n_rec] = -1
                r_tx[n_rec] = seed_tx[s]
                r_hop[n_rec] = seed_hop[s]
                r_dir[n_rec] = d
                if is_customer[a] and (seed_hop[s] > 0 or d == 0):
                    if n_link == l_target.shape[0]:
                        l_target = _grow(l_target, n_link + 1)
                        l_rec = _grow(l_rec, n_link + 1)
                    l_target[n_link] = target
                    l_rec[n_link] = n_rec
                    n_link += 1
                n_rec += 1
            s += 1
        head = start
        work = 0
        while head < n_rec and not g_exhausted[g]:
            r = head
            head += 1
            a = r_addr[r]
            h = r_hop[r]
            if h >= max_hops:
                continue
            if h > 0 and (is_customer[a] or no_cross[a]):
                continue  # found, or the exchange's own wallet: do not pass through it
            o_lo = ao_start[a]
            o_hi = ao_start[a + 1]
            if h > 0 and o_hi - o_lo > hub_limit:
                g_hubs[g] += 1
                continue
            for k in range(o_lo, o_hi):
                o = ao_ids[k]
                if d == 0:
                    i = out_spent_by[o]
                    if i < 0:
                        continue
                    t = in_tx[i]
                else:
                    t = out_tx[o]
                if tx_stamp[t] == stamp:
                    continue
                tx_stamp[t] = stamp
                tt = np.int64(tx_time[t])
                if tt < t_lo or tt > t_hi:
                    continue
                if d == 0:
                    j_lo = tx_first_out[t]
                    j_hi = j_lo + tx_n_out[t]
                else:
                    j_lo = tx_first_in[t]
                    j_hi = j_lo + tx_n_in[t]
                for j in range(j_lo, j_hi):
                    work += 1
                    if d == 0:
                        b = out_address[j]
                    else:
                        p = in_spent[j]
                        if p < 0:
                            continue
                        b = out_address[p]
                    if b < 0 or addr_stamp[b] == stamp:
                        continue
                    addr_stamp[b] = stamp
                    if n_rec == r_addr.shape[0]:
                        r_addr = _grow(r_addr, n_rec + 1)
                        r_parent = _grow(r_parent, n_rec + 1)
                        r_tx = _grow(r_tx, n_rec + 1)
                        r_hop = _grow(r_hop, n_rec + 1)
                        r_dir = _grow(r_dir, n_rec + 1)
                    r_addr[n_rec] = b
                    r_parent[n_rec] = r
                    r_tx[n_rec] = t
                    r_hop[n_rec] = h + 1
                    r_dir[n_rec] = d
                    if is_customer[b]:
                        if n_link == l_target.shape[0]:
                            l_target = _grow(l_target, n_link + 1)
                            l_rec = _grow(l_rec, n_link + 1)
                        l_target[n_link] = target
                        l_rec[n_link] = n_rec
                        n_link += 1
                    n_rec += 1
                if work > budget:
                    g_exhausted[g] = True
                    break
        g_work[g] = work
    return (r_addr[:n_rec], r_parent[:n_rec], r_tx[:n_rec], r_hop[:n_rec], r_dir[:n_rec],
            l_target[:n_link], l_rec[:n_link], g_work, g_exhausted, g_hubs)


@njit(cache=True, nogil=True)
def sweep_destinations(deposit_ids, ao_start, ao_ids, out_spent_by, in_tx, tx_first_out, tx_n_out,
                       out_address, n_addr):
    """Addresses paid by transactions that spend customer deposit addresses: the exchange's
    own wallets (sweeps and consolidations), which the linker must not cross."""
    mark = np.zeros(n_addr + 1, np.bool_)
    for k in range(deposit_ids.shape[0]):
        a = deposit_ids[k]
        if a < 0:
            continue
        for m in range(ao_start[a], ao_start[a + 1]):
            i = out_spent_by[ao_ids[m]]
            if i < 0:
                continue
            t = in_tx[i]
            for j in range(tx_first_out[t], tx_first_out[t] + tx_n_out[t]):
                b = out_address[j]
                if b >= 0:
                    mark[b] = True
    return mark
