"""Screening the desk's customers: names against the sanctions lists that
the attribution room imported (OFAC SDN names and aliases, through its
``NameIndex``), and the jurisdiction rules of ``customer_rules`` (EU Reg.
833/2014 Art. 5b) on a date. Results are stored per run; the customers they
flag enter the run's case (SCR-n) so reviewers can open their records."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Protocol

from sqlalchemy import insert, select, update

from chaintrail.desk.cases import add_to_case, new_case
from chaintrail.desk.customer_rules import evaluate_customer
from chaintrail.desk.errors import DeskError, DeskNotFound
from chaintrail.desk.facts import CustomerFacts
from chaintrail.desk.jurisdictions import codes
from chaintrail.desk.rules import NOT_APPLICABLE
from chaintrail.desk.schema import cases, customers, rule_findings, screening_hits, screening_runs
from chaintrail.desk.session import DeskSession

DEFAULT_THRESHOLD = 0.90
LISTS = ("ofac", "eu")


class NameList(Protocol):
    """What the desk needs of a sanctions name list (the attribution room's NameIndex fits)."""

    def search_many(self, names: list[str], threshold: float, country: str | None,
                    limit: int) -> list[list]: ...


def load_lists(s: DeskSession, names: tuple[str, ...], sdn_file: str | None = None
               ) -> tuple[dict[str, NameList], list[str]]:
    """The requested name lists from the store's attribution room; warnings for missing ones."""
    from chaintrail.attribution.name_screening import NameIndex
    from chaintrail.attribution.sanctions import SanctionsError
    from chaintrail.attribution.service import sdn_entries

    out: dict[str, NameList] = {}
    warnings: list[str] = []
    for n in names:
        if n == "ofac":
            try:
                out["ofac-sdn"] = NameIndex(sdn_entries(s.desk.store, sdn_file))
            except (SanctionsError, FileNotFoundError, OSError) as exc:
                warnings.append(f"ofac: {exc}")
        elif n == "eu":
            warnings.append("eu: the attribution room imports no EU consolidated list yet, so EU "
                            "name screening was skipped; the EU jurisdiction rules (Art. 5b) ran")
        else:
            raise DeskError(f"unknown list {n!r} (lists: {', '.join(LISTS)})")
    return out, warnings


def customer_facts(row) -> CustomerFacts:
    """The rules' view of a customer row."""
    return CustomerFacts(ref=row.ref, customer_type=row.customer_type,
                         nationalities=codes(row.nationality), residence=row.residence,
                         residence_permits=codes(row.residence_permits), country=row.country,
                         holdings_eur=row.holdings_eur)


def screen_customers(s: DeskSession, lists: tuple[str, ...] = ("ofac", "eu"),
                     on: dt.date | None = None, threshold: float = DEFAULT_THRESHOLD,
                     sdn_file: str | None = None, refs: list[str] | None = None,
                     name_lists: dict[str, NameList] | None = None, limit: int = 5) -> dict:
    """Screen customers (all active ones, or refs) by name and by the jurisdiction rules on a date."""
    s.require("screen.run")
    t0 = time.perf_counter()
    on = on or s.desk.today()
    warnings: list[str] = []
    if name_lists is None:
        name_lists, warnings = load_lists(s, tuple(lists), sdn_file)
    q = select(customers.c.id, customers.c.ref, customers.c.name, customers.c.customer_type,
               customers.c.nationality, customers.c.residence, customers.c.residence_permits,
               customers.c.country, customers.c.holdings_eur).where(customers.c.status != "offboarded")
    if refs:
        q = q.where(customers.c.ref.in_(refs))
    with s.tx() as conn:
        rows = conn.execute(q.order_by(customers.c.id)).all()
    # names: identical (name, country) pairs are screened once
    groups: dict[str | None, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for k, r in enumerate(rows):
        c = codes(r.nationality)
        groups[c[0] if c else None][r.name].append(k)
    hits = []
    for list_name, index in name_lists.items():
        for country, by_name in groups.items():
            names = list(by_name)
            for name, matches in zip(names, index.search_many(names, threshold, country, limit)):
                for m in matches:
                    for k in by_name[name]:
                        hits.append({"customer_id": rows[k].id, "list_name": list_name,
                                     "entry": m.ent_num, "entry_name": m.name,
                                     "matched_name": m.matched_name, "score": round(m.score, 4),
                                     "status": "open"})
    findings = []
    for r in rows:
        v = evaluate_customer(customer_facts(r), on)
        for f in v.findings:
            if f.outcome != NOT_APPLICABLE:
                findings.append({"customer_id": r.id, "rule": f.rule, "version": f.version,
                                 "outcome": f.outcome, "explanation": f.explanation})
    restricted = {f["customer_id"] for f in findings if f["outcome"] in ("offboard", "hold")}
    seconds = time.perf_counter() - t0
    with s.tx() as conn:
        cid, ref = new_case(s, conn, "screening", f"sanctions screening of {len(rows):,} customers "
                            f"on {on} ({', '.join(lists)})")
        run = conn.execute(insert(screening_runs).values(
            case_id=cid, actor=s.user, at=s.desk.timestamp(), rules_on=on, lists=",".join(lists),
            threshold=threshold, customers=len(rows), name_hits=len(hits), restricted=len(restricted),
            seconds=seconds)).inserted_primary_key[0]
        for batch, table in ((hits, screening_hits), (findings, rule_findings)):
            for k in range(0, len(batch), 20_000):
                conn.execute(insert(table), [{**x, "run_id": run} for x in batch[k:k + 20_000]])
        flagged = sorted({h["customer_id"] for h in hits} | restricted)
        add_to_case(conn, cid, flagged)
        by_outcome: dict[str, int] = defaultdict(int)
        for f in findings:
            by_outcome[f["outcome"]] += 1
        s.audit(conn, "screen.run", case=ref, details={
            "run": run, "on": on.isoformat(), "lists": list(lists), "customers": len(rows),
            "name_hits": len(hits), "customers_hit": len({h["customer_id"] for h in hits}),
            "rule_findings": dict(by_outcome), "threshold": threshold})
    return {"run": run, "case": ref, "on": on.isoformat(), "customers": len(rows),
            "distinct_names": sum(len(g) for g in groups.values()), "name_hits": len(hits),
            "customers_hit": len({h["customer_id"] for h in hits}),
            "rule_findings": dict(by_outcome), "restricted": len(restricted),
            "seconds": round(seconds, 3), "warnings": warnings}


def run_results(s: DeskSession, run: int, limit: int = 200) -> dict:
    """A run's name hits and rule findings by customer reference (no names of customers)."""
    s.require("screen.run")
    with s.tx() as conn:
        r = conn.execute(select(screening_runs, cases.c.ref.label("case_ref")).select_from(
            screening_runs.join(cases, cases.c.id == screening_runs.c.case_id))
            .where(screening_runs.c.id == run)).first()
        if r is None:
            raise DeskNotFound(f"no screening run {run}")
        hits = [dict(x._mapping) for x in conn.execute(
            select(screening_hits.c.id, customers.c.ref.label("customer"), screening_hits.c.list_name,
                   screening_hits.c.entry, screening_hits.c.entry_name, screening_hits.c.score,
                   screening_hits.c.status)
            .select_from(screening_hits.join(customers, customers.c.id == screening_hits.c.customer_id))
            .where(screening_hits.c.run_id == run).order_by(screening_hits.c.score.desc()).limit(limit))]
        finds = [dict(x._mapping) for x in conn.execute(
            select(customers.c.ref.label("customer"), rule_findings.c.rule, rule_findings.c.version,
                   rule_findings.c.outcome, rule_findings.c.explanation)
            .select_from(rule_findings.join(customers, customers.c.id == rule_findings.c.customer_id))
            .where(rule_findings.c.run_id == run).order_by(rule_findings.c.id).limit(limit))]
    return {"run": run, "case": r.case_ref, "on": r.rules_on.isoformat(), "customers": r.customers,
            "name_hits": r.name_hits, "restricted": r.restricted, "hits": hits, "findings": finds}


def decide_hit(s: DeskSession, hit_id: int, confirm: bool, reason: str) -> dict:
    """Confirm a name hit (the customer is the listed person) or clear it (a false match)."""
    s.require("screen.decide")
    if not reason or not reason.strip():
        raise DeskError("say why (--reason)")
    with s.tx() as conn:
        h = conn.execute(select(screening_hits, customers.c.ref, cases.c.ref.label("case_ref"))
                         .select_from(screening_hits
                                      .join(customers, customers.c.id == screening_hits.c.customer_id)
                                      .join(screening_runs, screening_runs.c.id == screening_hits.c.run_id)
                                      .join(cases, cases.c.id == screening_runs.c.case_id))
                         .where(screening_hits.c.id == hit_id)).first()
        if h is None:
            raise DeskNotFound(f"no screening hit {hit_id}")
        status = "confirmed" if confirm else "cleared"
        conn.execute(update(screening_hits).where(screening_hits.c.id == hit_id).values(
            status=status, decided_by=s.user, decided_at=s.desk.timestamp(), reason=reason))
        s.audit(conn, f"screen.{'confirm' if confirm else 'clear'}", case=h.case_ref,
                subject=f"customer:{h.ref}", reason=reason,
                details={"hit": hit_id, "list": h.list_name, "entry": h.entry, "score": h.score})
    return {"hit": hit_id, "customer": h.ref, "status": status, "list": h.list_name, "entry": h.entry}
