"""The SQL views of the attribution room, generated from its manifest
entry: ``tags``, ``actors``, ``sanctions`` (the current version of every
list, with the date each address was first listed), ``sanctions_all``
(every version), ``sanction_versions``, ``coinbase_pools``, and the
propagation of tags to clusters (``cluster_tags``, ``cluster_labels``).

Each view is self-contained (its own ``read_parquet``) because the store
creates extra views in name order."""

from __future__ import annotations

import pyarrow as pa

from chaintrail.attribution.sanctions import SANCTIONS
from chaintrail.attribution.tagpacks import ACTORS
from chaintrail.attribution.tags import TAGS

_TYPES = {
    pa.string(): "VARCHAR", pa.int64(): "BIGINT", pa.int32(): "INTEGER", pa.bool_(): "BOOLEAN",
    pa.uint64(): "UBIGINT", pa.date32(): "DATE", pa.timestamp("s", tz="UTC"): "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
}

VERSIONS = pa.schema([
    ("list", pa.string()), ("version", pa.int32()), ("list_date", pa.date32()),
    ("imported", pa.timestamp("s", tz="UTC")), ("source_file", pa.string()),
    ("format", pa.string()), ("sha256", pa.string()), ("n_addresses", pa.int64()),
    ("n_valid", pa.int64()), ("n_invalid", pa.int64()), ("other_assets", pa.string()),
    ("current", pa.bool_()),
])

COINBASE_POOLS = pa.schema([
    ("height", pa.int64()), ("block_hash", pa.string()), ("tx_id", pa.int64()),
    ("txid", pa.string()), ("pool", pa.string()), ("link", pa.string()),
    ("method", pa.string()),  # coinbase_tag | payout_address
    ("evidence", pa.string()),  # the tag found, or the payout address
])


def source(files: list[str], schema: pa.Schema) -> str:
    """A FROM source over files under {root}, or an empty relation typed like schema."""
    if files:
        quoted = ", ".join("'{root}/" + f.replace("'", "''") + "'" for f in files)
        return f"read_parquet([{quoted}], union_by_name = true)"
    cols = ", ".join(f"NULL::{_TYPES[f.type]} AS {f.name}" for f in schema)
    return f"(SELECT {cols} WHERE false)"


def _cluster_tags(tags: str) -> str:
    return f"""
        SELECT a.cluster_id, t.* EXCLUDE (cluster_id) FROM {tags} t
        JOIN addresses a ON a.address = t.address
        WHERE t.address IS NOT NULL AND a.cluster_id IS NOT NULL
        UNION ALL BY NAME
        SELECT t.* FROM {tags} t WHERE t.cluster_id IS NOT NULL"""


def build_views(entry: dict) -> dict[str, str]:
    """View name -> SQL for a manifest entry of the attribution room."""
    tags = source([f["file"] for f in entry.get("tag_files", [])], TAGS)
    versions = entry.get("sanction_versions", [])
    all_files = [v["file"] for v in versions]
    current = [v["file"] for v in versions if v.get("current")]
    allv = source(all_files, SANCTIONS)
    curv = source(current, SANCTIONS)
    views = {
        "tags": f"SELECT * FROM {tags}",
        "actors": f"SELECT * FROM {source(entry.get('actor_files', []), ACTORS)}",
        "sanctions_all": f"SELECT * FROM {allv}",
        "sanction_versions": f"SELECT * FROM {source([entry['versions_file']] if entry.get('versions_file') else [], VERSIONS)}",
        "sanctions": f"""
            SELECT c.* REPLACE (coalesce(c.entity, f.entity) AS entity,
                                coalesce(c.entity_id, f.entity_id) AS entity_id,
                                coalesce(c.entity_type, f.entity_type) AS entity_type,
                                coalesce(c.programs, f.programs) AS programs),
                   f.listed_since
            FROM {curv} c
            JOIN (SELECT list, address, min(list_date) AS listed_since,
                         arg_max(entity, version) FILTER (WHERE entity IS NOT NULL) AS entity,
                         arg_max(entity_id, version) FILTER (WHERE entity IS NOT NULL) AS entity_id,
                         arg_max(entity_type, version) FILTER (WHERE entity IS NOT NULL) AS entity_type,
                         arg_max(programs, version) FILTER (WHERE entity IS NOT NULL) AS programs
                  FROM {allv} GROUP BY list, address) f USING (list, address)""",
        "coinbase_pools": f"SELECT * FROM {source([entry['pools_file']] if entry.get('pools_file') else [], COINBASE_POOLS)}",
        "cluster_tags": _cluster_tags(tags),
        "cluster_labels": f"""
            SELECT cluster_id, label, category, abuse, actor,
                   max(confidence_score) AS confidence_score,
                   arg_max(confidence, confidence_score) AS confidence,
                   count(DISTINCT address) AS n_addresses,
                   list(DISTINCT source ORDER BY source) FILTER (WHERE source IS NOT NULL) AS sources
            FROM ({_cluster_tags(tags)})
            GROUP BY cluster_id, label, category, abuse, actor""",
    }
    return views
