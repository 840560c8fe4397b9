"""`chaintrail spark ingest`: build a store from block files on Spark.

1. scan (executors, one task per file): every block's header and size;
2. plan (driver): the embedded ChainIndex orders the blocks (best chain,
   then loose trees) and gives each its chain position and first ids;
3. parse (executors, one task per run of consecutive blocks of a file): the
   embedded parser, validator, classifier and table builder write staging
   files with every column but the spend-resolved ones;
4. resolve (Spark joins): each input finds the output it spends, by
   (txid, vout) among the spendable outputs of earlier transactions (the
   latest such output, as the UTXO set's overwrite gives; an output spent
   twice counts for its first spender only); inputs, transactions' input
   values and fees, and the outputs' spenders follow by joins;
5. write: segments by id range (``segments.write_segments``), the chain
   index, the UTXO snapshot (local stores), and the manifest: one commit.

The store must be new (empty): Spark builds a chain from scratch; the
embedded `chaintrail ingest` follows it from there (it reads the UTXO
snapshot written here).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.bitcoin.networks import MAINNET, get_network
from chaintrail.errors import InvalidBlockError, NetworkMismatchError, StoreError
from chaintrail.spark.target import StoreTarget
from chaintrail.store.manifest import Manifest

RUN_BYTES = 64 << 20  # most bytes of blocks one parse task reads at once
TABLES = ("blocks", "txs", "outputs", "inputs")


@dataclass
class SparkIngestReport:
    blocks: int = 0
    txs: int = 0
    inputs: int = 0
    outputs: int = 0
    bytes: int = 0
    side_blocks: int = 0
    loose_blocks: int = 0
    tip_height: int | None = None
    tip_hash: str | None = None
    utxo_count: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def source_tasks(sources: list[str], network: str | None) -> list[dict]:
    """One scan task per file of the sources, in the order the embedded ingest offers them."""
    from chaintrail.sources.files import BlkFile, expand_paths

    net = get_network(network) if network else None
    tasks = []
    for si, spec in enumerate(sources):
        for fi, src in enumerate(expand_paths(spec, net)):
            blk = isinstance(src, BlkFile)
            tasks.append({"src": si, "file": fi, "kind": "blk" if blk else "single",
                          "path": str(Path(src.path).resolve()), "xor": src.xor_key if blk else b"",
                          "network": net.name if net else None})
    return tasks


def _plan(rows: list[dict], network: str | None):
    """The embedded chain index and plan over the scanned headers, with the network."""
    from chaintrail.ingest.chain_index import ChainIndex
    from chaintrail.sources.base import BlockLocation
    from chaintrail.spark.blocks import pow_problem

    net = get_network(network) if network else None
    index = ChainIndex()
    for r in rows:
        if r["network"]:
            rn = get_network(r["network"])
            if net is None:
                net = rn
            elif rn != net:
                raise NetworkMismatchError(f"{r['path']} offset {r['offset']}: {rn.name} block, but this "
                                           f"store holds {net.name} blocks")
        elif net is None:
            net = MAINNET
        if r["error"] and r["hash"] is None:
            raise InvalidBlockError(r["error"])
        if r["hash"] in index:
            continue
        bad = pow_problem(r, net.pow_limit)
        if bad:
            raise InvalidBlockError(bad)
        index.add(r["hash"], r["prev_hash"], r["version"], r["time"], r["bits"], r["bip34"],
                  BlockLocation(r["kind"], r["path"], r["offset"], r["length"], r["xor"], r["fmt"]))
    net = net or MAINNET
    return index, index.plan(net), net


def _runs(order: list[str], info: dict[str, dict], heights: dict, main_len: int) -> tuple[list[list[dict]], dict]:
    """Blocks with their ids, grouped into parse runs: consecutive chain positions of one file,
    at most RUN_BYTES each; and the totals."""
    tx = out = inp = 0
    runs: list[list[dict]] = []
    cur: list[dict] = []
    size = 0
    for seq, h in enumerate(order):
        r = info[h]
        b = {"hash": h, "chain_seq": seq, "height": heights[h], "main": seq < main_len,
             "tx_id": tx, "output_id": out, "input_id": inp, "kind": r["kind"], "path": r["path"],
             "offset": r["offset"], "length": r["length"], "xor": r["xor"], "fmt": r["fmt"]}
        if cur and (cur[-1]["path"] != b["path"] or size + b["length"] > RUN_BYTES):
            runs.append(cur)
            cur, size = [], 0
        cur.append(b)
        size += b["length"]
        tx += r["n_tx"]
        out += r["n_out"]
        inp += r["n_in"]
    if cur:
        runs.append(cur)
    return runs, {"blocks": len(order), "txs": tx, "outputs": out, "inputs": inp}


def run_spark_ingest(spark, sources: list[str], store: str, network: str | None = None,
                     utxo: bool = True, partitions: int | None = None, progress=None) -> SparkIngestReport:
    """Build the store at `store` from the block files of `sources` (see the module doc)."""
    from chaintrail.spark import blocks as B

    t_begin = time.perf_counter()
    rep = SparkIngestReport()
    target = StoreTarget(store)
    writer = _open_empty(target)
    sc = spark.sparkContext
    parts = partitions or sc.defaultParallelism
    staging = f"spark-staging-{uuid.uuid4().hex[:8]}"
    try:
        t = time.perf_counter()
        tasks = source_tasks(sources, network)
        if not tasks:
            raise StoreError("no block files in the sources given")
        scanned = sc.parallelize(tasks, max(1, min(len(tasks), 4 * parts))).flatMap(B.scan_file).collect()
        scanned.sort(key=lambda r: (r["src"], r["file"], r["k"]))
        rep.phases["scan"] = time.perf_counter() - t
        _tick(progress, "scan")

        t = time.perf_counter()
        index, plan, net = _plan(scanned, network)
        info: dict[str, dict] = {}
        for r in scanned:
            if r["hash"] is not None and r["hash"] not in info:
                info[r["hash"]] = r
        runs, counts = _runs(plan.order, info, plan.heights, plan.main_len)
        rep.phases["plan"] = time.perf_counter() - t

        t = time.perf_counter()
        run_tasks = [{"blocks": r, "network": net.name, "store": target.uri, "staging": staging} for r in runs]
        results = (sc.parallelize(run_tasks, max(1, min(len(run_tasks), 4 * parts)))
                   .map(B.parse_run).collect()) if run_tasks else []
        bad = sorted((r for r in results if r["error"]), key=lambda r: r["chain_seq"])
        if bad:
            raise InvalidBlockError(bad[0]["error"])
        rep.bytes = sum(r["bytes"] for r in results)
        rep.phases["parse"] = time.perf_counter() - t
        _tick(progress, "parse")

        t = time.perf_counter()
        segments: dict[str, list] = {"addresses": []}
        utxo_dir, utxo_count = None, 0
        if counts["blocks"]:
            frames = resolve_tables(spark, target, staging)
            _check_missing(frames["unresolved_main"], frames["txs_stage"], frames["blocks"])
            for name in TABLES:
                segments[name] = _write_table(frames[name], name, target, parts, counts["inputs"])
            rep.phases["resolve+write"] = time.perf_counter() - t
            _tick(progress, "write")
            if utxo and target.is_local:
                t = time.perf_counter()
                utxo_dir, utxo_count = _write_utxo(frames["unspent"], target)
                rep.phases["utxo"] = time.perf_counter() - t
        else:
            segments.update({k: [] for k in TABLES})

        t = time.perf_counter()
        chain_file = _write_chain_index(index, plan, target)
        tip = _tip(plan)
        m = Manifest(network=net.name, tip_height=plan.heights.get(tip) if tip else None, tip_hash=tip,
                     counts={**counts, "addresses": 0}, segments=segments, utxo=utxo_dir,
                     chain_index=chain_file, utxo_count=utxo_count,
                     loose_blocks=len(plan.order) - plan.main_len,
                     updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     extra={"spark": {"built_by": "spark ingest", "master": sc.master}})
        _commit(target, writer, m)
        rep.phases["commit"] = time.perf_counter() - t
        rep.blocks, rep.txs = counts["blocks"], counts["txs"]
        rep.inputs, rep.outputs = counts["inputs"], counts["outputs"]
        rep.side_blocks = len(index) - len(plan.order)
        rep.loose_blocks = m.loose_blocks
        rep.tip_height, rep.tip_hash = m.tip_height, m.tip_hash
        rep.utxo_count = utxo_count
        rep.seconds = time.perf_counter() - t_begin
        return rep
    finally:
        target.delete_dir(staging)
        if writer is not None:
            writer.close()


def _tick(progress, phase: str) -> None:
    if progress:
        progress(phase)


def _open_empty(target: StoreTarget):
    """The local store's writer (holding its lock), after checking the store is empty."""
    if target.is_local:
        from chaintrail.store.store import Store

        s = Store.open_writer(target.root)
        if s.manifest.counts.get("blocks"):
            s.close()
            raise StoreError(f"{target.root}: the store already holds blocks; spark ingest builds a new "
                             "store (the embedded `chaintrail ingest` adds blocks to an existing one)")
        return s
    m = target.read_manifest()
    if m is not None and m.counts.get("blocks"):
        raise StoreError(f"{target.uri}: the store already holds blocks; spark ingest builds a new store")
    return None


