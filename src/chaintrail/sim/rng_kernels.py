"""Deterministic random numbers for the simulator's numba kernels.

A SplitMix64 stream (state: ``uint64[1]``) seeded from the simulation's
single ``numpy.random.Generator``, plus a stateless mixer that derives key
material and signature bytes from (key, counter) pairs so that the same
address always shows the same public key without storing it.

Pure-Python twins (``py_next_u64``, ``py_mix``) are used by the tests.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
K2 = np.uint64(0xD1B54A32D192ED03)
K3 = np.uint64(0x8CB92BA72F3D8DD7)
S30 = np.uint64(30)
S27 = np.uint64(27)
S31 = np.uint64(31)
S11 = np.uint64(11)
INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, nogil=True)
def _fmix(z):
    z = (z ^ (z >> S30)) * M1
    z = (z ^ (z >> S27)) * M2
    return z ^ (z >> S31)


@njit(cache=True, nogil=True)
def next_u64(s):
    """Next 64-bit value of the SplitMix64 stream in ``s[0]``."""
    s[0] = s[0] + GOLDEN
    return _fmix(s[0])


@njit(cache=True, nogil=True)
def mix(key, a, b):
    """Stateless 64-bit hash of (key, a, b): key material and signature bytes."""
    z = np.uint64(key) + np.uint64(a) * GOLDEN + np.uint64(b) * K2 + K3
    return _fmix(_fmix(z) ^ np.uint64(b))


@njit(cache=True, nogil=True)
def rand01(s):
    """Uniform float in [0, 1)."""
    return np.float64(next_u64(s) >> S11) * INV53


@njit(cache=True, nogil=True)
def randint(s, n):
    """Uniform integer in [0, n) (n >= 1)."""
    return np.int64(next_u64(s) % np.uint64(n))


@njit(cache=True, nogil=True)
def normal(s):
    u1 = rand01(s)
    u2 = rand01(s)
    if u1 < 1e-300:
        u1 = 1e-300
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


@njit(cache=True, nogil=True)
def lognormal(s, median, sigma):
    return median * math.exp(sigma * normal(s))


@njit(cache=True, nogil=True)
def chance(s, p):
    return rand01(s) < p


@njit(cache=True, nogil=True)
def poisson(s, lam):
    """Small-mean Poisson draw (Knuth); lam is capped at 30."""
    if lam > 30.0:
        lam = 30.0
    limit = math.exp(-lam)
    k = 0
    p = rand01(s)
    while p > limit:
        k += 1
        p *= rand01(s)
    return k


# --------------------------------------------------------------------------- Python twins

_MASK = (1 << 64) - 1


def _py_fmix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def py_next_u64(state: list[int]) -> int:
    state[0] = (state[0] + 0x9E3779B97F4A7C15) & _MASK
    return _py_fmix(state[0])


def py_mix(key: int, a: int, b: int) -> int:
    z = (key + a * 0x9E3779B97F4A7C15 + b * 0xD1B54A32D192ED03 + 0x8CB92BA72F3D8DD7) & _MASK
    return _py_fmix(_py_fmix(z) ^ b)
