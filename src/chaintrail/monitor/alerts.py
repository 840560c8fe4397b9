"""Alerts in the desk's database: stored with the block they were screened
in, in one transaction with that block's screening record, the customer's
monitoring case (MON-n, opened or reused) and the webhook outbox events, so
that a crash at any point leaves either all of a block's alerts or none,
and a restart screening the block again adds nothing twice (each alert has a
unique key; the block's record is the mark that it was done).

Reading and deciding alerts goes through a DeskSession (alerts name
customers: analysts, reviewers and approvers see them; reviewers and
approvers escalate or close them). The monitor itself writes as the actor
``monitor``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _q

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from chaintrail.desk import audit as audit_mod
from chaintrail.desk import bulk
from chaintrail.desk.errors import DeskError, DeskNotFound
from chaintrail.desk.schema import (
    audit_log,
    case_customers,
    cases,
    customers,
    monitor_alerts,
    monitor_blocks,
    monitor_outbox,
)
from chaintrail.monitor.jsontext import canonical_json, value_text

ACTOR = "monitor"
STATUSES = ("open", "escalated", "closed", "abandoned")
CASE_KIND = "monitoring"
CASE_PURPOSE = "transaction monitoring: alerts on the customer's transfers"


def now_ts() -> str:
    return audit_mod.timestamp(dt.datetime.now(dt.timezone.utc))


@dataclass
class AlertRow:
    """An alert ready to be stored (what the screening of a block or a re-screening found)."""

    key: str
    rule_id: str
    rule_version: str
    ruleset_version: str
    severity: str
    origin: str
    customer_id: int
    txid: str
    block_hash: str | None
    height: int | None
    block_time: str | None
    address: str | None
    direction: str
    amount: int
    category: str | None
    score: float
    summary: str
    evidence: dict
    listed_since: dt.date | None = None
    known_since: str | None = None


def alert_key(*parts) -> str:
    """The unique key of an alert: what makes two findings the same alert."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def block_done(engine: Engine, block_hash: str) -> bool:
    """Whether this block's screening is stored (as screened or abandoned)."""
    with engine.connect() as conn:
        return conn.execute(select(monitor_blocks.c.status)
                            .where(monitor_blocks.c.hash == block_hash)).first() is not None


def screened_blocks(engine: Engine) -> dict[str, int]:
    """Hash -> height of every block screened and not abandoned."""
    with engine.connect() as conn:
        return {r[0]: int(r[1]) for r in conn.execute(
            select(monitor_blocks.c.hash, monitor_blocks.c.height)
            .where(monitor_blocks.c.status == "screened"))}


def _monitoring_cases(conn: Connection, customer_ids: list[int], at: str,
                      driver: bool) -> tuple[dict[int, tuple[int, str]], list]:
    """The open monitoring case of each customer, opening one where none is open; (map,
    audit rows of the cases opened). With `driver` (SQLite) the caller holds the write lock."""
    got: dict[int, tuple[int, str]] = {}
    ids = sorted(set(customer_ids))
    for cust, cid, ref in bulk.rows_in(
            conn, select(case_customers.c.customer_id, cases.c.id, cases.c.ref)
            .select_from(case_customers.join(cases, cases.c.id == case_customers.c.case_id))
            .where(cases.c.kind == CASE_KIND, cases.c.closed_at.is_(None)),
            case_customers.c.customer_id, ids, driver):
        got.setdefault(int(cust), (int(cid), ref))
    audit_rows = []
    missing = [c for c in ids if c not in got]
    if not missing:
        return got, audit_rows
    cols = ("ref", "kind", "purpose", "opened_by", "opened_at")
    if driver:  # the ids are known before the insert: the cases get their MON-<id> refs at once
        new_ids = bulk.next_ids(conn, cases, len(missing))
        bulk.insert_rows(conn, cases, ("id", *cols),
                         [(i, f"MON-{i}", CASE_KIND, CASE_PURPOSE, ACTOR, at) for i in new_ids], True)
    else:  # one statement per step for all of them (a re-screening may open thousands): the
        # cases under temporary refs, their ids returned, then MON-<id>
        tmp = [f"tmp-{uuid.uuid4().hex[:24]}" for _ in missing]
        new_ids = bulk.insert_returning_ids(conn, cases, cols, [
            (r, CASE_KIND, CASE_PURPOSE, ACTOR, at) for r in tmp], "ref", False)
        conn.execute(update(cases).where(cases.c.id == bindparam("b_id"))
                     .values(ref=bindparam("b_ref")),
                     [{"b_id": i, "b_ref": f"MON-{i}"} for i in new_ids])
    bulk.insert_rows(conn, case_customers, ("case_id", "customer_id"),
                     list(zip(new_ids, missing)), driver)
    for c, cid in zip(missing, new_ids):
        got[c] = (cid, f"MON-{cid}")
        audit_rows.append((at, ACTOR, "case.open", f"MON-{cid}", None, CASE_PURPOSE,
                           {"kind": CASE_KIND}))
    return got, audit_rows


