"""Authorities' requests: intake, linking targets to customers, review by
the rule engine, four-eyes approval or refusal. Production is in
``production``.

Life of a request: received -> reviewed (or refused by the rules) ->
approved | refused -> produced | partly_produced | no_records. A change to
the request after its review sends it back to ``received``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from chaintrail.desk.address_cache import customer_addresses
from chaintrail.desk.cases import add_to_case, new_case
from chaintrail.desk.categories import INSTRUMENTS, REQUESTER_TYPES, VERIFICATION, parse_categories
from chaintrail.desk.errors import DeskError, DeskNotFound, PermissionDenied, RuleRefusal
from chaintrail.desk.facts import Emergency, RequestFacts, Target
from chaintrail.desk.linking import link_targets
from chaintrail.desk.request_rules import evaluate_request
from chaintrail.desk.rules import FLAG, HOLD, REFUSE, Verdict
from chaintrail.desk.schema import (
    cases,
    customers,
    decisions,
    request_links,
    request_targets,
    requests,
)
from chaintrail.desk.session import DeskSession

TARGET_KINDS = ("address", "txid", "customer")
UPDATABLE = ("agency", "country", "requester_type", "officer", "contact", "verification",
             "case_number", "legal_basis", "agreement", "deadline", "window_start", "window_end",
             "followup", "followup_due", "gag_order", "gag_until", "tipping_off", "max_hops",
             "emergency", "categories", "instrument")


def parse_window(text: str | None) -> tuple[dt.date | None, dt.date | None]:
    """'2021-01-01..2021-12-31' -> two dates (either side may be empty)."""
    if not text:
        return None, None
    if ".." not in text:
        raise ValueError(f"a window is START..END (e.g. 2021-01-01..2021-12-31), not {text!r}")
    a, b = text.split("..", 1)
    return (dt.date.fromisoformat(a) if a.strip() else None,
            dt.date.fromisoformat(b) if b.strip() else None)


def parse_target(text: str) -> Target:
    """An explicit 'kind:value' target, else a txid (64 hex), a customer reference, or an address."""
    t = text.strip()
    if ":" in t and t.split(":", 1)[0] in TARGET_KINDS:
        k, v = t.split(":", 1)
        return Target(k, v.strip())
    if len(t) == 64 and all(c in "0123456789abcdefABCDEF" for c in t):
        return Target("txid", t.lower())
    return Target("address", t)


def _check_fields(instrument: str, requester_type: str, verification: str, country: str) -> None:
    if instrument not in INSTRUMENTS:
        raise DeskError(f"unknown instrument {instrument!r} (known: {', '.join(INSTRUMENTS)})")
    if requester_type not in REQUESTER_TYPES:
        raise DeskError(f"unknown requester type {requester_type!r} ({', '.join(REQUESTER_TYPES)})")
    if verification not in VERIFICATION:
        raise DeskError(f"verification is one of {', '.join(VERIFICATION)}")
    if not country or len(country.strip()) != 2:
        raise DeskError("the requester's country is an ISO 3166 alpha-2 code (e.g. DE)")


def create(s: DeskSession, agency: str, country: str, instrument: str, categories, targets,
           window: tuple[dt.date | None, dt.date | None] | str | None = None,
           requester_type: str = "law_enforcement", officer: str | None = None,
           contact: str | None = None, verification: str = "unverified",
           case_number: str | None = None, legal_basis: str | None = None,
           agreement: str | None = None, deadline: dt.date | None = None,
           emergency: Emergency | dict | None = None, followup: str | None = None,
           followup_due: dt.date | None = None, gag_order: bool = False,
           gag_until: dt.date | None = None, tipping_off: bool = False, max_hops: int = 2,
           received_at: dt.datetime | None = None) -> dict:
    """Record an authority's request (intake); opens its case. Returns the request."""
    s.require("request.create")
    cats = parse_categories(categories)
    _check_fields(instrument, requester_type, verification, country)
    tg = [t if isinstance(t, Target) else parse_target(t) for t in (targets or [])]
    for t in tg:
        if t.kind not in TARGET_KINDS:
            raise DeskError(f"unknown target kind {t.kind!r}")
    ws, we = parse_window(window) if isinstance(window, str) or window is None else window
    if isinstance(emergency, dict):
        emergency = Emergency(**emergency)
    from chaintrail.desk.audit import timestamp

    at = s.desk.timestamp()
    received = timestamp(received_at) if received_at else at
    with s.tx() as conn:
        cid, ref = new_case(s, conn, "request", f"answer the request of {agency} ({country})"
                            + (f", case {case_number}" if case_number else ""))
        rid = conn.execute(insert(requests).values(
            case_id=cid, agency=agency, country=country.upper(), requester_type=requester_type,
            officer=officer, contact=contact, verification=verification, case_number=case_number,
            instrument=instrument, legal_basis=legal_basis, agreement=agreement,
            categories=",".join(cats), window_start=ws, window_end=we, deadline=deadline,
            emergency=json.dumps(asdict(emergency)) if emergency else None, followup=followup,
            followup_due=followup_due, gag_order=gag_order, gag_until=gag_until,
            tipping_off=tipping_off, max_hops=max_hops, status="received", received_at=received,
            created_by=s.user)).inserted_primary_key[0]
        if tg:
            conn.execute(insert(request_targets), [{"request_id": rid, "kind": t.kind, "value": t.value}
                                                   for t in tg])
        s.audit(conn, "request.create", case=ref, subject=f"request:{rid}", details={
            "request": rid, "country": country.upper(), "requester_type": requester_type,
            "instrument": instrument, "categories": list(cats), "targets": len(tg),
            "received_at": received})
    return show(s, rid)


