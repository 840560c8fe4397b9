"""Linking a request's targets to customers through the chain.

An address target finds the customers whose deposit or withdrawal
addresses it paid (forward) or that paid it (backward) within a hop limit,
or that are the target itself (hop 0); a txid target starts from the
transaction's inputs (backward) and outputs (forward). Each link carries its
evidence path: the transactions and addresses between target and customer,
in the order the money moved. The search is ``link_kernels.hop_search``
over the store's analysis arrays; without a store, only exact address
matches (hop 0) are found."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.desk.chainlink import address_ids, arrays, time_bounds, tx_id
from chaintrail.desk.link_kernels import hop_search
from chaintrail.errors import NotFoundError

FORWARD, BACKWARD = 0, 1
DEFAULT_HUB_LIMIT = 1_000  # addresses with more outputs (services' hot wallets) are not crossed
DEFAULT_BUDGET = 200_000  # edges examined per target and direction


SHARED_LIMIT = 3  # an address more customers withdrew to is a third party's (merchant, charity)


@dataclass
class CustomerAddresses:
    """The customers' addresses as the linker needs them: the rows they come from, their
    customers and kinds, and the strings or (with a store) the store's address ids."""

    address: list[str] | None  # None when only the address ids were loaded (from the cache)
    row: np.ndarray  # the desk's account_addresses id of each address
    customer: np.ndarray | None = None  # the desk's customer id of each address
    kind: np.ndarray | None = None  # 0 deposit, 1 withdrawal
    ids: np.ndarray | None = None  # the store's address id of each (-1: never on chain)
    no_cross: np.ndarray | None = None  # by address id: the exchange's own wallets
    shared: np.ndarray | None = None  # per entry: a third party's address (see shared_mask)

    def text(self, k: int, chain: Chain | None = None) -> str:
        """The address string of entry k."""
        if self.address is not None:
            return self.address[k]
        return arrays(chain).address_text(int(self.ids[k]))


def shared_mask(cust: CustomerAddresses) -> np.ndarray:
    """Entries whose address more than SHARED_LIMIT customers share: somebody else's address
    (a merchant's, a charity's) that customers withdrew to. They link only as the target itself
    (hop 0): reaching them through the chain says nothing about those customers."""
    if cust.shared is not None:
        return cust.shared
    ids = cust.ids
    out = np.zeros(ids.shape[0], np.bool_)
    if cust.customer is None or ids.shape[0] == 0:
        return out
    on = ids >= 0
    # one int64 per (address id, customer id) pair: distinct pairs, then customers per address
    pairs = np.unique((ids[on].astype(np.int64) << 24) | (cust.customer[on] & 0xFFFFFF))
    u, n = np.unique(pairs >> 24, return_counts=True)
    many = u[n > SHARED_LIMIT]
    out[on] = np.isin(ids[on], many)
    cust.shared = out
    return out


@dataclass
class Link:
    """A customer address reached from a target."""

    target: int  # index into the targets given
    index: int  # index into the CustomerAddresses given
    row: int  # account_addresses id
    address: str
    relation: str  # is | paid_by_target | paid_target
    hops: int
    path: list[dict]


@dataclass
class LinkResult:
    """Every link found, with what the search did."""

    links: list[Link] = field(default_factory=list)
    unresolved: list[int] = field(default_factory=list)  # targets not in the store
    exhausted: list[int] = field(default_factory=list)  # targets whose budget ran out
    hubs_skipped: int = 0
    work: int = 0
    seconds: float = 0.0
    chain_used: bool = False

    def summary(self) -> dict:
        return {"links": len(self.links), "unresolved_targets": len(self.unresolved),
                "budget_exhausted_targets": len(self.exhausted), "hubs_skipped": self.hubs_skipped,
                "work": self.work, "seconds": round(self.seconds, 3), "chain_used": self.chain_used}


def _exact(targets: list[tuple[str, str]], cust: CustomerAddresses) -> LinkResult:
    """Hop-0 links without a store: a target address that is a customer's address."""
    by_addr: dict[str, list[int]] = {}
    for k, a in enumerate(cust.address):
        by_addr.setdefault(a, []).append(k)
    res = LinkResult()
    for i, (kind, value) in enumerate(targets):
        if kind != "address":
            res.unresolved.append(i)
            continue
        for k in by_addr.get(value, []):
            res.links.append(Link(i, k, int(cust.row[k]), value, "is", 0, []))
    return res


