"""Customer transfers in a range of transactions, found with array joins over
address ids (no per-transaction Python): an output paying a customer's
deposit address is a ``deposit``; an output paying a customer's withdrawal
address from elsewhere is a ``withdrawal`` (the exchange paying out, or
anyone else paying that address); coins of a customer's withdrawal address
spent are a ``spend`` (one transfer per transaction and customer). Change
back to the address a transaction spends from is not a transfer, nor are an
exchange's sweeps of its deposit addresses.

The customer book holds the desk's customer addresses as store address ids,
sorted, each with its customers (an address several customers share maps
to all of them), and the facts the rules read about each customer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chaintrail.desk.jurisdictions import EU_EEA_CH, codes

DEPOSIT, WITHDRAWAL, SPEND = 0, 1, 2
SHARED_LIMIT = 3  # as the desk's linking: an address more customers withdrew to is a third party's
DIRECTION_NAMES = ("deposit", "withdrawal", "spend")
PERMIT_GROUPS = {"EU_EEA_CH": EU_EEA_CH}


@dataclass
class CustomerBook:
    """Customer addresses (store ids) and customer facts, as arrays."""

    uaddr: np.ndarray  # sorted distinct address ids of customer addresses
    ustart: np.ndarray  # entries of uaddr[k]: e_*[ustart[k]:ustart[k + 1]]
    e_customer: np.ndarray  # desk customer id per entry
    e_kind: np.ndarray  # 0 deposit, 1 withdrawal per entry
    cust_ids: np.ndarray  # sorted desk customer ids
    nationality: list[tuple[str, ...]]  # per cust_ids position
    residence: list[str]
    permits: list[tuple[str, ...]]
    refs: list[str]
    _scope: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, ids: np.ndarray, customer: np.ndarray, kind: np.ndarray,
              facts: list[tuple[int, str, str | None, str | None, str | None]]) -> CustomerBook:
        """From per-address arrays (address id, customer id, kind; ids < 0 are skipped) and rows
        (customer id, ref, nationality, residence, residence permits)."""
        ids = np.asarray(ids, np.int64)
        ok = ids >= 0
        ids, customer, kind = ids[ok], np.asarray(customer, np.int64)[ok], np.asarray(kind, np.int8)[ok]
        order = np.lexsort((kind, customer, ids))
        ids, customer, kind = ids[order], customer[order], kind[order]
        keep = np.ones(ids.size, bool)  # one entry per (address, customer, kind)
        keep[1:] = (ids[1:] != ids[:-1]) | (customer[1:] != customer[:-1]) | (kind[1:] != kind[:-1])
        ids, customer, kind = ids[keep], customer[keep], kind[keep]
        # a withdrawal address more than SHARED_LIMIT customers share is a third party's (a
        # merchant's, a charity's): payments to it are not those customers' transfers
        grp = np.ones(ids.size, bool)
        grp[1:] = ids[1:] != ids[:-1]
        start = np.nonzero(grp)[0]
        n_per = np.diff(np.append(start, ids.size))
        n_wd = np.add.reduceat((kind == 1).astype(np.int64), start) if ids.size else n_per
        shared = np.repeat(n_wd > SHARED_LIMIT, n_per)
        keep = ~(shared & (kind == 1))
        ids, customer, kind = ids[keep], customer[keep], kind[keep]
        first = np.ones(ids.size, bool)
        first[1:] = ids[1:] != ids[:-1]
        ustart = np.append(np.nonzero(first)[0], ids.size).astype(np.int64)
        facts = sorted(facts)
        return cls(ids[first], ustart, customer, kind,
                   np.array([f[0] for f in facts], np.int64),
                   [codes(f[2]) for f in facts], [(f[3] or "").upper() for f in facts],
                   [codes(f[4]) for f in facts], [f[1] for f in facts])

    def __len__(self) -> int:
        return int(self.cust_ids.size)

    def position(self, customer_ids: np.ndarray) -> np.ndarray:
        """Index of each desk customer id in cust_ids."""
        return np.searchsorted(self.cust_ids, np.asarray(customer_ids, np.int64))

    def in_jurisdiction(self, countries: list[str], fields: list[str],
                        exempt_permits: list[str]) -> np.ndarray:
        """Per customer (cust_ids order): national or resident of one of the countries and not
        holding a residence permit of an exempt group (or living there)."""
        key = (tuple(countries), tuple(fields), tuple(exempt_permits))
        if key in self._scope:
            return self._scope[key]
        cs = set(countries)
        exempt: set[str] = set()
        for g in exempt_permits:
            exempt |= set(PERMIT_GROUPS.get(g, {g}))
        out = np.zeros(len(self.refs), bool)
        for k in range(len(self.refs)):
            hit = ("nationality" in fields and bool(cs.intersection(self.nationality[k]))) or \
                  ("residence" in fields and self.residence[k] in cs)
            if hit and exempt and (exempt.intersection(self.permits[k]) or self.residence[k] in exempt):
                hit = False
            out[k] = hit
        self._scope[key] = out
        return out

    def addresses_of(self, customer_ids: np.ndarray, kind: int | None = DEPOSIT) -> tuple[np.ndarray, np.ndarray]:
        """(address id, customer id) pairs of these customers' addresses (of one kind)."""
        ent_addr = np.repeat(self.uaddr, np.diff(self.ustart))
        sel = np.isin(self.e_customer, np.asarray(customer_ids, np.int64))
        if kind is not None:
            sel &= self.e_kind == kind
        return ent_addr[sel], self.e_customer[sel]


