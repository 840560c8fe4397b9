"""Building and updating the analysis arrays (``arrays.py``) from the store's
Parquet segments. Per-id arrays grow by appending to their files, so an
update after new blocks costs only the new rows; lookups (txid and address
keys, each address's outputs) are rebuilt whole. A reorg or a loose block
finding its place (ids reassigned) makes the next update rebuild everything.

The manifest entry records each array's length: bytes beyond it (a crash
mid-update) are cut off before appending, so an interrupted update leaves
the last committed index and a re-run finishes it.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chaintrail.bitcoin import script_types as st
from chaintrail.store.arrays import FLAG_COINBASE, FLAG_SEGWIT, LOOKUPS, ROOM, SCHEMA, ChainArrays
from chaintrail.store.manifest import Manifest, Segment
from chaintrail.store.schema import ID_COLUMN, TABLES
from chaintrail.store.segments import write_table_segment
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
    names = col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col
    idx = pc.index_in(names, value_set=_TYPE_NAMES)
    return pc.fill_null(idx, st.NONSTANDARD).to_numpy(zero_copy_only=False).astype(np.uint8)


class _Appender:
    """Appends to the per-id array files of one index entry."""

    def __init__(self, root: Path, entry: dict):
        self.root = root
        self.entry = entry
        self._files: dict[str, object] = {}

    def append(self, name: str, arr: np.ndarray) -> None:
        spec = self.entry["arrays"][name]
        arr = np.ascontiguousarray(arr, dtype=np.dtype(spec["dtype"]))
        f = self._files.get(name)
        if f is None:
            f = self._files[name] = open(self.root / spec["file"], "ab")
        f.write(arr.tobytes())
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


def _fresh_entry(tag: str) -> dict:
    arrays = {
        name: {"file": f"rooms/{ROOM}/{name}-{tag}.bin", "dtype": dtype, "tail": list(tail), "length": 0}
        for name, (_, dtype, tail) in SCHEMA.items()
    }
    return {"arrays": arrays, "lookups": {}, "upto": {k: 0 for k in ("blocks", "txs", "outputs", "inputs",
                                                                      "addresses")},
            "spent_by_upto": 0, "last_block_hash": None, "files": []}


def _diverged(store: Store, entry: dict) -> bool:
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


def update_index(store: Store, fold_all: bool = False) -> dict:
    """Bring the analysis arrays up to the store's manifest and fold new spends into the
    output segments (see ``fold_spends``); returns what was done."""
    t0 = time.perf_counter()
    root = store.root
    (root / "rooms" / ROOM).mkdir(parents=True, exist_ok=True)
    old = store.manifest.extra.get(ROOM)
    rebuilt = old is None or _diverged(store, old)
    entry = _fresh_entry(uuid.uuid4().hex[:10]) if rebuilt else _copy(old)
    for spec in entry["arrays"].values():  # cut off what an interrupted update appended
        path = root / spec["file"]
        size = spec["length"] * np.dtype(spec["dtype"]).itemsize * int(np.prod(spec["tail"] or [1]))
        if path.exists() and path.stat().st_size > size:
            os.truncate(path, size)
        elif not path.exists():
            path.touch()
    m = store.manifest
    up = entry["upto"]
    app = _Appender(root, entry)
    try:
        _append_txs(root, m, app, up["txs"])
        _append_addresses(root, m, app, up["addresses"])
        app.flush()
        lookups = _address_lookup(root, entry)
        _append_outputs(root, m, app, up["outputs"], lookups)
        _append_inputs(root, m, app, up["inputs"])
    finally:
        app.close()
    _scatter_spends(root, entry, m)
    lookups.update(_txid_lookup(root, entry))
    lookups.update(_address_outputs(root, entry))
    entry["lookups"] = _write_lookups(root, lookups)
    entry["upto"] = {k: m.counts[k] for k in ("blocks", "txs", "outputs", "inputs", "addresses")}
    entry["last_block_hash"] = _last_block_hash(store)
    entry["files"] = [s["file"] for s in entry["arrays"].values()] + [
        s["file"] for s in entry["lookups"].values()]
    entry["built"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    new = Manifest.from_dict(json.loads(store.manifest.to_json()))
    new.extra[ROOM] = entry
    t1 = time.perf_counter()
    new.segments["outputs"], folded = fold_spends(root, new.segments["outputs"], entry, fold_all)
    store.commit(new)
    return {"rebuilt": rebuilt, "seconds": time.perf_counter() - t0, "folded_segments": folded,
            "fold_seconds": time.perf_counter() - t1, **entry["upto"]}


FOLD_FRACTION = 0.01  # rewrite a segment once this share of its outputs has unfolded spends
DELTA_BUDGET = 0.05  # ... or once its unfolded spends span this share of all inputs


def fold_spends(root: Path, segments: list[Segment], entry: dict, fold_all: bool = False
                ) -> tuple[list[Segment], int]:
    """Write spending_tx_id/spending_input_id into the output segments that need it.

    A segment's spends by inputs below its `spends_upto` are in its file; the
    outputs view joins later inputs. Folding bounds that join: segments with
    no new spends just move their mark; others are rewritten when enough of
    their outputs are newly spent, or their mark lags too far behind.
    """
    a = ChainArrays(root, entry, {})
    n_in = entry["arrays"]["in_spent"]["length"]
    low = min(((sg.spends_upto or 0) for sg in segments), default=n_in)
    if low >= n_in:
        return segments, 0
    in_spent = np.asarray(a.in_spent[low:n_in])
    input_ids = np.arange(low, n_in, dtype=np.int64)
    ok = in_spent >= 0
    in_spent, input_ids = in_spent[ok], input_ids[ok]
    firsts = np.array([sg.first_id for sg in segments], np.int64)
    seg_of = np.searchsorted(firsts, in_spent, side="right") - 1
    out: list[Segment] = []
    folded = 0
    for k, sg in enumerate(segments):
        upto = sg.spends_upto or 0
        if upto >= n_in:
            out.append(sg)
            continue
        pending = int(np.count_nonzero((seg_of == k) & (input_ids >= upto)))
        lagging = n_in - upto > DELTA_BUDGET * n_in
        if pending == 0:
            out.append(Segment(**{**sg.__dict__, "spends_upto": n_in}))
        elif fold_all or lagging or pending >= FOLD_FRACTION * sg.rows:
            out.append(_fold_one(root, sg, a, n_in))
            folded += 1
        else:
            out.append(sg)
    return out, folded


def _fold_one(root: Path, sg: Segment, a: ChainArrays, n_in: int) -> Segment:
    t = pq.read_table(root / sg.file, schema=TABLES["outputs"])
    ids = t.column("output_id").to_numpy()
    sb = np.asarray(a.out_spent_by)[ids]
    valid = (sb >= 0) & (sb < n_in)
    sb_safe = np.where(valid, sb, 0)
    tx = np.asarray(a.in_tx)[sb_safe]
    t = t.set_column(t.schema.get_field_index("spending_input_id"), "spending_input_id",
                     pa.array(sb_safe, pa.int64(), mask=~valid))
    t = t.set_column(t.schema.get_field_index("spending_tx_id"), "spending_tx_id",
                     pa.array(tx, pa.int64(), mask=~valid))
    seg = write_table_segment(root, "outputs", t)
    seg.spends_upto = n_in
    return seg


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


def _append_txs(root, m, app: _Appender, start: int) -> None:
    cols = ["tx_id", "txid", "height", "version", "locktime", "vsize", "is_coinbase", "is_segwit",
            "n_inputs", "n_outputs", "input_value", "output_value", "fee", "first_input_id",
            "first_output_id", "time"]
    for rb in _rows(root, m.segments["txs"], "txs", start, cols):
        h = rb.column(1)
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


def _append_addresses(root, m, app: _Appender, start: int) -> None:
    for rb in _rows(root, m.segments["addresses"], "addresses", start,
                    ["address_id", "address", "script_type", "first_height"]):
        col = rb.column(1)
        ha, hb = hash_string_array(col)
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
        app.append("addr_type", _type_codes(rb.column(2)))


def entry_text_length(app: _Appender) -> int:
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


def _append_outputs(root, m, app: _Appender, start: int, lookups: dict) -> None:
    for rb in _rows(root, m.segments["outputs"], "outputs", start,
                    ["output_id", "tx_id", "value", "script_type", "address"]):
        app.append("out_tx", _np(rb, "tx_id", np.int64))
        app.append("out_value", _np(rb, "value", np.int64))
        app.append("out_type", _type_codes(rb.column(3)))
        ha, hb = hash_string_array(rb.column(4))
        app.append("out_address", lookup_addresses(ha, hb, lookups["addr_key"], lookups["addr_key2"],
                                                   lookups["addr_id"]))
        app.append("out_spent_by", np.full(rb.num_rows, -1, np.int64))


def _append_inputs(root, m, app: _Appender, start: int) -> None:
    for rb in _rows(root, m.segments["inputs"], "inputs", start,
                    ["input_id", "tx_id", "spent_output_id", "sequence"]):
        app.append("in_tx", _np(rb, "tx_id", np.int64))
        app.append("in_spent", _np(rb, "spent_output_id", np.int64))
        app.append("in_sequence", _np(rb, "sequence", np.uint32, 0))


def _scatter_spends(root: Path, entry: dict, m) -> None:
    """out_spent_by[o] = i for every input i (from spent_by_upto on) that spends output o."""
    specs = entry["arrays"]
    n_out, n_in = specs["out_spent_by"]["length"], specs["in_spent"]["length"]
    start = entry["spent_by_upto"]
    if n_out == 0 or n_in <= start:
        entry["spent_by_upto"] = n_in
        return
    spent = np.memmap(root / specs["in_spent"]["file"], np.int64, "r", shape=(n_in,))[start:]
    target = np.memmap(root / specs["out_spent_by"]["file"], np.int64, "r+", shape=(n_out,))
    ids = np.arange(start, n_in, dtype=np.int64)
    ok = spent >= 0
    target[spent[ok]] = ids[ok]
    target.flush()
    del target
    entry["spent_by_upto"] = n_in


def _txid_lookup(root: Path, entry: dict) -> dict[str, np.ndarray]:
    a = ChainArrays(root, entry, {})
    h = np.asarray(a.tx_hash)
    keys = np.ascontiguousarray(h[:, :8]).view("<u8").reshape(-1) if len(h) else np.zeros(0, np.uint64)
    order = np.argsort(keys, kind="stable")
    return {"txid_key": keys[order], "txid_tx": order.astype(np.int64)}


def _address_outputs(root: Path, entry: dict) -> dict[str, np.ndarray]:
    a = ChainArrays(root, entry, {})
    addr = np.asarray(a.out_address)
    n_addr = entry["arrays"]["addr_ha"]["length"]
    has = np.nonzero(addr >= 0)[0]
    order = has[np.argsort(addr[has], kind="stable")]
    counts = np.bincount(addr[has], minlength=n_addr) if len(has) else np.zeros(n_addr, np.int64)
    start = np.zeros(n_addr + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    return {"ao_start": start, "ao_ids": order.astype(np.int64)}


def _write_lookups(root: Path, lookups: dict[str, np.ndarray]) -> dict:
    tag = uuid.uuid4().hex[:10]
    out = {}
    for name, arr in lookups.items():
        dtype, tail = LOOKUPS[name]
        rel = f"rooms/{ROOM}/{name}-{tag}.bin"
        arr = np.ascontiguousarray(arr, dtype=np.dtype(dtype))
        with open(root / rel, "wb") as f:
            f.write(arr.tobytes())
            f.flush()
            os.fsync(f.fileno())
        out[name] = {"file": rel, "dtype": dtype, "tail": list(tail), "length": int(arr.shape[0])}
    return out
