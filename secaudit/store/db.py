"""The database: engine, transactions, forward migrations.

SQLite through SQLAlchemy Core (so that a PostgreSQL URL can serve later),
in WAL mode, with a bounded wait when another writer holds the lock.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from secaudit.errors import StoreError
from secaudit.store.schema import schema_migrations

BUSY_TIMEOUT_MS = 5000
# how long a command waits for another writer before giving up (exit 3); tests shorten it
BUSY_TIMEOUT_ENV = "SECAUDIT_BUSY_TIMEOUT_MS"


class Store:
    """The one gateway to the database; every other part goes through it."""

    def __init__(self, url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.engine = self._create_engine(url)

    def _create_engine(self, url: str) -> Engine:
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            if not path.parent.is_dir():
                raise StoreError(f"database folder {path.parent} does not exist")
            if not path.exists():
                fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
        try:
            engine = create_engine(url, future=True)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open database {shown_url(url)}: {exc}") from None
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"cannot open database {shown_url(url)}: its driver is not installed ({exc.name}); "
                "for PostgreSQL: pip install 'secaudit[postgres]'"
            ) from None
        if engine.dialect.name == "sqlite":
            timeout = self.busy_timeout_ms

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
                dbapi_conn.isolation_level = None
                cursor = dbapi_conn.cursor()
                cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA foreign_keys = ON")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
                conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def after_fork(self) -> None:
        """In a forked child: forget the parent's pooled connections (left open for the parent) and open new ones."""
        self.engine.dispose(close=False)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: all or nothing; waits a bounded time for other writers."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise self._translate(exc) from None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction that does not block writers."""
        try:
            with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn, conn.begin():
                yield conn
        except DBAPIError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: DBAPIError) -> StoreError:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "locked" in text or "busy" in text:
            seconds = self.busy_timeout_ms / 1000
            return StoreError(f"the database is locked by another writer (waited {seconds:g} s); try again later")
        return StoreError(f"database error: {text}")

    def migrate(self) -> list[str]:
        """Apply pending migrations in order (Alembic, in one transaction); return the names applied now."""
        from secaudit.store.migrations import upgrade

        if self._current():
            return []
        with self.write() as conn:
            return upgrade(conn)

    def _current(self) -> bool:
        """True when a read (which takes no write lock) shows the database at the newest revision."""
        from secaudit.store.migrations import HEAD, REVISION_QUERY

        try:
            with self.read() as conn:
                found = [row[0] for row in conn.exec_driver_sql(REVISION_QUERY)]
        except (StoreError, SQLAlchemyError):
            return False  # no schema yet, or unreadable: the write path below decides and reports
        return found == [HEAD]

    def schema_version(self) -> list[str]:
        """The migrations this database has, in order (for one from before Alembic: those it lists)."""
        from secaudit.store.migrations import MIGRATION_NAMES, current_revision

        with self.read() as conn:
            current = current_revision(conn)
            if current is None:
                legacy = {row[0] for row in conn.execute(select(schema_migrations.c.name))}
                return [n for n in MIGRATION_NAMES if n in legacy] + sorted(legacy - set(MIGRATION_NAMES))
        if current not in MIGRATION_NAMES:
            return [current]
        return list(MIGRATION_NAMES[: MIGRATION_NAMES.index(current) + 1])

    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: new, or from before Alembic)."""
        from secaudit.store.migrations import current_revision

        with self.read() as conn:
            return current_revision(conn)

    def close(self) -> None:
        """Release every connection."""
        self.engine.dispose()


def shown_url(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # an unparsable URL: show only what follows any credentials
        return url.split("@")[-1]


def busy_timeout_ms() -> int:
    """The wait for another writer: ``$SECAUDIT_BUSY_TIMEOUT_MS`` (0 to 600000) or 5000."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS
    if not raw.isdigit() or int(raw) > 600_000:
        raise StoreError(f"{BUSY_TIMEOUT_ENV} must be a whole number of milliseconds up to 600000, not {raw!r}")
    return int(raw)


def open_store(url: str) -> Store:
    """Open the database at ``url`` and bring its schema up to date."""
    store = Store(url, busy_timeout_ms())
    store.migrate()
    return store
