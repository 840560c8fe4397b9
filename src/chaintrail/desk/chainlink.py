"""The desk's view of the store: address strings to address ids in bulk,
txids to tx ids, and the on-chain facts shown beside a customer's addresses
(received, sent, transactions, cluster)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from chaintrail.chain import Chain
from chaintrail.errors import NotFoundError, StoreError
from chaintrail.store.string_hash_kernels import hash_string_array


def arrays(chain: Chain):
    """The store's analysis arrays (a one-line error when the index is missing or stale)."""
    return chain._index()


def address_ids(chain: Chain, addresses: list[str]) -> np.ndarray:
    """The address id of each address string, -1 for addresses the store has never seen."""
    a = arrays(chain)
    n = len(addresses)
    out = np.full(n, -1, np.int64)
    if n == 0:
        return out
    ha, hb = hash_string_array(pa.array(addresses, pa.string()))
    keys = np.asarray(a.addr_key)
    keys2 = np.asarray(a.addr_key2)
    ids = np.asarray(a.addr_id)
    lo = np.searchsorted(keys, ha)
    m = len(keys)
    ok = lo < m
    cand = np.where(ok, lo, 0)
    hit = ok & (keys[cand] == ha) & (keys2[cand] == hb)
    out[hit] = ids[cand[hit]]
    # hash-A collisions: scan the rest of each equal run (rare)
    for k in np.nonzero(ok & ~hit & (keys[cand] == ha))[0]:
        j = int(lo[k])
        while j < m and keys[j] == ha[k]:
            if keys2[j] == hb[k]:
                out[k] = int(ids[j])
                break
            j += 1
    return out


def tx_id(chain: Chain, txid: str) -> int:
    """The tx id of a txid (NotFoundError when not in the store)."""
    a = arrays(chain)
    raw = bytes.fromhex(txid)
    key = int.from_bytes(raw[:8], "little")
    keys = a.txid_key
    lo = int(keys.searchsorted(np.uint64(key)))
    while lo < len(keys) and int(keys[lo]) == key:
        t = int(a.txid_tx[lo])
        if bytes(a.tx_hash[t]) == raw:
            return t
        lo += 1
    raise NotFoundError(f"transaction {txid} is not in the store")


def txid_of(chain: Chain, t: int) -> str:
    """The display-order txid of a tx id."""
    return bytes(arrays(chain).tx_hash[t]).hex()


def time_bounds(start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """Block-time bounds (seconds, inclusive) of a date window; open ends are unbounded."""
    lo = 0 if start is None else int(dt.datetime.combine(start, dt.time(), dt.timezone.utc).timestamp())
    hi = (1 << 40) if end is None else int(
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.timezone.utc).timestamp()) - 1
    return lo, hi


def address_facts(chain: Chain, address: str) -> dict:
    """On-chain facts of one address: id, received, sent, balance, outputs, txs, cluster."""
    try:
        addr = chain.address(address)
    except (NotFoundError, StoreError, ValueError) as exc:
        return {"address": address, "on_chain": False, "note": str(exc)}
    out = {"address": address, "on_chain": True, "address_id": addr.address_id,
           "received": addr.received, "sent": addr.sent,
           "balance": addr.balance, "n_outputs": addr.n_outputs, "n_txs": addr.n_txs,
           "first_height": addr.first_height, "last_height": addr.last_height, "cluster_id": None}
    try:
        row = chain.sql("SELECT cluster_id FROM addresses WHERE address = ?", [address]).fetchall()
        out["cluster_id"] = row[0][0] if row else None
    except Exception:  # noqa: BLE001 - a store without the clustering's view
        pass
    return out


def deposits_in_window(chain: Chain, address_ids_: np.ndarray, t_lo: int, t_hi: int,
                       limit: int = 10_000) -> list[dict]:
    """Outputs received by the given addresses in a time window (txid, vout, value, height, time)."""
    a = arrays(chain)
    out: list[dict] = []
    for aid in np.unique(address_ids_[address_ids_ >= 0]):
        lo, hi = int(a.ao_start[aid]), int(a.ao_start[aid + 1])
        for o in np.asarray(a.ao_ids[lo:hi]):
            t = int(a.out_tx[o])
            tt = int(a.tx_time[t])
            if t_lo <= tt <= t_hi:
                out.append({"address_id": int(aid), "txid": bytes(a.tx_hash[t]).hex(),
                            "vout": int(o - a.tx_first_out[t]), "value": int(a.out_value[o]),
                            "height": int(a.tx_height[t]),
                            "time": dt.datetime.fromtimestamp(tt, dt.timezone.utc).isoformat()})
                if len(out) >= limit:
                    return out
    return out
