"""The desk's database on SQLite and on a real PostgreSQL server (started
from the machine's own binaries by ``chaintrail.desk.pgserver``), the
fixtures the other desk tests share, and the migrations."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass

import pytest

from chaintrail.desk.pgserver import TempPostgres, find_bindir

NO_PG = ("PostgreSQL server binaries not found (Debian: apt-get install postgresql); the "
         "PostgreSQL variants of the desk tests are skipped")


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the whole session (each test gets its own database)."""
    if find_bindir() is None:
        if os.environ.get("CHAINTRAIL_REQUIRE_POSTGRES"):
            pytest.fail(NO_PG.replace("are skipped", "are required here"))
        pytest.skip(NO_PG)
    with TempPostgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def desk_url(request, tmp_path) -> str:
    """A fresh, empty desk database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.sqlite'}"
    pg = request.getfixturevalue("pg_server")
    return pg.create_database("desk_" + uuid.uuid4().hex[:12])


class Clock:
    """A settable clock for the desk (UTC)."""

    def __init__(self, start: dt.datetime):
        self.t = start

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw) -> None:
        self.t += dt.timedelta(**kw)


@dataclass
class Env:
    desk: object
    clock: Clock
    admin: object
    analyst: object
    reviewer: object
    approver: object
    auditor: object
    reviewer2: object
    tokens: dict


@pytest.fixture
def env(desk_url, tmp_path) -> Env:
    """An initialised desk (home DE) with one user per role, at 2025-03-03 09:00 UTC."""
    from chaintrail.desk import Desk, add_user

    clock = Clock(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.timezone.utc))
    desk, token = Desk.init(db=desk_url, store=tmp_path / "nostore", home_country="DE", clock=clock)
    admin = desk.login("admin", token)
    tokens = {"admin": token}
    for name, roles in (("ana", "analyst"), ("rita", "reviewer"), ("paul", "approver"),
                        ("aud", "auditor"), ("rex", "reviewer,approver")):
        tokens[name] = add_user(admin, name, roles)
    e = Env(desk, clock, admin, desk.login("ana", tokens["ana"]), desk.login("rita", tokens["rita"]),
            desk.login("paul", tokens["paul"]), desk.login("aud", tokens["aud"]),
            desk.login("rex", tokens["rex"]), tokens)
    yield e
    desk.close()


# --- tests of the database layer itself -------------------------------------------------------------
def test_migrations_create_exactly_the_schema(desk_url):
    """Alembic's head equals the SQLAlchemy tables (no drift between schema.py and migrations)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from chaintrail.desk.db import current_revision, head_revision, make_engine, upgrade
    from chaintrail.desk.schema import metadata

    engine = make_engine(desk_url)
    assert upgrade(engine) == head_revision() == "0004"
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "desk_alembic_version"})
        diff = [d for d in compare_metadata(ctx, metadata)]
    assert diff == []
    assert current_revision(engine) == "0004"
    upgrade(engine)  # idempotent
    engine.dispose()


def test_downgrade_and_upgrade_again(desk_url):
    from sqlalchemy import inspect

    from chaintrail.desk.db import alembic_config, make_engine, upgrade

    engine = make_engine(desk_url)
    upgrade(engine)
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert not inspect(engine).has_table("audit_log")
    upgrade(engine)
    assert inspect(engine).has_table("audit_log")
    engine.dispose()


def test_open_refuses_an_uninitialised_database(tmp_path):
    from chaintrail.desk import Desk, DeskError

    with pytest.raises(DeskError, match="desk init"):
        Desk.open(db=f"sqlite:///{tmp_path / 'none.sqlite'}")


def test_sqlite_lives_in_the_store_by_default(tmp_path):
    from chaintrail.desk import Desk

    desk, token = Desk.init(store=tmp_path / "store")
    assert (tmp_path / "store" / "desk" / "desk.sqlite").exists() and token
    desk.close()
    again = Desk.open(store=tmp_path / "store")
    assert again.login("admin", token).roles == ("admin",)
    again.close()


def test_concurrent_appends_keep_the_chain(env):
    """Several writers at once (threads, separate connections): the chain stays intact."""
    from concurrent.futures import ThreadPoolExecutor

    from chaintrail.desk import auditing

    def work(k: int) -> None:
        for j in range(15):
            with env.analyst.tx() as conn:
                env.analyst.audit(conn, "test.concurrent", details={"k": k, "j": j})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    rep = auditing.verify_log(env.auditor)
    assert rep["ok"], rep["problems"]
    assert rep["entries"] >= 60
