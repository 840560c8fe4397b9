"""Activity by jurisdiction on the simulator's jurisdiction scenario (Russian customers'
deposits rise after 2022-02-24): the report shows the rise, its totals equal the transfers,
the HTML is self-contained, and the command line, REST API and web UI serve it with the desk's
roles; alerts are listed and decided through the API and the pages."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from chaintrail.chain import open as open_chain
from chaintrail.monitor.activity import activity_report, parse_period
from chaintrail.monitor.activity_html import activity_html
from chaintrail.monitor.screen import load_book
from chaintrail.monitor.transfers import DEPOSIT, find_transfers
from chaintrail.monitor.watch import watch_of

from support.monitor_env import copy_store, new_desk

SPLIT = dt.date(2022, 2, 24)


@pytest.fixture(scope="module")
def setup(monitor_env, tmp_path_factory):
    base = tmp_path_factory.mktemp("activity")
    store = copy_store(monitor_env, base / "store")
    desk, users, tokens = new_desk(base / "desk.sqlite", store, monitor_env.truth)
    chain = open_chain(store)
    yield store, desk, users, tokens, chain, base
    chain.close()
    desk.close()


def test_periods():
    assert parse_period("2022-01..2022-12") == (dt.date(2022, 1, 1), dt.date(2023, 1, 1))
    assert parse_period("2022") == (dt.date(2022, 1, 1), dt.date(2023, 1, 1))
    assert parse_period("2022-02") == (dt.date(2022, 2, 1), dt.date(2022, 3, 1))
    for bad in ("2022-13", "x", "2022-05..2022-01"):
        with pytest.raises(ValueError, match="--period"):
            parse_period(bad)


def test_report_shows_the_sanctioned_jurisdictions_rise(setup):
    store, desk, users, tokens, chain, base = setup
    book = load_book(desk.engine, chain)
    rep = activity_report(chain, book, watch_of(chain), "2021-01..2023-12", "nationality",
                          split=SPLIT)
    cmp = {c["jurisdiction"]: c for c in rep["split"]["jurisdictions"]}
    ru = cmp["RU"]
    assert ru["sanctioned"] and ru["before_deposits"] > 5 and ru["after_deposits"] > 5
    # the rise in deposits per day stands out from every country with enough deposits
    others = [c["count_change"] for j, c in cmp.items() if j not in ("RU", "??")
              and c["before_deposits"] >= 50]
    assert len(others) >= 5 and ru["count_change"] > 1.8 * max(others)
    assert ru["after_count_share"] > 1.8 * ru["before_count_share"]
    # totals: every deposit in the period counted once per nationality
    by_country = activity_report(chain, book, watch_of(chain), "2021-01..2023-12", "country")
    t0, t1 = by_country["txs"]
    tr = find_transfers(chain._arrays, book, t0, t1)
    dep = tr.direction == DEPOSIT
    assert sum(x["deposit_sat"] for x in by_country["jurisdictions"]) == int(tr.value[dep].sum())
    assert sum(x["deposits"] for x in by_country["jurisdictions"]) == int(dep.sum())
    months = by_country["buckets"]
    assert months == sorted(months) and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    assert sum(c["deposits"] for b in months for c in by_country["series"][b].values()) == int(dep.sum())
    html = activity_html(rep)
    assert html.count("<svg") >= 2 and "<script" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    assert "RU (sanctioned)" in html


def test_cli_report_activity_with_roles(setup):
    store, desk, users, tokens, chain, base = setup
    out = base / "activity.html"
    db = f"sqlite:///{base / 'desk.sqlite'}"
    cmd = [sys.executable, "-m", "chaintrail", "report", "activity", "--by", "country", "--period",
           "2021-01..2023-12", "--split", "2022-02-24", "--store", str(store), "--db", db]
    r = subprocess.run(cmd + ["--html", str(out), "--json", "--user", "auditor", "--token",
                              tokens["auditor"]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("<!DOCTYPE html>") and '"split"' in r.stdout
    r = subprocess.run(cmd + ["--user", "admin", "--token", tokens["admin"]], capture_output=True,
                       text=True)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(cmd[:-4] + ["--period", "2022-13", "--store", str(store), "--db", db,
                                   "--user", "analyst", "--token", tokens["analyst"]],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "--period" in r.stderr


def test_api_and_pages(setup):
    from test_api_fixtures import Api

    from chaintrail.api import create_app
    from chaintrail.monitor.follow import Monitor
    from chaintrail.monitor.rules import load_rules

    store, desk, users, tokens, chain, base = setup
    Monitor(store, desk.engine, load_rules(), from_height=0).step()  # screen the stored blocks
    app = create_app(store)
    app.state.desk_db = f"sqlite:///{base / 'desk.sqlite'}"
    client = Api(app)
    h = {r: {"X-Desk-User": r, "X-Desk-Token": t} for r, t in tokens.items()}
    try:
        assert client.get("/api/v1/monitor/alerts").status_code == 401
        assert client.get("/api/v1/monitor/alerts", headers=h["auditor"]).status_code == 403
        got = client.get("/api/v1/monitor/alerts?status=open&limit=5", headers=h["analyst"]).json()
        assert got["counts"]["open"] > 0 and len(got["alerts"]) == 5
        aid = got["alerts"][0]["id"]
        one = client.get(f"/api/v1/monitor/alerts/{aid}", headers=h["analyst"]).json()
        assert one["evidence"]["rule"]["id"] == one["rule_id"] and one["case"].startswith("MON-")
        r = client.post(f"/api/v1/monitor/alerts/{aid}/decision", headers=h["analyst"],
                        json={"status": "closed", "reason": "known customer"})
        assert r.status_code == 403
        r = client.post(f"/api/v1/monitor/alerts/{aid}/decision", headers=h["reviewer"],
                        json={"status": "escalated", "reason": "source of funds unclear"})
        assert r.status_code == 200 and r.json()["status"] == "escalated"
        st = client.get("/api/v1/monitor/status", headers=h["reviewer"]).json()
        assert st["alerts"]["escalated"] == 1 and st["outbox"]["pending"] > 0
        act = client.get("/api/v1/monitor/activity?period=2022&by=nationality&split=2022-02-24",
                         headers=h["auditor"])
        assert act.status_code == 200 and act.json()["split"]["date"] == "2022-02-24"
        # pages, signed in as the reviewer
        r = client.post("/desk/login", data={"user": "reviewer", "token": tokens["reviewer"],
                                             "next": "/desk/monitor"})
        assert r.status_code in (200, 303)
        cookie = r.headers.get("set-cookie", "").split(";")[0]
        page = client.get("/desk/monitor?status=escalated", headers={"Cookie": cookie})
        assert page.status_code == 200 and f"/desk/monitor/{aid}" in page.text
        detail = client.get(f"/desk/monitor/{aid}", headers={"Cookie": cookie})
        assert detail.status_code == 200 and one["txid"] in detail.text
        rep = client.get("/desk/monitor/activity?period=2022&split=2022-02-24",
                         headers={"Cookie": cookie})
        assert rep.status_code == 200 and "<svg" in rep.text
    finally:
        client.close()
