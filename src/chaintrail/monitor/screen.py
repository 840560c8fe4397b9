"""Screening a range of transactions (a block as it arrives, or the whole
history): find the customer transfers, trace their exposure, apply the
rules, and turn the findings into alert rows with their keys.

A ``Screener`` holds what stays the same from block to block: the desk's
customer book, the watch (tags and lists as a resolver), the rules, and the
CoinJoin verdicts (the clustering's, extended over new blocks)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.monitor.alerts import AlertRow
from chaintrail.monitor.evaluate import Finding, evaluate
from chaintrail.monitor.exposure import trace_transfers
from chaintrail.monitor.jsontext import RawJSON, canonical_json, quote, value_text
from chaintrail.monitor.rules import RuleSet
from chaintrail.monitor.transfers import DIRECTION_NAMES, CustomerBook, Transfers, find_transfers
from chaintrail.monitor.watch import Watch, watch_of


@dataclass
class Screened:
    """What screening a range found, and how long each step took."""

    transfers: Transfers
    findings: list[Finding]
    seconds: dict[str, float] = field(default_factory=dict)


def _facts(conn) -> list[tuple]:
    from sqlalchemy import select

    from chaintrail.desk.schema import customers

    return [tuple(r) for r in conn.execute(select(
        customers.c.id, customers.c.ref, customers.c.nationality, customers.c.residence,
        customers.c.residence_permits))]


def load_book(engine, chain: Chain) -> CustomerBook:
    """The desk's customers and their addresses as store address ids (cached like the desk's
    linking cache)."""
    from chaintrail.desk.address_cache import customer_addresses

    with engine.connect() as conn:
        ca = customer_addresses(conn, chain)
        facts = _facts(conn)
    return CustomerBook.build(ca.ids, ca.customer, ca.kind, facts)


def _index_file(chain: Chain) -> str | None:
    """A name that changes when the analysis arrays are rebuilt (after a reorg)."""
    index = chain._store.manifest.extra.get("index") or {}
    return (index.get("arrays") or {}).get("out_tx", {}).get("file")


class BookLoader:
    """The customer book of a monitor that follows the tip: read once, then at each new block
    only the addresses never seen on chain so far are looked up again (a customer's new
    deposit address appears in the block that first pays it); customers or addresses added to
    the desk reload everything."""

    def __init__(self, engine):
        self.engine = engine
        self._key = None
        self._addr: list[str] = []
        self._ids = np.zeros(0, np.int64)
        self._cust = np.zeros(0, np.int64)
        self._kind = np.zeros(0, np.int8)
        self._facts: list[tuple] = []
        self._n_addr = -1

    def book(self, chain: Chain) -> CustomerBook:
        from sqlalchemy import func, select

        from chaintrail.desk.address_cache import _read_rows
        from chaintrail.desk.chainlink import address_ids
        from chaintrail.desk.schema import account_addresses, customers

        index_file = _index_file(chain)  # new after a reorg: every id is looked up again
        with self.engine.connect() as conn:
            key = tuple(conn.execute(select(func.count(), func.max(account_addresses.c.id))).one()) + \
                tuple(conn.execute(select(func.count(), func.max(customers.c.id))).one()) + \
                (index_file,)
            if key != self._key:
                _row, self._addr, self._cust, self._kind = _read_rows(conn)
                self._facts = _facts(conn)
                self._ids = address_ids(chain, self._addr)
                self._key = key
                self._n_addr = chain._arrays.counts["addresses"]
        n = chain._arrays.counts["addresses"]
        if n != self._n_addr:
            unseen = np.nonzero((self._ids < 0) | (self._ids >= n))[0]
            if unseen.size:
                self._ids[unseen] = address_ids(chain, [self._addr[k] for k in unseen.tolist()])
            self._n_addr = n
        return CustomerBook.build(self._ids, self._cust, self._kind, self._facts)


class Screener:
    """Screens transaction ranges of one store for one desk."""

    def __init__(self, chain: Chain, book: CustomerBook, ruleset: RuleSet,
                 watch: Watch | None = None, budget: int | None = None):
        self.chain = chain
        self.book = book
        self.ruleset = ruleset
        self.watch = watch or watch_of(chain)
        self.budget = budget
        self._cj: np.ndarray | None = None

    def use_chain(self, chain: Chain) -> None:
        """Follow the store to a newer snapshot (after an ingest); after a reorg (the index was
        rebuilt) the CoinJoin verdicts are computed again."""
        if _index_file(chain) != _index_file(self.chain):
            self._cj = None
        self.chain = chain
        self.watch = watch_of(chain)

    def coinjoins(self) -> np.ndarray:
        """CoinJoin protocol code per tx id, up to the store's tip (incrementally extended)."""
        from chaintrail.heuristics.coinjoin import detect_coinjoins

        a = self.chain._arrays
        n = a.counts["txs"]
        if self._cj is None:
            from chaintrail.trace.rooms import _read

            entry = self.chain._store.manifest.extra.get("clusters") or {}
            spec = (entry.get("state") or {}).get("cj_codes")
            prev = None
            if spec and 0 < spec.get("length", 0) <= n:
                try:
                    prev = np.asarray(_read(self.chain._store.root, spec))
                except OSError:
                    prev = None
            if prev is not None and prev.size == n:
                self._cj = prev
                return prev
            start = prev.size if prev is not None else 0
            prev_pair = (prev, np.ones(prev.size, np.bool_)) if prev is not None else None
            self._cj = detect_coinjoins(a, self.chain._store.manifest.network, start, prev_pair)[0]
        elif self._cj.size != n:
            start = min(self._cj.size, n)
            self._cj = detect_coinjoins(a, self.chain._store.manifest.network, start,
                                        (self._cj, np.ones(self._cj.size, np.bool_)))[0]
        return self._cj

    def screen(self, t0: int, t1: int) -> Screened:
        """Transfers of txs t0 <= tx < t1 and the rules' findings on them."""
        secs: dict[str, float] = {}
        t = time.perf_counter()
        a = self.chain._arrays
        tr = find_transfers(a, self.book, t0, t1)
        secs["transfers"] = time.perf_counter() - t
        t = time.perf_counter()
        kw = {"budget": self.budget} if self.budget else {}
        ex = trace_transfers(self.chain, self.watch, tr, self.ruleset.max_hops(), **kw)
        secs["exposure"] = time.perf_counter() - t
        t = time.perf_counter()
        cj = self.coinjoins() if self.ruleset.of_kind("coinjoin") else np.zeros(0, np.uint8)
        secs["coinjoin"] = time.perf_counter() - t
        t = time.perf_counter()
        found = evaluate(self.chain, self.watch, self.ruleset, self.book, tr, ex, cj, t1)
        secs["rules"] = time.perf_counter() - t
        return Screened(tr, found, secs)

    def rows(self, sc: Screened, origin: str = "live", block_hash: str | None = None,
             known_since: str | None = None, key_extra: str = "") -> list[AlertRow]:
        """Alert rows of the findings (keys: rule, transaction, direction, position, customer,
        and the block for live alerts, so a transaction mined again after a reorg alerts again)."""
        from chaintrail.trace import labels

        if not sc.findings:
            return []
        a = self.chain._arrays
        tr = sc.transfers
        # the findings' transfer columns, txids, addresses and block times in one pass each
        ks = np.fromiter((f.row for f in sc.findings), np.int64, len(sc.findings))
        txs = tr.tx[ks]
        txids = labels.txids(a, txs)
        dirs = tr.direction[ks].tolist()
        idx = tr.index[ks].tolist()
        custs = tr.customer[ks].tolist()
        vals = tr.value[ks].tolist()
        aids = tr.address[ks].tolist()
        heights = np.asarray(a.tx_height)[txs].tolist()
        bts = [t + "Z" for t in np.datetime_as_string(
            np.asarray(a.tx_time)[txs].astype("datetime64[s]"), unit="s").tolist()]
        texts = a.address_texts(aids)
        # the rules and the ruleset encoded once (every alert's evidence repeats them)
        ruleset = RawJSON(canonical_json({"name": self.ruleset.name,
                                          "version": self.ruleset.version,
                                          "digest": self.ruleset.digest}))
        rule_json: dict[int, RawJSON] = {}
        extra = f"|{origin}|{block_hash or ''}|{key_extra}"
        ruleset_version = self.ruleset.version
        sha = hashlib.sha256
        out = []
        for f, txid, d, i, cust, v, aid, h, bt in zip(
                sc.findings, txids, map(DIRECTION_NAMES.__getitem__, dirs), idx, custs, vals,
                aids, heights, bts):
            rule = f.rule
            rj = rule_json.get(id(rule))
            if rj is None:
                rj = rule_json[id(rule)] = RawJSON(canonical_json(rule.to_dict()))
            # alert_key(rule id, rule version, txid, direction, index, customer, origin, block,
            # key_extra), written out
            key = sha(f"{rule.id}|{rule.version}|{txid}|{d}|{i}|{cust}{extra}".encode()).hexdigest()
            ev = dict(f.evidence)
            ev["rule"] = rj
            ev["ruleset"] = ruleset
            ev["transfer"] = RawJSON(
                f'{{"direction":{quote(d)},"height":{value_text(h)},"index":{i},'
                f'"time":{quote(bt)},"txid":{quote(txid)},"value_sat":{v}}}')
            out.append(AlertRow(
                key, rule.id, rule.version, ruleset_version, rule.severity, origin, cust, txid,
                block_hash, h, bt, texts[aid] if aid >= 0 else None, d, v, f.category, f.score,
                f.summary, ev, f.listed_since, known_since))
        return out
