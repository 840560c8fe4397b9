"""Issue 4's figures: clustering time and peak RSS from the store at 1M and
10M simulated transactions (linearity), an incremental update after new
blocks, `cluster show` and `cluster why` on the largest cluster of a
deliberately over-merged clustering (the largest cluster the economy allows), and accuracy
on the default simulated economy (`chaintrail evaluate` on the 1M corpus).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.corpus import ensure_corpus
from bench.harness import ROOT, median, run_measured

SIZES_FULL = {"1M": 1_000_000, "10M": 10_000_000}
SIZES_QUICK = {"200k": 200_000}
#: stores other benchmarks share (never written: the benchmark works on a hard-linked copy)
SHARED_STORES = {10_000_000: ROOT / "bench" / "stores" / "sim10m"}
#: the clustering that merges the most on purpose (the largest cluster this economy allows, found by
#: trying: "fresh-address|optimal-change|address-type|peel-chain" gave 187k addresses, "address-type|
#: peel-chain" 715k, "address-type" alone 731k): no CoinJoin filter, no guard, no output limit
COLLAPSE = "address-type"

_BUILD = r'''
import json, sys
from chaintrail.cluster.build import build_clusters
from chaintrail.cluster.params import ClusterParams
kw = json.loads(sys.argv[2])
full = kw.pop("_full", False)
print(json.dumps(build_clusters(sys.argv[1], ClusterParams(**kw), full=full)))
'''

_QUERY = r'''
import json, sys, time
import numpy as np
import chaintrail as ct
from chaintrail.cluster.query import Clusters
t0 = time.perf_counter()
c = Clusters(ct.open(sys.argv[1]))
opened = time.perf_counter() - t0
big = c.chain.sql("SELECT cluster_id, n_addresses FROM clusters ORDER BY n_addresses DESC LIMIT 1").fetchall()[0]
out = {"cluster_id": big[0], "n_addresses": big[1], "open_s": opened}
ref = c.ref(str(big[0]))
ts = []
for page in (1, (big[1] // 100) // 2 + 1, (big[1] + 99) // 100):
    t = time.perf_counter()
    c.summary(ref)
    c.page(ref, page, 100)
    ts.append(time.perf_counter() - t)
out["show_s"] = max(ts)
lo, hi = int(c.members[c.start[ref.index]]), int(c.members[c.start[ref.index + 1] - 1])
t = time.perf_counter()
w = c.why(c.arrays.address_text(lo), c.arrays.address_text(hi))
out["why_s"] = time.perf_counter() - t
out["why_steps"] = len(w["steps"])
out["addresses"] = [c.arrays.address_text(lo), c.arrays.address_text(hi)]
print(json.dumps(out))
'''


def _ingest(blocks, store: Path) -> dict:
    r = run_measured([sys.executable, "-m", "chaintrail", "ingest", *map(str, blocks), "--store", str(store),
                      "--json"])
    return json.loads(r.stdout)


def _build(store: Path, **kw) -> dict:
    r = run_measured([sys.executable, "-c", _BUILD, str(store), json.dumps(kw)])
    return {"wall_s": r.seconds, "peak_rss_mb": r.peak_rss_mb, **json.loads(r.stdout)}


def _cli_wall(args: list[str]) -> float:
    return run_measured([sys.executable, "-m", "chaintrail", *args]).seconds


#: the phases that cluster (the rest writes the lookups, figures and views)
CORE_PHASES = ("input facts", "coinjoin", "change", "union-find", "provisional")


def _shared_store(n_txs: int) -> Path | None:
    """The shared ingested store of this size (bench/stores), when it is complete."""
    d = SHARED_STORES.get(n_txs)
    return d if d is not None and d.exists() and d.with_name(d.name + ".READY").exists() else None


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _size(label: str, n_txs: int, work: Path, reps: int, big: bool, evaluate: bool) -> dict:
    d, info = ensure_corpus(n_txs)
    files = sorted((d / "blocks").glob("blk*.dat"))
    store = work / f"cluster-{label}"
    shutil.rmtree(store, ignore_errors=True)
    shared = _shared_store(n_txs)
    load_before = _load()
    update = first = None
    if shared is not None:
        # a hard-linked copy of the shared store: a build only adds files and renames the manifest
        subprocess.run(["cp", "-al", str(shared), str(store)], check=True)
    else:
        # all but the last blk file first: a full build there, then an update with the last file
        _ingest(files[:-1], store)
        first = _build(store)
        _ingest(files[-1:], store)
        update = _build(store)
    full = [_build(store, _full=True) for _ in range(reps)]

    def med_phases(key: str) -> dict:
        return {k: round(median([r[key].get(k, 0.0) for r in full]), 3) for k in full[0][key]}

    out = {
        "txs": full[0]["txs"], "addresses": full[0]["addresses"], "clusters": full[0]["clusters"],
        "largest_cluster": full[0]["largest_cluster"],
        "full_build_s": median([r["seconds"] for r in full]),
        "full_build_cpu_s": median([r["cpu_seconds"] for r in full]),
        "core_s": median([sum(r["phases_s"].get(k, 0.0) for k in CORE_PHASES) for r in full]),
        "core_cpu_s": median([sum(r["phases_cpu_s"].get(k, 0.0) for k in CORE_PHASES) for r in full]),
        "full_process_wall_s": median([r["wall_s"] for r in full]),
        "peak_rss_mb": median([r["peak_rss_mb"] for r in full]),
        "phases_s": med_phases("phases_s"), "phases_cpu_s": med_phases("phases_cpu_s"),
        "runs_s": [r["seconds"] for r in full],
        "load_before": load_before, "load_after": _load(),
        "store": "shared (bench/stores)" if shared is not None else "ingested here",
        "corpus": info,
    }
    if update is not None:
        out["update"] = {"new_txs": update["new_txs"], "seconds": update["seconds"],
                         "incremental": update["incremental"], "first_build_txs": first["txs"]}
    if evaluate:  # accuracy of the default clustering (the last full build) against the truth
        r = run_measured([sys.executable, "-m", "chaintrail", "evaluate", "--store", str(store), "--truth",
                          str(d / "truth"), "--json"])
        out["accuracy"] = json.loads(r.stdout)
        out["evaluate_wall_s"] = r.seconds
    if big:  # collapse the chain on purpose: a cluster of millions of addresses to page through
        col = _build(store, change=COLLAPSE, coinjoin_filter=False, guard_tags=False,
                     guard_other_output=False, max_change_outputs=None)
        q = json.loads(run_measured([sys.executable, "-c", _QUERY, str(store)]).stdout)
        q["cli_show_wall_s"] = _cli_wall(["cluster", "show", str(q["cluster_id"]), "--store", str(store),
                                          "--page", "2", "--json"])
        q["cli_why_wall_s"] = _cli_wall(["cluster", "why", *q.pop("addresses"), "--store", str(store)])
        q["cli_startup_s"] = median([run_measured([sys.executable, "-c", "import chaintrail.cli.main"]).seconds
                                     for _ in range(3)])
        q["collapse_build_s"] = col["seconds"]
        out["huge_cluster"] = q
    shutil.rmtree(store, ignore_errors=True)
    return out


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    sizes = SIZES_QUICK if quick else SIZES_FULL
    reps = repeats or (1 if quick else 3)
    warm, _ = ensure_corpus(2_000, seed=1)  # compile the kernels into numba's cache first
    _ingest([warm / "blocks"], work / "warm")
    _build(work / "warm")
    detail = {}
    largest = max(sizes, key=sizes.get)
    smallest = min(sizes, key=sizes.get)
    for label, n in sizes.items():
        # accuracy on the smallest size: evaluating 10M truth rows takes minutes (docs/clustering.md
        # records a 10M evaluation made with the CLI)
        detail[label] = _size(label, n, work, reps, big=(label == largest), evaluate=(label == smallest))
    big, small = detail[largest], detail[smallest]
    acc = small["accuracy"]
    per_m = {k: detail[k]["full_build_s"] / (detail[k]["txs"] / 1e6) for k in sizes}
    cpu_per_m = {k: detail[k]["full_build_cpu_s"] / (detail[k]["txs"] / 1e6) for k in sizes}
    upd = next((detail[k]["update"] for k in sizes if "update" in detail[k]), None)
    c, b = acc["clustering"], acc["multi_input_baseline"]
    combined = next(v for k, v in acc["change"]["heuristics"].items() if k.startswith("combined"))
    cj = {k: v for k, v in acc["coinjoin"].items() if v["true"] or v["detected"]}
    hc = big.get("huge_cluster", {})
    figures = [
        {"name": f"cluster build {largest} txs (median of {reps}; load {big['load_before'][0]})",
         "value": f"{big['full_build_s']:.1f} s in process, {big['full_build_cpu_s']:.1f} s CPU "
                  f"({big['full_process_wall_s']:.1f} s wall with start-up), peak RSS {big['peak_rss_mb']:,.0f} MB",
         "target": "<= 10 s"},
        {"name": f"  of which clustering (facts, CoinJoin, change, union-find) {largest}",
         "value": f"{big['core_s']:.1f} s ({big['core_cpu_s']:.1f} s CPU); union-find "
                  f"{big['phases_s'].get('union-find', 0):.1f} s", "target": ""},
        {"name": "linearity (s per 1M txs, wall / CPU)",
         "value": ", ".join(f"{k}: {per_m[k]:.2f} / {cpu_per_m[k]:.2f}" for k in sizes), "target": "linear"},
        {"name": f"incremental update (+{upd['new_txs']:,} txs)" if upd else "incremental update",
         "value": f"{upd['seconds']:.1f} s" if upd else "n/a", "target": "equal to a rebuild (tested)"},
        {"name": f"cluster show, {hc.get('n_addresses', 0):,}-address cluster",
         "value": f"{hc.get('show_s', float('nan')) * 1e3:.0f} ms in process, CLI {hc.get('cli_show_wall_s', 0):.2f} s "
                  f"(of which start-up {hc.get('cli_startup_s', 0):.2f} s)",
         "target": "< 1 s"},
        {"name": "cluster why across that cluster",
         "value": f"{hc.get('why_s', float('nan')) * 1e3:.0f} ms in process ({hc.get('why_steps')} steps), "
                  f"CLI {hc.get('cli_why_wall_s', 0):.2f} s", "target": ""},
        {"name": f"multi-input pairwise precision ({smallest})", "value": f"{b['pairwise_entity']['precision']:.4%}",
         "target": ">= 99.9%"},
        {"name": f"default clustering pairwise / address-weighted precision ({smallest})",
         "value": f"{c['pairwise_entity']['precision']:.4%} / {c['bcubed_entity']['precision']:.4%}",
         "target": ">= 99%"},
        {"name": "recall vs multi-input alone (pairwise / address-weighted)",
         "value": f"x{acc['recall_vs_multi_input']['pairwise_entity']:.2f} / "
                  f"x{acc['recall_vs_multi_input']['bcubed_entity']:.2f}", "target": ">= x1.5"},
        {"name": "change detection (default combination)",
         "value": f"precision {combined['precision']:.2%}, coverage {combined['coverage']:.1%}", "target": ""},
        {"name": "CoinJoin precision / recall", "value": "; ".join(
            f"{k} {v['precision'] if v['precision'] is not None else float('nan'):.1%}/"
            f"{v['recall'] if v['recall'] is not None else float('nan'):.1%}" for k, v in cj.items()),
         "target": ">= 99% each"},
        {"name": "clusters holding two services (no tags) / entities in the largest",
         "value": f"{c['services']['clusters_with_several_services']} / {c['largest_cluster']['distinct_true']}",
         "target": "0 / 1"},
    ]
    results.put("cluster", {"figures": figures, "detail": detail, "repeats": reps})
