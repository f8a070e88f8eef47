"""What time it is: the one place secaudit reads the calendar clock.

Due dates, expiries, scan age, certificate margins and report dates all ask
``now()`` or ``today()``. Tests set the time through ``SECAUDIT_TEST_NOW`` (an
ISO 8601 moment with its offset, e.g. ``2026-11-26T12:00:00+00:00``), which a
subprocess inherits, so a command run by a test sees the same "now" as the
test's fixtures. The variable is for tests only; users never set it.

Durations (deadlines, elapsed times) use ``time.monotonic()`` instead: they
measure the machine, not the calendar.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache

NOW_ENV = "SECAUDIT_TEST_NOW"


def now() -> dt.datetime:
    """The current moment, timezone-aware, in UTC (the test clock when ``SECAUDIT_TEST_NOW`` is set)."""
    fixed = os.environ.get(NOW_ENV)
    if fixed:
        return _parse(fixed)
    return dt.datetime.now(dt.UTC)


def today(zone: dt.tzinfo | None = None) -> dt.date:
    """Today's date in ``zone`` (UTC when omitted); a workspace's zone is ``WorkspaceConfig.zone``, validated once."""
    return now().astimezone(zone or dt.UTC).date()


@lru_cache(maxsize=8)
def _parse(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RuntimeError(f"{NOW_ENV}={text!r} is not an ISO 8601 moment (a test setting)") from None
    if moment.tzinfo is None:
        raise RuntimeError(f"{NOW_ENV}={text!r} needs a UTC offset, e.g. +00:00 (a test setting)")
    return moment.astimezone(dt.UTC)
