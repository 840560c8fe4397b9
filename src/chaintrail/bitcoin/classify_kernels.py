"""Output script classification over a whole buffer of scripts: the numba twin
of ``script.classify_script``, run on every output of the chain.

Each script i is ``buf[off[i]:off[i] + length[i]]``. The kernel fills
``stype[i]`` (a ``script_types`` code), ``wver[i]`` (witness version),
``plen[i]`` and the row ``payload[i]``: the address payload in its first
``plen[i]`` bytes and zeros after, so rows compare as fixed-width keys.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.hash_kernels import hash160_with, new_scratch

_P2PK = st.P2PK
_P2PKH = st.P2PKH
_P2SH = st.P2SH
_P2WPKH = st.P2WPKH
_P2WSH = st.P2WSH
_P2TR = st.P2TR
_P2A = st.P2A
_MULTISIG = st.MULTISIG
_OP_RETURN = st.OP_RETURN
_WITNESS_UNKNOWN = st.WITNESS_UNKNOWN
_NONSTANDARD = st.NONSTANDARD

_OP_PUSHDATA1 = 0x4C
_OP_PUSHDATA2 = 0x4D
_OP_PUSHDATA4 = 0x4E
_OP_RESERVED = 0x50
_OP_1 = 0x51
_OP_16 = 0x60
_OP_RETURN_CODE = 0x6A
_OP_EQUAL = 0x87
_OP_CHECKSIG = 0xAC
_OP_CHECKMULTISIG = 0xAE


@njit(cache=True, nogil=True, inline="always")
def _valid_pubkey(buf: np.ndarray, o: int, size: int) -> bool:
    """Core's CPubKey::ValidSize on the key at buf[o:o+size]."""
    if size == 33:
        return buf[o] == 2 or buf[o] == 3
    if size == 65:
        return buf[o] == 4 or buf[o] == 6 or buf[o] == 7
    return False


@njit(cache=True, nogil=True)
def _push_only(buf: np.ndarray, i: int, end: int) -> bool:
    """True when every opcode in buf[i:end] is a data push."""
    while i < end:
        op = buf[i]
        i += 1
        if op < _OP_PUSHDATA1:
            size = np.int64(op)
        elif op == _OP_PUSHDATA1:
            if i + 1 > end:
                return False
            size = np.int64(buf[i])
            i += 1
        elif op == _OP_PUSHDATA2:
            if i + 2 > end:
                return False
            size = np.int64(buf[i]) | (np.int64(buf[i + 1]) << 8)
            i += 2
        elif op == _OP_PUSHDATA4:
            if i + 4 > end:
                return False
            size = (np.int64(buf[i]) | (np.int64(buf[i + 1]) << 8)
                    | (np.int64(buf[i + 2]) << 16) | (np.int64(buf[i + 3]) << 24))
            i += 4
        elif op <= _OP_16 and op != _OP_RESERVED:
            size = np.int64(0)
        else:
            return False
        if i + size > end:
            return False
        i += size
    return True


@njit(cache=True, nogil=True)
def _is_multisig(buf: np.ndarray, o: int, n: int) -> bool:
    """Bare m-of-n CHECKMULTISIG with valid-size keys, as ``script._match_multisig``."""
    if n < 3 or buf[o + n - 1] != _OP_CHECKMULTISIG:
        return False
    first = buf[o]
    last = buf[o + n - 2]
    if first < _OP_1 or first > _OP_16 or last < _OP_1 or last > _OP_16:
        return False
    i = 1
    keys = 0
    while i < n - 2:
        size = np.int64(buf[o + i])
        if (size != 33 and size != 65) or i + 1 + size > n - 2:
            return False
        if not _valid_pubkey(buf, o + i + 1, size):
            return False
        i += 1 + size
        keys += 1
    required = first - _OP_1 + 1
    return i == n - 2 and keys == last - _OP_1 + 1 and 1 <= required <= keys


