"""Offboarding under EU Reg. 833/2014 Art. 5b: the rule in force on the date
must find the customer restricted (a Russian national, resident or entity,
not exempt, above the threshold where one applied); the accounts then go
withdrawal-only so the assets can be returned, and nothing is frozen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from chaintrail.desk.cases import add_to_case, new_case
from chaintrail.desk.customer_rules import evaluate_customer
from chaintrail.desk.errors import DeskNotFound, RuleRefusal
from chaintrail.desk.rules import OFFBOARD
from chaintrail.desk.schema import accounts, customers, offboardings
from chaintrail.desk.screening import customer_facts
from chaintrail.desk.session import DeskSession


def offboard(s: DeskSession, ref: str, on: dt.date | None = None) -> dict:
    """Offboard a customer whom the Art. 5b version in force on the date restricts."""
    s.require("offboard.apply")
    on = on or s.desk.today()
    with s.tx() as conn:
        row = conn.execute(select(customers).where(customers.c.ref == ref)).first()
        if row is None:
            raise DeskNotFound(f"no customer {ref}")
        verdict = evaluate_customer(customer_facts(row), on)
        f = verdict.findings[0]
        if verdict.outcome != OFFBOARD:
            s.audit(conn, "offboard.refused", subject=f"customer:{ref}",
                    details={"rule": f.rule, "version": f.version, "outcome": f.outcome})
    if verdict.outcome != OFFBOARD:
        raise RuleRefusal(f"offboarding {ref} refused: {f.explanation} [{f.rule} {f.version}]")
    with s.tx() as conn:
        cid, case = new_case(s, conn, "investigation", f"offboarding of {ref} under {f.rule}")
        add_to_case(conn, cid, [row.id])
        oid = conn.execute(insert(offboardings).values(
            customer_id=row.id, case_id=cid, rule=f.rule, version=f.version, explanation=f.explanation,
            decided_at=s.desk.timestamp(), decided_by=s.user)).inserted_primary_key[0]
        conn.execute(update(customers).where(customers.c.id == row.id).values(status="offboarded"))
        conn.execute(update(accounts).where(accounts.c.customer_id == row.id)
                     .values(status="withdrawal_only"))
        s.audit(conn, "offboard.apply", case=case, subject=f"customer:{ref}", reason=f.explanation,
                details={"offboarding": oid, "rule": f.rule, "version": f.version, "on": on.isoformat()})
    return {"offboarding": oid, "customer": ref, "case": case, "rule": f.rule, "version": f.version,
            "explanation": f.explanation}
