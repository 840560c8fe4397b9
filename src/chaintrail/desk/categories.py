"""Data categories an authority can ask for, legal instruments, and which
instrument reaches which category.

The mapping follows the US Stored Communications Act's ladder as summarised
in compliance.md s.3 ("subpoena for basic subscriber records, a 2703(d)
order for more detailed records, a warrant for content"): 18 U.S.C.
2703(c)(2) lists the basic subscriber records (name, address, session
records, length and types of service, means of payment)."""

from __future__ import annotations

CATEGORIES: dict[str, str] = {
    "identity": "name, date of birth, nationality, residence and postal address (basic subscriber data)",
    "accounts": "accounts held, their status and opening dates (basic subscriber data)",
    "access_logs": "login times and IP addresses (basic subscriber session records)",
    "transactions": "deposit and withdrawal addresses and the transfers through them",
    "kyc_documents": "copies of identity documents collected at onboarding",
    "communications": "content of messages exchanged with the customer",
}
#: categories the desk's database holds; others are reported as not held
HELD = ("identity", "accounts", "transactions")

INSTRUMENTS: dict[str, str] = {
    "subpoena": "subpoena or administrative summons",
    "court_order": "court order for records (e.g. 18 U.S.C. 2703(d))",
    "warrant": "search warrant",
    "mlat": "request under a mutual legal assistance treaty, executed by a domestic order",
    "emergency": "emergency disclosure request (danger to life or limb)",
    "informal": "informal request without legal process",
}

_BASIC = frozenset({"identity", "accounts", "access_logs"})
_RECORDS = _BASIC | {"transactions", "kyc_documents"}
COVERAGE: dict[str, frozenset[str]] = {
    "subpoena": _BASIC,
    "court_order": _RECORDS,
    "warrant": _RECORDS | {"communications"},
    "mlat": _RECORDS,  # content needs the executing state's warrant: ask for it as a warrant
    "emergency": _RECORDS - {"kyc_documents"},
    "informal": frozenset(),
}

REQUESTER_TYPES = ("law_enforcement", "prosecutor", "court", "regulator", "tax_authority",
                   "intelligence", "other")
VERIFICATION = ("unverified", "verified", "failed")


def parse_categories(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Category names from 'identity,transactions' (unknown names are refused)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for c in (i.strip().lower() for i in items):
        if not c:
            continue
        if c not in CATEGORIES:
            raise ValueError(f"unknown data category {c!r} (known: {', '.join(CATEGORIES)})")
        if c not in out:
            out.append(c)
    return tuple(out)
