"""Webhook delivery from the outbox: every alert event is a row written in
the same transaction as the alert, posted to the webhook until it answers
2xx, with exponential back-off between attempts, and marked delivered only
after that answer. A crash between the post and the mark means the event is
posted again after the restart: delivery is at least once, and receivers
drop repeats by the ``X-Chaintrail-Delivery`` id (the outbox row id, stable
across retries). With a secret, ``X-Chaintrail-Signature`` is the
HMAC-SHA256 of the body. An event written with its evidence by reference
(``with_evidence``: the outbox keeps the other fields) is posted with the
alert's evidence added, the same bytes as a body that embedded it (the
evidence never changes once stored)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import httpx
from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine

from chaintrail.desk import audit as audit_mod
from chaintrail.desk.schema import monitor_alerts, monitor_outbox
from chaintrail.monitor.alerts import with_evidence

MAX_ATTEMPTS = 8
BACKOFF = 2.0  # seconds before the second attempt; doubles, capped at one hour


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    pending: int = 0

    def to_dict(self) -> dict:
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead,
                "pending": self.pending}


def _ts(t: dt.datetime) -> str:
    return audit_mod.timestamp(t)


def sign(secret: str, body: bytes) -> str:
    """The signature header value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(payload: str, evidence_added: bool, evidence: str | None) -> str:
    """The body posted for an outbox row: its payload, with the alert's evidence added when the
    row keeps it by reference."""
    return with_evidence(payload, evidence) if evidence_added else payload


def event_bodies(engine: Engine, ids: list[int]) -> dict[int, str]:
    """The bodies the outbox rows `ids` post (for a reader of the outbox: what was sent)."""
    out: dict[int, str] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            for oid, body, added, ev in conn.execute(_with_evidence_query().where(
                    monitor_outbox.c.id.in_(ids[i:i + 500]))):
                out[oid] = event_body(body, added, ev)
    return out


def _with_evidence_query():
    """Outbox rows (id, payload, with_evidence, the alert's evidence when kept by reference)."""
    return (select(monitor_outbox.c.id, monitor_outbox.c.payload, monitor_outbox.c.with_evidence,
                   monitor_alerts.c.evidence)
            .select_from(monitor_outbox.outerjoin(monitor_alerts, and_(
                monitor_alerts.c.id == monitor_outbox.c.alert_id,
                monitor_outbox.c.with_evidence.is_(True)))))


def deliver_pending(engine: Engine, url: str, secret: str | None = None, limit: int = 1000,
                    max_attempts: int = MAX_ATTEMPTS, backoff: float = BACKOFF,
                    timeout: float = 10.0, client: httpx.Client | None = None,
                    now: dt.datetime | None = None) -> DeliveryReport:
    """Post the due pending events in order; one attempt each."""
    now = now or dt.datetime.now(dt.timezone.utc)
    rep = DeliveryReport()
    with engine.connect() as conn:
        rows = conn.execute(_with_evidence_query()
                            .add_columns(monitor_outbox.c.event, monitor_outbox.c.attempts)
                            .where(monitor_outbox.c.status == "pending",
                                   monitor_outbox.c.next_attempt_at <= _ts(now))
                            .order_by(monitor_outbox.c.id).limit(limit)).all()
    own = client is None
    client = client or httpx.Client(timeout=timeout, headers={"User-Agent": "chaintrail-monitor"})
    try:
        for oid, body, added, evidence, event, attempts in rows:
            data = event_body(body, added, evidence).encode()
            headers = {"Content-Type": "application/json", "X-Chaintrail-Event": event,
                       "X-Chaintrail-Delivery": str(oid)}
            if secret:
                headers["X-Chaintrail-Signature"] = sign(secret, data)
            error = None
            try:
                resp = client.post(url, content=data, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            at = dt.datetime.now(dt.timezone.utc)
            with engine.begin() as conn:
                if error is None:
                    conn.execute(update(monitor_outbox).where(monitor_outbox.c.id == oid).values(
                        status="delivered", attempts=attempts + 1, delivered_at=_ts(at),
                        last_error=None))
                    rep.delivered += 1
                    continue
                n = attempts + 1
                wait = min(3600.0, backoff * 2 ** (n - 1))
                status = "dead" if n >= max_attempts else "pending"
                conn.execute(update(monitor_outbox).where(monitor_outbox.c.id == oid).values(
                    status=status, attempts=n, last_error=error,
                    next_attempt_at=_ts(at + dt.timedelta(seconds=wait))))
                rep.failed += 1
                rep.dead += status == "dead"
    finally:
        if own:
            client.close()
    rep.pending = outbox_counts(engine).get("pending", 0)
    return rep


def outbox_counts(engine: Engine) -> dict[str, int]:
    """Outbox events per status."""
    with engine.connect() as conn:
        return {s: int(n) for s, n in conn.execute(
            select(monitor_outbox.c.status, func.count()).group_by(monitor_outbox.c.status))}


def retry_dead(engine: Engine) -> int:
    """Give dead events another round of attempts; how many."""
    at = _ts(dt.datetime.now(dt.timezone.utc))
    with engine.begin() as conn:
        r = conn.execute(update(monitor_outbox).where(and_(monitor_outbox.c.status == "dead"))
                         .values(status="pending", attempts=0, next_attempt_at=at))
        return int(r.rowcount or 0)
