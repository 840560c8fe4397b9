"""Hashes of a parsed batch: block hashes, txids (stripped serialization),
wtxids and merkle roots. The entry points run the numba kernels of
``hash_kernels``; the ``*_reference`` functions are their hashlib twins."""

from __future__ import annotations

import hashlib

import numpy as np

from chaintrail.ingest import hash_kernels as K

_sha = hashlib.sha256


def sha256d(data: bytes) -> bytes:
    return _sha(_sha(data).digest()).digest()


def block_hashes_reference(buf: np.ndarray, blk_off: np.ndarray) -> np.ndarray:
    out = np.empty((len(blk_off), 32), np.uint8)
    mv = memoryview(buf)
    for b, off in enumerate(blk_off.tolist()):
        out[b] = np.frombuffer(sha256d(mv[off:off + 80]), np.uint8)
    return out


def tx_hashes_reference(buf: np.ndarray, tx_off: np.ndarray, tx_len: np.ndarray,
              tx_wit_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(txid, wtxid) of every transaction, internal byte order."""
    n = len(tx_off)
    txid = np.empty((n, 32), np.uint8)
    wtxid = np.empty((n, 32), np.uint8)
    mv = memoryview(buf)
    tv = memoryview(txid).cast("B")
    wv = memoryview(wtxid).cast("B")
    for t, (off, ln, wit) in enumerate(zip(tx_off.tolist(), tx_len.tolist(), tx_wit_off.tolist())):
        full = _sha(_sha(mv[off:off + ln]).digest()).digest()
        if wit < 0:
            tv[32 * t:32 * t + 32] = full
        else:
            h = _sha(mv[off:off + 4])
            h.update(mv[off + 6:wit])
            h.update(mv[off + ln - 4:off + ln])
            tv[32 * t:32 * t + 32] = _sha(h.digest()).digest()
        wv[32 * t:32 * t + 32] = full
    return txid, wtxid


def merkle_root_of(hashes: np.ndarray) -> bytes:
    level = [h.tobytes() for h in hashes]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def merkle_roots_reference(txid: np.ndarray, first_tx: np.ndarray, n_tx: np.ndarray) -> np.ndarray:
    out = np.empty((len(first_tx), 32), np.uint8)
    for b, (f, n) in enumerate(zip(first_tx.tolist(), n_tx.tolist())):
        out[b] = np.frombuffer(merkle_root_of(txid[f:f + n]), np.uint8)
    return out


def block_hashes(buf: np.ndarray, blk_off: np.ndarray) -> np.ndarray:
    out = np.empty((len(blk_off), 32), np.uint8)
    if len(blk_off):
        K.block_hashes(buf, blk_off, out)
    return out


def tx_hashes(buf: np.ndarray, tx_off: np.ndarray, tx_len: np.ndarray,
              tx_wit_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(txid, wtxid) of every transaction, internal byte order."""
    n = len(tx_off)
    txid = np.empty((n, 32), np.uint8)
    wtxid = np.empty((n, 32), np.uint8)
    if n:
        K.tx_hashes(buf, tx_off, tx_len, tx_wit_off, txid, wtxid)
    return txid, wtxid


def merkle_roots(hashes: np.ndarray, first_tx: np.ndarray, n_tx: np.ndarray,
                 zero_first: bool = False) -> np.ndarray:
    """Merkle root per block; zero_first for the witness tree (coinbase wtxid = 0)."""
    out = np.empty((len(first_tx), 32), np.uint8)
    if len(first_tx):
        K.merkle_roots(hashes, first_tx, n_tx, zero_first, out)
    return out
