"""Inserting many rows at once in the caller's transaction, the same rows on every database.

SQLAlchemy Core processes each row's parameters in Python, which at hundreds of thousands
of rows (a re-screening's alerts, their outbox events and audit entries) costs more than
SQLite's own insert; on SQLite the rows therefore go straight to the driver's
``executemany`` (values converted as SQLAlchemy would: dates as ISO text). Elsewhere
(PostgreSQL) they go through Core, which batches them (``insertmanyvalues``). New ids come
back in the rows' order: on SQLite allocated after the write lock is held (the next ids,
exactly those SQLite would give), elsewhere by ``INSERT .. RETURNING`` in parameter order,
else read back by a unique column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Date, Table, func, insert, select
from sqlalchemy.engine import Connection

#: rows per driver call (bounds the parameter lists held at once)
BATCH = 20_000


def fast(conn: Connection) -> bool:
    """Whether rows go straight to the driver (SQLite)."""
    return conn.dialect.name == "sqlite"


@contextmanager
def page_cache(conn: Connection, mb: int) -> Iterator[None]:
    """SQLite: a page cache of at least `mb` MB on this connection for the block's duration
    (a big write's index pages stay in memory); the setting is restored after. Elsewhere, or
    with `mb` 0, nothing changes. Durability is untouched: the cache holds pages until the
    transaction writes them, as before."""
    if not mb or conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())  # < 0: in KiB
    if -before >= mb * 1024:
        yield
        return
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(mb) * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")


def _dates_as_text(row: tuple, dates: list[int]) -> tuple:
    """The row with its date values at `dates` as ISO text (what SQLAlchemy's Date stores)."""
    out = None
    for j in dates:
        v = row[j]
        if isinstance(v, dt.date):
            if out is None:
                out = list(row)
            out[j] = v.isoformat()
    return row if out is None else tuple(out)


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple],
                driver: bool | None = None) -> None:
    """Insert rows (tuples in `columns` order); `driver` forces or forbids the SQLite fast path."""
    if not rows:
        return
    if driver is None:
        driver = fast(conn)
    if not driver:
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(table), [dict(zip(columns, r)) for r in rows[i:i + BATCH]])
        return
    if conn.dialect.name != "sqlite":
        raise ValueError(f"the driver fast path is for SQLite, not {conn.dialect.name}")
    q = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in columns)}) "
           f"VALUES ({', '.join('?' * len(columns))})")
    dates = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date)]
    for i in range(0, len(rows), BATCH):
        part = rows[i:i + BATCH]
        if dates:
            part = [_dates_as_text(r, dates) for r in part]
        conn.exec_driver_sql(sql, list(part))


def next_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """SQLite: the ids the next n rows of `table` get (max + 1 onwards, as SQLite assigns
    them). The caller must hold the write lock already (it has written in this transaction)."""
    top = conn.execute(select(func.max(table.c.id))).scalar()
    first = int(top or 0) + 1
    return list(range(first, first + n))


def insert_returning_ids(conn: Connection, table: Table, columns: Sequence[str],
                         rows: Sequence[tuple], key: str, driver: bool | None = None) -> list[int]:
    """Insert rows and return their new ids in the rows' order (`key`: a unique column, used
    to read ids back where the database cannot return them in order). On the SQLite fast path
    the caller must hold the write lock (see ``next_ids``)."""
    if not rows:
        return []
    if driver is None:
        driver = fast(conn)
    if driver:
        ids = next_ids(conn, table, len(rows))
        insert_rows(conn, table, ("id", *columns), [(i, *r) for i, r in zip(ids, rows)], True)
        return ids
    if conn.dialect.insert_executemany_returning_sort_by_parameter_order:
        out: list[int] = []
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for i in range(0, len(rows), BATCH):
            out += [int(x) for (x,) in conn.execute(
                stmt, [dict(zip(columns, r)) for r in rows[i:i + BATCH]])]
        return out
    insert_rows(conn, table, columns, rows, False)
    k = list(columns).index(key)
    keys = [r[k] for r in rows]
    got: dict = {}
    for i in range(0, len(keys), 500):
        got.update(conn.execute(select(table.c[key], table.c.id)
                                .where(table.c[key].in_(keys[i:i + 500]))).all())
    return [int(got[x]) for x in keys]
