"""`chaintrail.open(path)`: a read-only handle on a store, for the CLI, the
REST API and notebooks alike. Lookups return plain dicts and DuckDB
relations; nothing here iterates rows in Python."""

from __future__ import annotations

import os
import re
from typing import Any

import duckdb

from chaintrail.bitcoin.address import decode_address
from chaintrail.bitcoin.networks import Network, get_network
from chaintrail.errors import NotFoundError
from chaintrail.store.schema import SCHEMA_VERSION
from chaintrail.store.store import Store

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class Chain:
    """A store opened for reading, at the state its manifest names."""

    def __init__(self, store: Store):
        self._store = store
        self._con = store.connect()

    @property
    def network(self) -> Network | None:
        n = self._store.manifest.network
        return get_network(n) if n else None

    @property
    def tip(self) -> tuple[int | None, str | None]:
        m = self._store.manifest
        return m.tip_height, m.tip_hash

    @property
    def path(self) -> str:
        return str(self._store.root)

    def sql(self, query: str, params: list | dict | None = None) -> duckdb.DuckDBPyRelation:
        """Run SQL over the store's views; returns a DuckDB relation (.df(), .pl(), .arrow())."""
        return self._con.sql(query, params=params)

    def _dicts(self, query: str, params: list | dict | None = None) -> list[dict[str, Any]]:
        return self._con.sql(query, params=params).to_dicts()

    def close(self) -> None:
        self._con.close()

    # --- summaries -----------------------------------------------------------
    def status(self) -> dict[str, Any]:
        m = self._store.manifest
        return {
            "store": str(self._store.root),
            "schema_version": SCHEMA_VERSION,
            "network": m.network,
            "tip_height": m.tip_height,
            "tip_hash": m.tip_hash,
            "counts": dict(m.counts),
            "loose_blocks": m.loose_blocks,
            "utxo_count": m.utxo_count,
            "segments": sum(len(v) for v in m.segments.values()),
            "store_bytes": self._store.size_bytes(),
            "generation": m.generation,
            "updated": m.updated,
        }

    def block(self, ref: str | int) -> dict[str, Any]:
        """A block by height or hash, with its txids."""
        text = str(ref)
        if _HEX64.match(text):
            rows = self._dicts("SELECT * FROM blocks WHERE chain_seq = (SELECT chain_seq FROM "
                               "blocks_raw WHERE hash = unhex(?))", [text])
        elif text.isdigit():
            rows = self._dicts(
                "SELECT * FROM blocks WHERE height = ? ORDER BY chain_seq LIMIT 1", [int(text)])
        else:
            raise NotFoundError(f"{text!r} is neither a block height nor a block hash")
        if not rows:
            raise NotFoundError(f"block {text} is not in the store")
        b = rows[0]
        b["txids"] = [r["txid"] for r in self._dicts(
            "SELECT txid FROM txs WHERE tx_id >= ? AND tx_id < ? ORDER BY tx_id",
            [b["first_tx_id"], b["first_tx_id"] + b["n_tx"]])]
        return b

    def tx(self, txid: str) -> dict[str, Any]:
        """A transaction by txid, with its inputs and outputs (and who spent each output)."""
        if not _HEX64.match(txid):
            raise NotFoundError(f"{txid!r} is not a txid (64 hex digits)")
        rows = self._dicts("SELECT * FROM txs WHERE tx_id = (SELECT tx_id FROM txs_raw "
                           "WHERE txid = unhex(?) LIMIT 1)", [txid])
        if not rows:
            raise NotFoundError(f"transaction {txid} is not in the store")
        t = rows[0]
        t["inputs"] = self._dicts(
            "SELECT input_id, vin, prev_txid, prev_vout, spent_output_id, value, address, "
            "script_type, sequence FROM inputs WHERE input_id >= ? AND input_id < ? ORDER BY input_id",
            [t["first_input_id"], t["first_input_id"] + t["n_inputs"]])
        t["outputs"] = self._dicts(
            "SELECT o.output_id, o.vout, o.value, o.script_type, o.address, o.spending_tx_id, "
            "o.spending_input_id, i.txid AS spending_txid, i.vin AS spending_vin "
            "FROM outputs o LEFT JOIN inputs i ON i.input_id = o.spending_input_id "
            "WHERE o.output_id >= ? AND o.output_id < ? ORDER BY o.output_id",
            [t["first_output_id"], t["first_output_id"] + t["n_outputs"]])
        return t

    def address(self, address: str) -> dict[str, Any]:
        """Balance, received, sent, transaction count, first and last seen of an address."""
        decode_address(address, self.network)  # a one-line AddressError if it is not one
        r = self._con.sql("""
            WITH o AS (SELECT output_id, tx_id, value, height, spending_tx_id FROM outputs
                       WHERE address = $a),
                 i AS (SELECT tx_id, value, height FROM inputs WHERE address = $a)
            SELECT
              (SELECT count(*) FROM o) AS n_outputs,
              (SELECT coalesce(sum(value), 0) FROM o) AS received,
              (SELECT count(*) FROM o WHERE spending_tx_id IS NULL) AS n_unspent,
              (SELECT coalesce(sum(value), 0) FROM o WHERE spending_tx_id IS NULL) AS balance,
              (SELECT count(*) FROM i) AS n_inputs,
              (SELECT coalesce(sum(value), 0) FROM i) AS sent,
              (SELECT count(*) FROM (SELECT tx_id FROM o UNION SELECT tx_id FROM i)) AS n_txs,
              (SELECT min(height) FROM (SELECT height FROM o UNION ALL SELECT height FROM i)) AS first_height,
              (SELECT max(height) FROM (SELECT height FROM o UNION ALL SELECT height FROM i)) AS last_height
        """, params={"a": address}).fetchall()[0]
        cols = ["n_outputs", "received", "n_unspent", "balance", "n_inputs", "sent", "n_txs",
                "first_height", "last_height"]
        out = {"address": address, **dict(zip(cols, r))}
        if out["n_outputs"] == 0:
            raise NotFoundError(f"address {address} has no outputs in the store")
        row = self._con.sql("SELECT address_id, script_type FROM addresses WHERE address = ?",
                            params=[address]).fetchall()
        out["address_id"], out["script_type"] = row[0] if row else (None, None)
        return out


def open(path: str | os.PathLike | None = None) -> Chain:  # noqa: A001 - the public name users expect
    """Open the store at `path` (default: $CHAINTRAIL_STORE or ./chaintrail-data) read-only."""
    return Chain(Store.open(path))
