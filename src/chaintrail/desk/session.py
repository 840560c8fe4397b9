"""Opening the desk and acting in it as an authenticated user.

    desk = Desk.open(store="./data")                 # or db="postgresql://..."
    s = desk.login("alice", token)                   # a DeskSession
    s.require("request.review")                      # PermissionDenied otherwise

Every service function (``chaintrail.desk.requests``, ``customers``, ...)
takes a DeskSession first: the CLI, the REST API and the web UI call the
same functions with the user they authenticated."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from chaintrail.desk import audit as audit_mod
from chaintrail.desk.auth import check_token, hash_token, new_token, parse_roles, require
from chaintrail.desk.db import (
    check_current,
    default_store,
    make_engine,
    resolve_url,
    safe_url,
    upgrade,
    write_pointer,
)
from chaintrail.desk.errors import AuthError, DeskError, DeskNotFound
from chaintrail.desk.schema import settings, users

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Desk:
    """The desk's database (and the store it links customers to), without a user."""

    def __init__(self, engine: Engine, store: str | os.PathLike | None = None,
                 clock: Clock | None = None):
        self.engine = engine
        self.store = Path(store) if store is not None else None
        self.clock = clock or utc_now
        self._chain = None

    @classmethod
    def open(cls, db: str | None = None, store: str | os.PathLike | None = None,
             clock: Clock | None = None) -> Desk:
        """Open an initialised desk (its database must be at the shipped migration)."""
        url = resolve_url(db, store)
        engine = make_engine(url)
        check_current(engine)
        return cls(engine, default_store(store), clock)

    @classmethod
    def init(cls, db: str | None = None, store: str | os.PathLike | None = None,
             admin: str = "admin", home_country: str | None = None,
             clock: Clock | None = None) -> tuple[Desk, str | None]:
        """Create or upgrade the desk's database; the first admin's token when one was created."""
        url = resolve_url(db, store)
        engine = make_engine(url)
        rev = upgrade(engine)
        if db and store is not None and default_store(store).exists():
            write_pointer(store, url)
        desk = cls(engine, default_store(store), clock)
        token = None
        with engine.begin() as conn:
            n_users = conn.execute(select(func.count()).select_from(users)).scalar()
            if home_country:
                desk._set(conn, "home_country", home_country.upper())
            if n_users == 0:
                token = new_token()
                at = desk.timestamp()
                conn.execute(insert(users).values(name=admin, roles="admin", secret=hash_token(token),
                                                  active=True, created_at=at, created_by=None))
                audit_mod.append(conn, at, admin, "desk.init", details={
                    "revision": rev, "database": safe_url(engine.url).split("://")[0],
                    "home_country": home_country})
                audit_mod.append(conn, at, admin, "user.add", subject=f"user:{admin}",
                                 details={"roles": ["admin"]})
        return desk, token

    # --- settings and time ---------------------------------------------------
    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()

    def timestamp(self) -> str:
        return audit_mod.timestamp(self.clock())

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            v = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
        return default if v is None else v

    def _set(self, conn: Connection, key: str, value: str) -> None:
        if conn.execute(select(settings.c.key).where(settings.c.key == key)).first():
            conn.execute(update(settings).where(settings.c.key == key).values(value=value))
        else:
            conn.execute(insert(settings).values(key=key, value=value))

    # --- the chain -------------------------------------------------------------
    @property
    def chain(self):
        """The store the customers are linked to (None when it has no blocks)."""
        if self._chain is None and self.store is not None and (self.store / "manifest.json").exists():
            from chaintrail.chain import open as open_chain

            self._chain = open_chain(self.store)
        return self._chain

    def use_chain(self, chain) -> None:
        """Link customers through an already open Chain (the demo and notebooks)."""
        self._chain = chain

    # --- users -------------------------------------------------------------------
    def login(self, name: str, token: str) -> DeskSession:
        """Authenticate a user by name and token."""
        if not name:
            raise AuthError("no desk user given (--user or CHAINTRAIL_DESK_USER)")
        with self.engine.connect() as conn:
            row = conn.execute(select(users.c.roles, users.c.secret, users.c.active)
                               .where(users.c.name == name)).first()
        if row is None or not token or not check_token(token, row.secret):
            raise AuthError(f"authentication failed for desk user {name!r}")
        if not row.active:
            raise AuthError(f"desk user {name!r} is disabled")
        return DeskSession(self, name, parse_roles(row.roles))

    def close(self) -> None:
        if self._chain is not None:
            self._chain.close()
            self._chain = None
        self.engine.dispose()


class DeskSession:
    """An authenticated user acting on the desk."""

    def __init__(self, desk: Desk, user: str, roles: tuple[str, ...]):
        self.desk = desk
        self.user = user
        self.roles = roles

    def require(self, action: str) -> None:
        """Raise PermissionDenied unless this user's roles allow the action."""
        require(self.user, self.roles, action)

    @contextmanager
    def tx(self):
        """A transaction on the desk's database."""
        with self.desk.engine.begin() as conn:
            yield conn

    def audit(self, conn: Connection, action: str, case: str | None = None,
              subject: str | None = None, reason: str | None = None,
              details: dict | None = None) -> audit_mod.Entry:
        """Append an audit entry for this user inside the caller's transaction."""
        return audit_mod.append(conn, self.desk.timestamp(), self.user, action, case, subject,
                                reason, details)

    def __repr__(self) -> str:
        return f"<DeskSession {self.user} ({', '.join(self.roles)})>"


def add_user(s: DeskSession, name: str, roles: str | list[str], token: str | None = None) -> str:
    """Create a desk user with roles (admin only); returns the token, shown once."""
    s.require("user.manage")
    rs = parse_roles(roles)
    if not name or not name.strip():
        raise DeskError("a user needs a name")
    token = token or new_token()
    with s.tx() as conn:
        if conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise DeskError(f"desk user {name!r} exists already")
        conn.execute(insert(users).values(name=name, roles=",".join(rs), secret=hash_token(token),
                                          active=True, created_at=s.desk.timestamp(),
                                          created_by=s.user))
        s.audit(conn, "user.add", subject=f"user:{name}", details={"roles": list(rs)})
    return token


def set_user(s: DeskSession, name: str, roles: str | None = None, active: bool | None = None,
             reset_token: bool = False) -> str | None:
    """Change a user's roles, disable or enable them, or give them a new token (admin only)."""
    s.require("user.manage")
    values: dict = {}
    token = None
    if roles is not None:
        values["roles"] = ",".join(parse_roles(roles))
    if active is not None:
        values["active"] = active
    if reset_token:
        token = new_token()
        values["secret"] = hash_token(token)
    with s.tx() as conn:
        if not conn.execute(select(users.c.id).where(users.c.name == name)).first():
            raise DeskNotFound(f"no desk user {name!r}")
        if values:
            conn.execute(update(users).where(users.c.name == name).values(**values))
        s.audit(conn, "user.update", subject=f"user:{name}",
                details={k: v for k, v in values.items() if k != "secret"} | (
                    {"token_reset": True} if reset_token else {}))
    return token


def list_users(s: DeskSession) -> list[dict]:
    """Every user with roles and state (admin only)."""
    s.require("user.manage")
    with s.tx() as conn:
        rows = conn.execute(select(users.c.name, users.c.roles, users.c.active, users.c.created_at,
                                   users.c.created_by).order_by(users.c.name)).all()
    return [{"name": r.name, "roles": r.roles.split(","), "active": bool(r.active),
             "created_at": r.created_at, "created_by": r.created_by} for r in rows]
