"""Where the desk's database is and how it is opened: SQLite inside the
store by default (``<store>/desk/desk.sqlite``), PostgreSQL for a
multi-user deployment; migrations applied with Alembic."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, make_url

from chaintrail.desk.errors import DeskError

DESK_DIR = "desk"
SQLITE_NAME = "desk.sqlite"
POINTER = "desk.json"  # in <store>/desk/: the database URL (never its password)


def default_store(store: str | os.PathLike | None) -> Path:
    """The store directory: the argument, $CHAINTRAIL_STORE, else ./chaintrail-data."""
    return Path(store or os.environ.get("CHAINTRAIL_STORE") or "./chaintrail-data")


def normalise_url(url: str) -> str:
    """postgresql:// URLs use psycopg 3; anything else is taken as SQLAlchemy spells it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def resolve_url(db: str | None, store: str | os.PathLike | None) -> str:
    """The database URL: --db, $CHAINTRAIL_DESK_DB, the store's pointer, else SQLite in the store."""
    url = db or os.environ.get("CHAINTRAIL_DESK_DB")
    if url:
        return normalise_url(url)
    root = default_store(store) / DESK_DIR
    pointer = root / POINTER
    if pointer.exists():
        return normalise_url(json.loads(pointer.read_text())["db"])
    return f"sqlite:///{(root / SQLITE_NAME).resolve()}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for a desk URL (SQLite gets WAL, foreign keys and a busy timeout)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(u, pool_pre_ping=True)


def write_pointer(store: str | os.PathLike | None, url: str) -> Path:
    """Record a non-default database URL (password removed) in the store for later commands."""
    root = default_store(store) / DESK_DIR
    root.mkdir(parents=True, exist_ok=True)
    u = make_url(url)
    safe = u.set(password=None) if u.password else u
    path = root / POINTER
    path.write_text(json.dumps({"db": safe.render_as_string(hide_password=False)}) + "\n")
    return path


def alembic_config(connection=None):
    """An Alembic config whose scripts are the package's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply the migrations up to revision; the revision the database is at afterwards."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision of the database (None when never migrated)."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": "desk_alembic_version"}) \
            .get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def check_current(engine: Engine) -> None:
    """Refuse to work on a database that is missing or not migrated to the shipped head."""
    if not inspect(engine).has_table("desk_alembic_version"):
        raise DeskError(f"no desk database at {safe_url(engine.url)}: run `chaintrail desk init`")
    cur, head = current_revision(engine), head_revision()
    if cur != head:
        raise DeskError(f"the desk database is at migration {cur}, this chaintrail needs {head}: "
                        "run `chaintrail desk init` to upgrade it")


def safe_url(url: URL | str) -> str:
    """A URL fit to print (password hidden)."""
    return make_url(str(url)).render_as_string(hide_password=True) if not isinstance(url, URL) \
        else url.render_as_string(hide_password=True)
