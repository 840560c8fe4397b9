"""Service anchors for the false-merge guard: addresses that attribution tags
name as belonging to one service (exchange, market, mixer, ...). Two
clusters anchored to different services are never merged.

The tags come from the attribution room when it exists
(``chaintrail.attribution.propagation.service_anchors``); without it the
guard has no anchors and nothing changes. The fingerprint of the tag files
is stored with a clustering: new tags make the next build a full one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from chaintrail.heuristics.address_ids import address_ids


@dataclass
class Anchors:
    """Service code per anchored address id, and the service names by code."""

    address_id: np.ndarray  # int64
    service: np.ndarray  # int32 code into names
    names: list[str]
    ambiguous: int  # addresses tagged with two services (left out)
    fingerprint: str

    @classmethod
    def empty(cls) -> Anchors:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int32), [], 0, "none")


def tags_fingerprint(manifest, min_confidence: int) -> str:
    """What identifies the tags a clustering saw ("none" without tags)."""
    entry = manifest.extra.get("attribution") or {}
    files = sorted(f["file"] if isinstance(f, dict) else str(f) for f in entry.get("tag_files", []))
    if not files:
        return "none"
    h = hashlib.sha256(json.dumps([files, min_confidence]).encode()).hexdigest()[:16]
    return f"tags-{h}"


def load_anchors(store, arrays, min_confidence: int = 50) -> Anchors:
    """The service anchors of a store's tags (empty when there are no tags or no attribution)."""
    fp = tags_fingerprint(store.manifest, min_confidence)
    if fp == "none":
        return Anchors.empty()
    try:
        from chaintrail.attribution.propagation import service_anchors
        from chaintrail.chain import Chain
    except ImportError:
        return Anchors.empty()
    chain = Chain(store)
    try:
        table = service_anchors(chain, min_confidence=min_confidence)
    except Exception:  # no tags view yet, or a tags schema this version does not know
        return Anchors.empty()
    finally:
        chain.close()
    if table.num_rows == 0:
        return Anchors(np.zeros(0, np.int64), np.zeros(0, np.int32), [], 0, fp)
    ids = address_ids(arrays, table.column("address").combine_chunks())
    services = np.asarray(table.column("service").to_pylist(), object)
    keep = ids >= 0
    ids, services = ids[keep], services[keep]
    names = sorted(set(services.tolist()))
    code = {n: i for i, n in enumerate(names)}
    svc = np.array([code[s] for s in services], np.int32)
    order = np.lexsort((svc, ids))
    ids, svc = ids[order], svc[order]
    # an address anchored to two services says nothing: drop it
    if ids.size:
        first = np.r_[True, ids[1:] != ids[:-1]]
        uniq_ids = ids[first]
        lo = np.minimum.reduceat(svc, np.flatnonzero(first))
        hi = np.maximum.reduceat(svc, np.flatnonzero(first))
        ok = lo == hi
        return Anchors(uniq_ids[ok], lo[ok].astype(np.int32), names, int((~ok).sum()), fp)
    return Anchors(ids, svc, names, 0, fp)


def service_array(anchors: Anchors, n_addr: int, start: int = 0) -> np.ndarray:
    """Per address id in [start, n_addr): its anchor's service code, -1 for none."""
    out = np.full(n_addr - start, -1, np.int32)
    m = (anchors.address_id >= start) & (anchors.address_id < n_addr)
    out[anchors.address_id[m] - start] = anchors.service[m]
    return out
