"""First occurrences of strings, by their two 64-bit hashes: which outputs
show an address for the first time. One pass over an open-addressing table
of positions (4 bytes a slot), in output order; pure-Python twins below."""

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



@njit(cache=True, nogil=True)
def number_strings(slots, keys_a, keys_b, count, ha, hb, valid, number, first) -> int:
    """Number the valid (ha[i], hb[i]) in order of first appearance, continuing a numbering of
    `count` pairs (kept in keys_a/keys_b, found through the open-addressing `slots`, -1 empty):
    number[i] is the pair's number (-1 where not valid), first[i] whether it is new here.
    The caller keeps len(slots) a power of two >= 2 * (count + n) and the keys long enough;
    returns the new count."""
    mask = np.uint64(slots.shape[0] - 1)
    for i in range(ha.shape[0]):
        first[i] = False
        if not valid[i]:
            number[i] = -1
            continue
        s = ha[i] & mask
        while True:
            p = slots[s]
            if p < 0:
                slots[s] = count
                keys_a[count] = ha[i]
                keys_b[count] = hb[i]
                number[i] = count
                first[i] = True
                count += 1
                break
            if keys_a[p] == ha[i] and keys_b[p] == hb[i]:
                number[i] = p
                break
            s = (s + np.uint64(1)) & mask
    return count


@njit(cache=True, nogil=True)
def fill_slots(slots, keys_a, count) -> None:
    """Put the first `count` keys into an empty slot table (after it grew)."""
    mask = np.uint64(slots.shape[0] - 1)
    for k in range(count):
        s = keys_a[k] & mask
        while slots[s] >= 0:
            s = (s + np.uint64(1)) & mask
        slots[s] = k


def number_strings_reference(batches) -> list[tuple[list[int], list[bool]]]:
    """The numbering of several batches of (ha, hb, valid) in plain Python."""
    seen: dict[tuple[int, int], int] = {}
    out = []
    for ha, hb, valid in batches:
        number, first = [], []
        for a, b, v in zip(ha, hb, valid):
            if not v:
                number.append(-1)
                first.append(False)
                continue
            key = (int(a), int(b))
            first.append(key not in seen)
            number.append(seen.setdefault(key, len(seen)))
        out.append((number, first))
    return out