def _commit(target: StoreTarget, writer, m: Manifest) -> None:
    if writer is not None:
        writer.commit(m)
    else:
        m.generation = 1
        target.write_manifest_remote(m)


def resolve_tables(spark, target: StoreTarget, staging: str) -> dict:
    """The four tables as DataFrames, spends resolved by joins (see the module doc)."""
    from pyspark.sql import functions as F

    def read(name):
        return spark.read.parquet(target.spark_uri(f"{staging}/{name}"))

    outs, ins, txs, blocks = read("outputs"), read("inputs"), read("txs"), read("blocks")
    spendable = outs.filter("spendable").select(
        F.col("txid").alias("o_txid"), F.col("vout").alias("o_vout"), F.col("output_id").alias("o_id"),
        F.col("tx_id").alias("o_tx"))
    cand = (ins.filter(~F.col("coinbase")).select("input_id", "tx_id", "prev_txid", "prev_vout")
            .join(spendable, (F.col("prev_txid") == F.col("o_txid")) & (F.col("prev_vout") == F.col("o_vout"))
                  & (F.col("o_tx") < F.col("tx_id")))
            .groupBy("input_id").agg(F.max("o_id").alias("spent_output_id")))
    # an output spent twice (possible only among loose blocks) counts for its first spender
    spent = cand.groupBy("spent_output_id").agg(F.min("input_id").alias("input_id"))
    spent = spent.join(outs.select(F.col("output_id").alias("spent_output_id"), "value", "address",
                                   "script_type"), "spent_output_id").localCheckpoint(eager=True)
    inputs = ins.join(spent, "input_id", "left")
    per_tx = inputs.groupBy("tx_id").agg(
        F.sum("value").alias("in_sum"), F.count("value").alias("n_known"), F.count(F.lit(1)).alias("n_all"),
        F.max(F.col("coinbase").cast("int")).alias("cb"))
    in_value = (F.when(F.col("cb") == 1, F.lit(0)).when(F.col("n_known") == F.col("n_all"), F.col("in_sum"))
                .otherwise(F.lit(None)).cast("long"))
    tx_full = (txs.join(per_tx.select("tx_id", in_value.alias("input_value")), "tx_id", "left")
               .withColumn("fee", F.when(F.col("is_coinbase"), F.lit(0).cast("long"))
                           .otherwise(F.col("input_value") - F.col("output_value"))))
    spenders = inputs.filter(F.col("spent_output_id").isNotNull()).select(
        F.col("spent_output_id").alias("output_id"), F.col("input_id").alias("spending_input_id"),
        F.col("tx_id").alias("spending_tx_id"))
    outputs = outs.join(spenders, "output_id", "left")
    unresolved_main = inputs.filter(F.col("main") & ~F.col("coinbase") & F.col("spent_output_id").isNull())
    unspent = outputs.filter(F.col("spendable") & F.col("spending_input_id").isNull()).select(
        "output_id", "txid", "vout", "value", "meta", "payload")
    return {"blocks": blocks, "txs": tx_full, "outputs": outputs, "inputs": inputs,
            "unresolved_main": unresolved_main, "txs_stage": txs, "unspent": unspent}