@dataclass
class Transfers:
    """One row per customer transfer: its transaction, customer, direction, address, value,
    and the outputs a trace of it starts from (starts[s0[k]:s0[k] + sn[k]])."""

    tx: np.ndarray
    customer: np.ndarray
    direction: np.ndarray  # DEPOSIT | WITHDRAWAL | SPEND
    address: np.ndarray  # address id of the customer's address
    value: np.ndarray
    index: np.ndarray  # vout (deposit, withdrawal) or vin of the first input (spend)
    s0: np.ndarray
    sn: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return int(self.tx.size)

    def take(self, rows: np.ndarray) -> Transfers:
        rows = np.asarray(rows, np.int64)
        sn = self.sn[rows]
        s0 = np.concatenate([[0], np.cumsum(sn)[:-1]]).astype(np.int64) if rows.size else sn
        idx = np.concatenate([np.arange(a, a + n) for a, n in zip(self.s0[rows], sn)]) \
            if rows.size else np.zeros(0, np.int64)
        return Transfers(self.tx[rows], self.customer[rows], self.direction[rows],
                         self.address[rows], self.value[rows], self.index[rows], s0, sn,
                         self.starts[idx.astype(np.int64)])


def _expand(book: CustomerBook, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of each match, entry index) for matched positions in uaddr."""
    cnt = book.ustart[pos + 1] - book.ustart[pos]
    row = np.repeat(np.arange(pos.size), cnt)
    off = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return row, np.repeat(book.ustart[pos], cnt) + off


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Distinct values, sorted (a sort, faster than np.unique's hashing on millions)."""
    x = np.sort(x)
    keep = np.ones(x.size, bool)
    keep[1:] = x[1:] != x[:-1]
    return x[keep]


def _member(x: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each value is one of the sorted keys."""
    if sorted_keys.size == 0:
        return np.zeros(x.shape, bool)
    pos = np.minimum(np.searchsorted(sorted_keys, x), sorted_keys.size - 1)
    return sorted_keys[pos] == x


def _match(book: CustomerBook, addr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices into addr that are customer addresses, their positions in uaddr)."""
    if book.uaddr.size == 0 or addr.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pos = np.searchsorted(book.uaddr, addr)
    pos = np.minimum(pos, book.uaddr.size - 1)
    hit = np.nonzero(book.uaddr[pos] == addr)[0]
    return hit, pos[hit]


def find_transfers(a, book: CustomerBook, t0: int, t1: int) -> Transfers:
    """Every customer transfer of the transactions t0 <= tx < t1 (analysis arrays `a`)."""
    if t1 <= t0:
        return _transfers(a, book, np.zeros(0, np.int64), np.zeros(0, np.int64))
    o0 = int(a.tx_first_out[t0])
    o1 = int(a.tx_first_out[t1 - 1]) + int(a.tx_n_out[t1 - 1])
    i0 = int(a.tx_first_in[t0])
    i1 = int(a.tx_first_in[t1 - 1]) + int(a.tx_n_in[t1 - 1])
    return _transfers(a, book, np.arange(o0, o1, dtype=np.int64), np.arange(i0, i1, dtype=np.int64))


def _ranges(first: np.ndarray, n: np.ndarray) -> np.ndarray:
    """first[k], first[k] + 1, ... first[k] + n[k] - 1 for every k, concatenated."""
    first, n = np.asarray(first, np.int64), np.asarray(n, np.int64)
    return np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n) + np.repeat(first, n)


def find_transfers_in(a, book: CustomerBook, txs: np.ndarray) -> Transfers:
    """Every customer transfer of these transactions (a re-screening's reach): the same as
    ``find_transfers`` over the whole history, restricted to them."""
    txs = _sorted_unique(np.asarray(txs, np.int64))
    outs = _ranges(np.asarray(a.tx_first_out)[txs], np.asarray(a.tx_n_out)[txs])
    ins = _ranges(np.asarray(a.tx_first_in)[txs], np.asarray(a.tx_n_in)[txs])
    return _transfers(a, book, outs, ins)


