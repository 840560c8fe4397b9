"""The screening snapshot: a sorted file of the lookup hashes of every address
that screening could report anything about (listed now or before, tagged,
or in a cluster holding a listed or tagged address), so that a single
`chaintrail screen` of a clean address is answered with the standard library
alone, in milliseconds, without loading NumPy, DuckDB or numba.

The file lives in ``<store>/cache/screen.snap`` (a cache: deleting it only
makes screening slower). Its header carries a stamp of the manifest entries
it was built from (attribution and clustering); when they change, the
snapshot is stale and ignored until the import or clustering that changed
them rebuilds it.

    layout: b"CTSNAP01", u32 stamp length, stamp (ASCII), u64 n, n x u64 sorted hashes
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from bisect import bisect_left
from pathlib import Path

MAGIC = b"CTSNAP01"
FILE = Path("cache") / "screen.snap"


def stamp(manifest: dict) -> str:
    """What the snapshot depends on: the attribution and clustering entries of a manifest."""
    extra = manifest.get("extra", {})
    basis = {"attribution": extra.get("attribution"), "clusters": extra.get("clusters")}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def read_manifest(root: Path) -> dict:
    """The store's manifest as plain JSON."""
    with open(root / "manifest.json", encoding="utf-8") as f:
        return json.load(f)


class Snapshot:
    """A memory-mapped snapshot: membership of a hash by binary search."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:8] != MAGIC:
            raise ValueError(f"{path}: not a screening snapshot")
        (n_stamp,) = struct.unpack_from("<I", self._map, 8)
        self.stamp = bytes(self._map[12:12 + n_stamp]).decode("ascii")
        (n,) = struct.unpack_from("<Q", self._map, 12 + n_stamp)
        start = 20 + n_stamp
        self._keys = memoryview(self._map)[start:start + 8 * n].cast("Q")

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, h: int) -> bool:
        k = bisect_left(self._keys, h)
        return k < len(self._keys) and self._keys[k] == h


def open_current(root: Path, manifest: dict) -> Snapshot | None:
    """The store's snapshot if it exists and matches the manifest, else None."""
    try:
        snap = Snapshot(root / FILE)
    except (OSError, ValueError):
        return None
    return snap if snap.stamp == stamp(manifest) else None


def _interesting(chain) -> object:
    """Every address screening can say something about, canonical spelling (an Arrow array)."""
    parts = ["SELECT address FROM tags WHERE address IS NOT NULL",
             "SELECT address FROM sanctions_all"]
    if chain._store.manifest.extra.get("clusters", {}).get("address_cluster_file"):
        parts.append("""
            SELECT m.address FROM addresses m WHERE m.cluster_id IN (
                SELECT a.cluster_id FROM addresses a
                WHERE a.address IN (SELECT address FROM sanctions)
                UNION SELECT cluster_id FROM cluster_tags)""")
    return chain.sql(" UNION ".join(parts)).to_arrow_table().column(0)


def write_snapshot(root: str | os.PathLike) -> int:
    """(Re)build the snapshot of the store at root from its current manifest; the number of hashes."""
    import numpy as np

    from chaintrail.chain import open as open_chain
    from chaintrail.store.string_hash_kernels import hash_string_array

    root = Path(root)
    chain = open_chain(root)
    manifest = read_manifest(root)
    if "attribution" not in manifest.get("extra", {}):
        return 0
    ha, _ = hash_string_array(_interesting(chain))
    keys = np.unique(ha)
    s = stamp(manifest).encode("ascii")
    out = root / FILE
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(s)) + s + struct.pack("<Q", keys.size))
        f.write(keys.astype("<u8").tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    return int(keys.size)


def refresh_snapshot(root: str | os.PathLike) -> None:
    """Rebuild the snapshot after a change, never failing the change itself (it is a cache)."""
    try:
        write_snapshot(root)
    except Exception:  # noqa: BLE001 - a missing cache only makes screening slower
        try:
            (Path(root) / FILE).unlink()
        except OSError:
            pass
