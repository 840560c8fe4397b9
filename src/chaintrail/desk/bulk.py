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
import itertools
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Date, Select, Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

#: rows per driver call (bounds the parameter lists held at once)
BATCH = 20_000
#: rows per INSERT statement on the SQLite fast path (a multi-row VALUES): fewer statement
#: executions, and SQLite inserts them all in one step without the GIL
ROWS_PER_STATEMENT = 64


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
    head = f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in columns)}) VALUES "
    one = f"({', '.join('?' * len(columns))})"
    per = max(1, min(ROWS_PER_STATEMENT, 30_000 // len(columns)))
    many = head + ", ".join([one] * per)
    dates = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date)]
    flat = itertools.chain.from_iterable
    for i in range(0, len(rows), BATCH):
        part = rows[i:i + BATCH]
        if dates and any(isinstance(r[j], dt.date) for r in part for j in dates):
            part = [_dates_as_text(r, dates) for r in part]
        full = len(part) // per * per
        if full:  # `per` rows a statement: one step of SQLite's (without the GIL) for them all
            conn.exec_driver_sql(many, [tuple(flat(part[j:j + per])) for j in range(0, full, per)])
        if full < len(part):
            conn.exec_driver_sql(head + one, list(part[full:]))


class Writer:
    """Inserts (``insert_rows``) run in order on one background thread, on the caller's
    connection and in its transaction, while the caller prepares the next rows: SQLite works
    with the GIL released, so a big write (a re-screening's alerts, events and audit entries)
    keeps both cores busy. The caller must not use the connection until the block ends; an
    error in an insert is raised at the next ``insert`` or at the end. Off the SQLite fast
    path (`driver` False) the inserts run inline."""

    def __init__(self, conn: Connection, driver: bool, depth: int = 2):
        self.conn, self.driver = conn, driver
        self._error: BaseException | None = None
        self._thread = None
        if driver:
            self._queue: queue.Queue = queue.Queue(maxsize=depth)  # bounds the rows in flight
            self._thread = threading.Thread(target=self._run, name="chaintrail-bulk-writer",
                                            daemon=True)
            self._thread.start()

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Insert these rows after those handed over before."""
        if self._error is not None:
            raise self._error
        if self._thread is None:
            insert_rows(self.conn, table, columns, rows, self.driver)
        elif rows:
            self._queue.put((table, columns, rows))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    insert_rows(self.conn, *item, True)
                except BaseException as exc:  # raised in the caller's thread
                    self._error = exc

    def close(self) -> None:
        """Wait for the inserts handed over; raise the first error."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
            return
        try:  # the caller failed: stop the thread before the transaction is rolled back
            self.close()
        except BaseException:
            pass


def rows_in(conn: Connection, stmt: Select, column: ColumnElement, values: Sequence,
            driver: bool | None = None, chunk: int = 500) -> Iterator[tuple]:
    """The rows of `stmt` (a SELECT) with `column` IN `values`, asked `chunk` values at a time.
    On the SQLite fast path the statement is compiled once and run through the driver:
    SQLAlchemy's handling of each value of an IN list (coercion, a bind name, processing)
    costs more than SQLite's lookups when a re-screening asks for 300k alert keys."""
    if not values:
        return
    if driver is None:
        driver = fast(conn)
    if not driver:
        for i in range(0, len(values), chunk):
            yield from conn.execute(stmt.where(column.in_(list(values[i:i + chunk]))))
        return
    name = "rows_in_values"
    compiled = stmt.where(column.in_(bindparam(name, expanding=True))).compile(dialect=conn.dialect)
    head, tail = str(compiled).split(f"__[POSTCOMPILE_{name}]")
    order = compiled.positiontup or []
    k = order.index(name)
    before = tuple(compiled.params[p] for p in order[:k])
    after = tuple(compiled.params[p] for p in order[k + 1:])
    for i in range(0, len(values), chunk):
        part = tuple(values[i:i + chunk])
        yield from conn.exec_driver_sql(head + ",".join("?" * len(part)) + tail,
                                        before + part + after)


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
