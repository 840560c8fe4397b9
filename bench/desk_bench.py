"""Issue 9's figures: (1) reviewing a request with 1,000 target addresses
(linking them to customers through the 10M-tx simulated chain within 2 hops,
then every rule) on the shared store; (2) screening 100,000 customers by
name against the real OFAC SDN list plus the EU Art. 5b rule; (3) verifying
an audit log of 1,000,000 entries (SQLite, and PostgreSQL when Debian's
server binaries are installed).

Customers are the simulator's KYC tables (truth/customers.parquet). The
shared store is only read; the desk databases live in the work directory.
Each phase runs in its own process (peak RSS measured)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench.harness import ROOT, machine, median, run_measured

SHARED = ROOT / "bench" / "stores"
CORPUS_10M = ROOT / "bench" / "corpus" / "sim-10000000-s7"
SDN_CSV = ROOT.parent / "shared" / "data" / "sanctions" / "ofac-sdn-csv" / "sdn.csv"

_IMPORT = r'''
import json, sys, time
import chaintrail as ct
from chaintrail.desk import Desk, add_user, customers
url, store, truth, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
desk, token = Desk.init(db=url, home_country="DE")
if store != "-":
    desk.use_chain(ct.open(store))
admin = desk.login("admin", token)
toks = {r: add_user(admin, r, r, r + "-bench-token") for r in ("analyst", "reviewer", "approver", "auditor")}
t = time.perf_counter()
rep = customers.import_truth(desk.login("analyst", toks["analyst"]), truth, btc_eur=20000.0,
                             limit=limit or None)
print(json.dumps({**rep, "seconds": time.perf_counter() - t}))
'''

_LINK = r'''
import json, sys, time
import numpy as np
import chaintrail as ct
from sqlalchemy import select
from chaintrail.desk import Desk, requests
from chaintrail.desk.schema import account_addresses
url, store, n_targets, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
desk = Desk.open(url)
chain = ct.open(store)
desk.use_chain(chain)
an = desk.login("analyst", "analyst-bench-token")
rv = desk.login("reviewer", "reviewer-bench-token")
a = chain._arrays
with desk.engine.connect() as c:
    cust = [r[0] for r in c.execute(select(account_addresses.c.address).distinct())]
def targets(seed):
    rng = np.random.default_rng(seed)
    # a quarter distinct customer addresses (deposit or withdrawal), the rest seen on chain
    k = n_targets // 4
    own = [cust[i] for i in rng.integers(0, len(cust), k)]
    ids = rng.integers(0, a.counts["addresses"], n_targets - k)
    return own + [a.address_text(int(i)) for i in ids]
def one(seed):
    r = requests.create(an, "Bundeskriminalamt", "DE", "court_order", "identity,transactions",
                        targets(seed), "2010-01-01..2030-12-31", verification="verified",
                        legal_basis="court order", max_hops=2)
    t = time.perf_counter()
    rev = requests.review(rv, r["id"])
    return time.perf_counter() - t, rev
first, _ = one(999)  # a fresh process: kernels, memory maps, the customer address cache
runs = []
for k in range(reps):
    sec, rev = one(k)
    runs.append({"seconds": sec, "outcome": rev["verdict"]["outcome"],
                 "customers": len(rev["verdict"]["scope"]["customers"]),
                 **{f"link_{k}": v for k, v in rev["link"].items()}})
print(json.dumps({"runs": runs, "first_review_s": first, "customer_addresses": len(cust),
                  "txs": chain.status()["counts"]["txs"]}))
'''

_SCREEN = r'''
import datetime as dt, json, sys, time
from chaintrail.attribution.name_screening import NameIndex
from chaintrail.attribution.service import sdn_entries
from chaintrail.desk import Desk, screening
url, sdn, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
desk = Desk.open(url)
an = desk.login("analyst", "analyst-bench-token")
runs = []
for k in range(reps):
    t = time.perf_counter()
    lists = {"ofac-sdn": NameIndex(sdn_entries(None, sdn))}  # load the list inside the timing
    rep = screening.screen_customers(an, ("ofac", "eu"), dt.date(2022, 11, 1), name_lists=lists)
    runs.append({"seconds": time.perf_counter() - t, **{k2: rep[k2] for k2 in (
        "customers", "distinct_names", "name_hits", "customers_hit", "rule_findings", "restricted")}})
print(json.dumps({"runs": runs, "sdn_entries": len(lists["ofac-sdn"].entries)
                  if hasattr(lists["ofac-sdn"], "entries") else None}))
'''

_AUDIT = r'''
import json, sys, time
from chaintrail.desk import Desk, auditing
from chaintrail.desk import audit as audit_mod
url, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
desk, token = Desk.init(db=url)
t = time.perf_counter()
rows = ((f"2025-01-01T00:00:{i % 60:02d}.000000Z", "analyst", "customer.view", f"REQ-{i // 100}",
         f"customer:C{i:07d}", "answer the request", {"request": i // 100, "n": i})
        for i in range(n - 2))
with desk.engine.begin() as conn:
    audit_mod.append_many(conn, rows)
fill = time.perf_counter() - t
admin = desk.login("admin", token)
runs = []
for _ in range(reps):
    t = time.perf_counter()
    rep = auditing.verify_log(admin)
    runs.append({"seconds": time.perf_counter() - t, "entries": rep["entries"], "ok": rep["ok"]})
print(json.dumps({"fill_seconds": fill, "runs": runs}))
'''

_PG = r'''
import json, subprocess, sys
from chaintrail.desk.pgserver import TempPostgres
with TempPostgres() as pg:
    url = pg.create_database("deskbench")
    r = subprocess.run([sys.executable, "-c", sys.argv[1], url, sys.argv[2], sys.argv[3]],
                       capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stderr[-2000:])
    print(r.stdout.strip().splitlines()[-1])
'''


def _store(quick: bool, work: Path) -> tuple[Path, Path, dict]:
    """The store and truth to measure on: the shared 10M store, or a small one for --quick."""
    for name in ("sim10m-clustered", "sim10m"):
        s = SHARED / name
        if not quick and (SHARED / f"{name}.READY").exists():
            return s, CORPUS_10M / "truth", {"store": str(s.relative_to(ROOT))}
    from bench.corpus import ensure_corpus

    d, info = ensure_corpus(2000, 1) if quick else ensure_corpus(10_000_000)
    store = work / "desk-store"
    if not (store / "manifest.json").exists():
        run_measured([sys.executable, "-m", "chaintrail", "ingest", str(d / "blocks"), "--store",
                      str(store), "--json"])
    return store, d / "truth", {"store": str(store), "corpus": info}


def _json(run) -> dict:
    return json.loads(run.stdout.strip().splitlines()[-1])


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    reps = repeats or (1 if quick else 3)
    store, truth, info = _store(quick, work)
    load = [os.getloadavg()[0]]
    n_targets = 100 if quick else 1_000
    n_screen = 1_000 if quick else 100_000
    n_audit = 20_000 if quick else 1_000_000

    reuse = Path(os.environ.get("CHAINTRAIL_BENCH_DESK_DB", ROOT / "bench" / "stores" / "desk-work" /
                                "desk-all.sqlite"))
    if not quick and reuse.exists():  # the 10M import takes minutes: keep its database
        all_db = f"sqlite:///{reuse}"
        imp, imp_info = None, {"reused": str(reuse)}
    else:
        all_db = f"sqlite:///{work / 'desk-all.sqlite'}"
        imp = run_measured([sys.executable, "-c", _IMPORT, all_db, str(store), str(truth), "0"])
        imp_info = _json(imp)
    link = run_measured([sys.executable, "-c", _LINK, all_db, str(store), str(n_targets), str(reps)])
    link_info = _json(link)
    load.append(os.getloadavg()[0])

    scr_db = f"sqlite:///{work / 'desk-100k.sqlite'}"
    _json(run_measured([sys.executable, "-c", _IMPORT, scr_db, "-", str(truth), str(n_screen)]))
    scr = run_measured([sys.executable, "-c", _SCREEN, scr_db, str(SDN_CSV), str(reps)])
    scr_info = _json(scr)
    load.append(os.getloadavg()[0])

    aud = run_measured([sys.executable, "-c", _AUDIT, f"sqlite:///{work / 'desk-audit.sqlite'}",
                        str(n_audit), str(reps)])
    aud_info = _json(aud)
    pg_info = None
    from chaintrail.desk.pgserver import find_bindir

    if find_bindir() is not None:
        pg = run_measured([sys.executable, "-c", _PG, _AUDIT, str(n_audit), str(reps)])
        pg_info = {**_json(pg), "peak_rss_mb": pg.peak_rss_mb}
    load.append(os.getloadavg()[0])

    lk = link_info["runs"]
    sc = scr_info["runs"]
    figures = [
        {"name": f"review a request with {n_targets:,} target addresses (link within 2 hops + rules), "
                 f"{link_info['txs']:,} txs, {link_info['customer_addresses']:,} customer addresses",
         "value": f"{median([r['seconds'] for r in lk]):.2f} s (linking "
                  f"{median([r['link_seconds'] for r in lk]):.2f} s; first review in a fresh process "
                  f"{link_info['first_review_s']:.1f} s; "
                  f"{median([r['customers'] for r in lk]):,.0f} customers linked; peak RSS "
                  f"{link.peak_rss_mb:,.0f} MB)",
         "target": "< 5 s"},
        {"name": f"screen {sc[0]['customers']:,} customers (OFAC SDN names + EU Art. 5b)",
         "value": f"{median([r['seconds'] for r in sc]):.1f} s ({sc[0]['distinct_names']:,} distinct "
                  f"name/country pairs, {sc[0]['name_hits']:,} name hits; peak RSS "
                  f"{scr.peak_rss_mb:,.0f} MB)",
         "target": "< 60 s"},
        {"name": f"audit verify, {aud_info['runs'][0]['entries']:,} entries (SQLite)",
         "value": f"{median([r['seconds'] for r in aud_info['runs']]):.2f} s (peak RSS "
                  f"{aud.peak_rss_mb:,.0f} MB)",
         "target": "< 10 s"},
    ]
    if pg_info:
        figures.append({"name": f"audit verify, {pg_info['runs'][0]['entries']:,} entries (PostgreSQL)",
                        "value": f"{median([r['seconds'] for r in pg_info['runs']]):.2f} s",
                        "target": "< 10 s"})
    results.put("desk", {"figures": figures, "store": info, "import": imp_info,
                         "import_seconds": imp.seconds if imp else None, "link": link_info, "screen": scr_info,
                         "audit_sqlite": aud_info, "audit_postgresql": pg_info, "repeats": reps,
                         "load_1min": load, "machine": machine()})
