"""Monitoring rules: a versioned YAML ruleset, each rule with an id, a
version, a description, a severity and the parameters of its kind.

Kinds: ``exposure`` (direct or indirect exposure of a transfer to a
category: sanctioned, ransomware, darknet_market, mixer), ``coinjoin``
(a deposit made by or funded from a CoinJoin), ``jurisdiction`` (deposits
of customers of a sanctioned jurisdiction above limits) and ``structuring``
(many deposits just under a threshold within a window). The default set is
``chaintrail/data/monitor-rules.yaml``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from chaintrail.errors import ChaintrailError

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "data" / "monitor-rules.yaml"
KINDS = ("exposure", "coinjoin", "jurisdiction", "structuring")
CATEGORIES = ("sanctioned", "ransomware", "darknet_market", "mixer")
SEVERITIES = ("low", "medium", "high")
DIRECTIONS = ("deposit", "withdrawal", "spend")
COIN = 100_000_000

#: parameters of each kind: name -> (type, default); None default = required
PARAMS: dict[str, dict[str, tuple[type, object]]] = {
    "exposure": {"category": (str, None), "max_hops": (int, 4), "direct_min_share": (float, 0.0),
                 "indirect_min_share": (float, 0.05), "directions": (list, list(DIRECTIONS)),
                 "min_amount_btc": (float, 0.0)},
    "coinjoin": {"directions": (list, ["deposit"])},
    "jurisdiction": {"countries": (list, ["RU", "BY", "KP", "IR", "SY", "CU"]),
                     "fields": (list, ["nationality", "residence"]),
                     "exempt_permits": (list, ["EU_EEA_CH"]), "single_limit_btc": (float, 0.5),
                     "window_days": (int, 30), "window_limit_btc": (float, 2.0)},
    "structuring": {"threshold_btc": (float, 1.0), "band": (float, 0.1), "window_days": (int, 7),
                    "min_count": (int, 3)},
}


class RuleError(ChaintrailError):
    """A ruleset file that cannot be used (the message names the file and the field)."""


@dataclass(frozen=True)
class Rule:
    """One monitoring rule."""

    id: str
    version: str
    kind: str
    description: str
    severity: str
    params: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        return self.params[name]

    def to_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "kind": self.kind,
                "description": self.description, "severity": self.severity, **self.params}


@dataclass(frozen=True)
class RuleSet:
    """A named, versioned set of rules (and the digest of its content)."""

    name: str
    version: str
    rules: tuple[Rule, ...]
    source: str
    digest: str

    def of_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]

    def max_hops(self) -> int:
        return max((int(r["max_hops"]) for r in self.of_kind("exposure")), default=0)

    def to_dict(self) -> dict:
        return {"ruleset": self.name, "version": self.version, "digest": self.digest,
                "source": self.source, "rules": [r.to_dict() for r in self.rules]}


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and check a ruleset file (the default rules without a path)."""
    p = Path(path) if path else DEFAULT_RULES
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{p}: cannot read the rules: {exc.strerror or exc}") from None
    return parse_rules(text, str(p))


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """A RuleSet from YAML text; RuleError naming the source and field on anything wrong."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(doc, dict):
        raise RuleError(f"{source}: expected a mapping with 'ruleset', 'version' and 'rules'")
    for key in ("ruleset", "version", "rules"):
        if key not in doc:
            raise RuleError(f"{source}: missing field '{key}'")
    if not isinstance(doc["rules"], list) or not doc["rules"]:
        raise RuleError(f"{source}: 'rules' must be a non-empty list")
    rules, seen = [], set()
    for n, item in enumerate(doc["rules"]):
        where = f"{source}: rules[{n}]"
        if not isinstance(item, dict):
            raise RuleError(f"{where}: expected a mapping")
        for key in ("id", "version", "kind", "description"):
            if not item.get(key):
                raise RuleError(f"{where}: missing field '{key}'")
        rid = str(item["id"])
        where = f"{source}: rule {rid}"
        if rid in seen:
            raise RuleError(f"{where}: duplicate id")
        seen.add(rid)
        kind = str(item["kind"])
        if kind not in KINDS:
            raise RuleError(f"{where}: field 'kind': unknown kind {kind!r} (use {', '.join(KINDS)})")
        severity = str(item.get("severity", "medium"))
        if severity not in SEVERITIES:
            raise RuleError(f"{where}: field 'severity': {severity!r} is not one of "
                            f"{', '.join(SEVERITIES)}")
        spec = PARAMS[kind]
        extra = sorted(set(item) - set(spec) - {"id", "version", "kind", "description", "severity"})
        if extra:
            raise RuleError(f"{where}: unknown field '{extra[0]}' for a {kind} rule")
        params = {}
        for name, (typ, default) in spec.items():
            value = item.get(name, default)
            if value is None:
                raise RuleError(f"{where}: missing field '{name}'")
            params[name] = _coerce(value, typ, f"{where}: field '{name}'")
        _check(kind, params, where)
        rules.append(Rule(rid, str(item["version"]), kind, " ".join(str(item["description"]).split()),
                          severity, params))
    digest = hashlib.sha256(json.dumps([r.to_dict() for r in rules], sort_keys=True).encode()) \
        .hexdigest()[:16]
    return RuleSet(str(doc["ruleset"]), str(doc["version"]), tuple(rules), source, digest)


def _coerce(value, typ: type, where: str):
    if typ is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise RuleError(f"{where}: expected a list")
        return [str(v) for v in value]
    if typ is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if typ is str and isinstance(value, str):
        return value
    raise RuleError(f"{where}: expected {typ.__name__}, got {value!r}")


def _check(kind: str, p: dict, where: str) -> None:
    if kind == "exposure":
        if p["category"] not in CATEGORIES:
            raise RuleError(f"{where}: field 'category': {p['category']!r} is not one of "
                            f"{', '.join(CATEGORIES)}")
        if not 1 <= p["max_hops"] <= 10:
            raise RuleError(f"{where}: field 'max_hops': must be between 1 and 10")
        for k in ("direct_min_share", "indirect_min_share"):
            if not 0.0 <= p[k] <= 1.0:
                raise RuleError(f"{where}: field '{k}': a share between 0 and 1")
    if "directions" in p:
        bad = [d for d in p["directions"] if d not in DIRECTIONS]
        if bad:
            raise RuleError(f"{where}: field 'directions': unknown direction {bad[0]!r}")
    if kind == "jurisdiction":
        p["countries"] = [c.upper() for c in p["countries"]]
        bad = [f for f in p["fields"] if f not in ("nationality", "residence")]
        if bad:
            raise RuleError(f"{where}: field 'fields': {bad[0]!r} (use nationality, residence)")
        if p["window_days"] < 1:
            raise RuleError(f"{where}: field 'window_days': at least 1")
    if kind == "structuring":
        if not 0 < p["band"] < 1:
            raise RuleError(f"{where}: field 'band': a fraction between 0 and 1")
        if p["min_count"] < 2 or p["window_days"] < 1 or p["threshold_btc"] <= 0:
            raise RuleError(f"{where}: min_count >= 2, window_days >= 1 and threshold_btc > 0")
