"""Which services are due: cron schedules in the workspace time zone (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from secaudit.model import Service


class DueReason(StrEnum):
    """Why a service is, or is not, scanned by ``scan --due``."""

    NEVER_SCANNED = "never scanned"
    SCHEDULE_PASSED = "a scheduled time has passed since the last successful run"
    NOT_YET = "not due yet"
    NO_SCHEDULE = "no schedule"
    NO_SCOPE = "no scope"
    ALL = "scan --all"


@dataclass(frozen=True)
class DueStatus:
    """The due decision for one service, with the times behind it."""

    service_id: str
    due: bool
    reason: DueReason
    last_success: dt.datetime | None
    next_due: dt.datetime | None

    @property
    def skipped(self) -> bool:
        """True when the service cannot be scheduled at all (no schedule or no scope)."""
        return self.reason in (DueReason.NO_SCHEDULE, DueReason.NO_SCOPE)


def next_fire(schedule: str, after: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The first time strictly after ``after`` that ``schedule`` fires, read in ``tz``; returned in UTC."""
    from croniter import croniter  # type: ignore[import-untyped,unused-ignore]

    if after.tzinfo is None:
        raise ValueError("next_fire needs a timezone-aware datetime")
    start = after.astimezone(tz)
    fired: dt.datetime = croniter(schedule, start).get_next(dt.datetime)
    return fired.astimezone(dt.UTC)


def due_status(service: Service, last_success: dt.datetime | None, now: dt.datetime, tz: ZoneInfo) -> DueStatus:
    """Whether ``service`` is due at ``now``: a scheduled time has come since its last successful run.

    A service never scanned successfully is due at once; one without a schedule or a
    scope is skipped.
    """
    if service.scope is None:
        return DueStatus(service.id, False, DueReason.NO_SCOPE, last_success, None)
    if service.schedule is None:
        return DueStatus(service.id, False, DueReason.NO_SCHEDULE, last_success, None)
    if last_success is None:
        return DueStatus(service.id, True, DueReason.NEVER_SCANNED, None, now.astimezone(dt.UTC))
    # a success recorded after ``now`` means the clock went back: count from now, or the service
    # would sit out the whole jump before its next scan
    fire = next_fire(service.schedule, min(last_success, now), tz)
    if fire <= now:
        return DueStatus(service.id, True, DueReason.SCHEDULE_PASSED, last_success, fire)
    return DueStatus(service.id, False, DueReason.NOT_YET, last_success, fire)
