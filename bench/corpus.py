"""Benchmark corpora: simulated economies written as real regtest blk files,
cached under bench/corpus/ by size and seed."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench.harness import CORPUS

# simulated transactions per GB of blocks, refined from the first corpus written
TXS_PER_GB_GUESS = 3_300_000


def corpus_dir(n_txs: int, seed: int) -> Path:
    return CORPUS / f"sim-{n_txs}-s{seed}"


def ensure_corpus(n_txs: int, seed: int = 7) -> tuple[Path, dict]:
    """The corpus of n_txs simulated transactions (simulating it if missing)."""
    from chaintrail.sim import simulate

    d = corpus_dir(n_txs, seed)
    meta = d / "bench-corpus.json"
    if meta.exists():
        return d, json.loads(meta.read_text())
    t0 = time.perf_counter()
    res = simulate(d, n_txs, seed)
    info = {
        "n_txs": res.n_txs, "n_blocks": res.n_blocks, "bytes": res.bytes_written,
        "files": len(res.block_files), "simulate_seconds": time.perf_counter() - t0,
        "simulate_tx_per_s": res.txs_per_second,
    }
    meta.write_text(json.dumps(info, indent=1))
    return d, info


def blocks_bytes(d: Path) -> int:
    return sum(f.stat().st_size for f in (d / "blocks").glob("blk*.dat"))
