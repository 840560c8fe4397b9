"""The customers' addresses as arrays for linking, cached: reading millions
of address rows and hashing them to the store's address ids takes seconds,
so the arrays (row ids, customer ids, kinds, address ids) are kept in
memory per process and in a .npz file beside the desk's SQLite database (or
under $CHAINTRAIL_CACHE for PostgreSQL), keyed by the address table's size
and last id and by the store's address count. Rows are only ever added, so
a changed key means a reload."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from chaintrail.desk.linking import CustomerAddresses
from chaintrail.desk.schema import account_addresses, accounts

_MEMORY: dict[tuple, CustomerAddresses] = {}


def _key(conn: Connection, chain) -> tuple:
    n, last = conn.execute(select(func.count(), func.max(account_addresses.c.id))).one()
    url = conn.engine.url.render_as_string(hide_password=True)
    store = (str(chain.path), int(chain._index().counts["addresses"])) if chain is not None else None
    return url, int(n), int(last or 0), store


def _cache_file(conn: Connection, key: tuple) -> Path | None:
    url = conn.engine.url
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        base = Path(url.database).resolve().parent / "desk-cache"
    else:
        base = Path(os.environ.get("CHAINTRAIL_CACHE") or Path.home() / ".cache" / "chaintrail") / "desk"
    return base / f"addresses-{digest}.npz"


def _read_rows(conn: Connection):
    """(row ids, addresses, customer ids, kinds) straight from the DB-API cursor (no row objects)."""
    stmt = select(account_addresses.c.id, account_addresses.c.address, accounts.c.customer_id,
                  account_addresses.c.kind).select_from(
        account_addresses.join(accounts, accounts.c.id == account_addresses.c.account_id)) \
        .order_by(account_addresses.c.id)
    rows = conn.exec_driver_sql(str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))) \
        .fetchall()
    n = len(rows)
    row = np.fromiter((r[0] for r in rows), np.int64, n)
    cust = np.fromiter((r[2] for r in rows), np.int64, n)
    kind = np.fromiter((r[3] == "withdrawal" for r in rows), np.int8, n)
    return row, [r[1] for r in rows], cust, kind


def customer_addresses(conn: Connection, chain=None) -> CustomerAddresses:
    """Every customer address as arrays; with a store, their address ids (cached)."""
    key = _key(conn, chain)
    if key in _MEMORY:
        return _MEMORY[key]
    path = _cache_file(conn, key) if chain is not None else None
    if path is not None and path.exists():
        try:
            z = np.load(path)
            got = CustomerAddresses(None, z["row"], z["customer"], z["kind"], z["ids"])
            _MEMORY[key] = got
            return got
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: rebuild it
    row, addr, cust, kind = _read_rows(conn)
    got = CustomerAddresses(addr, row, cust, kind)
    if chain is not None:
        from chaintrail.desk.chainlink import address_ids

        got.ids = address_ids(chain, addr)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, row=row, customer=cust, kind=kind, ids=got.ids)
                os.replace(tmp, path)
            except OSError:
                pass  # a read-only place: the memory cache still helps
        got = CustomerAddresses(None, row, cust, kind, got.ids)
    _MEMORY.clear()
    _MEMORY[key] = got
    return got
