"""The propagation kernel's output, named, and the terminal records read
from it: one row per place a piece of the flow stopped (kind, output, tx,
amount, hop, entity), the raw material of every trace figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.trace import flow_codes as FK
from chaintrail.trace.policies import BACKWARD

#: terminal kind codes beyond the fates: flow back into the starting set, and fees
K_RETURNED = 100
K_FEE = 101
TERMINAL_FATES = (FK.F_UNSPENT, FK.F_STOP, FK.F_FLOOR, FK.F_HOPLIMIT, FK.F_BUDGET, FK.F_UNKNOWN,
                  FK.F_COINBASE)
KIND_NAMES = {FK.F_UNSPENT: "unspent", FK.F_STOP: "entity", FK.F_FLOOR: "below_min_value",
              FK.F_HOPLIMIT: "hop_limit", FK.F_BUDGET: "budget", FK.F_UNKNOWN: "unknown_inputs",
              FK.F_COINBASE: "coinbase", K_RETURNED: "returned", K_FEE: "fee"}


@dataclass
class Raw:
    """Slots (one per output reached), their pieces, and the edges of one propagation."""

    output: np.ndarray
    amount: np.ndarray
    returned: np.ndarray
    hop: np.ndarray
    fate: np.ndarray
    start: np.ndarray  # bool
    entity: np.ndarray
    limited: np.ndarray
    piece_first: np.ndarray
    piece_count: np.ndarray
    piece_start: np.ndarray
    piece_len: np.ndarray
    piece_hop: np.ndarray
    e_src: np.ndarray
    e_dst: np.ndarray
    e_tx: np.ndarray
    e_amount: np.ndarray
    e_hop: np.ndarray
    work: int
    exhausted: bool
    n_txs: int
    backward: bool

    @classmethod
    def of(cls, r: tuple, direction: int) -> Raw:
        """Name the kernel's tuple."""
        return cls(r[0], r[1], r[2], r[3], r[4], (r[5] & FK.FLAG_START) != 0, r[6], r[7], r[8],
                   r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], int(r[18]),
                   bool(r[19]), int(r[20]), direction == BACKWARD)


    @classmethod
    def from_reference(cls, slots: dict, edges: list, work: int, exhausted: bool, n_txs: int,
                       direction: int) -> Raw:
        """The same arrays from the plain-Python twin's output (``flow_reference.propagate``)."""
        sl = list(slots.values())
        n = len(sl)
        count = np.array([len(x.pieces) for x in sl], np.int64)
        first = np.zeros(n, np.int64)
        if n:
            first[1:] = np.cumsum(count)[:-1]
        pieces = [p for x in sl for p in x.pieces]
        col = lambda k, dt: np.array([p[k] for p in pieces], dt)  # noqa: E731
        e = list(zip(*edges)) if edges else [(), (), (), (), ()]
        return cls(
            np.array([x.output for x in sl], np.int64), np.array([x.amount for x in sl], np.int64),
            np.array([x.returned for x in sl], np.int64), np.array([x.hop for x in sl], np.int32),
            np.array([x.fate for x in sl], np.int8), np.array([x.start for x in sl], np.bool_),
            np.array([x.entity for x in sl], np.int32), np.array([x.limited for x in sl], np.int64),
            first, count, col(0, np.int64), col(1, np.int64), col(2, np.int32),
            np.array(e[0], np.int64), np.array(e[1], np.int64), np.array(e[2], np.int64),
            np.array(e[3], np.int64), np.array(e[4], np.int32),
            int(work), bool(exhausted), int(n_txs), direction == BACKWARD)


def _expand(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(piece index, owner row) of the pieces of the given slots."""
    count = count.astype(np.int64)
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    owner = np.repeat(np.arange(count.size), count)
    offs = np.repeat(first.astype(np.int64) - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    return np.arange(total, dtype=np.int64) + offs, owner


def terminal_records(raw: Raw, max_hops: int) -> dict[str, np.ndarray]:
    """Where every piece stopped: kind, output (-1 for fees), tx (fees and returns), amount, hop,
    entity code (-1 unattributed). Flow back into the starting set is read off the edges that
    carried it, so it keeps its hop."""
    term = np.nonzero(np.isin(raw.fate, TERMINAL_FATES))[0]
    idx, owner = _expand(raw.piece_first[term], raw.piece_count[term])
    slot = term[owner]
    lim = np.nonzero(raw.limited > 0)[0]
    fee = np.nonzero(raw.e_dst == FK.FEE)[0]
    ret_side = raw.e_src if raw.backward else raw.e_dst  # edges into the starting set
    ret = np.nonzero(np.isin(ret_side, raw.output[raw.start]))[0] if raw.returned.any() \
        else np.zeros(0, np.int64)
    n_f, n_r = fee.size, ret.size
    ent_of_ret = np.full(n_r, -1, np.int64)
    if n_r:
        order = np.argsort(raw.output, kind="stable")
        pos = order[np.searchsorted(raw.output, ret_side[ret], sorter=order)]
        ent_of_ret = raw.entity[pos].astype(np.int64)
    return {
        "kind": np.concatenate([raw.fate[slot].astype(np.int64), np.full(lim.size, FK.F_HOPLIMIT),
                                np.full(n_r, K_RETURNED), np.full(n_f, K_FEE)]),
        "output": np.concatenate([raw.output[slot], raw.output[lim], ret_side[ret],
                                  np.full(n_f, -1)]).astype(np.int64),
        "tx": np.concatenate([np.full(slot.size + lim.size, -1), raw.e_tx[ret],
                              raw.e_tx[fee]]).astype(np.int64),
        "amount": np.concatenate([raw.piece_len[idx], raw.limited[lim], raw.e_amount[ret],
                                  raw.e_amount[fee]]).astype(np.int64),
        "hop": np.concatenate([raw.piece_hop[idx], np.full(lim.size, max_hops), raw.e_hop[ret],
                               raw.e_hop[fee]]).astype(np.int64),
        "entity": np.concatenate([raw.entity[slot], raw.entity[lim], ent_of_ret,
                                  np.full(n_f, -1)]).astype(np.int64),
    }
