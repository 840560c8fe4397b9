"""Reading a clustering: the cluster of an address, a cluster's figures,
its addresses page by page (from the members CSR: constant time whatever
the cluster's size), and why two addresses are linked."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from chaintrail.bitcoin.script_types import NAMES
from chaintrail.chain import Chain
from chaintrail.cluster import room as R
from chaintrail.cluster.why import Evidence
from chaintrail.errors import NotFoundError, StoreError
from chaintrail.store.arrays import ChainArrays

PAGE_SIZE = 100
_INT = re.compile(r"^\d+$")


@dataclass
class ClusterRef:
    cluster_id: int
    index: int  # dense index into the lookups


class Clusters:
    """A store's clustering, opened read-only."""

    def __init__(self, chain: Chain):
        self.chain = chain
        store = chain._store
        self.root = store.root
        self.entry = store.manifest.extra.get(R.ROOM)
        if not self.entry:
            raise StoreError(f"{self.root}: no clustering yet: run `chaintrail cluster build`")
        self.arrays = ChainArrays.open(store.root, store.manifest)
        a = self.entry["arrays"]
        self.dense = R.read_array(self.root, a["dense"])
        self.cluster_ids = R.read_array(self.root, a["cluster_ids"])
        self.start = R.read_array(self.root, a["member_start"])
        self.members = R.read_array(self.root, a["members"])
        self._evidence: Evidence | None = None

    # --- lookups ----------------------------------------------------------
    def address_id(self, address: str) -> int:
        """The id of an address string (a one-line error when it is not one, or not clustered)."""
        address = address.strip()
        x = self.chain.address(address).address_id
        if x >= self.dense.shape[0]:
            raise NotFoundError(f"address {address} is newer than the clustering: run "
                                "`chaintrail cluster build`")
        return x

    def ref(self, text: str | int) -> ClusterRef:
        """The cluster named by a cluster id (digits) or holding an address."""
        s = str(text).strip()
        if _INT.match(s):
            cid = int(s)
            k = int(np.searchsorted(self.cluster_ids, cid))
            if k >= self.cluster_ids.shape[0] or int(self.cluster_ids[k]) != cid:
                raise NotFoundError(f"no cluster {cid}")
            return ClusterRef(cid, k)
        k = int(self.dense[self.address_id(s)])
        return ClusterRef(int(self.cluster_ids[k]), k)

    def cluster_of_id(self, address_id: int) -> int:
        return int(self.cluster_ids[int(self.dense[address_id])])

    # --- figures and members ---------------------------------------------
    def summary(self, ref: ClusterRef) -> dict:
        """The cluster's row of the ``clusters`` view (from the room's arrays: no SQL)."""
        a = self.entry["arrays"]
        if "stat_n_txs" not in a:  # a clustering written before the arrays existed
            rows = self.chain.sql("SELECT * FROM clusters WHERE cluster_id = ?",
                                  params=[ref.cluster_id]).to_dicts()
            return rows[0] if rows else {"cluster_id": ref.cluster_id}
        k = ref.index

        def stat(name: str) -> int:
            return int(R.read_array(self.root, a[f"stat_{name}"])[k])

        first, last = stat("first_height"), stat("last_height")
        label = None
        if "label_code" in a:
            code = int(R.read_array(self.root, a["label_code"])[k])
            label = self.entry["label_names"][code] if code >= 0 else None
        return {"cluster_id": ref.cluster_id, "n_addresses": int(self.start[k + 1]) - int(self.start[k]),
                "n_txs": stat("n_txs"), "balance": stat("balance"), "total_received": stat("received"),
                "first_height": first if first >= 0 else None, "last_height": last if last >= 0 else None,
                "label": label}

    def page(self, ref: ClusterRef, page: int = 1, size: int = PAGE_SIZE) -> dict:
        """Addresses of page `page` (1-based) of a cluster, by address id."""
        lo, hi = int(self.start[ref.index]), int(self.start[ref.index + 1])
        n = hi - lo
        pages = max(1, -(-n // size))
        if page < 1 or page > pages:
            raise NotFoundError(f"cluster {ref.cluster_id} has {pages} page(s) of {size} addresses")
        ids = np.asarray(self.members[lo + (page - 1) * size: min(hi, lo + page * size)])
        return {"page": page, "pages": pages, "page_size": size, "n_addresses": n,
                "addresses": self.address_rows(ids)}

    def address_rows(self, ids: np.ndarray) -> list[dict]:
        """(address_id, address, script_type, first_height) of address ids, in their order."""
        a = self.arrays
        return [{"address_id": int(x), "address": a.address_text(int(x)),
                 "script_type": NAMES[int(a.addr_type[int(x)])],
                 "first_height": int(a.addr_first_height[int(x)])} for x in ids]

    # --- provenance -------------------------------------------------------
    def evidence(self) -> Evidence:
        if self._evidence is None:
            self._evidence = Evidence(self.root, self.entry)
        return self._evidence

    def why(self, a: str, b: str) -> dict:
        """The shortest chain of recorded merges linking two addresses, or linked = False."""
        ia, ib = self.address_id(a), self.address_id(b)
        ca, cb = self.cluster_of_id(ia), self.cluster_of_id(ib)
        out = {"address_a": a, "address_b": b, "address_id_a": ia, "address_id_b": ib,
               "cluster_a": ca, "cluster_b": cb, "linked": ca == cb, "steps": []}
        if ca != cb:
            return out
        # the kernel module is imported here: only `why` needs it (and its compiler), not `show`
        from chaintrail.cluster.why_kernels import shortest_path_kernel

        ev = self.evidence()
        if ia == ib:  # one address: no step (and no edges to look up)
            found = np.zeros(0, np.int64)
        else:
            k = int(self.dense[ia])
            members = np.asarray(self.members[int(self.start[k]):int(self.start[k + 1])])
            local = ev.of_cluster(self.dense, k, members)
            found = shortest_path_kernel(ia, ib, members, local.start, local.edges, local.ea, local.eb)
        path = None if (found.shape[0] == 1 and found[0] < 0) else [int(j) for j in found]
        if path is None:  # cannot happen: every union left an edge
            raise StoreError(f"{self.root}: the evidence of cluster {ca} is incomplete")
        steps = [ev.edge(j) for j in path]
        # orient each step from a towards b
        x = ia
        for s in steps:
            if s["address_id_a"] != x:
                s["address_id_a"], s["address_id_b"] = s["address_id_b"], s["address_id_a"]
            x = s["address_id_b"]
        names = {r["address_id"]: r.get("address") for r in
                 self.address_rows(np.array(sorted({x for s in steps for x in (s["address_id_a"], s["address_id_b"])}),
                                            np.int64))}
        h = self.arrays.tx_hash
        for s in steps:
            s["txid"] = bytes(np.asarray(h[s["tx_id"]])).hex()
            s["from"] = names.get(s["address_id_a"])
            s["to"] = names.get(s["address_id_b"])
        out["steps"] = steps
        return out
