"""When each change link is decided: ``horizon`` blocks after its
transaction. Heights are taken as the running maximum of the chain's
heights (loose blocks of unknown height count as the highest seen before
them), so the schedule is monotone in tx_id.

A change link of transaction t is *due* just before the multi-input links
of transaction ``due[t]`` (the first transaction more than ``horizon``
blocks above t), and is *settled* once the store's highest block is at
least ``horizon`` blocks above t: then nothing the chain adds can change
it. The heuristics that look at later spends see only spends by
transactions before ``due[t]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.cluster.schedule_kernels import schedule_kernel


@dataclass
class Schedule:
    """Per-tx due index, and the boundary below which change links are settled."""

    hmax: np.ndarray  # running maximum of tx heights
    due: np.ndarray  # int64, per tx
    settled_upto: int  # txs [0, settled_upto) have settled change links
    tip: int  # highest height seen


def make_schedule(tx_height: np.ndarray, horizon: int) -> Schedule:
    """The change-link schedule of a chain whose txs have these heights."""
    n = np.asarray(tx_height).shape[0]
    if n == 0:
        return Schedule(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, -1)
    hmax = np.empty(n, np.int64)
    due = np.empty(n, np.int64)
    schedule_kernel(tx_height, np.int64(horizon), hmax, due)
    tip = int(hmax[-1])
    settled_upto = int(np.searchsorted(hmax, tip - horizon, side="right"))
    return Schedule(hmax, due, settled_upto, tip)


def due_reference(tx_height: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(hmax, due) with numpy: the twin of ``schedule_kernels.schedule_kernel``."""
    h = np.asarray(tx_height).astype(np.int64)
    hmax = np.maximum.accumulate(h) if h.size else h
    return hmax, np.searchsorted(hmax, hmax + horizon, side="right").astype(np.int64)
