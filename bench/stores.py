"""The shared 10M-transaction stores that several benchmarks read (never write), built from
scratch on a fresh machine: `make bench` runs this first; `python -m bench.stores` alone.

    bench/stores/sim10m              corpus sim-10000000-s7 ingested
    bench/stores/sim10m-clustered    the same, clustered (default heuristics) and tagged with
                                     the truth's services
    bench/stores/desk-work/desk-all.sqlite   a desk with every customer of the truth

Each is built in a temporary name and renamed, and a `NAME.READY` file is written last, so
an interrupted build is started again rather than used half done.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from bench.corpus import ensure_corpus
from bench.harness import ROOT, run_measured

STORES = ROOT / "bench" / "stores"
N_TXS = 10_000_000


def _ready(p: Path) -> Path:
    return p.with_name(p.name + ".READY")


def _build(target: Path, make) -> None:
    """Run make(tmp) into a temporary sibling, then move it into place and mark it ready."""
    if _ready(target).exists():
        return
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    info = make(tmp)
    tmp.rename(target)
    _ready(target).write_text(json.dumps(info, indent=1) + "\n")
    print(f"built {target.relative_to(ROOT)}: {info}")


def ensure_stores() -> dict[str, Path]:
    """Build whichever shared store is missing (minutes each at 10M) and return their paths."""
    from bench.desk_bench import _IMPORT
    from bench.trace_bench import _PREPARE, SERVICE_KINDS

    corpus, _ = ensure_corpus(N_TXS)
    STORES.mkdir(parents=True, exist_ok=True)
    plain, clustered, desk = STORES / "sim10m", STORES / "sim10m-clustered", STORES / "desk-work"

    def ingest(out: Path) -> dict:
        r = run_measured([sys.executable, "-m", "chaintrail", "ingest", str(corpus / "blocks"),
                          "--store", str(out), "--json"])
        return {"corpus": corpus.name, "ingest_s": r.seconds}

    def cluster_and_tag(out: Path) -> dict:
        shutil.copytree(plain, out)
        r = run_measured([sys.executable, "-c", _PREPARE, str(out), str(corpus / "truth"),
                          str(out.parent / "truth-tags.csv"), ",".join(SERVICE_KINDS)])
        (out.parent / "truth-tags.csv").unlink(missing_ok=True)
        return {"from": plain.name, **json.loads(r.stdout.strip().splitlines()[-1])}

    def desk_all(out: Path) -> dict:
        out.mkdir()
        r = run_measured([sys.executable, "-c", _IMPORT, f"sqlite:///{out / 'desk-all.sqlite'}",
                          str(clustered), str(corpus / "truth"), "0"])
        return json.loads(r.stdout.strip().splitlines()[-1])

    _build(plain, ingest)
    _build(clustered, cluster_and_tag)
    _build(desk, desk_all)
    return {"sim10m": plain, "sim10m-clustered": clustered, "desk": desk / "desk-all.sqlite"}


if __name__ == "__main__":
    ensure_stores()
