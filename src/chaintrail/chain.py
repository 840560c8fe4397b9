"""`chaintrail.open(path)`: a read-only handle on a store, shared by the CLI,
the REST API and notebooks.

Single objects (a transaction, an address, a block) come from the
memory-mapped analysis index in well under a millisecond; anything in bulk
is a DuckDB relation or an Arrow/pandas/polars frame, never a loop over
Python objects.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from chaintrail.bitcoin.address import decode_address
from chaintrail.bitcoin.networks import Network, get_network
from chaintrail.errors import NotFoundError, StoreError
from chaintrail.objects import Address, Block, Tx, TxInput, TxOutput
from chaintrail.store.arrays import ChainArrays
from chaintrail.store.manifest import SCHEMA_VERSION
from chaintrail.store.store import Store
from chaintrail.store.string_hash import string_hash_reference

if TYPE_CHECKING:  # loaded with the first query (Store.connect)
    import duckdb

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


class Table:
    """One view of the store with optional equality filters: a tiny relational helper, not an ORM.

        chain.outputs.where(script_type="p2tr").to_polars()
    """

    def __init__(self, chain: Chain, name: str, filters: tuple[tuple[str, Any], ...] = (),
                 columns: tuple[str, ...] = ()):
        self._chain = chain
        self.name = name
        self._filters = filters
        self._columns = columns

    def where(self, **equals: Any) -> Table:
        """Rows whose columns equal the given values (None means IS NULL)."""
        return Table(self._chain, self.name, self._filters + tuple(equals.items()), self._columns)

    def select(self, *columns: str) -> Table:
        return Table(self._chain, self.name, self._filters, tuple(columns))

    def relation(self) -> duckdb.DuckDBPyRelation:
        """The rows as a DuckDB relation, for further SQL-style composition."""
        cols = ", ".join(f'"{c}"' for c in self._columns) or "*"
        conds, params = [], []
        for col, value in self._filters:
            if value is None:
                conds.append(f'"{col}" IS NULL')
            else:
                conds.append(f'"{col}" = ?')
                params.append(value)
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        return self._chain.sql(f"SELECT {cols} FROM {self.name}{where}", params=params or None)

    def to_arrow(self):
        """The rows as an Arrow table."""
        return self.relation().arrow()

    def to_pandas(self):
        """The rows as a pandas DataFrame."""
        return self.relation().df()

    def to_polars(self):
        """The rows as a polars DataFrame."""
        return self.relation().pl()

    def count(self) -> int:
        """The number of rows."""
        return int(self.relation().aggregate("count(*)").fetchall()[0][0])

    def __repr__(self) -> str:
        f = ", ".join(f"{k}={v!r}" for k, v in self._filters)
        return f"<Table {self.name}{' where ' + f if f else ''}>"


class Chain:
    """A store opened for reading, at the state its manifest named when opened."""

    def __init__(self, store: Store):
        self._store = store
        self._duck: duckdb.DuckDBPyConnection | None = None
        a = ChainArrays.open(store.root, store.manifest)
        self._arrays = a if a is not None and a.current(store.manifest) else None

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection with the store's views, made on first use: a command that
        reads only the arrays (a trace, an address lookup) never pays for the views."""
        if self._duck is None:
            self._duck = self._store.connect()
        return self._duck

    @_con.setter
    def _con(self, con: duckdb.DuckDBPyConnection) -> None:
        self._duck = con

    # --- the store ----------------------------------------------------------
    @property
    def network(self) -> Network | None:
        n = self._store.manifest.network
        return get_network(n) if n else None

    @property
    def tip(self) -> tuple[int | None, str | None]:
        """(height, hash) of the tip of the best chain."""
        m = self._store.manifest
        return m.tip_height, m.tip_hash

    @property
    def path(self) -> str:
        return str(self._store.root)

    def sql(self, query: str, params: list | dict | None = None) -> duckdb.DuckDBPyRelation:
        """Run SQL over the store's views; a DuckDB relation (.df(), .pl(), .arrow(), .fetchall())."""
        return self._con.sql(query, params=params)

    @property
    def blocks(self) -> Table:
        return Table(self, "blocks")

    @property
    def txs(self) -> Table:
        return Table(self, "txs")

    @property
    def outputs(self) -> Table:
        return Table(self, "outputs")

    @property
    def inputs(self) -> Table:
        return Table(self, "inputs")

    @property
    def addresses(self) -> Table:
        return Table(self, "addresses")

    def close(self) -> None:
        """Close the DuckDB connection (the memory maps go with the object)."""
        if self._duck is not None:
            self._duck.close()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        m = self._store.manifest
        return (f"<Chain {self.path} {m.network} tip {m.tip_height}, {m.counts['txs']:,} txs, "
                f"{m.counts['addresses']:,} addresses>")

    def status(self) -> dict[str, Any]:
        """Tip, counts, size and schema version of the store."""
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
            "index_current": self._arrays is not None,
            "generation": m.generation,
            "updated": m.updated,
        }

    # --- single objects -----------------------------------------------------
    def _index(self) -> ChainArrays:
        if self._arrays is None:
            raise StoreError(f"{self.path}: the analysis index is missing or older than the blocks; "
                             f"run `chaintrail index --store {self.path}`")
        return self._arrays

    def tx(self, txid: str) -> Tx:
        """A transaction by txid (an index lookup, not a scan)."""
        if not isinstance(txid, str) or not _HEX64.match(txid):
            raise NotFoundError(f"{txid!r} is not a txid (64 hex digits)")
        a = self._index()
        raw = bytes.fromhex(txid)
        key = int.from_bytes(raw[:8], "little")
        keys = a.txid_key
        lo = int(keys.searchsorted(np.uint64(key)))  # a Python int would convert the whole array
        while lo < len(keys) and int(keys[lo]) == key:
            t = int(a.txid_tx[lo])
            if bytes(a.tx_hash[t]) == raw:
                return Tx(self, t)
            lo += 1
        raise NotFoundError(f"transaction {txid} is not in the store")

    def tx_by_id(self, tx_id: int) -> Tx:
        """A transaction by its dense id (chain order)."""
        return Tx(self, tx_id)

    def output(self, output_id: int) -> TxOutput:
        """An output by its dense id."""
        return TxOutput(self, output_id)

    def input(self, input_id: int) -> TxInput:
        """An input by its dense id."""
        return TxInput(self, input_id)

    def address(self, address: str) -> Address:
        """An address by its string (validated for the store's network; an index lookup)."""
        decode_address(address, self.network)  # a one-line AddressError if it is not one
        a = self._index()
        ha, hb = string_hash_reference(address)
        keys = a.addr_key
        lo = int(keys.searchsorted(np.uint64(ha)))
        while lo < len(keys) and int(keys[lo]) == ha:
            if int(a.addr_key2[lo]) == hb:
                return Address(self, int(a.addr_id[lo]), address)
            lo += 1
        raise NotFoundError(f"address {address} has no outputs in the store")

    def address_by_id(self, address_id: int) -> Address:
        """An address by its dense id (order of first appearance)."""
        return Address(self, address_id, self._index().address_text(address_id))

    def cluster_of(self, address: str | Address):
        """The cluster holding an address (text or ``Address``) (`.addresses(limit=)`, `.tags`, `.why(other)`);
        needs `chaintrail cluster build`."""
        from chaintrail.cluster.objects import cluster_of

        return cluster_of(self, address)

    def cluster(self, cluster_id: int):
        """A cluster by its id (the smallest address id in it)."""
        from chaintrail.cluster.objects import cluster

        return cluster(self, cluster_id)

    # --- tracing (chaintrail.trace; docs/tracing.md) -----------------------------
    def trace(self, start, direction: str = "backward", policy: str = "haircut", max_hops: int = 6,
              **options: Any):
        """Follow the value of an ADDRESS, TXID, TXID:VOUT or cluster:ID backward (where it came
        from) or forward (where it went) under a taint policy; a TraceResult (.terminals(),
        .to_networkx(), .to_pandas(), .exposure()). Options: min_value, budget, stop_at, level."""
        from chaintrail.trace.api import trace

        return trace(self, start, direction=direction, policy=policy, max_hops=max_hops, **options)

    def exposure(self, target: str, direction: str = "both", max_hops: int = 4, **options: Any):
        """Direct and indirect exposure of an address or cluster:ID to attributed services."""
        from chaintrail.trace.exposure import exposure

        return exposure(self, target, direction=direction, max_hops=max_hops, **options)

    def privacy_audit(self, addresses: list[str] | str, hops: int = 3, **options: Any):
        """What the chain reveals about an organisation's payers and payees (.findings, .to_html())."""
        from chaintrail.trace.audit import privacy_audit

        return privacy_audit(self, [addresses] if isinstance(addresses, str) else list(addresses),
                             hops=hops, **options)

    def block(self, ref: str | int) -> Block:
        """A block of the best chain by height or hash."""
        text = str(ref)
        if _HEX64.match(text):
            rows = self.sql("SELECT * FROM blocks WHERE chain_seq = (SELECT chain_seq FROM blocks_raw "
                            "WHERE hash = unhex(?))", params=[text]).to_dicts()
        elif text.isdigit():
            rows = self.sql("SELECT * FROM blocks WHERE height = ? ORDER BY chain_seq LIMIT 1",
                            params=[int(text)]).to_dicts()
        else:
            raise NotFoundError(f"{text!r} is neither a block height nor a block hash")
        if not rows:
            raise NotFoundError(f"block {text} is not in the store")
        return Block(self, rows[0])


def open(path: str | os.PathLike | None = None) -> Chain:  # noqa: A001 - the public name users expect
    """Open the store at `path` (default: $CHAINTRAIL_STORE or ./chaintrail-data) read-only."""
    return Chain(Store.open(path))
