"""The change-link schedule in one linear pass (two pointers over the
monotone heights) instead of a binary search per transaction. Pure-Python
twin: ``schedule.due_reference``."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def schedule_kernel(tx_height, horizon, hmax, due):
    """hmax[t]: running maximum of the heights up to t; due[t]: the first tx whose hmax is above
    hmax[t] + horizon (len(tx_height) if none)."""
    n = tx_height.shape[0]
    m = -(1 << 62)
    for t in range(n):
        h = tx_height[t]
        if h > m:
            m = h
        hmax[t] = m
    j = 0
    for t in range(n):
        limit = hmax[t] + horizon
        if j < t:
            j = t
        while j < n and hmax[j] <= limit:
            j += 1
        due[t] = j
