"""The monitoring pages under /desk/monitor: alerts (by status), one alert
with its evidence and the decision form, and the activity report by
jurisdiction. Signed in as a desk user (the desk's sign-in), with the same
roles as the CLI and the REST API: alerts name customers (analyst, reviewer,
approver), decisions need a reviewer or approver."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from chaintrail.web.desk_pages import _form, _guard, _one, _page

router = APIRouter(prefix="/desk/monitor", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def alerts_page(request: Request, status: str | None = Query(None, max_length=16),
                offset: int = Query(0, ge=0)):
    from chaintrail.monitor.alerts import count_alerts, list_alerts

    def page(s):
        rows = list_alerts(s, status or None, limit=100, offset=offset)
        return _page(request, "alerts.html", s, title="Alerts", rows=rows, counts=count_alerts(s),
                     shown=status, offset=offset)

    return _guard(request, page)


@router.get("/activity", response_class=HTMLResponse)
def activity_page(request: Request, period: str | None = Query(None, max_length=32),
                  by: str = Query("country", max_length=16), split: str | None = Query(None, max_length=10),
                  interval: str = Query("month", max_length=8)):
    from chaintrail.monitor.activity import activity_report
    from chaintrail.monitor.activity_html import activity_html
    from chaintrail.monitor.screen import load_book
    from chaintrail.monitor.watch import watch_of

    def page(s):
        s.require("report.activity")
        chain = s.desk.chain
        if chain is None:
            raise ValueError("the store holds no blocks")
        p = period or str(dt.datetime.now(dt.timezone.utc).year)
        rep = activity_report(chain, load_book(s.desk.engine, chain), watch_of(chain), p, by,
                              interval, dt.date.fromisoformat(split) if split else None)
        with s.tx() as conn:
            s.audit(conn, "report.activity", details={"period": p, "by": by, "split": split})
        return HTMLResponse(activity_html(rep))

    return _guard(request, page)


@router.get("/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: int):
    import json

    from chaintrail.monitor.alerts import get_alert

    def page(s):
        a = get_alert(s, alert_id)
        return _page(request, "alert.html", s, title=f"Alert {alert_id}", a=a,
                     evidence=json.dumps(a["evidence"], indent=2, sort_keys=True))

    return _guard(request, page)


@router.post("/{alert_id}/decide")
async def decide(request: Request, alert_id: int):
    from chaintrail.monitor.alerts import decide_alert

    form = await _form(request)

    def act(s):
        decide_alert(s, alert_id, _one(form, "status") or "", _one(form, "reason") or "")
        return RedirectResponse(f"/desk/monitor/{alert_id}", status_code=303)

    return _guard(request, act)
