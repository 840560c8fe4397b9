"""Which past transactions newly listed addresses can matter to: the seeds
(every output the new items' addresses received), the attributed addresses
a trace stops at, and the hop levels of ``reach_kernels.sweep_levels``.
``levels_reference`` is the kernel's plain twin (the tests hold them
equal)."""

from __future__ import annotations

import numpy as np

from chaintrail.chain import Chain
from chaintrail.monitor.reach_kernels import UNREACHED
from chaintrail.monitor.watch import Watch
from chaintrail.trace.engine import chain_arrays


def seed_outputs(a, address_ids: np.ndarray) -> np.ndarray:
    """Every output paid to these addresses (the address -> outputs lookup), sorted."""
    addr = np.asarray(address_ids, np.int64)
    if addr.size == 0:
        return np.zeros(0, np.int64)
    start = np.asarray(a.ao_start)
    lo, n = start[addr], start[addr + 1] - start[addr]
    idx = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
    return np.sort(np.asarray(a.ao_ids)[idx].astype(np.int64))


def attributed(chain: Chain, watch: Watch) -> np.ndarray:
    """Per address id of the store: whether the watch attributes it (a trace stops there), by
    its own tag or its cluster's, as ``EntityResolver.codes`` reads them."""
    res = watch.resolver
    n = int(chain._arrays.counts["addresses"])
    out = np.zeros(n, np.bool_)
    keys = res.addr_keys[(res.addr_keys >= 0) & (res.addr_keys < n)]
    out[keys] = True
    if res.cl_keys.size:
        dense = np.asarray(res.dense)[:n]
        cl = res.cl_keys[res.cl_keys >= 0]
        tagged = np.zeros(int(max(dense.max(initial=-1), cl.max(initial=-1))) + 2, np.bool_)
        tagged[cl] = True
        out[:dense.size] |= tagged[dense]  # dense -1 (no cluster) reads the last, False
    return out


def _args(chain: Chain) -> tuple:
    (tx_first_in, tx_n_in, tx_first_out, tx_n_out, _flags, tx_fee, out_tx, _value, out_address,
     out_spent_by, in_tx, in_spent) = chain_arrays(chain)
    return (tx_first_in, tx_n_in, tx_first_out, tx_n_out, tx_fee, out_tx, out_address,
            out_spent_by, in_tx, in_spent)


def levels(chain: Chain, seeds: np.ndarray, to_spenders: bool, max_hops: int, budget: int,
           addr_attr: np.ndarray) -> np.ndarray:
    """Per transaction, the least hop at which a trace started in it meets a seed output
    (UNREACHED beyond max_hops): one compiled sweep."""
    from chaintrail.monitor.reach_kernels import sweep_levels

    return sweep_levels(np.ascontiguousarray(seeds, np.int64), bool(to_spenders), int(max_hops),
                        int(budget), *_args(chain), np.ascontiguousarray(addr_attr, np.bool_))


def levels_reference(chain: Chain, seeds: np.ndarray, to_spenders: bool, max_hops: int,
                     budget: int, addr_attr: np.ndarray) -> np.ndarray:
    """The plain twin of ``levels``: breadth-first over Python sets, hop by hop."""
    (first_in, n_in, first_out, n_out, fee, out_tx, out_address, spent_by, in_tx,
     in_spent) = (np.asarray(x).tolist() for x in _args(chain))
    attr = np.asarray(addr_attr).tolist()

    def crossable(t: int) -> bool:
        ins = in_spent[first_in[t]:first_in[t] + n_in[t]]
        return fee[t] >= 0 and n_in[t] + n_out[t] < budget and all(o >= 0 for o in ins)

    def stops(o: int) -> bool:
        return out_address[o] >= 0 and attr[out_address[o]]

    level: dict[int, int] = {}
    frontier = set()
    for o in np.asarray(seeds).tolist():
        t = (in_tx[spent_by[o]] if spent_by[o] >= 0 else None) if to_spenders else out_tx[o]
        if t is not None and crossable(t):
            frontier.add(t)
    for t in frontier:
        level[t] = 1
    for hop in range(2, max_hops + 1):
        nxt = set()
        for t in frontier:
            if to_spenders:
                outs = range(first_out[t], first_out[t] + n_out[t])
                us = [in_tx[spent_by[o]] for o in outs if not stops(o) and spent_by[o] >= 0]
            else:
                outs = in_spent[first_in[t]:first_in[t] + n_in[t]]
                us = [out_tx[o] for o in outs if not stops(o)]
            nxt.update(u for u in us if u not in level and crossable(u))
        for u in nxt:
            level[u] = hop
        frontier = nxt
    out = np.full(len(n_in), UNREACHED, np.int8)
    for t, h in level.items():
        out[t] = h
    return out