def make_seeds(chain: Chain, targets: list[tuple[str, str]],
               unresolved: list[int] | None = None) -> list[tuple[int, int, int, int, int]]:
    """Search seeds (target, direction, address id, tx id or -1, hop) of address and txid
    targets: an address starts both directions at hop 0; a txid starts forward from its
    outputs and backward from its inputs at hop 1. Targets not in the store go to unresolved."""
    a = arrays(chain)
    unresolved = unresolved if unresolved is not None else []
    addr_targets = [(i, v) for i, (k, v) in enumerate(targets) if k == "address"]
    ids = address_ids(chain, [v for _, v in addr_targets])
    seeds: list[tuple[int, int, int, int, int]] = []
    for (i, _), aid in zip(addr_targets, ids):
        if aid < 0:
            unresolved.append(i)
            continue
        seeds.append((i, FORWARD, int(aid), -1, 0))
        seeds.append((i, BACKWARD, int(aid), -1, 0))
    for i, (k, v) in enumerate(targets):
        if k != "txid":
            continue
        try:
            t = tx_id(chain, v.lower())
        except (NotFoundError, ValueError):
            unresolved.append(i)
            continue
        first_out, n_out = int(a.tx_first_out[t]), int(a.tx_n_out[t])
        for j in range(first_out, first_out + n_out):
            b = int(a.out_address[j])
            if b >= 0:
                seeds.append((i, FORWARD, b, t, 1))
        first_in, n_in = int(a.tx_first_in[t]), int(a.tx_n_in[t])
        for j in range(first_in, first_in + n_in):
            p = int(a.in_spent[j])
            if p >= 0 and int(a.out_address[p]) >= 0:
                seeds.append((i, BACKWARD, int(a.out_address[p]), t, 1))
    seeds.sort(key=lambda s: (s[0], s[1]))
    return seeds


def customer_mask(chain: Chain, cust: CustomerAddresses) -> tuple[np.ndarray, np.ndarray]:
    """(is_customer by address id, the customers' address ids) for the hop search; shared
    third-party addresses are left out of the mask (see shared_mask)."""
    if cust.ids is None:
        cust.ids = address_ids(chain, cust.address)
    cust_ids = cust.ids
    own = cust_ids[(cust_ids >= 0) & ~shared_mask(cust)]
    is_customer = np.zeros(arrays(chain).counts["addresses"] + 1, np.bool_)
    is_customer[own] = True
    return is_customer, cust_ids


def exchange_wallets(chain: Chain, cust: CustomerAddresses) -> np.ndarray:
    """The no-cross mask: addresses that customer deposit addresses were swept into (the
    exchange's own wallets), minus the customers' addresses themselves. Crossing them would
    link a target to every customer whose deposit was pooled with the exchange's funds."""
    from chaintrail.desk.link_kernels import sweep_destinations

    a = arrays(chain)
    dep = cust.ids[(cust.kind == 0) & (cust.ids >= 0)] if cust.kind is not None else cust.ids[:0]
    mark = sweep_destinations(np.ascontiguousarray(dep, np.int64), a.ao_start, a.ao_ids,
                              a.out_spent_by, a.in_tx, a.tx_first_out, a.tx_n_out, a.out_address,
                              int(a.counts["addresses"]))
    mark[cust.ids[cust.ids >= 0]] = False
    return mark


def graph_arrays(chain: Chain) -> dict[str, np.ndarray]:
    """The analysis arrays the hop search reads, by name (for the reference twin)."""
    a = arrays(chain)
    names = ("ao_start", "ao_ids", "out_tx", "out_address", "out_spent_by", "in_tx", "in_spent",
             "tx_first_in", "tx_n_in", "tx_first_out", "tx_n_out", "tx_time")
    return {n: np.asarray(getattr(a, n)) for n in names}


