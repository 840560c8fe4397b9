"""Serialize a block of simulated transactions into a byte buffer and hash it:
txids and wtxids, both merkle roots, the BIP141 witness commitment in the
coinbase, the header and a nonce that meets the regtest target.

Input is the block's transaction tables (see ``codes``: T, I, O rows) that
``engine_kernels`` fills. The pure-Python twin is ``chaintrail.sim.reference``
(builds ``bitcoin.tx.Tx`` objects from the same tables), and the oracle for
hashes is ``bitcoin.block``.
"""

# ruff: noqa: E741  (I and O are the block's input and output tables)

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.bitcoin.native_hash import new_hash_scratch, sha256d3_into, sha256d_into
from chaintrail.sim.codes import (
    I_ADDR,
    I_SEQ,
    I_SIG,
    I_SLOT,
    I_STYPE,
    I_VOUT,
    O_ADDR,
    O_AROW,
    O_DATALEN,
    O_SLOT,
    O_STYPE,
    O_VALUE,
    ST_COMMITMENT,
    ST_P2WPKH,
    T_EXTRA,
    T_FLAGS,
    T_IN0,
    T_LOCKTIME,
    T_NIN,
    T_NOUT,
    T_OUT0,
    T_SEGWIT,
    T_TXNUM,
    T_VERSION,
    TF_BIP69,
)
from chaintrail.sim.script_kernels import (
    has_payload,
    payload,
    write_output,
    write_output_payload,
    write_script_sig,
    write_u32,
    write_varint,
    write_witness,
    write_words,
)

HEADER = 80


@njit(cache=True, nogil=True)
def write_height_push(buf, pos, h):
    """BIP34 height as Core writes it (CScript() << nHeight)."""
    if h == 0:
        buf[pos] = 0
        return pos + 1
    if 1 <= h <= 16:
        buf[pos] = 0x50 + h
        return pos + 1
    n = 0
    v = h
    tmp = np.zeros(9, np.uint8)
    while v > 0:
        tmp[n] = v & 0xFF
        v >>= 8
        n += 1
    if tmp[n - 1] & 0x80:
        tmp[n] = 0
        n += 1
    buf[pos] = n
    for k in range(n):
        buf[pos + 1 + k] = tmp[k]
    return pos + 1 + n


@njit(cache=True, nogil=True)
def _txid_less(Utxid, sa, sb):
    """BIP69: previous txids compared in display (reversed) byte order."""
    for k in range(31, -1, -1):
        if Utxid[sa, k] != Utxid[sb, k]:
            return Utxid[sa, k] < Utxid[sb, k]
    return False


@njit(cache=True, nogil=True)
def sort_inputs_bip69(I, Utxid, lo, n):
    for i in range(lo + 1, lo + n):
        j = i
        while j > lo:
            a = I[j, I_SLOT]
            b = I[j - 1, I_SLOT]
            less = _txid_less(Utxid, a, b)
            if not less and not _txid_less(Utxid, b, a):
                less = I[j, I_VOUT] < I[j - 1, I_VOUT]
            if not less:
                break
            for k in range(I.shape[1]):
                t = I[j, k]
                I[j, k] = I[j - 1, k]
                I[j - 1, k] = t
            j -= 1


