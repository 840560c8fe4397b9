"""Issue 3's figures: simulated transactions written as blocks per second (one
process, median of repeats at 1 M) and peak memory generating 10 M."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from bench.harness import median, run_measured

_SIM = ("import json, sys; from chaintrail.sim import simulate; "
        "r = simulate(sys.argv[1], int(sys.argv[2]), 7); "
        "print(json.dumps({'txs': r.n_txs, 'seconds': r.elapsed, 'tx_per_s': r.txs_per_second, "
        "'bytes': r.bytes_written}))")


def _once(out: Path, n: int) -> dict:
    r = run_measured([sys.executable, "-c", _SIM, str(out), str(n)])
    shutil.rmtree(out, ignore_errors=True)
    return {**json.loads(r.stdout), "wall_s": r.seconds, "peak_rss_mb": r.peak_rss_mb}


def run(results, work: Path, quick: bool = False, repeats: int | None = None) -> None:
    reps = repeats or (1 if quick else 3)
    _once(work / "sim-warm", 2_000)  # numba's cache, not this benchmark, pays for compilation
    small = 200_000 if quick else 1_000_000
    big = 1_000_000 if quick else 10_000_000
    runs = [_once(work / f"sim-{small}-{k}", small) for k in range(reps)]
    large = _once(work / f"sim-{big}", big)
    tx_s = median([r["tx_per_s"] for r in runs])
    figures = [
        {"name": f"simulate {small:,} txs", "value": f"{tx_s:,.0f} tx/s "
                                                      f"({median([r['wall_s'] for r in runs]):.1f} s wall)",
         "target": ">= 100,000 tx/s"},
        {"name": f"simulate {big:,} txs", "value": f"{large['tx_per_s']:,.0f} tx/s, peak RSS "
                                                    f"{large['peak_rss_mb']:,.0f} MB",
         "target": "<= 4 GB"},
    ]
    results.put("simulate", {"figures": figures, "runs": runs, "large": large, "repeats": reps})
