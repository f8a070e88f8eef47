"""What ``scan --due`` needs to know when nothing may be due, read with the standard library's ``sqlite3``.

The scheduler's quiet run (``secaudit.schedule.quiet``) must not load
SQLAlchemy, yet only ``secaudit.store`` opens the database. This module is
that part of the store: queries only (``PRAGMA query_only``), over the same
tables the rest of the store writes, with the schema checked against the one
list of migrations (``secaudit.store.migrations``, which loads no SQLAlchemy).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

LAST_COMPLETED_START = (
    "SELECT started_at FROM scan_runs WHERE service_id = :service_id AND status = 'completed' "
    "ORDER BY started_at DESC, id DESC LIMIT 1"
)
"""When the newest completed run of a service started: what scheduling counts. The batch asks the same
query through SQLAlchemy (``secaudit.store.scans.last_completed_start``)."""

GlanceError = sqlite3.Error


class Glance:
    """A read-only look at the database file."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def schema_is_current(self) -> bool:
        """True when the database is at the newest revision this version knows."""
        from secaudit.store.migrations import HEAD, REVISION_QUERY

        found = [name for (name,) in self._conn.execute(REVISION_QUERY)]
        return found == [HEAD]

    def runs_in_progress(self) -> bool:
        """True when some scan run is still marked running."""
        return self._conn.execute("SELECT 1 FROM scan_runs WHERE status = 'running' LIMIT 1").fetchone() is not None

    def notifications_waiting(self) -> bool:
        """True when the outbox holds a notification not delivered yet and not given up on."""
        row = self._conn.execute(
            "SELECT 1 FROM notification_outbox WHERE sent_at IS NULL AND gave_up_at IS NULL LIMIT 1"
        ).fetchone()
        return row is not None

    def last_completed_start(self, service_id: str) -> dt.datetime | None:
        """When the newest completed run of a service started (``LAST_COMPLETED_START``)."""
        row = self._conn.execute(LAST_COMPLETED_START, {"service_id": service_id}).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None


@contextlib.contextmanager
def glance(database: Path, timeout_s: float = 5.0) -> Iterator[Glance]:
    """Open ``database`` for queries only; raises ``GlanceError`` (``sqlite3.Error``) on any database trouble."""
    with contextlib.closing(sqlite3.connect(database, timeout=timeout_s)) as conn:
        conn.execute("PRAGMA query_only = ON")
        yield Glance(conn)


__all__ = ["LAST_COMPLETED_START", "Glance", "GlanceError", "glance"]
