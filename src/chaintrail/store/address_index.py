"""The addresses table: one row per distinct address, numbered in order of
first appearance. Extended at each commit from the outputs that commit
added: their addresses are hashed and the first occurrence of each found
in one numba pass (``first_seen_kernels``); only those candidates are then
checked against the addresses already stored.

That check looks the candidates' two 64-bit string hashes up in
``KnownAddresses``, a table in memory of every stored address (hashes ->
address_id, the same open addressing as the commit window's numbering),
seeded once per ingest from the hashes the analysis arrays hold
(``addr_ha``/``addr_hb``, see ``index_feed``) and numbering each commit's
new addresses as it looks them up. It costs 24 to 48 bytes an address (the
hashes with room to grow, and a slot table at most half full; while it
grows, the arrays it outgrows too), so it is kept only up to
``KNOWN_ADDRESSES_BYTES`` (6 GiB: some 130 to 270 million addresses), and
to half the memory the machine has free when it grows (``KnownAddresses.fits``).
Beyond that budget, or when there are no arrays to seed it from (the index
lags the store: after a killed ingest, or with the index not built), DuckDB
joins the candidates' strings with the stored segments read from disk
instead (not bounded by RAM, slower, and slower as the store grows). Both
give the same ids. Equal pairs of hashes are taken for equal strings (as
the analysis arrays' lookups do): two different addresses share both 64-bit
hashes with odds of about 2**-128 a pair.

Seeding costs about two DuckDB joins (4.7 million stored addresses: 0.4 to
0.6 s against 0.15 to 0.35 s), so an ingest seeds the table only for a
commit with many addresses (``SEED_SHARE``) or from its second commit on;
an empty store needs no seeding.

The ingest holds the table only while it matches the manifest: a commit
takes it, and gives it back once the new manifest is in place; a failed
commit, a rollback or a commit that looked up by DuckDB leaves none, and
the next commit seeds it again (or keeps to DuckDB).

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


#: the most memory the table of known addresses may take (see the module docstring)
KNOWN_ADDRESSES_BYTES = 6 << 30
#: seeding the table reads every stored hash, about two DuckDB joins' time: an ingest seeds
#: it for a commit with at least 1/SEED_SHARE as many addresses as are stored, or from its
#: second commit on (a one-off small commit, as the monitor makes per block, keeps the join)
SEED_SHARE = 64


class HashNumbering:
    """Pairs of 64-bit string hashes numbered 0, 1, ... in order of first appearance: the
    pairs in number order (`keys_a`, `keys_b`), found through an open-addressing table of
    their numbers (``number_strings``, at most half full)."""

    def __init__(self, keys_a: np.ndarray | None = None, keys_b: np.ndarray | None = None,
                 spare: int = 0):
        n = 0 if keys_a is None else len(keys_a)
        self.count = 0
        self.keys_a = np.zeros(max(8, n + spare), np.uint64)
        self.keys_b = np.zeros(max(8, n + spare), np.uint64)
        self.slots = np.full(16, -1, np.int32)
        if n:
            self.keys_a[:n] = keys_a
            self.keys_b[:n] = keys_b
            self.count = n
            self.slots = np.full(self._sizes(n + spare)[1], -1, np.int32)
            fill_slots(self.slots, self.keys_a, n)

    def number(self, ha: np.ndarray, hb: np.ndarray, valid: np.ndarray, number: np.ndarray,
               first: np.ndarray) -> None:
        """number[i]: the number of (ha[i], hb[i]), new ones numbered on (-1 where not valid);
        first[i]: whether it is new."""
        self.reserve(self.count + len(ha))
        self.count = number_strings(self.slots, self.keys_a, self.keys_b, self.count, ha, hb, valid,
                                    number, first)

    def reserve(self, need: int) -> None:
        """Room for `need` pairs in all."""
        cap, size = self._sizes(need)
        if cap > len(self.keys_a):
            self.keys_a = _grown(self.keys_a, self.count, cap)
            self.keys_b = _grown(self.keys_b, self.count, cap)
        if size > len(self.slots):
            self.slots = np.full(size, -1, np.int32)
            fill_slots(self.slots, self.keys_a, self.count)

    def nbytes_for(self, need: int) -> int:
        """The memory this takes once it has room for `need` pairs."""
        cap, size = self._sizes(need)
        return 16 * cap + 4 * size

    def _sizes(self, need: int) -> tuple[int, int]:
        cap = len(self.keys_a)
        if need > cap:
            cap = max(need, cap + cap // 2)
        size = len(self.slots)
        if 2 * need > size:
            while size < 3 * need:
                size *= 2
        return cap, size


def _grown(keys: np.ndarray, count: int, cap: int) -> np.ndarray:
    out = np.zeros(cap, np.uint64)
    out[:count] = keys[:count]
    return out


class KnownAddresses(HashNumbering):
    """The stored addresses by their two string hashes: pair number = address_id."""

    @classmethod
    def seed(cls, hashes: tuple[np.ndarray, np.ndarray], spare: int,
             budget: int | None = None) -> KnownAddresses | None:
        """The table of the stored addresses' hashes (in address_id order), with room for
        `spare` more; None when that passes the budget (default ``KNOWN_ADDRESSES_BYTES``)."""
        ha, hb = hashes
        if not cls().fits(len(ha) + spare, budget):
            return None
        return cls(ha, hb, spare)

    def take(self, numbering: HashNumbering) -> None:
        """Become `numbering` (an empty table: its pairs are the new addresses 0, 1, ...), its
        arrays taken over rather than inserted again."""
        assert self.count == 0
        self.keys_a, self.keys_b, self.slots = numbering.keys_a, numbering.keys_b, numbering.slots
        self.count = numbering.count

    def fits(self, more: int, budget: int | None = None) -> bool:
        """Whether `more` addresses can join within the budget (and the 32-bit slots). The
        default budget is ``KNOWN_ADDRESSES_BYTES``, less where the machine has not the memory
        free: the table may take at most half of what is available now beyond what it holds
        (the UTXO set grows beside it)."""
        if budget is None:
            import psutil

            held = self.nbytes_for(self.count)
            budget = min(KNOWN_ADDRESSES_BYTES, held + psutil.virtual_memory().available // 2)
        return self.count + more < 2**31 and self.nbytes_for(self.count + more) <= budget


class OutputAddresses:
    """The addresses of the outputs applied since a commit, from their tables in memory:
    each distinct address numbered in order of first appearance (a ``HashNumbering``), and
    the output rows of its first appearance kept."""

    def __init__(self, start: int):
        self.start = start  # output id of the first output gathered
        self.n = 0  # outputs gathered
        self.seen = HashNumbering()  # the distinct addresses among them
        self._number: list[np.ndarray] = []  # per batch: the number of each output's address
        self._firsts: list[pa.Table] = []  # per batch: the outputs showing a new address

    @property
    def count(self) -> int:
        return self.seen.count

    def add(self, outputs: pa.Table) -> None:
        """Gather one batch's outputs (in id order, right after the previous batch's)."""
        address = outputs["address"].combine_chunks()
        n = len(address)
        ha, hb = hash_string_array(address)
        valid = address.is_valid().to_numpy(zero_copy_only=False)
        number = np.empty(n, np.int64)
        first = np.empty(n, np.bool_)
        self.seen.number(ha, hb, valid, number, first)
        take = pa.array(np.nonzero(first)[0], pa.int64())
        self._firsts.append(pa.table({c: outputs[c].take(take) for c in _COLUMNS}))
        self._number.append(number)
        self.n += n


RowsFn = Callable[[pa.Table, tuple[np.ndarray, np.ndarray]], None]


def extend_from_outputs(root: Path, addr_segs: list[Segment], gathered: OutputAddresses,
                        first_id: int, on_rows: RowsFn | None = None,
                        known: KnownAddresses | None = None) -> tuple[Segment | None, np.ndarray]:
    """As ``extend_addresses`` for the gathered outputs (which it empties); also the address
    id of every gathered output (-1 where it has none). Written a gathered batch at a time
    (one row group each), each part handed to `on_rows` with the two string hashes of its
    addresses, so the memory this takes is that of one part. With `known` (the stored
    addresses, first_id of them) the stored ones are found there, and the new ones join it."""
    g = gathered
    if g.count == 0:
        return None, np.full(g.n, -1, np.int64)
    ids = np.full(g.count, -1, np.int64)
    ka, kb = g.seen.keys_a, g.seen.keys_b
    if known is not None:
        if known.count != first_id:
            raise ValueError(f"the known addresses are {known.count}, the store holds {first_id}")
        if known.count == 0:  # everything is new, numbered as the commit numbered it
            known.take(g.seen)
            ids[:] = np.arange(g.count, dtype=np.int64)
            new = np.ones(g.count, np.bool_)
        else:
            new = np.empty(g.count, np.bool_)
            known.number(ka[:g.count], kb[:g.count], np.ones(g.count, np.bool_), ids, new)
    elif any(s.rows for s in addr_segs):
        cand = pa.concat_tables(g._firsts)  # one row per number, in order (no copy)
        con = connect(temp_dir=root / "state" / ("duck-" + uuid.uuid4().hex[:8]), memory_limit="2GB")
        try:
            con.register("cand", pa.table({"address": cand["address"],
                                           "i": pa.array(np.arange(g.count, dtype=np.int64))}))
            found = con.sql(f"""SELECT c.i, e.address_id FROM read_parquet({_files(root, addr_segs)}) e
                                JOIN cand c USING (address)""").fetchnumpy()
        finally:
            con.close()
        del cand
        ids[np.asarray(found["i"], np.int64)] = np.asarray(found["address_id"], np.int64)
    if known is None:
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
                    on_rows(t, (ka[lo:hi][keep], kb[lo:hi][keep]))
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
