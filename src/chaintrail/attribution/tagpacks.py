"""GraphSense TagPacks (YAML): a header of fields that every tag inherits
(title, creator, source, currency, category, abuse, label, confidence,
actor, is_cluster_definer, lastmod, ...) and a ``tags`` list whose entries
may override any of them. ActorPacks (an ``actors`` list) describe the
actors that tags name."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import yaml

from chaintrail.attribution.tags import TEXT_FIELDS, TagReport, build_tags, empty_tags
from chaintrail.attribution.yaml_plain import load_plain, yaml_bool
from chaintrail.bitcoin.networks import MAINNET, Network
from chaintrail.gcpause import collector_paused

ACTORS = pa.schema([
    ("actor", pa.string()),
    ("label", pa.string()),
    ("uri", pa.string()),
    ("categories", pa.list_(pa.string())),
    ("jurisdictions", pa.list_(pa.string())),
    ("file", pa.string()),
])

YAML_SUFFIXES = (".yaml", ".yml")


def tag_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The tag files named by paths (directories are searched for YAML and CSV files), sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*")
                              if f.is_file() and f.suffix.lower() in (*YAML_SUFFIXES, ".csv")))
        else:
            out.append(p)
    return out


class _Columns:
    """Tag fields gathered pack by pack, as lists."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {f: [] for f in TEXT_FIELDS}
        self.pack: list = []
        self.file: list = []
        self.definer: list = []

    def add_pack(self, header: dict, tags: list, title: str, file: str) -> None:
        n = len(tags)
        for f in TEXT_FIELDS:
            default = header.get(f)
            if isinstance(default, (dict, list)):
                default = None
            col = self.cols[f]
            col.extend([t.get(f, default) if type(t) is dict else None for t in tags])
        hdef = yaml_bool(header.get("is_cluster_definer"))
        self.definer.extend([yaml_bool(t.get("is_cluster_definer", hdef)) if type(t) is dict
                             else None for t in tags])
        self.pack.extend([title] * n)
        self.file.extend([file] * n)


def _scalar(value: object) -> str | None:
    return value if isinstance(value, str) else None


def read_tagpack(path: Path, cols: _Columns, report: TagReport) -> list[dict] | None:
    """Add one TagPack's tags to cols; an ActorPack's actors are returned instead."""
    try:
        doc = load_plain(path.read_bytes())
    except (OSError, yaml.YAMLError) as exc:
        report.file_errors.append(f"{path}: not readable as YAML: {str(exc).splitlines()[0]}")
        return None
    if isinstance(doc, dict) and isinstance(doc.get("actors"), list):
        return [a for a in doc["actors"] if isinstance(a, dict)]
    if not isinstance(doc, dict) or not isinstance(doc.get("tags"), list):
        report.file_errors.append(f"{path}: not a TagPack (no 'tags' list)")
        return None
    header = {k: v for k, v in doc.items() if k != "tags"}
    title = _scalar(header.get("title")) or path.stem
    cols.add_pack(header, doc["tags"], title, str(path))
    report.files += 1
    return None


def actors_table(actors: list[dict], file: str) -> pa.Table:
    """An ActorPack's actors: id, label, uri, categories, jurisdictions."""
    def strs(v: object) -> list[str]:
        return [str(x) for x in v] if isinstance(v, list) else []

    return pa.table({
        "actor": [_scalar(a.get("id")) for a in actors],
        "label": [_scalar(a.get("label")) for a in actors],
        "uri": [_scalar(a.get("uri")) for a in actors],
        "categories": [strs(a.get("categories")) for a in actors],
        "jurisdictions": [strs(a.get("jurisdictions")) for a in actors],
        "file": [file] * len(actors),
    }, schema=ACTORS)


def parse_tagpacks(paths: Iterable[str | os.PathLike], network: Network = MAINNET,
                   imported: dt.datetime | None = None) -> tuple[pa.Table, pa.Table, TagReport]:
    """(tags, actors, report) of TagPack and ActorPack YAML files or directories of them."""
    imported = imported or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cols = _Columns()
    report = TagReport()
    actor_tables = []
    with collector_paused():
        for f in paths:
            f = Path(f)
            actors = read_tagpack(f, cols, report)
            if actors is not None:
                actor_tables.append(actors_table(actors, str(f)))
                report.actors += len(actors)
    if cols.pack:
        tags, r = build_tags(cols.cols, cols.pack, cols.file, imported, network,
                             is_cluster_definer=cols.definer)
        files = report.files
        report.merge(r)
        report.files = files
    else:
        tags = empty_tags()
    actors = pa.concat_tables(actor_tables) if actor_tables else ACTORS.empty_table()
    return tags, actors, report
