"""The economy's behaviours as numba kernels: each ``b_*`` function turns one
scheduled intent (a payment, a deposit, a Whirlpool mix, ...) into a
transaction in the block tables, spending only confirmed unspent outputs of
the wallets involved, or gives up and leaves the state untouched.

``run_block`` processes a block's shuffled intent list and adds the
coinbase. Everything a builder decides is recorded in the block tables (T,
I, O, A, P, D, CA) that serialization and the ground-truth writers read.
"""

# ruff: noqa: E741  (I and O are the block's input and output tables)

from __future__ import annotations

import math

import numpy as np
from numba import njit

from chaintrail.sim.codes import (
    C_ATTEMPT,
    C_FEES,
    C_NA,
    C_NCA,
    C_ND,
    C_NEXT_TX,
    C_NIN,
    C_NOUT,
    C_NP,
    C_NTX,
    C_WEIGHT,
    D_DONOR,
    D_SOURCE,
    D_TX,
    D_VALUE,
    D_VOUT,
    DS_COINJOIN,
    DS_EXCHANGE,
    DS_OWN,
    F_CHANGE,
    F_COINBASE,
    F_COINJOIN,
    F_PEEL,
    F_POSTMIX,
    F_PREMIX,
    F_RANSOM,
    F_WITHDRAWAL,
    I_ADDR,
    I_COLD,
    I_CONSOLIDATION,
    I_DATA,
    I_DEPOSIT,
    I_DONATION,
    I_DONATION_CJ,
    I_FLAGS,
    I_JOINMARKET,
    I_MARKET,
    I_MERCHANT,
    I_OWNER,
    I_PAYJOIN,
    I_PAYMENT,
    I_PEEL,
    I_POOL_PAYOUT,
    I_RANSOM,
    I_SEQ,
    I_SETTLEMENT,
    I_SIG,
    I_SLOT,
    I_STYPE,
    I_SURGE_DEPOSIT,
    I_SWEEP,
    I_TX0,
    I_VALUE,
    I_VOUT,
    I_WASABI1,
    I_WASABI2,
    I_WHIRLPOOL,
    I_WITHDRAWAL,
    K_COINBASE,
    K_COINJOIN,
    K_COLD,
    K_CONSOLIDATION,
    K_DATA,
    K_DEPOSIT,
    K_DONATION,
    K_PAYJOIN,
    K_PAYMENT,
    K_PEEL,
    K_POOL_PAYOUT,
    K_RANSOM,
    K_SETTLEMENT,
    K_SWEEP,
    K_TX0,
    K_WITHDRAWAL,
    O_ADDR,
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
    P_INVAL,
    P_JOINMARKET,
    P_NIN,
    P_NONE,
    P_NOUT,
    P_OUTVAL,
    P_PAYJOIN,
    P_ROLE,
    P_TX,
    P_WALLET,
    P_WASABI1,
    P_WASABI2,
    P_WHIRLPOOL,
    PR_COORDINATOR,
    PR_MAKER,
    PR_PARTICIPANT,
    PR_RECEIVER,
    PR_REMIXER,
    PR_SENDER,
    PR_TAKER,
    R_COLD,
    R_COORDINATOR,
    R_DONATION,
    R_HOT,
    R_POOL,
    R_PROCESSOR,
    S_CORE,
    S_ELECTRUM,
    S_JOINMARKET,
    S_SAMOURAI,
    S_SERVICE,
    S_WASABI1,
    S_WASABI2,
    ST_COINBASE_IN,
    ST_COMMITMENT,
    ST_MULTISIG,
    ST_OP_RETURN,
    ST_P2PKH,
    ST_P2TR,
    ST_P2WPKH,
    T_CHANGE,
    T_EXTRA,
    T_FEE,
    T_FLAGS,
    T_IN0,
    T_INVAL,
    T_KIND,
    T_LOCKTIME,
    T_NIN,
    T_NOUT,
    T_OUT0,
    T_PROTO,
    T_REUSE,
    T_SEGWIT,
    T_SENDER,
    T_TXNUM,
    T_VERSION,
    T_VSIZE,
    T_WEIGHT,
    TAG_CHANGE,
    TAG_COORD,
    TAG_DONATION,
    TAG_EQUAL,
    TAG_INTERNAL,
    TF_BIP69,
    U_AUX,
    U_FLAGS,
    U_HEIGHT,
    U_MARK,
    U_NEXT,
    U_STYPE,
    U_VALUE,
    W_AUX,
    W_AUX2,
    W_BAL,
    W_CHREUSE,
    W_HEAD,
    W_LINK,
    W_LINK2,
    W_MARK,
    W_MS,
    W_NUTXO,
    W_ROLE,
    W_SOFT,
    W_WEALTH,
)
from chaintrail.sim.rng_kernels import chance, lognormal, poisson, rand01, randint
from chaintrail.sim.script_kernels import (
    input_nonwitness_size,
    input_witness_size,
    is_witness_type,
    output_size,
)
from chaintrail.sim.state_kernels import (
    CU_DEP,
    CU_DEP_ST,
    CU_EXCH,
    CU_SURGE,
    CU_WALLET,
    DIR_COORD_WHIRL,
    DIR_COORD_WW1,
    DIR_COORD_WW2,
    DIR_DONATION,
    DIR_ILLICIT,
    DIR_MERCH0,
    DIR_MULE0,
    DIR_NEX,
    DIR_NMERCH,
    DIR_NMULE,
    DIR_NPOOL,
    DIR_NUSER,
    DIR_P2POOL,
    DIR_POOL0,
    DIR_PROC,
    DIR_SANCT_EX,
    DIR_USER0,
    DUST,
    EX_COLD,
    EX_CUST0,
    EX_DEPW,
    EX_HOT,
    EX_NCUST,
    EX_SEQ,
    EX_VERSION,
    FP_BIP69,
    FP_CHANGE_POS,
    FP_LOCKTIME,
    FP_LOWR,
    FP_SEQ,
    FP_VERSION,
    PF_BARE_MS,
    PF_BATCH_MEAN,
    PF_DONATION_MEDIAN,
    PF_FEERATE,
    PF_HOT_CAP,
    PF_MAXW,
    PF_OPRET_LONG,
    PF_PAY_MEDIAN,
    PF_PAY_SIGMA,
    PF_ROUND,
    PF_SHARES,
    PF_WD_DONATION,
    PI_BOOTSTRAP,
    PI_HEIGHT,
    PI_MAXTX,
    PI_NBOOT_PAY,
    PI_POOL,
    PI_SOFTN,
    add_input,
    add_output,
    dest_decide,
    est_vsize,
    fee_for,
    has_spendable,
    make_utxo,
    materialize,
    new_attempt,
    room,
    shuffle_inputs,
    shuffle_outputs,
    sort_inputs_by_value_desc,
    sort_outputs_by_value,
    spendable,
    spendable_balance,
    swap_rows,
    tx_vsize,
    utxo_free,
    utxo_unlink,
    wallet_type,
)

# scratch columns for planned outputs (SCR)
SC_ADDR = 0
SC_ST = 1
SC_OWNER = 2
SC_VAL = 3
SC_TAG = 4
SC_AUX = 5
SC_CUST = 6
SC_FLAGS = 7

STYPE_ANY = -1
STYPE_WW2 = -2     # P2WPKH or P2TR

SEQ_FINAL = 0xFFFFFFFF
SEQ_RBF = 0xFFFFFFFD
SEQ_LOCK = 0xFFFFFFFE

MAX_SCAN = 48


# =========================================================================== commit

@njit(cache=True, nogil=True)
def abort(ctx, in0, out0):
    C = ctx.C
    C[C_NIN] = in0
    C[C_NOUT] = out0


@njit(cache=True, nogil=True)
def commit(ctx, kind, proto, sender, version, locktime, in0, nin, out0, nout):
    """Turn the reserved rows into a transaction: returns its row in T, or -1
    (rows released) when it would overflow the block."""
    C = ctx.C
    T = ctx.T
    O = ctx.O
    I = ctx.I
    PF = ctx.PF
    PI = ctx.PI
    D = ctx.D
    h = PI[PI_HEIGHT]
    weight, vsize, segwit = tx_vsize(ctx, in0, nin, out0, nout)
    if C[C_WEIGHT] + weight > PF[PF_MAXW] or C[C_NTX] >= PI[PI_MAXTX]:
        abort(ctx, in0, out0)
        return -1
    inval = 0
    for r in range(in0, in0 + nin):
        inval += I[r, I_VALUE]
    outval = 0
    for r in range(out0, out0 + nout):
        outval += O[r, O_VALUE]
    fee = inval - outval
    if fee < vsize:
        abort(ctx, in0, out0)
        return -1
    t = C[C_NTX]
    C[C_NTX] = t + 1
    txnum = C[C_NEXT_TX]
    C[C_NEXT_TX] = txnum + 1
    reuse = 0
    change = -1
    for j in range(nout):
        r = out0 + j
        materialize(ctx, r)
        O[r, O_TX] = t
        if O[r, O_OWNER] >= 0 and O[r, O_STYPE] != ST_OP_RETURN:
            if O[r, O_NEW] == 0:
                reuse = 1
            make_utxo(ctx, h, r, txnum, j, t)
        else:
            O[r, O_SLOT] = -1
        tag = O[r, O_TAG]
        if tag == TAG_CHANGE:
            change = j
        elif tag == TAG_DONATION:
            d = C[C_ND]
            D[d, D_TX] = t
            D[d, D_VOUT] = j
            D[d, D_DONOR] = O[r, O_AUX]
            src = DS_OWN
            if O[r, O_FLAGS] & F_WITHDRAWAL:
                src = DS_EXCHANGE
            elif proto == 255:
                src = DS_COINJOIN
            D[d, D_SOURCE] = src
            D[d, D_VALUE] = O[r, O_VALUE]
            C[C_ND] = d + 1
    for r in range(in0, in0 + nin):
        s = I[r, I_SLOT]
        utxo_unlink(ctx, s)
        utxo_free(ctx, s)
    T[t, T_VERSION] = version
    T[t, T_LOCKTIME] = locktime
    T[t, T_IN0] = in0
    T[t, T_NIN] = nin
    T[t, T_OUT0] = out0
    T[t, T_NOUT] = nout
    T[t, T_KIND] = kind
    T[t, T_PROTO] = proto if proto != 255 else P_NONE
    T[t, T_SENDER] = sender
    T[t, T_CHANGE] = change
    T[t, T_FEE] = fee
    T[t, T_SEGWIT] = 1 if segwit else 0
    T[t, T_WEIGHT] = weight
    T[t, T_VSIZE] = vsize
    T[t, T_TXNUM] = txnum
    T[t, T_EXTRA] = 0
    T[t, T_REUSE] = reuse
    T[t, T_INVAL] = inval
    T[t, T_FLAGS] = 0
    C[C_WEIGHT] += weight
    C[C_FEES] += fee
    return t


