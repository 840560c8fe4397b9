"""`make bench`: chaintrail's benchmark harness. Each benchmark measures
what its issue names, over repeated runs, and records medians in
bench/results.json; a table is printed at the end.

    python -m bench.run [--quick] [--only ingest,parse] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench.harness import ROOT, Results

# name -> module with run(results, work, quick=False, repeats=None); imported when run
BENCHMARKS = {
    "simulate": "bench.sim_bench",
    "ingest": "bench.ingest_bench",
    "api": "bench.api_bench",
    "attribution": "bench.attribution_bench",
    "cluster": "bench.cluster_bench",
    "trace": "bench.trace_bench",
    "web": "bench.web_bench",
    "desk": "bench.desk_bench",
    "spark": "bench.spark_bench",
    "monitor": "bench.monitor_bench",
    "monitor_store": "bench.monitor_store_bench",
}


def _runner(name: str):
    import importlib

    try:
        return importlib.import_module(BENCHMARKS[name]).run
    except ModuleNotFoundError as exc:
        if exc.name == BENCHMARKS[name]:
            print(f"skipping {name}: {BENCHMARKS[name]} is not written yet")
            return None
        raise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small corpora, one repeat (a smoke run)")
    ap.add_argument("--only", default="", help="comma-separated benchmark names")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args()
    names = [n for n in args.only.split(",") if n] or list(BENCHMARKS)
    results = Results.load(Path(args.out))
    work = Path(tempfile.mkdtemp(prefix="chaintrail-bench-", dir=ROOT / "bench"))
    try:
        for name in names:
            run = _runner(name)
            if run is not None:
                run(results, work, quick=args.quick, repeats=args.repeats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(results)


def print_table(results: Results) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="chaintrail benchmarks (medians)", title_justify="left")
    for c in ("benchmark", "figure", "value", "target"):
        t.add_column(c)
    for name, entry in sorted(results.data["benchmarks"].items()):
        for fig in entry.get("figures", []):
            t.add_row(name, fig["name"], fig["value"], fig.get("target", ""))
    Console().print(t)


if __name__ == "__main__":
    main()
