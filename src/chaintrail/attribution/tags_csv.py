"""Plain CSV tags: a header row naming columns, one tag per row.

Columns: ``address`` or ``cluster_id`` (one of them per row), ``label``,
and optionally ``category``, ``abuse``, ``actor``, ``source``,
``confidence``, ``currency`` (default BTC), ``is_cluster_definer``,
``lastmod``. Unknown columns are ignored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from chaintrail.attribution.tags import TEXT_FIELDS, TagReport, build_tags, empty_tags
from chaintrail.attribution.yaml_plain import yaml_bool
from chaintrail.bitcoin.networks import MAINNET, Network


def parse_tags_csv(path: str | Path, network: Network = MAINNET,
                   imported: dt.datetime | None = None) -> tuple[pa.Table, TagReport]:
    """(tags, report) of one CSV tag file."""
    path = Path(path)
    imported = imported or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report = TagReport()
    try:
        raw = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={}, strings_can_be_null=True, auto_dict_encode=False),
            read_options=pacsv.ReadOptions(autogenerate_column_names=False))
    except (OSError, pa.ArrowInvalid) as exc:
        report.file_errors.append(f"{path}: not readable as CSV: {str(exc).splitlines()[0]}")
        return empty_tags(), report
    names = {c.strip().lower(): c for c in raw.column_names}
    if "address" not in names and "cluster_id" not in names:
        report.file_errors.append(f"{path}: CSV tags need an 'address' or 'cluster_id' column")
        return empty_tags(), report
    n = raw.num_rows

    def col(name: str) -> list:
        c = names.get(name)
        return [None if v is None else str(v) for v in raw[c].to_pylist()] if c else [None] * n

    columns = {f: col(f) for f in TEXT_FIELDS}
    cluster_ids = None
    if "cluster_id" in names:
        cluster_ids = []
        for v in col("cluster_id"):
            try:
                cluster_ids.append(int(v) if v not in (None, "") else None)
            except ValueError:
                cluster_ids.append(None)
    tags, rep = build_tags(columns, [path.name] * n, [str(path)] * n, imported, network,
                           cluster_ids=cluster_ids,
                           is_cluster_definer=[yaml_bool(v) for v in col("is_cluster_definer")])
    report.merge(rep)
    report.files = 1
    return tags, report
