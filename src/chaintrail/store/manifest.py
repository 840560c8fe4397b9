"""The store's manifest: the one file that says which segment files make up
the store now. It is replaced atomically (write, fsync, rename), so a crash
at any moment leaves either the old or the new store, never a mixture."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from chaintrail.errors import StoreError

#: the store layout's version: a store of another version is refused, never misread
SCHEMA_VERSION = 2

MANIFEST = "manifest.json"
#: the file of a UTXO state directory that lists the directories it is read from
UTXO_CHAIN = "chain"


@dataclass
class Segment:
    """One Parquet file of one table, covering a contiguous id range."""

    file: str  # relative to the store root
    rows: int
    first_id: int
    last_id: int  # inclusive; first_id - 1 when empty
    min_height: int | None = None
    max_height: int | None = None
    spends_upto: int | None = None  # outputs only: spends by inputs below this id are in the file


@dataclass
class Manifest:
    schema_version: int = SCHEMA_VERSION
    network: str | None = None
    generation: int = 0
    tip_height: int | None = None
    tip_hash: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: {
        "blocks": 0, "txs": 0, "outputs": 0, "inputs": 0, "addresses": 0})
    segments: dict[str, list[Segment]] = field(default_factory=lambda: {
        "blocks": [], "txs": [], "outputs": [], "inputs": [], "addresses": []})
    utxo: str | None = None  # directory of the UTXO snapshot
    chain_index: str | None = None  # Parquet file of every block header seen
    utxo_count: int = 0
    loose_blocks: int = 0
    updated: str | None = None
    extra: dict = field(default_factory=dict)  # later rooms (clusters, tags...) keep their state here

    def files(self) -> set[str]:
        out = {s.file for segs in self.segments.values() for s in segs}
        if self.chain_index:
            out.add(self.chain_index)
        for v in self.extra.values():
            if isinstance(v, dict):
                out.update(v.get("files", []))
        return out

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> Manifest:
        segs = {k: [Segment(**s) for s in v] for k, v in d.pop("segments", {}).items()}
        m = cls(**d)
        for k in ("blocks", "txs", "outputs", "inputs", "addresses"):
            segs.setdefault(k, [])
        m.segments = segs
        return m


def utxo_chain(root: Path, rel: str) -> list[str]:
    """The directories (relative to `root`) the UTXO state saved as `rel` is read from, oldest
    first: a snapshot and the deltas after it (``ingest.utxo``); a directory without a chain
    file is a snapshot on its own."""
    p = root / rel / UTXO_CHAIN
    return p.read_text().split() if p.exists() else [rel]


def load_manifest(root: Path) -> Manifest | None:
    p = root / MANIFEST
    if not p.exists():
        return None
    try:
        d = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{p}: unreadable manifest: {exc}") from None
    if d.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"{p}: store schema version {d.get('schema_version')} but this chaintrail "
            f"reads version {SCHEMA_VERSION}"
        )
    return Manifest.from_dict(d)


def save_manifest(root: Path, m: Manifest) -> None:
    """Atomically replace the manifest (the commit point of every change)."""
    tmp = root / (MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        f.write(m.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, root / MANIFEST)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
