"""Sanctions lists: OFAC's sdn.csv and sdn_advanced.xml, and plain
per-asset address lists (one address a line, or a JSON array), parsed into
one table of Bitcoin (XBT) addresses. Every address is validated; invalid
ones stay in the table with their reason, so they are reported, never
dropped. Other assets are counted, not kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from chaintrail.attribution.addresses import canonical_address, check_addresses, invalid_reason
from chaintrail.attribution.sdn_csv import SdnEntry, looks_like_sdn_csv, parse_sdn_csv
from chaintrail.attribution.sdn_xml import parse_sdn_advanced
from chaintrail.bitcoin.networks import MAINNET, Network
from chaintrail.errors import ChaintrailError

BITCOIN_ASSET = "XBT"
_PLAIN_ASSET = re.compile(r"_([A-Za-z0-9]+)$")

SANCTIONS = pa.schema([
    ("list", pa.string()),
    ("version", pa.int32()),
    ("list_date", pa.date32()),
    ("address", pa.string()),  # canonical spelling (bech32 lowercased)
    ("asset", pa.string()),
    ("valid", pa.bool_()),
    ("reason", pa.string()),  # why an invalid address is invalid
    ("entity", pa.string()),
    ("entity_id", pa.string()),  # SDN ent_num / profile id
    ("entity_type", pa.string()),
    ("programs", pa.string()),  # "; "-separated programme codes
    ("address_hash", pa.uint64()),
])


class SanctionsError(ChaintrailError):
    """A sanctions file that cannot be read, or an update that must be refused."""


@dataclass
class SanctionsFile:
    """One parsed list file: its Bitcoin addresses and what was left out."""

    path: str
    format: str  # sdn-csv, sdn-advanced-xml, plain
    default_list: str
    list_date: dt.date | None
    sha256: str
    addresses: pa.Table  # SANCTIONS columns except list, version, list_date
    other_assets: Counter = field(default_factory=Counter)
    entries: list[SdnEntry] = field(default_factory=list)  # SDN records (for name screening)

    @property
    def n_valid(self) -> int:
        return int(np.count_nonzero(self.addresses["valid"].to_numpy(zero_copy_only=False)))

    @property
    def invalid(self) -> list[dict]:
        """The invalid addresses with their reasons."""
        t = self.addresses.filter(np.logical_not(self.addresses["valid"].to_numpy(zero_copy_only=False)))
        return t.select(["address", "entity", "reason"]).to_pylist()


def _rows_table(rows: list[tuple[str, str, SdnEntry | None]], network: Network,
                truncated: set[int] | None = None) -> pa.Table:
    """The address table of (asset, address, entry) rows; validation in bulk."""
    addrs = [canonical_address(a) for _, a, _ in rows]
    check = check_addresses(addrs, network)
    reasons = []
    for i, a in enumerate(addrs):
        if check.valid[i]:
            reasons.append(None)
            continue
        r = invalid_reason(a, network) or "invalid address"
        if a.startswith("T") and len(a) == 34 and "0x41" in r:
            r += " (the shape of a Tron address)"
        if truncated and i in truncated:
            r += " (the sdn.csv remark is cut off here; the full text is in sdn_comments.csv)"
        reasons.append(r)
    entries = [e for _, _, e in rows]
    return pa.table({
        "address": pa.array(addrs, pa.string()),
        "asset": pa.array([s for s, _, _ in rows], pa.string()),
        "valid": pa.array(check.valid, pa.bool_()),
        "reason": pa.array(reasons, pa.string()),
        "entity": pa.array([e.name if e else None for e in entries], pa.string()),
        "entity_id": pa.array([e.ent_num if e else None for e in entries], pa.string()),
        "entity_type": pa.array([e.sdn_type if e else None for e in entries], pa.string()),
        "programs": pa.array(["; ".join(e.programs) if e else None for e in entries], pa.string()),
        "address_hash": pa.array(check.hashes, pa.uint64()),
    })


def _from_entries(entries: list[SdnEntry], network: Network) -> tuple[pa.Table, Counter]:
    rows: list[tuple[str, str, SdnEntry | None]] = []
    other: Counter = Counter()
    truncated: set[int] = set()
    seen: set[tuple[str, str]] = set()
    for e in entries:
        for k, (asset, addr) in enumerate(e.addresses):
            if asset != BITCOIN_ASSET:
                other[asset] += 1
                continue
            if (addr, e.ent_num) in seen:
                continue
            seen.add((addr, e.ent_num))
            if e.truncated and k == len(e.addresses) - 1:
                truncated.add(len(rows))
            rows.append((asset, addr, e))
    return _rows_table(rows, network, truncated), other


def _plain_addresses(path: Path, data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SanctionsError(f"{path}: not a JSON list of addresses: {exc.msg}") from None
        if not isinstance(doc, list):
            raise SanctionsError(f"{path}: not a JSON list of addresses")
        return [str(a).strip() for a in doc if str(a).strip()]
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def parse_sanctions_file(path: str | Path, network: Network = MAINNET,
                         asset: str | None = None) -> SanctionsFile:
    """Parse an sdn.csv, sdn_advanced.xml or plain address list (format told by its content)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SanctionsError(f"{path}: cannot read: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    head = data[:4096]
    if head.lstrip().startswith(b"<"):
        try:
            adv = parse_sdn_advanced(path)
        except Exception as exc:  # ElementTree raises ParseError and friends
            raise SanctionsError(f"{path}: not readable as sdn_advanced.xml: {exc}") from None
        table, other = _from_entries(adv.entries, network)
        return SanctionsFile(str(path), "sdn-advanced-xml", "ofac-sdn", adv.list_date, digest, table,
                             other, adv.entries)
    if looks_like_sdn_csv(head):
        entries = parse_sdn_csv(data)
        table, other = _from_entries(entries, network)
        return SanctionsFile(str(path), "sdn-csv", "ofac-sdn", None, digest, table, other, entries)
    m = _PLAIN_ASSET.search(path.stem)
    file_asset = (asset or (m.group(1) if m else BITCOIN_ASSET)).upper()
    addrs = list(dict.fromkeys(_plain_addresses(path, data)))
    if file_asset not in (BITCOIN_ASSET, "BTC"):
        table, other = _rows_table([], network), Counter({file_asset: len(addrs)})
    else:
        table, other = _rows_table([(BITCOIN_ASSET, a, None) for a in addrs], network), Counter()
    return SanctionsFile(str(path), "plain", path.stem, None, digest, table, other)


def parse_date(text: str) -> dt.date:
    """A list date given as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise SanctionsError(f"bad date {text!r}: use YYYY-MM-DD") from None
