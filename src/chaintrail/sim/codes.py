"""Integer codes shared by the simulator's numba kernels and its Python side:
transaction kinds, CoinJoin protocols, entity kinds, wallet roles and
software, UTXO flags, and the column layout of the state arrays.

Numba reads module-level integers as compile-time constants, so the kernels
index their 2-D state arrays with these names.
"""

from __future__ import annotations

from chaintrail.bitcoin import script_types as st

# ----------------------------------------------------------------- tx kinds
K_COINBASE = 0
K_PAYMENT = 1
K_DEPOSIT = 2
K_WITHDRAWAL = 3
K_SWEEP = 4
K_COLD = 5
K_CONSOLIDATION = 6
K_DONATION = 7
K_COINJOIN = 8
K_TX0 = 9
K_PAYJOIN = 10
K_PEEL = 11
K_RANSOM = 12
K_POOL_PAYOUT = 13
K_SETTLEMENT = 14
K_DATA = 15
KIND_NAMES = (
    "coinbase", "payment", "deposit", "withdrawal_batch", "sweep", "cold_storage",
    "consolidation", "donation", "coinjoin", "whirlpool_tx0", "payjoin", "peel_step",
    "ransom_payment", "pool_payout", "settlement", "data_carrier",
)

# ----------------------------------------------------------------- protocols
P_NONE = 0
P_WASABI1 = 1
P_WASABI2 = 2
P_WHIRLPOOL = 3
P_JOINMARKET = 4
P_PAYJOIN = 5
PROTOCOL_NAMES = ("", "wasabi1", "wasabi2", "whirlpool", "joinmarket", "payjoin")

# ----------------------------------------------------------------- intents (scheduled per block)
I_PAYMENT = 0
I_MERCHANT = 1
I_DEPOSIT = 2
I_WITHDRAWAL = 3
I_SWEEP = 4
I_COLD = 5
I_CONSOLIDATION = 6
I_DONATION = 7
I_DONATION_CJ = 8
I_POOL_PAYOUT = 9
I_SETTLEMENT = 10
I_DATA = 11
I_PAYJOIN = 12
I_RANSOM = 13
I_PEEL = 14
I_MARKET = 15
I_WHIRLPOOL = 16
I_TX0 = 17
I_JOINMARKET = 18
I_WASABI1 = 19
I_WASABI2 = 20
N_INTENTS = 21
#: a deposit by a customer of the surge jurisdiction (profile surge_*), scheduled apart
I_SURGE_DEPOSIT = 21

# ----------------------------------------------------------------- entity kinds
E_USER = 0
E_EXCHANGE = 1
E_MERCHANT = 2
E_PROCESSOR = 3
E_POOL = 4
E_DONATION_ORG = 5
E_COORDINATOR = 6
E_ILLICIT = 7
E_SANCTIONED = 8
ENTITY_KIND_NAMES = (
    "user", "exchange", "merchant", "payment_processor", "mining_pool", "donation_org",
    "coinjoin_coordinator", "ransomware", "sanctioned_exchange",
)

# ----------------------------------------------------------------- wallet roles
R_USER = 0
R_PREMIX = 1
R_POSTMIX = 2
R_DEPOSIT = 3      # an exchange's customer deposit addresses
R_HOT = 4
R_COLD = 5
R_MERCHANT = 6
R_PROCESSOR = 7
R_POOL = 8
R_DONATION = 9
R_COORDINATOR = 10
R_ILLICIT = 11
ROLE_NAMES = (
    "user", "whirlpool_premix", "whirlpool_postmix", "exchange_deposit", "exchange_hot",
    "exchange_cold", "merchant", "processor", "pool", "donation", "coordinator", "illicit",
)

# ----------------------------------------------------------------- wallet software (fingerprints)
S_CORE = 0
S_ELECTRUM = 1
S_MOBILE = 2
S_WASABI1 = 3
S_WASABI2 = 4
S_SAMOURAI = 5
S_JOINMARKET = 6
S_SERVICE = 7      # custodial service software (exchanges, pools, processors)
SOFTWARE_NAMES = (
    "bitcoin_core", "electrum", "mobile", "wasabi1", "wasabi2", "samourai", "joinmarket",
    "service",
)
N_USER_SOFTWARE = 7

# ----------------------------------------------------------------- UTXO flags
F_COINBASE = 1
F_CHANGE = 2
F_COINJOIN = 4        # an equal-value CoinJoin output (mixed coin)
F_WITHDRAWAL = 8      # received from an exchange withdrawal
F_PREMIX = 16
F_POSTMIX = 32
F_PEEL = 64           # head of a peel chain
F_RANSOM = 128

# donation sources
DS_OWN = 0
DS_EXCHANGE = 1
DS_COINJOIN = 2
DONATION_SOURCE_NAMES = ("own_wallet", "exchange_withdrawal", "coinjoin")

# participant roles
PR_PARTICIPANT = 0
PR_TAKER = 1
PR_MAKER = 2
PR_COORDINATOR = 3
PR_SENDER = 4
PR_RECEIVER = 5
PR_REMIXER = 6
PARTICIPANT_ROLE_NAMES = ("participant", "taker", "maker", "coordinator", "sender", "receiver",
                          "remixer")

