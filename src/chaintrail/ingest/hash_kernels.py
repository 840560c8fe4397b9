"""Hashing a parsed batch in numba: txids (of the stripped serialization),
wtxids, block hashes and merkle roots, spread over numba's threads.
The pure-Python twin is ``hash_batch.*_reference`` (hashlib)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from chaintrail.bitcoin.native_hash import new_hash_scratch, sha256d3_into


@njit(cache=True, nogil=True, parallel=True)
def tx_hashes(buf, tx_off, tx_len, tx_wit_off, txid, wtxid):
    """txid and wtxid of every transaction (uint8[n, 32] each, internal byte order)."""
    n = tx_off.shape[0]
    chunks = max(1, min(n, 64))
    flat_txid = txid.reshape(-1)
    flat_wtxid = wtxid.reshape(-1)
    for c in prange(chunks):
        scratch = new_hash_scratch()
        for t in range(n * c // chunks, n * (c + 1) // chunks):
            off = tx_off[t]
            ln = tx_len[t]
            wit = tx_wit_off[t]
            sha256d3_into(buf, off, ln, 0, 0, 0, 0, flat_wtxid, 32 * t, scratch)
            if wit < 0:
                flat_txid[32 * t:32 * t + 32] = flat_wtxid[32 * t:32 * t + 32]
            else:
                sha256d3_into(buf, off, 4, off + 6, wit - off - 6, off + ln - 4, 4, flat_txid, 32 * t, scratch)


@njit(cache=True, nogil=True)
def block_hashes(buf, blk_off, out):
    scratch = new_hash_scratch()
    flat = out.reshape(-1)
    for b in range(blk_off.shape[0]):
        sha256d3_into(buf, blk_off[b], 80, 0, 0, 0, 0, flat, 32 * b, scratch)


@njit(cache=True, nogil=True)
def _merkle_one(level, n, scratch):
    """Reduce the n hashes in level (flat bytes, room for n+1) to their root in level[0:32]."""
    while n > 1:
        if n % 2:
            level[32 * n:32 * n + 32] = level[32 * (n - 1):32 * n]
            n += 1
        half = n // 2
        for i in range(half):
            sha256d3_into(level, 64 * i, 64, 0, 0, 0, 0, level, 32 * i, scratch)
        n = half


@njit(cache=True, nogil=True, parallel=True)
def merkle_roots(hashes, first, count, zero_first, out):
    """Merkle root of hashes[first[b]:first[b]+count[b]] for every block b.

    With zero_first, each block's first hash counts as 32 zero bytes (the
    coinbase's wtxid in the witness merkle tree).
    """
    nb = first.shape[0]
    flat = hashes.reshape(-1)
    for b in prange(nb):
        scratch = new_hash_scratch()
        n = count[b]
        level = np.empty(32 * (n + 1), np.uint8)
        level[0:32 * n] = flat[32 * first[b]:32 * (first[b] + n)]
        if zero_first:
            level[0:32] = 0
        _merkle_one(level, n, scratch)
        out[b, :] = level[0:32]
