"""Writing a Spark DataFrame as store segments: range-partitioned by the
table's id column, each partition sorted and written by pyarrow with the
embedded store's writer settings (schema, zstd level 1, delta-encoded
integers, statistics, segment file names), returning the manifest's
Segment records. The files are therefore the embedded store's files."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.compute as pc

from chaintrail.bitcoin import script_types as st
from chaintrail.store.manifest import Segment
from chaintrail.store.schema import ID_COLUMN, TABLES

ROW_GROUP = 1 << 18
_TYPE_NAMES = pa.array(st.NAMES, pa.string())
SEGMENT_SCHEMA = ("file string, rows long, first_id long, last_id long, min_height long, "
                  "max_height long")


def to_store_schema(t: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table with the store's column order and types (binary -> binary(32), string -> dictionary)."""
    cols = []
    for f in schema:
        c = t.column(f.name)
        if c.type != f.type:
            if pa.types.is_dictionary(f.type):  # script_type: the embedded store's fixed dictionary
                idx = pc.index_in(c.cast(pa.string()), value_set=_TYPE_NAMES).cast(pa.int8())
                c = pa.chunked_array([pa.DictionaryArray.from_arrays(ch, _TYPE_NAMES) for ch in idx.chunks],
                                     f.type)
            else:
                c = c.cast(f.type)
        cols.append(c)
    return pa.Table.from_arrays(cols, schema=schema)


def _partition_writer(store_uri: str, table: str):
    """The mapInArrow function writing one partition as one segment file."""

    def write(batches):
        from chaintrail.spark.target import StoreTarget
        from chaintrail.store.segments import _final_name, _writer

        schema = TABLES[table]
        idcol = ID_COLUMN[table]
        hcol = "first_height" if table == "addresses" else "height"
        target = StoreTarget(store_uri)
        tag = uuid.uuid4().hex[:10]
        tmp = f"data/{table}/writing_{tag}.parquet"
        stream = writer = None
        rows, first, last, lo, hi = 0, None, None, None, None
        pending: list[pa.RecordBatch] = []
        n_pending = 0

        def flush():
            nonlocal stream, writer, rows, first, last, lo, hi, pending, n_pending
            if not n_pending:
                return
            t = to_store_schema(pa.Table.from_batches(pending), schema)
            pending, n_pending = [], 0
            if writer is None:
                stream = target.open_output(tmp)
                writer = _writer(stream, schema)
            writer.write_table(t, row_group_size=t.num_rows)
            ids = t.column(idcol)
            first = ids[0].as_py() if first is None else first
            last = ids[-1].as_py()
            mm = pc.min_max(t.column(hcol))
            for v in (mm["min"].as_py(), mm["max"].as_py()):
                if v is not None:
                    lo = v if lo is None else min(lo, v)
                    hi = v if hi is None else max(hi, v)
            rows += t.num_rows

        for b in batches:
            if b.num_rows:
                pending.append(b)
                n_pending += b.num_rows
                if n_pending >= ROW_GROUP:
                    flush()
        flush()
        if writer is None:
            return
        writer.close()
        stream.close()
        name = _final_name(table, first, last, lo, hi, tag)
        fs, base = target.fs()
        fs.move(f"{base}/{tmp}", f"{base}/{name}")
        yield pa.RecordBatch.from_pydict({
            "file": [name], "rows": [rows], "first_id": [first], "last_id": [last],
            "min_height": [lo], "max_height": [hi]})

    return write


def write_segments(df, table: str, store_uri: str, partitions: int, presorted: bool = False
                   ) -> list[Segment]:
    """Write `df` (the table's columns, any order) as segments; returns them in id order.
    presorted: df's partitions already hold ascending, disjoint id ranges in id order."""
    from pyspark.sql import functions as F

    idcol = ID_COLUMN[table]
    cols = [f.name for f in TABLES[table]]
    df = df.select(*cols)
    if not presorted:
        df = df.repartitionByRange(max(1, partitions), F.col(idcol)).sortWithinPartitions(idcol)
    out = (df.mapInArrow(_partition_writer(store_uri, table), SEGMENT_SCHEMA)
           .collect())
    segs = [Segment(r["file"], r["rows"], r["first_id"], r["last_id"], r["min_height"], r["max_height"])
            for r in out]
    return sorted(segs, key=lambda s: s.first_id)
