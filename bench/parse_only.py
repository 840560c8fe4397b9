"""Parse-only throughput: read a corpus of blk files, then parse, hash and
validate every block in batches (no spend resolution, no writing).

    python -m bench.parse_only DIR   -> JSON on stdout
"""

from __future__ import annotations

import json
import sys
import time

from chaintrail.ingest.parse_batch import parse_batch, validate_batch
from chaintrail.sources.files import expand_paths, read_location

BATCH = 48 << 20


def main(path: str) -> None:
    # scanning yields block prefixes only; read each whole block before the clock starts
    blocks = [read_location(rb.location) for src in expand_paths(path) for rb in src.scan()]
    nbytes = sum(len(b) for b in blocks)
    # compile outside the timed region
    parse_batch(blocks[:2])
    t0 = time.perf_counter()
    ntx = 0
    batch, size = [], 0
    for b in blocks:
        batch.append(b)
        size += len(b)
        if size >= BATCH:
            pb, problem = parse_batch(batch)
            assert problem is None and validate_batch(pb) is None
            ntx += pb.n_txs
            batch, size = [], 0
    if batch:
        pb, problem = parse_batch(batch)
        assert problem is None and validate_batch(pb) is None
        ntx += pb.n_txs
    dt = time.perf_counter() - t0
    print(json.dumps({"bytes": nbytes, "txs": ntx, "seconds": dt, "mb_per_s": nbytes / 1e6 / dt,
                      "tx_per_s": ntx / dt}))


if __name__ == "__main__":
    main(sys.argv[1])
