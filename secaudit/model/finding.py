"""What a result is in the audit report: the one rule every output uses.

Municipal audit reports count 指摘事項 (non-compliance that must be fixed)
apart from 改善提言 (recommendations) and credit 良好事項 (good practice); a
control that could not be verified is a limit of the audit (監査範囲の制約),
never a finding. The report, the JSON and CSV exports and the dashboard all
classify results here, so the sections and the counts cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum

from secaudit.model.result import ControlResult, Decision, DecisionKind, ResultStatus, RiskEntry
from secaudit.model.vocab import Severity

# A fail whose risk is rated at least this (or, without a risk, whose control is at least this severe)
# must be fixed even when the gate lets the service launch.
MUST_FIX_FROM = Severity.MEDIUM


class FindingKind(StrEnum):
    """The section of the report a control's result belongs to."""

    MUST_FIX = "must_fix"  # 指摘事項
    RECOMMENDATION = "recommendation"  # 改善提言
    GOOD_PRACTICE = "good_practice"  # 良好事項
    LIMIT = "limit"  # 監査範囲の制約


def blocks_launch(decision: Decision, control_id: str) -> bool:
    """True when a NO-GO reason of ``decision`` names ``control_id``."""
    return any(r.decision is DecisionKind.NO_GO and control_id in r.refs for r in decision.reasons)


def classify(result: ControlResult, risk: RiskEntry | None, decision: Decision) -> FindingKind | None:
    """The report section of one control's result; None for a control that does not apply.

    指摘事項: everything that blocks the launch, every fail rated medium or above, and every
    accepted exception (it stays a non-compliance). 改善提言: the other fails and partials.
    良好事項: a pass (always on evidence: answers or checks). 監査範囲の制約: unverified.
    """
    status = result.status
    if status.unverified:
        return FindingKind.LIMIT
    if status is ResultStatus.PASS:
        return FindingKind.GOOD_PRACTICE
    if status is ResultStatus.WAIVED:
        return FindingKind.MUST_FIX
    if not status.raises_risk:
        return None
    if blocks_launch(decision, result.control_id):
        return FindingKind.MUST_FIX
    rank = risk.level_rank if risk is not None else result.severity.rank
    if status is ResultStatus.FAIL and rank >= MUST_FIX_FROM.rank:
        return FindingKind.MUST_FIX
    return FindingKind.RECOMMENDATION
