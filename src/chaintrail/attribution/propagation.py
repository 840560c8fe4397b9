"""Tags carried to clusters: a cluster's labels are the tags of the
addresses inside it, with their best confidence; a cluster holding two
different services (two exchanges, an exchange and a mixer...) is reported
as a suspected false merge. ``service_anchors`` gives the clustering guard
the addresses that must not end up in one cluster."""

from __future__ import annotations

import pyarrow as pa

from chaintrail.attribution.taxonomy import SERVICE_CATEGORIES
from chaintrail.chain import Chain

_SERVICES = ", ".join(f"'{c}'" for c in sorted(SERVICE_CATEGORIES))
#: the service a tag names: its actor when the tag has one, else its label
_SERVICE = "coalesce(lower(actor), lower(label))"


def cluster_labels(chain: Chain, cluster_id: int | None = None) -> list[dict]:
    """The labels of one cluster (or of all), best confidence first."""
    where = "WHERE cluster_id = ?" if cluster_id is not None else ""
    params = [cluster_id] if cluster_id is not None else None
    return chain.sql(f"""
        SELECT * FROM cluster_labels {where}
        ORDER BY cluster_id, confidence_score DESC, n_addresses DESC, label""",
                     params=params).to_dicts()


def suspected_false_merges(chain: Chain, cluster_id: int | None = None,
                           min_confidence: int = 0) -> list[dict]:
    """Clusters whose tags name two or more different services, with one address per service."""
    where = "AND cluster_id = ?" if cluster_id is not None else ""
    params = [min_confidence] + ([cluster_id] if cluster_id is not None else [])
    return chain.sql(f"""
        WITH s AS (
            SELECT cluster_id, {_SERVICE} AS service, any_value(category) AS category,
                   max(confidence_score) AS confidence_score,
                   arg_max(address, confidence_score) AS address, count(DISTINCT address) AS n
            FROM cluster_tags
            WHERE category IN ({_SERVICES}) AND confidence_score >= ? {where}
            GROUP BY cluster_id, service)
        SELECT cluster_id, count(*) AS n_services,
               list({{'service': service, 'category': category, 'address': address,
                     'addresses': n, 'confidence_score': confidence_score}}
                    ORDER BY n DESC, service) AS services
        FROM s GROUP BY cluster_id HAVING count(*) > 1
        ORDER BY n_services DESC, cluster_id""", params=params).to_dicts()


def service_anchors(chain: Chain, min_confidence: int = 50) -> pa.Table:
    """(address, service, category, confidence_score) of tags that name one service, for the clustering guard."""
    rel = chain.sql(f"""
        SELECT address, {_SERVICE} AS service, arg_max(category, confidence_score) AS category,
               max(confidence_score) AS confidence_score
        FROM tags
        WHERE address IS NOT NULL AND category IN ({_SERVICES}) AND confidence_score >= ?
        GROUP BY address, service
        ORDER BY address""", params=[min_confidence])
    out = rel.arrow()
    return out if isinstance(out, pa.Table) else out.read_all()
