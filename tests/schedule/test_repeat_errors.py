"""A service that keeps failing the same way is told about once a day, not on every cron run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from secaudit.catalog import load_catalog
from secaudit.errors import InputError
from secaudit.schedule.batch import Batch
from secaudit.schedule.events import BatchEvent, BatchOptions
from secaudit.store import open_store
from secaudit.store.outbox import all_notifications
from secaudit.workspace import find_workspace
from tests.schedule.conftest import free_port


@pytest.fixture
def told(workspace: Path) -> Path:
    """The example workspace with a webhook on a loopback port nobody listens on (deliveries fail and wait)."""
    cfg = workspace / "secaudit.yaml"
    cfg.write_text(
        cfg.read_text(encoding="utf-8")
        + f"notifications:\n  webhook:\n    url: http://127.0.0.1:{free_port()}/hook\n  repeat_errors_after_hours: 24\n",
        encoding="utf-8",
    )
    return workspace


def _run(root: Path, now: dt.datetime, error: str = "scope: the authorisation has expired") -> list[BatchEvent]:
    def failing(service: Any, *args: Any, **kwargs: Any) -> Any:
        raise InputError(f"{service.id}: {error}")

    events: list[BatchEvent] = []
    ws = find_workspace(root)
    store = open_store(ws.database_url)
    catalog = load_catalog(ws.catalog_layers())
    Batch(ws, lambda: catalog, store, failing, events.append, BatchOptions(due_only=False, now=now)).run()
    return events


def _queued(root: Path) -> list[tuple[str | None, str | None]]:
    store = open_store(find_workspace(root).database_url)
    return [(e.service_id, e.repeat_key) for e in all_notifications(store)]


def test_the_same_error_is_told_once_within_the_window(told: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    first = _run(told, now)
    queued = _queued(told)
    assert sorted(s for s, _ in queued) == ["kosodate-portal", "zeimu-lgwan"]
    assert all(key for _, key in queued)
    assert not [e for e in first if e.event == "notify.repeat"]

    again = _run(told, now + dt.timedelta(hours=1))
    assert len(_queued(told)) == 2  # nothing new queued
    repeats = {e.service: e.message for e in again if e.event == "notify.repeat"}
    assert set(repeats) == {"kosodate-portal", "zeimu-lgwan"}
    assert (
        "not told again before" in repeats["zeimu-lgwan"] and "repeat_errors_after_hours: 24" in repeats["zeimu-lgwan"]
    )
    logged = {e.service: e.message for e in again if e.event == "scan.error"}  # still logged every run
    assert logged == {s: f"{s}: scope: the authorisation has expired" for s in ("kosodate-portal", "zeimu-lgwan")}

    changed = _run(told, now + dt.timedelta(hours=2), error="nmap is not installed")
    assert len(_queued(told)) == 4  # a different error is news
    assert not [e for e in changed if e.event == "notify.repeat"]

    later = _run(told, now + dt.timedelta(hours=27), error="nmap is not installed")
    assert len(_queued(told)) == 6  # the window has passed: told again
    assert not [e for e in later if e.event == "notify.repeat"]


def test_a_notification_that_never_gets_through_is_given_up_after_the_window(told: Path) -> None:
    from secaudit.store import audit_log
    from secaudit.store.outbox import OutboxEntry, enqueue, pending_notifications

    ws = find_workspace(told)
    store = open_store(ws.database_url)
    now = dt.datetime.now(dt.UTC)
    old = OutboxEntry(
        "webhook",
        "[secaudit] kosodate-portal: 2 change(s)",
        {"x": 1},
        "kosodate-portal",
        "r1",
        created_at=now - dt.timedelta(hours=80),
    )
    fresh = OutboxEntry(
        "webhook",
        "[secaudit] zeimu-lgwan: 1 change(s)",
        {"x": 2},
        "zeimu-lgwan",
        "r2",
        created_at=now - dt.timedelta(hours=1),
    )
    enqueue(store, [old, fresh])
    events = _run(told, now)
    gave_up = [e for e in events if e.event == "notify.gave_up"]
    assert [(e.service, e.data["notification"]) for e in gave_up] == [("kosodate-portal", old.id)]
    assert "no longer retried (notifications.give_up_after_hours: 72)" in gave_up[0].message
    assert old.id not in {e.data.get("notification") for e in events if e.event == "notify.failed"}
    waiting = {e.id for e in pending_notifications(store)}
    assert fresh.id in waiting and old.id not in waiting
    [kept] = [e for e in all_notifications(store) if e.id == old.id]
    assert kept.gave_up_at is not None and kept.sent_at is None  # still on record
    assert [e.action for e in audit_log.entries(store) if e.action == "notify.gave_up"] == ["notify.gave_up"]
    again = _run(told, now + dt.timedelta(minutes=5))
    assert not [e for e in again if e.event == "notify.gave_up"]  # said once
