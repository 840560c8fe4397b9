"""Producing an approved request: a package holding only the approved data
(JSON, CSV and a human-readable HTML summary, each with its SHA-256 in the
manifest), the notification decisions, and the request's outcome
(produced, partly produced, or no records)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
from pathlib import Path

from sqlalchemy import insert, select, update

from chaintrail.desk.categories import CATEGORIES, HELD
from chaintrail.desk.chainlink import address_ids, deposits_in_window, time_bounds
from chaintrail.desk.customers import customer_accounts, identity
from chaintrail.desk.errors import DeskError, RuleRefusal
from chaintrail.desk.notify import decide
from chaintrail.desk.package_html import summary_html
from chaintrail.desk.request_rules import evaluate_request
from chaintrail.desk.requests import _latest, _report_facts, _row, _targets, facts
from chaintrail.desk.rules import HOLD, REFUSE, Verdict
from chaintrail.desk.schema import (
    customers,
    notifications,
    productions,
    request_links,
    request_targets,
    requests,
)
from chaintrail.desk.session import DeskSession


def _csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def _write(out: Path, name: str, text: str) -> str:
    data = text.encode()
    (out / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def produce(s: DeskSession, rid: int, out_dir: str | os.PathLike) -> dict:
    """Write the approved data of a request to out_dir; record outcome and notifications."""
    s.require("request.produce")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise DeskError(f"{out}: exists and is not empty; choose a new directory for the package")
    home = s.desk.setting("home_country")
    today = s.desk.today()
    with s.tx() as conn:
        row = _row(conn, rid)
        if row.status != "approved":
            raise DeskError(f"request {rid} is {row.status}: only an approved request is produced")
        appr = _latest(conn, rid, ("approve",))
        rev = _latest(conn, rid, ("review",))
        approved = Verdict.from_dict(json.loads(appr.verdict))
        now = evaluate_request(facts(row, _targets(conn, rid), home), today)
        if now.outcome in (REFUSE, HOLD):
            raise RuleRefusal(f"request {rid} can no longer be produced: " + "; ".join(now.explain()[:5]))
        scope = approved.scope
        cats = [c for c in scope.get("categories", [])]
        refs = list(scope.get("customers", []))
        ws = dt.date.fromisoformat(scope["window"][0]) if scope["window"][0] else None
        we = dt.date.fromisoformat(scope["window"][1]) if scope["window"][1] else None
        crow = {r.ref: r for r in conn.execute(select(customers).where(customers.c.ref.in_(refs)))} \
            if refs else {}
        link_rows = conn.execute(
            select(customers.c.ref, request_targets.c.kind, request_targets.c.value,
                   request_links.c.relation, request_links.c.hops, request_links.c.address,
                   request_links.c.path)
            .select_from(request_links.join(customers, customers.c.id == request_links.c.customer_id)
                         .join(request_targets, request_targets.c.id == request_links.c.target_id))
            .where(request_links.c.request_id == rid)).all()
        accs = {ref: customer_accounts(conn, crow[ref].id) for ref in refs if ref in crow}
    by_ref: dict[str, list] = {}
    for r in link_rows:
        by_ref.setdefault(r.ref, []).append(r)
    chain = s.desk.chain
    ev = None
    if chain is not None and "transactions" in cats:
        from chaintrail.desk.evidence import EvidenceCache

        ev = EvidenceCache(chain)
    t_lo, t_hi = time_bounds(ws, we)
    people, acc_rows, tx_rows, id_rows = [], [], [], []
    n_accounts = 0
    for ref in refs:
        if ref not in crow:
            continue
        c = crow[ref]
        entry: dict = {"customer_id": ref, "why": [
            {"target": f"{r.kind}:{r.value}", "relation": r.relation, "hops": r.hops,
             **({"address": r.address, "path": json.loads(r.path or "[]")}
                if "transactions" in cats else {}),
             **({"traced": ev.evidence(r.value, r.relation, r.hops, r.address)}
                if ev is not None and r.address and r.kind in ("address", "txid") else {})}
            for r in by_ref.get(ref, [])]}
        n_accounts += len(accs[ref])
        if "identity" in cats:
            entry["identity"] = identity(c)
            id_rows.append(entry["identity"])
        if "accounts" in cats:
            entry["accounts"] = [{"account": a["ref"], "exchange": a["exchange"],
                                  "opened": a["opened"].isoformat() if a["opened"] else None,
                                  "status": a["status"]} for a in accs[ref]]
            acc_rows += [{"customer_id": ref, **x} for x in entry["accounts"]]
        if "transactions" in cats:
            addrs = [(a["ref"], ad["address"], ad["kind"]) for a in accs[ref] for ad in a["addresses"]]
            entry["addresses"] = [{"account": a, "address": x, "kind": k} for a, x, k in addrs]
            transfers = []
            if chain is not None and addrs:
                dep = [x for _, x, k in addrs if k == "deposit"]
                ids = address_ids(chain, dep)
                text = dict(zip(ids.tolist(), dep))
                for d in deposits_in_window(chain, ids, t_lo, t_hi):
                    transfers.append({"kind": "deposit", "address": text[d.pop("address_id")], **d})
            entry["transfers"] = transfers
            tx_rows += [{"customer_id": ref, **t} for t in transfers]
        people.append(entry)
    asked = [c for c in row.categories.split(",") if c]
    produced_cats = [c for c in cats if c in HELD]
    not_held = [c for c in cats if c not in HELD]
    not_given = [c for c in asked if c not in produced_cats]
    outcome = ("no_records" if not people else
               "partly_produced" if not_given or scope.get("excluded") else "produced")
    note = decide(bool(row.gag_order), row.gag_until, bool(row.tipping_off), today)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "customers.csv": _write(out, "customers.csv", _csv(id_rows, [
            "customer_id", "name", "customer_type", "gender", "date_of_birth", "nationality",
            "residence", "residence_permits", "street", "city", "postcode", "country", "exchange"])),
        "accounts.csv": _write(out, "accounts.csv", _csv(acc_rows, [
            "customer_id", "account", "exchange", "opened", "status"])),
        "transactions.csv": _write(out, "transactions.csv", _csv(tx_rows, [
            "customer_id", "kind", "address", "txid", "vout", "value", "height", "time"])),
    }
    at = s.desk.timestamp()
    manifest = {
        "request": {"id": rid, "agency": row.agency, "country": row.country,
                    "requester_type": row.requester_type, "officer": row.officer,
                    "case_number": row.case_number, "instrument": row.instrument,
                    "legal_basis": row.legal_basis, "received_at": row.received_at,
                    "categories_asked": asked,
                    "window": [ws.isoformat() if ws else None, we.isoformat() if we else None]},
        "produced_at": at, "outcome": outcome,
        "categories_produced": produced_cats,
        "categories_not_held": {c: CATEGORIES[c] for c in not_held},
        "categories_not_given": not_given,
        "review": {"by": rev.actor, "at": rev.at}, "approval": {"by": appr.actor, "at": appr.at,
                                                                 "reason": appr.reason},
        "rules": [f.to_dict() for f in now.findings],
        "customers": people,
    }
    files["package.json"] = _write(out, "package.json", json.dumps(manifest, indent=1, default=str))
    html = summary_html(manifest, files)
    files["summary.html"] = _write(out, "summary.html", html)
    index = {"files": files, "request": rid, "produced_at": at}
    manifest_sha = _write(out, "MANIFEST.json", json.dumps(index, indent=1, sort_keys=True))
    with s.tx() as conn:
        row = _row(conn, rid)
        if row.status != "approved":
            raise DeskError(f"request {rid} changed while its package was written ({row.status})")
        conn.execute(insert(productions).values(
            request_id=rid, actor=s.user, at=at, outcome=outcome, path=str(out.resolve()),
            manifest_sha256=manifest_sha, customers=len(people), accounts=n_accounts,
            categories=",".join(produced_cats)))
        if people:
            conn.execute(insert(notifications), [
                {"request_id": rid, "customer_id": crow[p["customer_id"]].id, "decision": note.decision,
                 "reason": note.reason, "not_before": note.not_before} for p in people])
        conn.execute(update(requests).where(requests.c.id == rid).values(status=outcome, closed_at=at))
        s.audit(conn, "request.produce", case=row.case_ref, subject=f"request:{rid}",
                details={"outcome": outcome, "customers": len(people), "accounts": n_accounts,
                         "categories": produced_cats, "not_given": not_given,
                         "manifest_sha256": manifest_sha, "notification": note.decision,
                         **_report_facts(row)})
        if people:
            s.audit(conn, "request.notify", case=row.case_ref, subject=f"request:{rid}",
                    reason=note.reason, details={"decision": note.decision, "customers": len(people),
                                                 "not_before": note.not_before})
    return {"request": rid, "outcome": outcome, "customers": len(people), "accounts": n_accounts,
            "categories": produced_cats, "not_given": not_given, "out": str(out),
            "files": files, "manifest_sha256": manifest_sha,
            "notification": {"decision": note.decision, "reason": note.reason,
                             "not_before": note.not_before.isoformat() if note.not_before else None}}


