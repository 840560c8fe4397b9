"""Hash functions of Bitcoin and the byte-order convention of hashes."""

from __future__ import annotations

import hashlib


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    """SHA-256 applied twice: txids, block hashes, merkle nodes, base58 checksums."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: the 20-byte key and script hashes of addresses."""
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def hash_to_hex(h: bytes) -> str:
    """Internal byte order -> the display order explorers print (reversed)."""
    return h[::-1].hex()


def hex_to_hash(s: str) -> bytes:
    """Display-order hex -> internal byte order."""
    return bytes.fromhex(s)[::-1]
