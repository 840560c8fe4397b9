"""The simulator's live state in NumPy arrays, and the numba primitives that
change it: UTXO slots kept in per-wallet doubly linked lists, a free list
of slots, address creation, and the tables of the block being built.

``ctx`` is one tuple of arrays handed to every kernel (see ``Ctx`` below for
the order). All randomness comes from the SplitMix64 stream ``RNG``.
"""

# ruff: noqa: E741  (I and O are the block's input and output tables)

from __future__ import annotations

import math

from numba import njit

from chaintrail.sim.codes import (
    A_ID,
    A_STYPE,
    A_WALLET,
    C_ATTEMPT,
    C_FREE_TOP,
    C_HIGH,
    C_LIVE,
    C_NA,
    C_NCA,
    C_NEXT_ADDR,
    C_NIN,
    C_NOUT,
    CA_ADDR,
    CA_CUST,
    F_COINBASE,
    I_ADDR,
    I_FLAGS,
    I_OWNER,
    I_SEQ,
    I_SIG,
    I_SLOT,
    I_STYPE,
    I_VALUE,
    I_VOUT,
    O_ADDR,
    O_AROW,
    O_AUX,
    O_CUST,
    O_DATALEN,
    O_FLAGS,
    O_NEW,
    O_OWNER,
    O_SLOT,
    O_STYPE,
    O_TAG,
    O_TX,
    O_VALUE,
    S_CORE,
    S_ELECTRUM,
    S_JOINMARKET,
    S_MOBILE,
    S_SAMOURAI,
    S_SERVICE,
    S_WASABI1,
    S_WASABI2,
    ST_MULTISIG,
    ST_P2PKH,
    ST_P2SH,
    ST_P2TR,
    ST_P2WPKH,
    ST_P2WSH,
    U_ADDR,
    U_AUX,
    U_FLAGS,
    U_HEIGHT,
    U_MARK,
    U_NEXT,
    U_OWNER,
    U_PREV,
    U_STYPE,
    U_TXNUM,
    U_VALUE,
    U_VOUT,
    W_BAL,
    W_HEAD,
    W_MARK,
    W_NUTXO,
    W_RECV,
    W_RECV_ST,
    W_REUSE,
    W_ROLE,
    W_SOFT,
    W_STYPE,
    W_TAIL,
)
from chaintrail.sim.rng_kernels import rand01
from chaintrail.sim.script_kernels import (
    input_nonwitness_size,
    input_witness_size,
    is_witness_type,
    output_size,
    varint_size,
)

# ctx layout -------------------------------------------------------------------
X_U = 0
X_UTXID = 1
X_W = 2
X_C = 3
X_FREE = 4
X_RNG = 5
X_T = 6
X_I = 7
X_ITXID = 8
X_O = 9
X_A = 10
X_P = 11
X_D = 12
X_CA = 13
X_CUST = 14
X_EX = 15
X_DIR = 16
X_SOFTL = 17
X_PF = 18
X_PI = 19
X_DEN = 20
X_POOLS = 21
X_SCR = 22
X_FPR = 23

# customer columns
CU_EXCH = 0
CU_ENTITY = 1
CU_WALLET = 2
CU_DEP = 3
CU_DEP_ST = 4
CU_SURGE = 5  # 1: a customer of the surge jurisdiction (profile surge_country)
CU_NCOL = 6

# exchange columns
EX_ENTITY = 0
EX_DEPW = 1
EX_HOT = 2
EX_COLD = 3
EX_CUST0 = 4
EX_NCUST = 5
EX_VERSION = 6
EX_SEQ = 7
EX_SANCTIONED = 8
EX_NCOL = 9

# directory entries
DIR_USER0 = 0
DIR_NUSER = 1
DIR_MERCH0 = 2
DIR_NMERCH = 3
DIR_PROC = 4
DIR_DONATION = 5
DIR_ILLICIT = 6
DIR_SANCT_EX = 7
DIR_COORD_WW1 = 8
DIR_COORD_WW2 = 9
DIR_COORD_WHIRL = 10
DIR_POOL0 = 11
DIR_NPOOL = 12
DIR_P2POOL = 13
DIR_NEX = 14
DIR_NMULE = 16
DIR_MULE0 = 32    # DIR[32:32+n]: customer records of the illicit actor's mule accounts
DIR_BUSINESS_CUST = 17  # unused marker
DIR_N = 64

