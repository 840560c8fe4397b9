"""The simulated economy's actors, set up in bulk with NumPy before the first
block: entities (users, exchanges, merchants, a payment processor, mining
pools, a donation organisation, CoinJoin coordinators, a ransomware actor, a
sanctioned exchange), their wallets with software fingerprints, and the
exchanges' customer records (KYC).

The arrays built here (W, CUST, EX, DIR, SOFTL, FPR) are the numba engine's
state; the Arrow tables (entities, wallets, customers) go to the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chaintrail.sim import codes as K
from chaintrail.sim import names
from chaintrail.sim import state_kernels as S
from chaintrail.sim.profiles import Profile

EXCHANGES = (
    # name, region, code, tx version, sequence
    ("Harborline Exchange", "eu", "HBL", 2, 0xFFFFFFFD),
    ("Coinvale", "us", "CVL", 1, 0xFFFFFFFF),
    ("Satoshi Square", "global", "SSQ", 2, 0xFFFFFFFF),
    ("Nordkap Digital", "eu", "NKD", 1, 0xFFFFFFFF),
    ("Bitbridge Markets", "global", "BBM", 2, 0xFFFFFFFD),
    ("Meridian Crypto", "us", "MRD", 1, 0xFFFFFFFF),
    ("Tundra Trade", "global", "TND", 2, 0xFFFFFFFF),
    ("Ostrava Coin", "eu", "OSC", 1, 0xFFFFFFFD),
)
SANCTIONED_EXCHANGE = ("Grantor Exchange", "cis", "GRX", 1, 0xFFFFFFFF)

POOLS = (
    ("Aurora Pool", "/Aurora Pool/"),
    ("Tidal Mining", "/TidalMining/"),
    ("Granite Hash", "/GraniteHash/"),
    ("Kestrel Pool", "/Kestrel/"),
    ("Nimbus Hashworks", "/NimbusHW/"),
    ("Basalt BTC", "/basalt.btc/"),
    ("Lodestar Pool", "/Lodestar/"),
    ("Quarry Mining", "/Quarry/"),
)
P2POOL = ("P2Pool-like decentralised pool", "")

MERCHANT_KINDS = ("Coffee", "Books", "VPN", "Hosting", "Electronics", "Games", "Travel", "Art",
                  "Apparel", "Software", "Gift Cards", "Hardware Wallets")

#: wallet software fingerprints: version, anti-fee-sniping locktime, sequence, BIP69, low R, change position
FINGERPRINTS = {
    K.S_CORE: (2, 1, 0xFFFFFFFD, 0, 1, 1),
    K.S_ELECTRUM: (2, 1, 0xFFFFFFFD, 1, 1, 1),
    K.S_MOBILE: (1, 0, 0xFFFFFFFF, 0, 0, 0),
    K.S_WASABI1: (1, 0, 0xFFFFFFFF, 0, 1, 1),
    K.S_WASABI2: (2, 1, 0xFFFFFFFD, 0, 1, 1),
    K.S_SAMOURAI: (2, 0, 0xFFFFFFFD, 1, 0, 1),
    K.S_JOINMARKET: (2, 1, 0xFFFFFFFE, 0, 0, 1),
    K.S_SERVICE: (1, 0, 0xFFFFFFFF, 0, 0, 0),
}

WHIRLPOOL_POOLS = np.array([100_000, 1_000_000, 5_000_000, 50_000_000], np.int64)


def standard_denominations() -> np.ndarray:
    """Wasabi 2's standard output values: 2^n, 3^n, 2*3^n and 1/2/5*10^n sat,
    from 5,000 sat to 1,343.75 BTC, descending."""
    lo, hi = 5_000, 134_375_000_000
    vals: set[int] = set()
    v = 1
    while v <= hi:
        vals.add(v)
        vals.add(2 * v if 2 * v <= hi else v)
        v *= 3
    v = 1
    while v <= hi:
        vals.add(v)
        v *= 2
    v = 1
    while v <= hi:
        for m in (1, 2, 5):
            if m * v <= hi:
                vals.add(m * v)
        v *= 10
    # 2*3^n
    v = 1
    while 2 * v <= hi:
        vals.add(2 * v)
        v *= 3
    return np.array(sorted((x for x in vals if lo <= x <= hi), reverse=True), np.int64)


@dataclass
class Population:
    W: np.ndarray
    CUST: np.ndarray
    EX: np.ndarray
    DIR: np.ndarray
    SOFTL: np.ndarray
    FPR: np.ndarray
    softn: np.ndarray
    pool_tags: np.ndarray
    pool_tag_len: np.ndarray
    pool_weights: np.ndarray
    entities: pa.Table
    wallets: pa.Table
    customers: pa.Table
    sanctioned_entity: int
    illicit_entity: int
    donation_entity: int
    wallet_entity: np.ndarray


def build_population(rng: np.random.Generator, prof: Profile, n_txs: int) -> Population:
    n_users = int(max(prof.min_users, n_txs / prof.txs_per_user))
    soft_p = np.asarray(prof.software_mix, float)
    soft_p = soft_p / soft_p.sum()
    user_soft = rng.choice(len(soft_p), size=n_users, p=soft_p)
    n_sam = int((user_soft == K.S_SAMOURAI).sum())
    n_ex = max(2, min(prof.n_exchanges, len(EXCHANGES)))
    n_merch = max(4, prof.n_merchants)
    n_pools = max(1, min(prof.n_pools, len(POOLS)))

    # ---------------------------------------------------------------- entities
    ent_name: list = []
    ent_kind: list = []
    ent_sanct: list = []
    ent_country: list = []

    def add_entity(name, kind, sanctioned=False, country=None):
        ent_name.append(name)
        ent_kind.append(kind)
        ent_sanct.append(sanctioned)
        ent_country.append(country)
        return len(ent_name) - 1

    # people: users' identities (nationality drawn by the exchange they are customers of)
    # users are entities 0..n_users-1; names filled below
    ent_name.extend([None] * n_users)
    ent_kind.extend([K.E_USER] * n_users)
    ent_sanct.extend([False] * n_users)
    ent_country.extend([None] * n_users)
    ex_rows = list(EXCHANGES[:n_ex]) + [SANCTIONED_EXCHANGE]
    ex_entity = [add_entity(r[0], K.E_EXCHANGE if i < n_ex else K.E_SANCTIONED, i == n_ex)
                 for i, r in enumerate(ex_rows)]
    merch_entity = [add_entity(f"{MERCHANT_KINDS[i % len(MERCHANT_KINDS)]} Shop {i + 1:03d}", K.E_MERCHANT)
                    for i in range(n_merch)]
    proc_entity = add_entity("PayFlow Processing", K.E_PROCESSOR)
    pool_entity = [add_entity(POOLS[i][0], K.E_POOL) for i in range(n_pools)]
    p2pool_entity = add_entity(P2POOL[0], K.E_POOL)
    donation_entity = add_entity("Open Press Defence Fund", K.E_DONATION_ORG)
    ww1_entity = add_entity("Wasabi 1 coordinator (ZeroLink)", K.E_COORDINATOR)
    ww2_entity = add_entity("Wasabi 2 coordinator (WabiSabi)", K.E_COORDINATOR)
    wp_entity = add_entity("Whirlpool coordinator", K.E_COORDINATOR)
    illicit_entity = add_entity("Crimson Locker ransomware", K.E_ILLICIT)
    n_ex_all = n_ex + 1

    # ---------------------------------------------------------------- wallets
    n_wallets = (n_users + 2 * n_sam + 3 * n_ex_all + n_merch + 1 + n_pools + 1 + 1 + 3 + 1)
    W = np.full((n_wallets, K.W_NCOL), -1, np.int64)
    W[:, K.W_NUTXO] = 0
    W[:, K.W_BAL] = 0
    W[:, K.W_MARK] = 0
    W[:, K.W_REUSE] = 0
    W[:, K.W_CHREUSE] = 0
    W[:, K.W_MS] = 0
    W[:, K.W_STYPE] = rng.integers(0, 1000, n_wallets)
    wallet_role = np.zeros(n_wallets, np.int64)

    def setw(w, entity, role, soft, reuse=0.0, chreuse=0.0, wealth=0):
        W[w, K.W_ENTITY] = entity
        W[w, K.W_ROLE] = role
        W[w, K.W_SOFT] = soft
        W[w, K.W_REUSE] = int(reuse * 1000)
        W[w, K.W_CHREUSE] = int(chreuse * 1000)
        W[w, K.W_WEALTH] = wealth
        wallet_role[w] = role

    # users
    reuse_mean = np.asarray(prof.reuse_by_software, float)
    chreuse_mean = np.asarray(prof.change_reuse_by_software, float)
    wealth = prof.payment_median * np.minimum(rng.pareto(1.6, n_users) + 0.3, 60.0)
    wealth[user_soft >= K.S_WASABI1] *= 6.0
    wealth[user_soft == K.S_WASABI1] *= 4.0  # ZeroLink mixes ~0.1 BTC at a time
    # reuse propensity per user: Beta around the software's mean
    m = reuse_mean[user_soft]
    reuse = np.where(m > 0, rng.beta(np.maximum(m * 4, 1e-3), np.maximum((1 - m) * 4, 1e-3)), 0.0)
    chm = chreuse_mean[user_soft]
    chre = np.where(rng.random(n_users) < chm * 2.0, 1.0, 0.0) * np.minimum(chm * 2.0, 0.9)
    users = np.arange(n_users)
    W[users, K.W_ENTITY] = users
    W[users, K.W_ROLE] = K.R_USER
    W[users, K.W_SOFT] = user_soft
    W[users, K.W_REUSE] = (reuse * 1000).astype(np.int64)
    W[users, K.W_CHREUSE] = (chre * 1000).astype(np.int64)
    W[users, K.W_WEALTH] = wealth.astype(np.int64)
    W[users, K.W_MS] = ((rng.random(n_users) < 0.04) & (user_soft <= K.S_ELECTRUM)).astype(np.int64)
    wallet_role[users] = K.R_USER
    nxt = n_users
    sam_users = np.nonzero(user_soft == K.S_SAMOURAI)[0]
    for u in sam_users:
        pre, post = nxt, nxt + 1
        nxt += 2
        setw(pre, u, K.R_PREMIX, K.S_SAMOURAI)
        setw(post, u, K.R_POSTMIX, K.S_SAMOURAI)
        W[u, K.W_LINK] = pre
        W[u, K.W_LINK2] = post
        W[pre, K.W_LINK2] = post
    # exchanges
    EX = np.zeros((n_ex_all, S.EX_NCOL), np.int64)
    for e in range(n_ex_all):
        dep, hot, cold = nxt, nxt + 1, nxt + 2
        nxt += 3
        setw(dep, ex_entity[e], K.R_DEPOSIT, K.S_SERVICE)
        setw(hot, ex_entity[e], K.R_HOT, K.S_SERVICE, reuse=0.85 if e % 2 == 0 else 0.3,
             chreuse=0.0)
        setw(cold, ex_entity[e], K.R_COLD, K.S_SERVICE, reuse=0.9)
        for w in (dep, hot, cold):
            W[w, K.W_AUX] = e
        W[cold, K.W_MS] = 1
        W[dep, K.W_STYPE] = rng.integers(0, 1000)
        EX[e, S.EX_ENTITY] = ex_entity[e]
        EX[e, S.EX_DEPW] = dep
        EX[e, S.EX_HOT] = hot
        EX[e, S.EX_COLD] = cold
        EX[e, S.EX_VERSION] = ex_rows[e][3]
        EX[e, S.EX_SEQ] = ex_rows[e][4]
        EX[e, S.EX_SANCTIONED] = 1 if e == n_ex else 0
    merch0 = nxt
    for i in range(n_merch):
        w = nxt
        nxt += 1
        setw(w, merch_entity[i], K.R_MERCHANT, K.S_SERVICE, reuse=0.05,
             wealth=prof.payment_median)
        flags = 0
        if rng.random() < prof.processor_merchant_share:
            flags |= 1
        if rng.random() < prof.payjoin_merchant_share:
            flags |= 2
        W[w, K.W_AUX] = flags
    proc = nxt
    nxt += 1
    setw(proc, proc_entity, K.R_PROCESSOR, K.S_SERVICE, reuse=0.0)
    pool0 = nxt
    for i in range(n_pools):
        setw(nxt, pool_entity[i], K.R_POOL, K.S_SERVICE, reuse=0.95)
        nxt += 1
    p2pool = nxt
    nxt += 1
    setw(p2pool, p2pool_entity, K.R_POOL, K.S_SERVICE)
    donation = nxt
    nxt += 1
    setw(donation, donation_entity, K.R_DONATION, K.S_ELECTRUM, reuse=1.0)
    W[donation, K.W_STYPE] = 500
    coords = []
    for ent in (ww1_entity, ww2_entity, wp_entity):
        setw(nxt, ent, K.R_COORDINATOR, K.S_SERVICE, reuse=0.6)
        coords.append(nxt)
        nxt += 1
    illicit = nxt
    nxt += 1
    setw(illicit, illicit_entity, K.R_ILLICIT, K.S_ELECTRUM, reuse=0.0)
    assert nxt == n_wallets

    # ---------------------------------------------------------------- customers (KYC)
    size_w = 1.0 / np.arange(1, n_ex + 1) ** 0.8
    size_w = np.append(size_w, 0.25 * size_w.mean())
    size_w /= size_w.sum()
    is_cust = rng.random(n_users) < prof.customer_share
    first_ex = rng.choice(n_ex_all, size=n_users, p=size_w)
    has_second = is_cust & (rng.random(n_users) < prof.second_exchange_share)
    second_ex = (first_ex + 1 + rng.integers(0, n_ex_all - 1, n_users)) % n_ex_all
    # a user's nationality follows the region of their main exchange
    nationality = np.empty(n_users, np.int64)
    for e in range(n_ex_all):
        mask = first_ex == e
        nationality[mask] = rng.choice(len(names.CODES), size=int(mask.sum()),
                                       p=names.country_weights(ex_rows[e][1]))
    people = names.make_people(rng, nationality, prof.calendar_start)
    person_names = people.column("name").to_pylist()
    ent_name[:n_users] = person_names
    ent_country[:n_users] = list(np.asarray(names.CODES, dtype=object)[nationality])

    # customer records: persons (a first and maybe a second exchange), businesses, straw men
    cust_users = np.nonzero(is_cust)[0]
    sec_users = cust_users[has_second[cust_users]]
    business = [(merch0 + i, merch_entity[i]) for i in range(n_merch)] + [(proc, proc_entity)] + \
               [(pool0 + i, pool_entity[i]) for i in range(n_pools)] + [(donation, donation_entity)]
    b_w = np.array([w for w, _ in business], np.int64)
    b_ent = np.array([e for _, e in business], np.int64)
    b_ex = rng.integers(0, n_ex, len(business))
    n_mule = max(2, prof.n_mule_accounts)
    mule_people = names.make_people(
        rng, rng.choice(len(names.CODES), size=n_mule, p=names.country_weights("cis")),
        prof.calendar_start)
    m_ex = np.concatenate([[n_ex], rng.integers(0, n_ex_all, n_mule - 1)]).astype(np.int64)
    n_p1, n_p2, n_b = len(cust_users), len(sec_users), len(business)
    rec_ex = np.concatenate([first_ex[cust_users], second_ex[sec_users], b_ex, m_ex]).astype(np.int64)
    rec_wallet = np.concatenate([cust_users, sec_users, b_w, np.full(n_mule, illicit)]).astype(np.int64)
    rec_entity = np.concatenate([cust_users, sec_users, b_ent,
                                 np.full(n_mule, illicit_entity)]).astype(np.int64)
    rec_kind = np.concatenate([np.zeros(n_p1 + n_p2, np.int8), np.ones(n_b, np.int8),
                               np.full(n_mule, 2, np.int8)])
    rec_person = np.concatenate([cust_users, sec_users, np.full(n_b, -1),
                                 -2 - np.arange(n_mule)]).astype(np.int64)
    order = np.argsort(rec_ex, kind="stable")
    n_cust = len(order)
    CUST = np.full((n_cust, S.CU_NCOL), -1, np.int64)
    CUST[:, S.CU_EXCH] = rec_ex[order]
    CUST[:, S.CU_ENTITY] = rec_entity[order]
    CUST[:, S.CU_WALLET] = rec_wallet[order]
    counts = np.bincount(CUST[:, S.CU_EXCH], minlength=n_ex_all)
    if (counts == 0).any():
        raise AssertionError("exchange without customers")
    EX[:, S.EX_NCUST] = counts
    EX[:, S.EX_CUST0] = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos_of = np.empty(n_cust, np.int64)
    pos_of[order] = np.arange(n_cust)
    W[cust_users, K.W_AUX] = pos_of[:n_p1]
    W[sec_users, K.W_AUX2] = pos_of[n_p1:n_p1 + n_p2]
    W[b_w, K.W_AUX2] = pos_of[n_p1 + n_p2:n_p1 + n_p2 + n_b]
    mule_recs = [int(x) for x in pos_of[n_p1 + n_p2 + n_b:]]
    # customer table rows in record order
    ex_code = np.array([r[2] for r in ex_rows], dtype=object)
    cust_kind = rec_kind[order]
    cust_rows_kind = np.array(["person", "business", "mule"], dtype=object)[cust_kind]
    cust_person = rec_person[order]
    cust_entity = CUST[:, S.CU_ENTITY]
    serial = np.arange(n_cust) - EX[CUST[:, S.CU_EXCH], S.EX_CUST0] + 1
    cust_ids = pc.binary_join_element_wise(
        pa.array(ex_code[CUST[:, S.CU_EXCH]], pa.string()),
        pc.utf8_lpad(pc.cast(pa.array(serial), pa.string()), 7, "0"), "-")
    ent_name_arr = np.asarray(ent_name, dtype=object)
    person_rows = np.where(cust_person >= 0, cust_person, 0)
    pt = people.take(pa.array(person_rows))
    mt_idx = np.where(cust_person <= -2, -2 - cust_person, 0)
    mt = mule_people.take(pa.array(mt_idx))
    cols = {}
    for col in ("name", "gender", "date_of_birth", "nationality", "residence", "residence_permits",
                "street", "city", "postcode", "country"):
        a = pt.column(col).combine_chunks()
        b = mt.column(col).combine_chunks()
        is_mule = pa.array(cust_rows_kind == "mule")
        is_bus = pa.array(cust_rows_kind == "business")
        v = pc.if_else(is_mule, b, a)
        if col == "name":
            bus_names = pa.array(ent_name_arr[cust_entity], pa.string())
            v = pc.if_else(is_bus, bus_names, v)
        else:  # businesses: the organisation's name only
            v = pc.if_else(is_bus, pa.nulls(n_cust, v.type), v)
        cols[col] = v
    customers = pa.table({
        "exchange_id": pa.array(EX[CUST[:, S.CU_EXCH], S.EX_ENTITY]),
        "exchange": pa.array(ent_name_arr[EX[CUST[:, S.CU_EXCH], S.EX_ENTITY]], pa.string()),
        "customer_id": cust_ids,
        "customer_type": pa.array(np.where(cust_rows_kind == "business", "business", "person").astype(str)),
        "entity_id": pa.array(cust_entity),
        **cols,
    })

    if prof.surge_country:  # the jurisdiction whose customers' deposits surge after a date
        surge = prof.surge_country.upper()
        nat = customers.column("nationality").to_pylist()
        res = customers.column("residence").to_pylist()
        CUST[:, S.CU_SURGE] = [int(surge in (n or "").replace(";", ",").split(",") or r == surge)
                               for n, r in zip(nat, res)]

    # ---------------------------------------------------------------- directory and lists
    DIR = np.zeros(S.DIR_N, np.int64)
    DIR[S.DIR_USER0] = 0
    DIR[S.DIR_NUSER] = n_users
    DIR[S.DIR_MERCH0] = merch0
    DIR[S.DIR_NMERCH] = n_merch
    DIR[S.DIR_PROC] = proc
    DIR[S.DIR_DONATION] = donation
    DIR[S.DIR_ILLICIT] = illicit
    DIR[S.DIR_SANCT_EX] = n_ex
    DIR[S.DIR_COORD_WW1] = coords[0]
    DIR[S.DIR_COORD_WW2] = coords[1]
    DIR[S.DIR_COORD_WHIRL] = coords[2]
    DIR[S.DIR_POOL0] = pool0
    DIR[S.DIR_NPOOL] = n_pools
    DIR[S.DIR_P2POOL] = p2pool
    DIR[S.DIR_NEX] = n_ex_all
    mule_recs = mule_recs[: S.DIR_N - S.DIR_MULE0]
    DIR[S.DIR_NMULE] = len(mule_recs)
    DIR[S.DIR_MULE0:S.DIR_MULE0 + len(mule_recs)] = mule_recs

    softn = np.zeros(K.N_USER_SOFTWARE, np.int64)
    maxn = max(1, max(int((user_soft == s).sum()) for s in range(K.N_USER_SOFTWARE)))
    SOFTL = np.zeros((K.N_USER_SOFTWARE, maxn), np.int64)
    for s in range(K.N_USER_SOFTWARE):
        ids = np.nonzero(user_soft == s)[0]
        softn[s] = len(ids)
        SOFTL[s, : len(ids)] = ids
    FPR = np.zeros((len(FINGERPRINTS), S.FP_NCOL), np.int64)
    for s, fp in FINGERPRINTS.items():
        FPR[s] = fp

    tags = np.zeros((n_pools + 1, 40), np.uint8)
    tag_len = np.zeros(n_pools + 1, np.int64)
    for i in range(n_pools):
        b = POOLS[i][1].encode()
        tags[i, : len(b)] = np.frombuffer(b, np.uint8)
        tag_len[i] = len(b)
    pool_weights = 1.0 / np.arange(1, n_pools + 1) ** 0.7
    pool_weights = pool_weights / pool_weights.sum()

    wallet_entity = W[:, K.W_ENTITY].copy()
    entities = pa.table({
        "entity_id": pa.array(np.arange(len(ent_name), dtype=np.int64)),
        "name": pa.array(ent_name, pa.string()),
        "kind": pa.array(K.ENTITY_KIND_NAMES).take(pa.array(np.asarray(ent_kind, np.int64))),
        "country": pa.array(ent_country, pa.string()),
        "sanctioned": pa.array(ent_sanct, pa.bool_()),
    })
    wallets = pa.table({
        "wallet_id": pa.array(np.arange(n_wallets, dtype=np.int64)),
        "entity_id": pa.array(wallet_entity),
        "role": pa.array(K.ROLE_NAMES).take(pa.array(wallet_role)),
        "software": pa.array(K.SOFTWARE_NAMES).take(pa.array(W[:, K.W_SOFT])),
        "reuse_rate": pa.array(W[:, K.W_REUSE] / 1000.0),
        "change_reuse_rate": pa.array(W[:, K.W_CHREUSE] / 1000.0),
        "multisig": pa.array(W[:, K.W_MS] == 1),
    })
    return Population(W, CUST, EX, DIR, SOFTL, FPR, softn, tags, tag_len, pool_weights,
                      entities, wallets, customers, ex_entity[n_ex], illicit_entity,
                      donation_entity, wallet_entity)
