"""The audit log: append-only and hash-chained.

Every entry says who did what, when, in which case and why. Its hash is
SHA-256 over the previous entry's hash (32 bytes) followed by the entry's
canonical JSON: the object {action, actor, at, case, details, reason, seq,
subject} with sorted keys, no spaces and ASCII escapes, exactly as
``json.dumps(obj, sort_keys=True, separators=(",", ":"))`` writes it.
``audit_head`` holds the last sequence number and hash, updated in the same
transaction, so a deleted tail is detected too; publishing the head (the
transparency report does) lets outsiders anchor it.

Entries name customers by their reference, never by name or address: an
auditor reads the log without seeing personal data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from json.encoder import encode_basestring_ascii as _q

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from chaintrail.desk import bulk
from chaintrail.desk.schema import audit_head, audit_log

GENESIS = "0" * 64
_COLUMNS = (audit_log.c.seq, audit_log.c.at, audit_log.c.actor, audit_log.c.action,
            audit_log.c.case_ref, audit_log.c.subject, audit_log.c.reason, audit_log.c.details,
            audit_log.c.prev_hash, audit_log.c.hash)
_NAMES = tuple(c.name for c in _COLUMNS)
NAMES = _NAMES  # audit_log's columns in the order ``chained`` gives


def timestamp(t: dt.datetime) -> str:
    """A UTC time as the log writes it: 2025-03-01T10:00:00.000000Z."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_details(details: dict | None) -> str:
    """The canonical JSON of an entry's details."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str)


def _s(v: str | None) -> str:
    return "null" if v is None else _q(v)


def canonical_entry(seq: int, at: str, actor: str, action: str, case: str | None,
                    subject: str | None, reason: str | None, details_json: str) -> str:
    """The canonical JSON of an entry (details already canonical); what its hash covers."""
    return (f'{{"action":{_q(action)},"actor":{_q(actor)},"at":{_q(at)},"case":{_s(case)},'
            f'"details":{details_json},"reason":{_s(reason)},"seq":{int(seq)},'
            f'"subject":{_s(subject)}}}')


def entry_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 of the previous hash's bytes followed by the canonical entry."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical.encode()).hexdigest()


@dataclass
class Entry:
    """One audit entry as written."""

    seq: int
    at: str
    actor: str
    action: str
    case: str | None
    subject: str | None
    reason: str | None
    details: dict
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
                "case": self.case, "subject": self.subject, "reason": self.reason,
                "details": self.details, "prev_hash": self.prev_hash, "hash": self.hash}


def lock(conn: Connection) -> None:
    """Take the log's head: its row lock (PostgreSQL) or the database's write lock (SQLite),
    held to the end of the caller's transaction; serialises writers."""
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))


def append(conn: Connection, at: str, actor: str, action: str, case: str | None = None,
           subject: str | None = None, reason: str | None = None,
           details: dict | None = None) -> Entry:
    """Append one entry in the caller's transaction (the head row serialises writers)."""
    lock(conn)
    seq, prev = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                             .where(audit_head.c.id == 1)).one()
    seq = int(seq) + 1
    dj = canonical_details(details)
    h = entry_hash(prev, canonical_entry(seq, at, actor, action, case, subject, reason, dj))
    conn.execute(audit_log.insert().values(seq=seq, at=at, actor=actor, action=action, case_ref=case,
                                           subject=subject, reason=reason, details=dj,
                                           prev_hash=prev, hash=h))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=h))
    return Entry(seq, at, actor, action, case, subject, reason, json.loads(dj), prev, h)


def append_many(conn: Connection, rows: Iterable[tuple], batch: int = 20_000,
                driver: bool | None = None) -> tuple[int, str]:
    """Append many entries (at, actor, action, case, subject, reason, details) in one go (the
    chain hashed in one pass, the rows inserted in bulk: ``bulk.insert_rows``, `batch` at a
    time, so a generator of rows is never held whole); details are a dict or already their
    canonical JSON (``canonical_details``), as text."""
    seq, prev = head_for_update(conn)
    it = iter(rows)
    while part := list(islice(it, batch)):
        entries, seq, prev = chained(part, seq, prev)
        bulk.insert_rows(conn, audit_log, _NAMES, entries, driver)
    set_head(conn, seq, prev)
    return seq, prev


def head_for_update(conn: Connection) -> tuple[int, str]:
    """The log's head (last sequence number and hash), locked to the end of the transaction."""
    seq, prev = conn.execute(select(audit_head.c.seq, audit_head.c.hash)
                             .where(audit_head.c.id == 1).with_for_update()).one()
    return int(seq), prev


def chained(rows: list[tuple], seq: int, prev: str) -> tuple[list[tuple], int, str]:
    """Entries (at, actor, action, case, subject, reason, details) following the entry `seq`
    with hash `prev`, as ``audit_log`` rows (``_NAMES`` order), and the new last seq and hash;
    the caller inserts them in order and ends with ``set_head``."""
    sha = hashlib.sha256
    prev_raw = bytes.fromhex(prev)
    out: list[tuple] = []
    for at, actor, action, case, subject, reason, details in rows:
        seq += 1
        dj = details if type(details) is str else canonical_details(details)
        prev_raw = sha(prev_raw + canonical_entry(seq, at, actor, action, case, subject, reason,
                                                  dj).encode()).digest()
        h = prev_raw.hex()
        out.append((seq, at, actor, action, case, subject, reason, dj, prev, h))
        prev = h
    return out, seq, prev


