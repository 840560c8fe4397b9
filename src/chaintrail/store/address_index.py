"""The addresses table: one row per distinct address, numbered in order of
first appearance. Extended at each commit from the outputs that commit
added: their addresses are hashed and the first occurrence of each found
in one numba pass (``first_seen_kernels``); only those candidates are then
checked against the addresses already stored, with DuckDB reading the
stored segments from disk (so the check is not bounded by RAM).

During an ingest the outputs come from memory: ``OutputAddresses`` gathers
them from the tables the writer thread builds (hashing each address once,
keeping the strings only of addresses new to their batch), and
``extend_from_outputs`` also gives the address id of every output, which
the analysis arrays need. ``extend_addresses`` reads them back from the
segments instead (after a rollback, or for any other writer)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chaintrail.store.duck import connect
from chaintrail.store.first_seen_kernels import fill_slots, first_occurrences, number_strings
from chaintrail.store.manifest import Segment
from chaintrail.store.schema import ADDRESSES
from chaintrail.store.segments import SegmentWriter, write_table_segment
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
    return write_table_segment(root, "addresses", _address_rows(fresh, first_id))


class OutputAddresses:
    """The addresses of the outputs applied since a commit, from their tables in memory:
    each distinct address numbered in order of first appearance (``number_strings``), and
    the output rows of its first appearance kept."""

    def __init__(self, start: int):
        self.start = start  # output id of the first output gathered
        self.n = 0  # outputs gathered
        self.count = 0  # distinct addresses among them
        self._slots = np.full(16, -1, np.int32)
        self._ka = np.zeros(8, np.uint64)
        self._kb = np.zeros(8, np.uint64)
        self._number: list[np.ndarray] = []  # per batch: the number of each output's address
        self._firsts: list[pa.Table] = []  # per batch: the outputs showing a new address

    def add(self, outputs: pa.Table) -> None:
        """Gather one batch's outputs (in id order, right after the previous batch's)."""
        address = outputs["address"].combine_chunks()
        n = len(address)
        ha, hb = hash_string_array(address)
        valid = address.is_valid().to_numpy(zero_copy_only=False)
        self._reserve(self.count + n)
        number = np.empty(n, np.int64)
        first = np.empty(n, np.bool_)
        self.count = number_strings(self._slots, self._ka, self._kb, self.count, ha, hb, valid,
                                    number, first)
        take = pa.array(np.nonzero(first)[0], pa.int64())
        self._firsts.append(pa.table({c: outputs[c].take(take) for c in _COLUMNS}))
        self._number.append(number)
        self.n += n

    def _reserve(self, need: int) -> None:
        if need > len(self._ka):
            cap = max(need, 2 * len(self._ka))
            self._ka = np.concatenate([self._ka[:self.count], np.zeros(cap - self.count, np.uint64)])
            self._kb = np.concatenate([self._kb[:self.count], np.zeros(cap - self.count, np.uint64)])
        if 2 * need > len(self._slots):
            size = len(self._slots)
            while size < 4 * need:
                size *= 2
            self._slots = np.full(size, -1, np.int32)
            fill_slots(self._slots, self._ka, self.count)


RowsFn = Callable[[pa.Table, tuple[np.ndarray, np.ndarray]], None]


def extend_from_outputs(root: Path, addr_segs: list[Segment], gathered: OutputAddresses,
                        first_id: int, on_rows: RowsFn | None = None
                        ) -> tuple[Segment | None, np.ndarray]:
    """As ``extend_addresses`` for the gathered outputs (which it empties); also the address
    id of every gathered output (-1 where it has none). Written a gathered batch at a time
    (one row group each), each part handed to `on_rows` with the two string hashes of its
    addresses, so the memory this takes is that of one part."""
    g = gathered
    if g.count == 0:
        return None, np.full(g.n, -1, np.int64)
    ids = np.full(g.count, -1, np.int64)
    if any(s.rows for s in addr_segs):
        cand = pa.concat_tables(g._firsts)  # one row per number, in order (no copy)
        con = connect(temp_dir=root / "state" / ("duck-" + uuid.uuid4().hex[:8]), memory_limit="2GB")
        try:
            con.register("cand", pa.table({"address": cand["address"],
                                           "i": pa.array(np.arange(g.count, dtype=np.int64))}))
            known = con.sql(f"""SELECT c.i, e.address_id FROM read_parquet({_files(root, addr_segs)}) e
                                JOIN cand c USING (address)""").fetchnumpy()
        finally:
            con.close()
        del cand
        ids[np.asarray(known["i"], np.int64)] = np.asarray(known["address_id"], np.int64)
    new = ids < 0
    ids[new] = np.arange(first_id, first_id + int(np.count_nonzero(new)), dtype=np.int64)
    number = np.concatenate(g._number)
    g._number.clear()
    out_address = np.where(number >= 0, ids[np.maximum(number, 0)], -1)
    del number
    w = SegmentWriter(root, "addresses")
    try:
        lo = 0
        while g._firsts:
            part = g._firsts.pop(0)
            hi = lo + part.num_rows
            keep = new[lo:hi]
            if keep.any():
                t = _address_rows(part.filter(pa.array(keep)), int(ids[lo:hi][keep][0]))
                w.write(t)
                if on_rows is not None:
                    on_rows(t, (g._ka[lo:hi][keep], g._kb[lo:hi][keep]))
            lo = hi
        seg = w.close()
    except BaseException:
        w.abort()
        raise
    return seg, out_address


def _address_rows(fresh: pa.Table, first_id: int) -> pa.Table:
    """Rows of the addresses table for the new addresses' first outputs, numbered from first_id."""
    out = pa.table({
        "address_id": pa.array(np.arange(first_id, first_id + fresh.num_rows, dtype=np.int64)),
        "address": fresh["address"],
        "script_type": fresh["script_type"].cast(pa.string()),
        "first_height": fresh["height"].cast(pa.int64()),
        "first_output_id": fresh["output_id"].cast(pa.int64()),
    })
    return out.cast(ADDRESSES)


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
