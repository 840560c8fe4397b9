"""DuckDB views over the store's Parquet segments: the SQL names of
design.md's store contract."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from chaintrail.store.manifest import Manifest
from chaintrail.store.schema import HASH, HASH_COLUMNS, TABLES

_DUCK_TYPES = {
    pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN",
    pa.binary(): "BLOB", HASH: "BLOB",
}


def _duck_type(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        return "VARCHAR"
    return _DUCK_TYPES[t]


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def table_source(root: Path, manifest: Manifest, table: str) -> str:
    """A FROM-clause source for one table: its Parquet files, or an empty typed relation."""
    files = [str(root / s.file) for s in manifest.segments.get(table, []) if s.rows]
    if files:
        return "read_parquet([" + ", ".join(_quote(f) for f in files) + "])"
    cols = ", ".join(f"NULL::{_duck_type(f.type)} AS {f.name}" for f in TABLES[table])
    return f"(SELECT {cols} WHERE false)"


def _select_list(table: str, alias: str = "") -> str:
    """The table's columns, with hashes turned into lowercase hex."""
    a = f"{alias}." if alias else ""
    cols = []
    for f in TABLES[table]:
        if f.name in HASH_COLUMNS:
            cols.append(f"lower(hex({a}{f.name})) AS {f.name}")
        else:
            cols.append(f"{a}{f.name}")
    return ", ".join(cols)


def create_views(con: duckdb.DuckDBPyConnection, root: Path, manifest: Manifest) -> None:
    """(Re)define the blocks, txs, outputs, inputs and addresses views on a connection.

    The *_raw views give the stored columns (hashes as 32-byte blobs) for
    fast lookups: `WHERE txid = unhex('...')` on txs_raw.
    """
    src = {t: table_source(root, manifest, t) for t in TABLES}
    for t in ("blocks", "txs", "inputs", "outputs"):
        con.execute(f"CREATE OR REPLACE VIEW {t}_raw AS SELECT * FROM {src[t]}")
    con.execute(f"CREATE OR REPLACE VIEW blocks AS SELECT {_select_list('blocks')} FROM blocks_raw")
    coinjoin = manifest.extra.get("clusters", {}).get("coinjoin_file")
    if coinjoin:  # CoinJoin verdicts of the clustering room (only flagged txs are in its file)
        con.execute(f"""
            CREATE OR REPLACE VIEW txs AS
            SELECT {_select_list('txs', 't')}, (cj.tx_id IS NOT NULL) AS coinjoin,
                   cj.protocol AS coinjoin_protocol
            FROM txs_raw t LEFT JOIN read_parquet({_quote(str(root / coinjoin))}) cj
              ON cj.tx_id = t.tx_id
        """)
    else:
        con.execute(f"CREATE OR REPLACE VIEW txs AS SELECT {_select_list('txs')}, NULL::BOOLEAN AS coinjoin, "
                    "NULL::VARCHAR AS coinjoin_protocol FROM txs_raw")
    con.execute(f"CREATE OR REPLACE VIEW inputs AS SELECT {_select_list('inputs')} FROM inputs_raw")
    # Spends are written into output segments when the index folds them; spends by inputs
    # past the oldest fold (`spends_upto`) come from a join with those recent inputs only.
    folded = min((seg.spends_upto or 0 for seg in manifest.segments.get("outputs", [])),
                 default=manifest.counts.get("inputs", 0))
    if folded >= manifest.counts.get("inputs", 0):
        con.execute("""
            CREATE OR REPLACE VIEW outputs AS
            SELECT output_id, tx_id, lower(hex(txid)) AS txid, vout, value, script_type, address,
                   spending_tx_id, spending_input_id, height, script
            FROM outputs_raw
        """)
    else:
        con.execute(f"""
            CREATE OR REPLACE VIEW outputs AS
            SELECT o.output_id, o.tx_id, lower(hex(o.txid)) AS txid, o.vout, o.value, o.script_type,
                   o.address, coalesce(o.spending_tx_id, s.tx_id) AS spending_tx_id,
                   coalesce(o.spending_input_id, s.input_id) AS spending_input_id, o.height, o.script
            FROM outputs_raw o
            LEFT JOIN (SELECT spent_output_id, tx_id, input_id FROM inputs_raw
                       WHERE input_id >= {int(folded)} AND spent_output_id IS NOT NULL) s
              ON s.spent_output_id = o.output_id
        """)
    cluster = manifest.extra.get("clusters", {}).get("address_cluster_file")
    if cluster:
        con.execute(f"""
            CREATE OR REPLACE VIEW addresses AS
            SELECT a.address_id, a.address, a.script_type, a.first_height, c.cluster_id,
                   a.first_output_id
            FROM {src['addresses']} a LEFT JOIN read_parquet({_quote(str(root / cluster))}) c
              USING (address_id)
        """)
    else:
        con.execute(f"""
            CREATE OR REPLACE VIEW addresses AS
            SELECT address_id, address, script_type, first_height, NULL::BIGINT AS cluster_id,
                   first_output_id
            FROM {src['addresses']}
        """)
    create_extra_views(con, root, manifest)


def create_extra_views(con: duckdb.DuckDBPyConnection, root: Path, manifest: Manifest) -> None:
    """Views that later rooms (clusters, tags, sanctions...) declare in manifest.extra.

    An entry's "views" maps a view name to SQL in which {root} stands for the
    store directory (quoted for a SQL string), so the store can move.
    """
    for entry in manifest.extra.values():
        if not isinstance(entry, dict):
            continue
        for name, sql in entry.get("views", {}).items():
            body = sql.replace("{root}", str(root).replace("'", "''"))
            con.execute(f"CREATE OR REPLACE VIEW {name} AS {body}")
