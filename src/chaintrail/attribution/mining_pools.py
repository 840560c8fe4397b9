"""Mining pools: the coinbase tag strings and payout addresses by which a
block's coinbase names its pool. Two file shapes: ``pools.json``
(``coinbase_tags`` and ``payout_addresses``, each mapping to a pool's name
and link) and ``pool-list.json`` (a list of pools with ``name``, ``link``,
``tags`` and ``addresses``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.bitcoin.serialize import ByteReader
from chaintrail.errors import ChaintrailError, DecodeError

#: Confidence level given to pool labels: the pool's own statement, or a known payout address.
POOL_CONFIDENCE = "service_data"


@dataclass
class Pool:
    name: str
    link: str | None = None
    tags: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


@dataclass
class Pools:
    """Known pools, with their coinbase tags ordered longest first (the most specific wins)."""

    pools: list[Pool]
    source: str = ""

    def __post_init__(self) -> None:
        pairs = [(t.encode("utf-8"), k) for k, p in enumerate(self.pools) for t in p.tags if t]
        self._tags = sorted(pairs, key=lambda x: -len(x[0]))
        self._by_address = {a: k for k, p in enumerate(self.pools) for a in p.addresses}

    def match_coinbase(self, script_sig: bytes) -> tuple[Pool, str] | None:
        """The pool whose tag appears in a coinbase scriptSig, with the tag."""
        for tag, k in self._tags:
            if tag in script_sig:
                return self.pools[k], tag.decode("utf-8")
        return None

    def pool_of_address(self, address: str) -> Pool | None:
        """The pool a payout address belongs to."""
        k = self._by_address.get(address)
        return None if k is None else self.pools[k]


def is_pools_document(doc: object) -> bool:
    """True for either known pools file shape."""
    if isinstance(doc, dict):
        return "coinbase_tags" in doc or "payout_addresses" in doc
    return (isinstance(doc, list) and bool(doc) and isinstance(doc[0], dict)
            and "name" in doc[0] and ("tags" in doc[0] or "addresses" in doc[0]))


def pools_from_document(doc: object, source: str = "") -> Pools:
    """Pools of a parsed pools.json or pool-list.json."""
    if isinstance(doc, list):
        return Pools([Pool(str(p["name"]), p.get("link"), [str(t) for t in p.get("tags", [])],
                           [str(a) for a in p.get("addresses", [])]) for p in doc], source)
    by_name: dict[str, Pool] = {}
    for key, kind in (("coinbase_tags", "tags"), ("payout_addresses", "addresses")):
        for value, info in (doc.get(key) or {}).items():
            name = str(info.get("name"))
            pool = by_name.setdefault(name, Pool(name, info.get("link")))
            getattr(pool, kind).append(str(value))
    return Pools(list(by_name.values()), source)


def load_pools(path: str | Path) -> Pools:
    """Pools of a pools.json or pool-list.json file."""
    path = Path(path)
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as exc:
        raise ChaintrailError(f"{path}: not a mining-pools JSON file: {exc}") from None
    if not is_pools_document(doc):
        raise ChaintrailError(f"{path}: neither pools.json nor pool-list.json shaped")
    return pools_from_document(doc, str(path))


def coinbase_script_sig(block_prefix: bytes) -> bytes:
    """The scriptSig of a block's coinbase, from the block's first bytes (header onwards)."""
    r = ByteReader(block_prefix, 80)
    r.compact_size("transaction count")
    r.i32("coinbase version")
    n_in = r.compact_size("coinbase input count")
    if n_in == 0:  # BIP144 marker: a flag byte, then the real count
        r.u8("segwit flag")
        n_in = r.compact_size("coinbase input count")
    if n_in < 1:
        raise DecodeError("coinbase without inputs")
    r.read(36, "coinbase prevout")
    return r.var_bytes("coinbase scriptSig")
