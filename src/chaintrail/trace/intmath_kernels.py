"""Exact integer arithmetic for splitting satoshi amounts: floor(a*b/c)
without 128-bit integers, largest-remainder apportionment, and the
north-west-corner fill that makes a pairwise split meet both of its sums.

Amounts are at most 21 million BTC (< 2**51 sat), so a*b needs up to 102
bits. ``mul_divmod`` estimates the quotient in floating point (off by at
most a few units) and corrects it with the exact residual a*b - q*c,
computed modulo 2**64: the true residual is small, so the wrapped value is
the true one. Twins in plain Python: ``split_reference``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def mul_divmod(a: int, b: int, c: int) -> tuple[int, int]:
    """(floor(a*b/c), a*b mod c) for 0 <= a, b < 2**53, 0 < c < 2**61, quotient < 2**62."""
    if a == 0 or b == 0:
        return 0, 0
    q = np.int64(float(a) * float(b) / float(c))
    r = np.int64(np.uint64(a) * np.uint64(b) - np.uint64(q) * np.uint64(c))
    while r < 0:
        q -= 1
        r += c
    while r >= c:
        q += 1
        r -= c
    return q, r


@njit(cache=True, nogil=True)
def floors(total: int, weights: np.ndarray, n: int, w_sum: int, out: np.ndarray,
           rem: np.ndarray) -> int:
    """out[k], rem[k] = floor and remainder of total * weights[k] / w_sum for k < n; returns
    the floors' sum (what is left to give is total minus it)."""
    given = 0
    for k in range(n):
        q, r = mul_divmod(total, weights[k], w_sum)
        out[k] = q
        rem[k] = r
        given += q
    return given


@njit(cache=True, nogil=True)
def add_to_largest(out: np.ndarray, rem: np.ndarray, n: int, count: int,
                   order: np.ndarray) -> None:
    """One more to each of the `count` entries of out[:n] with the largest rem (ties: lower
    index first, as a stable sort of -rem takes them); order[:n] is scratch."""
    if count <= 0:
        return
    if n > 64:
        o = np.argsort(-rem[:n], kind="mergesort")
        for k in range(count):
            out[o[k]] += 1
        return
    for k in range(n):  # insertion sort, stable: the same order for the few columns of a tx
        j = k
        while j > 0 and rem[order[j - 1]] < rem[k]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = k
    for k in range(count):
        out[order[k]] += 1


@njit(cache=True, nogil=True)
def apportion(total: int, weights: np.ndarray, n: int, out: np.ndarray, rem: np.ndarray,
              order: np.ndarray) -> None:
    """Split total into out[:n] in proportion to weights[:n], exactly: floors, then one
    satoshi more to the largest remainders (ties: lower index first). rem and order (n
    each) are scratch."""
    w_sum = 0
    for k in range(n):
        w_sum += weights[k]
    if w_sum == 0 or total == 0:
        for k in range(n):
            out[k] = 0
        return
    add_to_largest(out, rem, n, total - floors(total, weights, n, w_sum, out, rem), order)


@njit(cache=True, nogil=True)
def fill_residuals(mat: np.ndarray, n_rows: int, n_cols: int, row_sum: np.ndarray,
                   col_sum: np.ndarray, rres: np.ndarray, cres: np.ndarray) -> None:
    """Raise mat[:n_rows, :n_cols] (floors of a proportional split) so that its rows sum
    to row_sum and its columns to col_sum, walking from the north-west corner. rres and
    cres (n_rows, n_cols) are scratch."""
    for i in range(n_rows):
        s = 0
        for j in range(n_cols):
            s += mat[i, j]
        rres[i] = row_sum[i] - s
    for j in range(n_cols):
        s = 0
        for i in range(n_rows):
            s += mat[i, j]
        cres[j] = col_sum[j] - s
    i = 0
    j = 0
    while i < n_rows and j < n_cols:
        if rres[i] == 0:
            i += 1
            continue
        if cres[j] == 0:
            j += 1
            continue
        x = min(rres[i], cres[j])
        mat[i, j] += x
        rres[i] -= x
        cres[j] -= x
