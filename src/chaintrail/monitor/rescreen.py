"""Re-screening after a sanctions list or tag update: which watched items
(listed or tagged addresses and clusters of a monitored category) are new
since the monitor's snapshot, which past customer transfers their funds
reached (or came from) within the rules' hops, and an alert for each such
transfer whose exposure *to the new items* passes a rule, carrying the date
the item was listed and the time the monitor learnt of it, so that nothing
is flagged as if it had been known when the transfer happened.

The candidate search is array work over the whole history: every customer
transfer from the customer book, and breadth-first hops over the
transaction graph from the new items' outputs (forward for deposits,
backward for spends), stopping at attributed entities as the traces do. Only
the candidates are traced (the trace engine, as in live screening)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from chaintrail.chain import Chain
from chaintrail.desk.schema import monitor_watch
from chaintrail.monitor import alerts as alerts_mod
from chaintrail.monitor.evaluate import exposure_findings
from chaintrail.monitor.exposure import trace_transfers
from chaintrail.monitor.screen import Screened, Screener
from chaintrail.monitor.transfers import SPEND, find_transfers
from chaintrail.monitor.watch import watch_items

HUB_OUTPUTS = 1000  # transactions with more outputs or inputs are not crossed (batches, pools)


@dataclass
class RescreenReport:
    items: int = 0
    new_items: int = 0
    removed_items: int = 0
    new_addresses: int = 0
    transfers: int = 0
    candidates: int = 0
    alerts: list[int] = field(default_factory=list)
    initialised: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"items": self.items, "new_items": self.new_items,
                "removed_items": self.removed_items, "new_addresses": self.new_addresses,
                "transfers": self.transfers, "candidates": self.candidates,
                "alerts": len(self.alerts), "alert_ids": self.alerts[:100],
                "initialised": self.initialised,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def snapshot_keys(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {k for (k,) in conn.execute(select(monitor_watch.c.key))}


def _rows(table, at: str, keys: set[str] | None = None) -> list[dict]:
    cols = {c: table[c].to_pylist() for c in ("key", "source", "address", "cluster_id", "category",
                                              "entity", "list_name", "listed_since")}
    out = []
    for i, k in enumerate(cols["key"]):
        if keys is not None and k not in keys:
            continue
        out.append({c: cols[c][i] for c in cols} | {"first_seen": at})
    return out


def initialise(engine: Engine, chain: Chain) -> int:
    """Take the current watch items as known (the monitor's first start); how many (0 when a
    snapshot exists already)."""
    with engine.connect() as conn:
        if conn.execute(select(monitor_watch.c.key).limit(1)).first():
            return 0
    items = watch_items(chain)
    if items.num_rows == 0 or "source" not in items.column_names:
        return 0
    at = alerts_mod.now_ts()
    rows = _rows(items, at)
    with engine.begin() as conn:
        if conn.execute(select(monitor_watch.c.key).limit(1)).first():
            return 0
        for i in range(0, len(rows), 20_000):
            conn.execute(insert(monitor_watch), rows[i:i + 20_000])
    return len(rows)


def item_addresses(chain: Chain, rows: list[dict]) -> np.ndarray:
    """Address ids of new items: listed addresses, and every member of a tagged cluster."""
    from chaintrail.desk.chainlink import address_ids
    from chaintrail.trace.rooms import clusters

    addrs = [r["address"] for r in rows if r["address"]]
    ids = address_ids(chain, addrs) if addrs else np.zeros(0, np.int64)
    parts = [ids[ids >= 0]]
    cl = clusters(chain)
    if cl is not None:
        for r in rows:
            if r["cluster_id"] is not None:
                try:
                    parts.append(np.asarray(cl.members_of(int(r["cluster_id"])), np.int64))
                except (KeyError, IndexError, ValueError):
                    pass
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def _expand(first: np.ndarray, n: np.ndarray) -> np.ndarray:
    n = n.astype(np.int64)
    return np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(first.astype(np.int64), n)


def reached_txs(a, stop: np.ndarray, seeds: np.ndarray, hops: int, forward: bool) -> np.ndarray:
    """Transactions the value on these addresses reaches in 1..hops hops (forward: spent by;
    backward: paid them), not crossing addresses in `stop` (sorted) nor hub transactions."""
    start = np.asarray(a.ao_start)
    outs = _expand(start[seeds], start[seeds + 1] - start[seeds])
    outs = np.asarray(a.ao_ids)[outs]
    n_in, n_out = np.asarray(a.tx_n_in), np.asarray(a.tx_n_out)
    seen = np.zeros(0, np.int64)
    for _ in range(hops):
        if forward:
            sb = np.asarray(a.out_spent_by)[outs]
            txs = np.unique(np.asarray(a.in_tx)[sb[sb >= 0]])
        else:
            txs = np.unique(np.asarray(a.out_tx)[outs])
        txs = txs[~np.isin(txs, seen)]
        if txs.size == 0:
            break
        seen = np.union1d(seen, txs)
        txs = txs[(n_out[txs] <= HUB_OUTPUTS) & (n_in[txs] <= HUB_OUTPUTS)]
        if forward:
            outs = _expand(np.asarray(a.tx_first_out)[txs], n_out[txs])
        else:
            ins = _expand(np.asarray(a.tx_first_in)[txs], n_in[txs])
            outs = np.asarray(a.in_spent)[ins]
            outs = outs[outs >= 0]
        addr = np.asarray(a.out_address)[outs]
        if stop.size:
            pos = np.minimum(np.searchsorted(stop, addr), stop.size - 1)
            outs = outs[stop[pos] != addr]
    return seen


def rescreen(engine: Engine, screener: Screener, progress=None) -> RescreenReport:
    """Re-evaluate past customer transfers against the items listed since the snapshot."""
    rep = RescreenReport()
    chain = screener.chain
    t = time.perf_counter()
    items = watch_items(chain)
    have = snapshot_keys(engine)
    rep.items = items.num_rows
    if not have:
        rep.initialised = True
        initialise(engine, chain)
        rep.seconds["snapshot"] = time.perf_counter() - t
        return rep
    cur = set(items["key"].to_pylist()) if items.num_rows else set()
    new_keys = cur - have
    removed = have - cur
    rep.new_items, rep.removed_items = len(new_keys), len(removed)
    at = alerts_mod.now_ts()
    new_rows = _rows(items, at, new_keys) if new_keys else []
    rep.seconds["diff"] = time.perf_counter() - t
    found_rows: list = []
    # an address already watched for the category (through another list or tag) is not new
    with engine.connect() as conn:
        known = {(a or c, cat) for a, c, cat in conn.execute(
            select(monitor_watch.c.address, monitor_watch.c.cluster_id, monitor_watch.c.category))}
    fresh = [r for r in new_rows if (r["address"] or r["cluster_id"], r["category"]) not in known]
    if fresh:
        t = time.perf_counter()
        new_addr = item_addresses(chain, fresh)
        rep.new_addresses = int(new_addr.size)
        rep.seconds["addresses"] = time.perf_counter() - t
        t = time.perf_counter()
        a = chain._arrays
        n_tx = a.counts["txs"]
        tr = find_transfers(a, screener.book, 0, n_tx)
        rep.transfers = len(tr)
        rep.seconds["transfers"] = time.perf_counter() - t
        t = time.perf_counter()
        hops = screener.ruleset.max_hops()
        # stop where the traces stop: attributed addresses other than the new items
        res = screener.watch.resolver
        attributed = res.addr_keys
        stop = np.setdiff1d(attributed, new_addr)
        fwd = reached_txs(a, stop, new_addr, hops, True) if new_addr.size else np.zeros(0, np.int64)
        bwd = reached_txs(a, stop, new_addr, hops, False) if new_addr.size else np.zeros(0, np.int64)
        is_spend = tr.direction == SPEND
        cand = np.nonzero((~is_spend & np.isin(tr.tx, fwd)) | (is_spend & np.isin(tr.tx, bwd)))[0]
        rep.candidates = int(cand.size)
        rep.seconds["candidates"] = time.perf_counter() - t
        t = time.perf_counter()
        sub = tr.take(cand)
        ex = trace_transfers(chain, screener.watch, sub, hops, only_addresses=new_addr,
                             **({"budget": screener.budget} if screener.budget else {}))
        rep.seconds["exposure"] = time.perf_counter() - t
        t = time.perf_counter()
        found = exposure_findings(chain, screener.watch, screener.ruleset.of_kind("exposure"), sub,
                                  ex, only_addresses=set(new_addr.tolist()))
        for f in found:
            f.evidence["retrospective"] = _retrospective(chain, sub, f)
            f.evidence["update"] = {"known_since": at, "new_items": len(new_rows)}
            f.summary = f"re-screening: {f.summary}; listed since {f.listed_since or 'unknown'}, " \
                        f"known since {at[:10]}"
        digest = alerts_mod.alert_key(*sorted(new_keys))[:16]
        found_rows = screener.rows(Screened(sub, found), "rescreen", None, at, digest)
        rep.seconds["rules"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        rep.alerts = alerts_mod.store_alerts(conn, found_rows, at)
        for i in range(0, len(new_rows), 20_000):
            conn.execute(insert(monitor_watch), new_rows[i:i + 20_000])
        gone = sorted(removed)
        for i in range(0, len(gone), 500):
            conn.execute(delete(monitor_watch).where(monitor_watch.c.key.in_(gone[i:i + 500])))
        from chaintrail.desk import audit as audit_mod

        audit_mod.append(conn, at, alerts_mod.ACTOR, "monitor.rescreen", details={
            "new_items": len(new_rows), "removed_items": len(removed), "alerts": len(rep.alerts),
            "candidates": rep.candidates, "transfers": rep.transfers})
    rep.seconds["store"] = time.perf_counter() - t
    return rep


def _retrospective(chain: Chain, tr, f) -> dict:
    """Whether the transfer happened before the listing: then it is reported as learnt later,
    never as a breach known at the time."""
    tm = int(chain._arrays.tx_time[int(tr.tx[f.row])])
    when = dt.datetime.fromtimestamp(tm, dt.timezone.utc).date()
    before = f.listed_since is not None and when < f.listed_since
    return {"transfer_date": when.isoformat(),
            "listed_since": f.listed_since.isoformat() if f.listed_since else None,
            "before_listing": before}