# =========================================================================== requests
# Builders do not call spend/commit themselves: they leave a request in
# ctx.REQ that run_block carries out. One call site per heavy kernel keeps
# numba's compile time down (each caller re-links and re-optimises its callees).

R_OP = 0
R_SENDER = 1
R_NPAY = 2
R_KIND = 3
R_PROTO = 4
R_FEEMULT = 5
R_FLAG = 6
R_STYPE = 7
R_MAXIN = 8
R_SENDALL = 9
R_FIXED = 10
R_DATALEN = 11
R_VERSION = 12
R_LOCKTIME = 13
R_IN0 = 14
R_NIN = 15
R_OUT0 = 16
R_NOUT = 17
R_NPART = 18
R_FAIL0 = 32     # 32..52: failed intents by kind (diagnostics)
OP_NONE = 0
OP_SPEND = 1
OP_FIXED_TWO = 2
OP_COMMIT = 3


@njit(cache=True, nogil=True)
def request_spend(ctx, sender, npay, kind, proto, fee_mult, flag_req, stype_req, max_in, send_all,
                  fixed_slot, data_len):
    R = ctx.REQ
    R[R_OP] = OP_SPEND
    R[R_SENDER] = sender
    R[R_NPAY] = npay
    R[R_KIND] = kind
    R[R_PROTO] = proto
    R[R_FEEMULT] = int(fee_mult * 1000)
    R[R_FLAG] = flag_req
    R[R_STYPE] = stype_req
    R[R_MAXIN] = max_in
    R[R_SENDALL] = 1 if send_all else 0
    R[R_FIXED] = fixed_slot
    R[R_DATALEN] = data_len
    return 0


@njit(cache=True, nogil=True)
def request_fixed_two(ctx, w, s, kind):
    R = ctx.REQ
    R[R_OP] = OP_FIXED_TWO
    R[R_SENDER] = w
    R[R_FIXED] = s
    R[R_KIND] = kind
    return 0


@njit(cache=True, nogil=True)
def request_commit(ctx, kind, proto, sender, version, locktime, in0, nin, out0, nout):
    R = ctx.REQ
    R[R_OP] = OP_COMMIT
    R[R_KIND] = kind
    R[R_PROTO] = proto
    R[R_SENDER] = sender
    R[R_VERSION] = version
    R[R_LOCKTIME] = locktime
    R[R_IN0] = in0
    R[R_NIN] = nin
    R[R_OUT0] = out0
    R[R_NOUT] = nout
    return 0


@njit(cache=True, nogil=True)
def pend_participant(ctx, w, role, nin, nout, inval, outval):
    """A participant row of the transaction being requested (kept if it commits)."""
    C = ctx.C
    P = ctx.P
    R = ctx.REQ
    r = C[C_NP] + R[R_NPART]
    P[r, P_TX] = -1
    P[r, P_WALLET] = w
    P[r, P_ROLE] = role
    P[r, P_NIN] = nin
    P[r, P_NOUT] = nout
    P[r, P_INVAL] = inval
    P[r, P_OUTVAL] = outval
    R[R_NPART] += 1


# =========================================================================== helpers

@njit(cache=True, nogil=True)
def feerate_now(ctx, mult):
    rate = ctx.PF[PF_FEERATE] * lognormal(ctx.RNG, 1.0, 0.35) * mult
    return max(rate, 1.0)


@njit(cache=True, nogil=True)
def stype_ok(st, req):
    if req == STYPE_ANY:
        return True
    if req == STYPE_WW2:
        return st == ST_P2WPKH or st == ST_P2TR
    return st == req


@njit(cache=True, nogil=True)
def find_utxo(ctx, w, h, attempt, flag_req, stype_req, pool, min_value):
    """First spendable UTXO of w with the flags, type, pool (U_AUX, -1 any) and value asked for."""
    U = ctx.U
    s = ctx.W[w, W_HEAD]
    k = 0
    while s >= 0 and k < MAX_SCAN:
        if U[s, U_HEIGHT] >= h:
            break
        if (spendable(U, s, h, attempt) and (U[s, U_FLAGS] & flag_req) == flag_req
                and stype_ok(U[s, U_STYPE], stype_req) and (pool < 0 or U[s, U_AUX] == pool)
                and U[s, U_VALUE] >= min_value):
            return s
        s = U[s, U_NEXT]
        k += 1
    return -1


@njit(cache=True, nogil=True)
def locktime_for(ctx, soft, h):
    if ctx.FPR[soft, FP_LOCKTIME]:
        lt = h - 1
        if rand01(ctx.RNG) < 0.1:
            lt -= randint(ctx.RNG, 100)
        return max(lt, 0)
    return 0


@njit(cache=True, nogil=True)
def pick_user(ctx, h, tries):
    """A random user main wallet with something to spend, or -1."""
    DIR = ctx.DIR
    rng = ctx.RNG
    for _ in range(tries):
        w = DIR[DIR_USER0] + randint(rng, DIR[DIR_NUSER])
        if ctx.W[w, W_MARK] != ctx.C[C_ATTEMPT] and has_spendable(ctx, w, h):
            return w
    return -1


@njit(cache=True, nogil=True)
def pick_soft(ctx, soft, h, tries, need_funds):
    """A random user wallet of the given software (main wallet), or -1."""
    n = ctx.PI[PI_SOFTN + soft]
    if n == 0:
        return -1
    rng = ctx.RNG
    W = ctx.W
    att = ctx.C[C_ATTEMPT]
    for _ in range(tries):
        w = ctx.SOFTL[soft, randint(rng, n)]
        if W[w, W_MARK] == att:
            continue
        if not need_funds or has_spendable(ctx, w, h):
            return w
    return -1


@njit(cache=True, nogil=True)
def random_user(ctx, exclude):
    DIR = ctx.DIR
    rng = ctx.RNG
    for _ in range(4):
        w = DIR[DIR_USER0] + randint(rng, DIR[DIR_NUSER])
        if w != exclude:
            return w
    return -1