@njit(cache=True, nogil=True, inline="always")
def _emit(row: np.ndarray, buf: np.ndarray, o: int, n: int) -> None:
    """Copy buf[o:o+n] to the start of a payload row and zero the rest."""
    for k in range(n):
        row[k] = buf[o + k]
    for k in range(n, row.shape[0]):
        row[k] = 0


@njit(cache=True, nogil=True)
def classify_scripts(buf: np.ndarray, off: np.ndarray, length: np.ndarray, stype: np.ndarray,
                     wver: np.ndarray, plen: np.ndarray, payload: np.ndarray) -> None:
    """Classify every script ``buf[off[i]:off[i]+length[i]]`` exactly as ``classify_script``.

    Outputs: stype/wver/plen uint8[n], payload uint8[n, 40] (see module docstring).
    """
    state, w = new_scratch()
    for i in range(off.shape[0]):
        o = off[i]
        n = length[i]
        row = payload[i]
        t = _NONSTANDARD
        v = 0
        p = 0
        b0 = buf[o] if n > 0 else 0
        if (n == 25 and b0 == 0x76 and buf[o + 1] == 0xA9 and buf[o + 2] == 0x14
                and buf[o + 23] == 0x88 and buf[o + 24] == 0xAC):
            t = _P2PKH
            p = 20
            _emit(row, buf, o + 3, 20)
        elif n == 23 and b0 == 0xA9 and buf[o + 1] == 0x14 and buf[o + 22] == _OP_EQUAL:
            t = _P2SH
            p = 20
            _emit(row, buf, o + 2, 20)
        elif (4 <= n <= 42 and (b0 == 0 or _OP_1 <= b0 <= _OP_16)
              and np.int64(buf[o + 1]) + 2 == n):
            version = 0 if b0 == 0 else b0 - _OP_1 + 1
            size = n - 2
            if version == 0:
                if size == 20:
                    t = _P2WPKH
                    p = 20
                elif size == 32:
                    t = _P2WSH
                    p = 32
            elif version == 1 and size == 32:
                t = _P2TR
                v = 1
                p = 32
            elif version == 1 and size == 2 and buf[o + 2] == 0x4E and buf[o + 3] == 0x73:
                t = _P2A
                v = 1
                p = 2
            else:
                t = _WITNESS_UNKNOWN
                v = version
                p = size
            _emit(row, buf, o + 2, p)
        elif ((n == 35 or n == 67) and b0 == n - 2 and buf[o + n - 1] == _OP_CHECKSIG
              and _valid_pubkey(buf, o + 1, n - 2)):
            t = _P2PK
            p = 20
            hash160_with(buf, o + 1, n - 2, state, w, row, 0)
            row[20:] = 0
        elif n >= 1 and b0 == _OP_RETURN_CODE and _push_only(buf, o + 1, o + n):
            t = _OP_RETURN
            row[:] = 0
        elif _is_multisig(buf, o, n):
            t = _MULTISIG
            row[:] = 0
        else:
            row[:] = 0
        stype[i] = t
        wver[i] = v
        plen[i] = p


def classify(buf: np.ndarray, off: np.ndarray, length: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Allocate the outputs and run ``classify_scripts``: (stype, wver, plen, payload)."""
    n = len(off)
    stype = np.empty(n, np.uint8)
    wver = np.empty(n, np.uint8)
    plen = np.empty(n, np.uint8)
    payload = np.empty((n, st.MAX_PAYLOAD), np.uint8)
    classify_scripts(np.ascontiguousarray(buf, np.uint8), np.ascontiguousarray(off, np.int64),
                     np.ascontiguousarray(length, np.int64), stype, wver, plen, payload)
    return stype, wver, plen, payload


def pack_scripts(scripts: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(buf, off, length) of a list of scripts laid end to end, for ``classify``."""
    length = np.fromiter((len(s) for s in scripts), np.int64, len(scripts))
    off = np.zeros(len(scripts), np.int64)
    np.cumsum(length[:-1], out=off[1:])
    buf = np.frombuffer(bytearray(b"".join(scripts)), np.uint8)
    return buf, off, length
