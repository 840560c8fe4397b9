"""Issue 8's figures: `chain.tx(txid)` and `chain.address(a)` lookup times after
open (p50/p95 over random samples), and the speed of a bulk aggregate through
the API relative to the same DuckDB query on the Parquet files directly."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.corpus import ensure_corpus
from bench.harness import ROOT, run_measured

N_FULL = 10_500_000  # the 4 GB ingest corpus, reused
N_QUICK = 300_000

_MEASURE = r'''
import json, sys, time, statistics
import duckdb
import chaintrail as ct
chain = ct.open(sys.argv[1])
out = {}
for what, q, f in (("tx", "select txid from txs using sample 2000 rows (reservoir, 7)", chain.tx),
                   ("address", "select address from addresses using sample 2000 rows (reservoir, 7)",
                    chain.address)):
    keys = [r[0] for r in chain.sql(q).fetchall()]
    for k in keys[:50]:
        f(k)  # first touches of the memory maps
    ts = []
    for k in keys:
        t = time.perf_counter(); f(k); ts.append(time.perf_counter() - t)
    ts.sort()
    out[what] = {"p50_us": ts[len(ts) // 2] * 1e6, "p95_us": ts[int(len(ts) * 0.95)] * 1e6, "n": len(ts)}
q = "select script_type, sum(value) from {src} group by 1 order by 1"
files = [str(chain._store.root / s.file) for s in chain._store.manifest.segments["outputs"]]
con = duckdb.connect()
def med(f):
    ts = []
    for _ in range(7):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
api = med(lambda: chain.sql(q.format(src="outputs")).fetchall())
direct = med(lambda: con.sql(q.format(src=f"read_parquet({files})")).fetchall())
out["sum_by_type"] = {"api_s": api, "direct_s": direct, "speed_ratio": direct / api}
print(json.dumps(out))
'''


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    n = N_QUICK if quick else N_FULL
    shared = ROOT / "bench" / "stores" / "sim10m"
    if not quick and (ROOT / "bench" / "stores" / "sim10m.READY").exists():
        manifest = json.loads((shared / "manifest.json").read_text())
        n = manifest["counts"]["txs"]
        store, info = shared, {"store": f"bench/stores/sim10m ({n:,} txs, reused read-only)"}
    else:
        d, info = ensure_corpus(n)
        store = work / f"api-store-{n}"
        run_measured([sys.executable, "-m", "chaintrail", "ingest", str(d / "blocks"), "--store", str(store),
                      "--json"])
    reps = repeats or (1 if quick else 3)
    runs = [json.loads(run_measured([sys.executable, "-c", _MEASURE, str(store)]).stdout) for _ in range(reps)]

    def med(path):
        vals = sorted(r[path[0]][path[1]] for r in runs)
        return vals[len(vals) // 2]

    figures = [
        {"name": f"chain.tx(txid), {n:,} txs", "value": f"p50 {med(('tx', 'p50_us')):.0f} us, "
                                                        f"p95 {med(('tx', 'p95_us')):.0f} us",
         "target": "< 1 ms"},
        {"name": f"chain.address(a), {n:,} txs", "value": f"p50 {med(('address', 'p50_us')):.0f} us, "
                                                          f"p95 {med(('address', 'p95_us')):.0f} us",
         "target": "< 1 ms"},
        {"name": "sum by script type: API vs direct DuckDB",
         "value": f"{med(('sum_by_type', 'speed_ratio')):.0%} of direct speed "
                  f"({med(('sum_by_type', 'api_s')) * 1e3:.0f} vs {med(('sum_by_type', 'direct_s')) * 1e3:.0f} ms)",
         "target": ">= 80%"},
    ]
    results.put("api", {"figures": figures, "runs": runs, "corpus": info, "repeats": reps})

