"""The audit log: canonical JSON, the hash chain, and tampering with the
database directly (edit, delete, reorder, truncate) on SQLite and PostgreSQL."""

# ruff: noqa: F811 - pytest fixtures imported from test_desk_db are redefined as parameters
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from test_desk_db import desk_url, env, pg_server  # noqa: F401

from chaintrail.desk import auditing
from chaintrail.desk.audit import canonical_details, canonical_entry, entry_hash

texts = st.one_of(st.none(), st.text(max_size=30))


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(1, 2**62), at=st.text(max_size=32), actor=st.text(max_size=20),
       action=st.text(max_size=20), case=texts, subject=texts, reason=texts,
       details=st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=10),
                                                              st.booleans(), st.none()), max_size=5))
def test_canonical_entry_is_sorted_compact_json(seq, at, actor, action, case, subject, reason, details):
    obj = {"seq": seq, "at": at, "actor": actor, "action": action, "case": case, "subject": subject,
           "reason": reason, "details": details}
    want = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    assert canonical_entry(seq, at, actor, action, case, subject, reason,
                           canonical_details(details)) == want


def test_hash_covers_previous_hash_and_entry():
    c = canonical_entry(1, "t", "a", "x", None, None, None, "{}")
    assert entry_hash("0" * 64, c) != entry_hash("1" * 64, c)
    import hashlib

    assert entry_hash("0" * 64, c) == hashlib.sha256(bytes(32) + c.encode()).hexdigest()


def _fill(env, n: int = 12) -> None:
    for k in range(n):
        with env.analyst.tx() as conn:
            env.analyst.audit(conn, "test.entry", case="INV-1", subject=f"customer:C-{k}",
                              reason=f"step {k}", details={"k": k})


def _raw(env, *statements: str) -> None:
    """Edit the database directly, as someone with its credentials could (triggers dropped)."""
    with env.desk.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        for s in statements:
            conn.exec_driver_sql(s)


def _kinds(rep) -> set[str]:
    return {p["kind"] for p in rep["problems"]}


def test_many_entries_from_a_generator_chain_and_verify(env):
    """append_many takes rows as a generator, a batch at a time, and chains them as one."""
    from chaintrail.desk.audit import append_many

    rows = ((f"2025-03-03T09:00:{i:02d}.000000Z", "ana", "test.bulk", "INV-2", f"customer:C-{i}",
             "bulk", {"i": i}) for i in range(25))
    with env.desk.engine.begin() as conn:
        seq, head = append_many(conn, rows, batch=7)
    rep = auditing.verify_log(env.auditor)
    assert rep["ok"] and rep["entries"] == seq == 25 + 7
    with env.desk.engine.connect() as conn:
        got = conn.execute(text("SELECT hash, details FROM audit_log WHERE seq = :s"), {"s": seq}).one()
    assert (got[0], json.loads(got[1])) == (head, {"i": 24})  # (the check itself is logged next)


def test_intact_log_verifies(env):
    _fill(env)
    rep = auditing.verify_log(env.auditor)
    assert rep["ok"] and rep["entries"] == 12 + 7  # init, user adds and the entries above


