"""The two 64-bit lookup hashes of an address string in plain Python: the
reference twin of ``string_hash_kernels`` and the hash of single lookups
that must not pay for importing NumPy or numba (``chaintrail screen``)."""

from __future__ import annotations

M1 = 0x9E3779B97F4A7C15
M2 = 0xBF58476D1CE4E5B9
M3 = 0x94D049BB133111EB
SEED_A = 0x243F6A8885A308D3
SEED_B = 0x13198A2E03707344
_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    x = ((x ^ (x >> 30)) * M2) & _MASK
    x = ((x ^ (x >> 27)) * M3) & _MASK
    return x ^ (x >> 31)


def _one(data: bytes, seed: int) -> int:
    h = seed ^ len(data)
    i = 0
    while i + 8 <= len(data):
        h = _mix(h ^ ((int.from_bytes(data[i:i + 8], "little") * M1) & _MASK))
        i += 8
    rest = data[i:]
    w = int.from_bytes(rest, "little") if rest else 0
    return _mix(h ^ ((w * M1) & _MASK) ^ len(rest))


def string_hash_reference(s: str) -> tuple[int, int]:
    """(hash A, hash B) of a string, equal to ``hash_string_array`` on it."""
    data = s.encode()
    return _one(data, SEED_A), _one(data, SEED_B)
