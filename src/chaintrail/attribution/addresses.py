"""Validating and hashing many addresses at once: Arrow string arrays in,
NumPy arrays out, with the one-line reason of each failure taken from the
reference decoder (``chaintrail.bitcoin.address``)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chaintrail.attribution import address_kernels as K
from chaintrail.bitcoin.address import decode_address
from chaintrail.bitcoin.networks import MAINNET, NETWORKS, Network
from chaintrail.errors import AddressError

_HRPS = sorted({n.hrp for n in NETWORKS.values()})
_HRP_TABLE = np.zeros((len(_HRPS), max(len(h) for h in _HRPS)), np.int64)
for _i, _h in enumerate(_HRPS):
    _HRP_TABLE[_i, :len(_h)] = list(_h.encode())
_HRP_LEN = np.array([len(h) for h in _HRPS], np.int64)


@dataclass
class AddressCheck:
    """Validity and lookup hash of each address of an array."""

    valid: np.ndarray  # bool
    hashes: np.ndarray  # uint64, of the canonical spelling

    @property
    def n_invalid(self) -> int:
        return int(self.valid.size - np.count_nonzero(self.valid))


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, data as uint8) of a string array without nulls."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    wide = pa.types.is_large_string(arr.type)
    bufs = arr.buffers()
    n = len(arr)
    off = np.frombuffer(bufs[1], np.int64 if wide else np.int32, n + 1, arr.offset * (8 if wide else 4))
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    return off.astype(np.int64, copy=False), data


def as_string_array(values) -> pa.Array:
    """Strings (a list, NumPy array or Arrow array) as one Arrow string array."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    return pa.array(list(values), pa.string())


SMALL = 64  # fewer addresses than this are checked in Python: no kernel to load
PARALLEL_FROM = 65_536  # from this many addresses, ranges run on one thread per core
_POOL: ThreadPoolExecutor | None = None


def _ranges(n: int) -> list[tuple[int, int]]:
    """Split 0..n into one range per core (a single range for small n)."""
    k = min(os.cpu_count() or 1, 8) if n >= PARALLEL_FROM else 1
    step = -(-n // k) if n else 0
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)] if n else []


def _run(fn, n: int) -> None:
    """fn(lo, hi) over the ranges of 0..n, on threads (the kernels release the GIL)."""
    global _POOL
    parts = _ranges(n)
    if len(parts) <= 1:
        for lo, hi in parts:
            fn(lo, hi)
        return
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="chaintrail-addr")
    for f in [_POOL.submit(fn, lo, hi) for lo, hi in parts]:
        f.result()
_MASK = (1 << 64) - 1


def lookup_hash(data: bytes) -> int:
    """The lookup hash of one canonical address (the kernels' ``_hash``, in Python)."""
    mul = int(K.HASH_MUL)
    h = int(K.HASH_SEED)
    for p in range(0, len(data), 8):
        h = ((h ^ int.from_bytes(data[p:p + 8], "little")) * mul) & _MASK
        h ^= h >> 32
    h = ((h ^ len(data)) * mul) & _MASK
    return h ^ (h >> 29)


def _check_small(values: list, network: Network) -> AddressCheck:
    valid = np.zeros(len(values), np.bool_)
    hashes = np.zeros(len(values), np.uint64)
    for i, a in enumerate(values):
        a = a or ""
        try:
            decode_address(a, network)
            valid[i] = True
        except AddressError:
            pass
        hashes[i] = lookup_hash(canonical_address(a).encode())
    return AddressCheck(valid, hashes)


def check_addresses(values, network: Network = MAINNET) -> AddressCheck:
    """Validity for ``network`` and canonical hash of every address."""
    if len(values) < SMALL:
        items = values.to_pylist() if isinstance(values, (pa.Array, pa.ChunkedArray)) else list(values)
        return _check_small(items, network)
    off, data = _buffers(as_string_array(values))
    hrp = np.frombuffer(network.hrp.encode(), np.uint8).astype(np.int64)
    n = off.size - 1
    valid = np.zeros(n, np.bool_)
    hashes = np.zeros(n, np.uint64)
    _run(lambda lo, hi: K.check_range(off, data, lo, hi, network.p2pkh_prefix, network.p2sh_prefix,
                                      hrp, _HRP_TABLE, _HRP_LEN, valid, hashes), n)
    return AddressCheck(valid, hashes)


def hash_addresses(values) -> np.ndarray:
    """The canonical-spelling hash of every address (uint64), without validation."""
    off, data = _buffers(as_string_array(values))
    hashes = np.zeros(off.size - 1, np.uint64)
    _run(lambda lo, hi: K.hash_range(off, data, lo, hi, _HRP_TABLE, _HRP_LEN, hashes), off.size - 1)
    return hashes


def canonical_address(address: str) -> str:
    """The spelling lookups use: bech32 lowercased, base58 as it is."""
    lower = address.lower()
    sep = lower.rfind("1")
    return lower if sep > 0 and lower[:sep] in _HRPS else address


def invalid_reason(address: str, network: Network = MAINNET) -> str:
    """Why an address is not valid for ``network`` (one line), or '' when it is."""
    try:
        decode_address(address, network)
    except AddressError as exc:
        return str(exc)
    return ""
