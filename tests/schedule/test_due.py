"""Due computation across schedules and time zones (pure, fixed ``now``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from secaudit.model import Service
from secaudit.schedule.due import DueReason, due_status, next_fire

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")


def _service(schedule: str | None = "0 3 * * 1", scope: bool = True) -> Service:
    data = {
        "id": "svc",
        "name": {"ja": "サービス", "en": "Service"},
        "department": "課",
        "owner": {"name": "Owner", "email": "owner@example.jp"},
        "security_officer": {"name": "Officer", "email": "officer@example.jp"},
        "classification": {"confidentiality": 2, "integrity": 1, "availability": 1},
        "attributes": {"internet_facing": True, "personal_data": False, "network_tier": "internet"},
        "schedule": schedule,
    }
    if scope:
        data["scope"] = {
            "authorized_by": "課長",
            "authorized_until": "2099-12-31",
            "targets": [{"host": "localhost", "addresses": ["127.0.0.1"], "ports": [443]}],
        }
    return Service.model_validate(data)


def t(text: str) -> dt.datetime:
    """A UTC time written as 'YYYY-MM-DD HH:MM[:SS]'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# Mondays 03:00 Tokyo is Sunday 18:00 UTC; Mondays 03:00 UTC is Monday 12:00 Tokyo.
CASES = [
    # schedule, zone, last success (UTC), now (UTC), due?, expected fire (UTC)
    (
        "0 3 * * 1",
        "Asia/Tokyo",
        "2026-11-16 00:00",
        "2026-11-22 17:59",
        False,
        "2026-11-22 18:00",
    ),
    (
        "0 3 * * 1",
        "Asia/Tokyo",
        "2026-11-16 00:00",
        "2026-11-22 18:00",
        True,
        "2026-11-22 18:00",
    ),
    ("0 3 * * 1", "UTC", "2026-11-16 00:00", "2026-11-22 18:00", True, "2026-11-16 03:00"),
    ("0 3 * * 1", "UTC", "2026-11-16 04:00", "2026-11-22 18:00", False, "2026-11-23 03:00"),
    ("0 3 * * 1", "UTC", "2026-11-16 04:00", "2026-11-23 03:00", True, "2026-11-23 03:00"),
    (
        "*/15 * * * *",
        "Asia/Tokyo",
        "2026-11-26 10:00",
        "2026-11-26 10:14:59",
        False,
        "2026-11-26 10:15",
    ),
    (
        "*/15 * * * *",
        "Asia/Tokyo",
        "2026-11-26 10:00",
        "2026-11-26 10:15",
        True,
        "2026-11-26 10:15",
    ),
    # Daily 02:30 Tokyo = 17:30 UTC the day before; a run at 17:31 UTC on the 25th covered the 26th's slot.
    (
        "30 2 * * *",
        "Asia/Tokyo",
        "2026-11-25 17:31",
        "2026-11-26 12:00",
        False,
        "2026-11-26 17:30",
    ),
    (
        "30 2 * * *",
        "Asia/Tokyo",
        "2026-11-25 17:29",
        "2026-11-26 12:00",
        True,
        "2026-11-25 17:30",
    ),
    # Monthly on the 1st at 00:00 New York, across the end of daylight saving (EST, UTC-5).
    (
        "0 0 1 * *",
        "America/New_York",
        "2026-10-01 05:00",
        "2026-11-01 04:59",
        True,
        "2026-11-01 04:00",
    ),
]


@pytest.mark.parametrize(("schedule", "tz", "last", "now", "due", "fire"), CASES)
def test_due_across_zones(schedule: str, tz: str, last: str, now: str, due: bool, fire: str) -> None:
    status = due_status(_service(schedule), t(last), t(now), ZoneInfo(tz))
    assert status.due is due
    assert status.next_due == t(fire)
    assert status.reason is (DueReason.SCHEDULE_PASSED if due else DueReason.NOT_YET)


def test_the_same_schedule_fires_nine_hours_apart_in_tokyo_and_utc() -> None:
    after = t("2026-11-20 00:00")
    assert next_fire("0 3 * * 1", after, TOKYO) == t("2026-11-22 18:00")
    assert next_fire("0 3 * * 1", after, ZoneInfo("UTC")) == t("2026-11-23 03:00")


def test_never_scanned_is_due_at_once() -> None:
    now = t("2026-11-26 11:00")
    status = due_status(_service(), None, now, TOKYO)
    assert status.due and status.reason is DueReason.NEVER_SCANNED and status.next_due == now


def test_without_schedule_or_scope_is_skipped() -> None:
    now = t("2026-11-26 11:00")
    no_schedule = due_status(_service(schedule=None), None, now, TOKYO)
    no_scope = due_status(_service(scope=False), None, now, TOKYO)
    assert (no_schedule.due, no_schedule.reason, no_schedule.skipped) == (False, DueReason.NO_SCHEDULE, True)
    assert (no_scope.due, no_scope.reason, no_scope.skipped) == (False, DueReason.NO_SCOPE, True)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire("0 3 * * 1", dt.datetime(2026, 11, 20), TOKYO)
