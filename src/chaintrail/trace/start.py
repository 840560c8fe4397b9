"""Where a trace starts: an address, a transaction, one output
(``TXID:VOUT``) or a cluster (``cluster:ID``, or a bare number when the store
is clustered), turned into the set of outputs whose value is followed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from chaintrail.chain import Chain
from chaintrail.errors import NotFoundError
from chaintrail.trace.policies import TraceError
from chaintrail.trace.rooms import clusters

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_OUTPOINT = re.compile(r"^([0-9a-fA-F]{64}):(\d+)$")


@dataclass
class Start:
    """The starting set of a trace."""

    ref: str
    kind: str  # address | tx | output | cluster | outputs
    outputs: np.ndarray  # output ids, ascending
    address_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cluster_id: int | None = None

    def to_dict(self) -> dict:
        return {"ref": self.ref, "kind": self.kind, "n_outputs": int(self.outputs.size),
                "n_addresses": int(self.address_ids.size), "cluster_id": self.cluster_id}


def outputs_of_addresses(chain: Chain, address_ids: np.ndarray) -> np.ndarray:
    """Every output received by the given addresses, ascending."""
    a = chain._arrays
    ids = np.unique(np.asarray(address_ids, np.int64))
    if ids.size == 0:
        return np.zeros(0, np.int64)
    starts = np.asarray(a.ao_start[ids])
    ends = np.asarray(a.ao_start[ids + 1])
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    pos = np.arange(total, dtype=np.int64) + offs
    return np.sort(np.asarray(a.ao_ids[pos]))


def resolve_start(chain: Chain, ref: str) -> Start:
    """The outputs a reference names (address, txid, txid:vout, cluster:ID or a cluster id)."""
    text = str(ref).strip()
    m = _OUTPOINT.match(text)
    a = chain._index()
    if m:
        tx = chain.tx(m.group(1).lower())
        vout = int(m.group(2))
        if vout >= tx.n_outputs:
            raise NotFoundError(f"{text}: transaction {tx.txid} has {tx.n_outputs} outputs")
        o = int(a.tx_first_out[tx.tx_id]) + vout
        aid = int(a.out_address[o])
        return Start(text, "output", np.array([o], np.int64),
                     np.array([aid] if aid >= 0 else [], np.int64))
    if _HEX64.match(text):
        tx = chain.tx(text.lower())
        first = int(a.tx_first_out[tx.tx_id])
        outs = np.arange(first, first + tx.n_outputs, dtype=np.int64)
        aids = np.asarray(a.out_address[outs])
        return Start(text, "tx", outs, np.unique(aids[aids >= 0]))
    low = text.lower()
    if low.startswith("cluster:") or text.isdigit():
        return start_of_cluster(chain, int(low.split(":", 1)[1] if ":" in low else low), text)
    addr = chain.address(text)
    return Start(text, "address", outputs_of_addresses(chain, np.array([addr.address_id])),
                 np.array([addr.address_id], np.int64))


def start_of_cluster(chain: Chain, cluster_id: int, ref: str | None = None) -> Start:
    """Every output received by the members of a cluster."""
    cl = clusters(chain)
    if cl is None:
        raise TraceError(f"{ref or cluster_id}: the store has no clustering "
                         "(run `chaintrail cluster build`), so cluster ids mean nothing yet")
    members = cl.members_of(int(cluster_id))
    if members.size == 0:
        raise NotFoundError(f"cluster {cluster_id} is not in the store's clustering")
    return Start(ref or f"cluster:{cluster_id}", "cluster", outputs_of_addresses(chain, members),
                 np.sort(members.astype(np.int64)), int(cluster_id))


def start_of_addresses(chain: Chain, addresses: list[str]) -> Start:
    """Every output received by a list of address strings."""
    ids = np.array([chain.address(x).address_id for x in addresses], np.int64)
    return Start(",".join(addresses), "address" if len(addresses) == 1 else "addresses",
                 outputs_of_addresses(chain, ids), np.unique(ids))