# software lists: SOFTL is int64[N_SOFT_LISTS, max] of user main wallets; DIR holds counts
# in PI at PI_SOFTN + s.

# float params (PF)
PF_YEAR = 0
PF_FEERATE = 1
PF_PAY_MEDIAN = 2
PF_PAY_SIGMA = 3
PF_ROUND = 4
PF_BATCH_MEAN = 5
PF_WD_DONATION = 6
PF_DONATION_MEDIAN = 7
PF_HOT_CAP = 8
PF_OPRET_LONG = 9
PF_BARE_MS = 10
PF_NESTED_MID = 11
PF_NATIVE_MID = 12
PF_TR_MID = 13
PF_MAXW = 14
PF_FEE_VOL = 15
PF_SHARES = 16    # 16..19: legacy, nested, native, taproot shares this block
PF_SHARES_M = 20  # 20..23: the same for mobile wallets (a year behind)
PF_N = 24

# int params (PI)
PI_HEIGHT = 0
PI_KEY = 1
PI_MAXTX = 2
PI_MAXIN = 3
PI_MAXOUT = 4
PI_MAXA = 5
PI_MAXP = 6
PI_MAXD = 7
PI_MAXCA = 8
PI_POOL = 9           # mining pool of this block
PI_SOFTN = 10         # 10..17: number of users per software list
PI_BOOTSTRAP = 20     # 1 while in bootstrap
PI_NBOOT_PAY = 21
PI_N = 24

# fingerprint table FPR: int64[8 software, FP_NCOL]
FP_VERSION = 0
FP_LOCKTIME = 1   # 1: anti-fee-sniping height locktime
FP_SEQ = 2
FP_BIP69 = 3
FP_LOWR = 4
FP_CHANGE_POS = 5  # 0 last, 1 random
FP_NCOL = 6

MATURITY = 100
DUST = 546


@njit(cache=True, nogil=True)
def new_attempt(ctx):
    C = ctx.C
    C[C_ATTEMPT] += 1
    return C[C_ATTEMPT]


# --------------------------------------------------------------------------- UTXO slots

@njit(cache=True, nogil=True)
def utxo_alloc(ctx):
    C = ctx.C
    FREE = ctx.FREE
    if C[C_FREE_TOP] > 0:
        C[C_FREE_TOP] -= 1
        s = FREE[C[C_FREE_TOP]]
    else:
        s = C[C_HIGH]
        C[C_HIGH] += 1
    C[C_LIVE] += 1
    return s


@njit(cache=True, nogil=True)
def utxo_free(ctx, s):
    C = ctx.C
    FREE = ctx.FREE
    FREE[C[C_FREE_TOP]] = s
    C[C_FREE_TOP] += 1
    C[C_LIVE] -= 1
    ctx.U[s, U_OWNER] = -1


@njit(cache=True, nogil=True)
def utxo_link(ctx, s, w):
    U = ctx.U
    W = ctx.W
    tail = W[w, W_TAIL]
    U[s, U_PREV] = tail
    U[s, U_NEXT] = -1
    if tail >= 0:
        U[tail, U_NEXT] = s
    else:
        W[w, W_HEAD] = s
    W[w, W_TAIL] = s
    W[w, W_NUTXO] += 1
    W[w, W_BAL] += U[s, U_VALUE]


@njit(cache=True, nogil=True)
def utxo_unlink(ctx, s):
    U = ctx.U
    W = ctx.W
    w = U[s, U_OWNER]
    p = U[s, U_PREV]
    n = U[s, U_NEXT]
    if p >= 0:
        U[p, U_NEXT] = n
    else:
        W[w, W_HEAD] = n
    if n >= 0:
        U[n, U_PREV] = p
    else:
        W[w, W_TAIL] = p
    W[w, W_NUTXO] -= 1
    W[w, W_BAL] -= U[s, U_VALUE]


@njit(cache=True, nogil=True)
def spendable(U, s, h, attempt):
    """Confirmed in an earlier block, mature if a coinbase, not reserved by this attempt."""
    if U[s, U_HEIGHT] >= h:
        return False
    if (U[s, U_FLAGS] & F_COINBASE) and U[s, U_HEIGHT] + MATURITY > h:
        return False
    return U[s, U_MARK] != attempt


