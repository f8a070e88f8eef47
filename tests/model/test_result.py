"""Result vocabulary: which risk statuses count as open, what a trail entry may say."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from secaudit.model import OPEN_RISK_STATUSES, ObservationStatus, RiskStatus, TrailEntry, TrailVerdict, Verdict
from secaudit.model.result import REVIEWABLE


@pytest.mark.parametrize(
    ("status", "is_open"),
    [
        (RiskStatus.OPEN, True),
        (RiskStatus.TREATING, True),
        (RiskStatus.REOPENED, True),
        (RiskStatus.ACCEPTED, False),
        (RiskStatus.RESOLVED, False),
    ],
)
def test_a_risk_is_open_until_accepted_or_resolved(status: RiskStatus, is_open: bool) -> None:
    assert status.is_open is is_open
    assert (status in OPEN_RISK_STATUSES) is is_open


def test_every_status_is_classified() -> None:
    assert {s for s in RiskStatus if s.is_open} | {RiskStatus.ACCEPTED, RiskStatus.RESOLVED} == set(RiskStatus)


def test_every_answer_observation_and_review_outcome_is_a_trail_verdict() -> None:
    outcomes = {v.value for v in Verdict} | {s.value for s in ObservationStatus} | {s.value for s in REVIEWABLE}
    assert outcomes <= {v.value for v in TrailVerdict}


def test_a_trail_verdict_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(ValidationError, match="verdict"):
        TrailEntry(kind="answer", ref="HUM-1/q1", verdict="recorded", summary="x")  # type: ignore[arg-type]


def test_a_trail_verdict_is_written_as_its_plain_value() -> None:
    entry = TrailEntry(kind="observation", ref="tls.protocols", verdict=TrailVerdict.NOT_RUN, summary="x")
    assert entry.model_dump(mode="json")["verdict"] == "not_run"
    assert f"{entry.verdict}" == "not_run"
