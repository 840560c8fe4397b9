"""Turn a parsed, resolved batch into the Arrow tables of the store contract
(blocks, txs, outputs, inputs). Columnar throughout: no per-row Python."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.networks import Network
from chaintrail.ingest.hash_columns import display_order, hash_array, hash_rows, hashes_at
from chaintrail.ingest.parse_batch import ParsedBatch
from chaintrail.store import schema as S

_TYPE_NAMES = pa.array(st.NAMES, pa.string())
# scripts kept verbatim in outputs.script: those with no address to stand for them
_KEEP_SCRIPT = np.zeros(len(st.NAMES), np.bool_)
_KEEP_SCRIPT[[st.MULTISIG, st.OP_RETURN, st.NONSTANDARD]] = True


@dataclass
class Placement:
    """Where a batch lands: its ids and the height of each of its blocks (-1 if unknown)."""

    chain_seq0: int
    tx_id0: int
    output_id0: int
    input_id0: int
    heights: np.ndarray  # int64 per block, -1 = unknown


@dataclass
class Resolved:
    """Spend resolution of a batch's inputs (see utxo_kernels.resolve)."""

    in_spent_oid: np.ndarray
    in_value: np.ndarray
    in_stype: np.ndarray
    in_wver: np.ndarray
    in_plen: np.ndarray
    in_payload: np.ndarray
    tx_in_value: np.ndarray


@dataclass
class Classified:
    """Script type, witness version, payload length and payload of every output."""

    stype: np.ndarray
    wver: np.ndarray
    plen: np.ndarray
    payload: np.ndarray


def _nullable(values: np.ndarray, null: np.ndarray) -> pa.Array:
    return pa.array(values, mask=null) if null.any() else pa.array(values)


def _script_types(codes: np.ndarray, null: np.ndarray | None = None) -> pa.DictionaryArray:
    idx = pa.array(codes.astype(np.int8), mask=null) if null is not None and null.any() else pa.array(codes.astype(np.int8))
    return pa.DictionaryArray.from_arrays(idx, _TYPE_NAMES)


ALL_TABLES = frozenset({"blocks", "txs", "outputs", "inputs"})


def build_tables(pb: ParsedBatch, place: Placement, cls: Classified, res: Resolved,
                 network: Network, encode_addresses, parts: frozenset[str] = ALL_TABLES
                 ) -> dict[str, pa.Table]:
    """The tables of one batch (all four, or those named in `parts`), ids and heights assigned."""
    nt = pb.n_txs
    ni, no = len(pb.in_prev_off), len(pb.out_value)
    tx_h = place.heights[pb.tx_block]
    tx_ids = place.tx_id0 + np.arange(nt, dtype=np.int64)
    out_tx = np.repeat(np.arange(nt, dtype=np.int64), pb.tx_nout)
    in_tx = np.repeat(np.arange(nt, dtype=np.int64), pb.tx_nin)

    out: dict[str, pa.Table] = {}
    txid_disp = display_order(pb.txid)
    blk_time = pb.header["time"].astype(np.int64)
    if parts & {"txs", "blocks"}:
        out.update(_tx_tables(pb, place, res, tx_h, tx_ids, txid_disp, blk_time, nt, no))
    if "outputs" in parts:
        out["outputs"] = _outputs_table(pb, place, cls, tx_h, tx_ids, txid_disp, out_tx, no, network,
                                        encode_addresses)
    if "inputs" in parts:
        out["inputs"] = _inputs_table(pb, place, res, tx_h, tx_ids, txid_disp, in_tx, ni, network,
                                      encode_addresses)
    return out


