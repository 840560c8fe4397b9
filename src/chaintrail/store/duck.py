"""DuckDB connections configured the way chaintrail uses them: in memory, no
progress bar on stderr (the CLI draws its own), spilling to the store's
state directory when given one."""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect(threads: int | None = None, temp_dir: Path | None = None,
            memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_dir is not None:
        con.execute(f"SET temp_directory = '{str(temp_dir).replace(chr(39), chr(39) * 2)}'")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    return con
