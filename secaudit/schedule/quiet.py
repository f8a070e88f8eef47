"""``scan --due`` when nothing is due: decided without loading the database layer.

cron starts ``secaudit scan --due`` every few minutes, and most of those runs
have nothing to do. The full batch imports SQLAlchemy, the store and the scan
engine before it can tell. This module takes the same run lock, reads the
same facts through ``secaudit.store.readonly`` (the standard library's
``sqlite3``, queries only), and reports "nothing to do" only when it is sure:

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

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Any

from secaudit import clock
from secaudit.schedule import check_settings
from secaudit.schedule.events import BatchEvent, BatchOptions, BatchReport, finish_message, select_services
from secaudit.schedule.lock import LOCK_NAME, RunLock
from secaudit.store.readonly import GlanceError, glance
from secaudit.workspace import Workspace

SQLITE_PREFIX = "sqlite:///"


def quiet_batch(
    workspace: Workspace,
    checklists: Collection[str],
    options: BatchOptions,
    emit: Any,
    now: dt.datetime | None = None,
) -> BatchReport | None:
    """The report of a ``scan --due`` run with nothing to do, its lines sent to ``emit``; None when unsure.

    ``checklists`` are the catalog's checklist ids, which every service file is checked against.
    """
    url = workspace.database_url
    if not options.due_only or not url.startswith(SQLITE_PREFIX):
        return None
    database = Path(url.removeprefix(SQLITE_PREFIX))
    if not database.is_file():
        return None
    check_settings(workspace.config.notifications, workspace.root)
    tz = workspace.config.zone
    if (workspace.data_dir / LOCK_NAME).exists():
        return None  # held (the batch says so, exit 75) or left by a killed run (the batch recovers it)
    lock = RunLock(workspace.data_dir).acquire()
    try:
        if lock.stale is not None:  # a run was killed between the look above and the lock
            lock.hand_back()
            return None
        moment = now or clock.now()
        try:
            return _look(workspace, checklists, database, options, moment, tz, emit)
        except GlanceError:
            return None  # the full batch reads the same database and reports what is wrong
    finally:
        lock.release()


def _look(
    workspace: Workspace,
    checklists: Collection[str],
    database: Path,
    options: BatchOptions,
    now: dt.datetime,
    tz: Any,
    emit: Any,
) -> BatchReport | None:
    with glance(database) as db:
        if not db.schema_is_current() or db.runs_in_progress():
            return None
        notifications = workspace.config.notifications
        configured = notifications.smtp is not None or notifications.webhook is not None
        if configured and db.notifications_waiting():
            return None
        events: list[BatchEvent] = []

        def hold(level: str, service: str | None, event: str, message: str, **data: Any) -> None:
            events.append(BatchEvent(clock.now(), level, service, event, message, data))

        report = BatchReport()
        selection = select_services(
            workspace.services_dir,
            checklists,
            workspace.config.classification_scheme,
            db.last_completed_start,
            report,
            options,
            now,
            tz,
            hold,
        )
    if selection.chosen or selection.invalid:
        return None
    message, data = finish_message(report)
    hold("info", None, "batch.finish", message, **data)
    for event in events:
        emit(event)
    return report


__all__ = ["quiet_batch"]
