"""Issue 2's figures: end-to-end ingest throughput (tx/s, MB/s), parse-only
throughput, and peak RSS on 1 GB and 4 GB corpora of valid blk files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bench.corpus import blocks_bytes, ensure_corpus
from bench.harness import median, run_measured

# simulated txs for at least 1 GB and 4 GB of blocks (the simulator writes ~400 B per tx)
SIZES_FULL = {"1GB": 2_600_000, "4GB": 10_500_000}
SIZES_QUICK = {"100MB": 340_000}


def _ingest_once(blocks: Path, store: Path) -> dict:
    load1 = os.getloadavg()[0]  # the machine is shared: a figure means little without it
    r = run_measured([sys.executable, "-m", "chaintrail", "ingest", str(blocks), "--store", str(store),
                      "--json"])
    rep = json.loads(r.stdout)
    return {"wall_s": r.seconds, "peak_rss_mb": r.peak_rss_mb, "load1": load1, **rep}


def _parse_once(blocks: Path) -> dict:
    r = run_measured([sys.executable, "-m", "bench.parse_only", str(blocks)])
    return {**json.loads(r.stdout), "peak_rss_mb": r.peak_rss_mb}


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    sizes = SIZES_QUICK if quick else SIZES_FULL
    reps = repeats or (1 if quick else 3)
    # warm numba's on-disk cache so no run pays compilation
    warm, _ = ensure_corpus(2_000, seed=1)
    _ingest_once(warm / "blocks", work / "warm")
    figures = []
    detail = {}
    for label, n_txs in sizes.items():
        d, info = ensure_corpus(n_txs)
        nbytes = blocks_bytes(d)
        runs = []
        for k in range(reps):
            store = work / f"store-{label}-{k}"
            runs.append(_ingest_once(d / "blocks", store))
            import shutil
            shutil.rmtree(store, ignore_errors=True)
        parses = [_parse_once(d / "blocks") for _ in range(reps)]
        txs = runs[0]["txs_applied"]
        tx_s = median([txs / r["wall_s"] for r in runs])
        mb_s = median([nbytes / 1e6 / r["wall_s"] for r in runs])
        rss = median([r["peak_rss_mb"] for r in runs])
        utxo_mb = runs[0]["utxo"]["bytes"] / 2**20
        known_mb = runs[0]["known_addresses_bytes"] / 2**20
        p_mb_s = median([p["mb_per_s"] for p in parses])
        p_tx_s = median([p["tx_per_s"] for p in parses])
        detail[label] = {
            "corpus": {"txs": txs, "bytes": nbytes, "blocks": runs[0]["blocks_applied"], **info},
            "ingest_runs": [{k: r.get(k) for k in ("wall_s", "peak_rss_mb", "load1", "elapsed_s", "phases_s", "utxo",
                                                  "known_addresses_bytes",
                                                  "index")}
                            for r in runs],
            "parse_runs": parses,
            "ingest_tx_per_s": tx_s, "ingest_mb_per_s": mb_s, "peak_rss_mb": rss,
            "parse_mb_per_s": p_mb_s, "parse_tx_per_s": p_tx_s,
        }
        figures += [
            {"name": f"ingest {label} end to end", "value": f"{tx_s:,.0f} tx/s, {mb_s:,.0f} MB/s",
             "target": ">= 150,000 tx/s"},
            {"name": f"parse only {label}", "value": f"{p_mb_s:,.0f} MB/s ({p_tx_s:,.0f} tx/s)",
             "target": ">= 300 MB/s"},
            {"name": f"peak RSS ingest {label}",
             "value": f"{rss:,.0f} MB (UTXO set {utxo_mb:,.0f} MB: {runs[0]['utxo']['count']:,} unspent "
                      f"outputs; stored addresses' table {known_mb:,.0f} MB; the rest "
                      f"{rss - utxo_mb - known_mb:,.0f} MB)",
             "target": "bounded (UTXO set + batch)"},
        ]
    results.put("ingest", {"figures": figures, "detail": detail, "repeats": reps})
