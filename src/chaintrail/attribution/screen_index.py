"""A lookup structure for screening many addresses at once: the 64-bit
hashes of every listed or tagged address in an open-addressing hash set.
Membership of a batch is one parallel probe per address; the few
candidates it finds are then verified by comparing the addresses."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

EMPTY = np.uint64(0)  # a free slot; a real hash of 0 is remembered apart


@njit(cache=True)
def _build(keys: np.ndarray, table: np.ndarray) -> None:
    mask = table.size - 1
    for k in keys:
        if k == EMPTY:
            continue
        s = k & mask
        while table[s] != EMPTY and table[s] != k:
            s = (s + 1) & mask
        table[s] = k


@njit(cache=True, parallel=True)
def _probe(table: np.ndarray, q: np.ndarray, has_zero: bool) -> np.ndarray:
    mask = table.size - 1
    out = np.zeros(q.size, np.bool_)
    for i in prange(q.size):
        k = q[i]
        if k == EMPTY:
            out[i] = has_zero
            continue
        s = k & mask
        while True:
            t = table[s]
            if t == k:
                out[i] = True
                break
            if t == EMPTY:
                break
            s = (s + 1) & mask
    return out


class ScreenIndex:
    """The hashes of the target addresses (sanctioned and tagged), as a hash set."""

    def __init__(self, hashes: np.ndarray):
        keys = np.asarray(hashes, np.uint64)
        self.has_zero = bool((keys == EMPTY).any())
        size = 1 << max(4, int(2 * max(keys.size, 1) - 1).bit_length())  # load factor <= 1/2
        self.table = np.zeros(size, np.uint64)
        _build(keys, self.table)
        self.n = int(np.count_nonzero(self.table)) + self.has_zero

    def __len__(self) -> int:
        return self.n

    def candidates(self, hashes: np.ndarray) -> np.ndarray:
        """True where a query hash equals some target hash (to be verified by address)."""
        q = np.ascontiguousarray(hashes, np.uint64)
        return _probe(self.table, q, self.has_zero)
