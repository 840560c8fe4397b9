"""The clusters room on disk: binary arrays (memory-mapped by readers) and
Parquet files under ``rooms/clusters/``, named in the manifest entry
``extra["clusters"]``. Every build writes new file names and commits them
atomically, so readers keep the previous clustering until the commit;
the append-only evidence arrays are cut back to their committed length
before a build appends to them.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOM = "clusters"
DIR = "rooms/clusters"


def id_dtype(n: int) -> np.dtype:
    """The narrowest signed dtype for ids and counts below n (int32 up to 2^31 - 1)."""
    return np.dtype(np.int32) if n < 2**31 - 1 else np.dtype(np.int64)


def new_tag() -> str:
    return uuid.uuid4().hex[:10]


def array_spec(rel: str, arr: np.ndarray) -> dict:
    return {"file": rel, "dtype": arr.dtype.str, "length": int(arr.shape[0])}


def write_array(root: Path, name: str, tag: str, arr: np.ndarray) -> dict:
    """Write a whole array to rooms/clusters/<name>-<tag>.bin (flushed to disk); returns its spec."""
    rel = f"{DIR}/{name}-{tag}.bin"
    (root / DIR).mkdir(parents=True, exist_ok=True)
    arr = np.ascontiguousarray(arr)
    with open(root / rel, "wb") as f:
        arr.tofile(f)
        f.flush()
        os.fsync(f.fileno())
    return array_spec(rel, arr)


class Writer:
    """Writes files in background threads (pyarrow and file writes release the GIL, so they
    overlap the kernels); ``results()`` waits for all and re-raises the first failure."""

    def __init__(self, root: Path, tag: str, workers: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.root, self.tag = root, tag
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._jobs: dict[str, object] = {}

    def array(self, key: str, name: str, arr: np.ndarray) -> None:
        self._jobs[key] = self._pool.submit(write_array, self.root, name, self.tag, arr)

    def parquet(self, key: str, name: str, make_table, **kw) -> None:
        """make_table() builds the table in the worker too."""
        self._jobs[key] = self._pool.submit(
            lambda: write_parquet(self.root, name, self.tag, make_table(), **kw))

    def call(self, key: str, fn, *args) -> None:
        self._jobs[key] = self._pool.submit(fn, *args)

    def results(self) -> dict:
        try:
            return {k: f.result() for k, f in self._jobs.items()}
        finally:
            self._pool.shutdown(wait=True)


def append_array(root: Path, spec: dict | None, name: str, arr: np.ndarray) -> dict:
    """Append to an append-only array (created when spec is None), cutting off any bytes
    beyond its committed length first; returns the new spec."""
    arr = np.ascontiguousarray(arr)
    if spec is None:
        spec = {"file": f"{DIR}/{name}-{new_tag()}.bin", "dtype": arr.dtype.str, "length": 0}
    spec = dict(spec)
    path = root / spec["file"]
    (root / DIR).mkdir(parents=True, exist_ok=True)
    size = spec["length"] * np.dtype(spec["dtype"]).itemsize
    if path.exists() and path.stat().st_size > size:
        os.truncate(path, size)
    with open(path, "ab") as f:
        arr.astype(np.dtype(spec["dtype"]), copy=False).tofile(f)
        f.flush()
        os.fsync(f.fileno())
    spec["length"] += int(arr.shape[0])
    return spec


def read_array(root: Path, spec: dict, writable: bool = False) -> np.ndarray:
    """A memory map of an array (an empty array when its length is 0)."""
    dtype = np.dtype(spec["dtype"])
    if spec["length"] == 0:
        return np.zeros(0, dtype)
    return np.memmap(root / spec["file"], dtype, "r+" if writable else "r", shape=(spec["length"],))


def load_array(root: Path, spec: dict) -> np.ndarray:
    """An array read whole into memory (a copy the caller may change)."""
    return np.array(read_array(root, spec))


def _parquet_options(schema: pa.Schema) -> dict:
    """How the room writes Parquet: zstd level 1; dictionary encoding only for text (on the id
    and value columns, millions of distinct values, it costs a third of the write time and makes
    the files larger); integer columns delta-encoded (ids in order shrink to almost nothing
    before zstd sees them, which halves the write time, and the files are no larger)."""
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    delta = {f.name: "DELTA_BINARY_PACKED" for f in schema if pa.types.is_integer(f.type)}
    return {"compression": "zstd", "compression_level": 1, "write_statistics": True,
            "use_dictionary": text or False, "column_encoding": delta or None}


def write_parquet(root: Path, name: str, tag: str, table: pa.Table, row_group: int = 1 << 20,
                  sort: str | None = None) -> str:
    """Write a Parquet file of the room; returns its path relative to the store."""
    rel = f"{DIR}/{name}-{tag}.parquet"
    (root / DIR).mkdir(parents=True, exist_ok=True)
    if sort:
        table = table.sort_by(sort)
    pq.write_table(table, root / rel, row_group_size=row_group, **_parquet_options(table.schema))
    return rel


class ParquetStream:
    """A Parquet file of the room written piece by piece, cut into the row groups
    ``write_parquet`` would cut the whole table into (the pieces' rows are carried over until a
    row group is full)."""

    def __init__(self, root: Path, name: str, tag: str, schema: pa.Schema, row_group: int = 1 << 20):
        self.rel = f"{DIR}/{name}-{tag}.parquet"
        (root / DIR).mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(root / self.rel, schema, **_parquet_options(schema))
        self._rest = schema.empty_table()
        self._row_group = row_group
        self._rows = 0

    def write(self, table: pa.Table) -> None:
        t = pa.concat_tables([self._rest, table]) if self._rest.num_rows else table
        full = t.num_rows - t.num_rows % self._row_group
        if full:
            self._writer.write_table(t.slice(0, full), row_group_size=self._row_group)
            self._rows += full
        self._rest = t.slice(full)

    def close(self) -> str:
        """Write what is left; returns the path relative to the store."""
        if self._rest.num_rows or not self._rows:  # (an empty table is one empty row group)
            self._writer.write_table(self._rest, row_group_size=self._row_group)
        self._writer.close()
        return self.rel


def entry_of(manifest) -> dict | None:
    """A deep copy of the room's manifest entry, or None."""
    e = manifest.extra.get(ROOM)
    return json.loads(json.dumps(e)) if e else None


def entry_files(entry: dict) -> list[str]:
    """Every file an entry names (what the manifest must keep)."""
    files: set[str] = set()
    for group in ("arrays", "state", "evidence", "refusals", "provisional"):
        for spec in entry.get(group, {}).values():
            files.add(spec["file"])
    for key in ("address_cluster_file", "clusters_file", "coinjoin_file", "evidence_provisional_file",
                "refusals_provisional_file"):
        if entry.get(key):
            files.add(entry[key])
    for key in ("evidence_files", "refusal_files"):
        files.update(entry.get(key, []))
    return sorted(files)