@njit(cache=True, nogil=True)
def serialize_block(buf, start, T, I, O, Utxid, ntx, key, height, tags, tag_len,
                    tx_off, tx_len, body_off, body_len, lock_off, commit_pos, txids, wtxids,
                    pc_tag, pc_pay, apay, aplen):
    """Write header placeholder, tx count and all transactions at ``buf[start:]``,
    hashing each transaction as it is written.

    Transactions are written in block order; each one's inputs read their
    previous txids from ``Utxid`` and, once hashed, its outputs' txids are
    stored there, so a later transaction of the same block may spend them.
    Fills per-tx offsets: whole tx (tx_off, tx_len), the stripped body
    between version and locktime (body_off, body_len), the locktime
    (lock_off); commit_pos[0] gets the offset of the witness commitment's 32
    bytes inside the coinbase, whose txid ``finish_block`` computes. Returns
    the end offset.

    Address payloads come from a direct-mapped cache (pc_tag, pc_pay: the
    addresses seen lately) or are computed; those of addresses new in this
    block are also copied to apay/aplen at their row in the A table, for
    the ground truth.
    """
    scratch = np.empty(160, np.uint8)
    sc = new_hash_scratch()
    for k in range(HEADER):
        buf[start + k] = 0
    pos = write_varint(buf, start + HEADER, ntx)
    commit_pos[0] = -1
    for t in range(ntx):
        tx_off[t] = pos
        segwit = T[t, T_SEGWIT]
        txnum = T[t, T_TXNUM]
        nin = T[t, T_NIN]
        in0 = T[t, T_IN0]
        if T[t, T_FLAGS] & TF_BIP69:
            sort_inputs_bip69(I, Utxid, in0, nin)
        pos = write_u32(buf, pos, T[t, T_VERSION])
        if segwit:
            buf[pos] = 0
            buf[pos + 1] = 1
            pos += 2
        body_off[t] = pos
        pos = write_varint(buf, pos, nin)
        for j in range(nin):
            r = in0 + j
            st = I[r, I_STYPE]
            slot = I[r, I_SLOT]
            if slot >= 0:
                for k in range(32):
                    buf[pos + k] = Utxid[slot, k]
            else:
                for k in range(32):
                    buf[pos + k] = 0
            pos = write_u32(buf, pos + 32, I[r, I_VOUT])
            if t == 0:
                # coinbase scriptSig: height, extranonce, pool tag
                p = pos + 1
                p = write_height_push(buf, p, height)
                buf[p] = 8
                p = write_words(buf, p + 1, key, height, 77, 8)
                pool = T[t, T_EXTRA]
                L = tag_len[pool]
                if L > 0:
                    buf[p] = L
                    for k in range(L):
                        buf[p + 1 + k] = tags[pool, k]
                    p += 1 + L
                buf[pos] = p - pos - 1
                pos = p
            else:
                pos = write_script_sig(buf, pos, st, I[r, I_ADDR], I[r, I_SIG], key, txnum,
                                       j * 64, scratch, sc)
            pos = write_u32(buf, pos, I[r, I_SEQ])
        nout = T[t, T_NOUT]
        out0 = T[t, T_OUT0]
        pos = write_varint(buf, pos, nout)
        for j in range(nout):
            r = out0 + j
            st = O[r, O_STYPE]
            if has_payload(st):
                a = O[r, O_ADDR]
                slot = a & (pc_tag.shape[0] - 1)
                if pc_tag[slot] == a:
                    n = 20 if st <= ST_P2WPKH else 32
                else:
                    n = payload(st, key, a, pc_pay[slot], 0, scratch, sc)
                    pc_tag[slot] = a
                ar = O[r, O_AROW]
                if ar >= 0:
                    for k in range(n):
                        apay[ar, k] = pc_pay[slot, k]
                    aplen[ar] = n
                pos = write_output_payload(buf, pos, O[r, O_VALUE], st, pc_pay[slot], 0)
                continue
            if st == ST_COMMITMENT:
                commit_pos[0] = pos + 8 + 1 + 6
            pos = write_output(buf, pos, O[r, O_VALUE], st, O[r, O_ADDR], O[r, O_DATALEN], key,
                               txnum, j, scratch, sc)
        body_len[t] = pos - body_off[t]
        if segwit:
            for j in range(nin):
                r = in0 + j
                if t == 0:
                    buf[pos] = 1
                    buf[pos + 1] = 32
                    for k in range(32):
                        buf[pos + 2 + k] = 0
                    pos += 34
                else:
                    pos = write_witness(buf, pos, I[r, I_STYPE], I[r, I_ADDR], I[r, I_SIG], key,
                                        txnum, j * 64)
        lock_off[t] = pos
        pos = write_u32(buf, pos, T[t, T_LOCKTIME])
        tx_len[t] = pos - tx_off[t]
        if t > 0:
            _hash_tx(buf, t, segwit, tx_off, tx_len, body_off, body_len, lock_off, txids, wtxids, sc)
            fill_txids(O, out0, nout, Utxid, txids, t)
    return pos


