"""Labelling a store's coinbase transactions with their mining pools.

A block's pool is named by a tag string in its coinbase scriptSig, or by a
known payout address among its coinbase outputs. The store keeps no input
scripts, so each coinbase is read again from where ingest found the block
(the chain index keeps every block's location); blocks whose source is
gone are counted, and can still be labelled by payout address.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from chaintrail.attribution.mining_pools import POOL_CONFIDENCE, Pools, coinbase_script_sig
from chaintrail.attribution.tags import build_tags
from chaintrail.attribution.views import COINBASE_POOLS
from chaintrail.errors import ChaintrailError
from chaintrail.ingest.chain_index import ChainIndex
from chaintrail.sources.base import BlockLocation
from chaintrail.sources.files import read_location
from chaintrail.sources.framing import xor_bytes
from chaintrail.store.store import Store

PREFIX_BYTES = 4096  # enough for a header and the start of any coinbase


@dataclass
class PoolReport:
    blocks: int = 0
    labelled: int = 0
    by_method: Counter = field(default_factory=Counter)
    by_pool: Counter = field(default_factory=Counter)
    unreadable: Counter = field(default_factory=Counter)  # reason -> blocks

    def to_dict(self) -> dict:
        return {"blocks": self.blocks, "labelled": self.labelled, "by_method": dict(self.by_method),
                "by_pool": dict(self.by_pool.most_common()), "unreadable": dict(self.unreadable)}


def read_block_prefix(loc: BlockLocation) -> bytes:
    """The first bytes of a block, read again from its file."""
    if loc.kind != "file":
        raise ChaintrailError(f"{loc.kind} source")
    if loc.fmt == "hex":
        return read_location(loc)[:PREFIX_BYTES]
    n = min(loc.length, PREFIX_BYTES)
    try:
        with open(loc.path, "rb") as f:
            f.seek(loc.offset)
            data = f.read(n)
    except OSError as exc:
        raise ChaintrailError(f"cannot read {loc.path}: {exc.strerror}") from None
    if len(data) != n:
        raise ChaintrailError(f"{loc.path} is shorter than when it was ingested")
    return xor_bytes(data, loc.xor_key, loc.offset)


def label_coinbases(store: Store, pools: Pools,
                    imported: dt.datetime | None = None) -> tuple[pa.Table, pa.Table, PoolReport]:
    """(coinbase_pools rows, miner tags of the coinbase output addresses, report) for a store."""
    report = PoolReport()
    con = store.connect()
    try:
        blocks = con.sql("""
            SELECT b.height, b.hash, t.tx_id, t.txid FROM blocks b
            JOIN txs t ON t.tx_id = b.first_tx_id ORDER BY b.height""").fetchall()
        outs = con.sql("""
            SELECT o.tx_id, o.address FROM outputs o JOIN txs t ON t.tx_id = o.tx_id
            WHERE t.is_coinbase AND o.address IS NOT NULL ORDER BY o.output_id""").fetchall()
    finally:
        con.close()
    addresses: dict[int, list[str]] = {}
    for tx_id, addr in outs:
        addresses.setdefault(tx_id, []).append(addr)
    m = store.manifest
    index = ChainIndex.load(store.root / m.chain_index) if m.chain_index else ChainIndex()
    rows = []
    tag_rows: list[tuple[str, str, str | None, str]] = []  # address, pool, link, source
    for height, block_hash, tx_id, txid in blocks:
        report.blocks += 1
        hit = None
        entry = index.entries.get(block_hash)
        if entry is None:
            report.unreadable["not in the chain index"] += 1
        else:
            try:
                found = pools.match_coinbase(coinbase_script_sig(read_block_prefix(entry.loc)))
            except ChaintrailError as exc:
                report.unreadable[str(exc).split(":")[0]] += 1
                found = None
            if found:
                hit = (found[0], "coinbase_tag", found[1])
        if hit is None:
            for a in addresses.get(tx_id, []):
                p = pools.pool_of_address(a)
                if p is not None:
                    hit = (p, "payout_address", a)
                    break
        if hit is None:
            continue
        pool, method, evidence = hit
        report.labelled += 1
        report.by_method[method] += 1
        report.by_pool[pool.name] += 1
        rows.append({"height": height, "block_hash": block_hash, "tx_id": tx_id, "txid": txid,
                     "pool": pool.name, "link": pool.link, "method": method, "evidence": evidence})
        for a in addresses.get(tx_id, []):
            tag_rows.append((a, pool.name, pool.link,
                             f"coinbase of block {height} ({method.replace('_', ' ')} {evidence!r})"))
    table = pa.Table.from_pylist(rows, schema=COINBASE_POOLS)
    tags = pool_tags(tag_rows, pools.source, imported)
    return table, tags, report


def pool_tags(rows: list[tuple[str, str, str | None, str]], file: str,
              imported: dt.datetime | None = None) -> pa.Table:
    """Miner tags of (address, pool, link, source) rows."""
    imported = imported or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    n = len(rows)
    cols = {"address": [r[0] for r in rows], "label": [r[1] for r in rows],
            "category": ["miner"] * n, "source": [r[3] or r[2] for r in rows],
            "confidence": [POOL_CONFIDENCE] * n, "currency": ["BTC"] * n}
    tags, _ = build_tags(cols, ["mining pools"] * n, [file] * n, imported)
    return tags


def payout_address_tags(pools: Pools, imported: dt.datetime | None = None) -> tuple[pa.Table, int]:
    """Miner tags of every known payout address (no store needed), and how many were invalid."""
    rows = [(a, p.name, p.link, p.link or "mining pools list") for p in pools.pools for a in p.addresses]
    n = len(rows)
    cols = {"address": [r[0] for r in rows], "label": [r[1] for r in rows],
            "category": ["miner"] * n, "source": [r[3] for r in rows],
            "confidence": [POOL_CONFIDENCE] * n, "currency": ["BTC"] * n}
    tags, report = build_tags(cols, ["mining pools"] * n, [pools.source] * n,
                              imported or dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    return tags, report.skipped.get("invalid address", 0)
