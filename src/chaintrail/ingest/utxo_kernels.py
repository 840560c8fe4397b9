"""The unspent-output set as an open-addressing hash table in NumPy arrays,
and the kernel that resolves a batch of transactions against it in chain
order (spend resolution).

A key is two words: the first 8 bytes of the txid, and the next 4 bytes with
the vout (a 96-bit txid prefix: a collision among the ~1.2 billion
transactions of the chain has odds of about 1e-11). Keys live in their own
array (16 bytes a slot, four slots a cache line, so probing is cheap) and
each slot's value is one 64-byte row of eight words: output id, value, a
word packing script type, witness version and payload length, and the
40-byte address payload, everything an input needs from the output it
spends. Rows are copied a word at a time (byte loops cost 5x more). Linear probing with backward-shift
deletion keeps probe runs short without tombstones. Every kernel that writes
a slot appends its number to a log (`log[0]` counts the entries, -1 once it
is full), so that a commit saves only the slots written since the last save
(``utxo.UtxoSet``); appending costs no cache miss, a mark per slot in a
table-sized array cost one per write.

The tests hold the table against a plain dict (``tests/test_properties.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # second key word of a free slot (vout 2^32-1 never exists)
PAYLOAD = 40
WORDS = 8  # int64 words of a value row: oid, value, meta, payload[5]
_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, inline="always")
def _home(k0, k1, mask):
    return np.int64((k0 ^ (k1 * _MIX)) & mask)


@njit(cache=True, nogil=True, inline="always")
def _pack_meta(stype, wver, plen, row):
    return np.int64(stype[row]) | (np.int64(wver[row]) << 8) | (np.int64(plen[row]) << 16)


@njit(cache=True, nogil=True, inline="always")
def _note(log, i):
    """Append slot i to the log of written slots (or mark it overflowed: -1)."""
    n = log[0]
    if n >= 0:
        if n + 1 < log.shape[0]:
            log[n + 1] = i
            log[0] = n + 1
        else:
            log[0] = -1


@njit(cache=True, nogil=True)
def find(keys, k0, k1):
    """Slot holding the key, or -1."""
    mask = np.uint64(keys.shape[0] - 1)
    i = _home(k0, k1, mask)
    while True:
        w = keys[i, 1]
        if w == EMPTY:
            return -1
        if w == k1 and keys[i, 0] == k0:
            return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def insert(keys, vals, log, k0, k1, oid, value, metaw, payload64, src_row):
    """Insert or overwrite (a duplicate txid replaces the older output, as BIP30-era Core did).

    payload64 is the payload array viewed as int64[n, 5]. Returns 1 if a new slot was used.
    """
    mask = np.uint64(keys.shape[0] - 1)
    i = _home(k0, k1, mask)
    new = 1
    while True:
        w = keys[i, 1]
        if w == EMPTY:
            break
        if w == k1 and keys[i, 0] == k0:
            new = 0
            break
        i = (i + 1) & np.int64(mask)
    keys[i, 0] = k0
    keys[i, 1] = k1
    _note(log, i)
    vals[i, 0] = oid
    vals[i, 1] = value
    vals[i, 2] = metaw
    for m in range(5):
        vals[i, 3 + m] = payload64[src_row, m]
    return new


@njit(cache=True, nogil=True)
def delete(keys, vals, log, slot):
    """Free a slot, shifting later entries of the probe run back into the hole."""
    cap = keys.shape[0]
    mask = np.uint64(cap - 1)
    i = slot
    j = slot
    while True:
        j = (j + 1) & (cap - 1)
        if keys[j, 1] == EMPTY:
            break
        k = _home(keys[j, 0], keys[j, 1], mask)
        if i <= j:
            stays = i < k <= j
        else:
            stays = k > i or k <= j
        if stays:
            continue
        keys[i, 0] = keys[j, 0]
        keys[i, 1] = keys[j, 1]
        _note(log, i)
        for m in range(WORDS):
            vals[i, m] = vals[j, m]
        i = j
    keys[i, 1] = EMPTY
    _note(log, i)


@njit(cache=True, nogil=True, inline="always")
def _words_at(buf, off):
    """(first 8 bytes, next 4 bytes) of a txid lying in buf at off, as little-endian words."""
    k0 = np.uint64(0)
    for b in range(8):
        k0 |= np.uint64(buf[off + b]) << np.uint64(8 * b)
    k2 = np.uint64(0)
    for b in range(4):
        k2 |= np.uint64(buf[off + 8 + b]) << np.uint64(8 * b)
    return k0, k2


@njit(cache=True, nogil=True)
def resolve(keys, vals, log,
            buf, txid, tx_first_in, tx_nin, tx_first_out, tx_nout, tx_coinbase,
            in_prev_off, in_prev_vout,
            out_value, out_stype, out_wver, out_plen, out_payload64, out_spendable, output_id_base,
            in_spent_oid, in_value, in_stype, in_wver, in_plen, in_payload64, tx_in_value):
    """Resolve every input of the batch, then add its outputs, transaction by transaction.

    Payload arrays come as int64[n, 5] views. Inputs that find no unspent
    output get spent_oid -1 and value -1; their transaction's input value is
    -1 (unknown). Returns (change in entries, inputs unresolved).
    """
    added = 0
    missing = 0
    flat_txid = txid.reshape(-1)
    n_tx = tx_first_in.shape[0]
    for t in range(n_tx):
        fi = tx_first_in[t]
        if tx_coinbase[t]:
            for j in range(fi, fi + tx_nin[t]):
                in_spent_oid[j] = -1
                in_value[j] = -1
            tx_in_value[t] = 0
        else:
            total = np.int64(0)
            known = True
            for j in range(fi, fi + tx_nin[t]):
                k0, k2 = _words_at(buf, in_prev_off[j])
                k1 = (k2 << np.uint64(32)) | np.uint64(in_prev_vout[j])
                slot = find(keys, k0, k1)
                if slot < 0:
                    in_spent_oid[j] = -1
                    in_value[j] = -1
                    known = False
                    missing += 1
                    continue
                in_spent_oid[j] = vals[slot, 0]
                v = vals[slot, 1]
                in_value[j] = v
                mw = vals[slot, 2]
                in_stype[j] = mw & 0xFF
                in_wver[j] = (mw >> 8) & 0xFF
                in_plen[j] = (mw >> 16) & 0xFF
                for m in range(5):
                    in_payload64[j, m] = vals[slot, 3 + m]
                total += v
                delete(keys, vals, log, slot)
                added -= 1
            tx_in_value[t] = total if known else -1
        k0, k2 = _words_at(flat_txid, 32 * t)
        fo = tx_first_out[t]
        for o in range(fo, fo + tx_nout[t]):
            if out_spendable[o]:
                k1 = (k2 << np.uint64(32)) | np.uint64(o - fo)
                added += insert(keys, vals, log, k0, k1, output_id_base + o, out_value[o],
                                _pack_meta(out_stype, out_wver, out_plen, o), out_payload64, o)
    return added, missing


@njit(cache=True, nogil=True)
def rehash(s_keys, s_vals, t_keys, t_vals):
    """Move every entry of the source table into a (larger, empty) target table."""
    mask = np.uint64(t_keys.shape[0] - 1)
    for i in range(s_keys.shape[0]):
        if s_keys[i, 1] != EMPTY:
            j = _home(s_keys[i, 0], s_keys[i, 1], mask)
            while t_keys[j, 1] != EMPTY:
                j = (j + 1) & np.int64(mask)
            t_keys[j, 0] = s_keys[i, 0]
            t_keys[j, 1] = s_keys[i, 1]
            for m in range(WORDS):
                t_vals[j, m] = s_vals[i, m]


@njit(cache=True, nogil=True)
def remove_keys(keys, vals, log, k0s, k2s, vouts, oids):
    """Remove the given outpoints if they still map to the given output ids (reorg undo)."""
    removed = 0
    for n in range(k0s.shape[0]):
        k1 = (np.uint64(k2s[n]) << np.uint64(32)) | np.uint64(vouts[n])
        slot = find(keys, np.uint64(k0s[n]), k1)
        if slot >= 0 and vals[slot, 0] == oids[n]:
            delete(keys, vals, log, slot)
            removed += 1
    return removed


@njit(cache=True, nogil=True)
def insert_many(keys, vals, log, k0s, k2s, vouts, oids, values, stype, wver, plen, payload64):
    """Insert a list of entries (reorg undo puts spent outputs back). Returns slots newly used."""
    added = 0
    for n in range(k0s.shape[0]):
        k1 = (np.uint64(k2s[n]) << np.uint64(32)) | np.uint64(vouts[n])
        added += insert(keys, vals, log, np.uint64(k0s[n]), k1, oids[n], values[n],
                        _pack_meta(stype, wver, plen, n), payload64, n)
    return added
