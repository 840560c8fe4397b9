"""Executor-side work of `spark ingest`: index the headers of one block file,
and parse one run of consecutive blocks into staging Parquet files. Both call
the embedded pipeline's own code (framing, parse, validate, classify, the
table builder), so a Spark-built store is parsed exactly as an embedded one.

Plain functions over picklable dicts: Spark ships them to Python workers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.hashing import hash_to_hex, sha256d
from chaintrail.bitcoin.networks import get_network, target_from_bits
from chaintrail.ingest import utxo_kernels as UK
from chaintrail.sources.base import BlockLocation

STAGING_TABLES = ("blocks", "txs", "outputs", "inputs")


def _source(task: dict):
    from chaintrail.sources.files import BlkFile, SingleBlockFile

    path = Path(task["path"])
    if task["kind"] == "blk":
        return BlkFile(path, task["xor"])
    return SingleBlockFile(path, get_network(task["network"]) if task["network"] else None)


def scan_file(task: dict) -> list[dict]:
    """The header of every block framed in one source file, with its size in
    transactions, inputs and outputs (what id assignment needs), in file order."""
    from chaintrail.bitcoin import parse_kernels as P
    from chaintrail.ingest.parse_batch import concat_blocks
    from chaintrail.ingest.pipeline import _coinbase_height
    from chaintrail.sources.files import read_location

    rows: list[dict] = []
    datas: list[bytes] = []
    for k, rb in enumerate(_source(task).scan()):
        loc = rb.location
        data = rb.data if len(rb.data) == loc.length or loc.fmt == "hex" else read_location(loc)
        header = bytes(data[:80])
        row = {"src": task["src"], "file": task["file"], "k": k, "kind": loc.kind, "path": loc.path,
               "offset": loc.offset, "length": loc.length, "xor": loc.xor_key, "fmt": loc.fmt,
               "network": rb.network.name if rb.network else None, "error": None,
               "hash": None, "prev_hash": None, "version": 0, "time": 0, "bits": 0, "bip34": None,
               "n_tx": 0, "n_in": 0, "n_out": 0}
        rows.append(row)
        datas.append(bytes(data))
        if len(data) < 81:
            row["error"] = f"{loc.describe()}: {len(data)} bytes is too short for a block"
            continue
        h = hash_to_hex(sha256d(header))
        version = int.from_bytes(header[0:4], "little", signed=True)
        bits = int.from_bytes(header[72:76], "little")
        row.update(hash=h, prev_hash=hash_to_hex(header[4:36]), version=version,
                   time=int.from_bytes(header[68:72], "little"), bits=bits,
                   bip34=_coinbase_height(data) if version >= 2 else None)
    good = [i for i, r in enumerate(rows) if r["error"] is None]
    if good:
        buf, offs, lens = concat_blocks([datas[i] for i in good])
        nb = len(good)
        n_tx, n_in, n_out = (np.zeros(nb, np.int64) for _ in range(3))
        err, err_pos = np.zeros(nb, np.int64), np.zeros(nb, np.int64)
        P.count_blocks(buf, offs, lens, n_tx, n_in, n_out, err, err_pos)
        for j, i in enumerate(good):
            r = rows[i]
            r.update(n_tx=int(n_tx[j]), n_in=int(n_in[j]), n_out=int(n_out[j]))
            if err[j]:
                r["error"] = (f"block {r['hash']} ({r['path']} offset {r['offset'] + int(err_pos[j] - offs[j])}): "
                              f"{P.ERROR_TEXT[int(err[j])]}")
    return rows


def pow_problem(row: dict, pow_limit: int) -> str | None:
    """Why a header fails its proof of work (as the embedded ingest checks it), or None."""
    target = target_from_bits(row["bits"])
    if target <= 0 or target > pow_limit or int(row["hash"], 16) > target:
        return (f"block {row['hash']} ({row['path']} offset {row['offset']}): proof of work does not "
                f"meet nBits {row['bits']:08x}")
    return None


def _spark_friendly(t: pa.Table) -> pa.Table:
    """Fixed-size hashes as plain binary and dictionary columns as strings (what Spark reads)."""
    cols, fields = [], []
    for f, c in zip(t.schema, t.columns):
        if pa.types.is_fixed_size_binary(f.type):
            c = c.cast(pa.binary())
        elif pa.types.is_dictionary(f.type):
            c = c.cast(pa.string())
        cols.append(c)
        fields.append(pa.field(f.name, c.type))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def parse_run(task: dict) -> dict:
    """Parse, validate and tabulate one run of blocks with consecutive chain positions,
    writing its staging files; returns counts, or the refusal of its first bad block."""
    from chaintrail.bitcoin.address_kernels import encode_addresses_arrow
    from chaintrail.ingest.parse_batch import concat_blocks, parse_batch_at, validate_batch
    from chaintrail.ingest.pipeline import _classify
    from chaintrail.ingest.tables import Placement, Resolved, build_tables
    from chaintrail.sources.files import read_location
    from chaintrail.spark.target import StoreTarget

    net = get_network(task["network"])
    blocks = task["blocks"]
    locs = [BlockLocation(b["kind"], b["path"], b["offset"], b["length"], b["xor"], b["fmt"]) for b in blocks]
    buf, offs, lens = concat_blocks([read_location(loc) for loc in locs])
    pb, problem = parse_batch_at(buf, offs, lens)

    def refuse(b: int, reason: str, offset_in_block: int | None = None) -> dict:
        loc = locs[b]
        where = loc.describe()
        if offset_in_block is not None and loc.fmt != "hex":
            where = f"{loc.path} offset {loc.offset + offset_in_block}"
        return {"error": f"block {blocks[b]['hash']} ({where}): {reason}", "chain_seq": blocks[b]["chain_seq"]}

    if problem:
        return refuse(problem.index, problem.reason, problem.offset_in_block)
    for b in range(pb.n_blocks):
        have = hash_to_hex(pb.block_hash[b].tobytes())
        if have != blocks[b]["hash"]:
            return refuse(b, f"bytes read back hash to {have}; the file changed since it was scanned")
    problem = validate_batch(pb)
    if problem:
        return refuse(problem.index, problem.reason)
    cls = _classify(pb)
    # the embedded ingest's rule for what enters the UTXO set (pipeline._apply_batch)
    first_byte = np.where(pb.out_script_len > 0, pb.buf[np.minimum(pb.out_script_off, len(pb.buf) - 1)], 0)
    spendable = ~((pb.out_script_len > 0) & (first_byte == 0x6A)) & (pb.out_script_len <= 10_000)
    ni, nt = len(pb.in_prev_off), pb.n_txs
    res = Resolved(np.full(ni, -1, np.int64), np.full(ni, -1, np.int64), np.full(ni, st.NONSTANDARD, np.uint8),
                   np.zeros(ni, np.uint8), np.zeros(ni, np.uint8), np.zeros((ni, UK.PAYLOAD), np.uint8),
                   np.zeros(nt, np.int64))
    b0 = blocks[0]
    heights = np.array([-1 if b["height"] is None else b["height"] for b in blocks], np.int64)
    place = Placement(b0["chain_seq"], b0["tx_id"], b0["output_id"], b0["input_id"], heights)
    tables = build_tables(pb, place, cls, res, net, encode_addresses_arrow)
    in_tx = np.repeat(np.arange(nt), pb.tx_nin)
    coinbase = pb.tx_coinbase()
    main = np.array([b["main"] for b in blocks], np.bool_)
    t = tables["txs"].drop_columns(["input_value", "fee"])
    tables["txs"] = t
    tables["inputs"] = (tables["inputs"].drop_columns(["spent_output_id", "value", "address", "script_type"])
                        .append_column("coinbase", pa.array(coinbase[in_tx]))
                        .append_column("main", pa.array(main[pb.tx_block[in_tx]])))
    o = tables["outputs"].drop_columns(["spending_tx_id", "spending_input_id"])
    o = (o.append_column("spendable", pa.array(spendable))
         .append_column("meta", pa.array(cls.stype.astype(np.int64) | (cls.wver.astype(np.int64) << 8)
                                         | (cls.plen.astype(np.int64) << 16)))
         .append_column("payload", pa.FixedSizeBinaryArray.from_buffers(
             pa.binary(UK.PAYLOAD), len(cls.stype), [None, pa.py_buffer(np.ascontiguousarray(cls.payload))])
             .cast(pa.binary())))
    tables["outputs"] = o
    target = StoreTarget(task["store"])
    import pyarrow.parquet as pq

    for name in STAGING_TABLES:
        with target.open_output(f"{task['staging']}/{name}/run-{b0['chain_seq']:012d}.parquet") as f:
            pq.write_table(_spark_friendly(tables[name]), f, compression="zstd", compression_level=1)
    return {"error": None, "blocks": pb.n_blocks, "txs": nt, "inputs": ni, "outputs": len(pb.out_value),
            "bytes": int(lens.sum())}
