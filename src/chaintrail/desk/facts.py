"""The facts the rules read, as plain frozen dataclasses: an authority's
request, a customer, and a freeze order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Emergency:
    """The emergency path's justification (compliance.md s.3, item 9)."""

    danger: str = ""          # the emergency
    at_risk: str = ""         # who is at risk
    data_needed: str = ""     # the data needed
    why_not_normal: str = ""  # why normal process will not do

    def missing(self) -> list[str]:
        """The elements left empty."""
        names = {"danger": "the emergency", "at_risk": "who is at risk",
                 "data_needed": "the data needed", "why_not_normal": "why normal process will not do"}
        return [label for key, label in names.items() if not getattr(self, key).strip()]


@dataclass(frozen=True)
class Target:
    """A request target: an address, a txid, or a customer reference."""

    kind: str  # address | txid | customer
    value: str


@dataclass(frozen=True)
class RequestFacts:
    """An authority's request as the rules see it."""

    agency: str
    country: str
    instrument: str
    categories: tuple[str, ...]
    targets: tuple[Target, ...] = ()
    requester_type: str = "law_enforcement"
    legal_basis: str = ""
    verification: str = "unverified"
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    agreement: str | None = None  # international agreement the request rests on (e.g. an MLAT)
    emergency: Emergency | None = None
    followup: str | None = None  # the legal process promised after an emergency disclosure
    followup_due: dt.date | None = None
    received: dt.date = field(default_factory=dt.date.today)
    home_country: str | None = None  # where the desk's firm is established


@dataclass(frozen=True)
class CustomerFacts:
    """A customer as the sanctions rules see them."""

    ref: str
    customer_type: str = "person"  # person | business
    nationalities: tuple[str, ...] = ()
    residence: str | None = None
    residence_permits: tuple[str, ...] = ()
    country: str | None = None  # where a business is established
    holdings_eur: float | None = None  # crypto-assets held, valued in EUR


@dataclass(frozen=True)
class FreezeOrder:
    """A freeze asked for: named customers on a stated basis, or a selector (a blanket freeze)."""

    customers: tuple[str, ...] = ()
    basis_kind: str = "listed_person"  # listed_person | court_order
    basis: str = ""
    list_name: str | None = None  # e.g. ofac-sdn, eu-fsf
    list_entry: str | None = None  # the listed entry matched, e.g. an SDN ent_num
    confirmed_match: bool = False  # a reviewer confirmed the customer is the listed person
    court_order: str | None = None
    selector: dict | None = None  # e.g. {"nationality": "RU"}: a blanket freeze