def test_triggers_refuse_updates_and_deletes(env):
    _fill(env, 2)
    from sqlalchemy.exc import DBAPIError

    for stmt in ("UPDATE audit_log SET reason = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            with env.desk.engine.begin() as conn:
                conn.execute(text(stmt))


def test_edited_entry_is_detected(env):
    _fill(env)
    _raw(env, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 10")
    rep = auditing.verify_log(env.auditor)
    assert not rep["ok"] and [(p["seq"], p["kind"]) for p in rep["problems"]] == [(10, "hash")]


def test_edited_details_and_actor_are_detected(env):
    _fill(env)
    _raw(env, "UPDATE audit_log SET details = '{\"k\":99}' WHERE seq = 9",
         "UPDATE audit_log SET actor = 'someone else' WHERE seq = 11")
    rep = auditing.verify_log(env.auditor)
    assert {(p["seq"], p["kind"]) for p in rep["problems"]} == {(9, "hash"), (11, "hash")}


def test_deleted_entry_is_detected(env):
    _fill(env)
    _raw(env, "DELETE FROM audit_log WHERE seq = 8")
    rep = auditing.verify_log(env.auditor)
    assert not rep["ok"] and {"gap", "link"} <= _kinds(rep)
    assert any(p["seq"] == 9 for p in rep["problems"])


def test_deleted_tail_is_detected_by_the_head(env):
    _fill(env)
    _raw(env, "DELETE FROM audit_log WHERE seq >= 18")
    rep = auditing.verify_log(env.auditor)
    assert _kinds(rep) == {"head"}


def test_reordered_entries_are_detected(env):
    """Swap the contents of two entries, keeping each row's sequence number."""
    _fill(env)
    cols = "at, actor, action, case_ref, subject, reason, details, prev_hash, hash"
    _raw(env, "CREATE TEMPORARY TABLE swap AS SELECT * FROM audit_log WHERE seq IN (10, 11)",
         *[f"UPDATE audit_log SET {c} = (SELECT {c} FROM swap WHERE swap.seq = "
           f"CASE audit_log.seq WHEN 10 THEN 11 ELSE 10 END) WHERE seq IN (10, 11)"
           for c in cols.split(", ")])
    rep = auditing.verify_log(env.auditor)
    assert not rep["ok"] and "link" in _kinds(rep)


def test_renumbered_entries_are_detected(env):
    """Swap two entries' sequence numbers (the order they are read in changes)."""
    _fill(env)
    _raw(env, "UPDATE audit_log SET seq = -1 WHERE seq = 12", "UPDATE audit_log SET seq = 12 WHERE seq = 13",
         "UPDATE audit_log SET seq = 13 WHERE seq = -1")
    rep = auditing.verify_log(env.auditor)
    assert not rep["ok"] and {"link", "hash"} <= _kinds(rep)


def test_rewritten_log_is_caught_by_a_published_anchor(env):
    """Someone rewrites an entry and re-hashes everything after it: only an anchor catches that."""
    from chaintrail.desk.audit import GENESIS, canonical_entry, entry_hash

    _fill(env)
    with env.desk.engine.connect() as conn:
        h15 = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 15")).scalar()
        rows = conn.execute(text("SELECT seq, at, actor, action, case_ref, subject, reason, details "
                                 "FROM audit_log ORDER BY seq")).all()
    anchor = f"15:{h15}"
    prev, stmts = GENESIS, []
    for seq, at, actor, action, case, subject, reason, details in rows:
        if seq == 12:
            reason = "rewritten"
        h = entry_hash(prev, canonical_entry(seq, at, actor, action, case, subject, reason, details))
        stmts.append(f"UPDATE audit_log SET reason = {_lit(reason)}, prev_hash = '{prev}', "
                     f"hash = '{h}' WHERE seq = {seq}")
        prev = h
    stmts.append(f"UPDATE audit_head SET hash = '{prev}' WHERE id = 1")
    _raw(env, *stmts)
    assert auditing.verify_log(env.auditor)["ok"]  # a consistent rewrite...
    rep = auditing.verify_log(env.auditor, anchor)
    assert _kinds(rep) == {"anchor"}  # ...is caught by the published anchor


def _lit(v) -> str:
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


def test_auditor_reads_the_log_but_log_holds_no_personal_data(env):
    from chaintrail.desk import customers
    from chaintrail.desk.errors import PermissionDenied

    _fill(env, 1)
    entries = auditing.log_entries(env.auditor, limit=1000)
    assert entries[0]["action"] == "desk.init"
    assert {"seq", "at", "actor", "action", "case", "reason", "hash"} <= set(entries[0])
    with pytest.raises(PermissionDenied):
        auditing.log_entries(env.analyst)
    with pytest.raises(PermissionDenied):
        customers.list_customers(env.auditor)
