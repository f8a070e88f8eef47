"""The one rule for what a result is in the report: 指摘事項, 改善提言, 良好事項, 監査範囲の制約."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.model import ControlResult, Decision, DecisionKind, GateReason, ResultStatus, RiskEntry, RiskStatus
from secaudit.model.finding import FindingKind, classify

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def _result(status: str, severity: str = "high") -> ControlResult:
    return ControlResult(
        service_id="svc",
        control_id="TEC-6.1-001",
        checklist="c",
        domain="TEC",
        control_type="technical",
        severity=severity,
        title={"ja": "t", "en": "t"},
        status=ResultStatus(status),
    )


def _risk(rank: int) -> RiskEntry:
    names = {1: "Low", 2: "Medium", 3: "High", 4: "Critical"}
    return RiskEntry(
        id="R-svc-TEC-6.1-001",
        service_id="svc",
        control_id="TEC-6.1-001",
        title={"ja": "t", "en": "t"},
        description={"ja": "d", "en": "d"},
        result_status=ResultStatus.FAIL,
        likelihood=1,
        impact=1,
        inherent_level=names[rank],
        residual_level=names[rank],
        level_rank=rank,
        rationale="r",
        status=RiskStatus.OPEN,
    )


def _decision(blocking: bool) -> Decision:
    reasons = [GateReason(clause="open-risk", decision=DecisionKind.NO_GO, message="m", refs=["R-x", "TEC-6.1-001"])]
    return Decision(
        service_id="svc",
        decision=DecisionKind.NO_GO if blocking else DecisionKind.GO,
        reasons=reasons if blocking else [],
        decided_at=NOW,
    )


RULES = [
    ("a fail that blocks the launch", "fail", 1, True, FindingKind.MUST_FIX),
    ("a partial that blocks the launch", "partial", 3, True, FindingKind.MUST_FIX),
    ("a fail rated medium", "fail", 2, False, FindingKind.MUST_FIX),
    ("a fail rated low", "fail", 1, False, FindingKind.RECOMMENDATION),
    ("a partial rated high, not blocking", "partial", 3, False, FindingKind.RECOMMENDATION),
    ("an accepted exception", "waived", 3, False, FindingKind.MUST_FIX),
    ("a pass", "pass", None, False, FindingKind.GOOD_PRACTICE),
    ("an error", "error", None, True, FindingKind.LIMIT),
    ("a check not run", "not_scanned", None, False, FindingKind.LIMIT),
    ("an answer missing", "awaiting_answer", None, False, FindingKind.LIMIT),
    ("not applicable", "not_applicable", None, False, None),
]


@pytest.mark.parametrize(("case", "status", "rank", "blocking", "expected"), RULES, ids=[r[0] for r in RULES])
def test_each_result_has_one_place_in_the_report(
    case: str, status: str, rank: int | None, blocking: bool, expected: FindingKind | None
) -> None:
    risk = _risk(rank) if rank is not None else None
    assert classify(_result(status), risk, _decision(blocking)) is expected, case


def test_without_a_risk_the_controls_severity_decides() -> None:
    assert classify(_result("fail", "medium"), None, _decision(False)) is FindingKind.MUST_FIX
    assert classify(_result("fail", "low"), None, _decision(False)) is FindingKind.RECOMMENDATION
