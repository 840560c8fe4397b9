"""The attribution room of a store: tags, actors, sanctions list versions
and coinbase pool labels as Parquet files under ``rooms/attribution/``,
named by ``manifest.extra["attribution"]`` and committed atomically.

The shell around the parsers: each import opens the store for writing,
writes its files, and commits a new entry (or nothing, when refused)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chaintrail.attribution.sanctions import SANCTIONS, SanctionsError, SanctionsFile
from chaintrail.attribution.screen_snapshot import refresh_snapshot
from chaintrail.attribution.views import VERSIONS, build_views
from chaintrail.store.store import Store

ROOM = "attribution"
DIR = "rooms/attribution"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def entry_of(store: Store) -> dict:
    """A copy of the room's manifest entry (empty when nothing was imported)."""
    return json.loads(json.dumps(store.manifest.extra.get(ROOM) or {}))


ROW_GROUP = 16_384  # small row groups: a lookup by address_hash reads one of them


def _write(store: Store, prefix: str, table: pa.Table) -> str:
    """Write a room file (sorted by address_hash when it has one, so lookups prune row groups)."""
    rel = f"{DIR}/{prefix}-{uuid.uuid4().hex[:12]}.parquet"
    (store.root / DIR).mkdir(parents=True, exist_ok=True)
    if "address_hash" in table.column_names:
        table = table.sort_by("address_hash")
    pq.write_table(table, store.root / rel, compression="zstd", row_group_size=ROW_GROUP)
    return rel


def _commit(store: Store, entry: dict) -> None:
    files = [f["file"] for f in entry.get("tag_files", [])]
    files += entry.get("actor_files", [])
    files += [v["file"] for v in entry.get("sanction_versions", [])]
    for key in ("versions_file", "pools_file", "sdn_names_file"):
        if entry.get(key):
            files.append(entry[key])
    entry["files"] = files
    entry["views"] = build_views(entry)
    store.commit_extra(ROOM, entry)
    refresh_snapshot(store.root)


# --------------------------------------------------------------------------- tags

def _replace_sources(store: Store, entry: dict, sources: set[str]) -> list[dict]:
    """Tag files left after removing the rows of re-imported source files."""
    kept = []
    for f in entry.get("tag_files", []):
        old = set(f.get("sources", []))
        if not old & sources:
            kept.append(f)
            continue
        if old <= sources:
            continue
        t = pq.read_table(store.root / f["file"])
        t = t.filter(pc.invert(pc.is_in(t["file"], pa.array(sorted(sources)))))
        kept.append({**f, "file": _write(store, "tags", t), "sources": sorted(old - sources),
                     "rows": t.num_rows})
    return kept


def commit_tags(store: Store, tags: pa.Table, actors: pa.Table | None, sources: list[str],
                pools_table: pa.Table | None = None) -> None:
    """Add tags (and actors, coinbase pool labels) to the store, replacing earlier imports of the same files."""
    entry = entry_of(store)
    srcs = {str(s) for s in sources}
    files = _replace_sources(store, entry, srcs)
    if tags.num_rows:
        files.append({"file": _write(store, "tags", tags), "sources": sorted(srcs),
                      "rows": tags.num_rows, "imported": now().isoformat()})
    entry["tag_files"] = files
    if actors is not None and actors.num_rows:
        entry["actor_files"] = [*entry.get("actor_files", []), _write(store, "actors", actors)]
    if pools_table is not None:
        entry["pools_file"] = _write(store, "coinbase-pools", pools_table)
    _commit(store, entry)


# --------------------------------------------------------------------------- sanctions

@dataclass
class SanctionsImport:
    """The outcome of importing one list file as a new version of a list."""

    list: str
    version: int
    list_date: dt.date
    n_addresses: int
    n_valid: int
    invalid: list[dict]
    other_assets: Counter
    added: int
    removed: int
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"list": self.list, "version": self.version, "list_date": self.list_date.isoformat(),
                "addresses": self.n_addresses, "valid": self.n_valid, "invalid": self.invalid,
                "other_assets": dict(self.other_assets), "added": self.added,
                "removed": self.removed, "unchanged": self.unchanged, "warnings": self.warnings}


def _current_addresses(store: Store, version: dict) -> set[str]:
    t = pq.read_table(store.root / version["file"], columns=["address"])
    return set(t["address"].to_pylist())


