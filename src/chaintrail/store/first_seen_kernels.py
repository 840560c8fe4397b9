"""First occurrences of strings, by their two 64-bit hashes: which outputs
show an address for the first time. One pass over an open-addressing table
of positions (4 bytes a slot), in output order; pure-Python twin below."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def first_occurrences(ha: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """mask[i] is True where (ha[i], hb[i]) appears for the first time (n < 2**31)."""
    n = ha.shape[0]
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    mask = np.uint64((1 << bits) - 1)
    table = np.full(1 << bits, -1, np.int32)
    first = np.zeros(n, np.bool_)
    for i in range(n):
        s = ha[i] & mask
        while True:
            p = table[s]
            if p < 0:
                table[s] = i
                first[i] = True
                break
            if ha[p] == ha[i] and hb[p] == hb[i]:
                break
            s = (s + np.uint64(1)) & mask
    return first


def first_occurrences_reference(ha, hb) -> list[bool]:
    """The same in plain Python."""
    seen: set[tuple[int, int]] = set()
    out = []
    for a, b in zip(ha, hb):
        key = (int(a), int(b))
        out.append(key not in seen)
        seen.add(key)
    return out
