"""A simulated donation economy for the tracing tests (no tests here): simulated
once per session, ingested, clustered, and attributed from the simulator's
truth as an investigator's tags would be (services only, never users)."""

from __future__ import annotations

from pathlib import Path

N_TXS = 20_000
SEED = 5
SERVICE_KINDS = ("exchange", "sanctioned_exchange", "merchant", "payment_processor", "mining_pool",
                 "coinjoin_coordinator", "ransomware", "donation_org")

_BUILT: dict[str, dict] = {}


def economy(base: Path) -> dict:
    """{"store", "bare", "truth"}: a clustered, tagged store and an untouched copy of it."""
    key = str(base)
    if key in _BUILT:
        return _BUILT[key]
    import os
    import shutil

    os.environ.setdefault("CHAINTRAIL_CACHE", str(base / "trace-cache"))  # resolver cache, not ~/.cache

    from chaintrail.attribution.service import import_tags
    from chaintrail.cli.store_cmds import run_ingest
    from chaintrail.cluster.build import build_clusters
    from chaintrail.sim import simulate
    from chaintrail.trace.truthcheck import write_truth_tags

    out = base / "trace-economy"
    res = simulate(out / "sim", N_TXS, seed=SEED, profile="donations", txs_per_block=400)
    bare = out / "bare"
    run_ingest([str(res.blocks_dir)], str(bare), show_progress=False)
    store = out / "store"
    shutil.copytree(bare, store)
    build_clusters(str(store))
    tags = out / "tags.csv"
    write_truth_tags(res.truth_dir, tags, kinds=SERVICE_KINDS)
    import_tags(str(store), [str(tags)])
    _BUILT[key] = {"store": store, "bare": bare, "truth": Path(res.truth_dir), "tags": tags}
    return _BUILT[key]
