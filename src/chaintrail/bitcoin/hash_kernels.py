"""SHA-256, SHA-256d, RIPEMD-160 and HASH160 as numba kernels over slices of
uint8 buffers, so bulk code (txids, key hashes, address checksums) hashes
bytes where they lie. The pure-Python twins are ``hashlib`` (see
``chaintrail.bitcoin.hashing``).

Words are uint32 and every expression is cut back with ``uint32(...)``:
numba widens integer arithmetic to 64 bits, and an int64 operand in an
unsigned expression would turn it into float64.

Every ``*_into`` kernel writes its digest to ``out[out_off:out_off + size]``.
The ``*_with`` variants take caller-owned scratch from ``new_scratch()`` so
hot loops allocate nothing per hash. The ``*_lanes`` kernels run LANES
independent one-block compressions side by side, which LLVM vectorises
(about 5x the scalar rate on AVX2): bulk short messages such as base58check
checksums go through them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint32

#: Messages hashed side by side by the ``*_lanes`` kernels (two AVX2 vectors of uint32).
LANES = 16

_K256 = np.array([
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
], dtype=np.uint32)

_H256 = np.array([
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
], dtype=np.uint32)

# RIPEMD-160: message word order, rotation amounts and constants of the two lines.
_RL = np.array([
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
], dtype=np.int64)
_RR = np.array([
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
], dtype=np.int64)
_SL = np.array([
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
], dtype=np.int64)
_SR = np.array([
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
], dtype=np.int64)
_KL = np.array([0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E], dtype=np.uint32)
_KR = np.array([0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000], dtype=np.uint32)
_H160 = np.array([0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0], dtype=np.uint32)


# --------------------------------------------------------------------------- SHA-256, one message


@njit(cache=True, nogil=True, inline="always")
def _rotr(x: np.uint32, n: int) -> np.uint32:
    return uint32((x >> uint32(n)) | (x << uint32(32 - n)))


@njit(cache=True, nogil=True, inline="always")
def _rotl(x: np.uint32, n: int) -> np.uint32:
    return uint32((x << uint32(n)) | (x >> uint32(32 - n)))


@njit(cache=True, nogil=True)
def new_scratch() -> tuple[np.ndarray, np.ndarray]:
    """Scratch (state: uint32[8], w: uint32[64]) for the ``*_with`` kernels."""
    return np.empty(8, np.uint32), np.empty(64, np.uint32)


@njit(cache=True, nogil=True)
def sha256_init(state: np.ndarray) -> None:
    """Load the SHA-256 initial hash value into ``state``."""
    for k in range(8):
        state[k] = _H256[k]


@njit(cache=True, nogil=True)
def sha256_compress(state: np.ndarray, w: np.ndarray) -> None:
    """One SHA-256 compression of the 16 message words ``w[0:16]`` into ``state``."""
    for t in range(16, 64):
        x = w[t - 15]
        y = w[t - 2]
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ uint32(x >> uint32(3))
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ uint32(y >> uint32(10))
        w[t] = uint32(w[t - 16] + s0 + w[t - 7] + s1)
    a = state[0]
    b = state[1]
    c = state[2]
    d = state[3]
    e = state[4]
    f = state[5]
    g = state[6]
    h = state[7]
    for t in range(64):
        s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
        ch = uint32((e & f) ^ (~e & g))
        t1 = uint32(h + s1 + ch + _K256[t] + w[t])
        s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
        maj = uint32((a & b) ^ (c & (a ^ b)))
        h = g
        g = f
        f = e
        e = uint32(d + t1)
        d = c
        c = b
        b = a
        a = uint32(t1 + s0 + maj)
    state[0] = uint32(state[0] + a)
    state[1] = uint32(state[1] + b)
    state[2] = uint32(state[2] + c)
    state[3] = uint32(state[3] + d)
    state[4] = uint32(state[4] + e)
    state[5] = uint32(state[5] + f)
    state[6] = uint32(state[6] + g)
    state[7] = uint32(state[7] + h)


@njit(cache=True, nogil=True, inline="always")
def load_be32(buf: np.ndarray, p: int) -> np.uint32:
    """The big-endian 32-bit word at ``buf[p:p+4]``."""
    return uint32((uint32(buf[p]) << uint32(24)) | (uint32(buf[p + 1]) << uint32(16))
                  | (uint32(buf[p + 2]) << uint32(8)) | uint32(buf[p + 3]))


@njit(cache=True, nogil=True, inline="always")
def _load_le(buf: np.ndarray, p: int) -> np.uint32:
    """The little-endian 32-bit word at ``buf[p:p+4]``."""
    return uint32(uint32(buf[p]) | (uint32(buf[p + 1]) << uint32(8))
                  | (uint32(buf[p + 2]) << uint32(16)) | (uint32(buf[p + 3]) << uint32(24)))


@njit(cache=True, nogil=True, inline="always")
def _bswap(v: np.uint32) -> np.uint32:
    return uint32((v << uint32(24)) | ((v & uint32(0xFF00)) << uint32(8))
                  | ((v >> uint32(8)) & uint32(0xFF00)) | (v >> uint32(24)))


@njit(cache=True, nogil=True, inline="always")
def _put_be(w: np.ndarray, pos: int, byte: np.uint8) -> None:
    """OR one byte into a big-endian word array at byte position ``pos``."""
    w[pos >> 2] |= uint32(uint32(byte) << uint32(24 - 8 * (pos & 3)))


@njit(cache=True, nogil=True)
def sha256_3_with(buf: np.ndarray, o1: int, n1: int, o2: int, n2: int, o3: int, n3: int,
                  state: np.ndarray, w: np.ndarray) -> None:
    """SHA-256 of buf[o1:o1+n1] | buf[o2:o2+n2] | buf[o3:o3+n3], left in ``state``.

    Whole 64-byte blocks are compressed straight from ``buf``; only blocks that
    straddle a segment boundary, and the padded tail, are assembled in ``w``.
    """
    sha256_init(state)
    fill = 0  # bytes of the current partial block already in w[0:16]
    for seg in range(3):
        if seg == 0:
            o, n = o1, n1
        elif seg == 1:
            o, n = o2, n2
        else:
            o, n = o3, n3
        i = 0
        while i < n:
            if fill == 0 and n - i >= 64:
                for k in range(16):
                    w[k] = load_be32(buf, o + i + 4 * k)
                sha256_compress(state, w)
                i += 64
                continue
            if fill == 0:
                w[:16] = 0
            _put_be(w, fill, buf[o + i])
            fill += 1
            i += 1
            if fill == 64:
                sha256_compress(state, w)
                fill = 0
    if fill == 0:
        w[:16] = 0
    _put_be(w, fill, 0x80)
    if fill >= 56:
        sha256_compress(state, w)
        w[:16] = 0
    bits = (n1 + n2 + n3) * 8
    w[14] = uint32(bits >> 32)
    w[15] = uint32(bits & 0xFFFFFFFF)
    sha256_compress(state, w)


@njit(cache=True, nogil=True)
def sha256_rehash(state: np.ndarray, w: np.ndarray) -> None:
    """Replace a finished SHA-256 ``state`` by the SHA-256 of its 32-byte digest."""
    for k in range(8):
        w[k] = state[k]
    w[8] = 0x80000000
    w[9:15] = 0
    w[15] = 256
    sha256_init(state)
    sha256_compress(state, w)


@njit(cache=True, nogil=True)
def sha256_store(state: np.ndarray, out: np.ndarray, out_off: int) -> None:
    """Write a SHA-256 state as its 32-byte big-endian digest."""
    for k in range(8):
        v = state[k]
        p = out_off + 4 * k
        out[p] = v >> uint32(24)
        out[p + 1] = (v >> uint32(16)) & uint32(0xFF)
        out[p + 2] = (v >> uint32(8)) & uint32(0xFF)
        out[p + 3] = v & uint32(0xFF)


@njit(cache=True, nogil=True)
def sha256_into(buf: np.ndarray, off: int, n: int, out: np.ndarray, out_off: int) -> None:
    """SHA-256 of ``buf[off:off+n]``."""
    state, w = new_scratch()
    sha256_3_with(buf, off, n, 0, 0, 0, 0, state, w)
    sha256_store(state, out, out_off)


@njit(cache=True, nogil=True)
def sha256d_into(buf: np.ndarray, off: int, n: int, out: np.ndarray, out_off: int) -> None:
    """SHA-256d of ``buf[off:off+n]`` (txids, block hashes, base58 checksums)."""
    state, w = new_scratch()
    sha256_3_with(buf, off, n, 0, 0, 0, 0, state, w)
    sha256_rehash(state, w)
    sha256_store(state, out, out_off)


@njit(cache=True, nogil=True)
def sha256_3_into(buf: np.ndarray, o1: int, n1: int, o2: int, n2: int, o3: int, n3: int,
                  out: np.ndarray, out_off: int) -> None:
    """SHA-256 of the concatenation of up to three slices of one buffer (n=0 skips one)."""
    state, w = new_scratch()
    sha256_3_with(buf, o1, n1, o2, n2, o3, n3, state, w)
    sha256_store(state, out, out_off)


@njit(cache=True, nogil=True)
def sha256d_3_into(buf: np.ndarray, o1: int, n1: int, o2: int, n2: int, o3: int, n3: int,
                   out: np.ndarray, out_off: int) -> None:
    """SHA-256d of up to three slices: a SegWit txid is version | ins+outs | locktime."""
    state, w = new_scratch()
    sha256_3_with(buf, o1, n1, o2, n2, o3, n3, state, w)
    sha256_rehash(state, w)
    sha256_store(state, out, out_off)


@njit(cache=True, nogil=True)
def sha256d_many(buf: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
                 out: np.ndarray) -> None:
    """out[i] = SHA-256d of buf[offsets[i]:offsets[i]+lengths[i]]; out is uint8[n, 32]."""
    state, w = new_scratch()
    for i in range(offsets.shape[0]):
        sha256_3_with(buf, offsets[i], lengths[i], 0, 0, 0, 0, state, w)
        sha256_rehash(state, w)
        sha256_store(state, out[i], 0)


@njit(cache=True, nogil=True, parallel=True)
def sha256d_many_parallel(buf: np.ndarray, offsets: np.ndarray, lengths: np.ndarray,
                          out: np.ndarray) -> None:
    """``sha256d_many`` spread over numba's threads in contiguous chunks."""
    n = offsets.shape[0]
    chunks = max(1, min(n, 512))
    for c in prange(chunks):
        state, w = new_scratch()
        for i in range(n * c // chunks, n * (c + 1) // chunks):
            sha256_3_with(buf, offsets[i], lengths[i], 0, 0, 0, 0, state, w)
            sha256_rehash(state, w)
            sha256_store(state, out[i], 0)


# ------------------------------------------------------------------ SHA-256, LANES messages
#
# Lane kernels keep message schedule and working variables in one flat
# ``work`` array, word k of lane j at work[k * LANES + j]: rows 0..63 are the
# schedule, rows 64..71 the variables a..h. Flat indices with constant row
# offsets let LLVM prove the rows apart and vectorise the lane loops without
# run-time overlap checks. The variables rotate roles instead of moving: the
# eight rounds of ``sha256_lanes_compress`` name their rows as literals.

_V = 64  # first row of the working variables in ``work``


@njit(cache=True, nogil=True)
def new_lane_scratch() -> tuple[np.ndarray, np.ndarray]:
    """Scratch (state: uint32[8, LANES], work: uint32[72 * LANES]) for the lane kernels."""
    return np.empty((8, LANES), np.uint32), np.empty(72 * LANES, np.uint32)


@njit(cache=True, nogil=True, inline="always")
def _round_lanes(work: np.ndarray, t: int, ia: int, ib: int, ic: int, id_: int,
                 ie: int, if_: int, ig: int, ih: int) -> None:
    k = _K256[t]
    for lane in range(LANES):
        a = work[(_V + ia) * LANES + lane]
        b = work[(_V + ib) * LANES + lane]
        c = work[(_V + ic) * LANES + lane]
        e = work[(_V + ie) * LANES + lane]
        f = work[(_V + if_) * LANES + lane]
        g = work[(_V + ig) * LANES + lane]
        s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
        ch = uint32((e & f) ^ (~e & g))
        t1 = uint32(work[(_V + ih) * LANES + lane] + s1 + ch + k + work[t * LANES + lane])
        s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
        maj = uint32((a & b) ^ (c & (a ^ b)))
        work[(_V + id_) * LANES + lane] = uint32(work[(_V + id_) * LANES + lane] + t1)
        work[(_V + ih) * LANES + lane] = uint32(t1 + s0 + maj)


@njit(cache=True, nogil=True)
def sha256_lanes_init(state: np.ndarray) -> None:
    """Load the SHA-256 initial hash value into every lane of ``state``."""
    for k in range(8):
        for lane in range(LANES):
            state[k, lane] = _H256[k]


@njit(cache=True, nogil=True)
def sha256_lanes_compress(state: np.ndarray, work: np.ndarray) -> None:
    """One SHA-256 compression per lane of message words work[k * LANES + lane], k < 16."""
    for t in range(16, 64):
        for lane in range(LANES):
            x = work[(t - 15) * LANES + lane]
            y = work[(t - 2) * LANES + lane]
            s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ uint32(x >> uint32(3))
            s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ uint32(y >> uint32(10))
            work[t * LANES + lane] = uint32(work[(t - 16) * LANES + lane] + s0
                                            + work[(t - 7) * LANES + lane] + s1)
    for k in range(8):
        for lane in range(LANES):
            work[(_V + k) * LANES + lane] = state[k, lane]
    for t in range(0, 64, 8):
        _round_lanes(work, t, 0, 1, 2, 3, 4, 5, 6, 7)
        _round_lanes(work, t + 1, 7, 0, 1, 2, 3, 4, 5, 6)
        _round_lanes(work, t + 2, 6, 7, 0, 1, 2, 3, 4, 5)
        _round_lanes(work, t + 3, 5, 6, 7, 0, 1, 2, 3, 4)
        _round_lanes(work, t + 4, 4, 5, 6, 7, 0, 1, 2, 3)
        _round_lanes(work, t + 5, 3, 4, 5, 6, 7, 0, 1, 2)
        _round_lanes(work, t + 6, 2, 3, 4, 5, 6, 7, 0, 1)
        _round_lanes(work, t + 7, 1, 2, 3, 4, 5, 6, 7, 0)
    for k in range(8):
        for lane in range(LANES):
            state[k, lane] = uint32(state[k, lane] + work[(_V + k) * LANES + lane])


@njit(cache=True, nogil=True)
def sha256_lanes_rehash(state: np.ndarray, work: np.ndarray) -> None:
    """Replace each lane's finished SHA-256 by the SHA-256 of its 32-byte digest."""
    for k in range(8):
        for lane in range(LANES):
            work[k * LANES + lane] = state[k, lane]
    work[8 * LANES:16 * LANES] = 0
    for lane in range(LANES):
        work[8 * LANES + lane] = 0x80000000
        work[15 * LANES + lane] = 256
    sha256_lanes_init(state)
    sha256_lanes_compress(state, work)


@njit(cache=True, nogil=True)
def sha256d_short_lanes(buf: np.ndarray, offsets: np.ndarray, n: int, state: np.ndarray,
                        work: np.ndarray) -> None:
    """SHA-256d of LANES messages buf[offsets[lane]:+n] of one length n <= 55, left in ``state``."""
    work[:16 * LANES] = 0
    for lane in range(LANES):
        o = offsets[lane]
        for j in range(n + 1):
            byte = buf[o + j] if j < n else 0x80
            work[(j >> 2) * LANES + lane] |= uint32(uint32(byte) << uint32(24 - 8 * (j & 3)))
        work[15 * LANES + lane] = n * 8
    sha256_lanes_init(state)
    sha256_lanes_compress(state, work)
    sha256_lanes_rehash(state, work)


# --------------------------------------------------------------------------- RIPEMD-160


@njit(cache=True, nogil=True)
def ripemd160_compress(h: np.ndarray, x: np.ndarray) -> None:
    """One RIPEMD-160 compression of the 16 little-endian words ``x[0:16]`` into ``h``."""
    al, bl, cl, dl, el = h[0], h[1], h[2], h[3], h[4]
    ar, br, cr, dr, er = al, bl, cl, dl, el
    for j in range(80):
        rnd = j >> 4
        if rnd == 0:
            fl = bl ^ cl ^ dl
            fr = br ^ (cr | ~dr)
        elif rnd == 1:
            fl = (bl & cl) | (~bl & dl)
            fr = (br & dr) | (cr & ~dr)
        elif rnd == 2:
            fl = (bl | ~cl) ^ dl
            fr = (br | ~cr) ^ dr
        elif rnd == 3:
            fl = (bl & dl) | (cl & ~dl)
            fr = (br & cr) | (~br & dr)
        else:
            fl = bl ^ (cl | ~dl)
            fr = br ^ cr ^ dr
        t = uint32(_rotl(uint32(al + uint32(fl) + x[_RL[j]] + _KL[rnd]), _SL[j]) + el)
        al = el
        el = dl
        dl = _rotl(cl, 10)
        cl = bl
        bl = t
        t = uint32(_rotl(uint32(ar + uint32(fr) + x[_RR[j]] + _KR[rnd]), _SR[j]) + er)
        ar = er
        er = dr
        dr = _rotl(cr, 10)
        cr = br
        br = t
    t = uint32(h[1] + cl + dr)
    h[1] = uint32(h[2] + dl + er)
    h[2] = uint32(h[3] + el + ar)
    h[3] = uint32(h[4] + al + br)
    h[4] = uint32(h[0] + bl + cr)
    h[0] = t


@njit(cache=True, nogil=True)
def ripemd160_with(buf: np.ndarray, off: int, n: int, h: np.ndarray, x: np.ndarray) -> None:
    """RIPEMD-160 of ``buf[off:off+n]``, left in ``h[0:5]``; ``x`` is uint32[16+] scratch."""
    for k in range(5):
        h[k] = _H160[k]
    i = 0
    while n - i >= 64:
        for k in range(16):
            x[k] = _load_le(buf, off + i + 4 * k)
        ripemd160_compress(h, x)
        i += 64
    x[:16] = 0
    rest = n - i
    for k in range(rest + 1):
        byte = buf[off + i + k] if k < rest else 0x80
        x[k >> 2] |= uint32(uint32(byte) << uint32(8 * (k & 3)))
    if rest >= 56:
        ripemd160_compress(h, x)
        x[:16] = 0
    bits = n * 8
    x[14] = uint32(bits & 0xFFFFFFFF)
    x[15] = uint32(bits >> 32)
    ripemd160_compress(h, x)


@njit(cache=True, nogil=True)
def ripemd160_store(h: np.ndarray, out: np.ndarray, out_off: int) -> None:
    """Write a RIPEMD-160 state as its 20-byte little-endian digest."""
    for k in range(5):
        v = h[k]
        p = out_off + 4 * k
        out[p] = v & uint32(0xFF)
        out[p + 1] = (v >> uint32(8)) & uint32(0xFF)
        out[p + 2] = (v >> uint32(16)) & uint32(0xFF)
        out[p + 3] = v >> uint32(24)


@njit(cache=True, nogil=True)
def ripemd160_into(buf: np.ndarray, off: int, n: int, out: np.ndarray, out_off: int) -> None:
    """RIPEMD-160 of ``buf[off:off+n]``."""
    state, w = new_scratch()
    ripemd160_with(buf, off, n, state, w)
    ripemd160_store(state, out, out_off)


@njit(cache=True, nogil=True)
def hash160_with(buf: np.ndarray, off: int, n: int, state: np.ndarray, w: np.ndarray,
                 out: np.ndarray, out_off: int) -> None:
    """RIPEMD-160(SHA-256(buf[off:off+n])) into ``out``, using caller scratch."""
    sha256_3_with(buf, off, n, 0, 0, 0, 0, state, w)
    # The 32-byte SHA-256 digest is exactly RIPEMD's one-block message: its
    # little-endian words are the big-endian state words byte-swapped.
    for k in range(8):
        w[k] = _bswap(state[k])
    w[8] = 0x80
    w[9:16] = 0
    w[14] = 256
    for k in range(5):
        state[k] = _H160[k]
    ripemd160_compress(state, w)
    ripemd160_store(state, out, out_off)


@njit(cache=True, nogil=True)
def hash160_into(buf: np.ndarray, off: int, n: int, out: np.ndarray, out_off: int) -> None:
    """HASH160 = RIPEMD-160(SHA-256(x)): the key and script hashes of addresses."""
    state, w = new_scratch()
    hash160_with(buf, off, n, state, w, out, out_off)