def _value(v) -> str:
    """A field's JSON as ``json.dumps`` writes it (strings, ints and None directly: they are
    nearly all of an event's fields)."""
    t = type(v)
    if t is str:
        return _q(v)
    if v is None:
        return "null"
    if t is int:
        return int.__repr__(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def _body(fields: dict, evidence_json: str) -> str:
    """The canonical JSON of an event body whose evidence is already canonical JSON: the
    fields and the evidence text in key order (so an alert's evidence is serialised once, not
    again for its event); equal to ``canonical_json`` of the body."""
    items = sorted([(k, _value(v)) for k, v in fields.items()] + [("evidence", evidence_json)])
    return "{" + ",".join(f"{_q(k)}:{v}" for k, v in items) + "}"


def _fields(alert_id: int, row: dict, case_ref: str | None, customer_ref: str, event: str) -> dict:
    """An event body's fields but the evidence, from an alert's row (its column names)."""
    return {"event": event, "alert_id": alert_id, "key": row["key"], "rule": row["rule_id"],
            "rule_version": row["rule_version"], "ruleset_version": row["ruleset_version"],
            "severity": row["severity"], "status": row["status"], "origin": row["origin"],
            "customer": customer_ref, "case": case_ref, "txid": row["txid"],
            "block_hash": row["block_hash"], "height": row["height"],
            "block_time": row["block_time"], "address": row["address"],
            "direction": row["direction"], "amount": row["amount"], "category": row["category"],
            "summary": row["summary"],
            "listed_since": row["listed_since"].isoformat() if row.get("listed_since") else None,
            "known_since": row.get("known_since")}


def fields_json(alert_id: int, row: dict, case_ref: str | None, customer_ref: str,
                event: str) -> str:
    """The canonical JSON of an event's fields without the evidence: what the outbox keeps
    (``with_evidence``), the alert's evidence being added when the event is posted."""
    f = _fields(alert_id, row, case_ref, customer_ref, event)
    return "{" + ",".join([p + (_q(v) if type(v) is str else _value(v))
                           for p, v in zip(_FIELD_PREFIX, map(f.__getitem__, _FIELD_ORDER))]) + "}"


#: the fields' keys in key order (``_fields`` always gives the same), and their JSON prefixes
_FIELD_ORDER = tuple(sorted(_fields(0, dict.fromkeys(
    ("key", "rule_id", "rule_version", "ruleset_version", "severity", "status", "origin", "txid",
     "block_hash", "height", "block_time", "address", "direction", "amount", "category",
     "summary")), None, "", "")))
_FIELD_PREFIX = tuple(f"{_q(k)}:" for k in _FIELD_ORDER)


def with_evidence(fields_text: str, evidence_json: str) -> str:
    """The body posted for an event kept without its evidence: its fields (``fields_json``)
    and the alert's evidence text (canonical JSON) in key order; the bytes ``payload`` gives."""
    return _body(json.loads(fields_text), evidence_json)


def payload(alert_id: int, row: dict, case_ref: str | None, customer_ref: str, event: str) -> str:
    """The webhook body of an alert event (JSON; the event id makes deliveries idempotent)."""
    evidence = json.dumps(json.loads(row["evidence"]), sort_keys=True, separators=(",", ":"))
    return _body(_fields(alert_id, row, case_ref, customer_ref, event), evidence)


def _event(alert_id: int, row: dict, case_ref: str | None, customer_ref: str, event: str,
           at: str) -> dict:
    """An outbox row of an alert event: the fields, the evidence by reference."""
    return {"alert_id": alert_id, "event": event,
            "payload": fields_json(alert_id, row, case_ref, customer_ref, event),
            "with_evidence": True, "status": "pending", "attempts": 0, "next_attempt_at": at,
            "created_at": at}


def _row_fields_json(alert_id: int, r: AlertRow, status: str, case_ref: str | None,
                     customer_ref: str, event: str) -> str:
    """``fields_json`` of a new alert's event, written from its AlertRow directly (the keys in
    order: address, alert_id, amount, block_hash, block_time, case, category, customer,
    direction, event, height, key, known_since, listed_since, origin, rule, rule_version,
    ruleset_version, severity, status, summary, txid)."""
    v = value_text
    ls = r.listed_since
    return (f'{{"address":{v(r.address)},"alert_id":{int(alert_id)},"amount":{int(r.amount)},'
            f'"block_hash":{v(r.block_hash)},"block_time":{v(r.block_time)},'
            f'"case":{v(case_ref)},"category":{v(r.category)},"customer":{v(customer_ref)},'
            f'"direction":{v(r.direction)},"event":{v(event)},"height":{v(r.height)},'
            f'"key":{v(r.key)},"known_since":{v(r.known_since)},'
            f'"listed_since":{v(ls.isoformat() if ls else None)},"origin":{v(r.origin)},'
            f'"rule":{v(r.rule_id)},"rule_version":{v(r.rule_version)},'
            f'"ruleset_version":{v(r.ruleset_version)},"severity":{v(r.severity)},'
            f'"status":{v(status)},"summary":{v(r.summary)},"txid":{v(r.txid)}}}')


def _audit_details(alert_id: int, r: AlertRow) -> str:
    """The canonical JSON of an alert's audit details (``audit.canonical_details`` of
    {alert, origin, rule, rule_version, txid}), written directly."""
    return (f'{{"alert":{int(alert_id)},"origin":{_value(r.origin)},"rule":{_value(r.rule_id)},'
            f'"rule_version":{_value(r.rule_version)},"txid":{_value(r.txid)}}}')


_ALERT_COLUMNS = ("key", "rule_id", "rule_version", "ruleset_version", "severity", "status",
                  "origin", "customer_id", "case_id", "txid", "block_hash", "height",
                  "block_time", "address", "direction", "amount", "category", "score", "summary",
                  "evidence", "listed_since", "known_since", "created_at", "updated_at")
#: alerts serialised and inserted at a time (bounds the evidence texts held in memory)
CHUNK = 20_000
_OUTBOX_COLUMNS = ("alert_id", "event", "payload", "with_evidence", "status", "attempts",
                   "next_attempt_at", "created_at")


def store_alerts(conn: Connection, rows: list[AlertRow], at: str, outbox: bool = True,
                 driver: bool | None = None) -> list[int]:
    """Insert alerts not stored yet (by key), with their cases, outbox events and audit entries;
    the ids of the alerts inserted. Runs in the caller's transaction. Each alert's evidence is
    serialised and written once: its outbox event keeps the other fields (``with_evidence``);
    the rows go in bulk (``desk.bulk``: on SQLite through the driver unless `driver` is
    False)."""
    if not rows:
        return []
    if driver is None:
        driver = bulk.fast(conn)
    have = {k for (k,) in bulk.rows_in(conn, select(monitor_alerts.c.key), monitor_alerts.c.key,
                                        [r.key for r in rows], driver)}
    new = []
    seen = set()
    for r in rows:
        if r.key not in have and r.key not in seen:
            seen.add(r.key)
            new.append(r)
    if not new:
        return []
    if driver:  # SQLite's write lock, taken by any write: from now on new ids are known
        audit_mod.lock(conn)
    with bulk.page_cache(conn, BIG_WRITE_CACHE_MB):
        return _store_new(conn, new, at, outbox, driver)


#: SQLite page cache (MB, a ceiling: pages are taken as needed) while storing alerts: the
#: indexes' pages (alert keys, txids, customers: random places) stay in memory instead of being
#: written out and read back between inserts as the evidence pages stream through the default
#: 2 MB cache (100k re-screening alerts: 2.9 GB written with 128 MB, 2.1 GB with 512 MB, for
#: 1.9 GB of WAL and database)
BIG_WRITE_CACHE_MB = 512


def _store_new(conn: Connection, new: list[AlertRow], at: str, outbox: bool,
               driver: bool) -> list[int]:
    """``store_alerts`` of alerts not stored yet."""
    case_of, audit_rows = _monitoring_cases(conn, [r.customer_id for r in new], at, driver)
    refs = dict(bulk.rows_in(conn, select(customers.c.id, customers.c.ref), customers.c.id,
                             sorted({r.customer_id for r in new}), driver))
    first = bulk.next_ids(conn, monitor_alerts, 1)[0] if driver else None
    # the audit entries hashed as the alerts are made: the cases opened first, then one per
    # alert, in order (as ``audit.append_many`` of them all would)
    seq, head = audit_mod.head_for_update(conn)
    ids: list[int] = []
    with bulk.Writer(conn, driver) as writer:  # SQLite inserts while the next chunk is made
        entries, seq, head = audit_mod.chained(audit_rows, seq, head)
        writer.insert(audit_log, audit_mod.NAMES, entries)
        for c in range(0, len(new), CHUNK):  # a chunk's JSON texts in memory at a time
            part = new[c:c + CHUNK]
            cases_of = [case_of[r.customer_id] for r in part]
            values = [(r.key, r.rule_id, r.rule_version, r.ruleset_version, r.severity, "open",
                       r.origin, r.customer_id, case[0], r.txid, r.block_hash,
                       r.height, r.block_time, r.address, r.direction, int(r.amount), r.category,
                       float(r.score), r.summary, canonical_json(r.evidence),
                       r.listed_since.isoformat() if driver and r.listed_since else
                       r.listed_since,  # the driver takes dates as ISO text
                       r.known_since, at, at) for r, case in zip(part, cases_of)]
            if driver:  # the ids SQLite would give (the write lock is held)
                got = list(range(first + c, first + c + len(part)))
                writer.insert(monitor_alerts, ("id", *_ALERT_COLUMNS),
                              [(i, *v) for i, v in zip(got, values)])
            else:
                got = bulk.insert_returning_ids(conn, monitor_alerts, _ALERT_COLUMNS, values,
                                                "key", driver)
            del values
            events, audits = [], []
            for aid, r, (_cid, case_ref) in zip(got, part, cases_of):
                cref = refs[r.customer_id]
                audits.append((at, ACTOR, "monitor.alert", case_ref, f"customer:{cref}",
                               r.summary, _audit_details(aid, r)))
                if outbox:  # the event's fields; its evidence is the alert's (written once)
                    events.append((aid, "alert.created",
                                   _row_fields_json(aid, r, "open", case_ref, cref,
                                                    "alert.created"),
                                   True, "pending", 0, at, at))
            writer.insert(monitor_outbox, _OUTBOX_COLUMNS, events)
            entries, seq, head = audit_mod.chained(audits, seq, head)
            writer.insert(audit_log, audit_mod.NAMES, entries)
            ids += got
    audit_mod.set_head(conn, seq, head)
    return sorted(ids)


def record_block(engine: Engine, block_hash: str, height: int, n_transfers: int,
                 rows: list[AlertRow], outbox: bool = True) -> list[int] | None:
    """Store a screened block and its alerts atomically; None when it was stored before."""
    at = now_ts()
    with engine.begin() as conn:
        if conn.execute(select(monitor_blocks.c.hash).where(monitor_blocks.c.hash == block_hash)).first():
            return None
        ids = store_alerts(conn, rows, at, outbox)
        conn.execute(insert(monitor_blocks).values(hash=block_hash, height=height, status="screened",
                                                   screened_at=at, transfers=n_transfers,
                                                   alerts=len(ids)))
    return ids


def abandon_blocks(engine: Engine, hashes: list[str], outbox: bool = True) -> int:
    """Mark blocks no longer on the best chain abandoned, and their alerts with them (an
    'alert.abandoned' event each); how many alerts were marked."""
    if not hashes:
        return 0
    at = now_ts()
    n = 0
    with engine.begin() as conn:
        conn.execute(update(monitor_blocks).where(monitor_blocks.c.hash.in_(hashes),
                                                  monitor_blocks.c.status == "screened")
                     .values(status="abandoned", abandoned_at=at))
        rows = conn.execute(select(monitor_alerts).where(
            monitor_alerts.c.block_hash.in_(hashes), monitor_alerts.c.status != "abandoned")).mappings().all()
        if not rows:
            return 0
        conn.execute(update(monitor_alerts).where(monitor_alerts.c.id.in_([r["id"] for r in rows]))
                     .values(status="abandoned", updated_at=at,
                             reason="the block was abandoned by a chain reorganisation"))
        refs = dict(conn.execute(select(customers.c.id, customers.c.ref).where(
            customers.c.id.in_({r["customer_id"] for r in rows}))).all())
        case_refs = dict(conn.execute(select(cases.c.id, cases.c.ref).where(
            cases.c.id.in_({r["case_id"] for r in rows if r["case_id"]}))).all())
        events, audit_rows = [], []
        for r in rows:
            d = dict(r)
            d["status"] = "abandoned"
            if outbox:
                events.append(_event(r["id"], d, case_refs.get(r["case_id"]),
                                     refs[r["customer_id"]], "alert.abandoned", at))
            audit_rows.append((at, ACTOR, "monitor.abandon", case_refs.get(r["case_id"]),
                               f"customer:{refs[r['customer_id']]}",
                               "block abandoned by a reorganisation",
                               {"alert": r["id"], "block_hash": r["block_hash"]}))
            n += 1
        if events:
            conn.execute(insert(monitor_outbox), events)
        audit_mod.append_many(conn, audit_rows)
    return n


# --- reading and deciding (desk users) -----------------------------------------------------

def _row(r, customer_ref: str | None, case_ref: str | None, evidence: bool) -> dict:
    d = {k: r[k] for k in ("id", "rule_id", "rule_version", "ruleset_version", "severity", "status",
                           "origin", "txid", "block_hash", "height", "block_time", "address",
                           "direction", "amount", "category", "score", "summary", "known_since",
                           "created_at", "updated_at", "decided_by", "reason")}
    d["listed_since"] = r["listed_since"].isoformat() if r["listed_since"] else None
    d["customer"] = customer_ref
    d["case"] = case_ref
    if evidence:
        d["evidence"] = json.loads(r["evidence"])
    return d


def list_alerts(s, status: str | None = None, rule: str | None = None,
                customer: str | None = None, limit: int = 100, offset: int = 0,
                evidence: bool = False) -> list[dict]:
    """Alerts, newest first (analyst, reviewer, approver)."""
    s.require("monitor.view")
    if status and status not in STATUSES:
        raise DeskError(f"unknown alert status {status!r} (use {', '.join(STATUSES)})")
    q = (select(monitor_alerts, customers.c.ref.label("customer_ref"), cases.c.ref.label("case_ref"))
         .select_from(monitor_alerts.join(customers, customers.c.id == monitor_alerts.c.customer_id)
                      .outerjoin(cases, cases.c.id == monitor_alerts.c.case_id))
         .order_by(monitor_alerts.c.id.desc()).limit(limit).offset(offset))
    if status:
        q = q.where(monitor_alerts.c.status == status)
    if rule:
        q = q.where(monitor_alerts.c.rule_id == rule)
    if customer:
        q = q.where(customers.c.ref == customer)
    with s.tx() as conn:
        rows = conn.execute(q).mappings().all()
    return [_row(r, r["customer_ref"], r["case_ref"], evidence) for r in rows]


def count_alerts(s) -> dict[str, int]:
    """Alerts per status."""
    s.require("monitor.view")
    with s.tx() as conn:
        return {st: int(n) for st, n in conn.execute(
            select(monitor_alerts.c.status, func.count()).group_by(monitor_alerts.c.status))}


def get_alert(s, alert_id: int) -> dict:
    """One alert with its evidence (analyst, reviewer, approver)."""
    s.require("monitor.view")
    with s.tx() as conn:
        r = conn.execute(
            select(monitor_alerts, customers.c.ref.label("customer_ref"), cases.c.ref.label("case_ref"))
            .select_from(monitor_alerts.join(customers, customers.c.id == monitor_alerts.c.customer_id)
                         .outerjoin(cases, cases.c.id == monitor_alerts.c.case_id))
            .where(monitor_alerts.c.id == alert_id)).mappings().first()
        if r is None:
            raise DeskNotFound(f"no alert {alert_id}")
        s.audit(conn, "monitor.view", case=r["case_ref"], subject=f"alert:{alert_id}")
    return _row(r, r["customer_ref"], r["case_ref"], True)


def decide_alert(s, alert_id: int, status: str, reason: str) -> dict:
    """Escalate or close an alert with a stated reason (reviewer, approver)."""
    s.require("monitor.decide")
    if status not in ("escalated", "closed", "open"):
        raise DeskError(f"an alert can be set to open, escalated or closed, not {status!r}")
    if not reason or not reason.strip():
        raise DeskError("a decision on an alert needs a reason")
    at = s.desk.timestamp()
    with s.tx() as conn:
        r = conn.execute(select(monitor_alerts).where(monitor_alerts.c.id == alert_id)).mappings().first()
        if r is None:
            raise DeskNotFound(f"no alert {alert_id}")
        if r["status"] == "abandoned":
            raise DeskError(f"alert {alert_id} was abandoned with its block (a reorganisation)")
        conn.execute(update(monitor_alerts).where(monitor_alerts.c.id == alert_id)
                     .values(status=status, decided_by=s.user, reason=reason, updated_at=at))
        case_ref = conn.execute(select(cases.c.ref).where(cases.c.id == r["case_id"])).scalar()
        cref = conn.execute(select(customers.c.ref).where(customers.c.id == r["customer_id"])).scalar()
        d = dict(r)
        d.update(status=status)
        conn.execute(insert(monitor_outbox).values(
            **_event(alert_id, d, case_ref, cref, "alert.updated", at)))
        s.audit(conn, "monitor.decide", case=case_ref, subject=f"alert:{alert_id}", reason=reason,
                details={"status": status, "previous": r["status"]})
    return get_alert(s, alert_id)
