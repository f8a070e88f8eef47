"""``scan --due`` when nothing is due: decided without loading the database layer.

cron starts ``secaudit scan --due`` every few minutes, and most of those runs
have nothing to do. The full batch imports SQLAlchemy, the store and the scan
engine before it can tell. This module takes the same run lock, reads the
same facts with the standard library's ``sqlite3`` (queries only), and reports
"nothing to do" only when it is sure:

* the workspace uses its SQLite file and its schema is exactly the one this
  version knows (no migration pending);
* no lock was left behind by a killed run, and no run is still marked running
  (the full batch would recover those);
* no notification waits in the outbox while notifications are configured
  (the full batch would retry it);
* every service file is valid and no service is due.

It then writes exactly the lines the full batch would write (the same
selection code makes them). In every other case it returns None, writes
nothing, and the full batch runs and checks everything again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from secaudit.schedule import check_settings
from secaudit.schedule.due import zone
from secaudit.schedule.events import BatchEvent, BatchOptions, BatchReport, finish_message, select_services
from secaudit.schedule.lock import LOCK_NAME, RunLock
from secaudit.workspace import Workspace

KNOWN_SCHEMA = frozenset(
    {
        "0001_core",
        "0002_answers",
        "0003_scans",
        "0010_nmap_archive",
        "0020_answer_drafts",
        "0030_reviews",
        "0031_risks",
        "0040_drift",
        "0050_dashboard_cache",
    }
)
"""The migrations of ``secaudit.store.migrations``, by name (a test keeps the two lists equal)."""

SQLITE_PREFIX = "sqlite:///"


def quiet_batch(
    workspace: Workspace,
    options: BatchOptions,
    emit: Any,
    now: dt.datetime | None = None,
) -> BatchReport | None:
    """The report of a ``scan --due`` run with nothing to do, its lines sent to ``emit``; None when unsure."""
    url = workspace.database_url
    if not options.due_only or not url.startswith(SQLITE_PREFIX):
        return None
    database = Path(url.removeprefix(SQLITE_PREFIX))
    if not database.is_file():
        return None
    check_settings(workspace.config.notifications, workspace.root)
    tz = zone(workspace.config.timezone)
    if (workspace.data_dir / LOCK_NAME).exists():
        return None  # held (the batch says so, exit 75) or left by a killed run (the batch recovers it)
    lock = RunLock(workspace.data_dir).acquire()
    try:
        if lock.stale is not None:  # a run was killed between the look above and the lock
            lock.hand_back()
            return None
        moment = now or dt.datetime.now(dt.UTC)
        try:
            return _look(workspace, database, options, moment, tz, emit)
        except sqlite3.Error:
            return None  # the full batch reads the same database and reports what is wrong
    finally:
        lock.release()


def _look(
    workspace: Workspace, database: Path, options: BatchOptions, now: dt.datetime, tz: Any, emit: Any
) -> BatchReport | None:
    with contextlib.closing(sqlite3.connect(database, timeout=5.0)) as conn:
        conn.execute("PRAGMA query_only = ON")
        applied = {name for (name,) in conn.execute("SELECT name FROM schema_migrations")}
        if applied != KNOWN_SCHEMA:
            return None
        if conn.execute("SELECT 1 FROM scan_runs WHERE status = 'running' LIMIT 1").fetchone():
            return None
        notifications = workspace.config.notifications
        configured = notifications.smtp is not None or notifications.webhook is not None
        if configured and conn.execute("SELECT 1 FROM notification_outbox WHERE sent_at IS NULL LIMIT 1").fetchone():
            return None

        def last_started(service_id: str) -> dt.datetime | None:
            row = conn.execute(
                "SELECT started_at FROM scan_runs WHERE service_id = ? AND status = 'completed' "
                "ORDER BY started_at DESC, id DESC LIMIT 1",
                (service_id,),
            ).fetchone()
            return dt.datetime.fromisoformat(row[0]) if row else None

        events: list[BatchEvent] = []

        def hold(level: str, service: str | None, event: str, message: str, **data: Any) -> None:
            events.append(BatchEvent(dt.datetime.now(dt.UTC), level, service, event, message, data))

        report = BatchReport()
        selection = select_services(workspace.services_dir, last_started, report, options, now, tz, hold)
    if selection.chosen or selection.invalid:
        return None
    message, data = finish_message(report)
    hold("info", None, "batch.finish", message, **data)
    for event in events:
        emit(event)
    return report


__all__ = ["KNOWN_SCHEMA", "quiet_batch"]
