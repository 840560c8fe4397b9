"""SHA-256d through OpenSSL's libcrypto, callable from numba kernels.

The machine's OpenSSL (the one Python's hashlib links) uses the CPU's SHA
extensions: about 10x the numba implementation of ``hash_kernels`` per core
on long messages. Kernels call ``sha256d_3`` with caller-owned scratch; when
libcrypto cannot be loaded it is the numba implementation instead, with the
same signature and results. Both are checked against hashlib by the tests.
"""

from __future__ import annotations

import ctypes.util

import llvmlite.binding as llvm
import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from chaintrail.bitcoin import hash_kernels as HK

CTX_BYTES = 256  # sizeof(SHA256_CTX) is 112


def _load() -> bool:
    name = ctypes.util.find_library("crypto")
    if not name:
        return False
    try:
        lib = ctypes.CDLL(name)
        for sym in ("SHA256_Init", "SHA256_Update", "SHA256_Final"):
            getattr(lib, sym)
        llvm.load_library_permanently(name)
    except (OSError, AttributeError, RuntimeError):
        return False
    return True


NATIVE = _load()


@intrinsic
def _ptr(typingctx, arr, off):
    """Address of arr[off] as a void pointer (arr: a C-contiguous 1-d uint8 array)."""
    sig = types.voidptr(arr, off)

    def codegen(context, builder, signature, args):
        a, o = args
        ary = context.make_array(signature.args[0])(context, builder, a)
        return builder.bitcast(builder.gep(ary.data, [o]), cgutils.voidptr_t)

    return sig, codegen


def new_scratch() -> np.ndarray:
    """Per-thread scratch for sha256d_3: an OpenSSL context (or numba state) and a digest."""
    return np.zeros(CTX_BYTES + 32 + 64 * 4 + 8 * 4, np.uint8)


if NATIVE:
    _init = types.ExternalFunction("SHA256_Init", types.intc(types.voidptr))
    _update = types.ExternalFunction("SHA256_Update", types.intc(types.voidptr, types.voidptr, types.size_t))
    _final = types.ExternalFunction("SHA256_Final", types.intc(types.voidptr, types.voidptr))

    @njit(cache=True, nogil=True)
    def sha256d_3(buf, o1, n1, o2, n2, o3, n3, out, out_off, scratch):
        """out[out_off:+32] = SHA-256d(buf[o1:o1+n1] | buf[o2:o2+n2] | buf[o3:o3+n3])."""
        ctx = _ptr(scratch, 0)
        tmp = _ptr(scratch, CTX_BYTES)
        _init(ctx)
        if n1 > 0:
            _update(ctx, _ptr(buf, o1), n1)
        if n2 > 0:
            _update(ctx, _ptr(buf, o2), n2)
        if n3 > 0:
            _update(ctx, _ptr(buf, o3), n3)
        _final(tmp, ctx)
        _init(ctx)
        _update(ctx, tmp, 32)
        _final(_ptr(out, out_off), ctx)
else:  # pragma: no cover - machines without libcrypto

    @njit(cache=True, nogil=True)
    def sha256d_3(buf, o1, n1, o2, n2, o3, n3, out, out_off, scratch):
        """out[out_off:+32] = SHA-256d(buf[o1:o1+n1] | buf[o2:o2+n2] | buf[o3:o3+n3])."""
        state = scratch[CTX_BYTES + 32:CTX_BYTES + 64].view(np.uint32)
        w = scratch[CTX_BYTES + 64:CTX_BYTES + 64 + 256].view(np.uint32)
        HK.sha256_3_with(buf, o1, n1, o2, n2, o3, n3, state, w)
        HK.sha256_rehash(state, w)
        HK.sha256_store(state, out, out_off)