def _row(conn: Connection, rid: int):
    row = conn.execute(select(requests, cases.c.ref.label("case_ref"))
                       .select_from(requests.join(cases, cases.c.id == requests.c.case_id))
                       .where(requests.c.id == rid)).first()
    if row is None:
        raise DeskNotFound(f"no request {rid}")
    return row


def _targets(conn: Connection, rid: int) -> list[tuple[int, str, str]]:
    return [(r.id, r.kind, r.value) for r in conn.execute(
        select(request_targets).where(request_targets.c.request_id == rid).order_by(request_targets.c.id))]


def facts(row, targets: list[tuple[int, str, str]], home_country: str | None) -> RequestFacts:
    """The rule engine's view of a stored request."""
    em = Emergency(**json.loads(row.emergency)) if row.emergency else None
    return RequestFacts(
        agency=row.agency, country=row.country, instrument=row.instrument,
        categories=tuple(c for c in row.categories.split(",") if c),
        targets=tuple(Target(k, v) for _, k, v in targets), requester_type=row.requester_type,
        legal_basis=row.legal_basis or "", verification=row.verification,
        window_start=row.window_start, window_end=row.window_end, agreement=row.agreement,
        emergency=em, followup=row.followup, followup_due=row.followup_due,
        received=dt.date.fromisoformat(row.received_at[:10]), home_country=home_country)


def _latest(conn: Connection, rid: int, kinds: tuple[str, ...]):
    return conn.execute(select(decisions).where(decisions.c.request_id == rid,
                                                decisions.c.kind.in_(kinds))
                        .order_by(decisions.c.id.desc()).limit(1)).first()


def show(s: DeskSession, rid: int) -> dict:
    """A request with its targets, decisions and link counts (no customer personal data)."""
    s.require("request.view")
    with s.tx() as conn:
        row = _row(conn, rid)
        tg = _targets(conn, rid)
        decs = [dict(r._mapping) for r in conn.execute(
            select(decisions.c.kind, decisions.c.outcome, decisions.c.actor, decisions.c.at,
                   decisions.c.reason).where(decisions.c.request_id == rid).order_by(decisions.c.id))]
        links = conn.execute(select(request_links.c.relation, request_links.c.hops,
                                    customers.c.ref).select_from(
            request_links.join(customers, customers.c.id == request_links.c.customer_id))
            .where(request_links.c.request_id == rid)).all()
    d = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row._mapping.items()}
    d["categories"] = [c for c in row.categories.split(",") if c]
    d["emergency"] = json.loads(row.emergency) if row.emergency else None
    d["targets"] = [{"kind": k, "value": v} for _, k, v in tg]
    d["decisions"] = decs
    d["linked_customers"] = sorted({r.ref for r in links})
    return d


