"""Numba kernels that walk serialized blocks and record where every field of
every transaction, input and output lies, into flat NumPy columns.

Two passes over the same walker: the first counts transactions, inputs and
outputs so the caller can allocate exactly; the second fills the columns.
Errors come back as (code, byte offset) per block instead of exceptions so
the caller can name the block, file and offset. The pure-Python twin is
``bitcoin.block.Block.from_bytes``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OK = 0
ERR_TRUNCATED = 1
ERR_SEGWIT_FLAG = 2
ERR_TRAILING = 3
ERR_NO_TXS = 4
ERR_VALUE = 5
ERR_SIZE = 6
ERR_EMPTY_WITNESS = 7

ERROR_TEXT = {
    ERR_TRUNCATED: "data ends in the middle of a transaction",
    ERR_SEGWIT_FLAG: "invalid segwit marker/flag",
    ERR_TRAILING: "trailing bytes after the last transaction",
    ERR_NO_TXS: "block has no transactions",
    ERR_VALUE: "output value out of range",
    ERR_SIZE: "length field exceeds the 32 MiB limit",
    ERR_EMPTY_WITNESS: "segwit marker set but every witness is empty",
}

MAX_SIZE = 0x02000000
MAX_MONEY = 21_000_000 * 100_000_000


@njit(cache=True, nogil=True, inline="always")
def _varint(buf, pos, end):
    """Read a CompactSize at pos; returns (value, new pos) or (0, -1) if truncated/oversized."""
    if pos >= end:
        return 0, -1
    first = buf[pos]
    if first < 0xFD:
        return np.int64(first), pos + 1
    if first == 0xFD:
        if pos + 3 > end:
            return 0, -1
        return np.int64(buf[pos + 1]) | (np.int64(buf[pos + 2]) << 8), pos + 3
    if first == 0xFE:
        if pos + 5 > end:
            return 0, -1
        v = np.int64(0)
        for k in range(4):
            v |= np.int64(buf[pos + 1 + k]) << (8 * k)
        return v, pos + 5
    if pos + 9 > end:
        return 0, -1
    v = np.int64(0)
    for k in range(8):
        if k == 7 and buf[pos + 8] >= 0x80:
            return 0, -1
        v |= np.int64(buf[pos + 1 + k]) << (8 * k)
    if v > MAX_SIZE:
        return 0, -1
    return v, pos + 9


@njit(cache=True, nogil=True, inline="always")
def _u32(buf, pos):
    return (np.int64(buf[pos]) | (np.int64(buf[pos + 1]) << 8)
            | (np.int64(buf[pos + 2]) << 16) | (np.int64(buf[pos + 3]) << 24))


@njit(cache=True, nogil=True, inline="always")
def _i64(buf, pos):
    v = np.uint64(0)
    for k in range(8):
        v |= np.uint64(buf[pos + k]) << np.uint64(8 * k)
    return np.int64(v)


@njit(cache=True, nogil=True)
def walk_block(buf, start, end, fill,
               ti, ii, oi,
               tx_off, tx_len, tx_wit_off, tx_version, tx_locktime, tx_nin, tx_nout,
               in_prev_off, in_prev_vout, in_script_off, in_script_len, in_seq,
               out_value, out_script_off, out_script_len):
    """Walk one block buf[start:end]. Returns (err, err_pos, n_tx, n_in, n_out).

    With fill=False only counts; with fill=True writes columns from the
    running indices ti (txs), ii (inputs), oi (outputs).
    """
    pos = start + 80
    if pos > end:
        return ERR_TRUNCATED, start, 0, 0, 0
    n_tx, pos = _varint(buf, pos, end)
    if pos < 0:
        return ERR_TRUNCATED, start + 80, 0, 0, 0
    if n_tx == 0:
        return ERR_NO_TXS, start + 80, 0, 0, 0
    t_count = 0
    i_count = 0
    o_count = 0
    for t in range(n_tx):
        tstart = pos
        if pos + 4 > end:
            return ERR_TRUNCATED, pos, 0, 0, 0
        version = _u32(buf, pos)
        pos += 4
        n_in, pos = _varint(buf, pos, end)
        if pos < 0:
            return ERR_TRUNCATED, tstart, 0, 0, 0
        segwit = False
        if n_in == 0:
            if pos >= end:
                return ERR_TRUNCATED, tstart, 0, 0, 0
            if buf[pos] != 1:
                return ERR_SEGWIT_FLAG, pos, 0, 0, 0
            pos += 1
            segwit = True
            n_in, pos = _varint(buf, pos, end)
            if pos < 0:
                return ERR_TRUNCATED, tstart, 0, 0, 0
            if n_in == 0:
                return ERR_SEGWIT_FLAG, tstart, 0, 0, 0
        for k in range(n_in):
            if pos + 36 > end:
                return ERR_TRUNCATED, pos, 0, 0, 0
            prev_off = pos
            vout = _u32(buf, pos + 32)
            pos += 36
            slen, pos = _varint(buf, pos, end)
            if pos < 0 or pos + slen + 4 > end:
                return ERR_TRUNCATED, prev_off, 0, 0, 0
            if fill:
                j = ii + i_count
                in_prev_off[j] = prev_off
                in_prev_vout[j] = vout
                in_script_off[j] = pos
                in_script_len[j] = slen
                in_seq[j] = _u32(buf, pos + slen)
            pos += slen + 4
            i_count += 1
        n_out, pos = _varint(buf, pos, end)
        if pos < 0:
            return ERR_TRUNCATED, tstart, 0, 0, 0
        for k in range(n_out):
            if pos + 8 > end:
                return ERR_TRUNCATED, pos, 0, 0, 0
            value = _i64(buf, pos)
            if value < 0 or value > MAX_MONEY:
                return ERR_VALUE, pos, 0, 0, 0
            vpos = pos
            pos += 8
            slen, pos = _varint(buf, pos, end)
            if pos < 0 or pos + slen > end:
                return ERR_TRUNCATED, vpos, 0, 0, 0
            if fill:
                j = oi + o_count
                out_value[j] = value
                out_script_off[j] = pos
                out_script_len[j] = slen
            pos += slen
            o_count += 1
        wit_off = -1
        if segwit:
            wit_off = pos
            any_item = False
            for k in range(n_in):
                n_items, pos = _varint(buf, pos, end)
                if pos < 0:
                    return ERR_TRUNCATED, wit_off, 0, 0, 0
                if n_items > 0:
                    any_item = True
                for m in range(n_items):
                    ilen, pos = _varint(buf, pos, end)
                    if pos < 0 or pos + ilen > end:
                        return ERR_TRUNCATED, wit_off, 0, 0, 0
                    pos += ilen
            if not any_item:
                return ERR_EMPTY_WITNESS, tstart, 0, 0, 0
        if pos + 4 > end:
            return ERR_TRUNCATED, pos, 0, 0, 0
        if fill:
            j = ti + t_count
            tx_off[j] = tstart
            tx_len[j] = pos + 4 - tstart
            tx_wit_off[j] = wit_off
            tx_version[j] = np.int32(np.uint32(version))
            tx_locktime[j] = _u32(buf, pos)
            tx_nin[j] = n_in
            tx_nout[j] = n_out
        pos += 4
        t_count += 1
    if pos != end:
        return ERR_TRAILING, pos, 0, 0, 0
    return OK, 0, t_count, i_count, o_count


@njit(cache=True, nogil=True)
def count_blocks(buf, blk_off, blk_len, n_tx, n_in, n_out, err, err_pos):
    """Count transactions, inputs and outputs of each block (first pass)."""
    z64 = np.zeros(0, np.int64)
    z32 = np.zeros(0, np.int32)
    zu = np.zeros(0, np.uint32)
    for b in range(blk_off.shape[0]):
        e, ep, t, i, o = walk_block(buf, blk_off[b], blk_off[b] + blk_len[b], False, 0, 0, 0,
                                    z64, z64, z64, z32, zu, z64, z64,
                                    z64, zu, z64, z64, zu, z64, z64, z64)
        err[b] = e
        err_pos[b] = ep
        n_tx[b] = t
        n_in[b] = i
        n_out[b] = o


@njit(cache=True, nogil=True)
def fill_blocks(buf, blk_off, blk_len, first_tx, first_in, first_out,
                tx_off, tx_len, tx_wit_off, tx_version, tx_locktime, tx_nin, tx_nout,
                in_prev_off, in_prev_vout, in_script_off, in_script_len, in_seq,
                out_value, out_script_off, out_script_len):
    """Fill the columns of every block (second pass, after counting)."""
    for b in range(blk_off.shape[0]):
        walk_block(buf, blk_off[b], blk_off[b] + blk_len[b], True,
                   first_tx[b], first_in[b], first_out[b],
                   tx_off, tx_len, tx_wit_off, tx_version, tx_locktime, tx_nin, tx_nout,
                   in_prev_off, in_prev_vout, in_script_off, in_script_len, in_seq,
                   out_value, out_script_off, out_script_len)
