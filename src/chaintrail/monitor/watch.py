"""What the monitor watches for: the store's tags and sanctions lists as an
entity resolver for the trace engine (every attributed entity stops a trace,
as commercial exposure does; sanctions list entries are entities too), the
monitored category of each entity, and the watch items (listed or tagged
addresses and clusters of a monitored category) with the date each was
listed, whose snapshot in the desk tells a newly listed item from one known
before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from chaintrail.chain import Chain
from chaintrail.trace.entities import EntityResolver

#: monitored category -> (tag field, values) that put an entity or a tag in it
CATEGORY_MATCH: dict[str, tuple[str, tuple[str, ...]]] = {
    "sanctioned": ("abuse", ("sanction",)),
    "ransomware": ("abuse", ("ransomware",)),
    "darknet_market": ("category", ("market",)),
    "mixer": ("category", ("mixing_service",)),
}
CAT_CODES = {name: k + 1 for k, name in enumerate(CATEGORY_MATCH)}  # 0: not monitored
CAT_NAMES = ("",) + tuple(CATEGORY_MATCH)

_CACHE: dict[tuple, "Watch"] = {}


@dataclass
class Watch:
    """The resolver the traces stop at and the monitored category code of each entity."""

    resolver: EntityResolver
    entity_cat: np.ndarray  # int8 per entity code: CAT_CODES value, 0 when not monitored
    mask: np.ndarray  # bool per entity code: every attributed entity stops a trace
    unseen: list[str] = field(default_factory=list)  # tagged or listed, not on chain yet
    n_addresses: int = 0  # the store's address count it was checked against

    def category_of(self, address_ids: np.ndarray) -> np.ndarray:
        """Monitored category code of each address id (0: none or unattributed)."""
        codes = self.resolver.codes(np.asarray(address_ids, np.int64))
        out = np.zeros(codes.shape, np.int8)
        hit = codes >= 0
        if self.entity_cat.size:
            out[hit] = self.entity_cat[codes[hit]]
        return out


def _has_view(chain: Chain, name: str) -> bool:
    try:
        chain.sql(f"SELECT 1 FROM {name} LIMIT 0").fetchall()
        return True
    except Exception:  # noqa: BLE001 - duckdb raises CatalogException for a missing view
        return False


def _table(rel) -> pa.Table:
    t = rel.arrow()
    return t if isinstance(t, pa.Table) else t.read_all()


def resolver_rows(chain: Chain) -> pa.Table:
    """Tag rows for the resolver: every tag, and every current sanctions list entry as an entity
    with the abuse concept 'sanction'."""
    parts = []
    if _has_view(chain, "tags"):
        parts.append("""
            SELECT address, cluster_id, label, category, abuse, source,
                   coalesce(confidence_score, 0) AS confidence,
                   lower(trim(coalesce(actor, label))) AS name
            FROM tags WHERE (address IS NOT NULL OR cluster_id IS NOT NULL)
              AND coalesce(actor, label) IS NOT NULL""")
    if _has_view(chain, "sanctions"):
        parts.append("""
            SELECT address, NULL::BIGINT AS cluster_id, coalesce(entity, list) AS label,
                   NULL::VARCHAR AS category, 'sanction' AS abuse, 'sanctions list ' || list AS source,
                   100 AS confidence, lower(trim(coalesce(entity, list))) AS name
            FROM sanctions WHERE address IS NOT NULL""")
    if not parts:
        return pa.table({"address": pa.array([], pa.string())})
    return _table(chain.sql(" UNION ALL ".join(parts)))


def watch_of(chain: Chain) -> Watch:
    """The Watch of a store's current tags and lists (cached per store generation)."""
    import json

    from chaintrail.trace.rooms import clusters

    extra = chain._store.manifest.extra
    index_file = ((extra.get("index") or {}).get("arrays") or {}).get("out_tx", {}).get("file")
    key = (str(chain.path), index_file,  # a new file name: the index was rebuilt (a reorg)
           json.dumps([extra.get("attribution"), extra.get("clusters")], sort_keys=True, default=str))
    got = _CACHE.get(key)
    n_addr = chain._arrays.counts["addresses"]
    if got is not None and (got.n_addresses == n_addr or
                            (n_addr > got.n_addresses and not _newly_seen(chain, got))):
        got.n_addresses = n_addr
        return got
    rows = resolver_rows(chain)
    if rows.num_rows == 0 or "name" not in rows.column_names:
        resolver = EntityResolver.empty(chain)
    else:
        resolver = EntityResolver.from_tags(chain, rows, clusters(chain))
    cat = np.zeros(len(resolver), np.int8)
    for e in resolver.entities:
        cat[e.code] = category_code(e.category, e.abuse)
    mask = np.ones(max(len(resolver), 1), np.bool_)
    unseen: list[str] = []
    if rows.num_rows and "address" in rows.column_names:
        from chaintrail.desk.chainlink import address_ids

        addrs = [x for x in rows["address"].to_pylist() if x is not None]
        ids = address_ids(chain, addrs) if addrs else np.zeros(0, np.int64)
        unseen = [addrs[k] for k in np.nonzero(ids < 0)[0].tolist()]
    got = Watch(resolver, cat, mask, unseen, n_addr)
    _CACHE.clear()
    _CACHE[key] = got
    return got


