"""The SQL state store: one engine per URL, migrations applied on open.

Each kefu package owns its tables and its Alembic migration folder; the folders are found through
the `kefu.migrations` entry-point group (see pyproject.toml), so ingest never imports the packages
built on top of it. Every package's first revision depends on ingest's, and `upgrade heads`
brings all branches up to date.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import util
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from ingest import plugins

# Explicit constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def migration_locations() -> list[Path]:
    """The migration `versions` folders of every installed kefu package (ingest's always first)."""
    modules = {"ingest": "ingest.migrations"}
    for entry in plugins.entry_points("kefu.migrations"):  # read as plug-ins are (ingest.plugins)
        modules.setdefault(entry.name, entry.value)
    folders = []
    for module in modules.values():
        spec = util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"migration package {module!r} not found")
        folders.append(Path(list(spec.submodule_search_locations)[0]) / "versions")
    return folders


def _enable_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers (the API) run while an ingest writes; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's error (and so any log of it) names the SQL, never the
    # bound values, which are customers' messages, user ids and profiles.
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _enable_sqlite_pragmas(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "handle_error", _failed_ping_is_a_disconnect)
    return engine


def _failed_ping_is_a_disconnect(context: ExceptionContext) -> None:
    """A pooled connection whose ping fails in any way is dead: reconnect. When the server drops
    the connection during the ping, psycopg reports "can't change 'autocommit' now" (a programming
    error, not a disconnect), and the request failed with a 500 instead of reconnecting."""
    if context.is_pre_ping:
        context.is_disconnect = True


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Apply every pending migration of every kefu package (up to `target`: tests start from an
    older schema)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("version_locations", " ".join(str(p) for p in migration_locations()))
    config.set_main_option("path_separator", "space")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


class Database:
    """An engine with its schema up to date, and the session factory for it."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


_open: dict[str, Database] = {}
_open_lock = threading.Lock()


def open_database(url: str) -> Database:
    """One migrated Database per URL per process."""
    with _open_lock:
        if url not in _open:
            _open[url] = Database(url)
        return _open[url]
