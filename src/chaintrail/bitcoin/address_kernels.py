"""Addresses of classified outputs in bulk: the numba twin of
``address.address_from_payload``, writing Arrow string-array buffers.

Base58check rows are encoded LANES at a time, a chunk of rows ahead of
the rows being written in order: their checksums through ``hash_kernels``'
lane kernels, their base58 by dividing 32-bit limbs by 58**5 (five digits
a pass, no bignums), lanes interleaved so the divisions overlap. Bech32
continues a checksum state precomputed for the network's hrp.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit, uint32

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address import (
    BASE58_ALPHABET,
    BECH32_CHARSET,
    Encoding,
    bech32_polymod_step,
)
from chaintrail.bitcoin.hash_kernels import LANES, load_be32, new_lane_scratch, sha256d_short_lanes
from chaintrail.bitcoin.networks import Network

_B58 = np.frombuffer(BASE58_ALPHABET.encode(), np.uint8).copy()
_B32 = np.frombuffer(BECH32_CHARSET.encode(), np.uint8).copy()
# What the bits leaving the checksum state contribute (the checksum is linear):
# after one step, from its top 5 bits; after two steps, from its top 10.
_GEN_TABLE = np.array([bech32_polymod_step(b << 25, 0) for b in range(32)], dtype=np.int64)
_GEN_TABLE2 = np.array(
    [bech32_polymod_step(bech32_polymod_step(x << 20, 0), 0) for x in range(1024)], dtype=np.int64)
_BECH32 = int(Encoding.BECH32)
_BECH32M = int(Encoding.BECH32M)
_B58_CHUNK = np.uint64(58 ** 5)  # largest power of 58 below 2**32
_U3364 = np.uint64(58 * 58)
_U32 = np.uint64(32)
# The two base58 digits (low, high) of every number below 58**2.
_PAIR_LO = (np.arange(58 * 58) % 58).astype(np.uint8)
_PAIR_HI = (np.arange(58 * 58) // 58).astype(np.uint8)

_P2PK = st.P2PK
_P2PKH = st.P2PKH
_P2SH = st.P2SH
_P2WPKH = st.P2WPKH
_P2WSH = st.P2WSH
_P2TR = st.P2TR
_P2A = st.P2A
_WITNESS_UNKNOWN = st.WITNESS_UNKNOWN

_CHUNK = 1024  # rows whose base58 forms are staged before rows are written in order
_MAX_B58 = 35  # characters of the base58 form of 25 bytes, at most
_INT32_MAX = 2**31 - 1


@njit(cache=True, nogil=True, inline="always")
def _is_base58(t: int) -> bool:
    return t == _P2PK or t == _P2PKH or t == _P2SH


@njit(cache=True, nogil=True, inline="always")
def _is_segwit(t: int) -> bool:
    return t == _P2WPKH or t == _P2WSH or t == _P2TR or t == _P2A or t == _WITNESS_UNKNOWN


@njit(cache=True, nogil=True)
def _segwit_version(t: int, wver: int, plen: int, row: np.ndarray) -> int:
    """Witness version a segwit row encodes with, or -1 when the row has no address."""
    if t == _P2WPKH:
        return 0 if plen == 20 else -1
    if t == _P2WSH:
        return 0 if plen == 32 else -1
    if t == _P2TR:
        return 1 if plen == 32 else -1
    if t == _P2A:
        return 1 if plen == 2 and row[0] == 0x4E and row[1] == 0x73 else -1
    if t == _WITNESS_UNKNOWN:
        if wver > 16 or plen < 2 or plen > 40 or (wver == 0 and plen != 20 and plen != 32):
            return -1
        return wver
    return -1


@njit(cache=True, nogil=True, inline="always")
def _polymod_step(chk: int, v: int) -> int:
    return (((chk & 0x1FFFFFF) << 5) ^ v) ^ _GEN_TABLE[chk >> 25]


@njit(cache=True, nogil=True)
def _hrp_state(hrp: np.ndarray) -> int:
    """Bech32 checksum state after the expanded hrp: shared by every address of a network."""
    chk = 1
    for c in hrp:
        chk = _polymod_step(chk, c >> 5)
    chk = _polymod_step(chk, 0)
    for c in hrp:
        chk = _polymod_step(chk, c & 31)
    return chk


@njit(cache=True, nogil=True, inline="always")
def _polymod_step2(chk: int, v1: int, v2: int) -> int:
    return ((chk & 0xFFFFF) << 10) ^ (v1 << 5) ^ v2 ^ _GEN_TABLE2[chk >> 20]


@njit(cache=True, nogil=True)
def _write_bech32(out: np.ndarray, pos: int, hrp: np.ndarray, hrp_chk: int, version: int,
                  row: np.ndarray, plen: int, vals: np.ndarray) -> int:
    """Write the segwit address of (version, row[:plen]) at out[pos]; returns its length.

    ``vals`` (uint8[72]) receives the 5-bit values: version, program, six zeros.
    """
    vals[0] = version
    nv = 1
    k = 0
    while k + 5 <= plen:  # 5 bytes are exactly 8 values
        x = ((np.int64(row[k]) << 32) | (np.int64(row[k + 1]) << 24) | (np.int64(row[k + 2]) << 16)
             | (np.int64(row[k + 3]) << 8) | np.int64(row[k + 4]))
        for j in range(8):
            vals[nv + j] = (x >> (35 - 5 * j)) & 31
        nv += 8
        k += 5
    if k < plen:  # 1 to 4 bytes left: zero-pad them to whole values
        x = 0
        for j in range(k, plen):
            x = (x << 8) | np.int64(row[j])
        bits = 8 * (plen - k)
        n_last = (bits + 4) // 5
        x <<= 5 * n_last - bits
        for j in range(n_last):
            vals[nv + j] = (x >> (5 * (n_last - 1 - j))) & 31
        nv += n_last
    ndata = nv
    for j in range(6):
        vals[nv + j] = 0
    nv += 6
    chk = hrp_chk
    k = nv & 1
    if k:
        chk = _polymod_step(chk, vals[0])
    while k < nv:
        chk = _polymod_step2(chk, vals[k], vals[k + 1])
        k += 2
    chk ^= _BECH32 if version == 0 else _BECH32M
    start = pos
    for c in hrp:
        out[pos] = c
        pos += 1
    out[pos] = 0x31  # '1'
    pos += 1
    for k in range(ndata):
        out[pos + k] = _B32[vals[k]]
    pos += ndata
    for k in range(6):
        out[pos + k] = _B32[(chk >> (5 * (5 - k))) & 31]
    return pos + 6 - start


@njit(cache=True, nogil=True)
def _base58_lanes(limbs: np.ndarray, digits: np.ndarray, rem: np.ndarray) -> None:
    """digits[:, lane] = the 35 base58 digits (least significant first) of limbs[:, lane].

    limbs[7, LANES] hold 200-bit numbers as 32-bit big-endian limbs (the top
    one 8 bits). Each pass divides by 58**5; after p passes the top p limbs
    are zero, so they are skipped. Lanes are independent chains of
    divisions, which the CPU overlaps.
    """
    for p in range(7):
        rem[:] = 0
        for k in range(p, 7):
            for lane in range(LANES):
                cur = (rem[lane] << _U32) | limbs[k, lane]
                q = cur // _B58_CHUNK
                rem[lane] = cur - q * _B58_CHUNK
                limbs[k, lane] = q
        d = 5 * p
        for lane in range(LANES):
            r = rem[lane]  # five digits: two pairs by table, then the top one
            hi = r // _U3364
            lo = r - hi * _U3364
            top = hi // _U3364
            mid = hi - top * _U3364
            digits[d, lane] = _PAIR_LO[lo]
            digits[d + 1, lane] = _PAIR_HI[lo]
            digits[d + 2, lane] = _PAIR_LO[mid]
            digits[d + 3, lane] = _PAIR_HI[mid]
            digits[d + 4, lane] = top


@njit(cache=True, nogil=True)
def _spell_base58(msg: np.ndarray, o: int, checksum: np.uint32, digits: np.ndarray, lane: int,
                  out: np.ndarray) -> int:
    """Write the base58 text of msg[o:o+21] | checksum to ``out``; returns its length."""
    zeros = 0  # leading zero bytes, each written as '1'
    while zeros < 21 and msg[o + zeros] == 0:
        zeros += 1
    while zeros >= 21 and zeros < 25 and (checksum >> uint32(8 * (24 - zeros))) & uint32(0xFF) == 0:
        zeros += 1
    nd = _MAX_B58
    while nd > 0 and digits[nd - 1, lane] == 0:
        nd -= 1
    for k in range(zeros):
        out[k] = 0x31  # '1'
    for k in range(nd):
        out[zeros + k] = _B58[digits[nd - 1 - k, lane]]
    return zeros + nd


@njit(cache=True, nogil=True)
def _lane_scratch() -> tuple:
    """Scratch of one lane batch: hash state, message bytes and offsets, rows, limbs, digits."""
    state, work = new_lane_scratch()
    return (state, work, np.empty(LANES * 21, np.uint8), np.arange(LANES) * 21,
            np.empty(LANES, np.int64), np.empty((7, LANES), np.uint64),
            np.empty((_MAX_B58, LANES), np.uint8), np.empty(LANES, np.uint64),
            np.empty((_CHUNK, _MAX_B58), np.uint8), np.empty(_CHUNK, np.int64))


@njit(cache=True, nogil=True)
def _encode_lanes(nl: int, lo: int, scratch: tuple) -> None:
    """Base58check the first ``nl`` lane messages into their staged rows (other lanes are stale)."""
    state, work, msg, lane_off, lane_row, limbs, digits, rem, staged, staged_len = scratch
    sha256d_short_lanes(msg, lane_off, 21, state, work)
    for lane in range(LANES):
        o = lane_off[lane]
        limbs[0, lane] = msg[o]
        for k in range(5):
            limbs[1 + k, lane] = load_be32(msg, o + 1 + 4 * k)
        limbs[6, lane] = state[0, lane]
    _base58_lanes(limbs, digits, rem)
    for lane in range(nl):
        r = lane_row[lane] - lo
        staged_len[r] = _spell_base58(msg, lane_off[lane], state[0, lane], digits, lane, staged[r])


@njit(cache=True, nogil=True)
def _stage_base58(stype: np.ndarray, plen: np.ndarray, payload: np.ndarray, lo: int, hi: int,
                  p2pkh_prefix: int, p2sh_prefix: int, scratch: tuple) -> None:
    """Encode the base58check rows among lo..hi into the staged rows i - lo, LANES at a time."""
    msg, lane_off, lane_row = scratch[2], scratch[3], scratch[4]
    nl = 0
    for i in range(lo, hi):
        t = stype[i]
        if not (_is_base58(t) and plen[i] == 20):
            continue
        o = lane_off[nl]
        msg[o] = p2sh_prefix if t == _P2SH else p2pkh_prefix
        for k in range(20):
            msg[o + 1 + k] = payload[i, k]
        lane_row[nl] = i
        nl += 1
        if nl == LANES:
            _encode_lanes(nl, lo, scratch)
            nl = 0
    if nl:
        _encode_lanes(nl, lo, scratch)


@njit(cache=True, nogil=True)
def encode_addresses(stype: np.ndarray, wver: np.ndarray, plen: np.ndarray, payload: np.ndarray,
                     p2pkh_prefix: int, p2sh_prefix: int, hrp: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Addresses of classified rows in Arrow string layout: (offsets int32[n+1], data, valid).

    Row i is data[offsets[i]:offsets[i+1]]; rows without an address (and rows
    whose payload does not fit their type) are empty with valid[i] False.
    ``data`` may be longer than offsets[n]: base58 lengths are bounded, not
    known, before encoding.
    """
    n = stype.shape[0]
    cap = 0
    for i in range(n):
        t = stype[i]
        if _is_base58(t):
            cap += _MAX_B58
        elif _is_segwit(t):
            cap += hrp.shape[0] + 8 + (np.int64(plen[i]) * 8 + 4) // 5
    if cap > _INT32_MAX:
        raise ValueError("addresses exceed 2 GiB of text: encode them in smaller batches")
    data = np.empty(cap, np.uint8)
    offsets = np.empty(n + 1, np.int32)
    valid = np.zeros(n, np.bool_)
    hrp_chk = _hrp_state(hrp)
    scratch = _lane_scratch()
    staged, staged_len = scratch[8], scratch[9]
    vals = np.empty(72, np.uint8)
    pos = 0
    offsets[0] = 0
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        _stage_base58(stype, plen, payload, lo, hi, p2pkh_prefix, p2sh_prefix, scratch)
        for i in range(lo, hi):
            t = stype[i]
            if _is_base58(t):
                if plen[i] == 20:
                    for k in range(staged_len[i - lo]):
                        data[pos] = staged[i - lo, k]
                        pos += 1
                    valid[i] = True
            else:
                version = _segwit_version(t, wver[i], plen[i], payload[i])
                if version >= 0:
                    pos += _write_bech32(data, pos, hrp, hrp_chk, version, payload[i], plen[i],
                                         vals)
                    valid[i] = True
            offsets[i + 1] = pos
    return offsets, data, valid


def hrp_array(network: Network) -> np.ndarray:
    """The network's bech32 hrp as the uint8 array ``encode_addresses`` takes."""
    return np.frombuffer(network.hrp.encode("ascii"), np.uint8).copy()


def encode_addresses_arrow(stype: np.ndarray, wver: np.ndarray, plen: np.ndarray,
                           payload: np.ndarray, network: Network) -> pa.StringArray:
    """``encode_addresses`` as a pyarrow StringArray over its buffers (null where no address)."""
    offsets, data, valid = encode_addresses(
        stype, wver, plen, payload, network.p2pkh_prefix, network.p2sh_prefix, hrp_array(network)
    )
    n = len(valid)
    null_count = n - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if null_count else None
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap,
                                       null_count)
