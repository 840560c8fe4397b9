"""Re-screening after a sanctions list or tag update: which watched items
(listed or tagged addresses and clusters of a monitored category) are new
since the monitor's snapshot, which past customer transfers their funds
reached (or came from) within the rules' hops, and an alert for each such
transfer whose exposure *to the new items* passes a rule, carrying the date
the item was listed and the time the monitor learnt of it, so that nothing
is flagged as if it had been known when the transfer happened.

The work is proportional to what the update touches, not to the history:
one compiled sweep (``reach``) from the new items' coins over the
transaction graph finds the transactions a trace could link to them within
the rules' hops (forward for deposits and withdrawals, backward for spends,
stopping where the traces stop); only the customer transfers of those are
found and traced (as in live screening, by the trace kernel specialised to
it, on every core), the exposure rules applied in bulk, the evidence of the
alerts built from the same traces, and the alerts stored in one
transaction. The result equals screening every past transfer one by one
(tests hold the two equal): a transfer the sweep does not reach has no trace
meeting a new item."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from chaintrail.chain import Chain
from chaintrail.desk import bulk
from chaintrail.desk.schema import monitor_watch
from chaintrail.gcpause import collector_paused
from chaintrail.monitor import alerts as alerts_mod
from chaintrail.monitor.evaluate import exposure_findings
from chaintrail.monitor.exposure import TRANSFER_BUDGET, trace_with_evidence
from chaintrail.monitor.rules import COIN
from chaintrail.monitor.screen import Screened, Screener
from chaintrail.monitor.transfers import SPEND, Transfers, find_transfers_in
from chaintrail.monitor.watch import watch_items


@dataclass
class RescreenReport:
    items: int = 0
    new_items: int = 0
    removed_items: int = 0
    new_addresses: int = 0
    transfers: int = 0
    candidates: int = 0
    reached_txs: int = 0
    alerts: list[int] = field(default_factory=list)
    initialised: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"items": self.items, "new_items": self.new_items,
                "removed_items": self.removed_items, "new_addresses": self.new_addresses,
                "transfers": self.transfers, "candidates": self.candidates,
                "reached_txs": self.reached_txs,
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


def reach_limits(ruleset) -> dict[str, tuple[int, int]]:
    """Per side ('deposit' for deposits and withdrawals, traced backward; 'spend', traced
    forward): (deepest hop an exposure rule covering it counts, least transfer value it
    alerts on); sides no exposure rule covers are left out."""
    trace_hops = ruleset.max_hops()
    out: dict[str, tuple[int, int]] = {}
    for rule in ruleset.of_kind("exposure"):
        hops = min(int(rule["max_hops"]), trace_hops)
        floor = int(rule["min_amount_btc"] * COIN)
        for d in rule.params.get("directions", ["deposit"]):
            side = "spend" if d == "spend" else "deposit"
            h, f = out.get(side, (0, floor))
            out[side] = (max(h, hops), min(f, floor))
    return out


def candidates(chain: Chain, screener: Screener, new_addr: np.ndarray,
               seconds: dict[str, float] | None = None) -> tuple[Transfers, int, int]:
    """The customer transfers whose exposure traces can meet one of these addresses within the
    rules' hops (every other past transfer has none to them), how many transactions the sweeps
    reached and how many customer transfers those have: the transfers of the transactions the new addresses' coins reach forward
    (deposits, withdrawals) or came from backward (spends), by ``reach.levels``."""
    from chaintrail.monitor.reach import attributed, levels, seed_outputs

    secs = seconds if seconds is not None else {}
    a = chain._arrays
    budget = screener.budget or TRANSFER_BUDGET
    limits = reach_limits(screener.ruleset)
    t = time.perf_counter()
    seeds = seed_outputs(a, new_addr)
    attr = attributed(chain, screener.watch)
    secs["seeds"] = time.perf_counter() - t
    t = time.perf_counter()
    lv = {side: levels(chain, seeds, side == "deposit", hops, budget, attr)
          for side, (hops, _floor) in limits.items()}
    hit = np.zeros(int(a.counts["txs"]), bool)
    for side, (hops, _floor) in limits.items():
        hit |= lv[side] <= hops
    reached = np.nonzero(hit)[0]
    secs["sweep"] = time.perf_counter() - t
    t = time.perf_counter()
    tr = find_transfers_in(a, screener.book, reached)
    keep = np.zeros(len(tr), bool)
    for side, (hops, floor) in limits.items():
        on_side = (tr.direction == SPEND) if side == "spend" else (tr.direction != SPEND)
        keep |= on_side & (lv[side][tr.tx] <= hops) & (tr.value >= floor)
    secs["transfers"] = time.perf_counter() - t
    return tr.take(np.nonzero(keep)[0]), int(reached.size), len(tr)


def _screen_reach(chain: Chain, screener: Screener, new_addr: np.ndarray, rep: RescreenReport,
                  at: str, n_new: int, new_keys: set[str], threads: int) -> list:
    """Trace the candidates' exposure to the new addresses, apply the exposure rules, and the
    alert rows of what passes (evidence built in one batch)."""
    sub, rep.reached_txs, rep.transfers = candidates(chain, screener, new_addr, rep.seconds)
    rep.candidates = len(sub)
    t = time.perf_counter()
    ex, ev = trace_with_evidence(chain, screener.watch, sub, screener.ruleset.max_hops(),
                                 only_addresses=new_addr, threads=threads,
                                 **({"budget": screener.budget} if screener.budget else {}))
    rep.seconds["exposure"] = time.perf_counter() - t
    t = time.perf_counter()
    found = exposure_findings(chain, screener.watch, screener.ruleset.of_kind("exposure"), sub,
                              ex, only_addresses=new_addr, evidence=ev)
    rep.seconds["rules"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = np.fromiter((f.row for f in found), np.int64, len(found))
    days = np.datetime_as_string(np.asarray(chain._arrays.tx_time)[sub.tx[rows]]
                                 .astype("datetime64[s]"), unit="D").tolist()
    for f, day in zip(found, days):
        f.evidence["retrospective"] = _retrospective(day, f.listed_since)
        f.evidence["update"] = {"known_since": at, "new_items": n_new}
        f.summary = f"re-screening: {f.summary}; listed since {f.listed_since or 'unknown'}, " \
                    f"known since {at[:10]}"
    digest = alerts_mod.alert_key(*sorted(new_keys))[:16]
    rows = screener.rows(Screened(sub, found), "rescreen", None, at, digest)
    rep.seconds["rows"] = time.perf_counter() - t
    return rows


def rescreen(engine: Engine, screener: Screener, progress=None,
             threads: int | None = None) -> RescreenReport:
    """Re-evaluate past customer transfers against the items listed since the snapshot (the
    exposure traces on `threads` threads, default one per core)."""
    with collector_paused():
        return _rescreen(engine, screener, threads)


def _rescreen(engine: Engine, screener: Screener, threads: int | None) -> RescreenReport:
    """``rescreen``."""
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
        if new_addr.size:
            found_rows = _screen_reach(chain, screener, new_addr, rep, at, len(new_rows), new_keys,
                                       threads or os.cpu_count() or 1)
    t = time.perf_counter()
    with engine.begin() as conn:
        rep.alerts = alerts_mod.store_alerts(conn, found_rows, at)
        cols = tuple(c.name for c in monitor_watch.columns)
        bulk.insert_rows(conn, monitor_watch, cols, [tuple(r[c] for c in cols) for r in new_rows])
        gone = sorted(removed)
        for i in range(0, len(gone), 500):
            conn.execute(delete(monitor_watch).where(monitor_watch.c.key.in_(gone[i:i + 500])))
        from chaintrail.desk import audit as audit_mod

        audit_mod.append(conn, at, alerts_mod.ACTOR, "monitor.rescreen", details={
            "new_items": len(new_rows), "removed_items": len(removed), "alerts": len(rep.alerts),
            "candidates": rep.candidates, "transfers": rep.transfers})
    rep.seconds["store"] = time.perf_counter() - t
    return rep


def _retrospective(day: str, listed_since: dt.date | None) -> dict:
    """Whether the transfer (on `day`, ISO) happened before the listing: then it is reported
    as learnt later, never as a breach known at the time."""
    listed = listed_since.isoformat() if listed_since else None
    return {"transfer_date": day, "listed_since": listed,
            "before_listing": listed_since is not None and day < listed}
