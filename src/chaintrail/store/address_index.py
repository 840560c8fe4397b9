"""The addresses table: one row per distinct address, numbered in order of
first appearance. Extended at each commit from the outputs that commit
added: their addresses are hashed and the first occurrence of each found
in one numba pass (``first_seen_kernels``); only those candidates are then
checked against the addresses already stored, with DuckDB reading the
stored segments from disk (so the check is not bounded by RAM)."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chaintrail.store.duck import connect
from chaintrail.store.first_seen_kernels import first_occurrences
from chaintrail.store.manifest import Segment
from chaintrail.store.schema import ADDRESSES
from chaintrail.store.segments import write_table_segment
from chaintrail.store.string_hash_kernels import hash_string_array

_COLUMNS = ["output_id", "address", "script_type", "height"]


def _files(root: Path, segs: list[Segment]) -> str:
    return "[" + ", ".join("'" + str(root / s.file).replace("'", "''") + "'" for s in segs if s.rows) + "]"


def _new_outputs(root: Path, segs: list[Segment], from_output_id: int) -> pa.Table:
    """Outputs with an address at output ids >= from_output_id, in id order."""
    parts = []
    for s in segs:
        if not s.rows or s.last_id < from_output_id:
            continue
        t = pq.read_table(root / s.file, columns=_COLUMNS,
                          filters=[("output_id", ">=", int(from_output_id))])
        parts.append(t.filter(pc.is_valid(t["address"])))
    if not parts:
        return pa.table({c: pa.array([], pa.int64()) for c in _COLUMNS})
    t = pa.concat_tables(parts)
    ids = t["output_id"].to_numpy()
    if ids.size > 1 and (np.diff(ids) < 0).any():
        t = t.sort_by("output_id")
    return t


def extend_addresses(root: Path, addr_segs: list[Segment], output_segs: list[Segment],
                     from_output_id: int, first_id: int) -> Segment | None:
    """A new addresses segment for addresses first seen at output ids >= from_output_id."""
    t = _new_outputs(root, output_segs, from_output_id)
    if t.num_rows == 0:
        return None
    address = t["address"].combine_chunks()
    ha, hb = hash_string_array(address)
    first = np.nonzero(first_occurrences(ha, hb))[0]
    fresh = t.take(pa.array(first, pa.int64()))
    if any(s.rows for s in addr_segs):
        con = connect(temp_dir=root / "state" / ("duck-" + uuid.uuid4().hex[:8]), memory_limit="2GB")
        try:
            con.register("cand", pa.table({"address": fresh["address"]}))
            known = con.sql(f"""SELECT e.address FROM read_parquet({_files(root, addr_segs)}) e
                                SEMI JOIN cand USING (address)""").to_arrow_table()["address"]
        finally:
            con.close()
        if len(known):
            fresh = fresh.filter(pc.invert(pc.is_in(fresh["address"], value_set=known)))
    if fresh.num_rows == 0:
        return None
    out = pa.table({
        "address_id": pa.array(np.arange(first_id, first_id + fresh.num_rows, dtype=np.int64)),
        "address": fresh["address"],
        "script_type": fresh["script_type"].cast(pa.string()),
        "first_height": fresh["height"].cast(pa.int64()),
        "first_output_id": fresh["output_id"].cast(pa.int64()),
    })
    return write_table_segment(root, "addresses", out.cast(ADDRESSES))


def first_address_at_or_after(root: Path, addr_segs: list[Segment], output_id: int) -> int | None:
    """The smallest address_id first seen at output_id or later (None if none)."""
    if not any(s.rows for s in addr_segs):
        return None
    con = connect()
    try:
        r = con.sql(
            f"SELECT min(address_id) FROM read_parquet({_files(root, addr_segs)}) "
            f"WHERE first_output_id >= {int(output_id)}").fetchall()[0]
    finally:
        con.close()
    return r[0]
