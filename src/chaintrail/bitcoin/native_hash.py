"""SHA-256 and RIPEMD-160 for numba kernels (ingest, simulator), from OpenSSL's
libcrypto when it can be loaded (it uses the CPU's SHA extensions: about
ten times faster than SHA-256 written in numba), else from
``bitcoin.hash_kernels``.

The kernels call libcrypto's ``SHA256_Init/Update/Final`` and
``RIPEMD160_Init/Update/Final`` through external symbols declared in
LLVM IR, resolved when numba links the code; numba's on-disk cache keeps
working because no pointer is baked into the compiled code. The library is
loaded into the process at import, before any cached kernel is loaded.

Pure-Python twins: ``hashlib``.
"""

from __future__ import annotations

import ctypes.util
import os

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic

from chaintrail.bitcoin import hash_kernels as hk


def _load_libcrypto() -> bool:
    if os.environ.get("CHAINTRAIL_NO_NATIVE_HASH"):
        return False
    names = [ctypes.util.find_library("crypto"), "libcrypto.so.3", "libcrypto.so", "libcrypto.dylib"]
    for name in names:
        if not name:
            continue
        try:
            llvm.load_library_permanently(name)
        except RuntimeError:
            continue
        try:
            lib = ctypes.CDLL(name)
            for sym in ("SHA256_Init", "SHA256_Update", "SHA256_Final", "RIPEMD160_Init",
                        "RIPEMD160_Update", "RIPEMD160_Final"):
                getattr(lib, sym)
        except (OSError, AttributeError):
            continue
        return True
    return False


NATIVE = _load_libcrypto()
CTX_BYTES = 128  # >= sizeof(SHA256_CTX) (112) and sizeof(RIPEMD160_CTX) (96)


def _ptr(context, builder, arrty, arr, off):
    a = cgutils.create_struct_proxy(arrty)(context, builder, value=arr)
    return builder.gep(a.data, [off])


_i8p = ir.IntType(8).as_pointer()
_i64 = ir.IntType(64)


def _make_iuf(prefix):
    @intrinsic
    def init(typingctx, ctx):
        sig = types.void(ctx)

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.IntType(32), [_i8p])
            fn = cgutils.get_or_insert_function(builder.module, fnty, prefix + "_Init")
            builder.call(fn, [_ptr(context, builder, signature.args[0], args[0], ir.Constant(_i64, 0))])
            return context.get_dummy_value()

        return sig, codegen

    @intrinsic
    def update(typingctx, ctx, buf, off, n):
        sig = types.void(ctx, buf, off, n)

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.IntType(32), [_i8p, _i8p, _i64])
            fn = cgutils.get_or_insert_function(builder.module, fnty, prefix + "_Update")
            c = _ptr(context, builder, signature.args[0], args[0], ir.Constant(_i64, 0))
            src = _ptr(context, builder, signature.args[1], args[1], args[2])
            builder.call(fn, [c, src, args[3]])
            return context.get_dummy_value()

        return sig, codegen

    @intrinsic
    def final(typingctx, out, out_off, ctx):
        sig = types.void(out, out_off, ctx)

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.IntType(32), [_i8p, _i8p])
            fn = cgutils.get_or_insert_function(builder.module, fnty, prefix + "_Final")
            dst = _ptr(context, builder, signature.args[0], args[0], args[1])
            c = _ptr(context, builder, signature.args[2], args[2], ir.Constant(_i64, 0))
            builder.call(fn, [dst, c])
            return context.get_dummy_value()

        return sig, codegen

    return init, update, final


_s_init, _s_update, _s_final = _make_iuf("SHA256")
_r_init, _r_update, _r_final = _make_iuf("RIPEMD160")


if NATIVE:

    @njit(cache=True, nogil=True)
    def new_hash_scratch():
        """(int64[8] state, int64[80] words, uint8[] OpenSSL context and digest) scratch."""
        return np.empty(8, np.int64), np.empty(80, np.int64), np.empty(CTX_BYTES + 64, np.uint8)

    @njit(cache=True, nogil=True)
    def sha256_into(buf, off, n, out, out_off, sc):
        c = sc[2]
        _s_init(c)
        _s_update(c, buf, off, n)
        _s_final(out, out_off, c)

    @njit(cache=True, nogil=True)
    def sha256d3_into(buf, o1, n1, o2, n2, o3, n3, out, out_off, sc):
        """SHA-256d of up to three slices of buf (a SegWit txid: version | body | locktime)."""
        c = sc[2]
        _s_init(c)
        _s_update(c, buf, o1, n1)
        if n2 > 0:
            _s_update(c, buf, o2, n2)
        if n3 > 0:
            _s_update(c, buf, o3, n3)
        _s_final(c, CTX_BYTES, c)
        _s_init(c)
        _s_update(c, c, CTX_BYTES, 32)
        _s_final(out, out_off, c)

    @njit(cache=True, nogil=True)
    def sha256d_into(buf, off, n, out, out_off, sc):
        sha256d3_into(buf, off, n, 0, 0, 0, 0, out, out_off, sc)

    @njit(cache=True, nogil=True)
    def hash160_into(buf, off, n, out, out_off, sc):
        c = sc[2]
        _s_init(c)
        _s_update(c, buf, off, n)
        _s_final(c, CTX_BYTES, c)
        _r_init(c)
        _r_update(c, c, CTX_BYTES, 32)
        _r_final(out, out_off, c)

else:

    @njit(cache=True, nogil=True)
    def new_hash_scratch():
        state, w = hk.new_scratch()
        return state, w, np.empty(CTX_BYTES + 64, np.uint8)

    @njit(cache=True, nogil=True)
    def sha256_into(buf, off, n, out, out_off, sc):
        hk.sha256_3_with(buf, off, n, 0, 0, 0, 0, sc[0], sc[1])
        hk.sha256_store(sc[0], out, out_off)

    @njit(cache=True, nogil=True)
    def sha256d_into(buf, off, n, out, out_off, sc):
        hk.sha256_3_with(buf, off, n, 0, 0, 0, 0, sc[0], sc[1])
        hk.sha256_rehash(sc[0], sc[1])
        hk.sha256_store(sc[0], out, out_off)

    @njit(cache=True, nogil=True)
    def sha256d3_into(buf, o1, n1, o2, n2, o3, n3, out, out_off, sc):
        hk.sha256_3_with(buf, o1, n1, o2, n2, o3, n3, sc[0], sc[1])
        hk.sha256_rehash(sc[0], sc[1])
        hk.sha256_store(sc[0], out, out_off)

    @njit(cache=True, nogil=True)
    def hash160_into(buf, off, n, out, out_off, sc):
        hk.hash160_with(buf, off, n, sc[0], sc[1], out, out_off)
