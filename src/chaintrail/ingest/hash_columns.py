"""Hash columns for the store: 32-byte values in display order (the reverse
of the byte order hashes have inside blocks), as Arrow fixed-size binary
arrays built without per-row Python. Pure-Python twin: ``h[::-1]``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

HASH = pa.binary(32)


def _array(display: np.ndarray) -> pa.FixedSizeBinaryArray:
    display = np.ascontiguousarray(display)
    return pa.FixedSizeBinaryArray.from_buffers(HASH, display.shape[0], [None, pa.py_buffer(display)])


def display_order(hashes: np.ndarray) -> np.ndarray:
    """uint8[n, 32] hashes in internal order -> a new array in display order."""
    return np.ascontiguousarray(hashes[:, ::-1])


def hash_array(hashes: np.ndarray) -> pa.FixedSizeBinaryArray:
    """uint8[n, 32] internal-order hashes as an Arrow column in display order."""
    return _array(display_order(hashes))


def hash_rows(display: np.ndarray, index: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Rows `index` of display-order hashes (the txid of each output or input)."""
    return _array(display[index])


@njit(cache=True, nogil=True)
def _reversed_at(buf, offsets, out):
    for i in range(offsets.shape[0]):
        o = offsets[i]
        for k in range(32):
            out[i, k] = buf[o + 31 - k]


def hashes_at(buf: np.ndarray, offsets: np.ndarray) -> pa.FixedSizeBinaryArray:
    """Hashes lying in buf at the given offsets (prevout txids), in display order."""
    out = np.empty((len(offsets), 32), np.uint8)
    if len(offsets):
        _reversed_at(buf, offsets, out)
    return _array(out)