def _newly_seen(chain: Chain, w: Watch) -> bool:
    """Whether a tagged or listed address the watch could not place is on chain now."""
    if not w.unseen:
        return False
    from chaintrail.desk.chainlink import address_ids

    return bool((address_ids(chain, w.unseen) >= 0).any())


def category_code(category: str | None, abuse: str | None) -> int:
    """The monitored category of a tag or entity (sanctions first), 0 when none."""
    for name, (fld, values) in CATEGORY_MATCH.items():
        v = abuse if fld == "abuse" else category
        if v is not None and v in values:
            return CAT_CODES[name]
    return 0


def _case_sql(prefix: str = "") -> str:
    whens = " ".join(f"WHEN {prefix}{fld} IN ({', '.join(repr(v) for v in values)}) THEN '{name}'"
                     for name, (fld, values) in CATEGORY_MATCH.items())
    return f"CASE {whens} END"


def watch_items(chain: Chain) -> pa.Table:
    """Every listed or tagged address/cluster of a monitored category, one row per (source,
    address or cluster, category): key, source, address, cluster_id, category, entity,
    list_name, listed_since (the list date it was first listed, for tags the pack's lastmod,
    else the day it was imported)."""
    parts = []
    if _has_view(chain, "sanctions"):
        parts.append("""
            SELECT 'sanctions' AS source, address, NULL::BIGINT AS cluster_id,
                   'sanctioned' AS category, any_value(entity) AS entity, list AS list_name,
                   min(listed_since) AS listed_since
            FROM sanctions WHERE address IS NOT NULL GROUP BY list, address""")
    if _has_view(chain, "tags"):
        parts.append(f"""
            SELECT 'tags' AS source, address, cluster_id, cat AS category,
                   any_value(coalesce(actor, label)) AS entity, any_value(coalesce(pack, file)) AS list_name,
                   min(coalesce(try_cast(lastmod AS DATE), CAST(imported AS DATE))) AS listed_since
            FROM (SELECT *, {_case_sql()} AS cat FROM tags)
            WHERE cat IS NOT NULL AND (address IS NOT NULL OR cluster_id IS NOT NULL)
            GROUP BY address, cluster_id, cat""")
    if not parts:
        return pa.table({"key": pa.array([], pa.string())})
    q = " UNION ALL ".join(parts)
    return _table(chain.sql(f"""
        SELECT md5(source || '|' || coalesce(address, '') || '|' ||
                   coalesce(CAST(cluster_id AS VARCHAR), '') || '|' || category) AS key, *
        FROM ({q}) ORDER BY key"""))


def listing_details(chain: Chain, address_ids: list[int]) -> dict[int, list[dict]]:
    """The list entries and tags of a few addresses (the evidence of an alert): per address id,
    rows of source, list or pack, entity or label, category, abuse, listed_since."""
    if not address_ids:
        return {}
    texts = chain._arrays.address_texts(address_ids)
    out: dict[int, list[dict]] = {aid: [] for aid in texts}
    by_text = {t: aid for aid, t in texts.items()}
    if not by_text:
        return out
    from chaintrail.attribution.addresses import hash_addresses

    # the addresses and their hashes as two list parameters (a re-screening asks for tens of
    # thousands: SQL literals would cost seconds to parse), the hashes first so that the
    # Parquet scans (sorted by hash) prune row groups; sorted rows: each address's entries
    # in one order whatever the threads
    want = list(by_text)
    hashes = [int(h) for h in np.unique(hash_addresses(want))]
    where = ("address_hash IN (SELECT unnest(?::UBIGINT[])) "
             "AND address IN (SELECT unnest(?::VARCHAR[]))")
    if _has_view(chain, "sanctions"):
        for r in chain.sql(f"""SELECT address, list, entity, entity_id, programs, listed_since
                               FROM sanctions WHERE {where} ORDER BY ALL""",
                           params=[hashes, want]).fetchall():
            out[by_text[r[0]]].append({"source": "sanctions", "list": r[1], "entity": r[2],
                                       "entry": r[3], "programs": r[4],
                                       "listed_since": _iso(r[5])})
    if _has_view(chain, "tags"):
        for r in chain.sql(f"""SELECT address, label, category, abuse, actor, source, confidence,
                                      coalesce(pack, file), lastmod, CAST(imported AS DATE),
                                      coalesce(try_cast(lastmod AS DATE), CAST(imported AS DATE))
                               FROM tags WHERE {where} ORDER BY ALL""",
                           params=[hashes, want]).fetchall():
            out[by_text[r[0]]].append({"source": "tags", "label": r[1], "category": r[2],
                                       "abuse": r[3], "actor": r[4], "tag_source": r[5],
                                       "confidence": r[6], "pack": r[7], "lastmod": r[8],
                                       "imported": _iso(r[9]), "listed_since": _iso(r[10])})
    return out


def _iso(v) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
