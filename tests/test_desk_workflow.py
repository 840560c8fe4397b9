"""The desk's workflow on SQLite and PostgreSQL: intake, review, four-eyes
approval, production of only the approved data, notification decisions,
purpose binding, roles, screening, freezes, offboarding, and the
transparency report checked against the audit log."""

# ruff: noqa: F811 - pytest fixtures imported from test_desk_db are redefined as parameters
from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from test_desk_db import desk_url, env, pg_server  # noqa: F401

from chaintrail.desk import (
    AuthError,
    PermissionDenied,
    PurposeError,
    RuleRefusal,
    auditing,
    cases,
    customers,
    freezes,
    offboarding,
    production,
    requests,
    screening,
    transparency,
)
from chaintrail.desk.errors import DeskError

CUSTOMERS = [
    # ref, name, dob, nationality, residence, permits, holdings, deposit, withdrawal
    ("C-1", "Ivan Petrov", "1980-01-02", "RU", "RU", "", "5000", "dep-ivan", ""),
    ("C-2", "Anna Schmidt", "1990-05-06", "DE", "DE", "", "20000", "dep-anna", "wd-shared"),
    ("C-3", "Olga Ivanova", "1985-03-04", "RU", "FI", "FI", "50000", "dep-olga", "wd-shared"),
    ("C-4", "Dmitri Orlov", "1970-07-07", "RU;DE", "DE", "", "90000", "dep-dmitri", ""),
    ("C-5", "Maria Rossi", "1995-09-09", "IT", "IT", "", "100", "dep-maria", ""),
]


@pytest.fixture
def loaded(env, tmp_path):
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "name", "date_of_birth", "nationality", "residence",
                    "residence_permits", "holdings_eur", "deposit_addresses", "withdrawal_addresses",
                    "street", "city", "postcode", "country"])
        for ref, name, dob, nat, res, perm, hold, dep, wd in CUSTOMERS:
            w.writerow([ref, name, dob, nat, res, perm, hold, dep, wd, "Street 1", "Town", "1000", res])
    rep = customers.import_csv(env.analyst, path)
    assert rep["customers_new"] == 5 and rep["addresses_new"] == 7
    again = customers.import_csv(env.analyst, path)  # idempotent
    assert again["customers_new"] == 0 and again["addresses_new"] == 0
    return env


def _new(env, **kw):
    base = dict(agency="BKA", country="DE", instrument="court_order",
                categories="identity,accounts,transactions", targets=["wd-shared"],
                window="2024-01-01..2024-12-31", verification="verified", case_number="ST 1/25",
                legal_basis="court order, AG Wiesbaden")
    return requests.create(env.analyst, **{**base, **kw})


def test_full_request_lifecycle(loaded, tmp_path):
    env = loaded
    r = _new(env)
    assert r["status"] == "received" and r["case_ref"] == f"REQ-{r['case_id']}"
    rev = requests.review(env.reviewer, r["id"])
    assert rev["status"] == "reviewed" and rev["verdict"]["outcome"] == "narrow"
    assert rev["verdict"]["scope"]["customers"] == ["C-2", "C-3"]  # both withdrew to wd-shared
    assert rev["link"]["chain_used"] is False
    env.clock.advance(days=3)
    appr = requests.approve(env.approver, r["id"], "order checked", exclude=["C-3"])
    assert appr["scope"]["customers"] == ["C-2"]
    env.clock.advance(days=2)
    out = tmp_path / "pkg"
    prod = production.produce(env.analyst, r["id"], out)
    assert prod["outcome"] == "partly_produced"  # C-3 was excluded by the approver
    assert prod["customers"] == 1 and prod["accounts"] == 1
    pkg = json.loads((out / "package.json").read_text())
    assert [c["customer_id"] for c in pkg["customers"]] == ["C-2"]
    assert pkg["customers"][0]["identity"]["name"] == "Anna Schmidt"
    assert {a["address"] for a in pkg["customers"][0]["addresses"]} == {"dep-anna", "wd-shared"}
    text = "".join(p.read_text() for p in out.iterdir())
    assert "Olga" not in text and "Ivan" not in text  # only the approved data
    manifest = json.loads((out / "MANIFEST.json").read_text())
    import hashlib

    for name, sha in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha
    assert "Anna Schmidt" in (out / "summary.html").read_text()
    assert prod["notification"]["decision"] == "notify"
    shown = requests.show(env.analyst, r["id"])
    assert shown["status"] == "partly_produced"
    assert [d["kind"] for d in shown["decisions"]] == ["review", "approve"]
    with pytest.raises(DeskError, match="only an approved request"):
        production.produce(env.analyst, r["id"], tmp_path / "again")