@njit(cache=True, nogil=True)
def spendable_balance(ctx, w, h, limit):
    """Sum of spendable UTXO values of wallet w, looking at most at ``limit`` entries."""
    U = ctx.U
    s = ctx.W[w, W_HEAD]
    tot = 0
    k = 0
    while s >= 0 and k < limit:
        if U[s, U_HEIGHT] >= h:
            break
        if spendable(U, s, h, -1):
            tot += U[s, U_VALUE]
        s = U[s, U_NEXT]
        k += 1
    return tot


@njit(cache=True, nogil=True)
def has_spendable(ctx, w, h):
    s = ctx.W[w, W_HEAD]
    U = ctx.U
    k = 0
    while s >= 0 and k < 24:
        if U[s, U_HEIGHT] >= h:
            return False
        if spendable(U, s, h, -1):
            return True
        s = U[s, U_NEXT]
        k += 1
    return False


# --------------------------------------------------------------------------- script types

@njit(cache=True, nogil=True)
def _logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, nogil=True)
def era_shares(year, nested_mid, native_mid, tr_mid):
    """(legacy, nested, native, taproot) shares of new single-key addresses in ``year``."""
    a = _logistic(2.0 * (year - nested_mid))
    b = _logistic(2.0 * (year - native_mid))
    c = _logistic(2.0 * (year - tr_mid))
    w_tr = 0.45 * c
    w_nat = 0.70 * b
    w_nest = 0.45 * a * (1.0 - 0.7 * b)
    w_leg = max(0.06, 1.0 - 0.92 * a)
    tot = w_tr + w_nat + w_nest + w_leg
    return w_leg / tot, w_nest / tot, w_nat / tot, w_tr / tot


@njit(cache=True, nogil=True)
def wallet_type(ctx, w):
    """The script type wallet w uses for a new address now.

    Each wallet holds a fixed quantile in W_STYPE (permille); at the current
    calendar year it takes the type whose cumulative share, newest type
    first, covers that quantile. Early adopters (small quantiles) move from
    legacy to nested SegWit to native SegWit to Taproot first, and the mix
    over all wallets follows the era.
    """
    W = ctx.W
    PF = ctx.PF
    soft = W[w, W_SOFT]
    q = W[w, W_STYPE] / 1000.0
    b = PF_SHARES_M if soft == S_MOBILE else PF_SHARES
    nest = PF[b + 1]
    nat = PF[b + 2]
    tr = PF[b + 3]
    if soft == S_WASABI1 or soft == S_SAMOURAI:
        return ST_P2WPKH
    if soft == S_WASABI2:
        return ST_P2TR if q < 2.0 * tr else ST_P2WPKH
    if soft == S_JOINMARKET:
        return ST_P2WPKH if q < 1.5 * nat else ST_P2SH
    if soft == S_SERVICE:
        # services skip legacy early and Taproot late
        return ST_P2WPKH if q < nat + tr * 0.5 else (ST_P2SH if q < 0.97 else ST_P2PKH)
    if q < tr:
        return ST_P2TR
    if q < tr + nat:
        return ST_P2WPKH
    if q < tr + nat + nest:
        return ST_P2SH
    return ST_P2PKH


@njit(cache=True, nogil=True)
def dest_decide(ctx, w, allow_reuse):
    """(address id or -1 for a fresh one, script type) for paying wallet w."""
    W = ctx.W
    rng = ctx.RNG
    if allow_reuse and W[w, W_RECV] >= 0 and rand01(rng) * 1000.0 < W[w, W_REUSE]:
        return W[w, W_RECV], W[w, W_RECV_ST]
    return -1, wallet_type(ctx, w)


@njit(cache=True, nogil=True)
def new_address(ctx, w, stype):
    C = ctx.C
    A = ctx.A
    a = C[C_NEXT_ADDR]
    C[C_NEXT_ADDR] += 1
    r = C[C_NA]
    A[r, A_ID] = a
    A[r, A_WALLET] = w
    A[r, A_STYPE] = stype
    C[C_NA] = r + 1
    return a


