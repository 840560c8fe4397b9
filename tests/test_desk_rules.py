"""The desk's rule engine, rule by rule and version by version (pure functions, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from chaintrail.desk.business_days import add_business_days, us_federal_holidays
from chaintrail.desk.customer_rules import evaluate_customer, evaluate_freeze, ofac_report_due
from chaintrail.desk.facts import CustomerFacts, Emergency, FreezeOrder, RequestFacts, Target
from chaintrail.desk.request_rules import REQUEST_RULES, evaluate_request
from chaintrail.desk.rules import FLAG, HOLD, NARROW, NOT_APPLICABLE, OFFBOARD, REFUSE

D = dt.date
APR = D(2022, 4, 20)   # Reg. 2022/576 in force: EUR 10,000 threshold
NOV = D(2022, 11, 1)   # 8th package in force: no threshold
BEFORE = D(2022, 3, 1)


def ru(**kw) -> CustomerFacts:
    base = {"ref": "C", "nationalities": ("RU",), "residence": "RU", "holdings_eur": 5_000.0}
    return CustomerFacts(**{**base, **kw})


def finding(v, rule):
    return next(f for f in v.findings if f.rule == rule)


# --- EU Reg. 833/2014 Art. 5b, dated versions ------------------------------------------------------
def test_russian_resident_5000_eur_april_vs_november():
    c = ru(nationalities=("UA",), residence="RU", holdings_eur=5_000.0)
    april = evaluate_customer(c, APR)
    nov = evaluate_customer(c, NOV)
    assert april.outcome != OFFBOARD and april.findings[0].version == "2022-04-08"
    assert "not above the EUR 10,000" in april.findings[0].explanation
    assert nov.outcome == OFFBOARD and nov.findings[0].version == "2022-10-06"
    assert "resident of Russia" in nov.findings[0].explanation
    assert "no freezing" in nov.findings[0].explanation


def test_threshold_boundaries_and_unknown_holdings():
    assert evaluate_customer(ru(holdings_eur=10_000.0), APR).outcome != OFFBOARD  # "more than"
    assert evaluate_customer(ru(holdings_eur=10_000.01), APR).outcome == OFFBOARD
    assert evaluate_customer(ru(holdings_eur=None), APR).outcome == HOLD
    assert evaluate_customer(ru(holdings_eur=None), NOV).outcome == OFFBOARD


def test_before_the_rule_and_non_russians():
    assert evaluate_customer(ru(holdings_eur=1e9), BEFORE).outcome == NOT_APPLICABLE
    de = CustomerFacts("C", nationalities=("DE",), residence="DE")
    assert evaluate_customer(de, NOV).outcome == NOT_APPLICABLE
    # the last day of the first version and the first day of the second
    assert evaluate_customer(ru(), D(2022, 10, 5)).findings[0].version == "2022-04-08"
    assert evaluate_customer(ru(), D(2022, 10, 6)).findings[0].version == "2022-10-06"


def test_eu_national_russian_is_exempt():
    v = evaluate_customer(ru(nationalities=("RU", "DE"), holdings_eur=50_000.0), NOV)
    assert v.outcome != OFFBOARD
    assert "national of DE" in v.findings[0].explanation and "5b(3)" in v.findings[0].explanation
    swiss = evaluate_customer(ru(nationalities=("RU", "CH")), NOV)
    assert swiss.outcome != OFFBOARD


def test_residence_permit_holder_is_exempt():
    v = evaluate_customer(ru(residence="FI", residence_permits=("FI",), holdings_eur=80_000.0), NOV)
    assert v.outcome != OFFBOARD and "residence permit in FI" in v.findings[0].explanation
    # a permit outside the EU/EEA/Switzerland does not exempt
    t = evaluate_customer(ru(residence="TR", residence_permits=("TR",)), NOV)
    assert t.outcome == OFFBOARD and "Russian national" in t.findings[0].explanation


def test_entity_established_in_russia():
    biz = CustomerFacts("B", customer_type="business", country="RU", holdings_eur=1.0)
    assert evaluate_customer(biz, NOV).outcome == OFFBOARD
    assert "entity established in Russia" in evaluate_customer(biz, NOV).findings[0].explanation
    assert evaluate_customer(CustomerFacts("B", customer_type="business", country="DE"),
                             NOV).outcome == NOT_APPLICABLE


# --- freezes ------------------------------------------------------------------------------------------
def test_blanket_freeze_by_nationality_is_refused():
    v = evaluate_freeze(FreezeOrder(selector={"nationality": "RU"}, basis="all Russians"), NOV)
    assert v.outcome == REFUSE
    assert "blanket freeze" in v.findings[0].explanation and "269/2014" in v.findings[0].source


def test_targeted_freezes():
    listed = FreezeOrder(("C",), "listed_person", "SDN", "ofac-sdn", "12345", True)
    v = evaluate_freeze(listed, D(2025, 3, 3))
    assert v.outcome == "allow" and "report to OFAC by 2025-03-17" in v.findings[0].explanation
    unconfirmed = FreezeOrder(("C",), "listed_person", "SDN", "ofac-sdn", "12345", False)
    assert evaluate_freeze(unconfirmed, NOV).outcome == HOLD
    assert evaluate_freeze(FreezeOrder(("C",), "court_order", "x", court_order="LG 1/22"),
                           NOV).outcome == "allow"
    assert evaluate_freeze(FreezeOrder(("C",), "court_order", "x"), NOV).outcome == HOLD
    assert evaluate_freeze(FreezeOrder((), "court_order", "x", court_order="y"), NOV).outcome == REFUSE
    assert evaluate_freeze(FreezeOrder(("C",), "because", "x"), NOV).outcome == REFUSE


def test_ofac_business_days():
    assert D(2025, 7, 4) in us_federal_holidays(2025)
    assert D(2021, 6, 18) in us_federal_holidays(2021)  # Juneteenth on a Saturday, observed Friday
    assert D(2025, 11, 27) in us_federal_holidays(2025)  # Thanksgiving
    # Fri 2025-06-27 + 10 business days skips two weekends and 4 July
    assert add_business_days(D(2025, 6, 27), 10) == D(2025, 7, 14)
    assert ofac_report_due(D(2025, 12, 19)) == D(2026, 1, 6)  # Christmas and New Year's Day


# --- requests ------------------------------------------------------------------------------------------
def req(**kw) -> RequestFacts:
    base = {"agency": "BKA", "country": "DE", "instrument": "court_order",
            "categories": ("identity", "transactions"), "targets": (Target("address", "x"),),
            "verification": "verified", "window_start": D(2021, 1, 1), "window_end": D(2021, 12, 31),
            "received": D(2025, 3, 1), "home_country": "DE"}
    return RequestFacts(**{**base, **kw})


def test_every_rule_has_source_and_dates():
    for r in REQUEST_RULES:
        assert r.source and r.effective_from and r.title
    v = evaluate_request(req())
    assert {f.rule for f in v.findings} == {r.rule for r in REQUEST_RULES}
    assert all(f.source and f.explanation for f in v.findings)


def test_clean_court_order_is_only_narrowed_to_its_scope():
    v = evaluate_request(req())
    assert v.outcome == NARROW
    assert v.scope["categories"] == ["identity", "transactions"]
    assert v.scope["window"] == ["2021-01-01", "2021-12-31"]


def test_instrument_must_cover_the_categories():
    v = evaluate_request(req(instrument="subpoena"))
    f = finding(v, "instrument-scope")
    assert f.outcome == NARROW and "transactions" in f.explanation
    assert v.scope["categories"] == ["identity"]
    w = evaluate_request(req(instrument="court_order", categories=("communications",)))
    assert finding(w, "instrument-scope").outcome == REFUSE and w.outcome == REFUSE
    assert evaluate_request(req(instrument="warrant", categories=("communications",))).scope[
        "categories"] == ["communications"]


def test_third_country_without_agreement_is_flagged():
    v = evaluate_request(req(agency="FBI", country="US"))
    f = finding(v, "gdpr-art48")
    assert f.outcome == FLAG and "Art. 48" in f.source and v.outcome == FLAG
    assert finding(evaluate_request(req(country="US", agreement="MLAT US-DE 2003")),
                   "gdpr-art48").outcome == "allow"
    assert finding(evaluate_request(req(country="US", instrument="mlat")), "gdpr-art48").outcome == "allow"
    assert finding(evaluate_request(req(country="NO")), "gdpr-art48").outcome == "allow"  # EEA
    # a desk outside the EU: not applicable; before GDPR applied: not applicable
    assert finding(evaluate_request(req(country="US", home_country="US")),
                   "gdpr-art48").outcome == NOT_APPLICABLE
    assert finding(evaluate_request(req(country="US"), D(2018, 5, 24)),
                   "gdpr-art48").outcome == NOT_APPLICABLE


def test_sanctioned_jurisdictions_and_informal_requests_are_refused():
    v = evaluate_request(req(agency="FSB", country="RU"))
    assert v.outcome == REFUSE and finding(v, "sanctioned-jurisdiction").outcome == REFUSE
    assert v.scope["categories"] == []
    # the regime's date matters: Russia before Reg. 833/2014
    assert finding(evaluate_request(req(country="RU"), D(2014, 7, 30)),
                   "sanctioned-jurisdiction").outcome == "allow"
    i = evaluate_request(req(instrument="informal"))
    assert i.outcome == REFUSE and "informal" in finding(i, "legal-process").explanation


def test_emergency_needs_justification_and_follow_up():
    full = Emergency("kidnapping", "a child", "identity of the payer", "hours matter")
    v = evaluate_request(req(instrument="emergency", emergency=Emergency("kidnapping")))
    f = finding(v, "emergency-path")
    assert f.outcome == REFUSE and "who is at risk" in f.explanation
    held = evaluate_request(req(instrument="emergency", emergency=full))
    assert finding(held, "emergency-path").outcome == HOLD and held.outcome == HOLD
    ok = evaluate_request(req(instrument="emergency", emergency=full, followup="court order",
                              followup_due=D(2025, 3, 15)))
    assert finding(ok, "emergency-path").outcome == "allow" and ok.outcome == NARROW


def test_verification_and_minimisation():
    assert evaluate_request(req(verification="unverified")).outcome == HOLD
    assert evaluate_request(req(verification="failed")).outcome == REFUSE
    assert finding(evaluate_request(req(targets=())), "minimisation").outcome == REFUSE
    assert finding(evaluate_request(req(window_end=None)), "minimisation").outcome == HOLD
    assert finding(evaluate_request(req(window_end=D(2020, 1, 1))), "minimisation").outcome == REFUSE


@pytest.mark.parametrize("outcomes,expected", [
    ((), NOT_APPLICABLE), (("allow", "narrow"), "narrow"), (("flag", "hold"), "hold"),
    (("refuse", "allow"), "refuse")])
def test_strongest_outcome(outcomes, expected):
    from chaintrail.desk.rules import strongest

    assert strongest(outcomes) == expected


def test_verdict_round_trips_through_json():
    import json

    from chaintrail.desk.rules import Verdict

    v = evaluate_request(req(country="US"))
    assert Verdict.from_dict(json.loads(json.dumps(v.to_dict()))) == v
