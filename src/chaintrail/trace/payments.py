"""An organisation's payments, read off the chain: incoming payments (a
transaction paying its addresses, none of whose inputs are its own) and
outgoing payments (each output to someone else of a transaction spending
its coins). Change and consolidations are the organisation's own moves
and are left out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.chain import Chain
from chaintrail.trace.start import outputs_of_addresses


@dataclass
class Payments:
    """Incoming payments (tx, the outputs paying the organisation) and outgoing ones (one output each)."""

    in_tx: np.ndarray  # tx id per incoming payment
    in_start: np.ndarray  # in_outputs[in_start[k]:in_start[k+1]] are payment k's outputs
    in_outputs: np.ndarray
    in_value: np.ndarray
    out_tx: np.ndarray  # tx id per outgoing payment
    out_output: np.ndarray  # the output paid
    out_value: np.ndarray
    own_in_txs: int  # incoming transactions funded by the organisation itself (left out)


def _ranges(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Concatenation of arange(first[k], first[k] + count[k])."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offs = np.repeat(first - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    return np.arange(total, dtype=np.int64) + offs


def find_payments(chain: Chain, address_ids: np.ndarray, self_ids: np.ndarray | None = None) -> Payments:
    """The incoming and outgoing payments of a set of addresses. `self_ids` (default: the same
    addresses) are the organisation's own addresses, e.g. their clusters: a transaction funded
    by any of them is the organisation's own move, and an output to one is not a payment."""
    a = chain._arrays
    mine_addr = np.unique(np.asarray(address_ids, np.int64))
    own = mine_addr if self_ids is None else np.unique(np.concatenate(
        [mine_addr, np.asarray(self_ids, np.int64)]))
    outs = outputs_of_addresses(chain, mine_addr)
    txs = np.asarray(a.out_tx[outs]).astype(np.int64)
    # incoming: transactions paying us whose inputs are none of ours
    utx = np.unique(txs)
    n_in = np.asarray(a.tx_n_in[utx]).astype(np.int64)
    ins = _ranges(np.asarray(a.tx_first_in[utx]).astype(np.int64), n_in)
    src = np.asarray(a.in_spent[ins]).astype(np.int64)
    src_addr = np.where(src >= 0, np.asarray(a.out_address[np.maximum(src, 0)]), -1)
    mine = np.isin(src_addr, own)
    owner_tx = np.repeat(np.arange(utx.size), n_in)
    self_funded = np.zeros(utx.size, bool)
    self_funded[owner_tx[mine]] = True
    keep_tx = utx[~self_funded]
    sel = np.isin(txs, keep_tx)
    p_out, p_tx = outs[sel], txs[sel]
    order = np.lexsort((p_out, p_tx))
    p_out, p_tx = p_out[order], p_tx[order]
    first = np.ones(p_tx.size, bool)
    first[1:] = p_tx[1:] != p_tx[:-1]
    in_tx = p_tx[first]
    in_start = np.concatenate([np.nonzero(first)[0], [p_tx.size]]).astype(np.int64)
    vals = np.asarray(a.out_value[p_out]).astype(np.int64)
    in_value = np.add.reduceat(vals, in_start[:-1]) if in_tx.size else np.zeros(0, np.int64)
    # outgoing: outputs to others of the transactions that spend our coins
    spent_by = np.asarray(a.out_spent_by[outs]).astype(np.int64)
    spenders = np.unique(np.asarray(a.in_tx[spent_by[spent_by >= 0]]).astype(np.int64))
    n_out = np.asarray(a.tx_n_out[spenders]).astype(np.int64)
    cand = _ranges(np.asarray(a.tx_first_out[spenders]).astype(np.int64), n_out)
    c_addr = np.asarray(a.out_address[cand]).astype(np.int64)
    c_val = np.asarray(a.out_value[cand]).astype(np.int64)
    pay = ~np.isin(c_addr, own) & (c_val > 0)
    o_out = cand[pay]
    return Payments(in_tx, in_start, p_out, in_value,
                    np.asarray(a.out_tx[o_out]).astype(np.int64), o_out, c_val[pay],
                    int(self_funded.sum()))