def link_targets(chain: Chain | None, targets: list[tuple[str, str]], cust: CustomerAddresses,
                 max_hops: int = 2, window: tuple[dt.date | None, dt.date | None] = (None, None),
                 hub_limit: int = DEFAULT_HUB_LIMIT, budget: int = DEFAULT_BUDGET) -> LinkResult:
    """Links from (kind, value) targets of kind address or txid to the customers' addresses."""
    t0 = time.perf_counter()
    if chain is None:
        res = _exact(targets, cust)
        res.seconds = time.perf_counter() - t0
        return res
    a = arrays(chain)
    n_addr = a.counts["addresses"]
    is_customer, cust_ids = customer_mask(chain, cust)
    if cust.no_cross is None:
        cust.no_cross = exchange_wallets(chain, cust)
    no_cross = cust.no_cross
    order = np.argsort(cust_ids, kind="stable")
    sorted_ids = cust_ids[order]

    res = LinkResult(chain_used=True)
    seeds = make_seeds(chain, targets, res.unresolved)
    groups = np.array([s[0] * 2 + s[1] for s in seeds], np.int64)
    # dense group numbers in order
    _, seed_group = np.unique(groups, return_inverse=True)
    t_lo, t_hi = time_bounds(*window)
    out = hop_search(
        a.ao_start, a.ao_ids, a.out_tx, a.out_address, a.out_spent_by, a.in_tx, a.in_spent,
        a.tx_first_in, a.tx_n_in, a.tx_first_out, a.tx_n_out, a.tx_time,
        seed_group.astype(np.int64), np.array([s[0] for s in seeds], np.int64),
        np.array([s[1] for s in seeds], np.int8), np.array([s[2] for s in seeds], np.int64),
        np.array([s[3] for s in seeds], np.int64), np.array([s[4] for s in seeds], np.int32),
        is_customer, no_cross, int(max_hops), int(hub_limit), int(budget), int(t_lo), int(t_hi),
        np.zeros(n_addr + 1, np.int32), np.zeros(a.counts["txs"] + 1, np.int32))
    r_addr, r_parent, r_tx, r_hop, r_dir, l_target, l_rec, g_work, g_exh, g_hubs = out
    res.work = int(g_work.sum())
    res.hubs_skipped = int(g_hubs.sum())
    group_target = {}
    for s, g in zip(seeds, seed_group):
        group_target[int(g)] = s[0]
    res.exhausted = sorted({group_target[g] for g in np.nonzero(g_exh)[0].tolist()})
    texts: dict[int, str] = {}

    def text(aid: int) -> str:
        if aid not in texts:
            texts[aid] = a.address_text(aid)
        return texts[aid]

    txids: dict[int, str] = {}

    def txid(t: int) -> str:
        if t not in txids:
            txids[t] = bytes(a.tx_hash[t]).hex()
        return txids[t]

    shared = shared_mask(cust)
    for target, rec in zip(l_target.tolist(), l_rec.tolist()):
        aid = int(r_addr[rec])
        d = int(r_dir[rec])
        hops = int(r_hop[rec])
        path = _path(rec, r_addr, r_parent, r_tx, r_hop, d, text, txid)
        relation = "is" if hops == 0 else ("paid_by_target" if d == FORWARD else "paid_target")
        lo = np.searchsorted(sorted_ids, aid, "left")
        hi = np.searchsorted(sorted_ids, aid, "right")
        for k in order[lo:hi]:
            if not shared[k]:
                res.links.append(Link(int(target), int(k), int(cust.row[k]), text(aid), relation,
                                      hops, path))
    # hop 0 on shared addresses: the target is the third-party address customers withdrew to
    seen: dict[int, list[int]] = {}
    for sd in seeds:
        if sd[4] == 0 and sd[1] == FORWARD:
            seen.setdefault(sd[2], []).append(sd[0])
    for k in np.nonzero(shared)[0].tolist():
        aid = int(cust_ids[k])
        for target in seen.get(aid, []):
            res.links.append(Link(target, int(k), int(cust.row[k]), text(aid), "is", 0, []))
    res.seconds = time.perf_counter() - t0
    return res


def _path(rec: int, r_addr, r_parent, r_tx, r_hop, d: int, text, txid) -> list[dict]:
    """The steps from the target to a record, in the order the money moved."""
    steps = []
    r = rec
    while r >= 0:
        p = int(r_parent[r])
        t = int(r_tx[r])
        if t >= 0:
            here = text(int(r_addr[r]))
            there = text(int(r_addr[p])) if p >= 0 else f"tx {txid(t)}"
            frm, to = (there, here) if d == FORWARD else (here, there)
            if p < 0:  # a txid target's own transaction
                frm, to = (f"tx {txid(t)}", here) if d == FORWARD else (here, f"tx {txid(t)}")
            steps.append({"hop": int(r_hop[r]), "txid": txid(t), "from": frm, "to": to})
        r = p
    if d == FORWARD:
        steps.reverse()
    return steps