@njit(cache=True, nogil=True)
def round_amount(ctx, v):
    if v < 10_000 or rand01(ctx.RNG) >= ctx.PF[PF_ROUND]:
        return v
    e = 10 ** max(3, int(math.floor(math.log10(v))) - randint(ctx.RNG, 2))
    r = (v // e) * e
    return r if r >= 10_000 else v


@njit(cache=True, nogil=True)
def plan(ctx, k, addr, st, owner, val, tag, aux, cust, flags):
    S = ctx.SCR
    S[k, SC_ADDR] = addr
    S[k, SC_ST] = st
    S[k, SC_OWNER] = owner
    S[k, SC_VAL] = val
    S[k, SC_TAG] = tag
    S[k, SC_AUX] = aux
    S[k, SC_CUST] = cust
    S[k, SC_FLAGS] = flags


@njit(cache=True, nogil=True)
def plan_to_wallet(ctx, k, w, val, tag, aux, flags, allow_reuse):
    a, st = dest_decide(ctx, w, allow_reuse)
    if ctx.W[w, W_MS] == 1 and a < 0:
        st = 4  # P2WSH multisig wallet
    plan(ctx, k, a, st, w, val, tag, aux, -1, flags)


@njit(cache=True, nogil=True)
def plan_deposit(ctx, k, c, val):
    """Pay customer record c's deposit address at its exchange."""
    CUST = ctx.CUST
    EX = ctx.EX
    e = CUST[c, CU_EXCH]
    depw = EX[e, EX_DEPW]
    a = CUST[c, CU_DEP]
    if a >= 0:
        st = CUST[c, CU_DEP_ST]
    else:
        st = wallet_type(ctx, depw)
    plan(ctx, k, a, st, depw, val, 4, c, c, 0)


@njit(cache=True, nogil=True)
def change_decide(ctx, w, in_row):
    """(address or -1, type) of the change output of wallet w."""
    W = ctx.W
    I = ctx.I
    rng = ctx.RNG
    if W[w, W_CHREUSE] > 0 and rand01(rng) * 1000.0 < W[w, W_CHREUSE]:
        st = I[in_row, I_STYPE]
        if st != ST_MULTISIG:
            return I[in_row, I_ADDR], st
    role = W[w, W_ROLE]
    if role == R_HOT or role == R_POOL or role == R_PROCESSOR or role == R_DONATION or role == R_COLD \
            or role == R_COORDINATOR:
        return dest_decide(ctx, w, True)
    if W[w, W_MS] == 1:
        return -1, 4
    return -1, wallet_type(ctx, w)


# =========================================================================== generic spend

@njit(cache=True, nogil=True)
def spend(ctx, sender, npay, kind, proto, fee_mult, flag_req, stype_req, max_in, send_all,
          fixed_slot, data_len):
    """A transaction of one wallet paying the planned outputs SCR[0:npay].

    Coin selection by the wallet's habits, fee from its size, change back to
    the wallet (fresh, reused or an input's address), output order by its
    software (BIP69, random change position, change last). send_all spends
    everything selected into SCR[0] with no change. Returns the T row or -1.
    """
    C = ctx.C
    U = ctx.U
    W = ctx.W
    O = ctx.O
    S = ctx.SCR
    FPR = ctx.FPR
    rng = ctx.RNG
    h = ctx.PI[PI_HEIGHT]
    if not room(ctx, max_in + 2, npay + 3):
        return -1
    soft = W[sender, W_SOFT]
    if W[sender, W_ROLE] == R_HOT:
        h = h + 1  # exchange hot wallets spend their unconfirmed change (chained in the block)
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    version = FPR[soft, FP_VERSION]
    seq = FPR[soft, FP_SEQ]
    low_r = FPR[soft, FP_LOWR] == 1
    if soft == S_SERVICE and W[sender, W_AUX] >= 0 and (W[sender, W_ROLE] == R_HOT or W[sender, W_ROLE] == R_COLD):
        EX = ctx.EX
        version = EX[W[sender, W_AUX], EX_VERSION]
        seq = EX[W[sender, W_AUX], EX_SEQ]
    locktime = locktime_for(ctx, soft, ctx.PI[PI_HEIGHT])
    feerate = feerate_now(ctx, fee_mult)
    pay_total = 0
    outb = 0
    for k in range(npay):
        pay_total += S[k, SC_VAL]
        outb += output_size(S[k, SC_ST], 0)
    nout_base = npay
    if data_len > 0:
        outb += output_size(ST_OP_RETURN, data_len)
        nout_base += 1
    chg_size = 34
    nonwit = 0
    wit = 0
    segwit = False
    inval = 0
    nin = 0
    if fixed_slot >= 0:
        r = add_input(ctx, fixed_slot, attempt, seq, low_r)
        st = U[fixed_slot, U_STYPE]
        nonwit += input_nonwitness_size(st, ctx.I[r, 6])
        wit += input_witness_size(st, ctx.I[r, 6])
        segwit = segwit or is_witness_type(st)
        inval += U[fixed_slot, U_VALUE]
        nin = 1
    else:
        best = -1
        if not send_all and (soft == S_CORE or soft == S_SERVICE) and rand01(rng) < 0.5:
            # smallest single coin that pays everything with change
            need1 = pay_total + fee_for(est_vsize(1, 148, 108, True, nout_base + 1, outb + chg_size),
                                        feerate) + 2 * DUST
            s = W[sender, W_HEAD]
            k = 0
            bestv = 0
            while s >= 0 and k < MAX_SCAN:
                if U[s, U_HEIGHT] >= h:
                    break
                v = U[s, U_VALUE]
                if (v >= need1 and (best < 0 or v < bestv) and spendable(U, s, h, attempt)
                        and (U[s, U_FLAGS] & flag_req) == flag_req and stype_ok(U[s, U_STYPE], stype_req)):
                    best = s
                    bestv = v
                s = U[s, U_NEXT]
                k += 1
        s = W[sender, W_HEAD] if best < 0 else best
        k = 0
        while s >= 0 and nin < max_in and k < 4 * max_in + MAX_SCAN:
            k += 1
            if U[s, U_HEIGHT] >= h:
                break
            nxt = U[s, U_NEXT]
            if spendable(U, s, h, attempt) and (U[s, U_FLAGS] & flag_req) == flag_req \
                    and stype_ok(U[s, U_STYPE], stype_req):
                r = add_input(ctx, s, attempt, seq, low_r)
                st = U[s, U_STYPE]
                nonwit += input_nonwitness_size(st, ctx.I[r, 6])
                wit += input_witness_size(st, ctx.I[r, 6])
                segwit = segwit or is_witness_type(st)
                inval += U[s, U_VALUE]
                nin += 1
                if best >= 0:
                    break
                if not send_all:
                    vs = est_vsize(nin, nonwit, wit, segwit, nout_base + 1, outb + chg_size)
                    if inval >= pay_total + fee_for(vs, feerate) + DUST:
                        break
            s = nxt
    if nin == 0:
        abort(ctx, in0, out0)
        return -1
    change = 0
    if send_all:
        vs = est_vsize(nin, nonwit, wit, segwit, nout_base, outb)
        fee = fee_for(vs, feerate)
        amount = inval - fee - (pay_total - S[0, SC_VAL])
        if amount < 2 * DUST:
            abort(ctx, in0, out0)
            return -1
        S[0, SC_VAL] = amount
    else:
        vs = est_vsize(nin, nonwit, wit, segwit, nout_base + 1, outb + chg_size)
        change = inval - pay_total - fee_for(vs, feerate)
        if change < DUST:
            change = 0
            vs = est_vsize(nin, nonwit, wit, segwit, nout_base, outb)
            if inval - pay_total < fee_for(vs, feerate):
                abort(ctx, in0, out0)
                return -1
    # outputs
    for k in range(npay):
        r = add_output(ctx, S[k, SC_VAL], S[k, SC_ST], S[k, SC_ADDR], S[k, SC_OWNER],
                       S[k, SC_FLAGS], S[k, SC_TAG], S[k, SC_AUX])
        O[r, O_CUST] = S[k, SC_CUST]
    if data_len > 0:
        r = add_output(ctx, 0, ST_OP_RETURN, -1, -1, 0, 0, 0)
        O[r, O_DATALEN] = data_len
    nout = nout_base
    if change > 0:
        ca, cst = change_decide(ctx, sender, in0)
        cr = add_output(ctx, change, cst, ca, sender, F_CHANGE, TAG_CHANGE, 0)
        nout += 1
        # fee was computed for a 34-byte change output; the real one may differ
        w_, vs_, sw_ = tx_vsize(ctx, in0, nin, out0, nout)
        fee_need = fee_for(vs_, feerate)
        have = inval - pay_total - O[cr, O_VALUE]
        if have < fee_need:
            O[cr, O_VALUE] -= fee_need - have
            if O[cr, O_VALUE] < DUST:
                abort(ctx, in0, out0)
                return -1
    # ordering by wallet software
    bip69 = FPR[soft, FP_BIP69] == 1
    if bip69:
        sort_outputs_by_value(ctx, out0, nout, False)
    elif change > 0 and FPR[soft, FP_CHANGE_POS] == 1 and nout > 1:
        j = randint(rng, nout)
        if j != nout - 1:
            swap_rows(O, out0 + j, out0 + nout - 1)
    t = commit(ctx, kind, proto, sender, version, locktime, in0, nin, out0, nout)
    if t >= 0 and bip69:
        ctx.T[t, T_FLAGS] = TF_BIP69
    return t


# =========================================================================== intents

@njit(cache=True, nogil=True)
def payment_amount(ctx, w, h, median_mult):
    W = ctx.W
    PF = ctx.PF
    rng = ctx.RNG
    bal = spendable_balance(ctx, w, h, 32)
    if bal < 20_000:
        return 0, False
    v = int(lognormal(rng, W[w, W_WEALTH] * median_mult, PF[PF_PAY_SIGMA]))
    if v > bal * 0.9:
        if rand01(rng) < 0.3:
            return bal, True  # empty the wallet
        v = int(bal * (0.1 + 0.7 * rand01(rng)))
    v = max(v, 5_000)
    return round_amount(ctx, v), False


@njit(cache=True, nogil=True)
def b_payment(ctx, h):
    rng = ctx.RNG
    PF = ctx.PF
    s = pick_user(ctx, h, 24)
    if s < 0:
        return -1
    v, all_ = payment_amount(ctx, s, h, 1.0)
    if v == 0:
        return -1
    r = random_user(ctx, s)
    npay = 1
    leg = PF[PF_SHARES]
    if rand01(rng) < PF[PF_BARE_MS] * leg:
        plan(ctx, 0, -1, ST_MULTISIG, r, v, 0, 0, -1, 0)
    else:
        plan_to_wallet(ctx, 0, r, v, 0, 0, 0, True)
    if not all_:
        # some payments have several recipients (a user batching, paying a few people)
        x = rand01(rng)
        extra = 0
        if x < 0.04:
            extra = 2 + randint(rng, 4)
        elif x < 0.20:
            extra = 1
        for k in range(extra):
            r2 = random_user(ctx, s)
            v2 = round_amount(ctx, int(v * (0.2 + rand01(rng))))
            plan_to_wallet(ctx, 1 + k, r2, v2, 0, 0, 0, True)
        npay += extra
    return request_spend(ctx, s, npay, K_PAYMENT, P_NONE, 1.0, 0, STYPE_ANY, 60, all_, -1, 0)


@njit(cache=True, nogil=True)
def b_merchant(ctx, h):
    DIR = ctx.DIR
    W = ctx.W
    rng = ctx.RNG
    s = pick_user(ctx, h, 24)
    if s < 0:
        return -1
    m = DIR[DIR_MERCH0] + randint(rng, DIR[DIR_NMERCH])
    bal = spendable_balance(ctx, s, h, 32)
    v = int(lognormal(rng, ctx.PF[PF_PAY_MEDIAN] * 0.4, 1.0))
    if v > bal * 0.8:
        v = int(bal * (0.2 + 0.5 * rand01(rng)))  # buys what the wallet can pay for
    if v < 5_000:
        return -1
    if W[m, W_AUX] & 1:
        plan_to_wallet(ctx, 0, DIR[DIR_PROC], v, 0, m, 0, False)
    else:
        plan_to_wallet(ctx, 0, m, v, 0, 0, 0, True)
    return request_spend(ctx, s, 1, K_PAYMENT, P_NONE, 1.0, 0, STYPE_ANY, 60, False, -1, 0)


@njit(cache=True, nogil=True)
def customer_of(ctx, w, exch):
    """A customer record of wallet w (at exchange exch, or any if exch < 0), or -1."""
    W = ctx.W
    CUST = ctx.CUST
    rng = ctx.RNG
    a = W[w, W_AUX]
    b = W[w, W_AUX2]
    if exch >= 0:
        if a >= 0 and CUST[a, CU_EXCH] == exch:
            return a
        if b >= 0 and CUST[b, CU_EXCH] == exch:
            return b
        return -1
    if a >= 0 and b >= 0:
        return a if rand01(rng) < 0.6 else b
    return a if a >= 0 else b


@njit(cache=True, nogil=True)
def b_deposit(ctx, h, exch):
    DIR = ctx.DIR
    W = ctx.W
    rng = ctx.RNG
    x = rand01(rng)
    s = -1
    c = -1
    if exch >= 0 or exch == -2 or x < 0.82:
        # a person's customer record, at the given exchange or any (-2: of the surge jurisdiction)
        CUST = ctx.CUST
        EX = ctx.EX
        for _ in range(24 if exch != -2 else 400):
            if exch >= 0:
                c = EX[exch, EX_CUST0] + randint(rng, EX[exch, EX_NCUST])
            else:
                c = randint(rng, CUST.shape[0])
            if exch == -2 and CUST[c, CU_SURGE] != 1:
                c = -1
                continue
            w = CUST[c, CU_WALLET]
            if W[w, W_ROLE] == 0 and has_spendable(ctx, w, h):
                s = w
                break
            c = -1
    else:
        if x < 0.90:
            w = DIR[DIR_MERCH0] + randint(rng, DIR[DIR_NMERCH])
        elif x < 0.95:
            w = DIR[DIR_POOL0] + randint(rng, DIR[DIR_NPOOL])
        elif x < 0.98:
            w = DIR[DIR_PROC]
        else:
            w = DIR[DIR_DONATION]
        if has_spendable(ctx, w, h):
            c = W[w, W_AUX2]
            s = w
    if s < 0 or c < 0:
        return -1
    bal = spendable_balance(ctx, s, h, 64)
    if bal < 50_000:
        return -1
    all_ = rand01(rng) < 0.4
    v = int(bal * (0.2 + 0.7 * rand01(rng)))
    v = round_amount(ctx, v)
    plan_deposit(ctx, 0, c, v)
    kind = K_DEPOSIT
    if W[s, W_ROLE] == R_PROCESSOR:
        kind = K_SETTLEMENT
    return request_spend(ctx, s, 1, kind, P_NONE, 1.0, 0, STYPE_ANY, 80, all_, -1, 0)


@njit(cache=True, nogil=True)
def pick_exchange(ctx):
    """An exchange chosen in proportion to its customers."""
    CUST = ctx.CUST
    n = CUST.shape[0]
    return CUST[randint(ctx.RNG, n), CU_EXCH]


@njit(cache=True, nogil=True)
def b_withdrawal(ctx, h):
    EX = ctx.EX
    CUST = ctx.CUST
    W = ctx.W
    PF = ctx.PF
    DIR = ctx.DIR
    rng = ctx.RNG
    e = pick_exchange(ctx)
    hot = EX[e, EX_HOT]
    bal = spendable_balance(ctx, hot, h + 1, 64)
    if bal < 1_000_000:
        return -1
    k = 1 + poisson(rng, PF[PF_BATCH_MEAN] - 1.0)
    if rand01(rng) < 0.3:
        k = 1
    k = min(k, 150)
    total = 0
    n = 0
    for _ in range(k * 2):
        if n >= k:
            break
        c = EX[e, EX_CUST0] + randint(rng, EX[e, EX_NCUST])
        cw = CUST[c, CU_WALLET]
        if W[cw, W_ROLE] != 0:
            continue  # business accounts withdraw to fiat
        v = int(lognormal(rng, W[cw, W_WEALTH] * 2.0, 1.0))
        v = max(round_amount(ctx, v), 10_000)
        if total + v > bal * 0.9:
            break
        if rand01(rng) < PF[PF_WD_DONATION]:
            plan_to_wallet(ctx, n, DIR[DIR_DONATION], v, TAG_DONATION, cw, F_WITHDRAWAL, True)
        elif rand01(rng) < 0.003:
            plan_to_wallet(ctx, n, DIR[DIR_ILLICIT], v * 3, 0, 0, F_WITHDRAWAL | F_RANSOM, False)
        else:
            plan_to_wallet(ctx, n, cw, v, 0, 0, F_WITHDRAWAL, True)
        total += ctx.SCR[n, SC_VAL]
        n += 1
    if n == 0:
        return -1
    return request_spend(ctx, hot, n, K_WITHDRAWAL, P_NONE, 0.8, 0, STYPE_ANY, 40, False, -1, 0)


@njit(cache=True, nogil=True)
def b_sweep(ctx, h):
    EX = ctx.EX
    rng = ctx.RNG
    e = pick_exchange(ctx)
    depw = EX[e, EX_DEPW]
    if not has_spendable(ctx, depw, h):
        return -1
    n = 1 + poisson(rng, 20.0)
    if rand01(rng) < 0.2:
        n = 1 + randint(rng, 3)
    plan_to_wallet(ctx, 0, EX[e, EX_HOT], 0, 0, 0, 0, True)
    return request_spend(ctx, depw, 1, K_SWEEP, P_NONE, 0.7, 0, STYPE_ANY, min(n, 150), True, -1, 0)


@njit(cache=True, nogil=True)
def b_cold(ctx, h):
    EX = ctx.EX
    PF = ctx.PF
    e = pick_exchange(ctx)
    hot = EX[e, EX_HOT]
    cold = EX[e, EX_COLD]
    hb = spendable_balance(ctx, hot, h + 1, 64)
    cap = PF[PF_HOT_CAP]
    if hb > cap:
        v = round_amount(ctx, int(hb - cap * 0.5))
        plan_to_wallet(ctx, 0, cold, v, 0, 0, 0, True)
        return request_spend(ctx, hot, 1, K_COLD, P_NONE, 0.8, 0, STYPE_ANY, 60, False, -1, 0)
    if hb < cap * 0.15:
        cb = spendable_balance(ctx, cold, h, 64)
        if cb < 100_000:
            return -1
        v = round_amount(ctx, int(min(cb * 0.6, cap * 0.5)))
        plan_to_wallet(ctx, 0, hot, v, 0, 0, 0, True)
        return request_spend(ctx, cold, 1, K_COLD, P_NONE, 1.0, 0, STYPE_ANY, 20, False, -1, 0)
    return -1


@njit(cache=True, nogil=True)
def b_consolidation(ctx, h):
    W = ctx.W
    EX = ctx.EX
    DIR = ctx.DIR
    rng = ctx.RNG
    w = -1
    for _ in range(16):
        x = rand01(rng)
        if x < 0.3:
            c = EX[randint(rng, DIR[DIR_NEX]), EX_HOT]
        elif x < 0.6:
            c = DIR[DIR_MERCH0] + randint(rng, DIR[DIR_NMERCH])
        elif x < 0.7:
            c = DIR[DIR_POOL0] + randint(rng, DIR[DIR_NPOOL])
        elif x < 0.75:
            c = DIR[DIR_DONATION]
        else:
            c = DIR[DIR_USER0] + randint(rng, DIR[DIR_NUSER])
        if W[c, W_NUTXO] >= 6 and has_spendable(ctx, c, h):
            w = c
            break
    if w < 0:
        return -1
    plan_to_wallet(ctx, 0, w, 0, TAG_INTERNAL, 0, 0, False)
    return request_spend(ctx, w, 1, K_CONSOLIDATION, P_NONE, 0.6, 0, STYPE_ANY, min(W[w, W_NUTXO], 120),
                 True, -1, 0)


@njit(cache=True, nogil=True)
def b_donation(ctx, h):
    DIR = ctx.DIR
    rng = ctx.RNG
    s = pick_user(ctx, h, 24)
    if s < 0:
        return -1
    bal = spendable_balance(ctx, s, h, 32)
    v = round_amount(ctx, int(lognormal(rng, ctx.PF[PF_DONATION_MEDIAN], 1.0)))
    if v > bal * 0.9:
        v = int(bal * 0.5)
    if v < 10_000:
        return -1
    plan_to_wallet(ctx, 0, DIR[DIR_DONATION], v, TAG_DONATION, s, 0, True)
    return request_spend(ctx, s, 1, K_DONATION, P_NONE, 1.0, 0, STYPE_ANY, 40, False, -1, 0)


@njit(cache=True, nogil=True)
def b_donation_cj(ctx, h):
    """A donation paid from a mixed coin (Wasabi or Whirlpool postmix)."""
    DIR = ctx.DIR
    W = ctx.W
    rng = ctx.RNG
    att = ctx.C[C_ATTEMPT]
    for _ in range(24):
        x = randint(rng, 3)
        soft = S_WASABI1 if x == 0 else (S_WASABI2 if x == 1 else S_SAMOURAI)
        u = pick_soft(ctx, soft, h, 2, False)
        if u < 0:
            continue
        w = W[u, W_LINK2] if soft == S_SAMOURAI else u
        s = find_utxo(ctx, w, h, att, F_COINJOIN, STYPE_ANY, -1, 30_000)
        if s < 0:
            continue
        val = ctx.U[s, U_VALUE]
        all_ = rand01(rng) < 0.5
        v = val if all_ else int(val * (0.3 + 0.6 * rand01(rng)))
        plan_to_wallet(ctx, 0, DIR[DIR_DONATION], v, TAG_DONATION, u, 0, True)
        return request_spend(ctx, w, 1, K_DONATION, 255, 1.0, 0, STYPE_ANY, 1, all_, s, 0)
    return -1


@njit(cache=True, nogil=True)
def b_pool_payout(ctx, h):
    DIR = ctx.DIR
    rng = ctx.RNG
    p = DIR[DIR_POOL0] + randint(rng, DIR[DIR_NPOOL])
    bal = spendable_balance(ctx, p, h, 64)
    if bal < 10_000_000:
        return -1
    k = 10 + poisson(rng, 25.0)
    budget = bal * (0.3 + 0.5 * rand01(rng))
    for j in range(k):
        u = random_user(ctx, -1)
        v = int(budget / k * (0.3 + 1.4 * rand01(rng)))
        plan_to_wallet(ctx, j, u, max(v, 20_000), 0, 0, 0, True)
    return request_spend(ctx, p, k, K_POOL_PAYOUT, P_NONE, 0.8, 0, STYPE_ANY, 30, False, -1, 0)


@njit(cache=True, nogil=True)
def b_settlement(ctx, h):
    DIR = ctx.DIR
    W = ctx.W
    rng = ctx.RNG
    proc = DIR[DIR_PROC]
    bal = spendable_balance(ctx, proc, h, 64)
    if bal < 500_000:
        return -1
    if rand01(rng) < 0.3:
        return b_deposit_from(ctx, h, proc)
    k = 1 + poisson(rng, 6.0)
    n = 0
    budget = bal * (0.3 + 0.5 * rand01(rng))
    for _ in range(4 * k):
        if n >= k:
            break
        m = DIR[DIR_MERCH0] + randint(rng, DIR[DIR_NMERCH])
        if not (W[m, W_AUX] & 1):
            continue
        v = int(budget / k * (0.5 + rand01(rng)))
        plan_to_wallet(ctx, n, m, max(v, 20_000), 0, 0, 0, True)
        n += 1
    if n == 0:
        return -1
    return request_spend(ctx, proc, n, K_SETTLEMENT, P_NONE, 0.8, 0, STYPE_ANY, 40, False, -1, 0)


@njit(cache=True, nogil=True)
def b_deposit_from(ctx, h, w):
    W = ctx.W
    c = W[w, W_AUX2]
    if c < 0:
        return -1
    plan_deposit(ctx, 0, c, 0)
    return request_spend(ctx, w, 1, K_SETTLEMENT if W[w, W_ROLE] == R_PROCESSOR else K_DEPOSIT, P_NONE,
                 0.8, 0, STYPE_ANY, 60, True, -1, 0)


@njit(cache=True, nogil=True)
def b_data(ctx, h):
    rng = ctx.RNG
    s = pick_user(ctx, h, 24)
    if s < 0:
        return -1
    n = 20 + randint(rng, 21)
    if rand01(rng) < ctx.PF[PF_OPRET_LONG]:
        n = 41 + randint(rng, 40)
    return request_spend(ctx, s, 0, K_DATA, P_NONE, 1.0, 0, STYPE_ANY, 10, False, -1, n)


@njit(cache=True, nogil=True)
def b_ransom(ctx, h):
    DIR = ctx.DIR
    rng = ctx.RNG
    s = pick_user(ctx, h, 24)
    if s < 0:
        return -1
    bal = spendable_balance(ctx, s, h, 32)
    v = int(lognormal(rng, 3_000_000.0, 0.8))
    if v > bal * 0.95:
        v = int(bal * 0.9)
    if v < 100_000:
        return -1
    plan_to_wallet(ctx, 0, DIR[DIR_ILLICIT], v, 0, 0, F_RANSOM, False)
    return request_spend(ctx, s, 1, K_RANSOM, P_NONE, 1.3, 0, STYPE_ANY, 40, False, -1, 0)


@njit(cache=True, nogil=True)
def b_peel(ctx, h):
    """One step of a peel chain, or the consolidation that starts a new chain."""
    DIR = ctx.DIR
    CUST = ctx.CUST
    rng = ctx.RNG
    ill = DIR[DIR_ILLICIT]
    att = new_attempt(ctx)
    s = find_utxo(ctx, ill, h, att, F_PEEL, STYPE_ANY, -1, 0)
    if s < 0:
        s2 = find_utxo(ctx, ill, h, att, F_RANSOM, STYPE_ANY, -1, 0)
        if s2 < 0:
            return -1
        plan_to_wallet(ctx, 0, ill, 0, 0, 0, F_PEEL, False)
        return request_spend(ctx, ill, 1, K_CONSOLIDATION, P_NONE, 1.0, F_RANSOM, STYPE_ANY, 40, True, -1, 0)
    val = ctx.U[s, U_VALUE]
    nm = DIR[DIR_NMULE]
    c = DIR[DIR_MULE0 + randint(rng, nm)]
    if val < 3_000_000:
        plan_deposit(ctx, 0, c, 0)
        return request_spend(ctx, ill, 1, K_PEEL, P_NONE, 1.0, 0, STYPE_ANY, 1, True, s, 0)
    v = int(val * (0.03 + 0.15 * rand01(rng)))
    x = rand01(rng)
    if x < 0.85:
        plan_deposit(ctx, 0, c, v)
    else:
        plan_to_wallet(ctx, 0, random_user(ctx, -1), v, 0, 0, 0, True)
    # the rest goes on along the chain: a fresh address, spent by the next step
    plan_to_wallet(ctx, 1, ill, 0, TAG_CHANGE, 0, F_PEEL, False)
    _ = CUST
    return request_fixed_two(ctx, ill, s, K_PEEL)


@njit(cache=True, nogil=True)
def spend_fixed_two(ctx, w, s, kind):
    """1 input (slot s) -> SCR[0] and SCR[1] where SCR[1] takes what the fee leaves."""
    C = ctx.C
    O = ctx.O
    S = ctx.SCR
    W = ctx.W
    FPR = ctx.FPR
    h = ctx.PI[PI_HEIGHT]
    if not room(ctx, 2, 3):
        return -1
    soft = W[w, W_SOFT]
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    add_input(ctx, s, attempt, FPR[soft, FP_SEQ], FPR[soft, FP_LOWR] == 1)
    val = ctx.U[s, U_VALUE]
    for k in range(2):
        r = add_output(ctx, S[k, SC_VAL], S[k, SC_ST], S[k, SC_ADDR], S[k, SC_OWNER],
                       S[k, SC_FLAGS], S[k, SC_TAG], S[k, SC_AUX])
        O[r, O_CUST] = S[k, SC_CUST]
    wgt, vs, sw = tx_vsize(ctx, in0, 1, out0, 2)
    fee = fee_for(vs, feerate_now(ctx, 1.0))
    O[out0 + 1, O_VALUE] = val - S[0, SC_VAL] - fee
    if O[out0 + 1, O_VALUE] < DUST:
        abort(ctx, in0, out0)
        return -1
    if FPR[soft, FP_BIP69] == 1:
        sort_outputs_by_value(ctx, out0, 2, False)
    return commit(ctx, kind, P_NONE, w, FPR[soft, FP_VERSION], locktime_for(ctx, soft, h),
                  in0, 1, out0, 2)


# =========================================================================== PayJoin

@njit(cache=True, nogil=True)
def b_payjoin(ctx, h):
    """BIP78: the receiver adds one input and takes it back in its output."""
    C = ctx.C
    U = ctx.U
    W = ctx.W
    I = ctx.I
    O = ctx.O
    DIR = ctx.DIR
    FPR = ctx.FPR
    rng = ctx.RNG
    if not room(ctx, 30, 4):
        return -1
    s = -1
    for _ in range(16):
        u = pick_user(ctx, h, 2)
        if u >= 0 and (W[u, W_SOFT] == S_CORE or W[u, W_SOFT] == S_ELECTRUM or W[u, W_SOFT] == S_WASABI2):
            s = u
            break
    if s < 0:
        return -1
    m = -1
    for _ in range(16):
        c = DIR[DIR_MERCH0] + randint(rng, DIR[DIR_NMERCH])
        if W[c, W_AUX] & 2 and has_spendable(ctx, c, h):
            m = c
            break
    if m < 0:
        return -1
    bal = spendable_balance(ctx, s, h, 32)
    v = int(lognormal(rng, ctx.PF[PF_PAY_MEDIAN] * 0.5, 1.0))
    if v > bal * 0.7 or v < 10_000:
        return -1
    soft = W[s, W_SOFT]
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    seq = FPR[soft, FP_SEQ]
    low_r = FPR[soft, FP_LOWR] == 1
    feerate = feerate_now(ctx, 1.0)
    inval = 0
    nin = 0
    x = W[s, W_HEAD]
    k = 0
    while x >= 0 and nin < 20 and k < MAX_SCAN:
        k += 1
        if U[x, U_HEIGHT] >= h:
            break
        nx = U[x, U_NEXT]
        if spendable(U, x, h, attempt):
            add_input(ctx, x, attempt, seq, low_r)
            inval += U[x, U_VALUE]
            nin += 1
            if inval >= v + feerate * (70 * (nin + 1) + 80) + 2 * DUST:
                break
        x = nx
    if nin == 0 or inval < v + feerate * (70 * (nin + 1) + 80) + 2 * DUST:
        abort(ctx, in0, out0)
        return -1
    # receiver contributes a coin of the sender's first input type if it has one
    rs = find_utxo(ctx, m, h, attempt, 0, I[in0, I_STYPE], -1, 0)
    if rs < 0:
        rs = find_utxo(ctx, m, h, attempt, 0, STYPE_ANY, -1, 0)
    if rs < 0:
        abort(ctx, in0, out0)
        return -1
    rv = U[rs, U_VALUE]
    add_input(ctx, rs, attempt, seq, low_r)
    ra, rst = dest_decide(ctx, m, False)
    add_output(ctx, v + rv, rst, ra, m, 0, 0, 0)
    ca, cst = change_decide(ctx, s, in0)
    cr = add_output(ctx, 0, cst, ca, s, F_CHANGE, TAG_CHANGE, 0)
    wgt, vs, sw = tx_vsize(ctx, in0, nin + 1, out0, 2)
    fee = fee_for(vs, feerate)
    O[cr, O_VALUE] = inval - v - fee
    if O[cr, O_VALUE] < DUST:
        abort(ctx, in0, out0)
        return -1
    shuffle_inputs(ctx, in0, nin + 1)
    shuffle_outputs(ctx, out0, 2)
    t = request_commit(ctx, K_PAYJOIN, P_PAYJOIN, s, FPR[soft, FP_VERSION], locktime_for(ctx, soft, h),
               in0, nin + 1, out0, 2)
    if t >= 0:
        pend_participant(ctx, s, PR_SENDER, nin, 1, inval, inval - v - fee)
        pend_participant(ctx, m, PR_RECEIVER, 1, 1, rv, v + rv)
    return t


# =========================================================================== Whirlpool

@njit(cache=True, nogil=True)
def pick_pool(ctx):
    rng = ctx.RNG
    x = rand01(rng)
    if x < 0.35:
        return 0
    if x < 0.75:
        return 1
    if x < 0.93:
        return 2
    return 3


@njit(cache=True, nogil=True)
def b_tx0(ctx, h):
    """Whirlpool TX0: coordinator fee, an OP_RETURN, premix outputs and change."""
    W = ctx.W
    DIR = ctx.DIR
    POOLS = ctx.POOLS
    rng = ctx.RNG
    u = pick_soft(ctx, S_SAMOURAI, h, 16, True)
    if u < 0:
        return -1
    bal = spendable_balance(ctx, u, h, 32)
    idx = -1
    for j in range(3, -1, -1):
        p = POOLS[j]
        if bal >= p * 1.25 and (j == 0 or rand01(rng) < 0.6):
            idx = j
            break
    if idx < 0:
        return -1
    p = POOLS[idx]
    extra = int(max(ctx.PF[PF_FEERATE], 1.0) * 150) + 100
    coord = p * 5 // 100
    m = int((bal * 0.95 - coord) // (p + extra))
    m = min(m, 1 + poisson(rng, 3.0), 20)
    if m < 1:
        return -1
    pre = W[u, W_LINK]
    a, st = dest_decide(ctx, DIR[DIR_COORD_WHIRL], True)
    plan(ctx, 0, a, st, DIR[DIR_COORD_WHIRL], coord, TAG_COORD, 0, -1, 0)
    for j in range(m):
        plan(ctx, 1 + j, -1, ST_P2WPKH, pre, p + extra, 0, idx, -1, F_PREMIX)
    t = request_spend(ctx, u, m + 1, K_TX0, P_WHIRLPOOL, 1.0, 0, STYPE_ANY, 30, False, -1, 46)
    return t


@njit(cache=True, nogil=True)
def whirlpool_entrants(ctx, h, attempt, idx, p, got_new, got_remix, upto):
    """Add premix outputs of new Samourai entrants to a Whirlpool mix until it has `upto`
    participants (80 tries); each entrant's postmix wallet, role and premix wallet go to SCR
    after the ones already in. Returns the new count of entrants."""
    U = ctx.U
    W = ctx.W
    S = ctx.SCR
    for _ in range(80):
        if got_new + got_remix >= upto:
            break
        u = pick_soft(ctx, S_SAMOURAI, h, 1, False)
        if u < 0:
            break
        pre = W[u, W_LINK]
        if W[pre, W_MARK] == attempt:
            continue
        s = find_utxo(ctx, pre, h, attempt, F_PREMIX, STYPE_ANY, idx, p)
        if s < 0 or U[s, U_VALUE] > p + 110_000:
            continue
        W[pre, W_MARK] = attempt
        add_input(ctx, s, attempt, SEQ_FINAL, False)
        S[got_new + got_remix, 0] = W[u, W_LINK2]
        S[got_new + got_remix, 1] = PR_PARTICIPANT
        S[got_new + got_remix, 2] = pre
        got_new += 1
    return got_new


@njit(cache=True, nogil=True)
def b_whirlpool(ctx, h):
    """A Whirlpool mix: 5 (sometimes up to 8) inputs, as many outputs of exactly the pool size."""
    C = ctx.C
    U = ctx.U
    W = ctx.W
    I = ctx.I
    POOLS = ctx.POOLS
    S = ctx.SCR
    rng = ctx.RNG
    if not room(ctx, 10, 10):
        return -1
    idx = pick_pool(ctx)
    p = POOLS[idx]
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    total = 5
    if rand01(rng) < 0.15:
        total = 6 + randint(rng, 3)
    n_new = 2 if rand01(rng) < 0.7 else 3
    # participants are stored in SCR: wallet (postmix destination), role, wallet spent from
    got_new = whirlpool_entrants(ctx, h, attempt, idx, p, 0, 0, n_new)
    got_remix = 0
    if got_new < 2:
        abort(ctx, in0, out0)
        return -1
    for _ in range(120):
        if got_new + got_remix >= total:
            break
        u = pick_soft(ctx, S_SAMOURAI, h, 1, False)
        if u < 0:
            break
        post = W[u, W_LINK2]
        if W[post, W_MARK] == attempt:
            continue
        s = find_utxo(ctx, post, h, attempt, F_POSTMIX, STYPE_ANY, idx, p)
        if s < 0 or U[s, U_VALUE] != p:
            continue
        W[post, W_MARK] = attempt
        add_input(ctx, s, attempt, SEQ_FINAL, False)
        S[got_new + got_remix, 0] = post
        S[got_new + got_remix, 1] = PR_REMIXER
        S[got_new + got_remix, 2] = post
        got_remix += 1
    # a young pool without remix liquidity mixes new entrants only (its genesis mixes)
    got_new = whirlpool_entrants(ctx, h, attempt, idx, p, got_new, got_remix, 5)
    n = got_new + got_remix
    if n < 5:
        abort(ctx, in0, out0)
        return -1
    for j in range(n):
        add_output(ctx, p, ST_P2WPKH, -1, S[j, 0], F_POSTMIX | F_COINJOIN, TAG_EQUAL, idx)
    # remember input values per participant before shuffling
    for j in range(n):
        S[j, 3] = I[in0 + j, I_VALUE]
    shuffle_inputs(ctx, in0, n)
    shuffle_outputs(ctx, out0, n)
    t = request_commit(ctx, K_COINJOIN, P_WHIRLPOOL, -1, 1, 0, in0, n, out0, n)
    if t >= 0:
        for j in range(n):
            pend_participant(ctx, S[j, 2], S[j, 1], 1, 1, S[j, 3], p)
    return t


# =========================================================================== JoinMarket

@njit(cache=True, nogil=True)
def select_for(ctx, w, h, attempt, stype_req, need, max_in, seq, low_r):
    """Add inputs of w until their sum reaches need; returns (n inputs, sum)."""
    U = ctx.U
    s = ctx.W[w, W_HEAD]
    nin = 0
    tot = 0
    k = 0
    while s >= 0 and nin < max_in and k < MAX_SCAN:
        k += 1
        if U[s, U_HEIGHT] >= h:
            break
        nx = U[s, U_NEXT]
        if spendable(U, s, h, attempt) and stype_ok(U[s, U_STYPE], stype_req) \
                and (U[s, U_FLAGS] & (F_PREMIX | F_PEEL)) == 0:
            add_input(ctx, s, attempt, seq, low_r)
            tot += U[s, U_VALUE]
            nin += 1
            if tot >= need:
                break
        s = nx
    return nin, tot


@njit(cache=True, nogil=True)
def b_joinmarket(ctx, h):
    C = ctx.C
    W = ctx.W
    I = ctx.I
    O = ctx.O
    S = ctx.SCR
    rng = ctx.RNG
    if not room(ctx, 40, 24):
        return -1
    taker = pick_soft(ctx, S_JOINMARKET, h, 16, True)
    if taker < 0:
        return -1
    st = wallet_type(ctx, taker)
    bal = spendable_balance(ctx, taker, h, 32)
    if bal < 300_000:
        return -1
    d = int(lognormal(rng, 3_000_000.0, 1.0))
    d = min(d, int(bal * 0.8))
    d = max(round_amount(ctx, d), 100_000)
    n_makers = 2 + randint(rng, 6)
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    feerate = feerate_now(ctx, 0.9)
    W[taker, W_MARK] = attempt
    # makers
    nm = 0
    fees = 0
    for _ in range(60):
        if nm >= n_makers:
            break
        mk = pick_soft(ctx, S_JOINMARKET, h, 1, True)
        if mk < 0 or W[mk, W_MARK] == attempt:
            continue
        if wallet_type(ctx, mk) != st:
            continue
        r0 = C[C_NIN]
        k, tot = select_for(ctx, mk, h, attempt, st, d + 20_000, 3, SEQ_LOCK, False)
        if tot < d + 20_000:
            C[C_NIN] = r0
            continue
        W[mk, W_MARK] = attempt
        cj = 250 + int(d * 0.00002 * (0.5 + rand01(rng)))
        S[nm + 1, 0] = mk
        S[nm + 1, 1] = PR_MAKER
        S[nm + 1, 2] = k
        S[nm + 1, 3] = tot
        S[nm + 1, 4] = cj
        S[nm + 1, 5] = r0
        fees += cj
        nm += 1
    if nm < 2:
        abort(ctx, in0, out0)
        return -1
    n = nm + 1
    sweep = rand01(rng) < 0.2
    # taker inputs: amount, maker fees and the miner fee of the whole transaction
    nin_so_far = C[C_NIN] - in0
    est = (nin_so_far + 3) * 91 + (2 * n) * 32 + 12
    need = d + fees + int(est * feerate) + 2 * DUST
    r0 = C[C_NIN]
    k, tot = select_for(ctx, taker, h, attempt, st, need if not sweep else 1 << 62, 6, SEQ_LOCK, False)
    if tot < need:
        abort(ctx, in0, out0)
        return -1
    S[0, 0] = taker
    S[0, 1] = PR_TAKER
    S[0, 2] = k
    S[0, 3] = tot
    S[0, 4] = 0
    S[0, 5] = r0
    # the participant with the largest input spends one more coin (keeps the
    # largest input below denomination + largest change, as JoinMarket's subset-sum-proof shape)
    nin = C[C_NIN] - in0
    big = in0
    for r in range(in0, in0 + nin):
        if I[r, I_VALUE] > I[big, I_VALUE]:
            big = r
    owner = I[big, I_OWNER]
    for j in range(n):
        if S[j, 0] == owner and S[j, 2] == 1:
            x = find_utxo(ctx, owner, h, attempt, 0, st, -1, 20_000)
            if x < 0:
                abort(ctx, in0, out0)
                return -1
            add_input(ctx, x, attempt, SEQ_LOCK, False)
            S[j, 2] += 1
            S[j, 3] += ctx.U[x, U_VALUE]
            nin += 1
    # outputs: n equal, makers' changes, taker's change
    for j in range(n):
        add_output(ctx, d, st, -1, S[j, 0], F_COINJOIN, TAG_EQUAL, 0)
    for j in range(1, n):
        add_output(ctx, S[j, 3] - d + S[j, 4], st, -1, S[j, 0], F_CHANGE, 0, 0)
    tr = add_output(ctx, 0, st, -1, taker, F_CHANGE, TAG_CHANGE, 0)
    nout = 2 * n
    wgt, vs, sw = tx_vsize(ctx, in0, nin, out0, nout)
    fee = fee_for(vs, feerate)
    tchange = S[0, 3] - d - fees - fee
    if tchange < DUST or sweep:
        # no taker change: the remainder is miner fee
        C[C_NOUT] -= 1
        nout -= 1
        wgt, vs, sw = tx_vsize(ctx, in0, nin, out0, nout)
        if S[0, 3] - d - fees < fee_for(vs, feerate) or S[0, 3] - d - fees > 50 * fee_for(vs, feerate) + 50_000:
            abort(ctx, in0, out0)
            return -1
        tchange = 0
    else:
        O[tr, O_VALUE] = tchange
    # Dumplings' shape rules: one repeated value; largest input <= d + largest change - 0.0001 BTC
    maxch = 0
    for r in range(out0 + n, out0 + nout):
        v = O[r, O_VALUE]
        if v == d:
            abort(ctx, in0, out0)
            return -1
        for r2 in range(out0 + n, r):
            if O[r2, O_VALUE] == v:
                abort(ctx, in0, out0)
                return -1
        maxch = max(maxch, v)
    maxin = 0
    for r in range(in0, in0 + nin):
        maxin = max(maxin, I[r, I_VALUE])
    if maxin > d + maxch - 10_000:
        abort(ctx, in0, out0)
        return -1
    shuffle_inputs(ctx, in0, nin)
    shuffle_outputs(ctx, out0, nout)
    t = request_commit(ctx, K_COINJOIN, P_JOINMARKET, taker, 2, max(h - 1, 0), in0, nin, out0, nout)
    if t >= 0:
        for j in range(n):
            outv = d + (tchange if j == 0 else S[j, 3] - d + S[j, 4])
            no = 2 if (j > 0 or tchange > 0) else 1
            pend_participant(ctx, S[j, 0], S[j, 1], S[j, 2], no, S[j, 3], outv)
    return t


# =========================================================================== Wasabi 1

@njit(cache=True, nogil=True)
def b_wasabi1(ctx, h):
    """ZeroLink round: >= 10 outputs of ~0.1 BTC, each participant's change, coordinator fee."""
    C = ctx.C
    W = ctx.W
    S = ctx.SCR
    DIR = ctx.DIR
    rng = ctx.RNG
    target = 12 + randint(rng, 40)
    if not room(ctx, 4 * target + 4, 3 * target + 4):
        return -1
    d = int(10_000_000 * (1.0 + 0.16 * (rand01(rng) - 0.5)))
    feerate = feerate_now(ctx, 0.8)
    coord_fee = int(d * 0.00003 * target)
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    n = 0
    for _ in range(target * 6):
        if n >= target:
            break
        u = pick_soft(ctx, S_WASABI1, h, 1, True)
        if u < 0 or W[u, W_MARK] == attempt:
            continue
        r0 = C[C_NIN]
        need = d + coord_fee + int(feerate * 200) + 2 * DUST
        k, tot = select_for(ctx, u, h, attempt, ST_P2WPKH, need, 4, SEQ_FINAL, True)
        change = tot - d - coord_fee - int(math.ceil(feerate * (68 * k + 62 + 8)))
        if tot < need or change < DUST:
            C[C_NIN] = r0
            continue
        W[u, W_MARK] = attempt
        S[n, 0] = u
        S[n, 1] = k
        S[n, 2] = tot
        S[n, 3] = change
        n += 1
    if n < 10:
        abort(ctx, in0, out0)
        return -1
    coord = DIR[DIR_COORD_WW1]
    ca, cst = dest_decide(ctx, coord, True)
    add_output(ctx, coord_fee * n, ST_P2WPKH, ca if cst == ST_P2WPKH else -1, coord, 0, TAG_COORD, 0)
    for j in range(n):
        add_output(ctx, d, ST_P2WPKH, -1, S[j, 0], F_COINJOIN, TAG_EQUAL, 0)
        if S[j, 3] >= DUST:
            add_output(ctx, S[j, 3], ST_P2WPKH, -1, S[j, 0], F_CHANGE, 0, 0)
    nout = C[C_NOUT] - out0
    nin = C[C_NIN] - in0
    shuffle_inputs(ctx, in0, nin)
    shuffle_outputs(ctx, out0, nout)
    t = request_commit(ctx, K_COINJOIN, P_WASABI1, -1, 1, 0, in0, nin, out0, nout)
    if t >= 0:
        for j in range(n):
            ch = S[j, 3] if S[j, 3] >= DUST else 0
            pend_participant(ctx, S[j, 0], PR_PARTICIPANT, S[j, 1], 2 if ch else 1, S[j, 2], d + ch)
        pend_participant(ctx, coord, PR_COORDINATOR, 0, 1, 0, coord_fee * n)
    return t


# =========================================================================== Wasabi 2

@njit(cache=True, nogil=True)
def b_wasabi2(ctx, h):
    """WabiSabi round: many inputs, outputs decomposed into standard denominations,
    inputs and outputs sorted by value, descending."""
    C = ctx.C
    W = ctx.W
    I = ctx.I
    S = ctx.SCR
    DEN = ctx.DEN
    DIR = ctx.DIR
    rng = ctx.RNG
    target = 12 + randint(rng, 50)
    if not room(ctx, 5 * target + 4, 14 * target + 4):
        return -1
    feerate = feerate_now(ctx, 0.7)
    attempt = new_attempt(ctx)
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    n = 0
    for _ in range(target * 6):
        if n >= target:
            break
        u = pick_soft(ctx, S_WASABI2, h, 1, True)
        if u < 0 or W[u, W_MARK] == attempt:
            continue
        r0 = C[C_NIN]
        k, tot = select_for(ctx, u, h, attempt, STYPE_WW2, 1 << 62, 1 + randint(rng, 5), SEQ_FINAL, True)
        if tot < 200_000:
            C[C_NIN] = r0
            continue
        W[u, W_MARK] = attempt
        S[n, 0] = u
        S[n, 1] = k
        S[n, 2] = tot
        n += 1
    nin = C[C_NIN] - in0
    if n < 5 or nin < 15:
        abort(ctx, in0, out0)
        return -1
    coord_total = 0
    n_std = 0
    n_other = 0
    for j in range(n):
        u = S[j, 0]
        tot = S[j, 2]
        cfee = int(tot * 0.003) if tot >= 1_000_000 else 0
        coord_total += cfee
        in_cost = 0
        for r in range(C[C_NIN] - nin, C[C_NIN]):
            if I[r, I_OWNER] == u:
                in_cost += int(feerate * (58 if I[r, 1] == ST_P2TR else 68))
        ost = wallet_type(ctx, u)
        ocost = int(feerate * (43 if ost == ST_P2TR else 31))
        rem = tot - cfee - in_cost
        maxo = 1 + randint(rng, 8)
        no = 0
        outv = 0
        while rem >= 5_000 + ocost and no < 16:
            if no >= maxo and rand01(rng) < 0.5 and (n_other + 2) * 6 <= n_std:
                add_output(ctx, rem - ocost, ost, -1, u, F_CHANGE, 0, 0)
                outv += rem - ocost
                rem = 0
                no += 1
                n_other += 1
                break
            q = 0
            while q < DEN.shape[0] and DEN[q] > rem - ocost:
                q += 1
            if q >= DEN.shape[0]:
                break
            # sometimes take a smaller denomination, as the decomposer mixes sizes
            if q + 1 < DEN.shape[0] and rand01(rng) < 0.25:
                q += 1
            add_output(ctx, DEN[q], ost, -1, u, F_COINJOIN, TAG_EQUAL, 0)
            outv += DEN[q]
            rem -= DEN[q] + ocost
            no += 1
            n_std += 1
        S[j, 3] = no
        S[j, 4] = outv
    if coord_total > 0:
        coord = DIR[DIR_COORD_WW2]
        ca, cst = dest_decide(ctx, coord, True)
        add_output(ctx, coord_total, ST_P2WPKH, ca if cst == ST_P2WPKH else -1, coord, 0, TAG_COORD, 0)
        n_other += 1
    nout = C[C_NOUT] - out0
    if n_std * 10 <= 8 * nout:
        abort(ctx, in0, out0)
        return -1
    sort_inputs_by_value_desc(ctx, in0, nin)
    sort_outputs_by_value(ctx, out0, nout, True)
    t = request_commit(ctx, K_COINJOIN, P_WASABI2, -1, 1, 0, in0, nin, out0, nout)
    if t >= 0:
        for j in range(n):
            pend_participant(ctx, S[j, 0], PR_PARTICIPANT, S[j, 1], S[j, 3], S[j, 2], S[j, 4])
        if coord_total > 0:
            pend_participant(ctx, DIR[DIR_COORD_WW2], PR_COORDINATOR, 0, 1, 0, coord_total)
    return t


# =========================================================================== coinbase

@njit(cache=True, nogil=True)
def b_coinbase(ctx, h, subsidy):
    """Row 0 of the block: the pool's coinbase (or a P2Pool-like payout to many miners)."""
    C = ctx.C
    T = ctx.T
    I = ctx.I
    O = ctx.O
    W = ctx.W
    DIR = ctx.DIR
    PI = ctx.PI
    rng = ctx.RNG
    pool = PI[PI_POOL]
    total = subsidy + C[C_FEES]
    in0 = C[C_NIN]
    out0 = C[C_NOUT]
    r = in0
    C[C_NIN] = r + 1
    I[r, I_VOUT] = 0xFFFFFFFF
    I[r, I_STYPE] = ST_COINBASE_IN
    I[r, I_ADDR] = -1
    I[r, I_VALUE] = 0
    I[r, I_SEQ] = SEQ_FINAL
    I[r, I_OWNER] = -1
    I[r, I_SIG] = 0
    I[r, I_SLOT] = -1
    I[r, I_FLAGS] = 0
    pw = DIR[DIR_POOL0] + pool if pool < DIR[DIR_NPOOL] else DIR[DIR_P2POOL]
    if pw == DIR[DIR_P2POOL]:
        k = PI[PI_NBOOT_PAY] if PI[PI_BOOTSTRAP] else 20 + randint(rng, 60)
        k = min(k, ctx.SCR.shape[0])
        # miners are paid by their share of the pool's work: uneven amounts
        S = ctx.SCR
        wsum = 0
        for j in range(k):
            S[j, 0] = 1000 + int(lognormal(rng, 10_000.0, 1.0))
            wsum += S[j, 0]
        left = total
        for j in range(k):
            v = total * S[j, 0] // wsum if j < k - 1 else left
            u = random_user(ctx, -1)
            a, st = dest_decide(ctx, u, True)
            add_output(ctx, v, st, a, u, F_COINBASE, 0, 0)
            left -= v
    else:
        a, st = dest_decide(ctx, pw, True)
        add_output(ctx, total, st, a, pw, F_COINBASE, 0, 0)
    add_output(ctx, 0, ST_COMMITMENT, -1, -1, 0, 0, 0)
    nout = C[C_NOUT] - out0
    txnum = C[C_NEXT_TX]
    C[C_NEXT_TX] = txnum + 1
    reuse = 0
    for j in range(nout):
        rr = out0 + j
        materialize(ctx, rr)
        O[rr, O_TX] = 0
        if O[rr, O_OWNER] >= 0:
            if O[rr, O_NEW] == 0:
                reuse = 1
            make_utxo(ctx, h, rr, txnum, j, 0)
    wgt, vs, sw = tx_vsize(ctx, in0, 1, out0, nout)
    T[0, T_VERSION] = 1 if pool % 2 == 0 else 2
    T[0, T_LOCKTIME] = 0
    T[0, T_IN0] = in0
    T[0, T_NIN] = 1
    T[0, T_OUT0] = out0
    T[0, T_NOUT] = nout
    T[0, T_KIND] = K_COINBASE
    T[0, T_PROTO] = P_NONE
    T[0, T_SENDER] = pw
    T[0, T_CHANGE] = -1
    T[0, T_FEE] = 0
    T[0, T_SEGWIT] = 1
    T[0, T_WEIGHT] = 0
    T[0, T_VSIZE] = 0
    T[0, T_TXNUM] = txnum
    T[0, T_EXTRA] = pool
    T[0, T_REUSE] = reuse
    T[0, T_INVAL] = 0
    T[0, T_FLAGS] = 0
    _ = W


# =========================================================================== block driver

@njit(cache=True, nogil=True)
def run_block(ctx, intents, subsidy, reserve_weight):
    """Build one block: row 0 is the coinbase, then one tx per successful intent."""
    C = ctx.C
    PF = ctx.PF
    PI = ctx.PI
    h = PI[PI_HEIGHT]
    C[C_NTX] = 1
    C[C_NIN] = 0
    C[C_NOUT] = 0
    C[C_NA] = 0
    C[C_NP] = 0
    C[C_ND] = 0
    C[C_NCA] = 0
    C[C_WEIGHT] = reserve_weight
    C[C_FEES] = 0
    fails = 0
    maxw = PF[PF_MAXW]
    for i in range(intents.shape[0]):
        if C[C_NTX] >= PI[PI_MAXTX] or C[C_WEIGHT] > maxw - 2000:
            break
        it = intents[i]
        R = ctx.REQ
        R[R_OP] = OP_NONE
        R[R_NPART] = 0
        if it == I_PAYMENT:
            t = b_payment(ctx, h)
        elif it == I_MERCHANT:
            t = b_merchant(ctx, h)
        elif it == I_DEPOSIT:
            t = b_deposit(ctx, h, -1)
        elif it == I_SURGE_DEPOSIT:
            t = b_deposit(ctx, h, -2)
        elif it == I_MARKET:
            t = b_deposit(ctx, h, ctx.DIR[DIR_SANCT_EX])
        elif it == I_WITHDRAWAL:
            t = b_withdrawal(ctx, h)
        elif it == I_SWEEP:
            t = b_sweep(ctx, h)
        elif it == I_COLD:
            t = b_cold(ctx, h)
        elif it == I_CONSOLIDATION:
            t = b_consolidation(ctx, h)
        elif it == I_DONATION:
            t = b_donation(ctx, h)
        elif it == I_DONATION_CJ:
            t = b_donation_cj(ctx, h)
        elif it == I_POOL_PAYOUT:
            t = b_pool_payout(ctx, h)
        elif it == I_SETTLEMENT:
            t = b_settlement(ctx, h)
        elif it == I_DATA:
            t = b_data(ctx, h)
        elif it == I_PAYJOIN:
            t = b_payjoin(ctx, h)
        elif it == I_RANSOM:
            t = b_ransom(ctx, h)
        elif it == I_PEEL:
            t = b_peel(ctx, h)
        elif it == I_WHIRLPOOL:
            t = b_whirlpool(ctx, h)
        elif it == I_TX0:
            t = b_tx0(ctx, h)
        elif it == I_JOINMARKET:
            t = b_joinmarket(ctx, h)
        elif it == I_WASABI1:
            t = b_wasabi1(ctx, h)
        elif it == I_WASABI2:
            t = b_wasabi2(ctx, h)
        op = R[R_OP]
        t = -1
        if op == OP_SPEND:
            t = spend(ctx, R[R_SENDER], R[R_NPAY], R[R_KIND], R[R_PROTO], R[R_FEEMULT] / 1000.0,
                      R[R_FLAG], R[R_STYPE], R[R_MAXIN], R[R_SENDALL] == 1, R[R_FIXED],
                      R[R_DATALEN])
        elif op == OP_FIXED_TWO:
            t = spend_fixed_two(ctx, R[R_SENDER], R[R_FIXED], R[R_KIND])
        elif op == OP_COMMIT:
            t = commit(ctx, R[R_KIND], R[R_PROTO], R[R_SENDER], R[R_VERSION], R[R_LOCKTIME],
                       R[R_IN0], R[R_NIN], R[R_OUT0], R[R_NOUT])
        if t >= 0:
            for k in range(R[R_NPART]):
                ctx.P[C[C_NP] + k, P_TX] = t
            C[C_NP] += R[R_NPART]
        else:
            fails += 1
            R[R_FAIL0 + it] += 1
    C[C_WEIGHT] -= reserve_weight
    b_coinbase(ctx, h, subsidy)
    return C[C_NTX], fails


_unused = (C_NA, C_NCA, C_NP, W_BAL, W_HEAD, W_NUTXO, W_ROLE, K_DONATION, P_WASABI2, P_WASABI1,
           U_MARK, U_AUX, U_FLAGS, I_SLOT, I_SEQ, I_SIG, I_ADDR, I_FLAGS, I_VOUT, F_COINBASE,
           ST_P2PKH, O_ADDR, O_SLOT, O_AUX, np, chance, DS_COINJOIN, DS_EXCHANGE)
