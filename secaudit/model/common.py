"""Vocabularies and small value types shared by every model."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    field_validator,
)

from secaudit.model.vocab import ControlType as ControlType
from secaudit.model.vocab import Domain as Domain
from secaudit.model.vocab import Language as Language
from secaudit.model.vocab import Severity as Severity

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SLUG_RE = re.compile(SLUG_PATTERN)

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""An identifier that is safe to use in a path: service ids, checklist names."""


class StrictModel(BaseModel):
    """Base of every model: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, defer_build=True)


class LocalizedText(StrictModel):
    """A text in Japanese and English; both are required and non-blank."""

    ja: str
    en: str

    @field_validator("ja", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    def get(self, lang: Language | str) -> str:
        """The text in ``lang`` (ja or en)."""
        return self.en if str(lang) == Language.EN else self.ja


ItemT = TypeVar("ItemT", bound=Hashable)
_ISO_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _calendar_date(value: object) -> object:
    """A date as YAML reads it (2027-04-01) or as ISO text; never a number of seconds, never a date with a time.

    Left lax, pydantic would read ``launch_date: 0`` as 1970-01-01.
    """
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD) without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE_RE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a real date: {value} ({exc})") from None
    raise ValueError(f"must be a date (YYYY-MM-DD), not {describe_value(value)}")


Date = Annotated[dt.date, BeforeValidator(_calendar_date)]
"""A calendar date in a file someone writes: ``launch_date``, ``authorized_until``."""


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` with its time zone; a naive one is read as UTC (what secaudit has always written)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _moment(value: object) -> dt.datetime:
    """A date and time as a datetime or ISO 8601 text; never a number of seconds (pydantic alone would take one)."""
    if isinstance(value, dt.datetime):
        return aware(value)
    if isinstance(value, str):
        try:
            return aware(dt.datetime.fromisoformat(value))
        except ValueError:
            pass
    raise ValueError(f"must be a date and time (ISO 8601), not {describe_value(value)}")


Moment = Annotated[AwareDatetime, BeforeValidator(_moment)]
"""A point in time, always timezone-aware: every datetime of every model (naive input is read as UTC)."""


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone '{name}' (an IANA name such as Asia/Tokyo)") from None
    return name


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)]
"""An IANA time zone name that this machine knows (``ZoneInfo(name)`` cannot fail once validated)."""


def _no_duplicates(values: list[ItemT]) -> list[ItemT]:
    seen: set[ItemT] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"'{value}' is listed more than once")
        seen.add(value)
    return values


UniqueList = Annotated[list[ItemT], AfterValidator(_no_duplicates)]
"""A list in which each item may appear once: a duplicate is a mistake, named in the error."""


def describe_value(value: object) -> str:
    """How a value of the wrong type is named in a message: its type in words and the value as YAML shows it."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = repr(value)
        return f"the text {shown if len(shown) <= 40 else shown[:40] + '...'}"
    if isinstance(value, dt.datetime):
        return f"the date and time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
