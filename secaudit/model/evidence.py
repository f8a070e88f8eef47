"""What the assessment judges: answers from owners and observations from scans."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from secaudit.model.common import Moment, Slug, StrictModel
from secaudit.model.control import CheckId, ControlId, QuestionId
from secaudit.model.service import ORGANISATION_ID

AnswerValue = bool | int | float | dt.date | str | list[str]


class AnswerSource(StrEnum):
    """How an answer reached the store."""

    WORKBOOK = "workbook"
    TERMINAL = "terminal"
    FILE = "file"
    PORTAL = "portal"
    DIAGNOSIS = "diagnosis"
    """Answers taken from a vendor's diagnosis report (``secaudit diagnosis record``)."""


class Answer(StrictModel):
    """One answer to one question of one control, with who gave it, when and how."""

    service_id: Slug
    control_id: ControlId
    question_id: QuestionId
    value: AnswerValue | None
    evidence: Annotated[str, StringConstraints(max_length=2000)] | None = None
    comment: Annotated[str, StringConstraints(max_length=4000)] | None = None
    answered_by: Annotated[str, StringConstraints(max_length=200)]
    answered_at: Moment
    source: AnswerSource
    source_ref: Annotated[str, StringConstraints(max_length=500)] | None = None
    questionnaire_id: str | None = None

    @property
    def from_organisation(self) -> bool:
        """True for a city-wide answer (the organisation questionnaire), which services inherit."""
        return self.service_id == ORGANISATION_ID


class ObservationStatus(StrEnum):
    """The outcome of one check on one target.

    ``pass`` and ``fail`` only on facts the probe collected for exactly what the check asks;
    ``error`` when the probe tried and failed; ``not_run`` when this profile or scope did not
    look (the evidence says why). Neither of the last two is ever a pass or a fail.
    """

    PASS = "pass"  # noqa: S105  (a status, not a password)
    FAIL = "fail"
    ERROR = "error"
    NOT_RUN = "not_run"

    @property
    def judged(self) -> bool:
        """True for pass and fail: the check looked and decided."""
        return self in (ObservationStatus.PASS, ObservationStatus.FAIL)


class Observation(StrictModel):
    """One check judged on one target in one scan run, with the evidence behind it."""

    run_id: str
    service_id: Slug
    check_id: CheckId
    target: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    status: ObservationStatus
    evidence: str
    evidence_ja: str | None = None
    """The evidence in Japanese (observations made before judges wrote both languages have none)."""
    details: dict[str, Any] = Field(default_factory=dict)
    observed_at: Moment
    baseline: str | None = None

    def evidence_in(self, lang: str) -> str:
        """The evidence in ``lang`` (ja or en); English when no Japanese was recorded."""
        return self.evidence_ja if lang == "ja" and self.evidence_ja else self.evidence
