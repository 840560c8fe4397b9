"""OFAC's legacy ``sdn.csv``: no header row, ``-0-`` for null, columns
ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
Tonnage, GRT, Vess_flag, Vess_owner, Remarks. Digital currency addresses,
aliases (a.k.a./f.k.a./n.k.a.), nationality and citizenship sit in the
Remarks, separated by semicolons; long remarks are cut off in this file
(the rest is in ``sdn_comments.csv``)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

NULL = "-0-"
_ADDRESS = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([^;\s]+)")
_ALIAS = re.compile(r"\b([afn])\.k\.a\.\s+'([^']+)'")
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;.()]+)")
_POB = re.compile(r"\bPOB\s+([^;]+)")


@dataclass
class SdnEntry:
    """One SDN record with what its remarks say."""

    ent_num: str
    name: str
    sdn_type: str  # individual, vessel, aircraft, or entity
    programs: list[str]
    remarks: str
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (aka|fka|nka, name)
    countries: list[str] = field(default_factory=list)  # nationality, citizenship, place of birth
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (asset, address)
    truncated: bool = False  # the remark was cut off: its last address may be incomplete


def _field(v: str) -> str:
    v = v.strip()
    return "" if v == NULL else v


def parse_remarks(entry: SdnEntry) -> None:
    """Fill aliases, countries and addresses from the entry's remarks."""
    r = entry.remarks
    entry.truncated = bool(r) and not r.rstrip().endswith(".")
    for asset, addr in _ADDRESS.findall(r):
        entry.addresses.append((asset.upper(), addr.rstrip(".")))
    entry.aliases = [(k + "ka", n.strip()) for k, n in _ALIAS.findall(r)]
    countries = [c.strip() for c in _NATIONALITY.findall(r)]
    for pob in _POB.findall(r):
        countries.append(pob.split(",")[-1].strip())
    entry.countries = list(dict.fromkeys(c for c in countries if c))


def parse_sdn_csv(source: str | Path | bytes) -> list[SdnEntry]:
    """Every record of an sdn.csv file (path or bytes)."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = data.decode("utf-8", errors="replace").replace("\x1a", "")
    out = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 12 or not row[0].strip().isdigit():
            continue
        programs = [p.strip(" []") for p in _field(row[3]).split("] [") if p.strip(" []")]
        entry = SdnEntry(ent_num=row[0].strip(), name=_field(row[1]),
                         sdn_type=_field(row[2]) or "entity", programs=programs,
                         remarks=_field(row[11]))
        parse_remarks(entry)
        out.append(entry)
    return out


def looks_like_sdn_csv(head: bytes) -> bool:
    """True when the first line has sdn.csv's shape (a number, a quoted name, -0- fields)."""
    line = head.split(b"\n", 1)[0]
    return bool(re.match(rb'^\d+,"', line)) and b"-0-" in head
