"""The index's lookups (``arrays.LOOKUPS``) written within a fixed memory budget,
whatever the length of the chain.

Keyed lookups (txid, address hash): keys are hashes, so about uniform. One
pass reads the source arrays in chunks and scatters (key, payload) records
into 2**bits bucket files by the key's top bits; each bucket is then read,
sorted (stable: records arrive in id order, so equal keys stay in ascending
id order, as a stable sort of the whole array leaves them) and appended to
the output files. Buckets in order of their top bits are in key order, so
the output is the sort of the whole array.

Address -> outputs (ao_start, ao_ids): a first pass counts outputs per block
of address ids, which groups consecutive blocks into buckets of bounded cost
(the outputs of old addresses are many, so equal ranges would not do). The
scatter pass writes (address id in its bucket, output id) records; each
bucket is counting-sorted, its start offsets moved by the outputs before it.

With one bucket the records stay in memory. Temporary bucket files live in a
directory under the store's state/ directory, removed after; one left by a
crash is removed the next time a writer opens the store (``Store``).
"""

from __future__ import annotations

import resource
import shutil
import uuid
from pathlib import Path

import numpy as np

from chaintrail.store.address_outputs_kernels import address_outputs
from chaintrail.store.arrays import LOOKUPS, ROOM
from chaintrail.store.chunked import OutFile, read_chunks

INDEX_MEMORY_BYTES = 512 << 20  # what building the lookups may hold at once (tests lower it)
MAX_BUCKET_BITS = 12
MIN_CHUNK_ROWS = 1024
HIST_BLOCKS = 1 << 16  # the most blocks of address ids the outputs are counted over

TXID_REC = np.dtype([("k", "<u8"), ("i", "<i8")])
ADDR_REC = np.dtype([("k", "<u8"), ("k2", "<u8"), ("i", "<i8")])
AO_REC = np.dtype([("a", "<u4"), ("o", "<i8")])  # packed: address id within its bucket, output id
AO_OUTPUT_COST = 40  # bytes per output while a bucket is counting-sorted
AO_ADDRESS_COST = 16  # bytes per address (its start and cursor)


def key_bits(n: int, rec: np.dtype, budget: int) -> int:
    """Top key bits to bucket n uniform keys by, so that each bucket sorts within `budget`."""
    need = n * (2 * rec.itemsize + 32) * 5 // 4  # records, key copy, order, gathered column, slack
    bits = 0
    while bits < MAX_BUCKET_BITS and need > budget << bits:
        bits += 1
    return bits


def top_bits(keys: np.ndarray, bits: int) -> np.ndarray:
    """The bucket of each uint64 key: its top `bits` bits."""
    if bits == 0:
        return np.zeros(len(keys), np.uint16)
    return (keys >> np.uint64(64 - bits)).astype(np.uint16)


