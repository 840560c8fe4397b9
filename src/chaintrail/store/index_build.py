"""Building and updating the analysis arrays (``arrays.py``) from the store's
Parquet segments. Per-id arrays grow by appending to their files, so an
update after new blocks costs only the new rows; lookups (txid and address
keys, each address's outputs) are rebuilt whole. A reorg or a loose block
finding its place (ids reassigned) makes the next update rebuild everything.

The manifest entry records each array's length: bytes beyond it (a crash
mid-update) are cut off before appending, so an interrupted update leaves
the last committed index and a re-run finishes it.

After an ingest in the same process the per-id arrays are already written:
the ingest appended them from the tables it built (``index_feed``), and the
update only scatters the spends, sorts the lookups and folds the spends.

Past the per-id arrays, the update holds a fixed memory budget whatever the
chain's length (``index_lookups.INDEX_MEMORY_BYTES``): the inputs are read
in chunks, the spends written through a map that lets go of its pages, the
lookups built in buckets (``index_lookups``) while the fold, on a second
thread, gathers the spends of a group of segments at a time.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chaintrail.bitcoin import script_types as st
from chaintrail.store import index_lookups
from chaintrail.store.arrays import FLAG_COINBASE, FLAG_SEGWIT, ROOM, SCHEMA, ChainArrays
from chaintrail.store.chunked import Mapped, read_chunks
from chaintrail.store.manifest import Manifest, Segment
from chaintrail.store.schema import ID_COLUMN, TABLES
from chaintrail.store.segments import SegmentWriter
from chaintrail.store.store import Store
from chaintrail.store.string_hash_kernels import hash_string_array

BATCH_ROWS = 1 << 20
_TYPE_NAMES = pa.array(st.NAMES, pa.string())


def _rows(root: Path, segments: list[Segment], table: str, start: int, columns: list[str]):
    """Record batches of `table` with id >= start, in id order."""
    idcol = ID_COLUMN[table]
    for seg in segments:
        if seg.rows == 0 or seg.last_id < start:
            continue
        for rb in pq.ParquetFile(root / seg.file).iter_batches(batch_size=BATCH_ROWS, columns=columns):
            if seg.first_id < start:
                ids = rb.column(rb.schema.get_field_index(idcol)).to_numpy()
                keep = ids >= start
                if not keep.any():
                    continue
                rb = rb.filter(pa.array(keep))
            yield rb


def _np(rb: pa.RecordBatch, name: str, dtype, null=-1) -> np.ndarray:
    col = rb.column(rb.schema.get_field_index(name))
    if col.null_count:
        col = pc.fill_null(col, null)
    return col.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def _type_codes(col: pa.Array) -> np.ndarray:
    if pa.types.is_dictionary(col.type) and col.dictionary.equals(_TYPE_NAMES):
        # as ingest builds it: the dictionary is the list of type names, so an index is a code
        return pc.fill_null(col.indices, st.NONSTANDARD).to_numpy(zero_copy_only=False).astype(np.uint8)
    names = col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
    idx = pc.index_in(names, value_set=_TYPE_NAMES)
    return pc.fill_null(idx, st.NONSTANDARD).to_numpy(zero_copy_only=False).astype(np.uint8)


class Appender:
    """Appends to the per-id array files of one index entry."""

    def __init__(self, root: Path, entry: dict):
        self.root = root
        self.entry = entry
        self._files: dict[str, object] = {}

    def open(self, name: str):
        f = self._files.get(name)
        if f is None:
            f = self._files[name] = open(self.root / self.entry["arrays"][name]["file"], "ab")
        return f

    def append(self, name: str, arr: np.ndarray) -> None:
        spec = self.entry["arrays"][name]
        arr = np.ascontiguousarray(arr, dtype=np.dtype(spec["dtype"]))
        self.open(name).write(memoryview(arr).cast("B") if arr.size else b"")
        spec["length"] += arr.shape[0]

    def flush(self) -> None:
        """Make appended bytes visible to memory maps (before reading them back)."""
        for f in self._files.values():
            f.flush()

    def close(self) -> None:
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())
            f.close()
        self._files.clear()


def fresh_entry(tag: str) -> dict:
    arrays = {
        name: {"file": f"rooms/{ROOM}/{name}-{tag}.bin", "dtype": dtype, "tail": list(tail), "length": 0}
        for name, (_, dtype, tail) in SCHEMA.items()
    }
    return {"arrays": arrays, "lookups": {}, "upto": {k: 0 for k in ("blocks", "txs", "outputs", "inputs",
                                                                      "addresses")},
            "spent_by_upto": 0, "last_block_hash": None, "files": []}


def diverged(store: Store, entry: dict) -> bool:
    up = entry["upto"]
    counts = store.manifest.counts
    if any(counts[k] < up[k] for k in up):
        return True
    if up["blocks"] == 0:
        return False
    con = store.connect()
    try:
        r = con.sql("SELECT lower(hex(hash)) FROM blocks_raw WHERE chain_seq = ?",
                    params=[up["blocks"] - 1]).fetchall()
    finally:
        con.close()
    return not r or r[0][0] != entry["last_block_hash"]


def cut_back(root: Path, entry: dict) -> None:
    """Cut each array file to the length the entry records (dropping what an interrupted
    update or ingest appended beyond it); create missing files empty."""
    for spec in entry["arrays"].values():
        path = root / spec["file"]
        size = spec["length"] * np.dtype(spec["dtype"]).itemsize * int(np.prod(spec["tail"] or [1]))
        if path.exists() and path.stat().st_size > size:
            os.truncate(path, size)
        elif not path.exists():
            path.touch()


def update_index(store: Store, fold_all: bool = False) -> dict:
    """Bring the analysis arrays up to the store's manifest and fold new spends into the
    output segments (see ``fold_spends``); returns what was done."""
    t0 = time.perf_counter()
    root = store.root
    (root / "rooms" / ROOM).mkdir(parents=True, exist_ok=True)
    m = store.manifest
    feed, store.index_feed = store.index_feed, None
    fed = feed is not None and feed.covers(m.counts)
    if fed:
        # the ingest of this process appended every array as it went (see index_feed)
        entry, rebuilt = feed.finish(), feed.fresh
    else:
        if feed is not None:
            feed.discard()
        old = m.extra.get(ROOM)
        rebuilt = old is None or diverged(store, old)
        entry = fresh_entry(uuid.uuid4().hex[:10]) if rebuilt else _copy(old)
        cut_back(root, entry)
        up = entry["upto"]
        app = Appender(root, entry)
        try:
            _append_txs(root, m, app, up["txs"])
            _append_addresses(root, m, app, up["addresses"])
            app.flush()
            _append_outputs(root, m, app, up["outputs"], _address_lookup(root, entry))
            _append_inputs(root, m, app, up["inputs"])
        finally:
            app.close()
    t_arrays = time.perf_counter()
    budget = index_lookups.INDEX_MEMORY_BYTES
    _scatter_spends(root, entry, budget)
    # folding spends into the output segments (Parquet I/O) runs on a second thread while
    # this one builds the lookups: both release the GIL, and share the budget
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fold-spends") as pool:
        fold = pool.submit(_timed_fold, root, list(m.segments["outputs"]), {"arrays": entry["arrays"]},
                           fold_all, budget // 4)
        entry["lookups"] = index_lookups.build_lookups(root, entry, budget - budget // 4)
        t1 = time.perf_counter()
        (out_segments, folded), fold_seconds = fold.result()
    entry["upto"] = {k: m.counts[k] for k in ("blocks", "txs", "outputs", "inputs", "addresses")}
    entry["last_block_hash"] = _last_block_hash(store)
    entry["files"] = [s["file"] for s in entry["arrays"].values()] + [
        s["file"] for s in entry["lookups"].values()]
    entry["built"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    new = Manifest.from_dict(json.loads(store.manifest.to_json()))
    new.extra[ROOM] = entry
    new.segments["outputs"] = out_segments
    store.commit(new)
    return {"rebuilt": rebuilt, "fed": fed,
            "seconds": time.perf_counter() - t0, "arrays_seconds": t_arrays - t0,
            "lookups_seconds": t1 - t_arrays, "folded_segments": folded,
            "fold_seconds": fold_seconds, **entry["upto"]}


def _timed_fold(*args) -> tuple[tuple[list[Segment], int], float]:
    t0 = time.perf_counter()
    r = fold_spends(*args)
    return r, time.perf_counter() - t0


FOLD_FRACTION = 0.01  # rewrite a segment once this share of its outputs has unfolded spends
DELTA_BUDGET = 0.05  # ... or once its unfolded spends span this share of all inputs


def fold_spends(root: Path, segments: list[Segment], entry: dict, fold_all: bool = False,
                budget: int | None = None) -> tuple[list[Segment], int]:
    """Write spending_tx_id/spending_input_id into the output segments that need it.

    A segment's spends by inputs below its `spends_upto` are in its file; the
    outputs view joins later inputs. Folding bounds that join: segments with
    no new spends just move their mark; others are rewritten when enough of
    their outputs are newly spent, or their mark lags too far behind. The
    inputs are read in chunks, and the spends of the segments to rewrite are
    gathered a group of segments at a time (``_spends_by_group``), so this
    holds about `budget` bytes besides a row group.
    """
    budget = budget or index_lookups.INDEX_MEMORY_BYTES // 4
    specs = entry["arrays"]
    n_in = specs["in_spent"]["length"]
    low = min(((sg.spends_upto or 0) for sg in segments), default=n_in)
    if low >= n_in:
        return segments, 0
    firsts = np.array([sg.first_id for sg in segments], np.int64)
    uptos = np.array([sg.spends_upto or 0 for sg in segments], np.int64)
    pending = np.zeros(len(segments), np.int64)
    for at, spent in read_chunks(root / specs["in_spent"]["file"], np.int64, (), low, n_in,
                                 index_lookups.chunk_rows(budget)):
        ok = np.flatnonzero(spent >= 0)
        seg_of = np.searchsorted(firsts, spent[ok], side="right") - 1
        new = ok + at >= uptos[seg_of]
        pending += np.bincount(seg_of[new], minlength=len(segments))
    out: list[Segment | None] = []
    for k, sg in enumerate(segments):
        upto = sg.spends_upto or 0
        lagging = n_in - upto > DELTA_BUDGET * n_in
        if upto >= n_in:
            out.append(sg)
        elif pending[k] == 0:
            out.append(Segment(**{**sg.__dict__, "spends_upto": n_in}))
        elif fold_all or lagging or pending[k] >= FOLD_FRACTION * sg.rows:
            out.append(None)  # rewritten below
        else:
            out.append(sg)
    todo = [k for k, sg in enumerate(out) if sg is None]
    for group, spends in _spends_by_group(root, specs, segments, todo, budget):
        for k in group:
            out[k] = _fold_one(root, segments[k], spends[k], n_in)
    return out, len(todo)


SPEND_REC = np.dtype([("o", "<i8"), ("i", "<i8"), ("t", "<i8")])  # output, spending input, its tx


def _spends_by_group(root: Path, specs: dict, segments: list[Segment], todo: list[int], budget: int):
    """(segment indices, {k: (spending input, spending tx) of each output id of segment k}) of
    consecutive groups of the segments `todo`, each group's arrays about budget/2 bytes:
    one pass over the inputs that may spend them scatters the spends into group files."""
    if not todo:
        return
    cost = np.array([(segments[k].last_id - segments[k].first_id + 1) * (16 + SPEND_REC.itemsize)
                     for k in todo], np.int64)
    raw = (np.cumsum(cost) - cost) // max(1, budget // 2)
    group_of = np.concatenate([[0], np.cumsum(np.diff(raw) > 0)]).astype(np.int64)
    n_groups = int(group_of[-1]) + 1
    n_in = specs["in_spent"]["length"]
    firsts = np.array([sg.first_id for sg in segments], np.int64)
    group_of_seg = np.full(len(segments), -1, np.int64)
    group_of_seg[todo] = group_of
    # an input spends an output of an earlier tx, and inputs are in tx order: no input before
    # the first of the tx of the first output to fold spends any of them
    first_out = segments[todo[0]].first_id
    out_tx = np.fromfile(root / specs["out_tx"]["file"], np.int64, 1, offset=8 * first_out)
    in_tx = np.memmap(root / specs["in_tx"]["file"], np.int64, "r", shape=(n_in,))
    start = int(np.searchsorted(in_tx, out_tx[0])) if len(out_tx) else 0
    del in_tx
    tmp = root / "state" / f"fold-{uuid.uuid4().hex[:10]}"
    tmp.mkdir(parents=True)
    bk = index_lookups.Buckets(tmp, "spends", n_groups, SPEND_REC)
    try:
        rows = index_lookups.chunk_rows(budget)
        spent_chunks = read_chunks(root / specs["in_spent"]["file"], np.int64, (), start, n_in, rows)
        tx_chunks = read_chunks(root / specs["in_tx"]["file"], np.int64, (), start, n_in, rows)
        for (at, spent), (_, tx) in zip(spent_chunks, tx_chunks):
            ok = np.flatnonzero(spent >= 0)
            g = group_of_seg[np.searchsorted(firsts, spent[ok], side="right") - 1]
            keep = g >= 0
            ok, g = ok[keep], g[keep]
            recs = np.empty(len(ok), SPEND_REC)
            recs["o"], recs["i"], recs["t"] = spent[ok], ok + at, tx[ok]
            bk.add(g.astype(np.uint16) if n_groups <= 1 << 16 else g, recs)
        bk.done_adding()
        for g in range(n_groups):
            recs = bk.take(g)
            group = [k for k, gk in zip(todo, group_of) if gk == g]
            seg_of = np.searchsorted(firsts, recs["o"], side="right") - 1
            order = np.argsort(seg_of, kind="stable")  # by segment, each in input order
            recs, seg_of = recs[order], seg_of[order]
            los, his = np.searchsorted(seg_of, group, "left"), np.searchsorted(seg_of, group, "right")
            spends = {}
            for k, lo, hi in zip(group, los, his):
                sg, mine = segments[k], recs[lo:hi]
                by = np.full(sg.last_id - sg.first_id + 1, -1, np.int64)
                tx_of = np.full(len(by), -1, np.int64)
                by[mine["o"] - sg.first_id] = mine["i"]
                tx_of[mine["o"] - sg.first_id] = mine["t"]
                spends[k] = (sg.first_id, by, tx_of)
            del recs
            yield group, spends
    finally:
        bk.close()
        shutil.rmtree(tmp, ignore_errors=True)


def _fold_one(root: Path, sg: Segment, spends: tuple[int, np.ndarray, np.ndarray], n_in: int) -> Segment:
    """A copy of the segment with its spends written in, one row group at a time (so the
    memory this takes is that of a row group and the segment's spends)."""
    schema = TABLES["outputs"]
    w = SegmentWriter(root, "outputs")
    try:
        pf = pq.ParquetFile(root / sg.file)
        for g in range(pf.num_row_groups):
            t = pf.read_row_group(g)
            if t.schema != schema:
                t = t.cast(schema)
            w.write(_with_spends(t, spends, n_in))
        seg = w.close()
    except BaseException:
        w.abort()
        raise
    seg.spends_upto = n_in
    return seg


def _with_spends(t: pa.Table, spends: tuple[int, np.ndarray, np.ndarray], n_in: int) -> pa.Table:
    first, by, tx_of = spends
    at = t.column("output_id").to_numpy() - first
    sb, tx = by[at], tx_of[at]
    valid = (sb >= 0) & (sb < n_in)
    sb_safe = np.where(valid, sb, 0)
    tx = np.where(valid, tx, 0)
    t = t.set_column(t.schema.get_field_index("spending_input_id"), "spending_input_id",
                     pa.array(sb_safe, pa.int64(), mask=~valid))
    return t.set_column(t.schema.get_field_index("spending_tx_id"), "spending_tx_id",
                        pa.array(tx, pa.int64(), mask=~valid))


def _copy(entry: dict) -> dict:
    return json.loads(json.dumps(entry))


def _last_block_hash(store: Store) -> str | None:
    n = store.manifest.counts["blocks"]
    if n == 0:
        return None
    con = store.connect()
    try:
        return con.sql("SELECT lower(hex(hash)) FROM blocks_raw WHERE chain_seq = ?",
                       params=[n - 1]).fetchall()[0][0]
    finally:
        con.close()


def _append_txs(root, m, app: Appender, start: int) -> None:
    for rb in _rows(root, m.segments["txs"], "txs", start, TX_COLUMNS):
        append_tx_rows(app, rb)


TX_COLUMNS = ["tx_id", "txid", "height", "version", "locktime", "vsize", "is_coinbase", "is_segwit",
              "n_inputs", "n_outputs", "input_value", "output_value", "fee", "first_input_id",
              "first_output_id", "time"]


def append_tx_rows(app: Appender, rb: pa.RecordBatch) -> None:
    """The per-tx arrays of a batch of `txs` rows (from Parquet, or as ingest built them)."""
    h = rb.column(rb.schema.get_field_index("txid"))
    app.append("tx_hash", np.frombuffer(h.buffers()[1], np.uint8)[h.offset * 32:(h.offset + len(h)) * 32]
               .reshape(-1, 32))
    app.append("tx_first_in", _np(rb, "first_input_id", np.int64))
    app.append("tx_first_out", _np(rb, "first_output_id", np.int64))
    app.append("tx_n_in", _np(rb, "n_inputs", np.int32))
    app.append("tx_n_out", _np(rb, "n_outputs", np.int32))
    app.append("tx_height", _np(rb, "height", np.int32))
    app.append("tx_time", _np(rb, "time", np.uint32, 0))
    app.append("tx_version", _np(rb, "version", np.int32))
    app.append("tx_locktime", _np(rb, "locktime", np.uint32, 0))
    app.append("tx_vsize", _np(rb, "vsize", np.int32))
    flags = (_np(rb, "is_coinbase", np.uint8, 0) * FLAG_COINBASE
             | _np(rb, "is_segwit", np.uint8, 0) * FLAG_SEGWIT)
    app.append("tx_flags", flags.astype(np.uint8))
    app.append("tx_in_value", _np(rb, "input_value", np.int64))
    app.append("tx_out_value", _np(rb, "output_value", np.int64))
    app.append("tx_fee", _np(rb, "fee", np.int64))


def _append_addresses(root, m, app: Appender, start: int) -> None:
    for rb in _rows(root, m.segments["addresses"], "addresses", start,
                    ["address_id", "address", "script_type", "first_height"]):
        append_address_rows(app, rb)


def append_address_rows(app: Appender, rb: pa.RecordBatch, hashes: tuple | None = None) -> None:
    """The per-address arrays of a batch of `addresses` rows (`hashes`: the two string hashes
    of its addresses, when the caller has them)."""
    col = rb.column(rb.schema.get_field_index("address"))
    ha, hb = hashes if hashes is not None else hash_string_array(col)
    app.append("addr_ha", ha)
    app.append("addr_hb", hb)
    if col.null_count:
        col = pc.fill_null(col, "")
    if pa.types.is_large_string(col.type):
        col = col.cast(pa.string())
    offs = np.frombuffer(col.buffers()[1], np.int32)[col.offset:col.offset + len(col) + 1].astype(np.int64)
    data = np.frombuffer(col.buffers()[2], np.uint8)[offs[0]:offs[-1]]
    base = entry_text_length(app)
    app.append("addr_end", base + offs[1:] - offs[0])
    app.append("addr_text", data)
    app.append("addr_first_height", _np(rb, "first_height", np.int32))
    app.append("addr_type", _type_codes(rb.column(rb.schema.get_field_index("script_type"))))


def entry_text_length(app: Appender) -> int:
    return app.entry["arrays"]["addr_text"]["length"]


def _address_lookup(root: Path, entry: dict) -> dict[str, np.ndarray]:
    a = ChainArrays(root, entry, {})
    ha = np.asarray(a.addr_ha)
    order = np.argsort(ha, kind="stable")
    return {"addr_key": ha[order], "addr_key2": np.asarray(a.addr_hb)[order], "addr_id": order.astype(np.int64)}


def lookup_addresses(ha: np.ndarray, hb: np.ndarray, key: np.ndarray, key2: np.ndarray,
                     ids: np.ndarray) -> np.ndarray:
    """address_id of each (hash A, hash B), -1 where absent (ha == 0 marks a null address)."""
    out = np.full(len(ha), -1, np.int64)
    if len(key) == 0 or len(ha) == 0:
        return out
    order = np.argsort(ha, kind="stable")
    sorted_ha = ha[order]
    pos = np.searchsorted(key, sorted_ha)
    pos_c = np.minimum(pos, len(key) - 1)
    hit = (key[pos_c] == sorted_ha) & (sorted_ha != 0)
    # equal hash A with a different hash B is a (vanishingly rare) collision: scan the run
    ok = hit & (key2[pos_c] == hb[order])
    res = np.where(ok, ids[pos_c], -1)
    for k in np.nonzero(hit & ~ok)[0]:
        p = pos_c[k]
        while p < len(key) and key[p] == sorted_ha[k]:
            if key2[p] == hb[order[k]]:
                res[k] = ids[p]
                break
            p += 1
    out[order] = res
    return out


def _append_outputs(root, m, app: Appender, start: int, lookups: dict) -> None:
    for rb in _rows(root, m.segments["outputs"], "outputs", start,
                    ["output_id", "tx_id", "value", "script_type", "address"]):
        append_output_rows(app, rb)
        ha, hb = hash_string_array(rb.column(4))
        app.append("out_address", lookup_addresses(ha, hb, lookups["addr_key"], lookups["addr_key2"],
                                                   lookups["addr_id"]))


def append_output_rows(app: Appender, rb: pa.RecordBatch) -> None:
    """The per-output arrays of a batch of `outputs` rows, but for out_address (an address id,
    known once the addresses table has the batch's new addresses)."""
    app.append("out_tx", _np(rb, "tx_id", np.int64))
    app.append("out_value", _np(rb, "value", np.int64))
    app.append("out_type", _type_codes(rb.column(rb.schema.get_field_index("script_type"))))
    app.append("out_spent_by", np.full(rb.num_rows, -1, np.int64))


def _append_inputs(root, m, app: Appender, start: int) -> None:
    for rb in _rows(root, m.segments["inputs"], "inputs", start,
                    ["input_id", "tx_id", "spent_output_id", "sequence"]):
        append_input_rows(app, rb)


def append_input_rows(app: Appender, rb: pa.RecordBatch) -> None:
    """The per-input arrays of a batch of `inputs` rows."""
    app.append("in_tx", _np(rb, "tx_id", np.int64))
    app.append("in_spent", _np(rb, "spent_output_id", np.int64))
    app.append("in_sequence", _np(rb, "sequence", np.uint32, 0))


def _scatter_spends(root: Path, entry: dict, budget: int) -> None:
    """out_spent_by[o] = i for every input i (from spent_by_upto on) that spends output o: the
    inputs read in chunks, the outputs written through a map holding at most `budget` bytes."""
    specs = entry["arrays"]
    n_out, n_in = specs["out_spent_by"]["length"], specs["in_spent"]["length"]
    start = entry["spent_by_upto"]
    if n_out == 0 or n_in <= start:
        entry["spent_by_upto"] = n_in
        return
    target = Mapped(root / specs["out_spent_by"]["file"], np.int64, n_out, budget, write=True)
    try:
        # each input may dirty a page of its own
        rows = max(1, min(index_lookups.chunk_rows(budget), target.limit_pages))
        for at, spent in read_chunks(root / specs["in_spent"]["file"], np.int64, (), start, n_in, rows):
            ok = np.flatnonzero(spent >= 0)
            target.will_touch(len(ok))
            target.arr[spent[ok]] = ok + at
    finally:
        target.close(sync=True)
    with open(root / specs["out_spent_by"]["file"], "rb+") as f:
        os.fsync(f.fileno())
    entry["spent_by_upto"] = n_in
