"""Issue 10's figures: throughput of each Spark stage (ingest, index, cluster)
in local mode on 1M and 10M simulated transactions, with local[1] against
local[2] (scaling from one core to two), and a projection for the whole
chain on a stated cluster size.

Each measurement is one fresh process running the three stages in a row (a
new Spark JVM, as `chaintrail spark ...` would be), so wall times include
Spark's start-up; the stage figures are the in-process times. Stages that run
on the driver (the UTXO snapshot, the analysis arrays, the verdict kernels
and the clusters room) are reported apart: they do not spread over executors
and the projection treats them separately.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from bench.corpus import ensure_corpus
from bench.harness import median, run_measured

SIZES_FULL = {"1M": 1_000_000, "10M": 10_000_000}
SIZES_QUICK = {"200k": 200_000}
MASTERS = ("local[1]", "local[2]")
#: sizes from which on only local[2] is run: local[1] would take hours here, and the 1 -> 2 core
#: scaling is measured at the smaller size (the projection takes it from there)
TWO_CORES_ONLY_FROM = 5_000_000
#: the cluster the projection is stated for
PROJECT_EXECUTORS, PROJECT_CORES = 25, 8  # 25 executors x 8 cores = 200 cores
CHAIN_TXS = 1.2e9
#: unspent outputs of today's chain: the driver's UTXO snapshot scales with these, not with txs
CHAIN_UTXOS = 1.8e8
#: parallel efficiency assumed for the distributed stages where 1 -> 2 cores was not measured
ASSUMED_EFFICIENCY = 0.7
#: driver-side phases (seconds inside the stage that do not run on executors)
DRIVER_PHASES = {"ingest": ("plan", "utxo", "commit"), "index": ("arrays",),
                 "cluster": ("verdicts", "collect", "collect verdicts", "union-find", "provisional",
                             "write state", "number clusters", "cluster figures", "write files")}

_RUN = r'''
import json, os, sys, time
def busy():  # the machine's busy CPU seconds (the JVM, its Python workers and the driver alike)
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
from chaintrail.spark.session import get_session
from chaintrail.spark.ingest import run_spark_ingest
from chaintrail.spark.index import run_spark_index
from chaintrail.spark.cluster import run_spark_cluster
from dataclasses import asdict
master, store, blocks, mem = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
t0 = time.perf_counter()
spark = get_session(master, {"spark.driver.memory": mem, "spark.local.dir": store + ".tmp"})
start = time.perf_counter() - t0
out = {"spark_start_s": start}
t, c = time.perf_counter(), busy()
ing = asdict(run_spark_ingest(spark, [blocks], store))
out["ingest"] = {"seconds": time.perf_counter() - t, "cpu_s": busy() - c, "phases": ing["phases"],
                 "txs": ing["txs"], "utxo_count": ing["utxo_count"]}
print("stage", json.dumps(out["ingest"]), flush=True)
t, c = time.perf_counter(), busy()
idx = run_spark_index(spark, store)
out["index"] = {"seconds": time.perf_counter() - t, "cpu_s": busy() - c, "phases": idx["phases"],
                "addresses": idx["addresses"]}
print("stage", json.dumps(out["index"]), flush=True)
t, c = time.perf_counter(), busy()
cl = run_spark_cluster(spark, store)
out["cluster"] = {"seconds": time.perf_counter() - t, "cpu_s": busy() - c, "phases": cl["phases_s"],
                  "clusters": cl["clusters"],
                  "links": cl["links"], "rounds": cl["cc_rounds"]}
spark.stop()
print(json.dumps(out))
'''


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _one(master: str, blocks: Path, store: Path, mem: str) -> dict:
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(str(store) + ".tmp", ignore_errors=True)
    load = _load()
    r = run_measured([sys.executable, "-c", _RUN, master, str(store), str(blocks), mem])
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out.update(wall_s=r.seconds, peak_rss_mb=r.peak_rss_mb, load_before=load, load_after=_load())
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(str(store) + ".tmp", ignore_errors=True)
    return out


def _summary(runs: list[dict], txs: int) -> dict:
    """Medians per stage: seconds, txs/s, and the driver-side seconds."""
    out = {"runs": len(runs), "wall_s": median([r["wall_s"] for r in runs]),
           "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
           "load_before": [r["load_before"][0] for r in runs], "spark_start_s": median([r["spark_start_s"] for r in runs])}
    for stage in ("ingest", "index", "cluster"):
        secs = median([r[stage]["seconds"] for r in runs])
        drv = median([sum(r[stage]["phases"].get(p, 0.0) for p in DRIVER_PHASES[stage]) for r in runs])
        cpu = [r[stage]["cpu_s"] for r in runs if "cpu_s" in r[stage]]
        out[stage] = {"seconds": round(secs, 2), "txs_per_s": round(txs / secs), "driver_s": round(drv, 2),
                      "busy_cores": round(median(cpu) / secs, 2) if cpu else None,
                      "distributed_s": round(secs - drv, 2),
                      "phases": {k: round(median([r[stage]["phases"].get(k, 0.0) for r in runs]), 2)
                                 for k in runs[0][stage]["phases"]}}
    out["ingest"]["utxo_count"] = runs[0]["ingest"].get("utxo_count")
    out["cluster"]["rounds"] = runs[0]["cluster"]["rounds"]
    out["cluster"]["links"] = runs[0]["cluster"]["links"]
    return out


def project(detail: dict) -> dict:
    """Whole-chain hours on PROJECT_EXECUTORS x PROJECT_CORES cores from the largest size measured:
    the distributed seconds scale with the cores at the measured 1->2 core efficiency; the driver
    seconds scale with the chain only."""
    label = max(detail, key=lambda k: detail[k]["txs"])
    d = detail[label]
    one, two = d.get("local[1]"), d.get("local[2]")
    if one is None or two is None:  # the 1 -> 2 core efficiency from the largest size having both
        both = [k for k in detail if "local[1]" in detail[k] and "local[2]" in detail[k]]
        if both:
            b = detail[max(both, key=lambda k: detail[k]["txs"])]
            one_eff, two_eff = b["local[1]"], b["local[2]"]
        else:
            one_eff, two_eff = one, two
    else:
        one_eff, two_eff = one, two
    cores = PROJECT_EXECUTORS * PROJECT_CORES
    factor = CHAIN_TXS / d["txs"]
    out = {"from": label, "cores": cores, "chain_txs": CHAIN_TXS}
    for stage in ("ingest", "index", "cluster"):
        base = two or one
        core_s = base[stage]["distributed_s"] * (2 if two else 1)  # core-seconds at the measured size
        eff, measured = ASSUMED_EFFICIENCY, False
        if one_eff and two_eff and two_eff[stage]["distributed_s"] > 0:
            eff = min(1.0, one_eff[stage]["distributed_s"] / (2 * two_eff[stage]["distributed_s"]))
            measured = True
        dist_h = core_s * factor / (cores * max(eff, 0.25)) / 3600
        drv_s = base[stage]["driver_s"]
        utxo_s, utxos = base[stage]["phases"].get("utxo", 0.0), base[stage].get("utxo_count")
        if utxo_s and utxos:  # the snapshot grows with the unspent outputs, not the history
            drv_s -= utxo_s
            out["utxo_snapshot_h"] = round(utxo_s * CHAIN_UTXOS / utxos / 3600, 2)
        drv_h = drv_s * factor / 3600
        out[stage] = {"distributed_h": round(dist_h, 2), "driver_h": round(drv_h, 2),
                      "efficiency": round(eff, 2), "efficiency_measured": measured}
    out["total_h"] = round(sum(out[s]["distributed_h"] + out[s]["driver_h"] for s in ("ingest", "index", "cluster")), 2)
    return out


def measure(label: str, n: int, master: str, work: Path, reps: int) -> dict:
    """Median figures of `reps` fresh-process runs of the three stages on the n-tx corpus."""
    d, info = ensure_corpus(n)
    mem = "8g" if n >= 10_000_000 else "3g"
    runs = [_one(master, d / "blocks", work / f"spark-{label}", mem) for _ in range(reps)]
    return {"txs": info["n_txs"], "corpus": info, master: _summary(runs, info["n_txs"])}


def report(results, detail: dict) -> None:
    """Figures of whatever was measured (sizes x masters), the projection, into the results file."""
    proj = project(detail)
    figures = []
    for label in detail:
        for master in MASTERS:
            s = detail[label].get(master)
            if s is None:
                continue
            figures.append({
                "name": f"spark {label} txs, {master} (median of {s['runs']}; load {s['load_before'][0]})",
                "value": ", ".join(f"{st} {s[st]['seconds']:.0f} s ({s[st]['txs_per_s']:,} tx/s"
                                   + (f", {s[st]['busy_cores']:.1f} cores busy" if s[st].get("busy_cores")
                                      else "") + ")"
                                   for st in ("ingest", "index", "cluster"))
                         + f"; wall {s['wall_s']:.0f} s, peak RSS {s['peak_rss_mb']:,.0f} MB",
                "target": ""})
        one, two = detail[label].get("local[1]"), detail[label].get("local[2]")
        if one and two:
            figures.append({
                "name": f"  scaling 1 -> 2 cores ({label}, distributed part)",
                "value": ", ".join(f"{st} x{one[st]['distributed_s'] / max(two[st]['distributed_s'], 1e-9):.2f}"
                                   for st in ("ingest", "index", "cluster")), "target": "x2 ideal"})
    figures.append({
        "name": f"projection: whole chain ({CHAIN_TXS / 1e9:.1f} B txs) on {PROJECT_EXECUTORS} x "
               f"{PROJECT_CORES} cores (from {proj['from']})",
        "value": f"{proj['total_h']:.1f} h (" + ", ".join(
            f"{s} {proj[s]['distributed_h']:.1f} h + driver {proj[s]['driver_h']:.1f} h"
            for s in ("ingest", "index", "cluster")) + ")"
                 + (f"; plus the optional UTXO snapshot {proj['utxo_snapshot_h']:.1f} h on the driver "
                    f"({CHAIN_UTXOS / 1e6:.0f} M unspent outputs; `--no-utxo` skips it)"
                    if "utxo_snapshot_h" in proj else ""), "target": ""})
    results.put("spark", {"figures": figures, "detail": detail, "projection": proj})


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    sizes = SIZES_QUICK if quick else SIZES_FULL
    detail: dict = {}
    for label, n in sizes.items():
        reps = repeats or (1 if quick or n >= 10_000_000 else 3)
        for master in MASTERS:
            if n >= TWO_CORES_ONLY_FROM and master != "local[2]":
                continue
            m = measure(label, n, master, work, reps)
            detail.setdefault(label, {"txs": m["txs"], "corpus": m["corpus"]})[master] = m[master]
            report(results, detail)  # written after each measurement: a later failure keeps it
