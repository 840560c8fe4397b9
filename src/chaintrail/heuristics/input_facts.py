"""What each input spends, gathered once into per-input arrays: the spent
output's address, value and script type (-1, -1, 255 when the spent output
is not in the store). The kernels then read inputs in order instead of
jumping to the spent outputs again and again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from chaintrail.cluster.prefetch import prefetch

UNKNOWN_TYPE = 255
#: how many inputs ahead the gather prefetches the spent output's address, value and type
AHEAD = 16


@njit(cache=True, nogil=True, parallel=True)
def gather_kernel(i0, in_spent, out_address, out_value, out_type, addr, value, ty):
    """addr/value/ty[i - i0] of the output spent by input i, for i in [i0, i0 + len(addr)).
    (Three random reads per input: the ones AHEAD inputs on are started early.)"""
    n = addr.shape[0]
    for k in prange(n):
        if k + AHEAD < n:
            q = in_spent[i0 + k + AHEAD]
            if q >= 0:
                prefetch(out_address, q)
                prefetch(out_value, q)
                prefetch(out_type, q)
        p = in_spent[i0 + k]
        if p >= 0:
            addr[k] = out_address[p]
            value[k] = out_value[p]
            ty[k] = out_type[p]
        else:
            addr[k] = -1
            value[k] = -1
            ty[k] = UNKNOWN_TYPE


@njit(cache=True, nogil=True, parallel=True)
def spender_kernel(out_spent_by, in_tx, out):
    """out[o]: the tx spending output o, or -1."""
    for o in prange(out.shape[0]):
        j = out_spent_by[o]
        out[o] = in_tx[j] if j >= 0 else -1


@dataclass
class InputFacts:
    """Per input i >= i0 (index i - i0): spent address, value, script type."""

    i0: int
    addr: np.ndarray  # int64, -1: unknown or no address
    value: np.ndarray  # int64, -1: unknown
    type: np.ndarray  # uint8, UNKNOWN_TYPE: unknown

    @classmethod
    def gather(cls, arrays, i0: int = 0) -> InputFacts:
        n = arrays.counts["inputs"] - i0
        addr = np.empty(n, np.int64)
        value = np.empty(n, np.int64)
        ty = np.empty(n, np.uint8)
        if n:
            gather_kernel(i0, arrays.in_spent, arrays.out_address, arrays.out_value, arrays.out_type,
                          addr, value, ty)
        return cls(i0, addr, value, ty)


def spender_tx(arrays) -> np.ndarray:
    """Per output: the id of the transaction spending it, -1 if unspent."""
    out = np.empty(arrays.counts["outputs"], np.int64)
    if out.size:
        spender_kernel(arrays.out_spent_by, arrays.in_tx, out)
    return out