def commit_sanctions(store: Store, parsed: SanctionsFile, list_name: str | None = None,
                     list_date: dt.date | None = None) -> SanctionsImport:
    """Record a parsed list file as the next version of its list; refuse one that removes every address."""
    entry = entry_of(store)
    name = list_name or parsed.default_list
    versions = entry.get("sanction_versions", [])
    mine = [v for v in versions if v["list"] == name]
    warnings = []
    date = list_date or parsed.list_date
    if date is None:
        date = now().date()
        warnings.append(f"{parsed.path}: the file states no list date; using today's "
                        f"({date.isoformat()}): pass --date to record the real one")
    new_addrs = set(parsed.addresses["address"].to_pylist())
    n_bitcoin = parsed.addresses.num_rows
    previous = max(mine, key=lambda v: (v["list_date"], v["version"])) if mine else None
    old_addrs = _current_addresses(store, previous) if previous else set()
    if n_bitcoin == 0:
        other = ", ".join(f"{k} {v}" for k, v in parsed.other_assets.most_common()) or "none"
        if previous:
            raise SanctionsError(
                f"{parsed.path}: refusing to update list {name!r}: the new file has no Bitcoin "
                f"addresses (other assets: {other}) and would remove all {len(old_addrs)} of "
                f"version {previous['version']}")
        raise SanctionsError(f"{parsed.path}: no Bitcoin (XBT) addresses found "
                             f"(other assets: {other}); nothing imported")
    sha = parsed.sha256
    if previous and previous["sha256"] == sha and previous["list_date"] == date.isoformat():
        return SanctionsImport(name, previous["version"], date, n_bitcoin, parsed.n_valid,
                               parsed.invalid, parsed.other_assets, 0, 0, True, warnings)
    version = max((v["version"] for v in mine), default=0) + 1
    table = parsed.addresses
    n = table.num_rows
    table = table.append_column("list", pa.array([name] * n, pa.string()))
    table = table.append_column("version", pa.array([version] * n, pa.int32()))
    table = table.append_column("list_date", pa.array([date] * n, pa.date32()))
    table = table.select(SANCTIONS.names).cast(SANCTIONS)
    meta = {"list": name, "version": version, "list_date": date.isoformat(),
            "imported": now().isoformat(), "source_file": os.path.abspath(parsed.path),
            "format": parsed.format, "sha256": sha, "n_addresses": n, "n_valid": parsed.n_valid,
            "n_invalid": n - parsed.n_valid, "other_assets": dict(parsed.other_assets),
            "file": _write(store, "sanctions", table)}
    versions = [*versions, meta]
    latest = max((v for v in versions if v["list"] == name),
                 key=lambda v: (v["list_date"], v["version"]))
    for v in versions:
        if v["list"] == name:
            v["current"] = v is latest
    entry["sanction_versions"] = versions
    entry["versions_file"] = _write(store, "sanction-versions", _versions_table(versions))
    if parsed.entries:
        entry["sdn_names_file"] = _write(store, "sdn-names", sdn_names_table(parsed))
    _commit(store, entry)
    return SanctionsImport(name, version, date, n, parsed.n_valid, parsed.invalid,
                           parsed.other_assets, len(new_addrs - old_addrs),
                           len(old_addrs - new_addrs), False, warnings)


def _versions_table(versions: list[dict]) -> pa.Table:
    rows = []
    for v in versions:
        rows.append({**{k: v.get(k) for k in VERSIONS.names},
                     "list_date": dt.date.fromisoformat(v["list_date"]),
                     "imported": dt.datetime.fromisoformat(v["imported"]),
                     "other_assets": json.dumps(v.get("other_assets") or {}),
                     "current": bool(v.get("current"))})
    return pa.Table.from_pylist(rows, schema=VERSIONS)


SDN_NAMES = pa.schema([
    ("ent_num", pa.string()), ("name", pa.string()), ("sdn_type", pa.string()),
    ("programs", pa.list_(pa.string())), ("aliases", pa.list_(pa.string())),
    ("countries", pa.list_(pa.string())),
])


def sdn_names_table(parsed: SanctionsFile) -> pa.Table:
    """The SDN records of a list file, for name screening."""
    es = parsed.entries
    return pa.table({
        "ent_num": [e.ent_num for e in es], "name": [e.name for e in es],
        "sdn_type": [e.sdn_type for e in es], "programs": [e.programs for e in es],
        "aliases": [[n for _, n in e.aliases] for e in es], "countries": [e.countries for e in es],
    }, schema=SDN_NAMES)
