"""`chaintrail spark cluster`: address clustering with the links made as
Spark joins and the clusters found as distributed connected components.

* Verdicts (Spark, the embedded kernels per bucket of transactions,
  `verdicts.py`): CoinJoin protocol per transaction and the change output
  of each eligible one, decided at the horizon exactly as `cluster build`
  decides them.
* Links (Spark): each input's address id (inputs joined with the
  addresses table); the multi-input links of every transaction that is
  neither a coinbase nor (with the filter on) a CoinJoin, from its first
  known input address to each other; the change links, from the first
  known input address to the change output's address.
* Clusters (Spark): large-star/small-star connected components over the
  links (`components.py`); a cluster's id is its smallest address id, the
  embedded rule, so `addresses.cluster_id` matches the embedded build.
* Room (driver, a local store): the embedded writer (`cluster.outputs.write_outputs`)
  stores the clusters, figures, lookups, verdicts and evidence, so
  `cluster show`, `cluster why`, the views and the web UI read them.

The guard (tags keep two services apart; a change link is refused when
another output already pays the inputs' cluster) depends on the order in
which merges happen, which connected components have no notion of. With
the guard on (the default), the links' inputs are still decided on Spark
(CoinJoin verdicts and change events, the costly part), and the union-find
runs as the embedded engine's sequential pass on the driver over the local
store's arrays: the same clusters, refusals and evidence as `cluster
build`. With `--guard off` the clusters are Spark's connected components;
the evidence then holds every link (not only the ones that joined two
clusters), so `cluster why` finds paths over a superset of the embedded
edges.
"""

from __future__ import annotations

import time

import numpy as np

from chaintrail.errors import StoreError
from chaintrail.spark.index import read_table
from chaintrail.spark.target import StoreTarget

#: the room's state version: not the embedded one, so a later embedded `cluster build` rebuilds in full
STATE_VERSION = "spark-1"


def link_frames(spark, tables: dict, addresses, verdict, events, coinjoin_filter: bool):
    """(tx_id, src, dst, kind, support) links: multi-input and change, as one DataFrame."""
    from pyspark.sql import functions as F

    from chaintrail.heuristics.codes import EV_CHANGE, EV_MULTI_INPUT

    addrs = addresses.select("address", "address_id")
    ins = tables["inputs"].select("input_id", "tx_id", "address")
    ia = ins.filter(F.col("address").isNotNull()).join(addrs, "address").select("input_id", "tx_id", "address_id")
    first = ia.groupBy("tx_id").agg(F.min_by("address_id", "input_id").alias("first"))
    mi_src = ia
    if coinjoin_filter:
        mi_src = ia.join(verdict.filter(F.col("code") != 0).select("tx_id"), "tx_id", "left_anti")
    mi = (mi_src.join(first, "tx_id").filter(F.col("address_id") != F.col("first"))
          .select("tx_id", F.col("first").alias("src"), F.col("address_id").alias("dst"),
                  F.lit(EV_MULTI_INPUT).cast("byte").alias("kind"), F.lit(0).cast("int").alias("support")))
    outs = tables["outputs"].select("output_id", "address")
    ch = (events.join(outs, "output_id").join(addrs, "address").join(first, "tx_id")
          .filter(F.col("first") != F.col("address_id"))
          .select("tx_id", F.col("first").alias("src"), F.col("address_id").alias("dst"),
                  F.lit(EV_CHANGE).cast("byte").alias("kind"), "support"))
    return mi.unionByName(ch)


