"""The transparency report: requests by country, requester type, instrument
and outcome (produced, partly produced, no records, refused, pending),
accounts affected, median response time, freezes and offboardings, for a
period. Every figure is computed twice, from the desk's tables and from the
audit log alone, and the report says whether they agree; it carries the
audit log's head so readers can anchor later verifications."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from sqlalchemy import select

from chaintrail.desk import audit as audit_mod
from chaintrail.desk.schema import freezes, offboardings, productions, requests
from chaintrail.desk.session import DeskSession

OUTCOMES = ("produced", "partly_produced", "no_records", "refused", "pending")
CLOSED = {"produced", "partly_produced", "no_records", "refused"}


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """'2025', '2025-H1', '2025-Q3', '2025-03' or 'START..END' as inclusive dates."""
    t = text.strip()
    if ".." in t:
        a, b = t.split("..", 1)
        return dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    if len(t) == 4 and t.isdigit():
        return dt.date(int(t), 1, 1), dt.date(int(t), 12, 31)
    y = int(t[:4])
    rest = t[5:].upper()
    if rest in ("H1", "H2"):
        return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if rest == "H1" else (dt.date(y, 7, 1),
                                                                           dt.date(y, 12, 31))
    if rest.startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
        q = int(rest[1:])
        start = dt.date(y, 3 * q - 2, 1)
        end = dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    if rest.isdigit():
        m = int(rest)
        return dt.date(y, m, 1), dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    raise ValueError(f"a period is YYYY, YYYY-H1, YYYY-Q1, YYYY-MM or START..END, not {text!r}")


def _in(ts: str | None, start: dt.date, end: dt.date) -> bool:
    return ts is not None and start.isoformat() <= ts[:10] <= end.isoformat()


def _days(a: str, b: str) -> float:
    fa = dt.datetime.fromisoformat(a.rstrip("Z"))
    fb = dt.datetime.fromisoformat(b.rstrip("Z"))
    return (fb - fa).total_seconds() / 86400


def _figures(reqs: list[dict], freeze_at: list[str], release_at: list[str], off_at: list[str],
             refused_freezes: int, start: dt.date, end: dt.date) -> dict:
    """The report's figures from per-request facts and dated measures."""
    rs = [r for r in reqs if _in(r["received_at"], start, end)]
    outcome = Counter(r["outcome"] for r in rs)
    times = [_days(r["received_at"], r["closed_at"]) for r in rs if r["outcome"] in CLOSED]
    by_country: dict[str, Counter] = {}
    for r in rs:
        by_country.setdefault(r["country"], Counter())[r["outcome"]] += 1
    return {
        "requests": len(rs),
        "by_country": dict(sorted(Counter(r["country"] for r in rs).items(), key=lambda x: (-x[1], x[0]))),
        "by_requester_type": dict(sorted(Counter(r["requester_type"] for r in rs).items())),
        "by_instrument": dict(sorted(Counter(r["instrument"] for r in rs).items())),
        "by_outcome": {o: outcome.get(o, 0) for o in OUTCOMES},
        "by_country_outcome": {c: {o: n for o, n in v.items()} for c, v in sorted(by_country.items())},
        "accounts_affected": sum(r["accounts"] for r in rs),
        "customers_affected": sum(r["customers"] for r in rs),
        "median_response_days": round(statistics.median(times), 2) if times else None,
        "freezes": sum(1 for t in freeze_at if _in(t, start, end)),
        "freezes_released": sum(1 for t in release_at if _in(t, start, end)),
        "blanket_freezes_refused": refused_freezes,
        "offboardings": sum(1 for t in off_at if _in(t, start, end)),
    }


def from_tables(conn, start: dt.date, end: dt.date) -> dict:
    """The figures from the desk's tables."""
    prod = {r.request_id: r for r in conn.execute(select(productions))}
    reqs = []
    for r in conn.execute(select(requests)):
        out = r.status if r.status in CLOSED else "pending"
        p = prod.get(r.id)
        reqs.append({"country": r.country, "requester_type": r.requester_type,
                     "instrument": r.instrument, "received_at": r.received_at, "outcome": out,
                     "closed_at": r.closed_at, "accounts": p.accounts if p else 0,
                     "customers": p.customers if p else 0})
    fz = conn.execute(select(freezes.c.frozen_at, freezes.c.released_at)).all()
    off = [r[0] for r in conn.execute(select(offboardings.c.decided_at))]
    refused = _refused_blanket(conn, start, end)
    return _figures(reqs, [f[0] for f in fz], [f[1] for f in fz if f[1]], off, refused, start, end)


def _refused_blanket(conn, start: dt.date, end: dt.date) -> int:
    n = 0
    for e in audit_mod.iter_entries(conn, ("freeze.refused",)):
        if e.details.get("selector") and _in(e.at, start, end):
            n += 1
    return n


def from_audit(conn, start: dt.date, end: dt.date) -> dict:
    """The same figures from the audit log alone."""
    reqs: dict[int, dict] = {}
    fz, rel, off = [], [], []
    acts = ("request.create", "request.produce", "request.refuse", "freeze.apply", "freeze.release",
            "offboard.apply")
    for e in audit_mod.iter_entries(conn, acts):
        d = e.details
        if e.action == "request.create":
            reqs[d["request"]] = {"country": d["country"], "requester_type": d["requester_type"],
                                  "instrument": d["instrument"], "received_at": d["received_at"],
                                  "outcome": "pending", "closed_at": None, "accounts": 0,
                                  "customers": 0}
        elif e.action in ("request.produce", "request.refuse"):
            r = reqs.get(int(e.subject.split(":")[1]))
            if r is None:
                continue
            r["outcome"] = d["outcome"] if e.action == "request.produce" else "refused"
            r["closed_at"] = e.at
            r["accounts"] = d.get("accounts", 0)
            r["customers"] = d.get("customers", 0)
        elif e.action == "freeze.apply":
            fz.append(e.at)
        elif e.action == "freeze.release":
            rel.append(e.at)
        elif e.action == "offboard.apply":
            off.append(e.at)
    return _figures(list(reqs.values()), fz, rel, off, _refused_blanket(conn, start, end), start, end)


def transparency_report(s: DeskSession, period: str) -> dict:
    """The transparency report of a period, with its check against the audit log."""
    s.require("report.transparency")
    start, end = parse_period(period)
    with s.tx() as conn:
        tables = from_tables(conn, start, end)
        log = from_audit(conn, start, end)
        ver = audit_mod.verify(conn)
        s.audit(conn, "report.transparency", details={"period": period, "requests": tables["requests"]})
    diffs = sorted(k for k in tables if tables[k] != log.get(k))
    return {"period": period, "start": start.isoformat(), "end": end.isoformat(), **tables,
            "check": {"figures_match_audit_log": not diffs, "differences": diffs,
                      "audit_log_intact": ver.ok, "audit_entries": ver.entries,
                      "audit_head": {"seq": ver.head_seq, "hash": ver.head_hash}},
            "generated_by": s.user, "generated_at": s.desk.timestamp()}
