"""The outputs of each address, as one CSR pair (ao_start, ao_ids): a
counting sort of the output ids by address id, in one pass to count and one
to place, so it takes linear time and no sort's temporaries. Pure-Python
(NumPy) twin below."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def address_outputs(out_address: np.ndarray, n_addr: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, ids): the outputs of address a are ids[start[a]:start[a + 1]], in id order
    (out_address[o] < 0: output o has no address)."""
    start = np.zeros(n_addr + 1, np.int64)
    for o in range(out_address.shape[0]):
        a = out_address[o]
        if a >= 0:
            start[a + 1] += 1
    for a in range(n_addr):
        start[a + 1] += start[a]
    cursor = start[:n_addr].copy()
    ids = np.empty(start[n_addr], np.int64)
    for o in range(out_address.shape[0]):
        a = out_address[o]
        if a >= 0:
            ids[cursor[a]] = o
            cursor[a] += 1
    return start, ids


def address_outputs_reference(out_address: np.ndarray, n_addr: int) -> tuple[np.ndarray, np.ndarray]:
    """The same with a stable sort."""
    has = np.nonzero(out_address >= 0)[0]
    order = has[np.argsort(out_address[has], kind="stable")]
    counts = np.bincount(out_address[has], minlength=n_addr) if len(has) else np.zeros(n_addr, np.int64)
    start = np.zeros(n_addr + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    return start, order.astype(np.int64)