# --------------------------------------------------------------------------- block tables

@njit(cache=True, nogil=True)
def room(ctx, nin, nout):
    C = ctx.C
    PI = ctx.PI
    return (C[C_NIN] + nin < PI[PI_MAXIN] and C[C_NOUT] + nout < PI[PI_MAXOUT]
            and C[C_NA] + nout < PI[PI_MAXA])


@njit(cache=True, nogil=True)
def add_input(ctx, s, attempt, seq, low_r):
    """Reserve UTXO slot s as the next input row; returns the row.

    The previous txid is not copied: the serializer reads it from UTXID[slot]
    when it writes the block (the txids of this block's own outputs are only
    known then).
    """
    U = ctx.U
    I = ctx.I
    C = ctx.C
    r = C[C_NIN]
    C[C_NIN] = r + 1
    I[r, I_VOUT] = U[s, U_VOUT]
    I[r, I_STYPE] = U[s, U_STYPE]
    I[r, I_ADDR] = U[s, U_ADDR]
    I[r, I_VALUE] = U[s, U_VALUE]
    I[r, I_SEQ] = seq
    I[r, I_OWNER] = U[s, U_OWNER]
    I[r, I_SLOT] = s
    I[r, I_FLAGS] = U[s, U_FLAGS]
    sig = 0
    if not low_r:
        rng = ctx.RNG
        if rand01(rng) < 0.5:
            sig |= 1
        if rand01(rng) < 0.5:
            sig |= 2
    I[r, I_SIG] = sig
    U[s, U_MARK] = attempt
    return r


@njit(cache=True, nogil=True)
def add_output(ctx, value, stype, addr, owner, flags, tag, aux):
    O = ctx.O
    C = ctx.C
    r = C[C_NOUT]
    C[C_NOUT] = r + 1
    O[r, O_VALUE] = value
    O[r, O_STYPE] = stype
    O[r, O_ADDR] = addr
    O[r, O_OWNER] = owner
    O[r, O_FLAGS] = flags
    O[r, O_SLOT] = -1
    O[r, O_TX] = -1
    O[r, O_NEW] = 0
    O[r, O_DATALEN] = 0
    O[r, O_TAG] = tag
    O[r, O_AUX] = aux
    O[r, O_CUST] = -1
    O[r, O_AROW] = -1
    return r


@njit(cache=True, nogil=True)
def tx_vsize(ctx, in0, nin, out0, nout):
    """(weight, vsize, segwit) of the transaction in rows in0.., out0.."""
    I = ctx.I
    O = ctx.O
    nonwit = 0
    wit = 0
    segwit = False
    for r in range(in0, in0 + nin):
        st = I[r, I_STYPE]
        nonwit += input_nonwitness_size(st, I[r, I_SIG])
        wit += input_witness_size(st, I[r, I_SIG])
        if is_witness_type(st):
            segwit = True
    outb = 0
    for r in range(out0, out0 + nout):
        outb += output_size(O[r, O_STYPE], O[r, O_DATALEN])
    stripped = 8 + varint_size(nin) + nonwit + varint_size(nout) + outb
    if segwit:
        weight = stripped * 4 + 2 + wit
    else:
        weight = stripped * 4
    return weight, (weight + 3) // 4, segwit


@njit(cache=True, nogil=True)
def est_vsize(nin, nonwit, wit, segwit, nout, outb):
    stripped = 8 + varint_size(nin) + nonwit + varint_size(nout) + outb
    if segwit:
        return (stripped * 4 + 2 + wit + 3) // 4
    return stripped


@njit(cache=True, nogil=True)
def fee_for(vsize, feerate):
    f = int(math.ceil(vsize * feerate))
    return max(f, vsize)  # at least 1 sat/vB, the relay minimum


@njit(cache=True, nogil=True)
def soft_fp(ctx, soft, col):
    return ctx.FPR[soft, col]


@njit(cache=True, nogil=True)
def swap_rows(M, a, b):
    for k in range(M.shape[1]):
        t = M[a, k]
        M[a, k] = M[b, k]
        M[b, k] = t


@njit(cache=True, nogil=True)
def shuffle_outputs(ctx, lo, n):
    rng = ctx.RNG
    O = ctx.O
    for i in range(n - 1, 0, -1):
        j = int(rand01(rng) * (i + 1))
        if j != i:
            swap_rows(O, lo + i, lo + j)