def list_requests(s: DeskSession, status: str | None = None) -> list[dict]:
    """Requests, newest first: agency, country, instrument, status, deadline."""
    s.require("request.view")
    q = select(requests.c.id, requests.c.agency, requests.c.country, requests.c.instrument,
               requests.c.status, requests.c.received_at, requests.c.deadline,
               requests.c.case_number).order_by(requests.c.id.desc())
    if status:
        q = q.where(requests.c.status == status)
    with s.tx() as conn:
        return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r._mapping.items()}
                for r in conn.execute(q)]


def update_request(s: DeskSession, rid: int, reason: str, **fields) -> dict:
    """Change intake facts (verification status, window, follow-up...); a reviewed request goes
    back to received and must be reviewed again."""
    s.require("request.update")
    bad = [k for k in fields if k not in UPDATABLE]
    if bad:
        raise DeskError(f"cannot update {', '.join(bad)}")
    values = {k: v for k, v in fields.items() if v is not None}
    if "categories" in values:
        values["categories"] = ",".join(parse_categories(values["categories"]))
    if "emergency" in values and not isinstance(values["emergency"], str):
        em = values["emergency"]
        values["emergency"] = json.dumps(asdict(em) if isinstance(em, Emergency) else em)
    with s.tx() as conn:
        row = _row(conn, rid)
        if row.status not in ("received", "reviewed"):
            raise DeskError(f"request {rid} is {row.status}: it can no longer be changed")
        _check_fields(values.get("instrument", row.instrument),
                      values.get("requester_type", row.requester_type),
                      values.get("verification", row.verification), values.get("country", row.country))
        values["status"] = "received"
        conn.execute(update(requests).where(requests.c.id == rid).values(**values))
        s.audit(conn, "request.update", case=row.case_ref, subject=f"request:{rid}", reason=reason,
                details={"fields": sorted(k for k in values if k != "status")})
    return show(s, rid)


def link(s: DeskSession, rid: int, hub_limit: int | None = None, budget: int | None = None) -> dict:
    """Link the request's targets to customers through the chain; replaces earlier links."""
    s.require("request.link")
    with s.tx() as conn:
        row = _row(conn, rid)
        tg = _targets(conn, rid)
        chain = s.desk.chain
        cust = customer_addresses(conn, chain)
        kw = {}
        if hub_limit is not None:
            kw["hub_limit"] = hub_limit
        if budget is not None:
            kw["budget"] = budget
        res = link_targets(chain, [(k, v) for _, k, v in tg if k != "customer"], cust,
                           row.max_hops, (row.window_start, row.window_end), **kw)
        chain_targets = [t for t in tg if t[1] != "customer"]
        rows_out = []
        for lk in res.links:
            k = lk.index
            rows_out.append({"request_id": rid, "target_id": chain_targets[lk.target][0],
                             "customer_id": int(cust.customer[k]), "address": lk.address,
                             "address_kind": "withdrawal" if cust.kind[k] else "deposit",
                             "relation": lk.relation, "hops": lk.hops,
                             "path": json.dumps(lk.path)})
        named = [(tid, v) for tid, k, v in tg if k == "customer"]
        if named:
            ids = dict(conn.execute(select(customers.c.ref, customers.c.id)
                                    .where(customers.c.ref.in_([v for _, v in named]))).all())
            for tid, v in named:
                if v in ids:
                    rows_out.append({"request_id": rid, "target_id": tid, "customer_id": ids[v],
                                     "address": None, "address_kind": None, "relation": "named",
                                     "hops": 0, "path": "[]"})
        conn.execute(delete(request_links).where(request_links.c.request_id == rid))
        for k in range(0, len(rows_out), 20_000):
            conn.execute(insert(request_links), rows_out[k:k + 20_000])
        linked = sorted({r["customer_id"] for r in rows_out})
        add_to_case(conn, row.case_id, linked)
        summary = {**res.summary(), "customers": len(linked), "link_rows": len(rows_out),
                   "named_missing": len(named) - sum(1 for r in rows_out if r["relation"] == "named")}
        s.audit(conn, "request.link", case=row.case_ref, subject=f"request:{rid}", details=summary)
    return summary


