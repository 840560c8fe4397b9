"""The rule engine's vocabulary: a rule version (its source and the dates it
is in force), a finding (one rule's outcome, explained in words) and a
verdict (all findings, their strongest outcome, and the scope left).

Pure data: the rules themselves are functions in ``request_rules`` and
``customer_rules`` that take dataclasses and return findings."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

# outcomes, weakest first: a verdict takes the strongest of its findings
NOT_APPLICABLE = "not_applicable"
ALLOW = "allow"
NARROW = "narrow"      # allowed on a smaller scope than asked
FLAG = "flag"          # may proceed only with the approver's recorded reason
HOLD = "hold"          # cannot be approved until the missing fact is supplied
OFFBOARD = "offboard"  # customer rules: close the relationship, return the assets
REFUSE = "refuse"
STRENGTH = {NOT_APPLICABLE: 0, ALLOW: 1, NARROW: 2, FLAG: 3, HOLD: 4, OFFBOARD: 5, REFUSE: 6}


@dataclass(frozen=True)
class RuleVersion:
    """One dated version of a rule, with the legal text or policy it rests on."""

    rule: str
    version: str
    title: str
    source: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    note: str = ""

    def in_force(self, on: dt.date) -> bool:
        """Whether this version applies on the given date."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


def version_on(versions: tuple[RuleVersion, ...], on: dt.date) -> RuleVersion | None:
    """The version of a rule in force on a date (None before the first)."""
    for v in versions:
        if v.in_force(on):
            return v
    return None


@dataclass(frozen=True)
class Finding:
    """One rule's outcome for one case, with the words that explain it."""

    rule: str
    version: str
    outcome: str
    explanation: str
    source: str
    effective_from: dt.date | None
    effective_to: dt.date | None = None

    @classmethod
    def of(cls, v: RuleVersion, outcome: str, explanation: str) -> Finding:
        """A finding of a rule version."""
        return cls(v.rule, v.version, outcome, explanation, v.source + (f" {v.note}" if v.note else ""),
                   v.effective_from, v.effective_to)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["effective_from"] = self.effective_from.isoformat() if self.effective_from else None
        d["effective_to"] = self.effective_to.isoformat() if self.effective_to else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        f = dict(d)
        for k in ("effective_from", "effective_to"):
            f[k] = dt.date.fromisoformat(f[k]) if f.get(k) else None
        return cls(**f)


def strongest(outcomes) -> str:
    """The strongest of some outcomes (not_applicable when there are none)."""
    best = NOT_APPLICABLE
    for o in outcomes:
        if STRENGTH[o] > STRENGTH[best]:
            best = o
    return best


@dataclass(frozen=True)
class Verdict:
    """All findings of an evaluation, the outcome they add up to, and the scope left."""

    outcome: str
    findings: tuple[Finding, ...]
    evaluated_on: dt.date
    scope: dict = field(default_factory=dict)

    @classmethod
    def of(cls, findings: list[Finding], on: dt.date, scope: dict | None = None) -> Verdict:
        return cls(strongest(f.outcome for f in findings), tuple(findings), on, scope or {})

    def explain(self) -> list[str]:
        """One line per applicable finding: outcome, rule, and why."""
        return [f"{f.outcome.upper()}: {f.explanation} [{f.rule} {f.version}; {f.source}]"
                for f in self.findings if f.outcome != NOT_APPLICABLE]

    def by_outcome(self, outcome: str) -> list[Finding]:
        return [f for f in self.findings if f.outcome == outcome]

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "evaluated_on": self.evaluated_on.isoformat(),
                "findings": [f.to_dict() for f in self.findings], "scope": self.scope}

    @classmethod
    def from_dict(cls, d: dict) -> Verdict:
        return cls(d["outcome"], tuple(Finding.from_dict(f) for f in d["findings"]),
                   dt.date.fromisoformat(d["evaluated_on"]), d.get("scope") or {})
