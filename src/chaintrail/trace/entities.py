"""The entity resolver: which attributed entity (an exchange, a mixer, a
sanctioned actor...) controls an address, from the store's ``tags`` view,
by address and, when a clustering exists, by cluster (a tag on any member
attributes the whole cluster; a cluster tag attributes its members).

An entity is a service name: a tag's actor when it has one, else its
label, compared case-insensitively; its category is the category of its
best-confidence tag. When two entities claim one address (or cluster),
the better confidence wins, then the name that sorts first. Without tags
every address is unattributed, and the traces simply never stop at one.

The kernels read two sorted lookups: address id -> entity code and dense
cluster index -> entity code.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np
import pyarrow as pa

from chaintrail.chain import Chain
from chaintrail.trace.rooms import Clusters, clusters, has_tags

#: custodial services: they hold customers' coins and keep their customer (KYC) records
CUSTODIAL = frozenset({"exchange", "wallet_service", "atm"})

_CACHE: WeakKeyDictionary = WeakKeyDictionary()


@dataclass(frozen=True)
class Entity:
    """One attributed entity."""

    code: int
    entity_id: str  # the service name, lower-case: stable across tags and clusters
    label: str
    category: str | None
    abuse: str | None
    confidence: int
    sources: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"entity_id": self.entity_id, "label": self.label, "category": self.category,
                "abuse": self.abuse, "confidence": self.confidence, "sources": list(self.sources)}


def _best(keys: np.ndarray, codes: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One code per key: the best confidence, then the lowest code (codes follow name order)."""
    if keys.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    keys = keys.astype(np.int64)
    codes = codes.astype(np.int64)
    c = np.clip(conf.astype(np.int64), 0, 127)
    if keys.max() < (1 << 36) and codes.max() < (1 << 20):  # one int64 sort: key, -conf, code
        packed = np.sort((keys << 27) | ((127 - c) << 20) | codes)
        k = packed >> 27
        first = np.ones(k.size, bool)
        first[1:] = k[1:] != k[:-1]
        return np.ascontiguousarray(k[first]), (packed[first] & ((1 << 20) - 1)).astype(np.int32)
    order = np.lexsort((codes, -c, keys))
    k, cc = keys[order], codes[order]
    first = np.ones(k.size, bool)
    first[1:] = k[1:] != k[:-1]
    return np.ascontiguousarray(k[first]), np.ascontiguousarray(cc[first]).astype(np.int32)