# ----------------------------------------------------------------- script types used
ST_P2PKH = st.P2PKH
ST_P2SH = st.P2SH          # always P2SH-P2WPKH in the simulator
ST_P2WPKH = st.P2WPKH
ST_P2WSH = st.P2WSH        # 2-of-3 multisig witness script
ST_P2TR = st.P2TR
ST_MULTISIG = st.MULTISIG  # bare 1-of-2 multisig
ST_OP_RETURN = st.OP_RETURN
ST_COINBASE_IN = 100       # marker in the input table for a coinbase input
ST_COMMITMENT = 101        # marker in the output table for the witness commitment

# ----------------------------------------------------------------- wallet columns (W)
W_HEAD = 0
W_TAIL = 1
W_NUTXO = 2
W_BAL = 3
W_ENTITY = 4
W_ROLE = 5
W_SOFT = 6
W_STYPE = 7      # preferred receive script type
W_RECV = 8       # current receive address id (-1 none)
W_RECV_ST = 9
W_REUSE = 10     # permille
W_CHREUSE = 11   # permille
W_MARK = 12      # attempt id that reserved this wallet
W_AUX = 13       # users: first customer record; exchange wallets: exchange index
W_AUX2 = 14      # users: second customer record
W_CHG = 15       # fixed change address for wallets that reuse one (-1 none)
W_CHG_ST = 16
W_WEALTH = 17    # amount scale, in sat
W_LINK = 18      # users: premix wallet / exchange: hot wallet id
W_LINK2 = 19     # users: postmix wallet / premix wallet: its postmix wallet
W_MS = 20        # 1: a multisig wallet receiving on P2WSH 2-of-3
W_NCOL = 21

# ----------------------------------------------------------------- UTXO columns (U)
U_VALUE = 0
U_ADDR = 1
U_STYPE = 2
U_OWNER = 3
U_HEIGHT = 4
U_NEXT = 5
U_PREV = 6
U_FLAGS = 7
U_VOUT = 8
U_MARK = 9
U_TXNUM = 10
U_AUX = 11      # whirlpool pool index / peel chain id
U_NCOL = 12

# ----------------------------------------------------------------- counters (C)
C_NEXT_ADDR = 0
C_NEXT_TX = 1
C_FREE_TOP = 2
C_HIGH = 3       # slots ever used
C_ATTEMPT = 4
C_NTX = 5
C_NIN = 6
C_NOUT = 7
C_NA = 8
C_NP = 9
C_ND = 10
C_NCA = 11
C_WEIGHT = 12
C_FEES = 13
C_HEIGHT = 14
C_LIVE = 15
C_FAILS = 16
C_NCOL = 24

# ----------------------------------------------------------------- block tx table (T)
T_VERSION = 0
T_LOCKTIME = 1
T_IN0 = 2
T_NIN = 3
T_OUT0 = 4
T_NOUT = 5
T_KIND = 6
T_PROTO = 7
T_SENDER = 8
T_CHANGE = 9
T_FEE = 10
T_SEGWIT = 11
T_WEIGHT = 12
T_VSIZE = 13
T_TXNUM = 14
T_EXTRA = 15     # coinbase: pool id
T_REUSE = 16     # 1 when an output pays an address seen before
T_INVAL = 17
T_FLAGS = 18     # TF_* bits
T_NCOL = 19
TF_BIP69 = 1     # inputs sorted by BIP69 when serialized (txids known then)

# ----------------------------------------------------------------- block input table (I)
I_VOUT = 0
I_STYPE = 1
I_ADDR = 2
I_VALUE = 3
I_SEQ = 4
I_OWNER = 5
I_SIG = 6        # bit k set: signature k has a high R (72 bytes)
I_SLOT = 7
I_FLAGS = 8
I_NCOL = 9

# ----------------------------------------------------------------- block output table (O)
O_VALUE = 0
O_STYPE = 1
O_ADDR = 2
O_OWNER = 3
O_FLAGS = 4
O_SLOT = 5
O_TX = 6
O_NEW = 7
O_DATALEN = 8
O_TAG = 9        # builder tag: 1 change, 2 donation, 3 coordinator fee, 4 deposit
O_AUX = 10       # pool index / peel chain / donor wallet / customer
O_CUST = 11      # deposit: customer record to materialise
O_AROW = 12      # row in A of the address this output created, or -1
O_NCOL = 13

# new addresses (A), participants (P), donations (D), customer addresses (CA)
A_ID = 0
A_WALLET = 1
A_STYPE = 2
A_NCOL = 3
P_TX = 0
P_WALLET = 1
P_ROLE = 2
P_NIN = 3
P_NOUT = 4
P_INVAL = 5
P_OUTVAL = 6
P_NCOL = 7
D_TX = 0
D_VOUT = 1
D_DONOR = 2
D_SOURCE = 3
D_VALUE = 4
D_NCOL = 5
CA_CUST = 0
CA_ADDR = 1
CA_NCOL = 2

# output tags
TAG_NONE = 0
TAG_CHANGE = 1
TAG_DONATION = 2
TAG_COORD = 3
TAG_DEPOSIT = 4
TAG_EQUAL = 5
TAG_INTERNAL = 6   # an output to the sender's own wallet that is not change (consolidation)
