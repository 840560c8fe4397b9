"""The clustering scene of ``chaintrail demo``: cluster the simulated store
with the default heuristics, score it against the simulator's truth, and
explain one merge of the largest cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chaintrail.cli.output import console, rows_table

if TYPE_CHECKING:
    from chaintrail.chain import Chain


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def cluster_scene(chain: Chain, truth: Path, out: Path) -> None:
    """Build the clustering, print its accuracy against the truth and one `cluster why`."""
    import chaintrail as ct
    from chaintrail.cluster.build import build_clusters
    from chaintrail.evaluate.report import evaluate_store

    rep = build_clusters(chain.path)
    big = rep["largest_cluster"] or {}
    console.print(f"\n[bold]clustering[/bold]: {rep['addresses']:,} addresses into {rep['clusters']:,} "
                  f"clusters in {rep['seconds']:.1f} s (change heuristics: {rep['params']['change']}); "
                  f"{rep['merges']:,} merges recorded with their evidence, {rep['refused']:,} refused; "
                  f"largest cluster {big.get('n_addresses', 0):,} addresses", highlight=False)
    r = evaluate_store(chain.path, truth)
    c, b = r["clustering"], r["multi_input_baseline"]
    rows_table("clustering against the truth (pairs of addresses of one owner)",
               ["", "precision", "recall", "owners in the largest cluster", "clusters mixing services"],
               [(name, _pct(x["pairwise_entity"]["precision"]), _pct(x["pairwise_entity"]["recall"]),
                 x["largest_cluster"]["distinct_true"], x["services"]["clusters_with_several_services"])
                for name, x in (("multi-input alone", b), ("multi-input + change", c))])
    cj = [(k, f"{v['detected']:,}", f"{v['true']:,}", _pct(v["precision"]), _pct(v["recall"]))
          for k, v in r["coinjoin"].items() if v["true"] or v["detected"]]
    rows_table("CoinJoins detected", ["protocol", "detected", "true", "precision", "recall"], cj)
    fresh = ct.open(chain.path)
    try:
        cid = big.get("cluster_id")
        if cid is None or big.get("n_addresses", 0) < 2:
            return
        cl = fresh.cluster(cid)
        first, last = cl.addresses(1)[0], cl.addresses(1, offset=len(cl) - 1)[0]
        w = cl.why(first, last)
        console.print(f"why are {first} and {last} one owner? {len(w['steps'])} recorded merge(s); the first: "
                      f"{w['steps'][0]['heuristic']} in transaction {w['steps'][0]['txid']}  "
                      f"(chaintrail cluster why {first} {last} --store {chain.path})", highlight=False)
    finally:
        fresh.close()
