"""Issue 11's figures, on the shared 10M-tx simulated store (clustered, with the simulator's
true tags): (1) a block of 4,000 transactions screened against the default rules for 100,000
customers and its alerts stored in the desk's database, after it was ingested (the blocks
are in the store; each repeat screens another 4,000-tx range near the tip, as a fresh block
would be); (2) re-screening every historical customer transfer after a tag update (the
sanctioned exchange's addresses newly tagged: the monitor's snapshot is taken without them),
for all 682k customers of the six exchanges that are not sanctioned. The 100k customers are
one exchange's (Satoshi Square, 102,248 customers): an exchange monitors its own book.

The desks are new SQLite databases in the work directory with the customers copied from
the shared desk database (bench/stores/desk-work/desk-all.sqlite, the 10M corpus's truth);
the shared store is only read. Each phase runs in its own process (peak RSS measured)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench.harness import ROOT, machine, median, run_measured

SHARED = ROOT / "bench" / "stores"

_DESK = r'''
import json, sqlite3, sys, time
from chaintrail.desk import Desk
path, src, where = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
desk, token = Desk.init(db=f"sqlite:///{path}", home_country="DE")
desk.close()
con = sqlite3.connect(path)
con.execute(f"ATTACH DATABASE '{src}' AS src")
sel = f"SELECT id FROM src.customers WHERE {where}"
con.execute(f"INSERT INTO customers SELECT * FROM src.customers WHERE id IN ({sel})")
con.execute(f"INSERT INTO accounts SELECT * FROM src.accounts WHERE customer_id IN ({sel})")
con.execute("INSERT INTO account_addresses SELECT * FROM src.account_addresses WHERE account_id IN "
            "(SELECT id FROM accounts)")
con.commit()
n = con.execute("SELECT count(*) FROM customers").fetchone()[0]
m = con.execute("SELECT count(*) FROM account_addresses").fetchone()[0]
print(json.dumps({"customers": n, "addresses": m, "seconds": time.perf_counter() - t}))
'''

_BLOCK = r'''
import json, sys, time
import chaintrail as ct
from chaintrail.desk.session import Desk
from chaintrail.monitor import alerts
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book
db, store, size, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
desk = Desk.open(f"sqlite:///{db}")
chain = ct.open(store)
t = time.perf_counter()
sc = Screener(chain, load_book(desk.engine, chain), load_rules())
sc.coinjoins()
setup = time.perf_counter() - t
n = chain._arrays.counts["txs"]
# warm-up range (kernel load, first page-ins), then the measured ranges nearest the tip
w = sc.screen(n - (reps + 2) * size, n - (reps + 1) * size)
runs = []
for k in range(reps):
    t0, t1 = n - (k + 1) * size, n - k * size
    t = time.perf_counter()
    res = sc.screen(t0, t1)
    rows = sc.rows(res, "live", f"bench-{k:02d}".ljust(64, "0"))
    ids = alerts.record_block(desk.engine, f"bench-{k:02d}".ljust(64, "0"), 0, len(res.transfers), rows)
    sec = time.perf_counter() - t
    runs.append({"seconds": sec, "transfers": len(res.transfers), "findings": len(res.findings),
                 "alerts": len(ids or []), "steps": {a: round(b, 4) for a, b in res.seconds.items()}})
print(json.dumps({"runs": runs, "setup_s": setup, "customers": len(sc.book),
                  "customer_addresses": int(sc.book.uaddr.size), "txs": n}))
'''

_RESCREEN = r'''
import json, os, sys, time
import chaintrail as ct
from sqlalchemy import delete, func, select
from chaintrail.desk.session import Desk
from chaintrail.desk.schema import monitor_alerts, monitor_outbox, monitor_watch
from chaintrail.monitor.rescreen import initialise, rescreen
from chaintrail.monitor.rules import load_rules
from chaintrail.monitor.screen import Screener, load_book
db, store, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
desk = Desk.open(f"sqlite:///{db}")
chain = ct.open(store)
t = time.perf_counter()
sc = Screener(chain, load_book(desk.engine, chain), load_rules())
setup = time.perf_counter() - t
runs = []
for k in range(reps):
    with desk.engine.begin() as conn:  # the snapshot before the update: no sanctioned items
        conn.execute(delete(monitor_watch))
        conn.execute(delete(monitor_outbox))  # and no alerts of an earlier repeat
        conn.execute(delete(monitor_alerts))
    initialise(desk.engine, chain)
    with desk.engine.begin() as conn:
        removed = conn.execute(delete(monitor_watch).where(monitor_watch.c.category == "sanctioned")).rowcount
    t = time.perf_counter()
    rep = rescreen(desk.engine, sc)
    sec = time.perf_counter() - t
    info = rep.to_dict()
    runs.append({**info, "seconds": sec, "steps": info["seconds"], "snapshot_without": removed,
                 "load_1min": os.getloadavg()[0]})
    rep.alerts = []
with desk.engine.connect() as conn:
    n_alerts = conn.execute(select(func.count()).select_from(monitor_alerts)).scalar()
print(json.dumps({"runs": runs, "setup_s": setup, "customers": len(sc.book), "alerts_total": n_alerts,
                  "txs": chain._arrays.counts["txs"]}))
'''


def _json(run) -> dict:
    return json.loads(run.stdout.strip().splitlines()[-1])


def _store(quick: bool, work: Path) -> tuple[Path, dict]:
    own = os.environ.get("CHAINTRAIL_BENCH_MONITOR_STORE")  # a private copy of the store
    if own:
        return Path(own), {"store": own}
    s = SHARED / "sim10m-clustered"
    if not quick and (SHARED / "sim10m-clustered.READY").exists():
        return s, {"store": str(s.relative_to(ROOT))}
    raise SystemExit("monitor bench: needs bench/stores/sim10m-clustered (make bench builds it)")


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    reps = repeats or (2 if quick else 5)
    store, info = _store(quick, work)
    src = Path(os.environ.get("CHAINTRAIL_BENCH_DESK_DB",
                              SHARED / "desk-work" / "desk-all.sqlite"))
    load = [os.getloadavg()[0]]
    work.mkdir(parents=True, exist_ok=True)
    db100 = work / "monitor-100k.sqlite"
    dball = work / "monitor-all.sqlite"
    for p in (db100, dball):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    # one exchange's customers (Satoshi Square: 102,248), as an exchange monitors its own book
    d100 = _json(run_measured([sys.executable, "-c", _DESK, str(db100), str(src),
                               "exchange = 'Satoshi Square'"]))
    blk = run_measured([sys.executable, "-c", _BLOCK, str(db100), str(store), "4000", str(reps)])
    blk_info = _json(blk)
    load.append(os.getloadavg()[0])
    # every customer of the six exchanges that are not sanctioned (the sanctioned exchange's own
    # customers would all be exposed to it)
    dall = _json(run_measured([sys.executable, "-c", _DESK, str(dball), str(src),
                               "exchange <> 'Grantor Exchange'"]))
    rs_reps = max(1, min(reps, 3))
    rs = run_measured([sys.executable, "-c", _RESCREEN, str(dball), str(store), str(rs_reps)])
    rs_info = _json(rs)
    load.append(os.getloadavg()[0])
    b = blk_info["runs"]
    r = rs_info["runs"]
    figures = [
        {"name": f"screen a block of 4,000 txs and store its alerts, {blk_info['customers']:,} "
                 f"customers ({blk_info['customer_addresses']:,} addresses), "
                 f"{blk_info['txs']:,}-tx store",
         "value": f"{median([x['seconds'] for x in b]):.3f} s (median of {len(b)}; "
                  f"{median([x['transfers'] for x in b]):.0f} customer transfers and "
                  f"{median([x['alerts'] for x in b]):.0f} alerts a block; 1-min load "
                  f"{load[1]:.1f}; peak RSS "
                  f"{blk.peak_rss_mb:,.0f} MB)",
         "target": "< 1 s"},
        {"name": f"re-screen the {rs_info['txs']:,}-tx history after a tag update "
                 f"({r[0]['new_items']:,} newly tagged addresses; {rs_info['customers']:,} "
                 f"customers)",
         "value": f"{median([x['seconds'] for x in r]):.1f} s (median of {len(r)}; "
                  f"{r[0]['reached_txs']:,} transactions reached, {r[0]['candidates']:,} customer "
                  f"transfers traced, {r[0]['alerts']:,} alerts; 1-min load "
                  f"{median([x['load_1min'] for x in r]):.1f}; peak RSS "
                  f"{rs.peak_rss_mb:,.0f} MB)",
         "target": "< 120 s"},
    ]
    results.put("monitor", {"figures": figures, "store": info, "desk_100k": d100, "desk_all": dall,
                            "block": blk_info, "rescreen": rs_info, "repeats": reps,
                            "load_1min": load, "machine": machine()})
