"""The audit log as users reach it: auditors and admins list entries and
verify the hash chain; nobody edits it."""

from __future__ import annotations

from chaintrail.desk import audit as audit_mod
from chaintrail.desk.session import DeskSession


def parse_anchor(text: str | None) -> tuple[int, str] | None:
    """'SEQ:HASH' as published in a transparency report."""
    if not text:
        return None
    seq, h = text.split(":", 1)
    return int(seq), h.strip().lower()


def verify_log(s: DeskSession, anchor: str | None = None) -> dict:
    """Verify the whole hash chain (and an anchor, if given); the verification is itself logged."""
    s.require("audit.verify")
    with s.tx() as conn:
        rep = audit_mod.verify(conn, anchor=parse_anchor(anchor))
    with s.tx() as conn:
        s.audit(conn, "audit.verify", details={"ok": rep.ok, "entries": rep.entries,
                                               "problems": len(rep.problems)})
    return rep.to_dict()


def log_entries(s: DeskSession, since: int = 0, limit: int = 100, action: str | None = None,
                case: str | None = None) -> list[dict]:
    """Audit entries after a sequence number (who, when, which case, why), oldest first."""
    s.require("audit.view")
    with s.tx() as conn:
        return [e.to_dict() for e in audit_mod.entries(conn, since, limit, action, case)]
