"""``chain.cluster_of(address)``: a cluster as a Python object for notebooks
and the API, over the same memory-mapped lookups as ``chaintrail cluster
show`` (its addresses come page by page, whatever the cluster's size)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from chaintrail.cluster.query import ClusterRef, Clusters

if TYPE_CHECKING:
    from chaintrail.chain import Chain


class Cluster:
    """One cluster of the store's clustering: its figures, addresses, tags and evidence."""

    def __init__(self, clusters: Clusters, ref: ClusterRef):
        self._clusters = clusters
        self._ref = ref
        self.cluster_id = ref.cluster_id

    @property
    def _chain(self) -> Chain:
        return self._clusters.chain

    @cached_property
    def summary(self) -> dict[str, Any]:
        """The cluster's row of the ``clusters`` view."""
        return self._clusters.summary(self._ref)

    @property
    def n_addresses(self) -> int:
        c = self._clusters
        return int(c.start[self._ref.index + 1]) - int(c.start[self._ref.index])

    @property
    def n_txs(self) -> int:
        return int(self.summary.get("n_txs") or 0)

    @property
    def balance(self) -> int:
        return int(self.summary.get("balance") or 0)

    @property
    def total_received(self) -> int:
        return int(self.summary.get("total_received") or 0)

    @property
    def label(self) -> str | None:
        """The tagged service the clustering anchored this cluster to, if any."""
        return self.summary.get("label")

    def address_ids(self, limit: int | None = None, offset: int = 0) -> np.ndarray:
        """Address ids of the cluster in id order (a slice of the members array)."""
        c = self._clusters
        lo, hi = int(c.start[self._ref.index]), int(c.start[self._ref.index + 1])
        lo = min(hi, lo + max(offset, 0))
        if limit is not None:
            hi = min(hi, lo + max(limit, 0))
        return np.asarray(c.members[lo:hi]).astype(np.int64)

    def addresses(self, limit: int | None = 100, offset: int = 0) -> list[str]:
        """Address strings of the cluster in id order (oldest first), `limit` of them from `offset`."""
        a = self._clusters.arrays
        return [a.address_text(int(x)) for x in self.address_ids(limit, offset)]

    @property
    def tags(self) -> list[dict]:
        """Attribution tags of the cluster's addresses and of the cluster (the ``cluster_labels``
        view), best confidence first; empty without an attribution room."""
        try:
            return self._chain.sql(
                "SELECT * FROM cluster_labels WHERE cluster_id = ? "
                "ORDER BY confidence_score DESC, n_addresses DESC, label",
                params=[self.cluster_id]).to_dicts()
        except Exception as exc:  # no attribution room: duckdb has no such view
            if "cluster_labels" in str(exc):
                return []
            raise

    def why(self, a: str, b: str | None = None) -> dict:
        """The shortest chain of recorded merges between two addresses; with one argument,
        between this cluster's oldest address and `a`."""
        if b is None:
            a, b = self.addresses(1)[0], a
        return self._clusters.why(a, b)

    def to_pandas(self, limit: int | None = None, offset: int = 0):
        """The cluster's addresses (id, address, script type, first height) as a DataFrame."""
        import pandas as pd

        rows = self._clusters.address_rows(self.address_ids(limit, offset))
        return pd.DataFrame(rows, columns=["address_id", "address", "script_type", "first_height"])

    def to_networkx(self, max_edges: int = 100_000):
        """The recorded merges inside the cluster as a networkx MultiGraph: nodes are addresses,
        edges the transactions and heuristics that joined them (at most ``max_edges``)."""
        import networkx as nx

        c = self._clusters
        ev = c.evidence()
        text = c.arrays.address_text
        g = nx.MultiGraph(cluster_id=self.cluster_id)
        members = self.address_ids(None)
        local = ev.of_cluster(c.dense, self._ref.index, members)
        n_edges = 0  # (networkx counts a multigraph's edges by walking them all)
        for p, x in enumerate(members):
            x = int(x)
            g.add_node(text(x))
            for j in local.edges[local.start[p]:local.start[p + 1]]:
                e = ev.edge(int(j))
                if e["address_id_a"] != x:  # each edge once, from its first address
                    continue
                if n_edges >= max_edges:
                    g.graph["truncated"] = True
                    return g
                a, b = text(e["address_id_a"]), text(e["address_id_b"])
                g.add_edge(a, b, key=int(j), tx_id=e["tx_id"], heuristic=e["heuristic"],
                           change_heuristics=",".join(e["change_heuristics"]),
                           provisional=e["provisional"])
                n_edges += 1
        g.graph["truncated"] = False
        return g

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary, "n_addresses": self.n_addresses}

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        c = self._clusters
        return c.cluster_of_id(c.address_id(address)) == self.cluster_id

    def __len__(self) -> int:
        return self.n_addresses

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cluster) and other.cluster_id == self.cluster_id \
            and other._chain is self._chain

    def __hash__(self) -> int:
        return hash(self.cluster_id)

    def __repr__(self) -> str:
        lab = f" {self.label!r}" if self.label else ""
        return f"<Cluster {self.cluster_id}{lab}: {self.n_addresses:,} addresses>"


def clusters_of(chain: Chain) -> Clusters:
    """The chain's clustering, opened once per Chain."""
    c = chain.__dict__.get("_clusters_cache")
    if c is None:
        c = Clusters(chain)
        chain.__dict__["_clusters_cache"] = c
    return c


def cluster_of(chain: Chain, address) -> Cluster:
    """The cluster holding an address, given as text or as an ``Address`` (a one-line error
    without a clustering)."""
    c = clusters_of(chain)
    k = int(c.dense[c.address_id(getattr(address, "address", address))])
    return Cluster(c, ClusterRef(int(c.cluster_ids[k]), k))


def cluster(chain: Chain, cluster_id: int) -> Cluster:
    """A cluster by its id."""
    c = clusters_of(chain)
    return Cluster(c, c.ref(str(int(cluster_id))))
