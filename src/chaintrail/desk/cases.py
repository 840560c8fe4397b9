"""Cases and purpose binding: personal data is shown only inside an open
case that covers the customer, and every view is logged with the case and
the reason. A request opens its case (REQ-n); a screening run opens one for
the customers it flags (SCR-n); a freeze or an investigation opens its own
(FRZ-n, INV-n)."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from chaintrail.desk.errors import DeskError, DeskNotFound, PurposeError
from chaintrail.desk.schema import case_customers, cases, customers
from chaintrail.desk.session import DeskSession

PREFIX = {"request": "REQ", "screening": "SCR", "freeze": "FRZ", "investigation": "INV"}


def new_case(s: DeskSession, conn: Connection, kind: str, purpose: str) -> tuple[int, str]:
    """Open a case inside a transaction; (id, ref)."""
    if kind not in PREFIX:
        raise DeskError(f"unknown case kind {kind!r}")
    at = s.desk.timestamp()
    cid = conn.execute(insert(cases).values(ref=f"tmp-{uuid.uuid4().hex[:24]}", kind=kind, purpose=purpose,
                                            opened_by=s.user, opened_at=at)).inserted_primary_key[0]
    ref = f"{PREFIX[kind]}-{cid}"
    conn.execute(update(cases).where(cases.c.id == cid).values(ref=ref))
    s.audit(conn, "case.open", case=ref, reason=purpose, details={"kind": kind})
    return int(cid), ref


def add_to_case(conn: Connection, case_id: int, customer_ids: list[int]) -> int:
    """Bring customers into a case's scope (idempotent); how many were new."""
    have = {r[0] for r in conn.execute(select(case_customers.c.customer_id)
                                       .where(case_customers.c.case_id == case_id))}
    new = sorted(set(customer_ids) - have)
    if new:
        conn.execute(insert(case_customers), [{"case_id": case_id, "customer_id": c} for c in new])
    return len(new)


def open_case(s: DeskSession, purpose: str, customer_refs: list[str] | None = None,
              kind: str = "investigation") -> str:
    """Open an investigation case for some customers, stating its purpose; its reference."""
    s.require("case.open")
    if not purpose or not purpose.strip():
        raise DeskError("a case needs a stated purpose")
    with s.tx() as conn:
        cid, ref = new_case(s, conn, kind, purpose)
        ids = customer_ids(conn, customer_refs or [])
        add_to_case(conn, cid, ids)
        if ids:
            s.audit(conn, "case.scope", case=ref, details={"customers": customer_refs})
    return ref


def close_case(s: DeskSession, ref: str, reason: str) -> None:
    """Close a case: its customers' data can no longer be viewed under it."""
    s.require("case.close")
    with s.tx() as conn:
        case = get_case(conn, ref)
        if case.closed_at:
            raise DeskError(f"case {ref} is closed already")
        conn.execute(update(cases).where(cases.c.id == case.id)
                     .values(closed_at=s.desk.timestamp(), closed_by=s.user))
        s.audit(conn, "case.close", case=ref, reason=reason)


def get_case(conn: Connection, ref: str):
    row = conn.execute(select(cases).where(cases.c.ref == ref)).first()
    if row is None:
        raise DeskNotFound(f"no case {ref}")
    return row


def customer_ids(conn: Connection, refs: list[str]) -> list[int]:
    """Desk ids of customer references (DeskNotFound for an unknown one)."""
    if not refs:
        return []
    rows = dict(conn.execute(select(customers.c.ref, customers.c.id).where(customers.c.ref.in_(refs)))
                .all())
    missing = [r for r in refs if r not in rows]
    if missing:
        raise DeskNotFound(f"no customer {missing[0]}")
    return [rows[r] for r in refs]


def bind(s: DeskSession, conn: Connection, case_ref: str | None, customer_id: int,
         why: str | None) -> str:
    """Check purpose binding for viewing one customer's data; the case's ref."""
    s.require("customers.view")
    if not case_ref:
        raise PurposeError("viewing personal data needs an open case (--case REF) that covers the "
                           "customer")
    if not why or not why.strip():
        raise PurposeError("say why you view this customer's data (--why ...)")
    case = get_case(conn, case_ref)
    if case.closed_at:
        raise PurposeError(f"case {case_ref} was closed at {case.closed_at}: its data can no longer "
                           "be viewed")
    ok = conn.execute(select(case_customers.c.customer_id).where(
        case_customers.c.case_id == case.id, case_customers.c.customer_id == customer_id)).first()
    if ok is None:
        raise PurposeError(f"case {case_ref} does not cover this customer: open a case for them or "
                           "link them to the request first")
    return case_ref


def list_cases(s: DeskSession, open_only: bool = True) -> list[dict]:
    """Cases with their purpose and number of customers (no personal data)."""
    s.require("case.open")
    from sqlalchemy import func

    with s.tx() as conn:
        q = (select(cases.c.ref, cases.c.kind, cases.c.purpose, cases.c.opened_by, cases.c.opened_at,
                    cases.c.closed_at, func.count(case_customers.c.customer_id).label("customers"))
             .select_from(cases.outerjoin(case_customers, case_customers.c.case_id == cases.c.id))
             .group_by(cases.c.id).order_by(cases.c.id))
        if open_only:
            q = q.where(cases.c.closed_at.is_(None))
        return [dict(r._mapping) for r in conn.execute(q)]
