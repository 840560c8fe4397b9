"""Customer records: import from CSV or from the simulator's truth tables,
list them by reference, and show one customer (purpose-bound) with the
on-chain facts of their addresses, their cluster and their exposure.

CSV columns (a header row names them; only ``customer_id`` and ``name`` are
required): customer_id, name, customer_type (person|business), gender,
date_of_birth (YYYY-MM-DD), nationality (ISO codes, ';'-separated for
several), residence, residence_permits (';'-separated), street, city,
postcode, country, exchange, holdings_eur, account, deposit_addresses,
withdrawal_addresses (';'-separated). An addresses CSV has customer_id,
address, kind (deposit|withdrawal) and optionally account, first_height."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from chaintrail.desk.cases import bind
from chaintrail.desk.errors import DeskError, DeskNotFound
from chaintrail.desk.schema import account_addresses, accounts, customers
from chaintrail.desk.session import DeskSession

FIELDS = ("name", "exchange", "customer_type", "gender", "date_of_birth", "nationality",
          "residence", "residence_permits", "street", "city", "postcode", "country", "holdings_eur")
BATCH = 20_000


def _codes(text) -> str | None:
    if text is None:
        return None
    if isinstance(text, (list, tuple)):
        items = list(text)
    else:
        items = str(text).replace("|", ";").replace(",", ";").split(";")
    items = [i.strip().upper() for i in items if i and i.strip()]
    return ",".join(items) or None


def _date(text) -> dt.date | None:
    if text is None or text == "":
        return None
    if isinstance(text, dt.date):
        return text
    return dt.date.fromisoformat(str(text).strip()[:10])


def _float(text) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    return float(text)


def _record(row: dict, source: str, at: str) -> dict:
    ref = (row.get("customer_id") or row.get("ref") or "").strip()
    name = (row.get("name") or "").strip()
    if not ref or not name:
        raise DeskError(f"{source}: every customer needs customer_id and name (row {row})")
    ctype = (row.get("customer_type") or "person").strip().lower()
    if ctype not in ("person", "business"):
        raise DeskError(f"{source}: customer {ref}: customer_type must be person or business")
    return {"ref": ref, "name": name, "exchange": (row.get("exchange") or None),
            "customer_type": ctype, "gender": row.get("gender") or None,
            "date_of_birth": _date(row.get("date_of_birth")),
            "nationality": _codes(row.get("nationality")),
            "residence": (_codes(row.get("residence")) or None),
            "residence_permits": _codes(row.get("residence_permits")),
            "street": row.get("street") or None, "city": row.get("city") or None,
            "postcode": row.get("postcode") or None,
            "country": _codes(row.get("country")) or _codes(row.get("residence")),
            "holdings_eur": _float(row.get("holdings_eur")), "status": "active", "source": source,
            "created_at": at}


def _split_addresses(text) -> list[str]:
    if not text:
        return []
    return [a for a in str(text).replace(",", ";").replace(" ", ";").split(";") if a]


def upsert(s: DeskSession, conn: Connection, records: list[dict],
           addresses: list[tuple[str, str, str, str | None, int | None]]) -> dict:
    """Insert or update customers, one account each (unless named), and their addresses.

    addresses: (customer ref, address, kind, account ref or None, first_height)."""
    existing = dict(conn.execute(select(customers.c.ref, customers.c.id)).all())
    new = [r for r in records if r["ref"] not in existing]
    old = [r for r in records if r["ref"] in existing]
    for k in range(0, len(new), BATCH):
        conn.execute(insert(customers), new[k:k + BATCH])
    if old:
        stmt = update(customers).where(customers.c.ref == bindparam("b_ref")).values(
            {f: bindparam(f) for f in FIELDS})
        conn.execute(stmt, [{**{f: r[f] for f in FIELDS}, "b_ref": r["ref"]} for r in old])
    ids = dict(conn.execute(select(customers.c.ref, customers.c.id)).all()) if new else existing
    # accounts: the ones named in addresses, else "<ref>:1"
    acc_existing = dict(conn.execute(select(accounts.c.ref, accounts.c.id)).all())
    wanted: dict[str, tuple[int, str | None]] = {}
    for r in records:
        wanted.setdefault(f"{r['ref']}:1", (ids[r["ref"]], r.get("exchange")))
    for ref, _, _, acc, _ in addresses:
        if ref not in ids:
            raise DeskError(f"address given for unknown customer {ref}")
        wanted.setdefault(acc or f"{ref}:1", (ids[ref], None))
    new_acc = [{"customer_id": cid, "ref": aref, "exchange": exch, "status": "active"}
               for aref, (cid, exch) in wanted.items() if aref not in acc_existing]
    for k in range(0, len(new_acc), BATCH):
        conn.execute(insert(accounts), new_acc[k:k + BATCH])
    acc_ids = dict(conn.execute(select(accounts.c.ref, accounts.c.id)).all()) if new_acc else acc_existing
    have = set()
    if addresses and (old or acc_existing):
        have = {(a, addr, kind) for a, addr, kind in conn.execute(
            select(account_addresses.c.account_id, account_addresses.c.address,
                   account_addresses.c.kind))}
    rows = []
    for ref, addr, kind, acc, first in addresses:
        if kind not in ("deposit", "withdrawal"):
            raise DeskError(f"address {addr} of {ref}: kind must be deposit or withdrawal")
        aid = acc_ids[acc or f"{ref}:1"]
        key = (aid, addr, kind)
        if key in have:
            continue
        have.add(key)
        rows.append({"account_id": aid, "address": addr, "kind": kind, "first_height": first})
    for k in range(0, len(rows), BATCH):
        conn.execute(insert(account_addresses), rows[k:k + BATCH])
    return {"customers_new": len(new), "customers_updated": len(old), "accounts_new": len(new_acc),
            "addresses_new": len(rows)}


def import_csv(s: DeskSession, path: str | os.PathLike,
               addresses_csv: str | os.PathLike | None = None) -> dict:
    """Import customers (and their addresses) from CSV files."""
    s.require("customers.import")
    p = Path(path)
    if not p.exists():
        raise DeskError(f"{p}: no such file")
    at = s.desk.timestamp()
    records, addrs = [], []
    with p.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            r = _record(row, p.name, at)
            records.append(r)
            acc = (row.get("account") or "").strip() or None
            for a in _split_addresses(row.get("deposit_addresses")):
                addrs.append((r["ref"], a, "deposit", acc, None))
            for a in _split_addresses(row.get("withdrawal_addresses")):
                addrs.append((r["ref"], a, "withdrawal", acc, None))
    if addresses_csv:
        q = Path(addresses_csv)
        with q.open(newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                first = row.get("first_height")
                addrs.append((row["customer_id"].strip(), row["address"].strip(),
                              (row.get("kind") or "deposit").strip().lower(),
                              (row.get("account") or "").strip() or None,
                              int(first) if first not in (None, "") else None))
    with s.tx() as conn:
        rep = upsert(s, conn, records, addrs)
        s.audit(conn, "customers.import", details={"source": p.name, **rep})
    return {"source": str(p), **rep}


def import_truth(s: DeskSession, truth_dir: str | os.PathLike, exchange: str | None = None,
                 chain=None, btc_eur: float | None = None, limit: int | None = None) -> dict:
    """Import the simulator's KYC tables (customers, deposit addresses; with a chain also the
    withdrawal addresses and, given a BTC/EUR rate, each customer's holdings)."""
    from chaintrail.desk.truth_import import read_truth

    s.require("customers.import")
    chain = chain if chain is not None else s.desk.chain
    at = s.desk.timestamp()
    records, addrs, info = read_truth(Path(truth_dir), at, exchange, chain, btc_eur, limit)
    with s.tx() as conn:
        rep = upsert(s, conn, records, addrs)
        s.audit(conn, "customers.import", details={"source": "simulator truth", **info, **rep})
    return {"source": str(truth_dir), **info, **rep}