def run_spark_cluster(spark, store: str, params=None) -> dict:
    """Cluster a Spark-built (or any) local store's addresses; returns the build report."""
    from chaintrail.cluster import room as R
    from chaintrail.cluster.params import ClusterParams
    from chaintrail.spark.verdicts import change_events, coinjoins_and_features, schedule
    from chaintrail.store.arrays import ChainArrays
    from chaintrail.store.store import Store

    t_begin = time.perf_counter()
    target = StoreTarget(store)
    if not target.is_local:
        raise StoreError(f"{store}: spark cluster writes the clusters room of a local store (the room's "
                         "arrays are memory-mapped by readers); copy the store to a local disk first")
    p = (params or ClusterParams()).normalised()
    guarded = p.guard_tags or p.guard_other_output or p.cannot_link
    phases: dict[str, float] = {}

    def phase(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        phases[name] = round(phases.get(name, 0.0) + t1 - t0, 4)
        return t1

    s = Store.open_writer(target.root)
    # every table joined here has a row per transaction, output or address: broadcasting one never
    # pays, and an underestimated one exhausts the driver's heap in local mode (seen at 1M txs, 3 GB)
    broadcast_was = spark.conf.get("spark.sql.autoBroadcastJoinThreshold")
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", "-1")
    try:
        m = s.manifest
        arrays = ChainArrays.open(s.root, m)
        if arrays is None or not arrays.current(m):
            raise StoreError(f"{s.root}: the analysis arrays are missing or behind the store: run "
                             "`chaintrail spark index` (or `chaintrail index`) first")
        n_addr, n_tx = arrays.counts["addresses"], arrays.counts["txs"]
        t = time.perf_counter()
        tables = {k: read_table(spark, target, m, k) for k in ("txs", "inputs", "outputs")}
        addresses = read_table(spark, target, m, "addresses")
        blk = read_table(spark, target, m, "blocks").select("chain_seq", "height", "first_tx_id").toArrow()
        blk = blk.sort_by("chain_seq")
        sched = schedule({"height": np.asarray(blk.column("height").fill_null(-1).to_numpy(), np.int32),
                          "first_tx_id": blk.column("first_tx_id").to_numpy()}, p.horizon, n_tx)
        verdict = coinjoins_and_features(spark, tables, addresses, m.network).localCheckpoint(eager=True)
        t = phase("coinjoin", t)
        events = change_events(spark, tables, addresses, verdict, p, sched).localCheckpoint(eager=True)
        t = phase("change", t)
        if guarded:
            entry, n_links, rounds, ev_tx_all, n_anchor = _guarded(s, arrays, p, verdict, events, phase, t)
        else:
            entry, n_links, rounds, ev_tx_all = _components(spark, s, arrays, p, tables, addresses, verdict,
                                                            events, sched, phase, t)
            n_anchor = (0, 0)
        settled_upto = entry["settled_upto"]
        entry.update({
            "state_version": STATE_VERSION, "params": p.to_dict(),
            "index_id": arrays.entry["arrays"]["tx_hash"]["file"], "network": m.network,
            "counts": {k: arrays.counts[k] for k in ("txs", "outputs", "inputs", "addresses", "blocks")},
            "tip": {"height": m.tip_height, "hash": m.tip_hash},
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "incremental": False, "tx_processed_from": 0, "engine": "spark",
        })
        n_change = int(ev_tx_all.shape[0])
        entry["report"].update({
            "incremental": False, "txs": n_tx, "new_txs": n_tx, "addresses": n_addr,
            "change_links_settled": int(np.count_nonzero(ev_tx_all < settled_upto)),
            "change_links_provisional": int(np.count_nonzero(ev_tx_all >= settled_upto)),
            "change_events": n_change, "links": n_links, "cc_rounds": rounds,
            "anchors": n_anchor[0], "anchor_services": n_anchor[1], "engine": "spark",
            "seconds": round(time.perf_counter() - t_begin, 3), "phases_s": phases,
        })
        entry["files"] = R.entry_files(entry)
        s.commit_extra(R.ROOM, entry)
        if "attribution" in s.manifest.extra:  # screening's snapshot covers whole clusters
            from chaintrail.attribution.screen_snapshot import refresh_snapshot

            refresh_snapshot(s.root)
        return {"store": str(s.root), "params": p.to_dict(), **entry["report"], "tip": entry["tip"],
                "seconds": round(time.perf_counter() - t_begin, 3)}
    finally:
        spark.conf.set("spark.sql.autoBroadcastJoinThreshold", broadcast_was)
        s.close()


def _verdict_arrays(verdict, n_tx: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tx: the CoinJoin protocol code and whether its inputs were all known."""
    vt = verdict.select("tx_id", "code", "known").toArrow()
    codes = np.zeros(n_tx, np.uint8)
    known = np.ones(n_tx, np.bool_)
    ids = vt.column("tx_id").to_numpy()
    codes[ids] = vt.column("code").to_numpy().astype(np.uint8)
    known[ids] = vt.column("known").to_numpy(zero_copy_only=False).astype(np.bool_)
    return codes, known


def _guarded(s, arrays, p, verdict, events, phase, t):
    """The embedded union-find passes on the driver over Spark's verdicts and change events."""
    from chaintrail.cluster.anchors import Anchors, load_anchors
    from chaintrail.cluster.build import _slice_events, union_passes
    from chaintrail.cluster.outputs import write_outputs
    from chaintrail.cluster.schedule import make_schedule
    from chaintrail.heuristics.input_facts import InputFacts

    n_tx = arrays.counts["txs"]
    codes, known = _verdict_arrays(verdict, n_tx)
    ev = events.select("tx_id", "output_id", "support").toArrow().sort_by("tx_id")
    sched = make_schedule(arrays.tx_height, p.horizon)
    tx = ev.column("tx_id").to_numpy().astype(np.int64)
    all_ev = {"tx": tx, "due": sched.due[tx].astype(np.int64),
              "out": ev.column("output_id").to_numpy().astype(np.int64),
              "support": ev.column("support").to_numpy().astype(np.uint16)}
    facts = InputFacts.gather(arrays)
    anchors = load_anchors(s, arrays, p.min_tag_confidence) if p.guard_tags else Anchors.empty()
    t = phase("collect verdicts", t)
    settled_ev = _slice_events(all_ev, 0, sched.settled_upto)
    provisional_ev = _slice_events(all_ev, sched.settled_upto, n_tx)
    state, prov, settled_buf, prov_buf = union_passes(arrays, facts, codes, settled_ev, provisional_ev, p,
                                                      anchors, phase=phase)
    entry = write_outputs(s, arrays, facts, None, p, anchors, state, prov, codes, known,
                          settled_buf, prov_buf, phase)
    entry.update({"settled_upto": sched.settled_upto, "highest_height": sched.tip, "tags": anchors.fingerprint})
    n_links = sum(c["tx"].shape[0] for b in (settled_buf, prov_buf) for c in b.chunks_ev)
    return entry, n_links, 0, tx, (int(anchors.address_id.size), len(anchors.names))


def _components(spark, s, arrays, p, tables, addresses, verdict, events, sched, phase, t):
    """Clusters as Spark's connected components over every link (the guard off)."""
    from chaintrail.cluster import room as R
    from chaintrail.cluster.anchors import Anchors
    from chaintrail.cluster.build import Buffers, UFState
    from chaintrail.cluster.outputs import write_outputs
    from chaintrail.heuristics.input_facts import InputFacts
    from chaintrail.spark.components import connected_components

    n_addr, n_tx = arrays.counts["addresses"], arrays.counts["txs"]
    links = link_frames(spark, tables, addresses, verdict, events, p.coinjoin_filter)
    links = links.localCheckpoint(eager=True)
    t = phase("links", t)
    labels, rounds = connected_components(links.select("src", "dst"))
    lab = labels.toArrow()
    t = phase("components", t)
    codes, known = _verdict_arrays(verdict, n_tx)
    ev_tx_all = events.select("tx_id").toArrow().column("tx_id").to_numpy()
    facts = InputFacts.gather(arrays)
    t = phase("collect verdicts", t)

    idt = R.id_dtype(n_addr + 1)
    parent = np.arange(n_addr, dtype=idt)
    if lab.num_rows:
        parent[lab.column("vertex").to_numpy()] = lab.column("label").to_numpy().astype(idt)
    size = np.zeros(n_addr, np.int32)
    np.add.at(size, parent, 1)
    empty64 = np.zeros(0, np.int64)
    state = UFState(parent, size, np.zeros(0, np.int32), empty64, empty64, empty64, empty64, empty64, 0)
    ev = links.orderBy("tx_id", "src", "dst").toArrow()
    settled_upto = sched["settled_upto"]
    ev_tx = ev.column("tx_id").to_numpy()
    kind = ev.column("kind").to_numpy().astype(np.uint8)
    prov_mask = (kind == 2) & (ev_tx >= settled_upto)  # change links of the last `horizon` blocks
    settled_buf, prov_buf = Buffers(1024, id_dtype=idt), Buffers(1024, id_dtype=idt)
    for buf, sel in ((settled_buf, ~prov_mask), (prov_buf, prov_mask)):
        if sel.any():
            buf.chunks_ev.append({"tx": ev_tx[sel].astype(np.int64),
                                  "a": ev.column("src").to_numpy()[sel].astype(idt),
                                  "b": ev.column("dst").to_numpy()[sel].astype(idt),
                                  "kind": kind[sel], "support": ev.column("support").to_numpy()[sel]
                                  .astype(np.uint16)})
    t = phase("collect", t)
    entry = write_outputs(s, arrays, facts, None, p, Anchors.empty(), state, state.copy(),
                          codes, known, settled_buf, prov_buf, phase)
    entry.update({"settled_upto": settled_upto, "highest_height": sched["tip"], "tags": "none"})
    return entry, int(ev.num_rows), rounds, ev_tx_all
