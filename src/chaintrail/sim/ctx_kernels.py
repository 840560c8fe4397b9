"""The simulator's engine state as one numba StructRef: every kernel takes a
single ``ctx`` whose fields are the state arrays, so numba passes one
pointer instead of two dozen arrays (that keeps compile time down).

Fields (all NumPy arrays; column layouts in ``codes``):

U, UTXID, FREE      live UTXO slots, their txids, the free-slot stack
W                   wallets
C                   counters
RNG                 SplitMix64 state (uint64[1])
T, I, O             the block being built: transactions, inputs, outputs
A, P, D, CA         new addresses, CoinJoin participants, donations, customer deposit addresses
CUST, EX, DIR       customers, exchanges, directory of special wallets
SOFTL               user wallets per software
PF, PI              float and int parameters
DEN, POOLS          Wasabi 2 standard denominations, Whirlpool pool sizes
SCR                 scratch rows for planned outputs and participants
FPR                 wallet software fingerprints
REQ                 the request a behaviour leaves for run_block (spend / commit)
"""

# ruff: noqa: E741  (I and O are the block's input and output tables)

from __future__ import annotations

from numba import njit
from numba.core import types
from numba.experimental import structref

FIELDS = ("U", "UTXID", "W", "C", "FREE", "RNG", "T", "I", "O", "A", "P", "D", "CA",
          "CUST", "EX", "DIR", "SOFTL", "PF", "PI", "DEN", "POOLS", "SCR", "FPR", "REQ")


@structref.register
class SimCtxType(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class SimCtx(structref.StructRefProxy):
    """Python handle of the engine state (fields readable from Python too)."""


structref.define_proxy(SimCtx, SimCtxType, list(FIELDS))


@njit(cache=True)
def make_ctx(U, UTXID, W, C, FREE, RNG, T, I, O, A, P, D, CA, CUST, EX, DIR, SOFTL, PF,
             PI, DEN, POOLS, SCR, FPR, REQ):
    return SimCtx(U, UTXID, W, C, FREE, RNG, T, I, O, A, P, D, CA, CUST, EX, DIR, SOFTL,
                  PF, PI, DEN, POOLS, SCR, FPR, REQ)


@njit(cache=True)
def set_utxo_arrays(ctx, U, UTXID, FREE):
    """Swap in grown UTXO arrays."""
    ctx.U = U
    ctx.UTXID = UTXID
    ctx.FREE = FREE