def list_customers(s: DeskSession, status: str | None = None, exchange: str | None = None,
                   limit: int = 100, offset: int = 0) -> dict:
    """Customer references, exchange, type and status (no personal data), with the total."""
    s.require("customers.list")
    q = select(customers.c.ref, customers.c.exchange, customers.c.customer_type, customers.c.status)
    cq = select(func.count()).select_from(customers)
    if status:
        q, cq = q.where(customers.c.status == status), cq.where(customers.c.status == status)
    if exchange:
        q, cq = q.where(customers.c.exchange == exchange), cq.where(customers.c.exchange == exchange)
    with s.tx() as conn:
        total = conn.execute(cq).scalar()
        rows = [dict(r._mapping) for r in conn.execute(q.order_by(customers.c.ref)
                                                       .limit(limit).offset(offset))]
    return {"total": total, "customers": rows}


def customer_row(conn: Connection, ref: str):
    row = conn.execute(select(customers).where(customers.c.ref == ref)).first()
    if row is None:
        raise DeskNotFound(f"no customer {ref}")
    return row


def customer_accounts(conn: Connection, customer_id: int) -> list[dict]:
    """Accounts of a customer with their addresses."""
    accs = [dict(r._mapping) for r in conn.execute(select(accounts).where(
        accounts.c.customer_id == customer_id).order_by(accounts.c.id))]
    for a in accs:
        a["addresses"] = [dict(r._mapping) for r in conn.execute(
            select(account_addresses.c.address, account_addresses.c.kind,
                   account_addresses.c.first_height).where(account_addresses.c.account_id == a["id"])
            .order_by(account_addresses.c.id))]
    return accs