def chunk_rows(budget: int) -> int:
    """Rows read and scattered at a time."""
    return max(MIN_CHUNK_ROWS, budget // 256)


class Buckets:
    """Records scattered by bucket into files, each keeping their order of arrival (held in
    memory when there is one bucket)."""

    def __init__(self, tmp: Path, name: str, n: int, rec: np.dtype):
        self.n = n
        self.rec = rec
        self.mem: list[np.ndarray] | None = [] if n <= 1 else None
        self.tmp, self.name = tmp, name
        self.files: dict[int, object] = {}  # opened at a bucket's first record
        if n > 1:
            _allow_open_files(n + 256)

    def path(self, b: int) -> Path:
        return self.tmp / f"{self.name}-{b}.bin"

    def add(self, bucket: np.ndarray, recs: np.ndarray) -> None:
        """Append each record to the end of its bucket (`recs` may be reused after)."""
        if self.mem is not None:
            self.mem.append(recs.copy())
            return
        order = np.argsort(bucket, kind="stable")
        counts = np.bincount(bucket, minlength=self.n)
        ends = np.cumsum(counts)
        recs = recs[order]
        for b in np.flatnonzero(counts).tolist():
            f = self.files.get(b)
            if f is None:
                f = self.files[b] = open(self.path(b), "wb")
            f.write(memoryview(recs[ends[b] - counts[b]:ends[b]].view(np.uint8)))

    def done_adding(self) -> None:
        for f in self.files.values():
            f.close()

    def take(self, b: int) -> np.ndarray:
        """The records of bucket b in order of arrival (its file is gone after)."""
        if self.mem is not None:
            recs = np.concatenate(self.mem) if self.mem else np.zeros(0, self.rec)
            self.mem = []
            return recs
        if b not in self.files:
            return np.zeros(0, self.rec)
        recs = np.fromfile(self.path(b), self.rec)
        self.path(b).unlink()
        return recs

    def close(self) -> None:
        for b, f in self.files.items():
            f.close()
            self.path(b).unlink(missing_ok=True)


def _allow_open_files(n: int) -> None:
    """Raise the soft limit of open files to n (or to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n if hard == resource.RLIM_INFINITY else min(n, hard), hard))


def build_lookups(root: Path, entry: dict, budget: int | None = None) -> dict:
    """Write every lookup of the index `entry` to new files (named by a new tag) holding at
    most about `budget` bytes at once; returns their specs, for the entry's "lookups"."""
    budget = budget or INDEX_MEMORY_BYTES
    tag = uuid.uuid4().hex[:10]
    tmp = root / "state" / f"index-build-{tag}"
    tmp.mkdir(parents=True)
    outs: dict[str, OutFile] = {}
    try:
        for name in LOOKUPS:
            outs[name] = OutFile(root / f"rooms/{ROOM}/{name}-{tag}.bin")
        _txid_lookup(root, entry, tmp, budget, outs)
        _address_lookup(root, entry, tmp, budget, outs)
        _address_outputs(root, entry, tmp, budget, outs)
        specs = {}
        for name, out in outs.items():
            out.close()
            dtype, tail = LOOKUPS[name]
            specs[name] = {"file": f"rooms/{ROOM}/{name}-{tag}.bin", "dtype": dtype, "tail": list(tail),
                           "length": out.length}
        return specs
    finally:
        for out in outs.values():
            out.f.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _write_sorted(bk: Buckets, fields: dict[str, str], outs: dict[str, OutFile]) -> None:
    bk.done_adding()
    try:
        for b in range(bk.n):
            recs = bk.take(b)
            order = np.argsort(recs["k"], kind="stable")
            for name, field in fields.items():
                outs[name].write(recs[field][order])
            del recs, order
    finally:
        bk.close()


def _txid_lookup(root: Path, entry: dict, tmp: Path, budget: int, outs: dict[str, OutFile]) -> None:
    spec = entry["arrays"]["tx_hash"]
    n = spec["length"]
    bits = key_bits(n, TXID_REC, budget)
    bk = Buckets(tmp, "txid", 1 << bits, TXID_REC)
    for at, h in read_chunks(root / spec["file"], "u1", (32,), 0, n, chunk_rows(budget)):
        recs = np.empty(len(h), TXID_REC)
        recs["k"] = np.ascontiguousarray(h[:, :8]).view("<u8").reshape(-1)
        recs["i"] = np.arange(at, at + len(h), dtype=np.int64)
        bk.add(top_bits(recs["k"], bits), recs)
    _write_sorted(bk, {"txid_key": "k", "txid_tx": "i"}, outs)


def _address_lookup(root: Path, entry: dict, tmp: Path, budget: int, outs: dict[str, OutFile]) -> None:
    sa, sb = entry["arrays"]["addr_ha"], entry["arrays"]["addr_hb"]
    n = sa["length"]
    bits = key_bits(n, ADDR_REC, budget)
    bk = Buckets(tmp, "addr", 1 << bits, ADDR_REC)
    rows = chunk_rows(budget)
    for (at, ha), (_, hb) in zip(read_chunks(root / sa["file"], "<u8", (), 0, n, rows),
                                 read_chunks(root / sb["file"], "<u8", (), 0, n, rows)):
        recs = np.empty(len(ha), ADDR_REC)
        recs["k"], recs["k2"] = ha, hb
        recs["i"] = np.arange(at, at + len(ha), dtype=np.int64)
        bk.add(top_bits(ha, bits), recs)
    _write_sorted(bk, {"addr_key": "k", "addr_key2": "k2", "addr_id": "i"}, outs)


def address_buckets(hist: np.ndarray, shift: int, n_addr: int, budget: int) -> np.ndarray:
    """The bucket of each block of 2**shift address ids (hist: the outputs of each block):
    consecutive blocks, each bucket costing at most about budget/2 (or one block's cost)."""
    if len(hist) == 0:
        return np.zeros(0, np.int64)
    sizes = np.full(len(hist), 1 << shift, np.int64)
    sizes[-1] = n_addr - ((len(hist) - 1) << shift)
    cost = hist * AO_OUTPUT_COST + sizes * AO_ADDRESS_COST
    before = np.cumsum(cost) - cost
    raw = before // max(1, budget // 2)
    return np.concatenate([[0], np.cumsum(np.diff(raw) > 0)]).astype(np.int64)


def _address_outputs(root: Path, entry: dict, tmp: Path, budget: int, outs: dict[str, OutFile]) -> None:
    spec = entry["arrays"]["out_address"]
    n_out, n_addr = spec["length"], entry["arrays"]["addr_ha"]["length"]
    path, rows = root / spec["file"], chunk_rows(budget)
    shift = 0
    while (n_addr >> shift) > HIST_BLOCKS:
        shift += 1
    n_blocks = (n_addr + (1 << shift) - 1) >> shift
    hist = np.zeros(n_blocks, np.int64)
    for _, a in read_chunks(path, "<i8", (), 0, n_out, rows):
        hist += np.bincount(a[a >= 0] >> shift, minlength=n_blocks)
    bucket_of = address_buckets(hist, shift, n_addr, budget)
    n_buckets = int(bucket_of[-1]) + 1 if n_blocks else 0
    firsts = np.flatnonzero(np.diff(bucket_of, prepend=-1)) << shift  # first address id of each bucket
    lo = firsts.astype(np.int64)
    hi = np.append(lo[1:], n_addr).astype(np.int64)
    bk = Buckets(tmp, "ao", n_buckets, AO_REC)
    if n_buckets:
        for at, a in read_chunks(path, "<i8", (), 0, n_out, rows):
            has = np.flatnonzero(a >= 0)
            aa = a[has]
            b = bucket_of[aa >> shift]
            recs = np.empty(len(has), AO_REC)
            recs["a"] = aa - lo[b]
            recs["o"] = has + at
            bk.add(b.astype(np.uint16) if n_buckets <= 1 << 16 else b, recs)
    bk.done_adding()
    base = 0
    try:
        for b in range(n_buckets):
            recs = bk.take(b)
            start, pos = address_outputs(recs["a"].astype(np.int64), int(hi[b] - lo[b]))
            outs["ao_start"].write(start[:-1] + base)
            outs["ao_ids"].write(recs["o"][pos])
            base += len(recs)
            del recs, start, pos
    finally:
        bk.close()
    outs["ao_start"].write(np.array([base], np.int64))


def lookups_in_memory(root: Path, entry: dict) -> dict[str, np.ndarray]:
    """The twin of ``build_lookups``: every lookup built whole in memory, by a stable sort of
    the whole key arrays and a counting sort of all outputs."""
    arrays = entry["arrays"]

    def load(name: str) -> np.ndarray:
        spec = arrays[name]
        return np.fromfile(root / spec["file"], np.dtype(spec["dtype"]),
                           spec["length"] * int(np.prod(spec["tail"] or [1]))).reshape(-1, *spec["tail"])

    h = load("tx_hash")
    keys = np.ascontiguousarray(h[:, :8]).view("<u8").reshape(-1) if len(h) else np.zeros(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    out = {"txid_key": keys[order], "txid_tx": order.astype(np.int64)}
    ha = load("addr_ha")
    order = np.argsort(ha, kind="stable")
    out.update(addr_key=ha[order], addr_key2=load("addr_hb")[order], addr_id=order.astype(np.int64))
    out["ao_start"], out["ao_ids"] = address_outputs(load("out_address"), len(ha))
    return out
