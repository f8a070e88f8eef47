"""Assessment results, risks and the launch decision: what assess and risk produce."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from secaudit.model.common import ControlType, Domain, LocalizedText, Moment, Severity, Slug, StrictModel
from secaudit.model.vocab import DecisionKind as DecisionKind
from secaudit.model.vocab import ResultStatus as ResultStatus
from secaudit.model.vocab import TrailVerdict as TrailVerdict
from secaudit.model.vocab import TreatmentKind as TreatmentKind


class TrailEntry(StrictModel):
    """One piece of evidence behind a result: an answer, an observation or a review."""

    kind: Literal["answer", "observation", "review"]
    ref: str
    verdict: TrailVerdict
    summary: str
    summary_ja: str | None = None
    """The summary in Japanese, where it was written in both languages (an observation's evidence)."""
    who: str | None = None
    at: Moment | None = None
    source: str | None = None
    target: str | None = None
    baseline: str | None = None


class ControlResult(StrictModel):
    """One control judged for one service, with the trail that decided it."""

    service_id: Slug
    control_id: str
    checklist: str
    domain: Domain
    control_type: ControlType
    severity: Severity
    title: LocalizedText
    status: ResultStatus
    self_assessed_status: ResultStatus | None = None
    overridden: bool = False
    reason: str = ""
    reason_ja: str = ""
    trail: list[TrailEntry] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)
    basis: str = ""
    underlying_status: ResultStatus | None = None
    waived_by: str | None = None
    weakness: Severity | None = None
    """For a fail or partial: the severity of the evidence that decided it (the failing check's,
    or the control's own for an answer). The likelihood of its risk starts from it."""


class Review(StrictModel):
    """An officer's confirmation or override of one control's result.

    ``basis`` is the fingerprint of the evidence the officer looked at; when
    newer answers or observations change it, the review lapses.
    """

    control_id: str
    result: ResultStatus
    note: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    reviewer: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    at: Moment
    basis: str

    @field_validator("result")
    @classmethod
    def _reviewable(cls, value: ResultStatus) -> ResultStatus:
        if value not in REVIEWABLE:
            raise ValueError(f"a review sets one of {', '.join(s.value for s in REVIEWABLE)}")
        return value


REVIEWABLE = (ResultStatus.PASS, ResultStatus.FAIL, ResultStatus.PARTIAL, ResultStatus.NOT_APPLICABLE)


class StatusCounts(StrictModel):
    """How many controls ended in each status."""

    counts: dict[ResultStatus, int] = Field(default_factory=dict)
    applicable: int = 0
    assessed: int = 0
    pass_rate: float | None = None
    pass_rate_after_waivers: float | None = None
    coverage: float | None = None


class Scores(StrictModel):
    """Explainable scores: overall, per domain, per control type, per severity."""

    overall: StatusCounts
    by_domain: dict[str, StatusCounts] = Field(default_factory=dict)
    by_control_type: dict[str, StatusCounts] = Field(default_factory=dict)
    by_severity: dict[str, StatusCounts] = Field(default_factory=dict)


class RiskStatus(StrEnum):
    """Where a risk entry is in its lifecycle."""

    OPEN = "open"
    TREATING = "treating"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    REOPENED = "reopened"

    @property
    def is_open(self) -> bool:
        """Still to be dealt with (open, being treated, or back again): what the gate, the report and the
        dashboard count as an open risk. An accepted or resolved risk is not open."""
        return self in OPEN_RISK_STATUSES


OPEN_RISK_STATUSES = frozenset({RiskStatus.OPEN, RiskStatus.TREATING, RiskStatus.REOPENED})
"""The statuses of a risk that is still open (see :attr:`RiskStatus.is_open`)."""


class Treatment(StrictModel):
    """A decision about a risk, made by a person (persisted by the store)."""

    kind: TreatmentKind
    owner: str | None = None
    plan: str | None = None
    due: dt.date | None = None
    approver: str | None = None
    justification: str | None = None
    expires: dt.date | None = None
    decided_by: str
    decided_at: Moment
    residual_likelihood: int | None = None
    residual_impact: int | None = None


class RiskLifecycle(StrictModel):
    """What the store remembers of a risk between evaluations."""

    risk_id: str
    service_id: Slug
    control_id: str
    first_seen: Moment
    last_seen: Moment
    last_result: ResultStatus
    resolved_at: Moment | None = None
    reopened: int = 0
    reopened_at: Moment | None = None
    last_weakness: Severity | None = None


class RiskEntry(StrictModel):
    """One row of the risk register."""

    id: str
    service_id: Slug
    control_id: str
    title: LocalizedText
    description: LocalizedText
    result_status: ResultStatus
    likelihood: int
    impact: int
    inherent_level: str
    residual_level: str
    level_rank: int
    rationale: str
    status: RiskStatus
    treatment: Treatment | None = None
    first_seen: Moment | None = None
    resolved_at: Moment | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    matrix: str = "5x5"
    score: int = 0
    inherent_rank: int = 0
    residual_rank: int = 0
    reopened: int = 0
    treatment_note: str = ""
    rationale_ja: str = ""
    weakness: Severity | None = None


class GateReason(StrictModel):
    """One reason behind a launch decision, naming what caused it."""

    clause: str
    decision: DecisionKind
    message: str
    message_ja: str | None = None
    refs: list[str] = Field(default_factory=list)


class Decision(StrictModel):
    """GO, CONDITIONAL or NO-GO for one service, with every reason."""

    service_id: Slug
    decision: DecisionKind
    reasons: list[GateReason] = Field(default_factory=list)
    decided_at: Moment
    strict: bool = False
    policy: dict[str, Any] = Field(default_factory=dict)