def links(s: DeskSession, rid: int, limit: int = 1000, evidence: bool = False) -> list[dict]:
    """The links of a request: target, customer reference, relation, hops and evidence path;
    with evidence, also the value traced between target and customer (``evidence``)."""
    s.require("request.view")
    with s.tx() as conn:
        row = _row(conn, rid)
        q = (select(request_targets.c.kind, request_targets.c.value, customers.c.ref,
                    request_links.c.address, request_links.c.address_kind, request_links.c.relation,
                    request_links.c.hops, request_links.c.path)
             .select_from(request_links.join(request_targets,
                                             request_targets.c.id == request_links.c.target_id)
                          .join(customers, customers.c.id == request_links.c.customer_id))
             .where(request_links.c.request_id == rid).order_by(request_links.c.id).limit(limit))
        out = [{"target": f"{r.kind}:{r.value}", "customer": r.ref, "address": r.address,
                "address_kind": r.address_kind, "relation": r.relation, "hops": r.hops,
                "path": json.loads(r.path or "[]")} for r in conn.execute(q)]
        s.audit(conn, "request.links.view", case=row.case_ref, subject=f"request:{rid}",
                details={"rows": len(out), "evidence": evidence})
    chain = s.desk.chain
    if evidence and chain is not None:
        from chaintrail.desk.evidence import EvidenceCache

        ev = EvidenceCache(chain)
        for x in out:
            if x["address"] is not None and x["target"].split(":", 1)[0] in ("address", "txid"):
                x["evidence"] = ev.evidence(x["target"].split(":", 1)[1], x["relation"], x["hops"],
                                            x["address"])
    return out


def _linked_refs(conn: Connection, rid: int) -> list[str]:
    """References of the customers linked to a request, sorted."""
    ids = [r[0] for r in conn.execute(select(request_links.c.customer_id).distinct()
                                      .where(request_links.c.request_id == rid))]
    refs: list[str] = []
    for k in range(0, len(ids), 10_000):
        refs += [r[0] for r in conn.execute(select(customers.c.ref)
                                            .where(customers.c.id.in_(ids[k:k + 10_000])))]
    return sorted(refs)


def review(s: DeskSession, rid: int, note: str | None = None, relink: bool = True) -> dict:
    """Link the targets and evaluate every rule; the verdict explained. A refusal by the rules
    closes the request as refused."""
    s.require("request.review")
    with s.tx() as conn:
        row = _row(conn, rid)
    if row.status not in ("received", "reviewed"):
        raise DeskError(f"request {rid} is {row.status}: nothing to review")
    link_summary = link(s, rid) if relink else None
    home = s.desk.setting("home_country")
    with s.tx() as conn:
        row = _row(conn, rid)
        verdict = evaluate_request(facts(row, _targets(conn, rid), home), s.desk.today())
        refs = _linked_refs(conn, rid)
        scope = {**verdict.scope, "customers": refs if verdict.outcome != REFUSE else []}
        verdict = Verdict(verdict.outcome, verdict.findings, verdict.evaluated_on, scope)
        at = s.desk.timestamp()
        conn.execute(insert(decisions).values(request_id=rid, kind="review", outcome=verdict.outcome,
                                              actor=s.user, at=at, reason=note,
                                              verdict=json.dumps(verdict.to_dict())))
        status = "refused" if verdict.outcome == REFUSE else "reviewed"
        conn.execute(update(requests).where(requests.c.id == rid).values(
            status=status, closed_at=at if status == "refused" else None))
        s.audit(conn, "request.review", case=row.case_ref, subject=f"request:{rid}", reason=note,
                details={"outcome": verdict.outcome, "customers": len(refs),
                         "findings": [[f.rule, f.version, f.outcome] for f in verdict.findings]})
        if status == "refused":
            s.audit(conn, "request.refuse", case=row.case_ref, subject=f"request:{rid}",
                    reason="refused by the rules", details={"by": "rules", **_report_facts(row)})
    return {"request": rid, "status": status, "verdict": verdict.to_dict(),
            "explanation": verdict.explain(), "link": link_summary}


