"""The entity resolver kept on disk between processes, so that a command
line trace does not rebuild it from millions of tags each time.

The cache lives outside the store (``$CHAINTRAIL_CACHE`` or
``~/.cache/chaintrail``), one directory per store state: its key hashes the
store's path, manifest generation, tag files, clustering files and the
confidence floor, so any new tag import or clustering makes a new entry.
Entries are written to a temporary directory and renamed into place; a
missing, partial or unreadable entry is simply rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

#: entries kept (the least recently written beyond this are removed)
KEEP = 8
_ARRAYS = ("addr_keys", "addr_codes", "cl_keys", "cl_codes", "map_ak", "map_av", "map_ck", "map_cv")


def cache_root() -> Path:
    return Path(os.environ.get("CHAINTRAIL_CACHE") or Path.home() / ".cache" / "chaintrail") / "trace"


def cache_key(chain, min_confidence: int) -> str:
    """What identifies one store state for the resolver."""
    m = chain._store.manifest
    attr = m.extra.get("attribution") or {}
    clus = m.extra.get("clusters") or {}
    parts = {"root": str(Path(chain._store.root).resolve()), "generation": m.generation,
             "tags": sorted(f["file"] for f in attr.get("tag_files", [])),
             "clusters": sorted((clus.get("arrays") or {}).get(k, {}).get("file", "")
                                for k in ("dense", "cluster_ids")),
             "min_confidence": min_confidence, "version": 1}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def load(chain, min_confidence: int):
    """The cached resolver of this store state, or None."""
    from chaintrail.trace.entities import Entity, EntityResolver, read_only
    from chaintrail.trace.rooms import clusters

    d = cache_root() / cache_key(chain, min_confidence)
    try:
        meta = json.loads((d / "entities.json").read_text())
        arr = {k: np.load(d / f"{k}.npy", mmap_mode="r") for k in _ARRAYS}
    except (OSError, ValueError, KeyError):
        return None
    entities = [Entity(e["code"], e["entity_id"], e["label"], e["category"], e["abuse"],
                       e["confidence"], tuple(e["sources"])) for e in meta]
    res = EntityResolver(entities, np.asarray(arr["addr_keys"]), np.asarray(arr["addr_codes"]),
                         clusters(chain) if arr["cl_keys"].size else None,
                         np.asarray(arr["cl_keys"]), np.asarray(arr["cl_codes"]))
    dense = res.dense if res.cl_keys.size else np.zeros(0, np.int64)
    res._maps = tuple(read_only(x) for x in (arr["map_ak"], arr["map_av"], dense, arr["map_ck"],
                                             arr["map_cv"]))
    return res


def save(chain, min_confidence: int, res) -> None:
    """Write a resolver's arrays and entities (best effort: a failure only costs a rebuild)."""
    maps = res.kernel_args()
    root = cache_root()
    final = root / cache_key(chain, min_confidence)
    if final.exists():
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
        arrays = {"addr_keys": res.addr_keys, "addr_codes": res.addr_codes, "cl_keys": res.cl_keys,
                  "cl_codes": res.cl_codes, "map_ak": maps[0], "map_av": maps[1],
                  "map_ck": maps[3], "map_cv": maps[4]}
        for k, a in arrays.items():
            np.save(tmp / f"{k}.npy", np.ascontiguousarray(a))
        (tmp / "entities.json").write_text(json.dumps(
            [{"code": e.code, **e.to_dict()} for e in res.entities]))
        os.replace(tmp, final)
        entries = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        if "tmp" in locals():
            shutil.rmtree(tmp, ignore_errors=True)
