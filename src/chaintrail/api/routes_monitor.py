"""REST endpoints of continuous monitoring under /api/v1/monitor: alerts
(list, one with its evidence, decide), the monitor's status, and the
activity report by jurisdiction. As the desk's endpoints: send
``X-Desk-User`` and ``X-Desk-Token``; roles are checked by
``chaintrail.monitor.alerts`` (alerts name customers: analyst, reviewer,
approver; decisions: reviewer, approver; the activity report's aggregates
also the auditor)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from chaintrail.api.routes_desk import DeskRoute, S, _responses

router = APIRouter(prefix="/api/v1/monitor", route_class=DeskRoute,
                   responses=_responses(400, 401, 403, 404, 422, 503))
AlertId = Path(..., ge=1, le=2**31 - 1, description="Alert number.")


class DecisionIn(BaseModel):
    status: str = Field(..., pattern="^(escalated|closed|open)$")
    reason: str = Field(..., min_length=1, max_length=4000)


@router.get("/alerts", summary="Alerts, newest first")
def alerts(s=S, status: str | None = Query(None, max_length=16),
           rule: str | None = Query(None, max_length=64),
           customer: str | None = Query(None, max_length=64),
           limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
           evidence: bool = False) -> dict:
    from chaintrail.monitor.alerts import count_alerts, list_alerts

    return {"counts": count_alerts(s),
            "alerts": list_alerts(s, status, rule, customer, limit, offset, evidence)}


@router.get("/alerts/{alert_id}", summary="One alert with its evidence")
def alert(alert_id: int = AlertId, s=S) -> dict:
    from chaintrail.monitor.alerts import get_alert

    return get_alert(s, alert_id)


@router.post("/alerts/{alert_id}/decision", summary="Escalate or close an alert")
def decide(body: DecisionIn, alert_id: int = AlertId, s=S) -> dict:
    from chaintrail.monitor.alerts import decide_alert

    return decide_alert(s, alert_id, body.status, body.reason)


@router.get("/status", summary="Blocks screened, alerts per status, outbox")
def status(s=S) -> dict:
    from sqlalchemy import func, select

    from chaintrail.desk.schema import monitor_blocks
    from chaintrail.monitor.alerts import count_alerts
    from chaintrail.monitor.delivery import outbox_counts

    counts = count_alerts(s)
    with s.tx() as conn:
        blocks = {k: int(v) for k, v in conn.execute(
            select(monitor_blocks.c.status, func.count()).group_by(monitor_blocks.c.status))}
        last = conn.execute(select(func.max(monitor_blocks.c.height))
                            .where(monitor_blocks.c.status == "screened")).scalar()
    return {"blocks": blocks, "last_screened_height": last, "alerts": counts,
            "outbox": outbox_counts(s.desk.engine)}


@router.get("/activity", summary="Customer activity by jurisdiction (aggregates)")
def activity(s=S, period: str = Query(..., max_length=32),
             by: str = Query("country", max_length=16),
             interval: str = Query("month", max_length=8),
             split: dt.date | None = None) -> dict:
    from chaintrail.monitor.activity import activity_report
    from chaintrail.monitor.screen import load_book
    from chaintrail.monitor.watch import watch_of

    s.require("report.activity")
    chain = s.desk.chain
    if chain is None:
        raise ValueError("the store holds no blocks")
    rep = activity_report(chain, load_book(s.desk.engine, chain), watch_of(chain), period, by,
                          interval, split)
    with s.tx() as conn:
        s.audit(conn, "report.activity", details={"period": period, "by": by,
                                                  "split": split.isoformat() if split else None})
    return rep
