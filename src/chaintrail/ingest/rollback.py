"""Rolling the store back to an earlier point of its applied order: undo the
UTXO changes of the blocks past it and trim every table to the ids before
it. Used for reorgs and when a loose block finds its place in the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from chaintrail.bitcoin import script_types as st
from chaintrail.bitcoin.address import decode_address
from chaintrail.ingest import utxo_kernels as UK
from chaintrail.store.address_index import first_address_at_or_after
from chaintrail.store.duck import connect
from chaintrail.store.manifest import Manifest
from chaintrail.store.segments import truncate_segments, unspend_segments
from chaintrail.store.views import table_source

if TYPE_CHECKING:
    from chaintrail.ingest.pipeline import Ingester


def _keys(txids: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """UTXO key words of display-order txids (as stored)."""
    raw = np.frombuffer(b"".join(txids), np.uint8).reshape(-1, 32)[:, ::-1]
    k1 = raw[:, :8].copy().view("<u8").reshape(-1).astype(np.uint64)
    k2 = raw[:, 8:12].copy().view("<u4").reshape(-1).astype(np.uint32)
    return k1, k2


def rollback_to(ing: Ingester, p: int) -> None:
    """Remove applied blocks p.. from the store being written (and from the UTXO set)."""
    cut = ing.applied[p]
    root = ing.store.root
    view = Manifest(segments=ing.segments)
    con = connect()
    try:
        outs = con.sql(
            f"SELECT txid, vout, output_id FROM {table_source(root, view, 'outputs')} "
            f"WHERE output_id >= {cut.first_output_id}").fetchall()
        ins = con.sql(
            f"SELECT prev_txid, prev_vout, spent_output_id, value, CAST(script_type AS VARCHAR), "
            f"address FROM {table_source(root, view, 'inputs')} "
            f"WHERE input_id >= {cut.first_input_id} AND spent_output_id < {cut.first_output_id}"
        ).fetchall()
    finally:
        con.close()
    if outs:
        k1, k2 = _keys([r[0] for r in outs])
        ing.utxo.remove(k1, k2, np.array([r[1] for r in outs], np.uint32),
                        np.array([r[2] for r in outs], np.int64))
    if ins:
        n = len(ins)
        k1, k2 = _keys([r[0] for r in ins])
        stype = np.zeros(n, np.uint8)
        wver = np.zeros(n, np.uint8)
        plen = np.zeros(n, np.uint8)
        payload = np.zeros((n, UK.PAYLOAD), np.uint8)
        for j, (_, _, _, _, type_name, addr) in enumerate(ins):
            stype[j] = st.CODES[type_name]  # from the column: an address cannot tell p2pk from p2pkh
            if addr is not None:
                d = decode_address(addr, ing.net)
                wver[j] = d.witness_version
                plen[j] = len(d.payload)
                payload[j, :len(d.payload)] = np.frombuffer(d.payload, np.uint8)
        ing.utxo.restore(k1, k2, np.array([r[1] for r in ins], np.uint32),
                         np.array([r[2] for r in ins], np.int64),
                         np.array([r[3] for r in ins], np.int64), stype, wver, plen, payload)
    cuts = {"blocks": cut.chain_seq, "txs": cut.first_tx_id, "outputs": cut.first_output_id,
            "inputs": cut.first_input_id}
    addr_cut = first_address_at_or_after(root, ing.segments["addresses"], cut.first_output_id)
    for table, c in cuts.items():
        ing.segments[table] = truncate_segments(root, table, ing.segments[table], c)
    ing.segments["outputs"] = unspend_segments(root, ing.segments["outputs"], cut.first_input_id)
    if addr_cut is not None:
        ing.segments["addresses"] = truncate_segments(root, "addresses", ing.segments["addresses"], addr_cut)
        ing.counts["addresses"] = addr_cut
    ing.counts.update({"blocks": cut.chain_seq, "txs": cut.first_tx_id,
                       "outputs": cut.first_output_id, "inputs": cut.first_input_id})
    ing.applied = ing.applied[:p]
    ing.addr_watermark = min(ing.addr_watermark, cut.first_output_id)