def test_four_eyes(loaded):
    env = loaded
    r = _new(env)
    requests.review(env.reviewer2, r["id"])  # rex holds reviewer and approver roles
    with pytest.raises(PermissionDenied, match="four-eyes"):
        requests.approve(env.reviewer2, r["id"], "I reviewed it myself")
    assert requests.approve(env.approver, r["id"], "second pair of eyes")["status"] == "approved"


def test_roles_are_checked_in_the_python_api(loaded):
    env = loaded
    with pytest.raises(PermissionDenied):
        _new(env.__class__(**{**env.__dict__, "analyst": env.reviewer}))  # reviewers do no intake
    r = _new(env)
    with pytest.raises(PermissionDenied):
        requests.review(env.analyst, r["id"])
    requests.review(env.reviewer, r["id"])
    with pytest.raises(PermissionDenied):
        requests.approve(env.reviewer, r["id"], "x")
    with pytest.raises(PermissionDenied):
        customers.import_csv(env.auditor, "x.csv")
    with pytest.raises(PermissionDenied):
        auditing.verify_log(env.analyst)
    from chaintrail.desk import add_user

    with pytest.raises(PermissionDenied):
        add_user(env.analyst, "eve", "admin")


def test_authentication(env):
    with pytest.raises(AuthError):
        env.desk.login("ana", "wrong token")
    with pytest.raises(AuthError):
        env.desk.login("nobody", "x")
    from chaintrail.desk import set_user

    set_user(env.admin, "ana", active=False)
    with pytest.raises(AuthError, match="disabled"):
        env.desk.login("ana", env.tokens["ana"])
    new = set_user(env.admin, "rita", reset_token=True)
    with pytest.raises(AuthError):
        env.desk.login("rita", env.tokens["rita"])
    assert env.desk.login("rita", new).user == "rita"
    from sqlalchemy import text

    with env.desk.engine.connect() as conn:
        secrets_ = [r[0] for r in conn.execute(text("SELECT secret FROM desk_users"))]
    assert all(s.startswith("scrypt$") and env.tokens["paul"] not in s for s in secrets_)


def test_purpose_binding(loaded):
    env = loaded
    with pytest.raises(PurposeError, match="open case"):
        customers.view_customer(env.analyst, "C-2", None, "curious")
    r = _new(env)
    case = r["case_ref"]
    with pytest.raises(PurposeError, match="does not cover"):  # not linked yet
        customers.view_customer(env.analyst, "C-2", case, "answering the request")
    requests.review(env.reviewer, r["id"])
    with pytest.raises(PurposeError, match="why"):
        customers.view_customer(env.analyst, "C-2", case, "")
    c = customers.view_customer(env.analyst, "C-2", case, "answering the request")
    assert c["name"] == "Anna Schmidt" and c["accounts"][0]["addresses"]
    with pytest.raises(PurposeError, match="does not cover"):  # C-1 is not in this case
        customers.view_customer(env.analyst, "C-1", case, "answering the request")
    with pytest.raises(PermissionDenied):  # the auditor sees the log, not the data
        customers.view_customer(env.auditor, "C-2", case, "audit")
    with pytest.raises(PermissionDenied):
        customers.view_customer(env.admin, "C-2", case, "admin")
    inv = cases.open_case(env.analyst, "tip from the fraud team", ["C-1"])
    assert customers.view_customer(env.analyst, "C-1", inv, "fraud tip")["name"] == "Ivan Petrov"
    cases.close_case(env.analyst, inv, "done")
    with pytest.raises(PurposeError, match="closed"):
        customers.view_customer(env.analyst, "C-1", inv, "again")
    views = auditing.log_entries(env.auditor, action="customer.view", limit=100)
    assert [(v["subject"], v["case"], v["actor"]) for v in views] == [
        ("customer:C-2", case, "ana"), ("customer:C-1", inv, "ana")]
    assert all(v["reason"] for v in views)
    listing = customers.list_customers(env.analyst)
    assert listing["total"] == 5 and "name" not in listing["customers"][0]