@njit(cache=True, nogil=True)
def fill_txids(O, out0, nout, Utxid, txids, t):
    """Store tx t's txid for the UTXO slots its outputs occupy."""
    for r in range(out0, out0 + nout):
        s = O[r, O_SLOT]
        if s >= 0:
            for k in range(32):
                Utxid[s, k] = txids[t, k]


@njit(cache=True, nogil=True)
def _hash_tx(buf, i, segwit, tx_off, tx_len, body_off, body_len, lock_off, txids, wtxids, sc):
    if segwit:
        sha256d3_into(buf, tx_off[i], 4, body_off[i], body_len[i], lock_off[i], 4, txids[i], 0, sc)
        sha256d_into(buf, tx_off[i], tx_len[i], wtxids[i], 0, sc)
    else:
        sha256d_into(buf, tx_off[i], tx_len[i], txids[i], 0, sc)
        for k in range(32):
            wtxids[i, k] = txids[i, k]


@njit(cache=True, nogil=True)
def merkle_root(hashes, n, work, out):
    """Bitcoin merkle root of hashes[0:n] (uint8[n, 32]) into out[0:32]; work: uint8[>= 32*(n+1)]."""
    sc = new_hash_scratch()
    for i in range(n):
        for k in range(32):
            work[32 * i + k] = hashes[i, k]
    m = n
    while m > 1:
        if m & 1:
            for k in range(32):
                work[32 * m + k] = work[32 * (m - 1) + k]
            m += 1
        half = m // 2
        for i in range(half):
            sha256d_into(work, 64 * i, 64, work, 32 * i, sc)
        m = half
    for k in range(32):
        out[k] = work[k]


@njit(cache=True, nogil=True)
def finish_block(buf, start, ntx, tx_off, tx_len, body_off, body_len, lock_off, commit_pos,
                 txids, wtxids, work, version, prev_hash, time, bits, target, block_hash):
    """Witness commitment, coinbase txid, merkle root, header and nonce grinding.

    ``target`` is the 32-byte little-endian target; returns the nonce found.
    """
    sc = new_hash_scratch()
    tmp = np.zeros(64, np.uint8)
    # witness commitment: sha256d(witness merkle root | 32 zero bytes reserved value)
    for k in range(32):
        wtxids[0, k] = 0
    merkle_root(wtxids, ntx, work, tmp)
    for k in range(32):
        tmp[32 + k] = 0
    sha256d_into(tmp, 0, 64, buf, commit_pos[0], sc)
    # coinbase txid (segwit serialization)
    _hash_tx(buf, 0, 1, tx_off, tx_len, body_off, body_len, lock_off, txids, wtxids, sc)
    for k in range(32):
        wtxids[0, k] = 0
    root = np.zeros(32, np.uint8)
    merkle_root(txids, ntx, work, root)
    h = start
    write_u32(buf, h, version)
    for k in range(32):
        buf[h + 4 + k] = prev_hash[k]
        buf[h + 36 + k] = root[k]
    write_u32(buf, h + 68, time)
    write_u32(buf, h + 72, bits)
    nonce = 0
    while True:
        write_u32(buf, h + 76, nonce)
        sha256d_into(buf, h, HEADER, block_hash, 0, sc)
        ok = True
        for k in range(31, -1, -1):
            if block_hash[k] < target[k]:
                break
            if block_hash[k] > target[k]:
                ok = False
                break
        if ok:
            return nonce
        nonce += 1


@njit(cache=True, nogil=True)
def weight_of(buf, ntx, T, tx_len, body_len):
    """Block weight from the serialized sizes (header and tx count included)."""
    total = 0
    for t in range(ntx):
        stripped = 4 + body_len[t] + 4
        total += stripped * 3 + tx_len[t]
    return total
