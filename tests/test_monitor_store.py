"""Storing alerts in bulk: the SQLite fast path (rows straight to the driver, ids allocated
under the write lock, the outbox body written around the evidence text) stores exactly the
rows the portable SQLAlchemy path stores, on SQLite and on PostgreSQL: alerts, monitoring
cases, outbox events and a verified audit chain; ids come back sorted, repeats and keys
stored before are skipped, and each event's body is the canonical JSON of the alert."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import insert, select, update

from chaintrail.desk import audit
from chaintrail.desk.db import make_engine, upgrade
from chaintrail.desk.pgserver import TempPostgres, find_bindir
from chaintrail.desk.schema import (
    audit_log,
    case_customers,
    cases,
    customers,
    monitor_alerts,
    monitor_outbox,
)
from chaintrail.monitor.alerts import AlertRow, alert_key, payload, store_alerts

AT = "2025-03-03T09:00:00.000000Z"
AT2 = "2025-03-04T09:00:00.000000Z"


def _evidence(i: int) -> dict:
    hits = [{"address": f"bc1qaddr{i}x{h}", "amount": 1000 * (h + 1), "hop": h + 1,
             "label": "Grantor Exchange", "category": "exchange", "abuse": "sanction",
             "sources": ["simulator truth"], "output": f"{i:064x}:{h}",
             "path": [{"txid": f"{i + s:064x}", "amount": 900 - s, "hop": s + 1,
                       "source": f"{s:064x}:0", "target": f"{s + 1:064x}:1"} for s in range(h + 1)],
             "listings": [{"source": "tags", "label": "Grantor – Börse \"Ω\"", "confidence": 0.9,
                           "listed_since": "2022-06-01", "lastmod": None}]}
            for h in range(1 + i % 5)]
    return {"direct_share": round(1 / (i + 3), 6), "indirect_share": 0.0, "hits": hits,
            "budget_exhausted": i % 7 == 0, "max_hops": 4, "when": dt.date(2022, 6, 1),
            "rule": {"id": "sanctioned-exposure", "directions": ["deposit", "spend"]},
            "retrospective": {"before_listing": bool(i % 2)}}


def _rows(n: int, customer_ids: list[int]) -> list[AlertRow]:
    out = []
    for i in range(n):
        txid = f"{i * 7919:064x}"
        out.append(AlertRow(
            key=alert_key("sanctioned-exposure", "1", txid, i), rule_id="sanctioned-exposure",
            rule_version="1", ruleset_version="2026.11.1", severity="high", origin="rescreen",
            customer_id=customer_ids[i % len(customer_ids)], txid=txid,
            block_hash=None if i % 3 else f"{i:064x}", height=None if i % 11 == 0 else 100 + i,
            block_time="2021-02-20T21:35:37Z", address=None if i % 13 == 0 else f"bc1qcust{i}",
            direction=("deposit", "withdrawal", "spend")[i % 3], amount=10_000 + i,
            category="sanctioned", score=1.0 / (i + 1),
            summary=f"re-screening: deposit {i} – «exposure» \"x\"\\",
            evidence=_evidence(i), listed_since=dt.date(2022, 6, 1) if i % 4 else None,
            known_since=AT if i % 2 else None))
    return out


def _desk(url: str) -> tuple:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(customers), [{"id": 10 + c, "ref": f"CUST-{c}", "name": f"n{c}",
                                          "created_at": AT} for c in range(6)])
        # customer 11 has an open monitoring case already: it is reused
        cid = conn.execute(insert(cases).values(ref="pre", kind="monitoring", purpose="p",
                                                opened_by="monitor", opened_at=AT)).inserted_primary_key[0]
        conn.execute(update(cases).where(cases.c.id == cid).values(ref=f"MON-{cid}"))
        conn.execute(insert(case_customers).values(case_id=cid, customer_id=11))
    return engine


def _store_twice(engine, driver: bool) -> tuple[list[int], list[int], list[int]]:
    rows = _rows(40, [10, 11, 12, 13, 14])
    with engine.begin() as conn:
        first = store_alerts(conn, rows[:25] + rows[:3], AT, driver=driver)
    with engine.begin() as conn:  # a second batch: 15 new, 25 stored before, one new customer
        more = rows[25:] + _rows(41, [15])[40:]
        second = store_alerts(conn, rows + more, AT2, driver=driver)
    with engine.begin() as conn:
        again = store_alerts(conn, rows, AT2, driver=driver)
    return first, second, again


def _tables(engine) -> dict:
    with engine.connect() as conn:
        rep = audit.verify(conn)
        assert rep.ok, rep.to_dict()
        out = {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
               for t in (monitor_alerts, monitor_outbox, cases, case_customers, audit_log)}
    out["head"] = (rep.head_seq, rep.head_hash)
    return out


def _check(engine, first, second, again) -> dict:
    assert len(first) == 25 and first == sorted(first) and not again
    assert len(second) == 16 and second == sorted(second) and set(first).isdisjoint(second)
    t = _tables(engine)
    assert [r[0] for r in t["monitor_alerts"]] == sorted(first + second)
    with engine.connect() as conn:
        alerts = {r["id"]: r for r in conn.execute(select(monitor_alerts)).mappings()}
        case_ref = dict(conn.execute(select(cases.c.id, cases.c.ref)).all())
        cust_ref = dict(conn.execute(select(customers.c.id, customers.c.ref)).all())
        case_of = dict(conn.execute(select(case_customers.c.customer_id, case_customers.c.case_id)).all())
        events = conn.execute(select(monitor_outbox.c.alert_id, monitor_outbox.c.payload)).all()
    assert case_of[11] == 1 and all(case_ref[c] == f"MON-{c}" for c in case_of.values())
    assert {a["customer_id"] for a in alerts.values()} == set(case_of)
    assert len(events) == len(alerts)
    for aid, body in events:
        a = alerts[aid]
        assert a["case_id"] == case_of[a["customer_id"]]
        # the body written around the evidence text equals the canonical JSON of the alert
        assert body == payload(aid, a, case_ref[a["case_id"]], cust_ref[a["customer_id"]],
                               "alert.created")
        doc = json.loads(body)
        assert doc["evidence"] == json.loads(a["evidence"]) and doc["alert_id"] == aid
        assert doc["listed_since"] == (a["listed_since"].isoformat() if a["listed_since"] else None)
    actions = [r[3] for r in t["audit_log"]]
    assert actions.count("monitor.alert") == 41 and actions.count("case.open") == 5
    return t


def test_sqlite_fast_path_stores_what_the_portable_path_stores(tmp_path, monkeypatch):
    from chaintrail.monitor import alerts as alerts_mod

    tables = []
    for driver, chunk in ((True, alerts_mod.CHUNK), (False, alerts_mod.CHUNK), (True, 7), (False, 7)):
        monkeypatch.setattr(alerts_mod, "CHUNK", chunk)  # 7: the alerts go in several chunks
        engine = _desk(f"sqlite:///{tmp_path / f'desk-{driver}-{chunk}.sqlite'}")
        tables.append(_check(engine, *_store_twice(engine, driver)))
        engine.dispose()
    assert all(t == tables[0] for t in tables[1:])


@pytest.mark.skipif(find_bindir() is None, reason="PostgreSQL server binaries not found (Debian: "
                    "apt-get install postgresql); the PostgreSQL variant is skipped")
def test_postgresql_stores_what_sqlite_stores(tmp_path):
    engine = _desk(f"sqlite:///{tmp_path / 'desk.sqlite'}")
    lite = _check(engine, *_store_twice(engine, True))
    engine.dispose()
    with TempPostgres() as pg:
        engine = _desk(pg.create_database("desk_" + uuid.uuid4().hex[:12]))
        pgt = _check(engine, *_store_twice(engine, None))
        engine.dispose()
    assert pgt == lite
