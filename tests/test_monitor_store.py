"""Storing alerts in bulk: the SQLite fast path (rows straight to the driver, ids allocated
under the write lock) stores exactly the rows the portable SQLAlchemy path stores, on SQLite
and on PostgreSQL: alerts, monitoring cases, outbox events and a verified audit chain; ids come
back sorted, repeats and keys stored before are skipped. Each event keeps its fields and takes
its evidence from the alert (written once); the body posted to a webhook is the canonical JSON
of the whole event, byte for byte what a body embedding the evidence was, for events written
before the change (migration 0004) as well, and after a downgrade."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
from chaintrail.monitor import delivery
from chaintrail.monitor.alerts import (
    AlertRow,
    abandon_blocks,
    alert_key,
    canonical_json,
    payload,
    store_alerts,
)
from chaintrail.monitor.jsontext import RawJSON, plain

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
    if i % 2:  # as the screening writes them: encoded ahead (``jsontext.RawJSON``)
        hits = RawJSON(canonical_json(hits))
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


def _reference_body(aid: int, r: AlertRow, status: str, case: str, customer: str,
                    event: str) -> str:
    """The webhook body as specified (docs/monitor.md), built from scratch: every field of the
    alert and its evidence (its parts encoded ahead decoded), canonical JSON as the stdlib
    writes it."""
    return json.dumps(plain({
        "event": event, "alert_id": aid, "key": r.key, "rule": r.rule_id,
        "rule_version": r.rule_version, "ruleset_version": r.ruleset_version,
        "severity": r.severity, "status": status, "origin": r.origin, "customer": customer,
        "case": case, "txid": r.txid, "block_hash": r.block_hash, "height": r.height,
        "block_time": r.block_time, "address": r.address, "direction": r.direction,
        "amount": r.amount, "category": r.category, "summary": r.summary,
        "listed_since": r.listed_since.isoformat() if r.listed_since else None,
        "known_since": r.known_since, "evidence": r.evidence}), sort_keys=True,
        separators=(",", ":"), default=str)


def _desk(url: str, revision: str = "head") -> tuple:
    engine = make_engine(url)
    upgrade(engine, revision)
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
        events = conn.execute(select(monitor_outbox.c.id, monitor_outbox.c.alert_id,
                                     monitor_outbox.c.payload, monitor_outbox.c.with_evidence)).all()
    assert case_of[11] == 1 and all(case_ref[c] == f"MON-{c}" for c in case_of.values())
    assert {a["customer_id"] for a in alerts.values()} == set(case_of)
    assert len(events) == len(alerts)
    bodies = delivery.event_bodies(engine, [e[0] for e in events])
    rows = {r.key: r for r in _rows(40, [10, 11, 12, 13, 14]) + _rows(41, [15])[40:]}
    for oid, aid, fields, by_ref in events:
        a = alerts[aid]
        assert a["case_id"] == case_of[a["customer_id"]]
        # the event keeps its fields, canonical, without the evidence: that is the alert's
        assert by_ref is True and "evidence" not in json.loads(fields)
        assert fields == canonical_json(json.loads(fields))
        body = bodies[oid]
        # the body posted is the whole event: as specified, and as the alert's row gives it
        assert body == _reference_body(aid, rows[a["key"]], "open", case_ref[a["case_id"]],
                                       cust_ref[a["customer_id"]], "alert.created")
        assert body == payload(aid, a, case_ref[a["case_id"]], cust_ref[a["customer_id"]],
                               "alert.created")
        doc = json.loads(body)
        assert doc["evidence"] == json.loads(a["evidence"]) and doc["alert_id"] == aid
        assert doc["listed_since"] == (a["listed_since"].isoformat() if a["listed_since"] else None)
    actions = [r[3] for r in t["audit_log"]]
    for r in t["audit_log"]:  # the details written directly are their canonical JSON
        if r[3] == "monitor.alert":
            d = json.loads(r[7])
            assert r[7] == audit.canonical_details(d) and set(d) == {
                "alert", "origin", "rule", "rule_version", "txid"} and d["alert"] in alerts
    assert actions.count("monitor.alert") == 41 and actions.count("case.open") == 5
    return t


def test_sqlite_fast_path_stores_what_the_portable_path_stores(tmp_path, monkeypatch):
    from chaintrail.desk import bulk
    from chaintrail.monitor import alerts as alerts_mod

    tables = []
    for driver, chunk, per in ((True, alerts_mod.CHUNK, bulk.ROWS_PER_STATEMENT),
                               (False, alerts_mod.CHUNK, bulk.ROWS_PER_STATEMENT),
                               (True, 7, 3), (False, 7, 3), (True, 7, 1)):
        monkeypatch.setattr(alerts_mod, "CHUNK", chunk)  # 7: the alerts go in several chunks
        monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", per)  # 3: several rows a statement
        engine = _desk(f"sqlite:///{tmp_path / f'desk-{driver}-{chunk}-{per}.sqlite'}")
        tables.append(_check(engine, *_store_twice(engine, driver)))
        engine.dispose()
    assert all(t == tables[0] for t in tables[1:])


def test_a_big_write_gets_a_larger_page_cache_and_gives_it_back(tmp_path):
    """SQLite: ``bulk.page_cache`` raises the connection's cache for the block and restores
    the setting after it, also when storing alerts."""
    from chaintrail.desk import bulk

    engine = _desk(f"sqlite:///{tmp_path / 'desk.sqlite'}")
    with engine.begin() as conn:
        size = lambda: conn.exec_driver_sql("PRAGMA cache_size").scalar()  # noqa: E731
        before = size()
        with bulk.page_cache(conn, 64):
            assert size() == -64 * 1024
        assert size() == before
        assert len(store_alerts(conn, _rows(5, [10, 11]), AT)) == 5 and size() == before
        with bulk.page_cache(conn, 0):  # 0: unchanged
            assert size() == before
    engine.dispose()


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


class Receiver:
    """A webhook endpoint on 127.0.0.1 recording each post's delivery id and raw body."""

    def __init__(self):
        self.posts: list[tuple[str, str, bytes]] = []
        recv = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                recv.posts.append((self.headers["X-Chaintrail-Delivery"],
                                   self.headers["X-Chaintrail-Event"], body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _old_event(conn, aid: int, event: str) -> None:
    """An outbox row as the monitor wrote it before migration 0004: the whole body."""
    a = conn.execute(select(monitor_alerts).where(monitor_alerts.c.id == aid)).mappings().one()
    case = conn.execute(select(cases.c.ref).where(cases.c.id == a["case_id"])).scalar()
    cust = conn.execute(select(customers.c.ref).where(customers.c.id == a["customer_id"])).scalar()
    conn.execute(insert(monitor_outbox).values(
        alert_id=aid, event=event, payload=payload(aid, a, case, cust, event), status="pending",
        attempts=0, next_attempt_at=AT, created_at=AT))


def test_webhook_bodies_are_the_whole_events_across_migration_and_retries(tmp_path):
    """Events written before migration 0004 (whole bodies) and after it (evidence by
    reference: created, abandoned) are posted as the specified canonical JSON of the whole
    event; a repeat after a lost acknowledgement posts the same bytes under the same delivery
    id; a downgrade gives the events their whole bodies back."""
    from alembic import command

    from chaintrail.desk.db import alembic_config

    rows = _rows(12, [10, 11, 12])
    url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    engine = _desk(url, "0003")
    with engine.begin() as conn:  # the monitor before 0004: each event with its whole body
        old = store_alerts(conn, rows[:4], AT, outbox=False)
        for aid in old:
            _old_event(conn, aid, "alert.created")
    upgrade(engine)
    with engine.begin() as conn:
        new = store_alerts(conn, rows[4:], AT2)
    hashes = sorted({r.block_hash for r in rows[4:] if r.block_hash})
    assert hashes and abandon_blocks(engine, hashes) == len(hashes)
    with engine.connect() as conn:
        alerts = {r["id"]: r for r in conn.execute(select(monitor_alerts)).mappings()}
        case_ref = dict(conn.execute(select(cases.c.id, cases.c.ref)).all())
        cust_ref = dict(conn.execute(select(customers.c.id, customers.c.ref)).all())
        pending = conn.execute(select(monitor_outbox.c.id, monitor_outbox.c.alert_id,
                                      monitor_outbox.c.event, monitor_outbox.c.with_evidence)
                               .order_by(monitor_outbox.c.id)).all()
    assert len(pending) == len(old) + len(new) + len(hashes)
    assert [e[3] for e in pending] == [False] * len(old) + [True] * (len(new) + len(hashes))
    by_key = {r.key: r for r in rows}
    want = {}
    for oid, aid, event, _ in pending:
        a = alerts[aid]
        status = "abandoned" if event == "alert.abandoned" else "open"
        want[str(oid)] = (event, _reference_body(aid, by_key[a["key"]], status,
                                                 case_ref[a["case_id"]],
                                                 cust_ref[a["customer_id"]], event).encode())
    hook = Receiver()
    try:
        rep = delivery.deliver_pending(engine, hook.url)
        assert rep.delivered == len(pending) and rep.pending == 0
        # the acknowledgement of two posts was lost (a kill between post and mark): posted again
        lost = [int(hook.posts[0][0]), int(hook.posts[-1][0])]
        with engine.begin() as conn:
            conn.execute(update(monitor_outbox).where(monitor_outbox.c.id.in_(lost))
                         .values(status="pending"))
        assert delivery.deliver_pending(engine, hook.url).delivered == 2
    finally:
        hook.close()
    assert len(hook.posts) == len(pending) + 2
    got: dict[str, set] = {}
    for did, event, body in hook.posts:
        assert (event, body) == want[did]
        got.setdefault(did, set()).add(body)
    assert set(got) == set(want) and all(len(b) == 1 for b in got.values())
    with engine.begin() as conn:  # downgrade: every event's payload is its whole body again
        command.downgrade(alembic_config(conn), "0003")
    with engine.connect() as conn:
        outbox = conn.execute(select(monitor_outbox.c.id, monitor_outbox.c.payload)).all()
    assert {str(oid): p.encode() for oid, p in outbox} == {k: v[1] for k, v in want.items()}
    engine.dispose()