def _check_missing(unresolved_main, txs, blocks) -> None:
    """In the genesis-rooted chain every input must spend a known unspent output (as embedded)."""
    from pyspark.sql import functions as F

    first = unresolved_main.orderBy("input_id").limit(1).collect()
    if not first:
        return
    r = first[0]
    tx = txs.filter(F.col("tx_id") == r["tx_id"]).select("txid").collect()[0]
    blk = (blocks.filter(F.col("first_tx_id") <= r["tx_id"]).orderBy(F.col("first_tx_id").desc()).limit(1)
           .select("hash").collect()[0])
    raise InvalidBlockError(f"block {bytes(blk['hash']).hex()}: input {r['vin']} of transaction "
                            f"{bytes(tx['txid']).hex()} spends an output that is unknown or already spent")


def _write_table(df, name: str, target: StoreTarget, parts: int, n_inputs: int):
    """One table's segments; output segments hold every spend (`spends_upto` = all inputs)."""
    from chaintrail.spark.segments import write_segments

    segs = write_segments(df, name, target.uri, parts)
    if name == "outputs":
        for s in segs:
            s.spends_upto = n_inputs
    return segs


def _write_utxo(unspent, target: StoreTarget) -> tuple[str, int]:
    """The UTXO snapshot (state/utxo-*) the embedded ingest continues from: built on the driver
    from the unspent outputs (about 107 bytes each, as the embedded ingest holds it)."""
    import numpy as np

    from chaintrail.ingest import utxo_kernels as UK
    from chaintrail.ingest.utxo import UtxoSet

    t = unspent.orderBy("output_id").toArrow()
    n = t.num_rows
    u = UtxoSet()
    if n:
        u.reserve(n)
        txid = _fixed(t.column("txid"), 32)[:, ::-1]  # display order -> internal order
        txid = np.ascontiguousarray(txid)
        k0 = txid[:, :8].copy().view("<u8").reshape(-1)
        k2 = txid[:, 8:12].copy().view("<u4").reshape(-1).astype(np.uint64)
        meta = t.column("meta").to_numpy()
        payload = np.ascontiguousarray(_fixed(t.column("payload"), UK.PAYLOAD))
        u.count += UK.insert_many(*u.table(), k0, k2, t.column("vout").to_numpy().astype(np.uint64),
                                  t.column("output_id").to_numpy(), t.column("value").to_numpy(),
                                  (meta & 0xFF).astype(np.uint8), ((meta >> 8) & 0xFF).astype(np.uint8),
                                  ((meta >> 16) & 0xFF).astype(np.uint8), payload.view(np.int64))
    rel = f"state/utxo-{uuid.uuid4().hex[:10]}"
    u.save(target.root, rel)
    return rel, u.count


