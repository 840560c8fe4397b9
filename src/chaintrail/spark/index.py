"""`chaintrail spark index`: the addresses table, built as Spark jobs (each
address's first output by a min-aggregation, numbered in order of first
appearance through per-partition offsets), then, on a local store, the
embedded analysis arrays (`store.index_build.update_index`), which the
Python API, `cluster show` and the web UI memory-map.

The spends are already folded into the output segments by `spark ingest`.
"""

from __future__ import annotations

import json
import time

from chaintrail.errors import StoreError
from chaintrail.spark.target import StoreTarget
from chaintrail.store.manifest import Manifest


def read_table(spark, target: StoreTarget, m: Manifest, table: str):
    """A store table's segments as one DataFrame (with an empty-table schema when it has none)."""
    files = [target.spark_uri(s.file) for s in m.segments.get(table, []) if s.rows]
    if not files:
        raise StoreError(f"{target.uri}: the store has no {table} (run `chaintrail spark ingest` first)")
    return spark.read.parquet(*files)


def _count_partitions(batches):
    import pyarrow as pa
    from pyspark import TaskContext

    n = 0
    for b in batches:
        n += b.num_rows
    yield pa.RecordBatch.from_pydict({"p": [TaskContext.get().partitionId()], "n": [n]})


def _numberer(offsets: dict[int, int]):
    def number(batches):
        import numpy as np
        import pyarrow as pa
        from pyspark import TaskContext

        k = offsets.get(TaskContext.get().partitionId(), 0)
        for b in batches:
            ids = np.arange(k, k + b.num_rows, dtype=np.int64)
            k += b.num_rows
            yield pa.RecordBatch.from_arrays(b.columns + [pa.array(ids)], names=b.schema.names + ["address_id"])

    return number


def address_table(spark, outputs, parts: int):
    """(address_id, address, script_type, first_height, first_output_id), sorted and partitioned by id."""
    from pyspark.sql import functions as F

    firsts = (outputs.filter(F.col("address").isNotNull())
              .groupBy("address")
              .agg(F.min(F.struct("output_id", "script_type", "height")).alias("f"))
              .select("address", F.col("f.output_id").alias("first_output_id"),
                      F.col("f.script_type").cast("string").alias("script_type"),
                      F.col("f.height").alias("first_height")))
    ranged = (firsts.repartitionByRange(max(1, parts), "first_output_id")
              .sortWithinPartitions("first_output_id").localCheckpoint(eager=True))
    counts = {r["p"]: r["n"] for r in ranged.mapInArrow(_count_partitions, "p long, n long").collect()}
    offsets, k = {}, 0
    for p in sorted(counts):
        offsets[p] = k
        k += counts[p]
    from pyspark.sql.types import LongType, StructField, StructType

    schema = StructType(list(ranged.schema.fields) + [StructField("address_id", LongType())])
    return ranged.mapInArrow(_numberer(offsets), schema), k


def run_spark_index(spark, store: str, arrays: bool = True, partitions: int | None = None) -> dict:
    """Build the addresses table of a Spark-ingested store and commit it; then the analysis
    arrays (local stores, unless arrays=False). Returns what was done."""
    from chaintrail.spark.segments import write_segments

    t0 = time.perf_counter()
    target = StoreTarget(store)
    parts = partitions or spark.sparkContext.defaultParallelism
    writer = None
    if target.is_local:
        from chaintrail.store.store import Store

        writer = Store.open_writer(target.root)
        m = writer.manifest
    else:
        m = target.read_manifest()
    try:
        if m is None or not m.counts.get("blocks"):
            raise StoreError(f"{target.uri}: no blocks in the store (run `chaintrail spark ingest` first)")
        phases = {}
        t = time.perf_counter()
        outputs = read_table(spark, target, m, "outputs")
        addrs, n = address_table(spark, outputs, parts)
        segs = write_segments(addrs, "addresses", target.uri, parts, presorted=True)
        phases["addresses"] = time.perf_counter() - t
        new = Manifest.from_dict(json.loads(m.to_json()))
        new.segments["addresses"] = segs
        new.counts["addresses"] = n
        new.updated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        new.extra.pop("index", None)  # arrays of an earlier address table no longer match
        if writer is not None:
            writer.commit(new)
        else:
            new.generation = m.generation + 1
            target.write_manifest_remote(new)
        rep = {"addresses": n, "segments": len(segs)}
        if arrays and writer is not None:
            from chaintrail.store.index_build import update_index

            t = time.perf_counter()
            r = update_index(writer)
            phases["arrays"] = time.perf_counter() - t
            rep["arrays"] = {k: r[k] for k in ("txs", "outputs", "inputs", "addresses")}
        rep["phases"] = phases
        rep["seconds"] = time.perf_counter() - t0
        return rep
    finally:
        if writer is not None:
            writer.close()
