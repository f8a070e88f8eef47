"""``scan --due`` with nothing to do answers without the database layer, and says exactly what the batch says."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secaudit import clock
from secaudit.catalog import load_catalog
from secaudit.model import RunStatus, ScanRun
from secaudit.schedule.batch import Batch
from secaudit.schedule.events import BatchEvent, BatchOptions
from secaudit.schedule.quiet import quiet_batch
from secaudit.store import Store, open_store
from secaudit.store.outbox import OutboxEntry, enqueue
from secaudit.store.readonly import glance
from secaudit.store.scans import begin_run, finish_run, last_completed_start
from secaudit.workspace import find_workspace
from tests.conftest import REPO

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)  # a Thursday


def _store(root: Path) -> Store:
    return open_store(find_workspace(root).database_url)


def _ran(root: Path, service_id: str, at: dt.datetime, status: RunStatus = RunStatus.COMPLETED) -> None:
    store = _store(root)
    run = ScanRun(
        id=f"{service_id}-{at:%H%M%S}", service_id=service_id, profile="quick", started_at=at, secaudit_version="test"
    )
    begin_run(store, run)
    if status is not RunStatus.RUNNING:
        finish_run(store, run.model_copy(update={"status": status, "finished_at": at}), [], [])
    store.close()


@pytest.fixture
def quiet(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example workspace where both scheduled services ran an hour ago: nothing is due.

    The clock is set to NOW here and in every subprocess (``SECAUDIT_TEST_NOW``), so a week later
    the same services are still not due.
    """
    monkeypatch.setenv(clock.NOW_ENV, NOW.isoformat())
    for service_id in ("kosodate-portal", "zeimu-lgwan"):
        _ran(workspace, service_id, NOW - dt.timedelta(hours=1))
    return workspace


def _events(events: list[BatchEvent]) -> list[tuple[Any, ...]]:
    return [(e.level, e.service, e.event, e.message, e.data) for e in events]


def _full(root: Path) -> list[tuple[Any, ...]]:
    seen: list[BatchEvent] = []

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing should be scanned")

    ws = find_workspace(root)
    Batch(ws, lambda: load_catalog(ws.catalog_layers()), _store(root), never, seen.append, BatchOptions(now=NOW)).run()
    return _events(seen)


def _glance(root: Path) -> list[tuple[Any, ...]] | None:
    seen: list[BatchEvent] = []
    ws = find_workspace(root)
    report = quiet_batch(ws, load_catalog(ws.catalog_layers()).checklists, BatchOptions(), seen.append, now=NOW)
    return None if report is None else _events(seen)


def test_the_glance_says_what_the_full_batch_says(quiet: Path) -> None:
    glanced = _glance(quiet)
    assert glanced is not None
    assert glanced == _full(quiet)
    assert [e[2] for e in glanced] == ["service.skipped"] * 3 + ["batch.finish"]
    assert glanced[-1][3] == "0 scanned, 3 skipped, exit 0"


def test_the_quiet_run_and_the_batch_ask_the_same_question(workspace: Path) -> None:
    """Both read the newest completed start through one query, whatever the runs' order and status."""
    earlier, later = NOW - dt.timedelta(days=2), NOW - dt.timedelta(hours=3)
    _ran(workspace, "kosodate-portal", later)
    _ran(workspace, "kosodate-portal", earlier)
    _ran(workspace, "kosodate-portal", NOW - dt.timedelta(hours=1), RunStatus.UNREACHABLE)
    _ran(workspace, "kosodate-portal", NOW - dt.timedelta(minutes=5), RunStatus.RUNNING)
    database = Path(find_workspace(workspace).database_url.removeprefix("sqlite:///"))
    with glance(database) as db:
        quick = {sid: db.last_completed_start(sid) for sid in ("kosodate-portal", "zeimu-lgwan")}
        assert db.schema_is_current()
    store = _store(workspace)
    full = {sid: last_completed_start(store, sid) for sid in ("kosodate-portal", "zeimu-lgwan")}
    assert quick == full == {"kosodate-portal": later, "zeimu-lgwan": None}


def test_the_schema_list_loads_without_sqlalchemy() -> None:
    code = (
        "import sys, secaudit.store.migrations, secaudit.store.readonly, secaudit.schedule.quiet; "
        "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "[]"


def _outbox(root: Path) -> None:
    cfg = root / "secaudit.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8") + "notifications:\n  webhook:\n    url: http://127.0.0.1:9/hook\n",
        encoding="utf-8",
    )
    enqueue(_store(root), [OutboxEntry(channel="webhook", subject="s", payload={"x": 1})])


def _migration_missing(root: Path) -> None:
    store = _store(root)
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0050_dashboard_cache'")
    store.close()


@pytest.mark.parametrize(
    ("case", "change"),
    [
        (
            "a service is due",
            lambda root: (root / "services" / "zeimu-lgwan.yaml").write_text(
                (root / "services" / "zeimu-lgwan.yaml")
                .read_text(encoding="utf-8")
                .replace('schedule: "30 2 * * 0"', 'schedule: "*/5 * * * *"'),
                encoding="utf-8",
            ),
        ),
        ("a run is left running", lambda root: _ran(root, "mynumber-kyufu", NOW, RunStatus.RUNNING)),
        (
            "a killed run left its lock",
            lambda root: (root / ".secaudit" / "scan.lock").write_text(
                json.dumps({"pid": 999999, "started_at": NOW.isoformat()})
            ),
        ),
        ("a service file is broken", lambda root: (root / "services" / "broken.yaml").write_text("id: [\n")),
        ("a notification waits", _outbox),
        ("a migration is pending", _migration_missing),
        ("the database is not SQLite's file", lambda root: (root / ".secaudit" / "secaudit.db").unlink()),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_anything_to_do_leaves_it_to_the_full_batch(quiet: Path, case: str, change: Any) -> None:
    change(quiet)
    assert _glance(quiet) is None, case


def test_a_notification_waiting_without_notifications_configured_does_not_matter(quiet: Path) -> None:
    enqueue(_store(quiet), [OutboxEntry(channel="webhook", subject="s", payload={"x": 1})])
    assert _glance(quiet) is not None


def test_nothing_due_from_cron_loads_neither_the_store_nor_the_scan_engine(quiet: Path) -> None:
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['secaudit', 'scan', '--due']\n"
        "try:\n    runpy.run_module('secaudit', run_name='__main__')\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "else:\n    code = 0\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'secaudit.store.db', 'secaudit.scan.engine') if m in sys.modules)\n"
        "print('LOADED', code, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=quiet,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "LOADED 0 []" in done.stdout, done.stdout + done.stderr
    assert "batch.finish: 0 scanned, 3 skipped, exit 0" in done.stdout


def test_a_lock_left_by_a_killed_run_stays_for_the_batch_to_recover(quiet: Path) -> None:
    from secaudit.schedule.lock import RunLock

    lock_file = quiet / ".secaudit" / "scan.lock"
    record = json.dumps({"pid": 999999, "started_at": NOW.isoformat()})
    lock_file.write_text(record)
    assert _glance(quiet) is None
    assert lock_file.read_text() == record
    taken = RunLock(quiet / ".secaudit").acquire()  # as if the glance had raced the killed run's lock
    assert taken.stale is not None and taken.stale.pid == 999999
    taken.hand_back()
    again = RunLock(quiet / ".secaudit").acquire()
    assert again.stale is not None and again.stale.pid == 999999
    again.release()
    assert not lock_file.exists()
