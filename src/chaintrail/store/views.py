"""DuckDB views over the store's Parquet segments: the SQL names of
design.md's store contract."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from chaintrail.store.manifest import Manifest
from chaintrail.store.schema import TABLES

_DUCK_TYPES = {
    pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN",
    pa.binary(): "BLOB",
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


def create_views(con: duckdb.DuckDBPyConnection, root: Path, manifest: Manifest) -> None:
    """(Re)define the blocks, txs, outputs, inputs and addresses views on a connection."""
    src = {t: table_source(root, manifest, t) for t in TABLES}
    con.execute(f"CREATE OR REPLACE VIEW blocks AS SELECT * FROM {src['blocks']}")
    con.execute(f"CREATE OR REPLACE VIEW txs AS SELECT * FROM {src['txs']}")
    con.execute(f"CREATE OR REPLACE VIEW inputs AS SELECT * FROM {src['inputs']}")
    con.execute(f"""
        CREATE OR REPLACE VIEW outputs AS
        SELECT o.output_id, o.tx_id, o.txid, o.vout, o.value, o.script_type, o.address,
               s.tx_id AS spending_tx_id, s.input_id AS spending_input_id,
               o.height, o.script
        FROM {src['outputs']} o
        LEFT JOIN (SELECT spent_output_id, tx_id, input_id FROM {src['inputs']}
                   WHERE spent_output_id IS NOT NULL) s
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
