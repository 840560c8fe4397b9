"""Targeted freezes: only a listed person (a confirmed screening match) or a
court order justifies one; a blanket freeze by nationality or residence is
refused by the rule engine, and the refusal is logged. OFAC's reporting
deadline (10 business days) is tracked per freeze."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from chaintrail.desk.cases import add_to_case, new_case
from chaintrail.desk.customer_rules import evaluate_freeze, ofac_report_due
from chaintrail.desk.errors import DeskError, DeskNotFound, RuleRefusal
from chaintrail.desk.facts import FreezeOrder
from chaintrail.desk.rules import ALLOW
from chaintrail.desk.schema import accounts, customers, freezes, screening_hits
from chaintrail.desk.session import DeskSession


def _customer(conn, ref: str):
    row = conn.execute(select(customers.c.id, customers.c.status).where(customers.c.ref == ref)).first()
    if row is None:
        raise DeskNotFound(f"no customer {ref}")
    return row


def freeze(s: DeskSession, ref: str, basis: str, basis_kind: str = "listed_person",
           list_entry: str | None = None, list_name: str | None = None,
           court_order: str | None = None) -> dict:
    """Freeze one customer's accounts on a listed-person match or a court order."""
    s.require("freeze.apply")
    if not basis or not basis.strip():
        raise DeskError("a freeze states its basis (--basis)")
    today = s.desk.today()
    with s.tx() as conn:
        c = _customer(conn, ref)
        confirmed = False
        if basis_kind == "listed_person":
            q = select(screening_hits.c.list_name, screening_hits.c.entry).where(
                screening_hits.c.customer_id == c.id, screening_hits.c.status == "confirmed")
            if list_entry:
                q = q.where(screening_hits.c.entry == list_entry)
            hit = conn.execute(q.order_by(screening_hits.c.id.desc())).first()
            if hit is not None:
                confirmed, list_entry, list_name = True, hit.entry, list_name or hit.list_name
        order = FreezeOrder((ref,), basis_kind, basis, list_name, list_entry, confirmed, court_order)
        verdict = evaluate_freeze(order, today)
        if verdict.outcome != ALLOW:
            s.audit(conn, "freeze.refused", subject=f"customer:{ref}", reason=basis,
                    details={"outcome": verdict.outcome, "basis_kind": basis_kind})
    if verdict.outcome != ALLOW:
        raise RuleRefusal("freeze refused: " + " ".join(verdict.explain()))
    due = ofac_report_due(today) if (list_name or "").startswith("ofac") else None
    with s.tx() as conn:
        cid, case = new_case(s, conn, "freeze", f"freeze of {ref}: {basis}")
        add_to_case(conn, cid, [c.id])
        fid = conn.execute(freezes.insert().values(
            customer_id=c.id, case_id=cid, basis_kind=basis_kind, basis=basis, list_name=list_name,
            list_entry=list_entry, court_order=court_order, frozen_at=s.desk.timestamp(),
            frozen_by=s.user, report_due=due, status="active")).inserted_primary_key[0]
        conn.execute(update(customers).where(customers.c.id == c.id).values(status="frozen"))
        conn.execute(update(accounts).where(accounts.c.customer_id == c.id).values(status="frozen"))
        s.audit(conn, "freeze.apply", case=case, subject=f"customer:{ref}", reason=basis,
                details={"freeze": fid, "basis_kind": basis_kind, "list": list_name,
                         "entry": list_entry, "court_order": court_order,
                         "report_due": due.isoformat() if due else None})
    return {"freeze": fid, "customer": ref, "case": case, "report_due": due.isoformat() if due else None,
            "explanation": verdict.explain()}


def freeze_blanket(s: DeskSession, selector: dict, basis: str) -> dict:
    """A freeze of everyone matching a selector (e.g. nationality RU): always refused, and logged."""
    s.require("freeze.apply")
    verdict = evaluate_freeze(FreezeOrder(basis=basis, selector=selector), s.desk.today())
    with s.tx() as conn:
        s.audit(conn, "freeze.refused", reason=basis, details={
            "outcome": verdict.outcome, "selector": selector, "rule": "targeted-freeze"})
    raise RuleRefusal("freeze refused: " + " ".join(verdict.explain()))


def unfreeze(s: DeskSession, ref: str, basis: str) -> dict:
    """Release a customer's active freeze, stating the basis (licence, delisting, court order)."""
    s.require("freeze.release")
    if not basis or not basis.strip():
        raise DeskError("a release states its basis (--basis), e.g. an OFAC licence or a delisting")
    with s.tx() as conn:
        c = _customer(conn, ref)
        f = conn.execute(select(freezes.c.id, freezes.c.case_id).where(
            freezes.c.customer_id == c.id, freezes.c.status == "active")).first()
        if f is None:
            raise DeskError(f"{ref} has no active freeze")
        from chaintrail.desk.schema import cases

        case = conn.execute(select(cases.c.ref).where(cases.c.id == f.case_id)).scalar()
        conn.execute(update(freezes).where(freezes.c.id == f.id).values(
            status="released", released_at=s.desk.timestamp(), released_by=s.user,
            release_basis=basis))
        conn.execute(update(customers).where(customers.c.id == c.id).values(status="active"))
        conn.execute(update(accounts).where(accounts.c.customer_id == c.id).values(status="active"))
        s.audit(conn, "freeze.release", case=case, subject=f"customer:{ref}", reason=basis,
                details={"freeze": f.id})
    return {"freeze": f.id, "customer": ref, "status": "released"}


def mark_reported(s: DeskSession, freeze_id: int, note: str) -> dict:
    """Record that a freeze was reported to the authority (OFAC's blocked property report)."""
    s.require("freeze.report")
    with s.tx() as conn:
        f = conn.execute(select(freezes.c.id, freezes.c.report_due, customers.c.ref).select_from(
            freezes.join(customers, customers.c.id == freezes.c.customer_id))
            .where(freezes.c.id == freeze_id)).first()
        if f is None:
            raise DeskNotFound(f"no freeze {freeze_id}")
        at = s.desk.timestamp()
        conn.execute(update(freezes).where(freezes.c.id == freeze_id).values(reported_at=at))
        late = f.report_due is not None and s.desk.today() > f.report_due
        s.audit(conn, "freeze.report", subject=f"customer:{f.ref}", reason=note,
                details={"freeze": freeze_id, "due": f.report_due.isoformat() if f.report_due else None,
                         "late": late})
    return {"freeze": freeze_id, "reported_at": at, "late": late}


def list_freezes(s: DeskSession, active_only: bool = False, on: dt.date | None = None) -> list[dict]:
    """Freezes with their basis and reporting deadline (overdue ones marked)."""
    s.require("freeze.report")
    on = on or s.desk.today()
    q = select(freezes.c.id, customers.c.ref.label("customer"), freezes.c.basis_kind, freezes.c.basis,
               freezes.c.list_name, freezes.c.list_entry, freezes.c.frozen_at, freezes.c.frozen_by,
               freezes.c.report_due, freezes.c.reported_at, freezes.c.status).select_from(
        freezes.join(customers, customers.c.id == freezes.c.customer_id)).order_by(freezes.c.id)
    if active_only:
        q = q.where(freezes.c.status == "active")
    with s.tx() as conn:
        out = []
        for r in conn.execute(q):
            d = dict(r._mapping)
            d["overdue"] = bool(d["report_due"] and not d["reported_at"] and on > d["report_due"])
            d["report_due"] = d["report_due"].isoformat() if d["report_due"] else None
            out.append(d)
    return out
