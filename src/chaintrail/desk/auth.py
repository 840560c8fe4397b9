"""Desk users, their roles and what each role may do.

A user authenticates with a name and a token; the desk keeps only the
token's scrypt hash (hashlib.scrypt, N=2^14, r=8, p=1, a 16-byte salt).
Permissions are checked in the Python API, so the CLI, the REST API and
the web UI enforce the same rules. Separation of duties: the admin manages
users but sees no customer data; the auditor reads the log and the reports
but no customer data; four-eyes approval is checked per request."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from chaintrail.desk.errors import PermissionDenied

ROLES = ("analyst", "reviewer", "approver", "auditor", "admin")

#: action -> roles allowed to perform it
PERMISSIONS: dict[str, frozenset[str]] = {
    "user.manage": frozenset({"admin"}),
    "customers.import": frozenset({"admin", "analyst"}),
    "customers.view": frozenset({"analyst", "reviewer", "approver"}),  # plus an open case
    "customers.list": frozenset({"analyst", "reviewer", "approver"}),  # references only
    "case.open": frozenset({"analyst", "reviewer", "approver"}),
    "case.close": frozenset({"analyst", "reviewer", "approver"}),
    "request.create": frozenset({"analyst"}),
    "request.update": frozenset({"analyst", "reviewer"}),
    "request.view": frozenset({"analyst", "reviewer", "approver"}),
    "request.link": frozenset({"analyst", "reviewer"}),
    "request.review": frozenset({"reviewer"}),
    "request.approve": frozenset({"approver"}),
    "request.refuse": frozenset({"reviewer", "approver"}),
    "request.produce": frozenset({"analyst", "approver"}),
    "screen.run": frozenset({"analyst", "reviewer"}),
    "screen.decide": frozenset({"reviewer", "approver"}),
    "freeze.apply": frozenset({"approver"}),
    "freeze.release": frozenset({"approver"}),
    "freeze.report": frozenset({"analyst", "reviewer", "approver"}),
    "offboard.apply": frozenset({"approver"}),
    "audit.view": frozenset({"auditor", "admin"}),
    "audit.verify": frozenset({"auditor", "admin"}),
    "report.transparency": frozenset({"auditor", "admin", "approver"}),
    "monitor.view": frozenset({"analyst", "reviewer", "approver"}),  # alerts name customers
    "monitor.decide": frozenset({"reviewer", "approver"}),  # escalate or close an alert
    "monitor.run": frozenset({"analyst", "reviewer", "admin"}),  # rescreen, webhook delivery
    "report.activity": frozenset({"analyst", "reviewer", "approver", "auditor"}),  # aggregates
}

_N, _R, _P = 1 << 14, 8, 1


def parse_roles(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Role names from 'analyst,reviewer' (unknown roles are refused)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for r in (i.strip().lower() for i in items):
        if not r:
            continue
        if r not in ROLES:
            raise ValueError(f"unknown role {r!r} (roles: {', '.join(ROLES)})")
        if r not in out:
            out.append(r)
    if not out:
        raise ValueError("a user needs at least one role")
    return tuple(out)


def new_token() -> str:
    """A fresh random token (shown once, stored hashed)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str, salt: bytes | None = None) -> str:
    """scrypt$N$r$p$salt$hash of a token."""
    salt = salt or secrets.token_bytes(16)
    h = hashlib.scrypt(token.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${h.hex()}"


def check_token(token: str, stored: str) -> bool:
    """Whether a token matches its stored hash (constant-time comparison)."""
    try:
        algo, n, r, p, salt, h = stored.split("$")
    except ValueError:
        return False
    if algo != "scrypt":
        return False
    got = hashlib.scrypt(token.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(h) // 2)
    return hmac.compare_digest(got.hex(), h)


def require(user: str, roles: tuple[str, ...], action: str) -> None:
    """Raise PermissionDenied unless one of the roles may perform the action."""
    allowed = PERMISSIONS[action]
    if not allowed.intersection(roles):
        raise PermissionDenied(f"{user} ({', '.join(roles)}) may not {action.replace('.', ' ')}: "
                               f"needs the role {' or '.join(sorted(allowed))}")