def _tx_tables(pb, place, res, tx_h, tx_ids, txid_disp, blk_time, nt, no) -> dict[str, pa.Table]:
    h_null_tx = tx_h < 0
    nb = pb.n_blocks
    heights = place.heights
    blk_h = heights
    # --- txs ---------------------------------------------------------------
    stripped = pb.tx_stripped_len()
    weight = stripped * 3 + pb.tx_len
    out_value_tx = np.add.reduceat(pb.out_value, pb.tx_first_out) if no else np.zeros(nt, np.int64)
    out_value_tx = np.where(pb.tx_nout > 0, out_value_tx, 0)  # reduceat quirk on empty ranges
    in_value_tx = res.tx_in_value
    in_null = in_value_tx < 0
    coinbase = pb.tx_coinbase()
    fee = np.where(coinbase, 0, in_value_tx - out_value_tx)
    block_pos = np.arange(nt, dtype=np.int64) - pb.first_tx[pb.tx_block]
    txs = pa.table({
        "tx_id": tx_ids,
        "txid": hash_rows(txid_disp, slice(None)),
        "wtxid": hash_array(pb.wtxid),
        "height": _nullable(tx_h, h_null_tx),
        "block_pos": block_pos,
        "version": pb.tx_version,
        "locktime": pb.tx_locktime.astype(np.int64),
        "size": pb.tx_len,
        "vsize": (weight + 3) // 4,
        "weight": weight,
        "is_coinbase": coinbase,
        "is_segwit": pb.tx_wit_off >= 0,
        "n_inputs": pb.tx_nin,
        "n_outputs": pb.tx_nout,
        "input_value": _nullable(in_value_tx, in_null),
        "output_value": out_value_tx,
        "fee": _nullable(fee, in_null),
        "first_input_id": place.input_id0 + pb.tx_first_in,
        "first_output_id": place.output_id0 + pb.tx_first_out,
        "time": blk_time[pb.tx_block],
    }, schema=S.TXS)

    # --- blocks ------------------------------------------------------------
    hdr = pb.header
    prev = np.frombuffer(hdr["prev_hash"].tobytes(), np.uint8).reshape(nb, 32)
    mroot = np.frombuffer(hdr["merkle_root"].tobytes(), np.uint8).reshape(nb, 32)
    blk_stripped = 80 + _varint_size(pb.n_tx) + np.add.reduceat(stripped, pb.first_tx)
    out_value_blk = np.add.reduceat(out_value_tx, pb.first_tx)
    blocks = pa.table({
        "height": _nullable(blk_h, blk_h < 0),
        "hash": hash_array(pb.block_hash),
        "prev_hash": hash_array(prev),
        "version": hdr["version"],
        "merkle_root": hash_array(mroot),
        "time": blk_time,
        "bits": hdr["bits"].astype(np.int64),
        "nonce": hdr["nonce"].astype(np.int64),
        "n_tx": pb.n_tx,
        "size": pb.blk_len,
        "stripped_size": blk_stripped,
        "weight": blk_stripped * 3 + pb.blk_len,
        "first_tx_id": place.tx_id0 + pb.first_tx,
        "first_output_id": place.output_id0 + pb.first_out,
        "first_input_id": place.input_id0 + pb.first_in,
        "n_outputs": pb.n_out,
        "n_inputs": pb.n_in,
        "output_value": out_value_blk,
        "chain_seq": place.chain_seq0 + np.arange(nb, dtype=np.int64),
    }, schema=S.BLOCKS)

    return {"blocks": blocks, "txs": txs}


def _outputs_table(pb, place, cls, tx_h, tx_ids, txid_disp, out_tx, no, network, encode_addresses):
    out_codes = cls.stype
    out_addr = encode_addresses(cls.stype, cls.wver, cls.plen, cls.payload, network)
    keep = _KEEP_SCRIPT[out_codes]
    scripts = _gather_binary(pb.buf, pb.out_script_off, pb.out_script_len, keep)
    out_h = tx_h[out_tx]
    outputs = pa.table({
        "output_id": place.output_id0 + np.arange(no, dtype=np.int64),
        "tx_id": tx_ids[out_tx],
        "txid": hash_rows(txid_disp, out_tx),
        "vout": np.arange(no, dtype=np.int64) - pb.tx_first_out[out_tx],
        "value": pb.out_value,
        "script_type": _script_types(out_codes),
        "address": out_addr,
        "height": _nullable(out_h, out_h < 0),
        "script": scripts,
        "spending_tx_id": pa.nulls(no, pa.int64()),
        "spending_input_id": pa.nulls(no, pa.int64()),
    }, schema=S.OUTPUTS)
    return outputs


def _inputs_table(pb, place, res, tx_h, tx_ids, txid_disp, in_tx, ni, network, encode_addresses):
    unresolved = res.in_spent_oid < 0
    in_addr = encode_addresses(res.in_stype, res.in_wver, res.in_plen, res.in_payload, network)
    in_h = tx_h[in_tx]
    inputs = pa.table({
        "input_id": place.input_id0 + np.arange(ni, dtype=np.int64),
        "tx_id": tx_ids[in_tx],
        "txid": hash_rows(txid_disp, in_tx),
        "vin": np.arange(ni, dtype=np.int64) - pb.tx_first_in[in_tx],
        "prev_txid": hashes_at(pb.buf, pb.in_prev_off),
        "prev_vout": pb.in_prev_vout.astype(np.int64),
        "spent_output_id": _nullable(res.in_spent_oid, unresolved),
        "value": _nullable(res.in_value, unresolved),
        "address": in_addr,
        "script_type": _script_types(res.in_stype, unresolved),
        "sequence": pb.in_seq.astype(np.int64),
        "height": _nullable(in_h, in_h < 0),
    }, schema=S.INPUTS)
    return inputs


def _varint_size(n: np.ndarray) -> np.ndarray:
    return np.where(n < 0xFD, 1, np.where(n <= 0xFFFF, 3, np.where(n <= 0xFFFFFFFF, 5, 9)))


def _gather_binary(buf: np.ndarray, off: np.ndarray, ln: np.ndarray, keep: np.ndarray) -> pa.Array:
    """Binary column with the scripts where keep is set, null elsewhere."""
    n = len(off)
    lens = np.where(keep, ln, 0)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    total = int(offsets[-1])
    sel = np.nonzero(keep)[0]
    idx = np.repeat(off[sel] - offsets[sel], ln[sel]) + np.arange(total)
    data = buf[idx] if total else np.zeros(0, np.uint8)
    validity = pa.array(keep).buffers()[1]
    arr = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n, [validity, pa.py_buffer(offsets), pa.py_buffer(data)])
    return arr.cast(pa.binary())
