"""The addresses table: one row per distinct address, numbered in order of
first appearance. Extended at each commit from the outputs that commit
added, with DuckDB (spills to disk, so it is not bounded by RAM)."""

from __future__ import annotations

import uuid
from pathlib import Path

from chaintrail.store.duck import connect
from chaintrail.store.manifest import Segment
from chaintrail.store.schema import ADDRESSES
from chaintrail.store.segments import write_table_segment


def _files(root: Path, segs: list[Segment]) -> str:
    return "[" + ", ".join("'" + str(root / s.file).replace("'", "''") + "'" for s in segs if s.rows) + "]"


def extend_addresses(root: Path, addr_segs: list[Segment], output_segs: list[Segment],
                     from_output_id: int, first_id: int) -> Segment | None:
    """A new addresses segment for addresses first seen at output ids >= from_output_id."""
    new_outputs = [s for s in output_segs if s.rows and s.last_id >= from_output_id]
    if not new_outputs:
        return None
    con = connect(temp_dir=root / "state" / ("duck-" + uuid.uuid4().hex[:8]), memory_limit="2GB")
    try:
        fresh = f"""
            SELECT address, arg_min(CAST(script_type AS VARCHAR), output_id) AS script_type,
                   min(height) AS first_height, min(output_id) AS first_output_id
            FROM read_parquet({_files(root, new_outputs)})
            WHERE address IS NOT NULL AND output_id >= {int(from_output_id)}
            GROUP BY address
        """
        if any(s.rows for s in addr_segs):
            fresh = f"""
                SELECT f.* FROM ({fresh}) f
                ANTI JOIN (SELECT address FROM read_parquet({_files(root, addr_segs)})) e
                USING (address)
            """
        t = con.sql(f"""
            SELECT (row_number() OVER (ORDER BY first_output_id) - 1 + {int(first_id)})::BIGINT
                       AS address_id,
                   address, script_type, first_height, first_output_id
            FROM ({fresh}) ORDER BY first_output_id
        """).to_arrow_table()
    finally:
        con.close()
    if t.num_rows == 0:
        return None
    return write_table_segment(root, "addresses", t.cast(ADDRESSES))


def first_address_at_or_after(root: Path, addr_segs: list[Segment], output_id: int) -> int | None:
    """The smallest address_id first seen at output_id or later (None if none)."""
    if not any(s.rows for s in addr_segs):
        return None
    con = connect()
    try:
        r = con.sql(
            f"SELECT min(address_id) FROM read_parquet({_files(root, addr_segs)}) "
            f"WHERE first_output_id >= {int(output_id)}").fetchall()[0]
    finally:
        con.close()
    return r[0]
