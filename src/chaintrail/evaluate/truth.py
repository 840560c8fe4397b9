"""The simulator's ground truth (docs/simulator.md), read with DuckDB and
mapped onto the store's ids: addresses by their string, transactions by
their txid."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from chaintrail.errors import ChaintrailError
from chaintrail.heuristics.address_ids import address_ids
from chaintrail.store.duck import connect


class TruthError(ChaintrailError):
    """A ground-truth directory that is missing or unreadable."""


def tx_ids(arrays, txids: pa.Array) -> np.ndarray:
    """tx_id of each display-order hex txid, -1 where the store does not hold it."""
    n = len(txids)
    out = np.full(n, -1, np.int64)
    if n == 0 or arrays.counts["txs"] == 0:
        return out
    raw = np.frombuffer(bytes.fromhex("".join(txids.to_pylist())), np.uint8).reshape(n, 32)
    keys = np.ascontiguousarray(raw[:, :8]).view("<u8").reshape(-1)
    tk = np.asarray(arrays.txid_key)
    tt = np.asarray(arrays.txid_tx)
    pos = np.searchsorted(tk, keys)
    ok = pos < tk.size
    pos = np.minimum(pos, tk.size - 1)
    ok &= tk[pos] == keys
    cand = np.where(ok, tt[pos], 0)
    h = np.asarray(arrays.tx_hash)
    # equal 8-byte prefixes with different txids are vanishingly rare: check the whole hash
    full = ok & np.all(h[cand] == raw, axis=1)
    out[full] = cand[full]
    for k in np.nonzero(ok & ~full)[0]:
        p = pos[k]
        while p < tk.size and tk[p] == keys[k]:
            if np.array_equal(h[tt[p]], raw[k]):
                out[k] = tt[p]
                break
            p += 1
    return out


@dataclass
class Truth:
    """Ground truth on the store's ids."""

    address_id: np.ndarray  # store address ids of the truth's addresses (only those found)
    entity: np.ndarray  # entity of each
    wallet: np.ndarray  # wallet of each
    service: np.ndarray  # bool: the entity is a service (not a user)
    tx_id: np.ndarray  # store tx ids of the truth's transactions (only those found)
    kind: np.ndarray  # object array of kind names
    protocol: np.ndarray  # object array of protocol names ('' none)
    change_vout: np.ndarray  # int, -1 none
    entity_names: dict[int, str]
    entity_kinds: dict[int, str]
    missing_addresses: int
    missing_txs: int


def load_truth(truth_dir: str | Path, arrays) -> Truth:
    """Read a simulator truth directory and map it onto a store's arrays."""
    d = Path(truth_dir)
    for f in ("addresses.parquet", "txs.parquet", "entities.parquet"):
        if not (d / f).exists():
            raise TruthError(f"{d}: no {f} (expected the truth/ directory of `chaintrail simulate`)")
    con = connect()
    try:
        ents = con.sql(f"SELECT entity_id, name, kind FROM read_parquet('{d / 'entities.parquet'}')").to_arrow_table()
        addrs = con.sql(f"SELECT address, entity_id, wallet_id FROM read_parquet('{d / 'addresses.parquet'}') "
                        "WHERE address IS NOT NULL").to_arrow_table()
        txs = con.sql(f"SELECT txid, kind, coalesce(protocol, '') AS protocol, coalesce(change_vout, -1) AS "
                      f"change_vout FROM read_parquet('{d / 'txs.parquet'}')").to_arrow_table()
    finally:
        con.close()
    ids = address_ids(arrays, addrs.column("address").combine_chunks())
    found = ids >= 0
    ent = addrs.column("entity_id").to_numpy()[found]
    kinds = dict(zip(ents.column("entity_id").to_pylist(), ents.column("kind").to_pylist()))
    names = dict(zip(ents.column("entity_id").to_pylist(), ents.column("name").to_pylist()))
    service_ids = np.array([e for e, k in kinds.items() if k != "user"], np.int64)
    tid = tx_ids(arrays, txs.column("txid").combine_chunks())
    tf = tid >= 0
    return Truth(
        address_id=ids[found], entity=ent, wallet=addrs.column("wallet_id").to_numpy()[found],
        service=np.isin(ent, service_ids), tx_id=tid[tf],
        kind=np.asarray(txs.column("kind").to_numpy(zero_copy_only=False), object)[tf],
        protocol=np.asarray(txs.column("protocol").to_numpy(zero_copy_only=False), object)[tf],
        change_vout=txs.column("change_vout").to_numpy()[tf].astype(np.int64),
        entity_names=names, entity_kinds=kinds,
        missing_addresses=int((~found).sum()), missing_txs=int((~tf).sum()),
    )