def identity(row) -> dict:
    """The identity fields of a customer row."""
    return {"customer_id": row.ref, "name": row.name, "customer_type": row.customer_type,
            "gender": row.gender,
            "date_of_birth": row.date_of_birth.isoformat() if row.date_of_birth else None,
            "nationality": row.nationality, "residence": row.residence,
            "residence_permits": row.residence_permits, "street": row.street, "city": row.city,
            "postcode": row.postcode, "country": row.country, "exchange": row.exchange}


def view_customer(s: DeskSession, ref: str, case: str | None, why: str | None,
                  on_chain: bool = True) -> dict:
    """One customer's record, accounts and addresses (with on-chain facts), under an open case."""
    from chaintrail.desk.chainlink import address_facts

    with s.tx() as conn:
        row = customer_row(conn, ref)
        bind(s, conn, case, row.id, why)
        accs = customer_accounts(conn, row.id)
        s.audit(conn, "customer.view", case=case, subject=f"customer:{ref}", reason=why)
    out = {**identity(row), "status": row.status, "holdings_eur": row.holdings_eur, "accounts": accs}
    chain = s.desk.chain if on_chain else None
    if chain is not None:
        for a in accs:
            for ad in a["addresses"]:
                ad["chain"] = address_facts(chain, ad["address"])
    return out


def customer_exposure(s: DeskSession, ref: str, case: str | None, why: str | None,
                      max_hops: int = 3, policy: str = "haircut") -> list[dict]:
    """Exposure (trace room) of each of a customer's addresses found in the store, under a case."""
    from chaintrail.trace.api import exposure

    with s.tx() as conn:
        row = customer_row(conn, ref)
        bind(s, conn, case, row.id, why)
        addrs = [ad["address"] for a in customer_accounts(conn, row.id) for ad in a["addresses"]]
        s.audit(conn, "customer.exposure", case=case, subject=f"customer:{ref}", reason=why,
                details={"addresses": len(addrs), "max_hops": max_hops, "policy": policy})
    chain = s.desk.chain
    if chain is None:
        raise DeskError("exposure needs the store the customers are linked to (--store)")
    out = []
    for addr in addrs:
        try:
            rep = exposure(chain, addr, "both", max_hops=max_hops, policy=policy)
        except Exception as exc:  # noqa: BLE001 - an address never seen on chain
            out.append({"address": addr, "error": str(exc)})
            continue
        out.append({"address": addr, **rep.to_dict()})
    return out
