"""Scripts of the simulated chain: key material, address payloads, output
scripts, scriptSigs and witnesses, written straight into byte buffers, and
their sizes for fee and weight arithmetic.

Every address is a number. Its public keys are derived from (chain key,
address id), so an address always shows the same keys, and its payload is
the real hash of them: HASH160 of the key for P2PKH and P2WPKH, HASH160 of
the ``0014{keyhash}`` redeem script for P2SH-P2WPKH, SHA-256 of a 2-of-3
witness script for P2WSH, the x-only key for P2TR. Signatures are random
bytes of the right shape: DER with low or high R plus a sighash byte, or
64-byte Schnorr signatures for Taproot key-path spends.

The pure-Python twin of these layouts is ``chaintrail.sim.reference``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.bitcoin.native_hash import hash160_into, sha256_into
from chaintrail.sim.codes import (
    ST_COMMITMENT,
    ST_MULTISIG,
    ST_OP_RETURN,
    ST_P2PKH,
    ST_P2SH,
    ST_P2TR,
    ST_P2WPKH,
    ST_P2WSH,
)
from chaintrail.sim.rng_kernels import mix

U8 = np.uint64(0xFF)
WSCRIPT_LEN = 105   # OP_2 <33> <33> <33> OP_3 OP_CHECKMULTISIG
BARE_MS_LEN = 71    # OP_1 <33> <33> OP_2 OP_CHECKMULTISIG


@njit(cache=True, nogil=True)
def write_u32(buf, pos, v):
    buf[pos] = v & 0xFF
    buf[pos + 1] = (v >> 8) & 0xFF
    buf[pos + 2] = (v >> 16) & 0xFF
    buf[pos + 3] = (v >> 24) & 0xFF
    return pos + 4


@njit(cache=True, nogil=True)
def write_i64(buf, pos, v):
    for k in range(8):
        buf[pos + k] = (v >> (8 * k)) & 0xFF
    return pos + 8


@njit(cache=True, nogil=True)
def write_varint(buf, pos, n):
    if n < 0xFD:
        buf[pos] = n
        return pos + 1
    if n <= 0xFFFF:
        buf[pos] = 0xFD
        buf[pos + 1] = n & 0xFF
        buf[pos + 2] = (n >> 8) & 0xFF
        return pos + 3
    buf[pos] = 0xFE
    return write_u32(buf, pos + 1, n)


@njit(cache=True, nogil=True)
def varint_size(n):
    if n < 0xFD:
        return 1
    if n <= 0xFFFF:
        return 3
    return 5


@njit(cache=True, nogil=True)
def write_words(buf, pos, key, a, b, nbytes):
    """nbytes pseudo-random bytes derived from (key, a, b...)."""
    k = 0
    j = 0
    while k < nbytes:
        w = mix(key, a, b * 64 + j)
        j += 1
        for q in range(8):
            if k >= nbytes:
                break
            buf[pos + k] = np.uint8((w >> np.uint64(8 * q)) & U8)
            k += 1
    return pos + nbytes


@njit(cache=True, nogil=True)
def write_pubkey(buf, pos, key, addr, idx):
    """33-byte compressed public key number ``idx`` of address ``addr``."""
    w = mix(key, addr, 1000 + idx)
    buf[pos] = 2 + np.uint8(w & np.uint64(1))
    return write_words(buf, pos + 1, key, addr, 2000 + idx, 32)


@njit(cache=True, nogil=True)
def write_witness_script(buf, pos, key, addr):
    buf[pos] = 0x52
    p = pos + 1
    for i in range(3):
        buf[p] = 33
        p = write_pubkey(buf, p + 1, key, addr, i)
    buf[p] = 0x53
    buf[p + 1] = 0xAE
    return p + 2


@njit(cache=True, nogil=True)
def write_bare_multisig(buf, pos, key, addr):
    buf[pos] = 0x51
    p = pos + 1
    for i in range(2):
        buf[p] = 33
        p = write_pubkey(buf, p + 1, key, addr, i)
    buf[p] = 0x52
    buf[p + 1] = 0xAE
    return p + 2


@njit(cache=True, nogil=True)
def payload(stype, key, addr, out, out_off, scratch, sc):
    """Write the address payload of (stype, addr) to out[out_off:]; returns its length.

    ``scratch`` is a uint8 work buffer of at least 128 bytes, ``sc`` a
    ``native_hash.new_hash_scratch()``.
    """
    if stype == ST_P2PKH or stype == ST_P2WPKH:
        write_pubkey(scratch, 0, key, addr, 0)
        hash160_into(scratch, 0, 33, out, out_off, sc)
        return 20
    if stype == ST_P2SH:
        write_pubkey(scratch, 0, key, addr, 0)
        scratch[33] = 0x00
        scratch[34] = 0x14
        hash160_into(scratch, 0, 33, scratch, 35, sc)
        hash160_into(scratch, 33, 22, out, out_off, sc)
        return 20
    if stype == ST_P2WSH:
        write_witness_script(scratch, 0, key, addr)
        sha256_into(scratch, 0, WSCRIPT_LEN, out, out_off, sc)
        return 32
    if stype == ST_P2TR:
        write_words(out, out_off, key, addr, 3000, 32)
        return 32
    return 0


@njit(cache=True, nogil=True)
def output_script_size(stype, datalen):
    if stype == ST_P2PKH:
        return 25
    if stype == ST_P2SH:
        return 23
    if stype == ST_P2WPKH:
        return 22
    if stype == ST_P2WSH or stype == ST_P2TR:
        return 34
    if stype == ST_MULTISIG:
        return BARE_MS_LEN
    if stype == ST_COMMITMENT:
        return 38
    if stype == ST_OP_RETURN:
        if datalen <= 75:
            return 2 + datalen
        return 3 + datalen
    return 0


@njit(cache=True, nogil=True)
def output_size(stype, datalen):
    n = output_script_size(stype, datalen)
    return 8 + varint_size(n) + n


@njit(cache=True, nogil=True)
def write_output(buf, pos, value, stype, addr, datalen, key, data_a, data_b, scratch, sc):
    """value | scriptPubKey. OP_RETURN data is derived from (key, data_a, data_b)."""
    pos = write_i64(buf, pos, value)
    n = output_script_size(stype, datalen)
    pos = write_varint(buf, pos, n)
    if stype == ST_P2PKH:
        buf[pos] = 0x76
        buf[pos + 1] = 0xA9
        buf[pos + 2] = 0x14
        payload(stype, key, addr, buf, pos + 3, scratch, sc)
        buf[pos + 23] = 0x88
        buf[pos + 24] = 0xAC
    elif stype == ST_P2SH:
        buf[pos] = 0xA9
        buf[pos + 1] = 0x14
        payload(stype, key, addr, buf, pos + 2, scratch, sc)
        buf[pos + 22] = 0x87
    elif stype == ST_P2WPKH:
        buf[pos] = 0x00
        buf[pos + 1] = 0x14
        payload(stype, key, addr, buf, pos + 2, scratch, sc)
    elif stype == ST_P2WSH:
        buf[pos] = 0x00
        buf[pos + 1] = 0x20
        payload(stype, key, addr, buf, pos + 2, scratch, sc)
    elif stype == ST_P2TR:
        buf[pos] = 0x51
        buf[pos + 1] = 0x20
        payload(stype, key, addr, buf, pos + 2, scratch, sc)
    elif stype == ST_MULTISIG:
        write_bare_multisig(buf, pos, key, addr)
    elif stype == ST_COMMITMENT:
        buf[pos] = 0x6A
        buf[pos + 1] = 0x24
        buf[pos + 2] = 0xAA
        buf[pos + 3] = 0x21
        buf[pos + 4] = 0xA9
        buf[pos + 5] = 0xED
        for k in range(32):
            buf[pos + 6 + k] = 0  # filled in once the wtxid merkle root is known
    elif stype == ST_OP_RETURN:
        buf[pos] = 0x6A
        p = pos + 1
        if datalen <= 75:
            buf[p] = datalen
            p += 1
        else:
            buf[p] = 0x4C
            buf[p + 1] = datalen
            p += 2
        write_words(buf, p, key, data_a, 5_000_000 + data_b, datalen)
    return pos + n


@njit(cache=True, nogil=True)
def has_payload(stype):
    return stype == ST_P2PKH or stype == ST_P2SH or stype == ST_P2WPKH or stype == ST_P2WSH \
        or stype == ST_P2TR


@njit(cache=True, nogil=True)
def write_output_payload(buf, pos, value, stype, pay, pay_off):
    """value | scriptPubKey of an address output whose payload is pay[pay_off:]."""
    pos = write_i64(buf, pos, value)
    n = output_script_size(stype, 0)
    pos = write_varint(buf, pos, n)
    if stype == ST_P2PKH:
        buf[pos] = 0x76
        buf[pos + 1] = 0xA9
        buf[pos + 2] = 0x14
        for k in range(20):
            buf[pos + 3 + k] = pay[pay_off + k]
        buf[pos + 23] = 0x88
        buf[pos + 24] = 0xAC
    elif stype == ST_P2SH:
        buf[pos] = 0xA9
        buf[pos + 1] = 0x14
        for k in range(20):
            buf[pos + 2 + k] = pay[pay_off + k]
        buf[pos + 22] = 0x87
    elif stype == ST_P2WPKH:
        buf[pos] = 0x00
        buf[pos + 1] = 0x14
        for k in range(20):
            buf[pos + 2 + k] = pay[pay_off + k]
    else:  # P2WSH, P2TR: 32-byte programs
        buf[pos] = 0x00 if stype == ST_P2WSH else 0x51
        buf[pos + 1] = 0x20
        for k in range(32):
            buf[pos + 2 + k] = pay[pay_off + k]
    return pos + n


@njit(cache=True, nogil=True)
def sig_len(sigbits, k):
    """DER signature length (sighash byte included) of signature k."""
    return 72 if (sigbits >> k) & 1 else 71


@njit(cache=True, nogil=True)
def write_der_sig(buf, pos, key, a, b, high_r):
    """A DER-shaped ECDSA signature plus SIGHASH_ALL, 71 (low R) or 72 (high R) bytes."""
    buf[pos] = 0x30
    p = pos + 2
    buf[p] = 0x02
    if high_r:
        buf[pos + 1] = 0x45
        buf[p + 1] = 0x21
        buf[p + 2] = 0x00
        write_words(buf, p + 3, key, a, b, 32)
        buf[p + 3] = 0x80 | (buf[p + 3] & 0x7F)
        p = p + 35
    else:
        buf[pos + 1] = 0x44
        buf[p + 1] = 0x20
        write_words(buf, p + 2, key, a, b, 32)
        buf[p + 2] = 1 + (buf[p + 2] % 0x7F)
        p = p + 34
    buf[p] = 0x02
    buf[p + 1] = 0x20
    write_words(buf, p + 2, key, a, b + 7, 32)
    buf[p + 2] = 1 + (buf[p + 2] % 0x7F)  # low S, minimally encoded
    buf[p + 34] = 0x01
    return p + 35


@njit(cache=True, nogil=True)
def is_witness_type(stype):
    return stype == ST_P2WPKH or stype == ST_P2SH or stype == ST_P2WSH or stype == ST_P2TR


@njit(cache=True, nogil=True)
def script_sig_size(stype, sigbits):
    if stype == ST_P2PKH:
        return sig_len(sigbits, 0) + 1 + 34
    if stype == ST_P2SH:
        return 23
    if stype == ST_MULTISIG:
        return 2 + sig_len(sigbits, 0)
    return 0


@njit(cache=True, nogil=True)
def input_nonwitness_size(stype, sigbits):
    n = script_sig_size(stype, sigbits)
    return 36 + varint_size(n) + n + 4


@njit(cache=True, nogil=True)
def input_witness_size(stype, sigbits):
    """Witness bytes of one input inside a SegWit transaction (1 for an empty stack)."""
    if stype == ST_P2WPKH or stype == ST_P2SH:
        return 1 + 1 + sig_len(sigbits, 0) + 34
    if stype == ST_P2TR:
        return 66
    if stype == ST_P2WSH:
        return 1 + 1 + 1 + sig_len(sigbits, 0) + 1 + sig_len(sigbits, 1) + 1 + WSCRIPT_LEN
    return 1


@njit(cache=True, nogil=True)
def write_script_sig(buf, pos, stype, addr, sigbits, key, sig_a, sig_b, scratch, sc):
    n = script_sig_size(stype, sigbits)
    pos = write_varint(buf, pos, n)
    if stype == ST_P2PKH:
        L = sig_len(sigbits, 0)
        buf[pos] = L
        write_der_sig(buf, pos + 1, key, sig_a, sig_b, sigbits & 1)
        buf[pos + 1 + L] = 33
        write_pubkey(buf, pos + 2 + L, key, addr, 0)
    elif stype == ST_P2SH:
        buf[pos] = 0x16
        buf[pos + 1] = 0x00
        buf[pos + 2] = 0x14
        write_pubkey(scratch, 0, key, addr, 0)
        hash160_into(scratch, 0, 33, buf, pos + 3, sc)
    elif stype == ST_MULTISIG:
        buf[pos] = 0x00
        L = sig_len(sigbits, 0)
        buf[pos + 1] = L
        write_der_sig(buf, pos + 2, key, sig_a, sig_b, sigbits & 1)
    return pos + n


@njit(cache=True, nogil=True)
def write_witness(buf, pos, stype, addr, sigbits, key, sig_a, sig_b):
    if stype == ST_P2WPKH or stype == ST_P2SH:
        buf[pos] = 2
        L = sig_len(sigbits, 0)
        buf[pos + 1] = L
        p = write_der_sig(buf, pos + 2, key, sig_a, sig_b, sigbits & 1)
        buf[p] = 33
        return write_pubkey(buf, p + 1, key, addr, 0)
    if stype == ST_P2TR:
        buf[pos] = 1
        buf[pos + 1] = 64
        return write_words(buf, pos + 2, key, sig_a, sig_b, 64)
    if stype == ST_P2WSH:
        buf[pos] = 4
        buf[pos + 1] = 0
        p = pos + 2
        for k in range(2):
            L = sig_len(sigbits, k)
            buf[p] = L
            p = write_der_sig(buf, p + 1, key, sig_a, sig_b + 16 * k, (sigbits >> k) & 1)
        buf[p] = WSCRIPT_LEN
        return write_witness_script(buf, p + 1, key, addr)
    buf[pos] = 0
    return pos + 1
