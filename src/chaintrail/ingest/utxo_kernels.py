"""The unspent-output set as an open-addressing hash table in NumPy arrays,
and the kernel that resolves a batch of transactions against it in chain
order (spend resolution).

Keys are (first 8 bytes of the txid, next 4 bytes, vout): a 96-bit txid
prefix, so a collision among the ~1.2 billion transactions of the chain has
odds of about 1e-11. Values carry what an input needs from the output it
spends: output id, value, script type, witness version and address payload.
Linear probing with backward-shift deletion keeps lookups short without
tombstones. The pure-Python twin is ``utxo_reference.ResolveReference``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EMPTY = np.uint32(0xFFFFFFFF)  # vout value marking a free slot (no tx has 2^32-1 outputs)
PAYLOAD = 40
_MIX = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, inline="always")
def _home(k1, vout, mask):
    return np.int64((k1 ^ (np.uint64(vout) * _MIX)) & mask)


@njit(cache=True, nogil=True)
def find(t_k1, t_k2, t_vout, k1, k2, vout):
    """Slot holding the key, or -1."""
    mask = np.uint64(t_k1.shape[0] - 1)
    i = _home(k1, vout, mask)
    while True:
        v = t_vout[i]
        if v == EMPTY:
            return -1
        if v == vout and t_k1[i] == k1 and t_k2[i] == k2:
            return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def insert(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
           k1, k2, vout, oid, value, meta, payload, src_row):
    """Insert or overwrite (a duplicate txid replaces the older output, as BIP30-era Core did).

    Returns 1 if a new slot was used, 0 on overwrite.
    """
    mask = np.uint64(t_k1.shape[0] - 1)
    i = _home(k1, vout, mask)
    new = 1
    while True:
        v = t_vout[i]
        if v == EMPTY:
            break
        if v == vout and t_k1[i] == k1 and t_k2[i] == k2:
            new = 0
            break
        i = (i + 1) & np.int64(mask)
    t_k1[i] = k1
    t_k2[i] = k2
    t_vout[i] = vout
    t_oid[i] = oid
    t_value[i] = value
    for m in range(3):
        t_meta[i, m] = meta[src_row, m]
    for m in range(PAYLOAD):
        t_payload[i, m] = payload[src_row, m]
    return new


@njit(cache=True, nogil=True)
def delete(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload, slot):
    """Free a slot, shifting later entries of the probe run back into the hole."""
    cap = t_k1.shape[0]
    mask = np.uint64(cap - 1)
    i = slot
    j = slot
    while True:
        j = (j + 1) & (cap - 1)
        if t_vout[j] == EMPTY:
            break
        k = _home(t_k1[j], t_vout[j], mask)
        if i <= j:
            stays = i < k <= j
        else:
            stays = k > i or k <= j
        if stays:
            continue
        t_k1[i] = t_k1[j]
        t_k2[i] = t_k2[j]
        t_vout[i] = t_vout[j]
        t_oid[i] = t_oid[j]
        t_value[i] = t_value[j]
        for m in range(3):
            t_meta[i, m] = t_meta[j, m]
        for m in range(PAYLOAD):
            t_payload[i, m] = t_payload[j, m]
        i = j
    t_vout[i] = EMPTY


@njit(cache=True, nogil=True, inline="always")
def _key_at(buf, off):
    k1 = np.uint64(0)
    for b in range(8):
        k1 |= np.uint64(buf[off + b]) << np.uint64(8 * b)
    k2 = np.uint32(0)
    for b in range(4):
        k2 |= np.uint32(buf[off + 8 + b]) << np.uint32(8 * b)
    return k1, k2


@njit(cache=True, nogil=True)
def resolve(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
            buf, txid, tx_first_in, tx_nin, tx_first_out, tx_nout, tx_coinbase,
            in_prev_off, in_prev_vout,
            out_value, out_meta, out_payload, out_spendable, output_id_base,
            in_spent_oid, in_value, in_meta, in_payload, tx_in_value):
    """Resolve every input of the batch, then add its outputs, transaction by transaction.

    Inputs that find no unspent output get spent_oid -1 and value -1; their
    transaction's input value is -1 (unknown). Returns (new entries added, inputs unresolved).
    """
    added = 0
    missing = 0
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
                k1, k2 = _key_at(buf, in_prev_off[j])
                slot = find(t_k1, t_k2, t_vout, k1, k2, in_prev_vout[j])
                if slot < 0:
                    in_spent_oid[j] = -1
                    in_value[j] = -1
                    known = False
                    missing += 1
                    continue
                in_spent_oid[j] = t_oid[slot]
                in_value[j] = t_value[slot]
                for m in range(3):
                    in_meta[j, m] = t_meta[slot, m]
                for m in range(PAYLOAD):
                    in_payload[j, m] = t_payload[slot, m]
                total += t_value[slot]
                delete(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload, slot)
                added -= 1
            tx_in_value[t] = total if known else -1
        k1 = np.uint64(0)
        for b in range(8):
            k1 |= np.uint64(txid[t, b]) << np.uint64(8 * b)
        k2 = np.uint32(0)
        for b in range(4):
            k2 |= np.uint32(txid[t, 8 + b]) << np.uint32(8 * b)
        fo = tx_first_out[t]
        for o in range(fo, fo + tx_nout[t]):
            if out_spendable[o]:
                added += insert(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
                                k1, k2, np.uint32(o - fo), output_id_base + o, out_value[o],
                                out_meta, out_payload, o)
    return added, missing


@njit(cache=True, nogil=True)
def rehash(s_k1, s_k2, s_vout, s_oid, s_value, s_meta, s_payload,
           t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload):
    """Move every entry of the source table into a (larger, empty) target table."""
    for i in range(s_k1.shape[0]):
        if s_vout[i] != EMPTY:
            insert(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
                   s_k1[i], s_k2[i], s_vout[i], s_oid[i], s_value[i], s_meta, s_payload, i)


@njit(cache=True, nogil=True)
def remove_keys(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload, k1s, k2s, vouts, oids):
    """Remove the given outpoints if they still map to the given output ids (reorg undo)."""
    removed = 0
    for n in range(k1s.shape[0]):
        slot = find(t_k1, t_k2, t_vout, k1s[n], k2s[n], vouts[n])
        if slot >= 0 and t_oid[slot] == oids[n]:
            delete(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload, slot)
            removed += 1
    return removed


@njit(cache=True, nogil=True)
def insert_many(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
                k1s, k2s, vouts, oids, values, meta, payload):
    """Insert a list of entries (reorg undo puts spent outputs back). Returns slots newly used."""
    added = 0
    for n in range(k1s.shape[0]):
        added += insert(t_k1, t_k2, t_vout, t_oid, t_value, t_meta, t_payload,
                        k1s[n], k2s[n], vouts[n], oids[n], values[n], meta, payload, n)
    return added
