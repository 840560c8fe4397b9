"""The desk's REST API (/api/v1/desk) over the simulated chain: desk users
authenticate with headers, roles and purpose binding answer 401/403, the
rules' refusals 409, and a request goes from intake to a downloadable
package; the audit log and the transparency report are reachable."""

from __future__ import annotations

import datetime as dt

import pytest
from test_api_fixtures import Api
from test_desk_chain import _truth, chain, sim_store  # noqa: F401


@pytest.fixture
def api(sim_store, chain, tmp_path):  # noqa: F811
    from chaintrail.api import create_app
    from chaintrail.desk import Desk, customers

    url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    desk, token = Desk.init(db=url, home_country="DE")
    desk.use_chain(chain)
    app = create_app(sim_store["store"])
    app.state.desk_db = url
    client = Api(app)
    hdr = {"X-Desk-User": "admin", "X-Desk-Token": token}
    tokens = {}
    for name, roles in (("ana", ["analyst"]), ("rita", ["reviewer"]), ("paul", ["approver"]),
                        ("aud", ["auditor"])):
        r = client.post("/api/v1/desk/users", json={"name": name, "roles": roles}, headers=hdr)
        assert r.status_code == 201, r.text
        tokens[name] = {"X-Desk-User": name, "X-Desk-Token": r.json()["token"]}
    customers.import_truth(desk.login("ana", tokens["ana"]["X-Desk-Token"]), sim_store["truth"])
    yield client, tokens
    client.close()
    desk.use_chain(None)
    desk.close()