def _transfers(a, book: CustomerBook, outs: np.ndarray, ins: np.ndarray) -> Transfers:
    """The customer transfers of whole transactions, given all their outputs and inputs (global
    ids, in transaction order)."""
    empty = np.zeros(0, np.int64)
    if outs.size == 0 and ins.size == 0:
        return Transfers(empty, empty, empty.astype(np.int8), empty, empty, empty, empty, empty, empty)
    out_addr = np.asarray(a.out_address)[outs]
    in_spent = np.asarray(a.in_spent)[ins]
    in_tx = np.asarray(a.in_tx)[ins]
    resolved = in_spent >= 0
    in_addr = np.full(in_spent.shape, -1, np.int64)
    if resolved.any():
        in_addr[resolved] = np.asarray(a.out_address)[in_spent[resolved]]
    # (tx, address) of every input: change back to a spent address is no transfer
    spent_key = _sorted_unique(in_tx[resolved] * (1 << 32) + in_addr[resolved])

    # outputs to customer addresses
    hit, pos = _match(book, out_addr)
    row, ent = _expand(book, pos)
    o = outs[hit[row]]
    o_tx = np.asarray(a.out_tx)[o]
    o_addr = out_addr[hit[row]]
    not_change = ~_member(o_tx * (1 << 32) + o_addr, spent_key)
    o, o_tx, o_addr, ent = o[not_change], o_tx[not_change], o_addr[not_change], ent[not_change]
    o_dir = np.where(book.e_kind[ent] == 1, WITHDRAWAL, DEPOSIT).astype(np.int8)
    o_val = np.asarray(a.out_value)[o] if o.size else empty
    o_vout = o - np.asarray(a.tx_first_out)[o_tx] if o.size else empty

    # coins of customers' withdrawal addresses spent: one transfer per (tx, customer)
    ihit, ipos = _match(book, in_addr)
    irow, ient = _expand(book, ipos)
    wd = book.e_kind[ient] == 1
    irow, ient = irow[wd], ient[wd]
    i_idx = ihit[irow]
    i_tx = in_tx[i_idx]
    i_cust = book.e_customer[ient]
    i_out = in_spent[i_idx]
    order = np.lexsort((i_idx, i_cust, i_tx))
    i_idx, i_tx, i_cust, i_out = i_idx[order], i_tx[order], i_cust[order], i_out[order]
    grp = np.ones(i_tx.size, bool)
    grp[1:] = (i_tx[1:] != i_tx[:-1]) | (i_cust[1:] != i_cust[:-1])
    g0 = np.nonzero(grp)[0]
    gn = np.diff(np.append(g0, i_tx.size))
    i_val = np.add.reduceat(np.asarray(a.out_value)[i_out], g0) if g0.size else empty
    s_tx, s_cust = i_tx[g0], i_cust[g0]
    s_addr = in_addr[i_idx[g0]]
    s_vin = ins[i_idx[g0]] - np.asarray(a.tx_first_in)[s_tx] if g0.size else empty

    n_o = o.size
    return Transfers(
        tx=np.concatenate([o_tx, s_tx]).astype(np.int64),
        customer=np.concatenate([book.e_customer[ent], s_cust]).astype(np.int64),
        direction=np.concatenate([o_dir, np.full(g0.size, SPEND, np.int8)]),
        address=np.concatenate([o_addr, s_addr]).astype(np.int64),
        value=np.concatenate([o_val, i_val]).astype(np.int64),
        index=np.concatenate([o_vout, s_vin]).astype(np.int64),
        s0=np.concatenate([np.arange(n_o), n_o + g0]).astype(np.int64),
        sn=np.concatenate([np.ones(n_o, np.int64), gn]).astype(np.int64),
        starts=np.concatenate([o, i_out]).astype(np.int64),
    )


def history(a, book: CustomerBook, customer_ids: np.ndarray, until_tx: int) -> tuple[np.ndarray, ...]:
    """Every deposit of these customers before tx `until_tx` (exclusive) from the address ->
    outputs lookup: (customer, tx, value, time), for window rules."""
    addr, cust = book.addresses_of(np.unique(customer_ids), DEPOSIT)
    if addr.size == 0:
        z = np.zeros(0, np.int64)
        return z, z, z, z
    start = np.asarray(a.ao_start)
    lo, hi = start[addr], start[addr + 1]
    cnt = hi - lo
    owner = np.repeat(np.arange(addr.size), cnt)
    idx = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)
    outs = np.asarray(a.ao_ids)[idx]
    txs = np.asarray(a.out_tx)[outs]
    keep = txs < until_tx
    outs, txs, owner = outs[keep], txs[keep], owner[keep]
    return (cust[owner], txs, np.asarray(a.out_value)[outs],
            np.asarray(a.tx_time)[txs].astype(np.int64))
