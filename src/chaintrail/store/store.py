"""The on-disk store: a directory of Parquet segments, a manifest that names
them, the UTXO snapshot and the chain index. Readers see the snapshot the
manifest named when they opened; one writer at a time holds the lock."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from chaintrail.errors import StoreError
from chaintrail.store.manifest import Manifest, load_manifest, save_manifest, utxo_chain

if TYPE_CHECKING:  # DuckDB loads on first query: a command that reads only arrays starts faster
    import duckdb

DEFAULT_STORE = "./chaintrail-data"
LOCK = ".lock"
DATA_DIRS = ("data", "state", "chain", "pool", "rooms")


def resolve_store_path(path: str | os.PathLike | None) -> Path:
    """--store, else $CHAINTRAIL_STORE, else ./chaintrail-data."""
    if path is None:
        path = os.environ.get("CHAINTRAIL_STORE", DEFAULT_STORE)
    return Path(path)


class Store:
    """A store directory and the manifest it was opened at."""

    def __init__(self, root: Path, manifest: Manifest, lock_fd: int | None = None):
        self.root = root
        self.manifest = manifest
        self._lock_fd = lock_fd
        # analysis arrays an ingest of this process appended as it went (``index_feed``);
        # the next ``update_index`` on this store takes them instead of re-reading the segments
        self.index_feed = None

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> Store:
        """Open an existing store read-only."""
        root = resolve_store_path(path)
        m = load_manifest(root)
        if m is None:
            raise StoreError(f"{root}: no chaintrail store here (run `chaintrail ingest` first)")
        return cls(root, m)

    @classmethod
    def open_writer(cls, path: str | os.PathLike | None = None) -> Store:
        """Open (creating if needed) a store for writing, holding its exclusive lock."""
        root = resolve_store_path(path)
        try:
            root.mkdir(parents=True, exist_ok=True)
            for d in DATA_DIRS:
                (root / d).mkdir(exist_ok=True)
            fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{root}: cannot create store: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"{root}: another chaintrail process is writing this store") from None
        m = load_manifest(root) or Manifest()
        store = cls(root, m, fd)
        store.remove_unreferenced()
        return store

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ----------------------------------------------------------
    def commit(self, manifest: Manifest, keep: set[str] | None = None) -> None:
        """Make `manifest` the store's state, then drop files neither it nor `keep` name."""
        if self._lock_fd is None:
            raise StoreError(f"{self.root}: store opened read-only")
        manifest.generation = self.manifest.generation + 1
        previous = self.manifest
        save_manifest(self.root, manifest)
        self.manifest = manifest
        # files of the previous generation stay one more commit, for readers still using it
        self.remove_unreferenced(keep=(keep or set()) | previous.files() | _utxo_set(self.root, previous))

    def commit_extra(self, room: str, entry: dict) -> None:
        """Replace one room's entry of manifest.extra (its files and views), atomically.

        The entry's "files" (paths relative to the store) must already be
        written; files the old entry named and the new one does not are dropped.
        """
        m = Manifest.from_dict(json.loads(self.manifest.to_json()))
        m.extra[room] = entry
        self.commit(m)

    def remove_unreferenced(self, keep: set[str] | None = None) -> None:
        """Delete leftovers of interrupted or superseded writes (writer only)."""
        live = self.manifest.files() | _utxo_set(self.root, self.manifest) | (keep or set())
        for sub in ("data", "chain", "state", "rooms"):
            base = self.root / sub
            if not base.exists():
                continue
            for dirpath, dirnames, filenames in os.walk(base, topdown=True):
                rel_dir = os.path.relpath(dirpath, self.root)
                if sub == "state":
                    for d in list(dirnames):
                        rel = os.path.join(rel_dir, d)
                        if rel not in live:
                            shutil.rmtree(os.path.join(dirpath, d), ignore_errors=True)
                    dirnames.clear()
                    continue
                for fn in filenames:
                    rel = os.path.join(rel_dir, fn)
                    if rel not in live:
                        os.unlink(os.path.join(dirpath, fn))

    # --- reading ----------------------------------------------------------
    def connect(self, threads: int | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with the store's views defined."""
        from chaintrail.store.duck import connect
        from chaintrail.store.views import create_views

        con = connect()
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        create_views(con, self.root, self.manifest)
        return con

    def size_bytes(self) -> int:
        total = 0
        for dirpath, _, filenames in os.walk(self.root):
            for fn in filenames:
                try:
                    total += os.path.getsize(os.path.join(dirpath, fn))
                except OSError:
                    pass
        return total


def _utxo_set(root: Path, m: Manifest) -> set[str]:
    """The UTXO state directories the manifest needs (its snapshot and deltas)."""
    return set(utxo_chain(root, m.utxo)) if m.utxo else set()
