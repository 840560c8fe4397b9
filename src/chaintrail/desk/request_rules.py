"""The rules every authority's request passes before any data is produced.

Each rule is a function of the request's facts and the evaluation date that
returns a Finding; ``evaluate_request`` runs them all and returns a Verdict
with the minimised scope (categories, window, targets). The sources are
cited beside each rule version; compliance.md (s.3) summarises them."""

from __future__ import annotations

import datetime as dt

from chaintrail.desk.categories import CATEGORIES, COVERAGE, INSTRUMENTS
from chaintrail.desk.facts import RequestFacts
from chaintrail.desk.jurisdictions import EU_EEA, sanctioned_regime
from chaintrail.desk.rules import (
    ALLOW,
    FLAG,
    HOLD,
    NARROW,
    NOT_APPLICABLE,
    REFUSE,
    Finding,
    RuleVersion,
    Verdict,
)

GDPR_APPLIES = dt.date(2018, 5, 25)  # GDPR Art. 99(2): applies from 25 May 2018
SCA_ENACTED = dt.date(1986, 10, 21)  # Electronic Communications Privacy Act, Title II (SCA)

VERIFICATION = RuleVersion(
    "requester-verification", "2018-05-25", "the requester is verified before production",
    "compliance.md s.3 (workflow step 2: verify domain and officer; impersonation of law "
    "enforcement is rising); GDPR Art. 5(1)(f), 32", GDPR_APPLIES)
SANCTIONED = RuleVersion(
    "sanctioned-jurisdiction", "2014-07-31",
    "no data for authorities of jurisdictions under sanctions",
    "chaintrail desk policy over the regimes in jurisdictions.SANCTIONED_JURISDICTIONS "
    "(Reg. 833/2014 for Russia)", dt.date(2014, 7, 31))
LEGAL_PROCESS = RuleVersion(
    "legal-process", "2018-05-25", "informal requests without legal process are refused",
    "GDPR Art. 6(1)(c) (a disclosure needs a legal obligation; an informal request creates "
    "none); compliance.md s.3 (a court order or warrant before data is produced)", GDPR_APPLIES)
INSTRUMENT_SCOPE = RuleVersion(
    "instrument-scope", "1986-10-21", "the instrument must cover the categories asked",
    "18 U.S.C. 2703(c)(2) (subpoena: basic subscriber records), 2703(d) (court order: other "
    "records), 2703(a)-(b) (warrant: content); compliance.md s.3", SCA_ENACTED)
GDPR_48 = RuleVersion(
    "gdpr-art48", "2018-05-25",
    "third-country authorities need an international agreement",
    "GDPR Art. 48; EDPB Guidelines 02/2024 (a transfer needs an Art. 6 basis and a "
    "Chapter V ground)", GDPR_APPLIES)
EMERGENCY = RuleVersion(
    "emergency-path", "2018-05-25",
    "an emergency request states its justification and promises follow-up process",
    "compliance.md s.3 item 9 (state the emergency, who is at risk, the data needed, why "
    "normal process will not do)", GDPR_APPLIES)
MINIMISATION = RuleVersion(
    "minimisation", "2018-05-25", "scope limited to the named targets, categories and window",
    "GDPR Art. 5(1)(c) (data minimisation); compliance.md s.3 step 4", GDPR_APPLIES)

REQUEST_RULES = (VERIFICATION, SANCTIONED, LEGAL_PROCESS, INSTRUMENT_SCOPE, GDPR_48, EMERGENCY,
                 MINIMISATION)


def _na(v: RuleVersion, why: str) -> Finding:
    return Finding.of(v, NOT_APPLICABLE, why)


def check_verification(r: RequestFacts, on: dt.date) -> Finding:
    """Unverified requesters are held; a failed verification refuses."""
    v = VERIFICATION
    if not v.in_force(on):
        return _na(v, "not in force on this date")
    if r.verification == "verified":
        return Finding.of(v, ALLOW, f"the requester {r.agency} ({r.country}) is verified")
    if r.verification == "failed":
        return Finding.of(v, REFUSE, f"verification of the requester {r.agency} failed: the request "
                          "may be an impersonation and is refused")
    return Finding.of(v, HOLD, f"the requester {r.agency} is not verified yet: check the agency's "
                      "domain and the officer before approving")


def check_sanctioned_jurisdiction(r: RequestFacts, on: dt.date) -> Finding:
    """Authorities of a sanctioned jurisdiction get nothing."""
    v = SANCTIONED
    regime = sanctioned_regime(r.country, on)
    if regime is None:
        return Finding.of(v, ALLOW, f"{r.country} is not a sanctioned jurisdiction on {on}")
    note = "" if regime.verified else " (regime date unverified)"
    return Finding.of(v, REFUSE, f"{r.agency} is an authority of {r.country}, under {regime.regime} "
                      f"since {regime.effective_from} ({regime.source}){note}: refused")


def check_legal_process(r: RequestFacts, on: dt.date) -> Finding:
    """An informal request has no legal process behind it."""
    v = LEGAL_PROCESS
    if r.instrument == "informal":
        return Finding.of(v, REFUSE, "an informal request without legal process creates no legal "
                          "obligation to disclose, so there is no lawful basis: refused; the "
                          "requester may come back with a subpoena, court order, warrant or MLAT")
    return Finding.of(v, ALLOW, f"the request rests on a {INSTRUMENTS.get(r.instrument, r.instrument)}"
                      + (f" ({r.legal_basis})" if r.legal_basis else ""))