def _name_codes(names: pa.ChunkedArray | pa.Array) -> tuple[list[str], np.ndarray]:
    """(sorted distinct names, code of each row) without sorting the rows."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(names)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.unify_dictionaries().combine_chunks() if enc.num_chunks else \
            pa.array([], pa.dictionary(pa.int32(), pa.string()))
    dictionary = enc.dictionary.to_pylist()
    order = sorted(range(len(dictionary)), key=lambda k: dictionary[k])
    remap = np.empty(len(dictionary), np.int64)
    remap[order] = np.arange(len(dictionary))
    idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    return [dictionary[k] for k in order], remap[idx] if idx.size else idx


class EntityResolver:
    """Address ids -> attributed entities (with their category and label)."""

    def __init__(self, entities: list[Entity], addr_keys: np.ndarray, addr_codes: np.ndarray,
                 cl: Clusters | None = None, cl_keys: np.ndarray | None = None,
                 cl_codes: np.ndarray | None = None):
        self.entities = entities
        self.addr_keys = np.ascontiguousarray(addr_keys, np.int64)
        self.addr_codes = np.ascontiguousarray(addr_codes, np.int32)
        self.clusters = cl
        self.cl_keys = np.ascontiguousarray(cl_keys if cl_keys is not None else np.zeros(0), np.int64)
        self.cl_codes = np.ascontiguousarray(cl_codes if cl_codes is not None else np.zeros(0),
                                             np.int32)
        self.dense = np.asarray(cl.dense) if cl is not None else np.zeros(0, np.int64)
        self._by_id = {e.entity_id: e for e in entities}
        self._maps: tuple | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def empty(cls, chain: Chain | None = None) -> EntityResolver:
        """A resolver that knows no entity (clusters still used for node aggregation)."""
        return cls([], np.zeros(0, np.int64), np.zeros(0, np.int32),
                   clusters(chain) if chain is not None else None)

    @classmethod
    def from_chain(cls, chain: Chain, min_confidence: int = 0) -> EntityResolver:
        """The resolver of a store's tags and clustering (cached per open Chain)."""
        key = (chain._store.manifest.generation, min_confidence)
        cached = _CACHE.get(chain)
        if cached is not None and cached[0] == key:
            return cached[1]
        res = None
        if has_tags(chain):  # worth keeping on disk: built from the tags, maybe millions
            from chaintrail.trace import resolver_cache

            res = resolver_cache.load(chain, min_confidence)
            if res is None:
                res = cls._build(chain, min_confidence)
                resolver_cache.save(chain, min_confidence, res)
        if res is None:
            res = cls._build(chain, min_confidence)
        _CACHE[chain] = (key, res)
        return res

    @classmethod
    def _build(cls, chain: Chain, min_confidence: int) -> EntityResolver:
        cl = clusters(chain)
        if not has_tags(chain):
            return cls([], np.zeros(0, np.int64), np.zeros(0, np.int32), cl)
        rel = chain.sql("""
            SELECT address, cluster_id, label, category, abuse, source,
                   coalesce(confidence_score, 0) AS confidence,
                   lower(trim(coalesce(actor, label))) AS name
            FROM tags
            WHERE (address IS NOT NULL OR cluster_id IS NOT NULL)
              AND coalesce(actor, label) IS NOT NULL AND coalesce(confidence_score, 0) >= ?""",
                        params=[min_confidence])
        t = rel.arrow()
        if not isinstance(t, pa.Table):
            t = t.read_all()
        return cls.from_tags(chain, t, cl)

    @classmethod
    def from_tags(cls, chain: Chain, t: pa.Table, cl: Clusters | None) -> EntityResolver:
        """A resolver from tag rows (address, cluster_id, label, category, abuse, source,
        confidence, name)."""
        from chaintrail.heuristics.address_ids import address_ids

        n = t.num_rows
        uniq, codes = _name_codes(t["name"])
        conf = np.asarray(t["confidence"].to_numpy(zero_copy_only=False), np.int64)
        packed = np.sort((codes << 40) | ((127 - np.clip(conf, 0, 127)) << 32) | np.arange(n))
        first = np.ones(n, bool)
        first[1:] = (packed[1:] >> 40) != (packed[:-1] >> 40)
        best = packed[first] & ((1 << 32) - 1)  # the best-confidence row of each code, in code order
        per = pa.table({"code": codes, "source": t["source"], "abuse": t["abuse"]}).group_by(
            "code").aggregate([("source", "distinct"), ("abuse", "min")]).sort_by("code")
        srcs = per["source_distinct"].to_pylist()
        abuses = per["abuse_min"].to_pylist()
        labels = t["label"].take(pa.array(best)).to_pylist()
        cats = t["category"].take(pa.array(best)).to_pylist()
        entities = [Entity(k, str(uniq[k]), labels[k] or str(uniq[k]), cats[k], abuses[k],
                           int(conf[best[k]]), tuple(sorted(x for x in srcs[k] if x)))
                    for k in range(len(uniq))]
        # address tags -> address ids
        addr = t["address"]
        has_addr = np.asarray(addr.is_valid().to_numpy(zero_copy_only=False), bool)
        rows = np.nonzero(has_addr)[0]
        aids = address_ids(chain._arrays, addr.take(pa.array(rows)).combine_chunks()) \
            if rows.size else np.zeros(0, np.int64)
        found = aids >= 0
        a_rows, aids = rows[found], aids[found]
        addr_keys, addr_codes = _best(aids, codes[a_rows], conf[a_rows])
        if cl is None:
            return cls(entities, addr_keys, addr_codes)
        # cluster level: tags of member addresses, and cluster tags
        dense = np.asarray(cl.dense)
        inside = aids < dense.shape[0]
        k1 = dense[aids[inside]]
        c1, f1 = codes[a_rows[inside]], conf[a_rows[inside]]
        cid_col = t["cluster_id"]
        c_rows = np.nonzero(np.asarray(cid_col.is_valid().to_numpy(zero_copy_only=False), bool))[0]
        cid = np.asarray(cid_col.take(pa.array(c_rows)).to_numpy(zero_copy_only=False), np.int64)
        ok = (cid >= 0) & (cid < dense.shape[0])
        d = np.full(cid.shape, -1, np.int64)
        d[ok] = dense[cid[ok]]
        ok &= np.asarray(cl.cluster_ids)[np.maximum(d, 0)] == cid
        k2, c2, f2 = d[ok], codes[c_rows[ok]], conf[c_rows[ok]]
        keys = np.concatenate([k1, k2])
        cc = np.concatenate([c1, c2])
        ff = np.concatenate([f1, f2])
        cl_keys, cl_codes = _best(keys.astype(np.int64), cc, ff)
        return cls(entities, addr_keys, addr_codes, cl, cl_keys, cl_codes)

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self.entities)

    def codes(self, address_ids: np.ndarray) -> np.ndarray:
        """Entity code of each address id (-1: unattributed)."""
        a = np.asarray(address_ids, np.int64)
        out = np.full(a.shape, -1, np.int32)
        if self.cl_keys.size:
            ok = (a >= 0) & (a < self.dense.shape[0])
            d = np.full(a.shape, -1, np.int64)
            d[ok] = self.dense[a[ok]]
            p = np.minimum(np.searchsorted(self.cl_keys, d), self.cl_keys.size - 1)
            hit = ok & (self.cl_keys[p] == d)
            out[hit] = self.cl_codes[p[hit]]
        if self.addr_keys.size:
            p = np.minimum(np.searchsorted(self.addr_keys, a), self.addr_keys.size - 1)
            hit = (a >= 0) & (self.addr_keys[p] == a)
            out[hit] = self.addr_codes[p[hit]]
        return out

    def resolve(self, address_ids) -> list[tuple[str, str | None, str] | None]:
        """(entity id, category, label) of each address id, None where unattributed."""
        return [None if c < 0 else (self.entities[c].entity_id, self.entities[c].category,
                                    self.entities[c].label)
                for c in self.codes(np.asarray(address_ids)).tolist()]

    def entity(self, code_or_id: int | str) -> Entity | None:
        """An entity by code or entity id."""
        if isinstance(code_or_id, str):
            return self._by_id.get(code_or_id.strip().lower())
        return self.entities[code_or_id] if 0 <= code_or_id < len(self.entities) else None

    def stop_mask(self, stop_at) -> np.ndarray:
        """Per entity code: whether a trace stops there (see ``stop_rules.matches``)."""
        from chaintrail.trace.stop_rules import matches

        rules = stop_at if not isinstance(stop_at, str) else [stop_at]
        return np.array([matches(e, rules) for e in self.entities], np.bool_)

    def cluster_of(self, address_ids: np.ndarray) -> np.ndarray | None:
        """Cluster id per address id, or None without a clustering."""
        return None if self.clusters is None else self.clusters.cluster_of(address_ids)

    def kernel_args(self) -> tuple:
        """(address map keys, values, dense, cluster map keys, values) for the propagation
        kernel: hash maps built once, read-only (one compiled signature whatever their origin)."""
        if self._maps is None:
            from chaintrail.trace.table_kernels import map_build

            ak, av = map_build(self.addr_keys, self.addr_codes.astype(np.int64)) \
                if self.addr_keys.size else (np.zeros(0, np.int64), np.zeros(0, np.int64))
            ck, cv = map_build(self.cl_keys, self.cl_codes.astype(np.int64)) \
                if self.cl_keys.size else (np.zeros(0, np.int64), np.zeros(0, np.int64))
            dense = self.dense if self.cl_keys.size else np.zeros(0, np.int64)
            self._maps = tuple(read_only(x) for x in (ak, av, dense, ck, cv))
        return self._maps


def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only, C-contiguous ndarray view of a (memory maps included)."""
    v = np.ascontiguousarray(a).view(np.ndarray)
    v.flags.writeable = False
    return v