def _fixed(col, width: int):
    """A binary column of equal-width values as a uint8[n, width] array (no per-row Python)."""
    import numpy as np
    import pyarrow as pa

    arr = col.combine_chunks().cast(pa.binary(width))
    buf = np.frombuffer(arr.buffers()[1], np.uint8)
    return buf[arr.offset * width:(arr.offset + len(arr)) * width].reshape(len(arr), width)


def _write_chain_index(index, plan, target: StoreTarget) -> str:
    """chain/index-*.parquet; blocks off the best chains are copied into pool/ first (local stores),
    as the embedded ingest keeps them for a later reorg."""
    from chaintrail.sources.base import BlockLocation
    from chaintrail.sources.files import read_location

    applied = set(plan.order)
    if target.is_local:
        pool = target.root / "pool"
        pool.mkdir(exist_ok=True)
        for e in list(index.entries.values()):
            if e.hash in applied or e.loc.kind == "pool":
                continue
            data = read_location(e.loc)
            path = pool / f"{e.hash}.blk"
            tmp = pool / f".{e.hash}.tmp"
            tmp.write_bytes(data)
            tmp.replace(path)
            index.relocate(e.hash, BlockLocation("pool", str(path), 0, len(data)))
    rel = f"chain/index-{uuid.uuid4().hex[:10]}.parquet"
    if target.is_local:
        (target.root / "chain").mkdir(exist_ok=True)
        index.save(target.root / rel)
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "index.parquet"
            index.save(p)
            with target.open_output(rel) as f:
                f.write(p.read_bytes())
    return rel


def _tip(plan) -> str | None:
    """The last block of the genesis-rooted chain, else the last block applied (as embedded)."""
    if not plan.order:
        return None
    if plan.main_len:
        return plan.order[plan.main_len - 1]
    return plan.order[-1]
