"""Hex encoding of hashes in display order (reversed bytes), straight into
an Arrow string buffer. Pure-Python twin: ``bytes[::-1].hex()``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

_DIGITS = np.frombuffer(b"0123456789abcdef", np.uint8)


@njit(cache=True, nogil=True)
def _hex_reversed(hashes, digits, out):
    n = hashes.shape[0]
    for i in range(n):
        base = i * 64
        for k in range(32):
            b = hashes[i, 31 - k]
            out[base + 2 * k] = digits[b >> 4]
            out[base + 2 * k + 1] = digits[b & 15]


def display_hex_array(hashes: np.ndarray) -> pa.StringArray:
    """uint8[n, 32] hashes in internal order -> Arrow strings as explorers print them."""
    n = hashes.shape[0]
    data = np.empty(n * 64, np.uint8)
    if n:
        _hex_reversed(np.ascontiguousarray(hashes), _DIGITS, data)
    offsets = np.arange(0, (n + 1) * 64, 64, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def take_rows(arr: pa.StringArray, index: np.ndarray) -> pa.Array:
    """Gather rows of a fixed-width (64-char) string array, as a new string array."""
    n = len(index)
    data = np.frombuffer(arr.buffers()[2], np.uint8)[: len(arr) * 64].reshape(-1, 64)
    rows = data[index].reshape(-1)
    offsets = np.arange(0, (n + 1) * 64, 64, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(rows))
