"""Attribution tags as an Arrow table, and the report of an import: what
was read, what was kept, and every tag skipped with its reason.

Every tag importer (TagPack YAML, CSV) gathers plain columns and hands them
to ``build_tags``, which validates the Bitcoin addresses in bulk, drops the
other currencies and the invalid addresses (counting both, with samples),
and returns the ``tags`` table of the store contract.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chaintrail.attribution.addresses import check_addresses, invalid_reason
from chaintrail.attribution.taxonomy import confidence_score, is_known_concept, normalise_concept
from chaintrail.bitcoin.networks import MAINNET, Network

TAGS = pa.schema([
    ("address", pa.string()),  # canonical spelling; NULL for a cluster tag
    ("cluster_id", pa.int64()),  # the tagged cluster; NULL for an address tag
    ("label", pa.string()),
    ("category", pa.string()),  # entity concept (exchange, miner, mixing_service, ...)
    ("abuse", pa.string()),  # abuse concept (ransomware, sanction, sextortion, ...)
    ("actor", pa.string()),
    ("source", pa.string()),
    ("confidence", pa.string()),  # GraphSense confidence level id
    ("confidence_score", pa.int32()),
    ("is_cluster_definer", pa.bool_()),
    ("currency", pa.string()),
    ("pack", pa.string()),  # TagPack title, or the CSV file's name
    ("file", pa.string()),  # the file the tag came from
    ("lastmod", pa.string()),
    ("imported", pa.timestamp("s", tz="UTC")),
    ("address_hash", pa.uint64()),  # lookup hash of the canonical address
])

#: Text columns every importer fills (missing ones become NULL).
TEXT_FIELDS = ("address", "label", "category", "abuse", "actor", "source", "confidence",
               "currency", "lastmod")
BITCOIN_CURRENCIES = frozenset({"BTC", "XBT", "BITCOIN"})
SAMPLE = 10


@dataclass
class TagReport:
    """Counts of one import: tags read, imported, skipped by reason, with samples."""

    files: int = 0
    read: int = 0
    imported: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    other_currencies: Counter = field(default_factory=Counter)  # currency -> count
    invalid_samples: list[dict] = field(default_factory=list)
    unknown_concepts: Counter = field(default_factory=Counter)
    file_errors: list[str] = field(default_factory=list)
    actors: int = 0

    def merge(self, other: TagReport) -> None:
        self.files += other.files
        self.read += other.read
        self.imported += other.imported
        self.skipped.update(other.skipped)
        self.other_currencies.update(other.other_currencies)
        room = SAMPLE - len(self.invalid_samples)
        self.invalid_samples.extend(other.invalid_samples[:max(room, 0)])
        self.unknown_concepts.update(other.unknown_concepts)
        self.file_errors.extend(other.file_errors)
        self.actors += other.actors

    def to_dict(self) -> dict:
        return {
            "files": self.files, "read": self.read, "imported": self.imported,
            "skipped": dict(self.skipped), "other_currencies": dict(self.other_currencies.most_common()),
            "invalid_samples": self.invalid_samples,
            "unknown_concepts": dict(self.unknown_concepts), "file_errors": self.file_errors,
            "actors": self.actors,
        }


def _text(values: list) -> pa.Array:
    """Strings stripped, empty ones NULL."""
    arr = pa.array([None if v is None else str(v) for v in values], pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _concepts(arr: pa.Array, report: TagReport) -> pa.Array:
    """Categories in the taxonomy's spelling; unknown ones are kept and counted."""
    uniq = pc.unique(arr).to_pylist()
    mapping = {u: normalise_concept(u) for u in uniq if u is not None}
    out = pa.array([mapping.get(v) if v is not None else None for v in arr.to_pylist()], pa.string())
    counts = pc.value_counts(out).to_pylist()
    for c in counts:
        v = c["values"]
        if v is not None and not is_known_concept(v):
            report.unknown_concepts[v] += c["counts"]
    return out


def build_tags(columns: dict[str, list], pack: list, file: list, imported: dt.datetime,
               network: Network = MAINNET, cluster_ids: list | None = None,
               is_cluster_definer: list | None = None) -> tuple[pa.Table, TagReport]:
    """The tags table of gathered columns: Bitcoin only, addresses validated, reasons counted."""
    report = TagReport()
    n = len(pack)
    report.read = n
    cols = {f: _text(columns.get(f) or [None] * n) for f in TEXT_FIELDS}
    currency = pc.utf8_upper(cols["currency"])
    cids = pa.array(cluster_ids if cluster_ids is not None else [None] * n, pa.int64())
    has_address = pc.invert(pc.is_null(cols["address"]))
    has_target = pc.or_(has_address, pc.invert(pc.is_null(cids)))
    is_btc = pc.or_(pc.is_null(currency), pc.is_in(currency, pa.array(sorted(BITCOIN_CURRENCIES))))
    # other currencies first: their addresses are not Bitcoin addresses to validate
    other = pc.invert(is_btc).to_numpy(zero_copy_only=False)
    for c in pc.value_counts(pc.filter(currency, pc.invert(is_btc))).to_pylist():
        report.other_currencies[c["values"]] += c["counts"]
    if other.any():
        report.skipped["other currency"] += int(other.sum())
    no_target = ~has_target.to_numpy(zero_copy_only=False) & ~other
    if no_target.any():
        report.skipped["no address"] += int(no_target.sum())
    address = cols["address"]
    check = check_addresses(address, network)
    valid = check.valid | ~has_address.to_numpy(zero_copy_only=False)
    bad = ~valid & ~other & ~no_target
    if bad.any():
        report.skipped["invalid address"] += int(bad.sum())
        addr_list = address.to_pylist()
        for i in np.nonzero(bad)[0][:SAMPLE]:
            report.invalid_samples.append({"address": addr_list[i], "file": file[i],
                                           "reason": invalid_reason(addr_list[i] or "", network)})
    keep = ~other & ~no_target & ~bad
    canon = pc.if_else(pc.starts_with(pc.utf8_lower(address), network.hrp + "1"),
                       pc.utf8_lower(address), address)
    definer = pa.array(is_cluster_definer if is_cluster_definer is not None else [None] * n,
                       pa.bool_())
    conf = pc.utf8_lower(cols["confidence"])
    scores = {c: confidence_score(c) for c in pc.unique(conf).to_pylist()}
    table = pa.table({
        "address": canon,
        "cluster_id": cids,
        "label": pc.coalesce(cols["label"], cols["actor"], pa.array(pack, pa.string())),
        "category": _concepts(cols["category"], report),
        "abuse": _concepts(cols["abuse"], report),
        "actor": cols["actor"],
        "source": cols["source"],
        "confidence": conf,
        "confidence_score": pa.array([scores[c] for c in conf.to_pylist()], pa.int32()),
        "is_cluster_definer": definer,
        "currency": pc.if_else(is_btc, pa.scalar("BTC"), currency),
        "pack": pa.array(pack, pa.string()),
        "file": pa.array(file, pa.string()),
        "lastmod": cols["lastmod"],
        "imported": pa.array([imported] * n, pa.timestamp("s", tz="UTC")),
        "address_hash": pa.array(np.where(has_address.to_numpy(zero_copy_only=False),
                                          check.hashes, 0).astype(np.uint64), pa.uint64()),
    }, schema=TAGS)
    table = table.filter(pa.array(keep))
    report.imported = table.num_rows
    return table, report


def empty_tags() -> pa.Table:
    """A tags table with no rows."""
    return TAGS.empty_table()
