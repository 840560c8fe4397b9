"""Pure-Python twins of the simulator's script kernels: the key material,
address payloads and output scripts that ``script_kernels`` writes, derived
with ``hashlib`` and the Python SplitMix64 twin. Used by the tests only.
"""

from __future__ import annotations

import hashlib

from chaintrail.bitcoin import script_types as st
from chaintrail.sim.rng_kernels import py_mix


def _hash160(b: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest()


def words(key: int, a: int, b: int, n: int) -> bytes:
    out = bytearray()
    j = 0
    while len(out) < n:
        w = py_mix(key, a, b * 64 + j)
        j += 1
        out += w.to_bytes(8, "little")
    return bytes(out[:n])


def pubkey(key: int, addr: int, idx: int = 0) -> bytes:
    w = py_mix(key, addr, 1000 + idx)
    return bytes([2 + (w & 1)]) + words(key, addr, 2000 + idx, 32)


def witness_script(key: int, addr: int) -> bytes:
    body = b"".join(b"\x21" + pubkey(key, addr, i) for i in range(3))
    return b"\x52" + body + b"\x53\xae"


def bare_multisig(key: int, addr: int) -> bytes:
    body = b"".join(b"\x21" + pubkey(key, addr, i) for i in range(2))
    return b"\x51" + body + b"\x52\xae"


def payload(stype: int, key: int, addr: int) -> bytes:
    if stype in (st.P2PKH, st.P2WPKH):
        return _hash160(pubkey(key, addr))
    if stype == st.P2SH:
        return _hash160(b"\x00\x14" + _hash160(pubkey(key, addr)))
    if stype == st.P2WSH:
        return hashlib.sha256(witness_script(key, addr)).digest()
    if stype == st.P2TR:
        return words(key, addr, 3000, 32)
    return b""


def output_script(stype: int, key: int, addr: int) -> bytes:
    p = payload(stype, key, addr)
    if stype == st.P2PKH:
        return b"\x76\xa9\x14" + p + b"\x88\xac"
    if stype == st.P2SH:
        return b"\xa9\x14" + p + b"\x87"
    if stype == st.P2WPKH:
        return b"\x00\x14" + p
    if stype == st.P2WSH:
        return b"\x00\x20" + p
    if stype == st.P2TR:
        return b"\x51\x20" + p
    if stype == st.MULTISIG:
        return bare_multisig(key, addr)
    raise ValueError(f"no address script for type {stype}")
