"""The workspace's database itself: its schema version, upgrading it, and moving it to a shared PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from secaudit.pipeline.session import Session
    from secaudit.store.copy import CopyOutcome


@dataclass(frozen=True)
class SchemaState:
    """Which database, which migrations it has, and which this secaudit would still apply."""

    url: str
    applied: list[str]
    pending: list[str]
    revision: str | None = None
    """Alembic's revision; None for a new database or one from before Alembic (stamped when next opened)."""


def _shown(url: str) -> str:
    from secaudit.store.db import shown_url

    return shown_url(url)


def current(session: Session) -> SchemaState:
    """The database's migrations as they are, without applying any."""
    from sqlalchemy.exc import SQLAlchemyError

    from secaudit.errors import StoreError
    from secaudit.store.db import Store
    from secaudit.store.migrations import MIGRATION_NAMES

    ws = session.workspace()
    ws.ensure_data_dir()
    store = Store(ws.database_url)
    try:
        applied = store.schema_version()
        revision = store.revision()
    except (StoreError, SQLAlchemyError):
        applied, revision = [], None  # a new database: nothing applied yet
    finally:
        store.close()
    pending = [m for m in MIGRATION_NAMES if m not in applied]
    return SchemaState(_shown(ws.database_url), applied, pending, revision)


def upgrade(session: Session) -> list[str]:
    """Apply the pending migrations (every command does this on opening; this says which were applied)."""
    from secaudit.store.db import Store

    ws = session.workspace()
    ws.ensure_data_dir()
    store = Store(ws.database_url)
    try:
        return store.migrate()
    finally:
        store.close()


def copy_to(session: Session, url: str, actor: str, progress: Callable[[str, int], None] | None = None) -> CopyOutcome:
    """Copy this workspace's database into the empty database at ``url`` and verify its audit log there;
    log the move in both."""
    from secaudit.errors import InputError
    from secaudit.store import open_store
    from secaudit.store.audit_log import record
    from secaudit.store.copy import copy_database

    source = session.store()
    if url == session.workspace().database_url:
        raise InputError("--to: that is the database in use; give another one")
    target = open_store(url)
    try:
        outcome = copy_database(source, target, progress)
        if not outcome.problems:
            details = {"from": _shown(session.workspace().database_url), "rows": sum(outcome.rows.values())}
            record(target, actor, "db.copy", _shown(url), details)
            record(source, actor, "db.copy", _shown(url), details)
    finally:
        target.close()
    return outcome