def _report_facts(row) -> dict:
    """The request facts the transparency report counts (no personal data)."""
    return {"country": row.country, "requester_type": row.requester_type,
            "instrument": row.instrument, "received_at": row.received_at}


def approve(s: DeskSession, rid: int, reason: str, exclude: list[str] | None = None) -> dict:
    """Four-eyes approval of the reviewed scope (minus excluded customers). The approver cannot be
    the reviewer; held findings block; flagged findings need the stated reason."""
    s.require("request.approve")
    if not reason or not reason.strip():
        raise DeskError("an approval states its reason (--reason)")
    home = s.desk.setting("home_country")
    with s.tx() as conn:
        row = _row(conn, rid)
        if row.status != "reviewed":
            raise DeskError(f"request {rid} is {row.status}: only a reviewed request can be approved")
        rev = _latest(conn, rid, ("review",))
        if rev.actor == s.user:
            raise PermissionDenied(f"four-eyes: {s.user} reviewed request {rid} and cannot also "
                                   "approve it")
        reviewed = Verdict.from_dict(json.loads(rev.verdict))
        now = evaluate_request(facts(row, _targets(conn, rid), home), s.desk.today())
        if now.outcome in (REFUSE, HOLD):
            lines = "; ".join(now.explain()[:5])
            raise RuleRefusal(f"request {rid} cannot be approved: {lines}")
        if reviewed.outcome == HOLD:
            raise RuleRefusal(f"request {rid} was held at review: update it and review again")
        refs = [c for c in reviewed.scope.get("customers", []) if c not in set(exclude or [])]
        scope = {**reviewed.scope, "customers": refs, "excluded": sorted(set(exclude or []))}
        approved = Verdict(now.outcome, now.findings, now.evaluated_on, scope)
        flags = [f.rule for f in approved.findings if f.outcome == FLAG]
        at = s.desk.timestamp()
        conn.execute(insert(decisions).values(request_id=rid, kind="approve", outcome="approved",
                                              actor=s.user, at=at, reason=reason,
                                              verdict=json.dumps(approved.to_dict())))
        conn.execute(update(requests).where(requests.c.id == rid).values(status="approved"))
        s.audit(conn, "request.approve", case=row.case_ref, subject=f"request:{rid}", reason=reason,
                details={"reviewer": rev.actor, "customers": len(refs),
                         "categories": scope.get("categories", []), "flags_acknowledged": flags,
                         "excluded": len(scope["excluded"])})
    return {"request": rid, "status": "approved", "scope": scope, "flags_acknowledged": flags}


def refuse(s: DeskSession, rid: int, reason: str) -> dict:
    """Refuse a request, with the reason recorded."""
    s.require("request.refuse")
    if not reason or not reason.strip():
        raise DeskError("a refusal states its reason (--reason)")
    with s.tx() as conn:
        row = _row(conn, rid)
        if row.status in ("refused", "produced", "partly_produced", "no_records"):
            raise DeskError(f"request {rid} is {row.status} already")
        at = s.desk.timestamp()
        conn.execute(insert(decisions).values(request_id=rid, kind="refuse", outcome="refused",
                                              actor=s.user, at=at, reason=reason))
        conn.execute(update(requests).where(requests.c.id == rid).values(status="refused", closed_at=at))
        s.audit(conn, "request.refuse", case=row.case_ref, subject=f"request:{rid}", reason=reason,
                details={"by": s.user, **_report_facts(row)})
    return {"request": rid, "status": "refused"}
