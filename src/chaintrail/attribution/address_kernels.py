"""Bulk address checks over Arrow string buffers: is each string a valid
address of one network (base58check or bech32/bech32m, as
``bitcoin.address.decode_address`` decides), and a 64-bit hash of its
canonical spelling (bech32 lowercased) for screening lookups.

The kernels read an Arrow string array's offsets and data buffers where
they lie, a range of strings per call, without the GIL (the caller runs
ranges on threads); ``chaintrail.attribution.addresses`` wraps them for Arrow arrays
and explains the failures with the pure-Python decoder.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.bitcoin.native_hash import new_hash_scratch, sha256d3_into

_B58 = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"):
    _B58[_c] = _i
_BECH = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"qpzry9x8gf2tvdw0s3jn54khce6mua7l"):
    _BECH[_c] = _i
_GEN = np.array([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3], np.int64)
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3

HASH_SEED = np.uint64(0xCBF29CE484222325)
HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@njit(cache=True, nogil=True, inline="always")
def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


@njit(cache=True, nogil=True)
def _hash(data: np.ndarray, lo: int, hi: int, lowercase: bool) -> np.uint64:
    """The lookup hash of data[lo:hi] (optionally ASCII-lowercased), eight bytes a step.

    Each little-endian 8-byte word (the last one zero-padded) is XORed in and
    multiplied; the length and a final avalanche close it. ``addresses.lookup_hash``
    is the same function in Python.
    """
    h = HASH_SEED
    p = lo
    while p < hi:
        w = np.uint64(0)
        for k in range(min(8, hi - p)):
            c = data[p + k]
            if lowercase:
                c = _lower(c)
            w |= np.uint64(c) << np.uint64(8 * k)
        h = (h ^ w) * HASH_MUL
        h ^= h >> np.uint64(32)
        p += 8
    h = (h ^ np.uint64(hi - lo)) * HASH_MUL
    return h ^ (h >> np.uint64(29))


# the generator terms a BCH checksum step XORs in, for each value of its top five bits
_GEN_TABLE = np.zeros(32, np.int64)
for _top in range(32):
    for _k in range(5):
        if (_top >> _k) & 1:
            _GEN_TABLE[_top] ^= _GEN[_k]


@njit(cache=True, nogil=True, inline="always")
def _polymod_step(chk: int, v: int) -> int:
    return (((chk & 0x1FFFFFF) << 5) ^ v) ^ _GEN_TABLE[chk >> 25]


@njit(cache=True, nogil=True)
def _segwit_ok(data: np.ndarray, lo: int, hi: int, sep: int, hrp: np.ndarray) -> bool:
    """A bech32/bech32m segwit address with human-readable part ``hrp`` (sep: index of the last '1')."""
    n = hi - lo
    if n > 90:
        return False
    has_lower = False
    has_upper = False
    for p in range(lo, hi):
        c = data[p]
        if c < 33 or c > 126:
            return False
        if 97 <= c <= 122:
            has_lower = True
        elif 65 <= c <= 90:
            has_upper = True
    if has_lower and has_upper:
        return False
    if sep - lo != hrp.size:
        return False
    for k in range(hrp.size):
        if _lower(data[lo + k]) != hrp[k]:
            return False
    ndata = hi - sep - 1
    if ndata < 6:
        return False
    chk = 1
    for k in range(hrp.size):
        chk = _polymod_step(chk, hrp[k] >> 5)
    chk = _polymod_step(chk, 0)
    for k in range(hrp.size):
        chk = _polymod_step(chk, hrp[k] & 31)
    version = -1
    acc = 0
    bits = 0
    plen = 0
    for p in range(sep + 1, hi):
        v = _BECH[_lower(data[p])]
        if v < 0:
            return False
        chk = _polymod_step(chk, v)
        if p < hi - 6:
            if version < 0:
                version = v
            else:
                acc = ((acc << 5) | v) & 0xFFF
                bits += 5
                if bits >= 8:
                    bits -= 8
                    plen += 1
    if chk == BECH32_CONST:
        is_m = False
    elif chk == BECH32M_CONST:
        is_m = True
    else:
        return False
    if version < 0 or version > 16:
        return False
    if bits >= 5 or (acc & ((1 << bits) - 1)) != 0:
        return False
    if plen < 2 or plen > 40:
        return False
    if version == 0 and plen != 20 and plen != 32:
        return False
    return is_m == (version != 0)


@njit(cache=True, nogil=True)
def _base58_ok(data: np.ndarray, lo: int, hi: int, p2pkh: int, p2sh: int,
               limbs: np.ndarray, raw: np.ndarray, digest: np.ndarray, scratch: np.ndarray) -> bool:
    """A base58check string of 25 bytes whose version byte is p2pkh or p2sh."""
    if hi <= lo:
        return False
    limbs[:] = 0
    p = lo
    while p < hi and data[p] == 49:  # leading '1's stand for zero bytes
        p += 1
    zeros = p - lo
    # five digits at a time: limb * 58**5 + carry stays below 2**63
    while p < hi:
        k = min(5, hi - p)
        chunk = 0
        mult = 1
        for _ in range(k):
            d = _B58[data[p]]
            if d < 0:
                return False
            chunk = chunk * 58 + d
            mult *= 58
            p += 1
        carry = chunk
        for j in range(limbs.size - 1, -1, -1):
            carry += limbs[j] * mult
            limbs[j] = carry & 0xFFFFFFFF
            carry >>= 32
        if carry:
            return False  # more than 256 bits: far too long
    # the number's bytes, big-endian, without leading zero bytes
    nb = 0
    for j in range(limbs.size):
        if limbs[j]:
            w = limbs[j]
            lead = 0
            while w < (1 << 24):
                w <<= 8
                lead += 1
            nb = (limbs.size - j) * 4 - lead
            break
    if zeros + nb != 25:
        return False
    for k in range(25):
        byte_from_end = 24 - k
        j = limbs.size - 1 - byte_from_end // 4
        raw[k] = (limbs[j] >> (8 * (byte_from_end % 4))) & 0xFF
    sha256d3_into(raw, 0, 21, 0, 0, 0, 0, digest, 0, scratch)
    for k in range(4):
        if digest[k] != raw[21 + k]:
            return False
    return raw[0] == p2pkh or raw[0] == p2sh


@njit(cache=True, nogil=True)
def _bech32_prefix(data: np.ndarray, lo: int, hi: int, hrps: np.ndarray, hrp_len: np.ndarray) -> int:
    """Index of the last '1' when the text before it is one of the known hrps, else -1."""
    sep = -1
    for p in range(hi - 1, lo, -1):
        if data[p] == 49:
            sep = p
            break
    if sep < 0:
        return -1
    for h in range(hrp_len.size):
        if sep - lo != hrp_len[h]:
            continue
        same = True
        for k in range(hrp_len[h]):
            if _lower(data[lo + k]) != hrps[h, k]:
                same = False
                break
        if same:
            return sep
    return -1


@njit(cache=True, nogil=True)
def check_range(offsets: np.ndarray, data: np.ndarray, start: int, stop: int, p2pkh: int,
                p2sh: int, hrp: np.ndarray, hrps: np.ndarray, hrp_len: np.ndarray,
                valid: np.ndarray, hashes: np.ndarray) -> None:
    """valid[i] and hashes[i] for strings start..stop (validity for the network of p2pkh, p2sh, hrp)."""
    limbs = np.zeros(8, np.int64)
    raw = np.zeros(32, np.uint8)
    digest = np.zeros(32, np.uint8)
    scratch = new_hash_scratch()
    for i in range(start, stop):
        lo = offsets[i]
        hi = offsets[i + 1]
        sep = _bech32_prefix(data, lo, hi, hrps, hrp_len)
        if sep >= 0:
            valid[i] = _segwit_ok(data, lo, hi, sep, hrp)
            hashes[i] = _hash(data, lo, hi, True)
        else:
            valid[i] = _base58_ok(data, lo, hi, p2pkh, p2sh, limbs, raw, digest, scratch)
            hashes[i] = _hash(data, lo, hi, False)


@njit(cache=True, nogil=True)
def hash_range(offsets: np.ndarray, data: np.ndarray, start: int, stop: int, hrps: np.ndarray,
               hrp_len: np.ndarray, hashes: np.ndarray) -> None:
    """hashes[i] of the canonical spelling of strings start..stop, without validating them."""
    for i in range(start, stop):
        lo = offsets[i]
        hi = offsets[i + 1]
        hashes[i] = _hash(data, lo, hi, _bech32_prefix(data, lo, hi, hrps, hrp_len) >= 0)