def test_rule_outcomes_through_the_workflow(loaded):
    env = loaded
    ru = _new(env, agency="FSB", country="RU")
    assert requests.review(env.reviewer, ru["id"])["status"] == "refused"
    with pytest.raises(DeskError, match="only a reviewed request"):
        requests.approve(env.approver, ru["id"], "x")
    informal = _new(env, instrument="informal")
    assert requests.review(env.reviewer, informal["id"])["status"] == "refused"
    held = _new(env, verification="unverified")
    assert requests.review(env.reviewer, held["id"])["verdict"]["outcome"] == "hold"
    with pytest.raises(RuleRefusal, match="not verified"):
        requests.approve(env.approver, held["id"], "x")
    requests.update_request(env.analyst, held["id"], "officer called back", verification="verified")
    assert requests.show(env.analyst, held["id"])["status"] == "received"
    requests.review(env.reviewer, held["id"])
    assert requests.approve(env.approver, held["id"], "verified now")["status"] == "approved"
    us = _new(env, agency="FBI", country="US", instrument="subpoena")
    v = requests.review(env.reviewer, us["id"])["verdict"]
    assert v["outcome"] == "flag" and v["scope"]["categories"] == ["identity", "accounts"]
    ap = requests.approve(env.approver, us["id"], "Art. 6(1)(f) and Art. 49 derogation assessed")
    assert ap["flags_acknowledged"] == ["gdpr-art48"]


def test_emergency_request(loaded, tmp_path):
    env = loaded
    em = {"danger": "kidnapping", "at_risk": "a child", "data_needed": "payer identity",
          "why_not_normal": "hours matter"}
    r = _new(env, instrument="emergency", categories="identity", emergency=em)
    assert requests.review(env.reviewer, r["id"])["verdict"]["outcome"] == "hold"
    requests.update_request(env.analyst, r["id"], "follow-up promised", followup="court order",
                            followup_due=dt.date(2025, 3, 10))
    requests.review(env.reviewer, r["id"])
    requests.approve(env.approver, r["id"], "life at risk")
    prod = production.produce(env.analyst, r["id"], tmp_path / "em")
    assert prod["outcome"] == "produced" and prod["categories"] == ["identity"]


@pytest.mark.parametrize("kw,decision", [
    ({}, "notify"), ({"gag_order": True}, "withhold"),
    ({"gag_order": True, "gag_until": dt.date(2025, 9, 1)}, "defer"), ({"tipping_off": True}, "withhold")])
def test_notification_decision(loaded, tmp_path, kw, decision):
    env = loaded
    r = _new(env, **kw)
    requests.review(env.reviewer, r["id"])
    requests.approve(env.approver, r["id"], "ok")
    prod = production.produce(env.analyst, r["id"], tmp_path / "p")
    assert prod["notification"]["decision"] == decision and prod["notification"]["reason"]
    if decision == "defer":
        assert prod["notification"]["not_before"] == "2025-09-02"
    log = auditing.log_entries(env.auditor, action="request.notify")
    assert log[-1]["details"]["decision"] == decision


