"""Small data structures for the propagation kernels: growable arrays, an
open-addressing hash map from int64 ids to int64 values, and a binary
min-heap of int64 keys. Each function that may grow an array returns the
(new) array; callers rebind it."""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
EMPTY = -1


@njit(cache=True, nogil=True)
def grow(a, need):
    """a, or a copy with room for at least `need` elements (doubling)."""
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0], 16), a.dtype)
    b[:a.shape[0]] = a
    return b


@njit(cache=True, nogil=True)
def _slot(key, mask):
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(20)) & mask


@njit(cache=True, nogil=True)
def map_new(capacity):
    """Keys (EMPTY = free) and values of a map with room for capacity/2 entries."""
    cap = 16
    while cap < 2 * capacity:
        cap *= 2
    return np.full(cap, EMPTY, np.int64), np.zeros(cap, np.int64)


@njit(cache=True, nogil=True)
def map_get(keys, vals, key):
    """The value of key, or -1."""
    mask = keys.shape[0] - 1
    h = _slot(key, mask)
    while True:
        k = keys[h]
        if k == key:
            return vals[h]
        if k == EMPTY:
            return -1
        h = (h + 1) & mask


@njit(cache=True, nogil=True)
def _put(keys, vals, key, val):
    mask = keys.shape[0] - 1
    h = _slot(key, mask)
    while keys[h] != EMPTY and keys[h] != key:
        h = (h + 1) & mask
    keys[h] = key
    vals[h] = val


@njit(cache=True, nogil=True)
def map_put(keys, vals, count, key, val):
    """Set key -> val (count = entries before the call, used to grow at half load);
    returns (keys, vals)."""
    if 2 * (count + 1) > keys.shape[0]:
        nk = np.full(keys.shape[0] * 2, EMPTY, np.int64)
        nv = np.zeros(keys.shape[0] * 2, np.int64)
        for h in range(keys.shape[0]):
            if keys[h] != EMPTY:
                _put(nk, nv, keys[h], vals[h])
        keys, vals = nk, nv
    _put(keys, vals, key, val)
    return keys, vals


@njit(cache=True, nogil=True)
def heap_push(heap, n, key):
    """Push key onto the min-heap heap[:n]; returns (heap, n + 1)."""
    heap = grow(heap, n + 1)
    i = n
    heap[i] = key
    while i > 0:
        p = (i - 1) >> 1
        if heap[p] <= heap[i]:
            break
        heap[p], heap[i] = heap[i], heap[p]
        i = p
    return heap, n + 1


@njit(cache=True, nogil=True)
def heap_pop(heap, n):
    """Smallest key of heap[:n] (n > 0); returns (key, n - 1)."""
    top = heap[0]
    n -= 1
    heap[0] = heap[n]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= n:
            break
        c = left
        if left + 1 < n and heap[left + 1] < heap[left]:
            c = left + 1
        if heap[i] <= heap[c]:
            break
        heap[i], heap[c] = heap[c], heap[i]
        i = c
    return top, n


@njit(cache=True, nogil=True)
def map_build(keys, vals):
    """A map of keys[i] -> vals[i] (keys distinct), sized for half load."""
    hk, hv = map_new(max(keys.shape[0], 8))
    for i in range(keys.shape[0]):
        _put(hk, hv, keys[i], vals[i])
    return hk, hv
