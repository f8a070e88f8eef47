"""Result vocabulary: which risk statuses count as open."""

from __future__ import annotations

import pytest

from secaudit.model import OPEN_RISK_STATUSES, RiskStatus


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
