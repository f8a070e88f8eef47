"""Shared value types: a moment is always timezone-aware, and garbage is refused with its kind named."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from secaudit.model import Observation, ObservationStatus, ScanRun
from secaudit.model.common import Moment, aware

MOMENT: TypeAdapter[dt.datetime] = TypeAdapter(Moment)
TOKYO = dt.timezone(dt.timedelta(hours=9))


def test_a_naive_moment_is_read_as_utc() -> None:
    value = MOMENT.validate_python(dt.datetime(2026, 11, 26, 9, 30))
    assert value == dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(0)


def test_an_aware_moment_keeps_its_offset() -> None:
    value = MOMENT.validate_python(dt.datetime(2026, 11, 26, 9, 30, tzinfo=TOKYO))
    assert value.utcoffset() == dt.timedelta(hours=9)
    assert value == dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T09:30:00", dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)),
        ("2026-11-26T09:30:00+09:00", dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC)),
        ("2026-11-26T09:30:00Z", dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)),
    ],
)
def test_iso_text_is_a_moment(text: str, expected: dt.datetime) -> None:
    value = MOMENT.validate_python(text)
    assert value == expected and value.tzinfo is not None


@pytest.mark.parametrize(
    ("garbage", "named"),
    [
        (0, "the number 0"),
        (1_790_000_000, "the number 1790000000"),
        (True, "the boolean true"),
        ("yesterday", "the text 'yesterday'"),
        ("2026-02-30T00:00:00", "the text '2026-02-30T00:00:00'"),
        (dt.date(2026, 11, 26), "the date 2026-11-26"),
        (None, "an empty value"),
        ([], "a list"),
    ],
)
def test_garbage_is_not_a_moment(garbage: object, named: str) -> None:
    with pytest.raises(ValidationError) as info:
        MOMENT.validate_python(garbage)
    assert f"must be a date and time (ISO 8601), not {named}" in str(info.value)


def test_every_model_moment_is_aware_whatever_it_was_given() -> None:
    run = ScanRun(
        id="r1", service_id="svc", profile="quick", secaudit_version="0", started_at=dt.datetime(2026, 11, 26, 3, 0)
    )
    obs = Observation(
        run_id="r1",
        service_id="svc",
        check_id="tls.protocols",
        target="https://svc.example/",
        status=ObservationStatus.PASS,
        evidence="TLS 1.2, 1.3",
        observed_at="2026-11-26T03:00:00",
    )
    assert run.started_at.tzinfo is not None and obs.observed_at.tzinfo is not None
    # a naive stored moment and an aware one now compare instead of raising TypeError
    assert obs.observed_at == run.started_at == dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def test_assignment_is_validated_too() -> None:
    run = ScanRun(
        id="r1",
        service_id="svc",
        profile="quick",
        secaudit_version="0",
        started_at=dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC),
    )
    run.finished_at = dt.datetime(2026, 11, 26, 3, 5)
    assert run.finished_at == dt.datetime(2026, 11, 26, 3, 5, tzinfo=dt.UTC)
    with pytest.raises(ValidationError, match="must be a date and time"):
        run.finished_at = 5  # type: ignore[assignment]


def test_aware_leaves_an_aware_moment_alone() -> None:
    moment = dt.datetime(2026, 11, 26, 9, 30, tzinfo=TOKYO)
    assert aware(moment) is moment
    assert aware(dt.datetime(2026, 11, 26, 9, 30)).tzinfo is dt.UTC
