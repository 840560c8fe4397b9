"""Issue 6's figures: `trace` (6 hops, haircut, backward) latency over 100
random starting outputs measured in-process (p50, p95), the CLI's wall
time for one such trace, and the exposure of the largest exchange cluster
(about 100k addresses at 10M transactions) within its budget.

The store is the simulated corpus, ingested, clustered and attributed from
the simulator's truth (services only) before measuring. A store prepared
already (clustered and tagged) is reused as it is, read only:
``CHAINTRAIL_BENCH_TRACE_STORE=DIR``, else ``bench/stores/sim10m-clustered``
when its ``.READY`` file is there (full runs), else one is built in the
benchmark's work directory. The entity resolver's disk cache goes to the
work directory, so each run builds it once (reported as ``resolver_s``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench.corpus import ensure_corpus
from bench.harness import ROOT, machine, median, run_measured

N_FULL = 10_000_000
N_QUICK = 300_000
SERVICE_KINDS = ("exchange", "sanctioned_exchange", "merchant", "payment_processor", "mining_pool",
                 "coinjoin_coordinator", "ransomware", "donation_org")

_PREPARE = r'''
import json, sys
from chaintrail.attribution.service import import_tags
from chaintrail.cluster.build import build_clusters
from chaintrail.trace.truthcheck import write_truth_tags
store, truth, tags = sys.argv[1], sys.argv[2], sys.argv[3]
kinds = tuple(sys.argv[4].split(","))
rep = build_clusters(store)
n = write_truth_tags(truth, tags, kinds=kinds)
imp = import_tags(store, [tags])
print(json.dumps({"clusters": rep["clusters"], "largest_cluster": rep["largest_cluster"],
                  "cluster_seconds": rep["seconds"], "tags": n, "tags_imported": imp["imported"]}))
'''

_MEASURE = r'''
import json, sys, time
import numpy as np
import chaintrail as ct
from chaintrail.trace import api
chain = ct.open(sys.argv[1])
n_starts = int(sys.argv[2])
a = chain._arrays
rng = np.random.default_rng(7)
spent = np.asarray(a.out_spent_by)
flags = np.asarray(a.tx_flags)
n_out = a.counts["outputs"]
picks = []
while len(picks) < n_starts + 5:
    o = int(rng.integers(0, n_out))
    if spent[o] >= 0 and not flags[a.out_tx[o]] & 1 and a.out_value[o] > 0:
        picks.append(o)
t0 = time.perf_counter()
api.resolver(chain)
resolver_s = time.perf_counter() - t0
for o in picks[:5]:  # load the kernel (then "auto" uses it) and warm the memory maps
    api.trace(chain, [o], "backward", "haircut", max_hops=6, engine="kernel")
ts, kern, sizes, exhausted = [], [], [], 0
for o in picks[5:]:
    t = time.perf_counter()
    r = api.trace(chain, [o], "backward", "haircut", max_hops=6)
    r.terminals()
    ts.append(time.perf_counter() - t)
    kern.append(r.elapsed_s)
    sizes.append(r.n_txs)
    exhausted += r.budget_exhausted
ts.sort(); kern.sort()
out = {"trace": {"n": len(ts), "p50_ms": ts[len(ts) // 2] * 1e3, "p95_ms": ts[int(len(ts) * 0.95)] * 1e3,
                 "max_ms": ts[-1] * 1e3, "kernel_p50_ms": kern[len(kern) // 2] * 1e3,
                 "kernel_p95_ms": kern[int(len(kern) * 0.95)] * 1e3,
                 "txs_p50": int(np.median(sizes)), "txs_max": int(max(sizes)),
                 "budget_exhausted": exhausted, "resolver_s": resolver_s},
       "cli_start": None}
# exchange clusters: the largest, and the smallest of at least 100k addresses (the issue's case)
rows = chain.sql("""
    SELECT c.cluster_id, c.n_addresses FROM clusters c
    JOIN (SELECT DISTINCT a.cluster_id FROM tags t JOIN addresses a ON a.address = t.address
          WHERE t.category = 'exchange') x USING (cluster_id)
    ORDER BY c.n_addresses DESC""").fetchall()
if rows:
    picked = {"largest": rows[0]}
    big = [r for r in rows if r[1] >= 100_000]
    if big and big[-1][0] != rows[0][0]:
        picked["100k"] = big[-1]
    out["exposure"] = {}
    for which, (cid, n_addr) in picked.items():
        runs = []
        for direction in ("incoming", "both"):
            for _ in range(2):
                t = time.perf_counter()
                rep = api.exposure(chain, f"cluster:{int(cid)}", direction, max_hops=4)
                dt = time.perf_counter() - t
                runs.append({"direction": direction, "seconds": dt,
                             "budget_exhausted": any(s.budget_exhausted for s in rep.sides()),
                             "outputs": int(rep.target.outputs.size),
                             "work": sum(s.trace.work for s in rep.sides())})
        out["exposure"][which] = {"cluster_id": int(cid), "addresses": int(n_addr), "runs": runs}
out["cli_start"] = f"{bytes(a.tx_hash[a.out_tx[picks[5]]]).hex()}:{picks[5] - int(a.tx_first_out[a.out_tx[picks[5]]])}"
print(json.dumps(out))
'''


SHARED_STORE = ROOT / "bench" / "stores" / "sim10m-clustered"

_DESCRIBE = r'''
import json, sys
import chaintrail as ct
from chaintrail.trace.rooms import clusters, has_tags
chain = ct.open(sys.argv[1])
cl = clusters(chain)
n_tags = chain.sql("SELECT count(*) FROM tags").fetchall()[0][0] if has_tags(chain) else 0
print(json.dumps({"txs": chain.status()["counts"]["txs"], "clustered": cl is not None,
                  "tags": int(n_tags), "reused": sys.argv[1]}))
'''


def describe(store: Path) -> dict | None:
    """What a prepared store holds (None when it is not clustered and tagged)."""
    got = run_measured([sys.executable, "-c", _DESCRIBE, str(store)])
    info = json.loads(got.stdout)
    return info if info["clustered"] and info["tags"] else None


def prepare(store: Path, corpus: Path, work: Path) -> dict:
    """Ingest, cluster and tag the corpus into store (skipped when the store is ready)."""
    marker = store / "trace-bench.json"
    if marker.exists():
        return json.loads(marker.read_text())
    ing = run_measured([sys.executable, "-m", "chaintrail", "ingest", str(corpus / "blocks"),
                        "--store", str(store), "--json"])
    prep = run_measured([sys.executable, "-c", _PREPARE, str(store), str(corpus / "truth"),
                         str(work / "truth-tags.csv"), ",".join(SERVICE_KINDS)])
    info = {"ingest_s": ing.seconds, **json.loads(prep.stdout), "prepare_s": prep.seconds}
    marker.write_text(json.dumps(info))
    return info


def run(results, work: Path, quick: bool = False, repeats: int | None = None,
        store: Path | None = None) -> None:
    n = N_QUICK if quick else N_FULL
    given = os.environ.get("CHAINTRAIL_BENCH_TRACE_STORE")
    if store is None and given:
        store = Path(given)
    elif store is None and not quick and (SHARED_STORE.parent / f"{SHARED_STORE.name}.READY").exists():
        store = SHARED_STORE
    info = describe(store) if store is not None and (store / "manifest.json").exists() else None
    corpus_info = None
    if info is None:  # build one from the corpus
        d, corpus_info = ensure_corpus(n)
        store = store or work / f"trace-store-{n}"
        info = prepare(store, d, work)
    env = {"CHAINTRAIL_CACHE": str(work / "trace-cache")}
    reps = repeats or (1 if quick else 3)
    load = [os.getloadavg()[0]]
    runs = []
    for _ in range(reps):
        runs.append(json.loads(run_measured([sys.executable, "-c", _MEASURE, str(store), "100"],
                                            env=env).stdout))
        load.append(os.getloadavg()[0])
    cli = [run_measured([sys.executable, "-m", "chaintrail", "trace", runs[0]["cli_start"], "--store",
                         str(store), "--max-hops", "6", "--json"], env=env).seconds
           for _ in range(reps + 2)]
    nocmd = [run_measured([sys.executable, "-c", "import chaintrail.cli.main"]).seconds
             for _ in range(reps)]
    load.append(os.getloadavg()[0])

    def med(key):
        return median([r["trace"][key] for r in runs])

    figures = [
        {"name": f"trace 6 hops haircut backward, {info.get('txs', n):,} txs (in-process, 100 starts)",
         "value": f"p50 {med('p50_ms'):.1f} ms, p95 {med('p95_ms'):.1f} ms "
                  f"(kernel p50 {med('kernel_p50_ms'):.1f} ms)",
         "target": "p50 < 100 ms, p95 < 500 ms"},
        {"name": "chaintrail trace (CLI wall time)",
         "value": f"{median(cli):.2f} s (of which CLI start-up {median(nocmd):.2f} s)",
         "target": "< 1 s"},
    ]
    for which, title in (("100k", "exposure of an exchange cluster of 100k+ addresses"),
                         ("largest", "exposure of the largest exchange cluster")):
        ex = [r["exposure"][which] for r in runs if which in (r.get("exposure") or {})]
        if not ex:
            continue
        inc = median([x["seconds"] for e in ex for x in e["runs"] if x["direction"] == "incoming"])
        both = median([x["seconds"] for e in ex for x in e["runs"] if x["direction"] == "both"])
        figures.append({
            "name": f"{title} ({ex[0]['addresses']:,} addresses)",
            "value": f"incoming {inc:.2f} s, both directions {both:.2f} s"
                     + (" (budget reached)" if any(x["budget_exhausted"] for e in ex for x in e["runs"])
                        else ""),
            "target": "< 2 s within its budget"})
    results.put("trace", {"figures": figures, "runs": runs, "cli_s": cli, "cli_startup_s": nocmd,
                          "store": info, "corpus": corpus_info, "repeats": reps,
                          "load_1min": load, "machine": machine()})