def _problem(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == f"/problems/{kind}" and body["status"] == status and body["detail"]
    return body


def test_request_lifecycle_through_the_api(api, sim_store, tmp_path):  # noqa: F811
    client, t = api
    _problem(client.get("/api/v1/desk/requests"), 401, "desk-authentication")
    _problem(client.get("/api/v1/desk/requests", headers={**t["ana"], "X-Desk-Token": "wrong"}),
             401, "desk-authentication")
    assert client.get("/api/v1/desk/me", headers=t["rita"]).json() == {"user": "rita",
                                                                       "roles": ["reviewer"]}
    donation = _truth(sim_store, "SELECT donation_address FROM read_parquet('$T/donations.parquet') "
                                 "LIMIT 1")[0][0]
    body = {"agency": "BKA", "country": "DE", "instrument": "court_order",
            "categories": ["identity", "transactions", "communications"], "targets": [donation],
            "window_start": "2013-01-01", "window_end": "2030-12-31", "verification": "verified",
            "legal_basis": "court order", "case_number": "ST 9/25", "max_hops": 1}
    _problem(client.post("/api/v1/desk/requests", json=body, headers=t["rita"]), 403,
             "desk-permission-denied")
    r = client.post("/api/v1/desk/requests", json=body, headers=t["ana"])
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    rev = client.post(f"/api/v1/desk/requests/{rid}/review", json={}, headers=t["rita"]).json()
    assert rev["verdict"]["outcome"] == "narrow" and rev["link"]["customers"] > 0
    assert any("communications" in line for line in rev["explanation"])
    links = client.get(f"/api/v1/desk/requests/{rid}/links", headers=t["rita"]).json()
    assert links and all(x["hops"] <= 1 for x in links)
    ref = links[0]["customer"]
    # purpose binding: the request's case covers the linked customer; without it, 403
    _problem(client.get(f"/api/v1/desk/customers/{ref}", headers=t["ana"]), 403, "purpose-binding")
    case = client.get(f"/api/v1/desk/requests/{rid}", headers=t["ana"]).json()["case_ref"]
    c = client.get(f"/api/v1/desk/customers/{ref}", params={"case": case, "why": "answer request"},
                   headers=t["ana"])
    assert c.status_code == 200 and c.json()["customer_id"] == ref and c.json()["name"]
    _problem(client.get(f"/api/v1/desk/customers/{ref}", params={"case": case, "why": "x"},
                        headers=t["aud"]), 403, "desk-permission-denied")
    # four eyes: the reviewer cannot approve (and lacks the role); the approver can
    _problem(client.post(f"/api/v1/desk/requests/{rid}/approve", json={"reason": "ok"},
                         headers=t["rita"]), 403, "desk-permission-denied")
    a = client.post(f"/api/v1/desk/requests/{rid}/approve", json={"reason": "order checked"},
                    headers=t["paul"])
    assert a.status_code == 200 and a.json()["scope"]["categories"] == ["identity", "transactions"]
    p = client.post(f"/api/v1/desk/requests/{rid}/produce", headers=t["ana"]).json()
    assert p["outcome"] == "partly_produced" and p["not_given"] == ["communications"]
    pkg = client.get(p["files_url"]["package.json"], headers=t["ana"]).json()
    assert {x["customer_id"] for x in pkg["customers"]} == set(rev["verdict"]["scope"]["customers"])
    assert "summary" not in pkg and "communications" not in pkg["categories_produced"]
    html = client.get(p["files_url"]["summary.html"], headers=t["ana"])
    assert html.status_code == 200 and "Disclosure package" in html.text
    _problem(client.get(f"/api/v1/desk/requests/{rid}/package/secrets.txt", headers=t["ana"]), 404,
             "not-found")


def test_refusals_audit_and_report(api):
    client, t = api
    body = {"agency": "FSB", "country": "RU", "instrument": "informal", "categories": ["identity"],
            "targets": ["customer:nobody"], "window_start": "2024-01-01", "window_end": "2024-12-31"}
    rid = client.post("/api/v1/desk/requests", json=body, headers=t["ana"]).json()["id"]
    rev = client.post(f"/api/v1/desk/requests/{rid}/review", json={}, headers=t["rita"]).json()
    assert rev["status"] == "refused"
    assert {f["rule"] for f in rev["verdict"]["findings"] if f["outcome"] == "refuse"} >= {
        "sanctioned-jurisdiction", "legal-process"}
    _problem(client.post(f"/api/v1/desk/requests/{rid}/approve", json={"reason": "x"},
                         headers=t["paul"]), 400, "bad-request")
    b = _problem(client.post("/api/v1/desk/freezes/blanket",
                             json={"basis": "freeze all Russians", "nationality": "RU"},
                             headers=t["paul"]), 409, "refused-by-rules")
    assert "blanket freeze" in b["detail"]
    # the auditor reads the log (no customer names in it) and verifies it
    log = client.get("/api/v1/desk/audit", params={"limit": 1000}, headers=t["aud"]).json()
    assert any(e["action"] == "freeze.refused" for e in log)
    _problem(client.get("/api/v1/desk/audit", headers=t["ana"]), 403, "desk-permission-denied")
    v = client.get("/api/v1/desk/audit/verify", headers=t["aud"]).json()
    assert v["ok"] and v["entries"] == len(log) + 0
    year = log[-1]["at"][:4]
    rep = client.get("/api/v1/desk/reports/transparency", params={"period": year},
                     headers=t["aud"]).json()
    assert rep["by_outcome"]["refused"] == 1 and rep["check"]["figures_match_audit_log"]
    html = client.get("/api/v1/desk/reports/transparency", params={"period": year, "format": "html"},
                      headers=t["aud"])
    assert html.status_code == 200 and "<svg" in html.text
    _problem(client.get("/api/v1/desk/reports/transparency", params={"period": "last year"},
                        headers=t["aud"]), 400, "bad-request")


def _browser(app, user: str, token: str) -> Api:
    b = Api(app)
    r = b.post("/desk/login", content=f"user={user}&token={token}&next=/desk",
               headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303 and r.headers["location"] == "/desk", r.text
    return b


def test_desk_pages(api, sim_store):  # noqa: F811
    client, t = api
    app = client.client._transport.app
    anon = Api(app)
    r = anon.get("/desk")
    assert r.status_code == 303 and r.headers["location"].startswith("/desk/login")
    bad = anon.post("/desk/login", content="user=ana&token=nope",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 401
    ana = _browser(app, "ana", t["ana"]["X-Desk-Token"])
    rita = _browser(app, "rita", t["rita"]["X-Desk-Token"])
    aud = _browser(app, "aud", t["aud"]["X-Desk-Token"])
    donation = _truth(sim_store, "SELECT donation_address FROM read_parquet('$T/donations.parquet') "
                                 "LIMIT 1")[0][0]
    form = (f"agency=Police&country=US&instrument=subpoena&categories=identity&categories=transactions"
            f"&targets={donation}&window_start=2013-01-01&window_end=2030-12-31&verification=verified"
            f"&max_hops=1&requester_type=law_enforcement")
    r = ana.post("/desk/requests", content=form,
                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 303, r.text
    page = r.headers["location"]
    assert rita.post(page + "/review", content="").status_code == 303
    html = rita.get(page).text
    assert "GDPR Art. 48" in html and "flag" in html and "Linked customers" in html
    # four eyes through the pages: the reviewer cannot approve
    denied = rita.post(page + "/approve", content="reason=ok",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert denied.status_code == 403
    ref = client.get(page.replace("/desk/", "/api/v1/desk/"), headers=t["ana"]).json()
    case, cust = ref["case_ref"], ref["linked_customers"][0]
    assert "Open the record" in ana.get(f"/desk/customers/{cust}").text
    rec = ana.get(f"/desk/customers/{cust}", params={"case": case, "why": "subpoena"})
    assert rec.status_code == 200 and "date_of_birth" in rec.text
    assert aud.get(f"/desk/customers/{cust}", params={"case": case, "why": "x"}).status_code == 403
    log = aud.get("/desk/audit", params={"verify": 1})
    assert log.status_code == 200 and "Hash chain intact" in log.text and "customer.view" in log.text
    rep = aud.get("/desk/report", params={"period": str(dt.datetime.now(dt.timezone.utc).year)})
    assert rep.status_code == 200 and "<svg" in rep.text
    for b in (anon, ana, rita, aud):
        b.close()
