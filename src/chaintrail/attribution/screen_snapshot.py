"""The screening snapshot: a sorted file of the lookup hashes of every address
that screening could report anything about (listed now or before, tagged,
or in a cluster holding a listed or tagged address), so that a single
`chaintrail screen` of a clean address is answered with the standard library
alone, in milliseconds, without loading NumPy, DuckDB or numba.

The file lives in ``<store>/cache/screen.snap`` (a cache: deleting it only
makes screening slower). Beside it, ``cache/screen.sqlite`` holds what the
full screening reports about each listed or tagged address itself (its
sanctions, tags and former listings, as JSON) and the clusters that hold a
listed or tagged address, so that a single screen of an address that is a
direct hit is answered from SQLite alone too; a cluster hit, which carries
the merge evidence, goes to the full screening. Its header carries a stamp of the manifest entries
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
import sqlite3
import struct
from bisect import bisect_left
from pathlib import Path

MAGIC = b"CTSNAP01"
FILE = Path("cache") / "screen.snap"
DETAILS = Path("cache") / "screen.sqlite"


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


class Details:
    """The direct hits of listed and tagged addresses, and the clusters holding any."""

    def __init__(self, path: Path, stamp_: str):
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        row = self._db.execute("SELECT stamp FROM meta").fetchone()
        if row is None or row[0] != stamp_:
            raise ValueError(f"{path}: stale")

    def direct(self, address: str) -> dict | None:
        """Sanctions, tags and former listings of a canonical address; None when it has none."""
        row = self._db.execute("SELECT tag_ids, lists FROM direct WHERE address = ?", (address,)).fetchone()
        if row is None:
            return None
        ids = json.loads(row[0]) if row[0] else []
        body = dict(self._db.execute(f"SELECT id, body FROM tags WHERE id IN ({', '.join('?' * len(ids))})",
                                     ids).fetchall()) if ids else {}
        sanctions, formerly = json.loads(row[1]) if row[1] else ([], [])
        return {"sanctions": sanctions, "tags": [json.loads(body[i]) for i in ids],
                "formerly_listed": formerly}

    def cluster_hit_by_other(self, cluster_id: int, address: str) -> bool:
        """Whether a listed or tagged address other than this one (or a cluster tag) is in the cluster."""
        row = self._db.execute("SELECT sole FROM hit_clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return row is not None and row[0] != address


def open_details(root: Path, manifest: dict) -> Details | None:
    """The store's direct-hit details if they exist and match the manifest, else None."""
    try:
        return Details(root / DETAILS, stamp(manifest))
    except (sqlite3.Error, ValueError):
        return None


def _direct_rows(chain) -> tuple[list[tuple], list[tuple]]:
    """(tag id, tag as JSON) of every distinct tag, and (address, tag ids, lists) of every listed or
    tagged address: its tags' ids in the screening's order, and [sanctions, formerly_listed] as JSON
    when it is on a list."""
    from chaintrail.attribution.screening import DIRECT_QUERIES

    def struct(fields, prefix=""):
        return "{" + ", ".join(f"'{f}': {prefix}{f}" for f in fields) + "}"

    views = {"sanctions": "sanctions", "sanctions_all": "sanctions_all", "tags": "tags"}
    tag_fields, tag_order, tag_sub = DIRECT_QUERIES["tags"]
    con = chain._con
    con.sql("""CREATE OR REPLACE TEMP TABLE screen_q AS
               SELECT row_number() OVER (ORDER BY address) AS i, address, h FROM (
                   SELECT DISTINCT address, address_hash AS h FROM (
                       SELECT address, address_hash FROM tags WHERE address IS NOT NULL
                       UNION ALL SELECT address, address_hash FROM sanctions_all))""")
    con.sql(f"""CREATE OR REPLACE TEMP TABLE screen_tb AS
                SELECT row_number() OVER (ORDER BY k) AS id, k, hash(k) AS hk FROM (
                    SELECT DISTINCT {struct(tag_fields)} AS k FROM tags WHERE address IS NOT NULL)""")
    try:
        tags = con.sql("SELECT id, CAST(to_json(k) AS VARCHAR) FROM screen_tb ORDER BY id").fetchall()
        lists = [f"""(SELECT i, CAST(to_json(list({struct(fields)} ORDER BY {order})) AS VARCHAR) AS {kind}
                      FROM ({sub.format(**views)}) GROUP BY i)"""
                 for kind, (fields, order, sub) in DIRECT_QUERIES.items() if kind != "tags"]
        rows = con.sql(f"""
            SELECT q.address, t.ids,
                   CASE WHEN s.sanctions IS NOT NULL OR f.formerly_listed IS NOT NULL THEN
                       '[' || coalesce(s.sanctions, '[]') || ',' || coalesce(f.formerly_listed, '[]') || ']'
                   END
            FROM screen_q q
            LEFT JOIN (SELECT t.i, CAST(list(tb.id ORDER BY {", ".join(f"t.{o}" for o in tag_order.split(", "))})
                              AS VARCHAR) AS ids
                       FROM ({tag_sub.format(**views)}) t
                       JOIN screen_tb tb ON tb.hk = hash({struct(tag_fields, "t.")})
                                         AND tb.k IS NOT DISTINCT FROM {struct(tag_fields, "t.")}
                       GROUP BY t.i) t USING (i)
            LEFT JOIN {lists[0]} s USING (i) LEFT JOIN {lists[1]} f USING (i)
            ORDER BY q.i""").fetchall()
    finally:
        con.sql("DROP TABLE IF EXISTS screen_q")
        con.sql("DROP TABLE IF EXISTS screen_tb")
    return tags, rows


def _write_details(chain, out: Path, stamp_: str) -> None:
    """Write the direct hits of every listed or tagged address and the clusters holding one."""
    tags, rows = _direct_rows(chain)
    clusters = []
    if chain._store.manifest.extra.get("clusters", {}).get("address_cluster_file"):
        clusters = chain.sql("""
            SELECT cluster_id, CASE WHEN count(DISTINCT address) = 1 AND count(address) = count(*)
                                    THEN any_value(address) END AS sole
            FROM (SELECT a.cluster_id, a.address FROM addresses a
                  WHERE a.cluster_id IS NOT NULL AND a.address IN (SELECT address FROM sanctions)
                  UNION ALL SELECT cluster_id, address FROM cluster_tags)
            GROUP BY cluster_id""").fetchall()
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a fresh file, renamed into place when complete
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE meta (stamp TEXT)")
        db.execute("INSERT INTO meta VALUES (?)", (stamp_,))
        db.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY, body TEXT)")
        db.executemany("INSERT INTO tags VALUES (?, ?)", tags)
        db.execute("CREATE TABLE direct (address TEXT PRIMARY KEY, tag_ids TEXT, lists TEXT) WITHOUT ROWID")
        db.executemany("INSERT INTO direct VALUES (?, ?, ?)", rows)
        db.execute("CREATE TABLE hit_clusters (cluster_id INTEGER PRIMARY KEY, sole TEXT)")
        db.executemany("INSERT INTO hit_clusters VALUES (?, ?)", clusters)
        db.commit()
    finally:
        db.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, out)


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
    _write_details(chain, root / DETAILS, s.decode("ascii"))
    os.replace(tmp, out)
    return int(keys.size)


def refresh_snapshot(root: str | os.PathLike) -> None:
    """Rebuild the snapshot after a change, never failing the change itself (it is a cache)."""
    try:
        write_snapshot(root)
    except Exception:  # noqa: BLE001 - a missing cache only makes screening slower
        for f in (FILE, DETAILS):
            try:
                (Path(root) / f).unlink()
            except OSError:
                pass
