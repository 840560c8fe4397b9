"""OFAC's ``sdn_advanced.xml``: the feature type whose text is
"Digital Currency Address - <ASSET>" has an ID; every
``DistinctParties//Feature[@FeatureTypeID=ID]`` holds the address in its
``VersionDetail``. Party names come from each profile's primary alias, the
programmes from ``SanctionsEntries/SanctionsEntry/SanctionsMeasure/Comment``,
and the list date from ``DateOfIssue``. Streamed: the real file is ~80 MB.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.attribution.sdn_csv import SdnEntry

FEATURE_PREFIX = "Digital Currency Address - "


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass
class AdvancedSdn:
    """What sdn_advanced.xml says about digital currency addresses."""

    entries: list[SdnEntry] = field(default_factory=list)
    list_date: dt.date | None = None


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _primary_name(party: ET.Element) -> str:
    """The documented name of the party's primary alias (its parts joined with spaces)."""
    fallback = ""
    for alias in party.iter():
        if _local(alias.tag) != "Alias":
            continue
        parts = [(v.text or "").strip() for v in alias.iter() if _local(v.tag) == "NamePartValue"]
        name = " ".join(p for p in parts if p)
        if alias.get("Primary", "").lower() == "true" and name:
            return name
        fallback = fallback or name
    return fallback


def parse_sdn_advanced(path: str | Path) -> AdvancedSdn:
    """Addresses per party (as SdnEntry records) and the list date of an sdn_advanced.xml."""
    feature_assets: dict[str, str] = {}  # FeatureTypeID -> asset symbol
    entries: dict[str, SdnEntry] = {}  # profile id -> entry
    programs: dict[str, list[str]] = {}
    out = AdvancedSdn()
    date_parts: dict[str, int] = {}
    stack: list[str] = []
    for event, el in ET.iterparse(str(path), events=("start", "end")):
        name = _local(el.tag)
        if event == "start":
            stack.append(name)
            continue
        stack.pop()
        if name in ("Year", "Month", "Day") and stack and stack[-1] == "DateOfIssue":
            date_parts[name] = int((el.text or "0").strip() or 0)
        elif name == "FeatureType" and "FeatureTypeValues" in stack:
            text = (el.text or "").strip()
            if text.startswith(FEATURE_PREFIX):
                feature_assets[el.get("ID", "")] = text[len(FEATURE_PREFIX):].strip().upper()
        elif name == "DistinctParty":
            _read_party(el, feature_assets, entries)
            el.clear()
        elif name == "SanctionsEntry":
            pid = el.get("ProfileID", "")
            for m in el.iter():
                if _local(m.tag) == "SanctionsMeasure":
                    c = _child(m, "Comment")
                    if c is not None and (c.text or "").strip():
                        programs.setdefault(pid, []).append(c.text.strip())
            el.clear()
    for pid, e in entries.items():
        e.programs = programs.get(pid, [])
    out.entries = list(entries.values())
    if {"Year", "Month", "Day"} <= date_parts.keys():
        try:
            out.list_date = dt.date(date_parts["Year"], date_parts["Month"], date_parts["Day"])
        except ValueError:
            out.list_date = None
    return out


def _read_party(party: ET.Element, feature_assets: dict[str, str],
                entries: dict[str, SdnEntry]) -> None:
    found: list[tuple[str, str]] = []
    profile_id = party.get("FixedRef", "")
    for el in party.iter():
        tag = _local(el.tag)
        if tag == "Profile":
            profile_id = el.get("ID", profile_id)
        elif tag == "Feature" and el.get("FeatureTypeID") in feature_assets:
            asset = feature_assets[el.get("FeatureTypeID")]
            for d in el.iter():
                if _local(d.tag) == "VersionDetail" and (d.text or "").strip():
                    found.append((asset, d.text.strip()))
    if not found:
        return
    entry = entries.get(profile_id)
    if entry is None:
        entry = SdnEntry(ent_num=profile_id, name=_primary_name(party), sdn_type="", programs=[],
                         remarks="")
        entries[profile_id] = entry
    for pair in found:
        if pair not in entry.addresses:
            entry.addresses.append(pair)