def covered_categories(r: RequestFacts) -> tuple[list[str], list[str]]:
    """(covered, not covered) categories of the request under its instrument."""
    cov = COVERAGE.get(r.instrument, frozenset())
    return [c for c in r.categories if c in cov], [c for c in r.categories if c not in cov]


def check_instrument_scope(r: RequestFacts, on: dt.date) -> Finding:
    """Categories beyond the instrument's reach are removed; none left refuses."""
    v = INSTRUMENT_SCOPE
    if r.instrument not in COVERAGE:
        return Finding.of(v, REFUSE, f"unknown legal instrument {r.instrument!r}")
    if r.instrument == "informal":
        return _na(v, "informal requests are refused by legal-process")
    ok, out = covered_categories(r)
    if not r.categories:
        return Finding.of(v, REFUSE, "the request names no data category")
    if not out:
        return Finding.of(v, ALLOW, f"a {r.instrument} covers {', '.join(ok)}")
    why = "; ".join(f"{c} ({CATEGORIES[c]}) needs "
                    + ("a warrant" if c == "communications" else "a court order or warrant")
                    for c in out)
    if not ok:
        return Finding.of(v, REFUSE, f"a {r.instrument} covers none of the categories asked: {why}")
    return Finding.of(v, NARROW, f"a {r.instrument} covers {', '.join(ok)} only; removed: {why}")


def check_gdpr_48(r: RequestFacts, on: dt.date) -> Finding:
    """A third-country authority without an international agreement is flagged."""
    v = GDPR_48
    if not v.in_force(on):
        return _na(v, "GDPR not yet applicable on this date")
    home = (r.home_country or "").upper()
    if home not in EU_EEA:
        return _na(v, "the desk's firm is not established in the EU/EEA")
    if r.country.upper() in EU_EEA:
        return Finding.of(v, ALLOW, f"{r.country} is in the EU/EEA: no third-country transfer")
    if r.instrument == "mlat" or (r.agreement or "").strip():
        basis = r.agreement or "a mutual legal assistance treaty"
        return Finding.of(v, ALLOW, f"the third-country request rests on {basis}")
    return Finding.of(v, FLAG, f"{r.agency} is a third-country ({r.country}) authority and the request "
                      "rests on no international agreement: under GDPR Art. 48 it is not enforceable "
                      "as such, and answering is a transfer that needs an Art. 6 basis and a Chapter V "
                      "ground; consider redirecting the requester to the MLAT channel")


def check_emergency(r: RequestFacts, on: dt.date) -> Finding:
    """The emergency path needs its four-part justification and a follow-up legal process."""
    v = EMERGENCY
    if r.instrument != "emergency":
        return _na(v, "not an emergency request")
    missing = r.emergency.missing() if r.emergency else ["the emergency", "who is at risk",
                                                         "the data needed",
                                                         "why normal process will not do"]
    if missing:
        return Finding.of(v, REFUSE, "an emergency request must state " + ", ".join(missing)
                          + ": refused until it does")
    if not (r.followup or "").strip() or r.followup_due is None:
        return Finding.of(v, HOLD, "the emergency is stated, but the requester has not committed to "
                          "a follow-up legal process with a date: record it before approving")
    return Finding.of(v, ALLOW, f"emergency stated ({r.emergency.danger}); follow-up "
                      f"{r.followup} due {r.followup_due}")


def check_minimisation(r: RequestFacts, on: dt.date) -> Finding:
    """Scope is the named targets, the covered categories and a bounded window."""
    v = MINIMISATION
    if not r.targets:
        return Finding.of(v, REFUSE, "the request names no address, transaction or customer: a "
                          "request for everyone's data is refused")
    if r.window_start is None or r.window_end is None:
        return Finding.of(v, HOLD, "the request gives no complete time window: ask the requester "
                          "for one before approving")
    if r.window_end < r.window_start:
        return Finding.of(v, REFUSE, f"the window ends ({r.window_end}) before it starts "
                          f"({r.window_start})")
    n = len(r.targets)
    return Finding.of(v, NARROW, f"production is limited to the customers linked to the {n} named "
                      f"target{'s' if n != 1 else ''}, to the covered categories and to "
                      f"{r.window_start}..{r.window_end}")


CHECKS = (check_verification, check_sanctioned_jurisdiction, check_legal_process,
          check_instrument_scope, check_gdpr_48, check_emergency, check_minimisation)


def evaluate_request(r: RequestFacts, on: dt.date | None = None) -> Verdict:
    """Run every request rule; the verdict's scope is what could be produced if approved."""
    on = on or r.received
    findings = [check(r, on) for check in CHECKS]
    ok, _ = covered_categories(r)
    scope = {"categories": ok,
             "window": [r.window_start.isoformat() if r.window_start else None,
                        r.window_end.isoformat() if r.window_end else None],
             "targets": [{"kind": t.kind, "value": t.value} for t in r.targets]}
    v = Verdict.of(findings, on, scope)
    if v.outcome == REFUSE:
        v = Verdict(v.outcome, v.findings, on, {**scope, "categories": []})
    return v