def test_screening_offboarding_and_freezes(loaded):
    from chaintrail.attribution.name_screening import NameIndex
    from chaintrail.attribution.sdn_csv import SdnEntry

    env = loaded
    sdn = NameIndex([SdnEntry("36001", "PETROV, Ivan", "individual", ["RUSSIA-EO14024"], "", [],
                              ["Russia"])])
    env.clock.t = dt.datetime(2022, 4, 20, 9, tzinfo=dt.timezone.utc)
    april = screening.screen_customers(env.analyst, on=dt.date(2022, 4, 20),
                                       name_lists={"ofac-sdn": sdn})
    # Ivan (RU, EUR 5,000) is under the April threshold; Olga (FI permit) and Dmitri (DE national) exempt
    assert april["rule_findings"] == {"allow": 3}
    assert april["customers_hit"] == 1
    nov = screening.screen_customers(env.analyst, on=dt.date(2022, 11, 1),
                                     name_lists={"ofac-sdn": sdn})
    assert nov["rule_findings"] == {"offboard": 1, "allow": 2}
    res = screening.run_results(env.analyst, nov["run"])
    assert [f["customer"] for f in res["findings"] if f["outcome"] == "offboard"] == ["C-1"]
    hit = res["hits"][0]
    assert hit["customer"] == "C-1" and hit["entry"] == "36001"
    # a freeze before the match is confirmed is held
    with pytest.raises(RuleRefusal, match="not confirmed"):
        freezes.freeze(env.approver, "C-1", "OFAC SDN 36001", list_entry="36001", list_name="ofac-sdn")
    screening.decide_hit(env.reviewer, hit["id"], True, "passport matches the SDN entry")
    env.clock.t = dt.datetime(2025, 6, 27, 9, tzinfo=dt.timezone.utc)
    f = freezes.freeze(env.approver, "C-1", "OFAC SDN 36001", list_entry="36001")
    assert f["report_due"] == "2025-07-14"  # 10 business days, 4 July skipped
    env.clock.advance(days=20)
    listed = freezes.list_freezes(env.approver)
    assert listed[0]["overdue"] and listed[0]["status"] == "active"
    assert freezes.mark_reported(env.analyst, f["freeze"], "filed")["late"]
    with pytest.raises(RuleRefusal, match="blanket"):
        freezes.freeze_blanket(env.approver, {"nationality": "RU"}, "freeze all Russians")
    with pytest.raises(RuleRefusal, match="exempt"):
        offboarding.offboard(env.approver, "C-3", dt.date(2022, 11, 1))
    with pytest.raises(RuleRefusal, match="not above"):
        offboarding.offboard(env.approver, "C-1", dt.date(2022, 4, 20))
    off = offboarding.offboard(env.approver, "C-1", dt.date(2022, 11, 1))
    assert off["version"] == "2022-10-06"
    freezes.unfreeze(env.approver, "C-1", "OFAC licence 123")
    with pytest.raises(RuleRefusal):
        freezes.freeze(env.approver, "C-5", "no basis at all")


def test_transparency_report_equals_the_audit_log(loaded, tmp_path):
    env = loaded
    from chaintrail.desk.report_html import report_html

    r1 = _new(env)
    requests.review(env.reviewer, r1["id"])
    env.clock.advance(days=4)
    requests.approve(env.approver, r1["id"], "ok")
    env.clock.advance(days=2)
    production.produce(env.analyst, r1["id"], tmp_path / "a")  # 6 days, 2 accounts
    r2 = _new(env, agency="FSB", country="RU")
    requests.review(env.reviewer, r2["id"])  # refused by the rules, same day
    r3 = _new(env, agency="FBI", country="US", instrument="subpoena", requester_type="law_enforcement")
    requests.review(env.reviewer, r3["id"])
    env.clock.advance(days=1)
    requests.refuse(env.approver, r3["id"], "redirected to the MLAT channel")  # 1 day
    _new(env, agency="Guardia di Finanza", country="IT", requester_type="tax_authority")  # pending
    with pytest.raises(RuleRefusal):
        freezes.freeze_blanket(env.approver, {"nationality": "RU"}, "everyone")
    offboarding.offboard(env.approver, "C-1", dt.date(2022, 11, 1))
    rep = transparency.transparency_report(env.auditor, "2025")
    assert rep["requests"] == 4
    assert rep["by_country"] == {"DE": 1, "IT": 1, "RU": 1, "US": 1}
    assert rep["by_outcome"] == {"produced": 1, "partly_produced": 0, "no_records": 0, "refused": 2,
                                 "pending": 1}
    assert rep["by_instrument"] == {"court_order": 3, "subpoena": 1}
    assert rep["by_requester_type"] == {"law_enforcement": 3, "tax_authority": 1}
    assert rep["accounts_affected"] == 2 and rep["customers_affected"] == 2
    assert rep["median_response_days"] == 1.0  # 6, 0 and 1 days
    assert rep["offboardings"] == 1 and rep["blanket_freezes_refused"] == 1 and rep["freezes"] == 0
    assert rep["check"]["figures_match_audit_log"] and rep["check"]["audit_log_intact"]
    # the same figures recomputed from the audit log alone
    with env.desk.engine.connect() as conn:
        log = transparency.from_audit(conn, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert {k: rep[k] for k in log} == log
    assert transparency.transparency_report(env.auditor, "2024")["requests"] == 0
    html = report_html(rep)
    assert "<svg" in html and "Transparency report 2025" in html and rep["check"]["audit_head"]["hash"] in html
    with pytest.raises(PermissionDenied):
        transparency.transparency_report(env.analyst, "2025")
