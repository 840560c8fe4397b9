"""What tracing reads from the other rooms of a store, and nothing more:
the clustering's per-address cluster and member lists, its CoinJoin
verdicts, and whether tags exist. Every reader returns None when the room
is absent, so tracing works (unattributed, address-level) on a bare store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chaintrail.chain import Chain


def _read(root, spec: dict) -> np.ndarray:
    dtype = np.dtype(spec["dtype"])
    if spec["length"] == 0:
        return np.zeros(0, dtype)
    return np.memmap(root / spec["file"], dtype, "r", shape=(spec["length"],))


@dataclass
class Clusters:
    """A store's clustering: dense cluster index per address, cluster id per dense index, members."""

    dense: np.ndarray
    cluster_ids: np.ndarray
    member_start: np.ndarray
    members: np.ndarray

    def cluster_of(self, address_ids: np.ndarray) -> np.ndarray:
        """Cluster id of each address id (-1 for ids the clustering does not cover)."""
        a = np.asarray(address_ids, np.int64)
        ok = (a >= 0) & (a < self.dense.shape[0])
        out = np.full(a.shape, -1, np.int64)
        out[ok] = np.asarray(self.cluster_ids)[np.asarray(self.dense)[a[ok]]]
        return out

    def dense_of_cluster(self, cluster_id: int) -> int:
        """Dense index of a cluster id (a cluster's id is its smallest address id), or -1."""
        if not 0 <= cluster_id < self.dense.shape[0]:
            return -1
        d = int(self.dense[cluster_id])
        return d if int(self.cluster_ids[d]) == cluster_id else -1

    def members_of(self, cluster_id: int) -> np.ndarray:
        """Address ids of a cluster (empty if unknown)."""
        d = self.dense_of_cluster(cluster_id)
        if d < 0:
            return np.zeros(0, np.int64)
        return np.asarray(self.members[int(self.member_start[d]):int(self.member_start[d + 1])])


def clusters(chain: Chain) -> Clusters | None:
    """The clustering of the store, or None."""
    entry = chain._store.manifest.extra.get("clusters")
    if not entry or "arrays" not in entry:
        return None
    arr = entry["arrays"]
    try:
        root = chain._store.root
        return Clusters(_read(root, arr["dense"]), _read(root, arr["cluster_ids"]),
                        _read(root, arr["member_start"]), _read(root, arr["members"]))
    except (KeyError, OSError, ValueError):
        return None


def has_tags(chain: Chain) -> bool:
    """Whether the store's attribution room holds tag files."""
    entry = chain._store.manifest.extra.get("attribution") or {}
    return bool(entry.get("tag_files"))


def coinjoin_codes(chain: Chain) -> np.ndarray:
    """CoinJoin protocol code per tx id (0 = none): the clustering's verdicts when they cover
    the store, else detected now."""
    arrays = chain._arrays
    n = arrays.counts["txs"]
    entry = chain._store.manifest.extra.get("clusters") or {}
    spec = (entry.get("state") or {}).get("cj_codes")
    if spec and spec.get("length") == n:
        try:
            return np.asarray(_read(chain._store.root, spec))
        except OSError:
            pass
    from chaintrail.heuristics.coinjoin import detect_coinjoins

    return detect_coinjoins(arrays, chain._store.manifest.network)[0]
