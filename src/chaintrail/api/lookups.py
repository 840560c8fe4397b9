"""Read-only helpers the shells need and ``Chain`` does not have yet: search
resolution, pages of a block's transactions, of an address's history and
outputs, of a transaction's inputs and outputs, and the latest blocks.
They read the same memory-mapped arrays as the objects, a page at a time
(candidates for ``Chain``/``Address``/``Block`` methods; see docs/web.md)."""

from __future__ import annotations

import re

import numpy as np

from chaintrail.api.limits import Page
from chaintrail.chain import Chain
from chaintrail.errors import AddressError, ChaintrailError, NotFoundError
from chaintrail.objects import Address, Block, Tx

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_OUTPOINT = re.compile(r"^([0-9a-fA-F]{64}):(\d+)$")
_CLUSTER = re.compile(r"^(?:cluster[:\s]?|c)(\d+)$", re.IGNORECASE)


def _hit(kind: str, ident: str, label: str) -> dict:
    ui = {"block": "/block/", "tx": "/tx/", "address": "/address/", "cluster": "/cluster/"}[kind]
    api = {"block": "/api/v1/blocks/", "tx": "/api/v1/txs/", "address": "/api/v1/addresses/",
           "cluster": "/api/v1/clusters/"}[kind]
    return {"kind": kind, "id": ident, "label": label, "url": ui + ident, "api": api + ident}


def search(chain: Chain, query: str, cluster_exists=None) -> list[dict]:
    """What a search box entry names: an address, a txid (or txid:vout), a block height or hash,
    a cluster id (``cluster:N``; a bare number is tried as a height and as a cluster)."""
    q = query.strip()
    if not q or len(q) > 120:
        return []
    hits: list[dict] = []
    m = _OUTPOINT.match(q)
    if m:
        q = m.group(1)
    if _HEX64.match(q):
        q = q.lower()
        try:
            tx = chain.tx(q)
            hits.append(_hit("tx", tx.txid, f"transaction at height {tx.height}"))
        except ChaintrailError:
            pass
        try:
            b = chain.block(q)
            hits.append(_hit("block", str(b.height) if b.height is not None else b.hash,
                             f"block {b.height}"))
        except ChaintrailError:
            pass
        return hits
    c = _CLUSTER.match(q)
    if c or q.isdigit():
        n = int(c.group(1) if c else q)
        if not c:
            tip = chain.tip[0]
            if tip is not None and n <= tip:
                hits.append(_hit("block", str(n), f"block at height {n}"))
        if cluster_exists is not None and cluster_exists(n):
            hits.append(_hit("cluster", str(n), f"cluster {n}"))
        return hits
    try:
        a = chain.address(q)
        hits.append(_hit("address", a.address, f"{a.script_type} address, {a.n_txs} transactions"))
    except (AddressError, NotFoundError, ChaintrailError):
        pass
    return hits


def tx_brief(tx: Tx) -> dict:
    """One line about a transaction (for lists)."""
    return {"txid": tx.txid, "tx_id": tx.tx_id, "height": tx.height, "time": tx.time,
            "n_inputs": tx.n_inputs, "n_outputs": tx.n_outputs, "output_value": tx.output_value,
            "fee": tx.fee, "is_coinbase": tx.is_coinbase}


def recent_blocks(chain: Chain, page: Page) -> dict:
    """The best chain's blocks, newest first."""
    rows = chain.sql("SELECT height, hash, time, n_tx, size, weight FROM blocks "
                     "ORDER BY chain_seq DESC LIMIT ? OFFSET ?",
                     params=[page.limit, page.offset]).to_dicts()
    return page.envelope(rows, int(chain._store.manifest.counts.get("blocks", 0)))


def block_dict(block: Block) -> dict:
    """A block's row without its (possibly very long) txid list."""
    return {k: v for k, v in block._row.items()}


def block_txs(chain: Chain, block: Block, page: Page) -> dict:
    """A page of a block's transactions, in block order."""
    n = int(block.n_tx)
    first = int(block.first_tx_id)
    ids = range(first + page.offset, first + min(n, page.offset + page.limit))
    return page.envelope([tx_brief(chain.tx_by_id(t)) for t in ids], n)


def tx_dict(tx: Tx, io_limit: int) -> dict:
    """A transaction with up to `io_limit` inputs and outputs (the totals say how many more)."""
    d = tx.row()
    d["inputs"] = [tx._chain.input(i).to_dict() for i in _range(tx, "in", 0, io_limit)]
    d["outputs"] = [tx._chain.output(o).to_dict() for o in _range(tx, "out", 0, io_limit)]
    d["inputs_truncated"] = tx.n_inputs > io_limit
    d["outputs_truncated"] = tx.n_outputs > io_limit
    return d


def _range(tx: Tx, side: str, offset: int, limit: int) -> range:
    a = tx._chain._arrays
    if side == "in":
        first, n = int(a.tx_first_in[tx.tx_id]), tx.n_inputs
    else:
        first, n = int(a.tx_first_out[tx.tx_id]), tx.n_outputs
    return range(first + min(offset, n), first + min(n, offset + limit))


def tx_io(tx: Tx, side: str, page: Page) -> dict:
    """A page of a transaction's inputs (`in`) or outputs (`out`)."""
    chain = tx._chain
    make = chain.input if side == "in" else chain.output
    items = [make(i).to_dict() for i in _range(tx, side, page.offset, page.limit)]
    return page.envelope(items, tx.n_inputs if side == "in" else tx.n_outputs)


def address_history(addr: Address, page: Page) -> dict:
    """A page of an address's transactions, newest first, with what each paid to it and took
    from it (satoshis)."""
    a = addr._a
    ids = addr.tx_ids[::-1]
    sel = ids[page.offset:page.offset + page.limit]
    outs = addr.output_ids
    received = _sum_by(np.asarray(a.out_tx)[outs], np.asarray(a.out_value)[outs], sel)
    spent_mask = addr._spent_by >= 0
    spend_tx = np.asarray(a.in_tx)[addr._spent_by[spent_mask]]
    sent = _sum_by(spend_tx, np.asarray(a.out_value)[outs][spent_mask], sel)
    items = []
    for k, t in enumerate(sel.tolist()):
        tx = addr._chain.tx_by_id(t)
        items.append({**tx_brief(tx), "received": int(received[k]), "sent": int(sent[k]),
                      "delta": int(received[k] - sent[k])})
    return page.envelope(items, int(ids.size))


def _sum_by(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Sum of values per wanted key (0 where the key does not occur)."""
    out = np.zeros(wanted.size, np.int64)
    if wanted.size == 0 or keys.size == 0:
        return out
    order = np.argsort(wanted)
    sw = wanted[order]
    pos = np.searchsorted(sw, keys)
    ok = (pos < sw.size) & (sw[np.minimum(pos, sw.size - 1)] == keys)
    acc = np.zeros(wanted.size, np.int64)
    np.add.at(acc, pos[ok], values[ok].astype(np.int64))
    out[order] = acc
    return out


def address_outputs(addr: Address, page: Page, unspent: bool = False) -> dict:
    """A page of the outputs an address received, newest first (optionally only unspent)."""
    ids = addr.output_ids[::-1]
    if unspent:
        ids = ids[(addr._spent_by < 0)[::-1]]
    sel = ids[page.offset:page.offset + page.limit].tolist()
    items = []
    for o in sel:
        out = addr._chain.output(o)
        items.append({**out.to_dict(), "txid": out.tx.txid, "height": out.tx.height})
    return page.envelope(items, int(ids.size))