def set_head(conn: Connection, seq: int, hash_: str) -> None:
    """Record the log's new head (in the transaction that appended up to it)."""
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=hash_))


@dataclass
class Problem:
    """One integrity failure found by verify."""

    seq: int
    kind: str  # gap | order | link | hash | head
    detail: str

    def to_dict(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "detail": self.detail}


@dataclass
class VerifyReport:
    """What ``verify`` found: entries checked, the head, and the problems (empty when intact)."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "head_seq": self.head_seq,
                "head_hash": self.head_hash, "problems": [p.to_dict() for p in self.problems[:100]],
                "n_problems": len(self.problems), "seconds": round(self.seconds, 3)}


def _rows(conn: Connection, chunk: int):
    """Stream (seq, at, actor, action, case, subject, reason, details, prev_hash, hash) by seq."""
    stmt = select(*_COLUMNS).order_by(audit_log.c.seq)
    if conn.dialect.name == "sqlite":
        cur = conn.connection.driver_connection.cursor()  # the plain DB-API cursor: no row objects
        cur.execute(str(stmt.compile(conn)))
        while True:
            rows = cur.fetchmany(chunk)
            if not rows:
                break
            yield rows
        cur.close()
        return
    if conn.dialect.name == "postgresql":
        # a named (server-side) cursor of the driver itself: tuples, no row objects, bounded memory
        cur = conn.connection.driver_connection.cursor(name="chaintrail_audit_verify")
        cur.itersize = chunk
        cur.execute(str(stmt.compile(conn)))
        while True:
            rows = cur.fetchmany(chunk)
            if not rows:
                break
            yield rows
        cur.close()
        return
    # per-statement options: Connection.execution_options() would change the connection itself
    # and run every later statement (the audit append's UPDATE) through a server-side cursor
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk})
    for part in result.partitions(chunk):
        yield part


def verify(conn: Connection, max_problems: int = 1000, chunk: int = 50_000,
           anchor: tuple[int, str] | None = None) -> VerifyReport:
    """Re-hash every entry in order and check each link, the sequence and the head."""
    import time

    t0 = time.perf_counter()
    rep = VerifyReport()
    prev_hash, expect_seq = GENESIS, 1
    sha = hashlib.sha256
    fromhex = bytes.fromhex
    problems = rep.problems
    n = 0
    for rows in _rows(conn, chunk):
        for seq, at, actor, action, case, subject, reason, details, prev, h in rows:
            n += 1
            if seq != expect_seq:
                problems.append(Problem(seq, "gap" if seq > expect_seq else "order",
                                        f"entry {seq} found where {expect_seq} was expected"))
            if prev != prev_hash:
                problems.append(Problem(seq, "link", "its prev_hash is not the hash of the entry "
                                        "before it (an entry was deleted, inserted or reordered)"))
            canon = (f'{{"action":{_q(action)},"actor":{_q(actor)},"at":{_q(at)},'
                     f'"case":{"null" if case is None else _q(case)},"details":{details},'
                     f'"reason":{"null" if reason is None else _q(reason)},"seq":{seq},'
                     f'"subject":{"null" if subject is None else _q(subject)}}}')
            if sha(fromhex(prev) + canon.encode()).hexdigest() != h:
                problems.append(Problem(seq, "hash", "the entry's content does not match its hash "
                                        "(it was edited)"))
            prev_hash, expect_seq = h, seq + 1
            if len(problems) >= max_problems:
                break
        if len(problems) >= max_problems:
            break
    rep.entries = n
    hs, hh = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    rep.head_seq, rep.head_hash = int(hs), hh
    if len(problems) < max_problems and (int(hs) != expect_seq - 1 or hh != prev_hash):
        problems.append(Problem(int(hs), "head", f"the head records entry {hs} with hash {hh[:16]}..., "
                                f"the log ends at {expect_seq - 1} with {prev_hash[:16]}... "
                                "(entries at the end were deleted or added outside the desk)"))
    if anchor is not None:
        a_seq, a_hash = anchor
        found = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == a_seq)).scalar()
        if found != a_hash:
            problems.append(Problem(a_seq, "anchor", f"the published anchor {a_hash[:16]}... at entry "
                                    f"{a_seq} does not match the log ({(found or 'missing')[:16]})"))
    rep.seconds = time.perf_counter() - t0
    return rep


def entries(conn: Connection, since: int = 0, limit: int = 100, action: str | None = None,
            case: str | None = None) -> list[Entry]:
    """Entries after a sequence number, optionally of one action or case, oldest first."""
    stmt = select(*_COLUMNS).where(audit_log.c.seq > since).order_by(audit_log.c.seq).limit(limit)
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if case:
        stmt = stmt.where(audit_log.c.case_ref == case)
    return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9])
            for r in conn.execute(stmt)]


def iter_entries(conn: Connection, actions: tuple[str, ...] | None = None, chunk: int = 50_000):
    """Every entry (optionally of some actions), oldest first, streamed."""
    stmt = select(*_COLUMNS).order_by(audit_log.c.seq)
    if actions:
        stmt = stmt.where(audit_log.c.action.in_(actions))
    # per-statement options: Connection.execution_options() would change the connection itself
    # and run every later statement (the audit append's UPDATE) through a server-side cursor
    result = conn.execute(stmt, execution_options={"stream_results": True, "yield_per": chunk})
    for r in result:
        yield Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9])