@njit(cache=True, nogil=True)
def shuffle_inputs(ctx, lo, n):
    rng = ctx.RNG
    I = ctx.I
    for i in range(n - 1, 0, -1):
        j = int(rand01(rng) * (i + 1))
        if j != i:
            swap_rows(I, lo + i, lo + j)


@njit(cache=True, nogil=True)
def sort_outputs_by_value(ctx, lo, n, descending):
    """Insertion sort of output rows by value (ties: script type then address id)."""
    O = ctx.O
    for i in range(lo + 1, lo + n):
        j = i
        while j > lo:
            a = j
            b = j - 1
            if descending:
                a = j - 1
                b = j
            va = O[a, O_VALUE]
            vb = O[b, O_VALUE]
            if va < vb or (va == vb and (O[a, O_STYPE] < O[b, O_STYPE] or (
                    O[a, O_STYPE] == O[b, O_STYPE] and O[a, O_ADDR] < O[b, O_ADDR]))):
                swap_rows(O, j, j - 1)
                j -= 1
            else:
                break


@njit(cache=True, nogil=True)
def sort_inputs_by_value_desc(ctx, lo, n):
    I = ctx.I
    for i in range(lo + 1, lo + n):
        j = i
        while j > lo and I[j, I_VALUE] > I[j - 1, I_VALUE]:
            swap_rows(I, j, j - 1)
            j -= 1


@njit(cache=True, nogil=True)
def record_ca(ctx, cust, addr):
    C = ctx.C
    CA = ctx.CA
    r = C[C_NCA]
    CA[r, CA_CUST] = cust
    CA[r, CA_ADDR] = addr
    C[C_NCA] = r + 1


@njit(cache=True, nogil=True)
def make_utxo(ctx, h, r, txnum, vout, t):
    """Create the UTXO of output row r (tx t of this block)."""
    O = ctx.O
    U = ctx.U
    s = utxo_alloc(ctx)
    U[s, U_VALUE] = O[r, O_VALUE]
    U[s, U_ADDR] = O[r, O_ADDR]
    U[s, U_STYPE] = O[r, O_STYPE]
    U[s, U_OWNER] = O[r, O_OWNER]
    U[s, U_HEIGHT] = h
    U[s, U_FLAGS] = O[r, O_FLAGS]
    U[s, U_VOUT] = vout
    U[s, U_MARK] = 0
    U[s, U_TXNUM] = txnum
    U[s, U_AUX] = O[r, O_AUX]
    O[r, O_SLOT] = s
    O[r, O_TX] = t
    utxo_link(ctx, s, O[r, O_OWNER])
    return s


@njit(cache=True, nogil=True)
def materialize(ctx, r):
    """Give output row r a real address id if it asked for a fresh one."""
    O = ctx.O
    W = ctx.W
    if O[r, O_OWNER] < 0:
        return
    if O[r, O_ADDR] >= 0:
        O[r, O_NEW] = 0
        return
    w = O[r, O_OWNER]
    st = O[r, O_STYPE]
    a = new_address(ctx, w, st)
    O[r, O_ADDR] = a
    O[r, O_NEW] = 1
    O[r, O_AROW] = ctx.C[C_NA] - 1
    c = O[r, O_CUST]
    if c >= 0:
        CUST = ctx.CUST
        CUST[c, CU_DEP] = a
        CUST[c, CU_DEP_ST] = st
        record_ca(ctx, c, a)
    elif O[r, O_TAG] != 1 and O[r, O_TAG] != 6 and st != ST_MULTISIG:
        # a received payment: the address becomes the wallet's receive address
        # (a donation organisation keeps the one address it published)
        if W[w, W_RECV] < 0 or W[w, W_ROLE] != 9:
            W[w, W_RECV] = a
            W[w, W_RECV_ST] = st


# script types with the same key for single-sig, used by payload checks in tests
SINGLE_KEY_TYPES = (ST_P2PKH, ST_P2SH, ST_P2WPKH, ST_P2TR)
_ = (ST_P2WSH, S_CORE, S_ELECTRUM, S_JOINMARKET, W_MARK, W_ROLE)
