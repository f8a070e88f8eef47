"""Controls (checklist items) and the questions that assess them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum
from typing import Annotated, assert_never

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from secaudit.model.common import (
    ControlType,
    Domain,
    LocalizedText,
    Severity,
    Slug,
    StrictModel,
    UniqueList,
    describe_value,
)
from secaudit.model.condition import Condition
from secaudit.model.vocab import SecurityDimension

CONTROL_ID_PATTERN = r"^[A-Z][A-Z0-9]{1,9}(-[A-Za-z0-9.]{1,12}){0,3}-[0-9]{3}$"
QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
CHECK_ID_PATTERN = r"^[a-z][a-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$"

ControlId = Annotated[str, StringConstraints(pattern=CONTROL_ID_PATTERN)]
QuestionId = Annotated[str, StringConstraints(pattern=QUESTION_ID_PATTERN)]
CheckId = Annotated[str, StringConstraints(pattern=CHECK_ID_PATTERN)]


class QuestionType(StrEnum):
    """How a question is answered."""

    YES_NO = "yes_no"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"


class ControlScope(StrEnum):
    """Who answers a control: each service's owner, or the city once for every service."""

    SERVICE = "service"
    ORGANISATION = "organisation"
    """City-wide (the CISO, the CSIRT, training, audits): answered once in the organisation questionnaire
    and inherited by every service, which may still answer it itself to override."""


class Verdict(StrEnum):
    """What one answer says about compliance."""

    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"
    INFO = "info"


class Procedure(StrEnum):
    """Audit techniques (MIC audit guideline)."""

    DOCUMENT_REVIEW = "document_review"
    INTERVIEW = "interview"
    ONSITE_INSPECTION = "onsite_inspection"
    SCAN = "scan"
    RE_PERFORMANCE = "re_performance"


class AuditPhase(StrEnum):
    """The two things an auditor establishes about a control, in this order (MIC audit guideline)."""

    DESIGN = "design"
    """整備状況: the control is defined, documented and approved."""
    OPERATION = "operation"
    """運用状況: the control is carried out as defined, and records show it."""


class AuditProcedure(LocalizedText):
    """What the auditor examines in one phase for one control, in ja and en, and with which techniques.

    Written like the guideline's 監査実施の例: the document, record, setting or observation
    that is looked at for this control.
    """

    techniques: UniqueList[Procedure]

    @field_validator("techniques")
    @classmethod
    def _some_technique(cls, value: list[Procedure]) -> list[Procedure]:
        if not value:
            raise ValueError("name at least one technique: " + ", ".join(p.value for p in Procedure))
        return value


class ControlAudit(StrictModel):
    """How a control is audited: its design (整備状況), then its operation (運用状況)."""

    design: AuditProcedure
    operation: AuditProcedure

    def phase(self, phase: AuditPhase) -> AuditProcedure:
        """The procedure of ``phase``."""
        match phase:
            case AuditPhase.DESIGN:
                return self.design
            case AuditPhase.OPERATION:
                return self.operation
            case _:
                assert_never(phase)

    def techniques(self) -> set[Procedure]:
        """Every technique either phase uses; a control's ``procedure`` must list exactly these."""
        return set(self.design.techniques) | set(self.operation.techniques)


class Choice(StrictModel):
    """One allowed answer of a choice question."""

    value: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    label: LocalizedText


YES_NO_CHOICES: tuple[Choice, ...] = (
    Choice(value="yes", label=LocalizedText(ja="はい", en="Yes")),
    Choice(value="no", label=LocalizedText(ja="いいえ", en="No")),
    Choice(value="na", label=LocalizedText(ja="該当しない", en="Not applicable")),
)


class NumberRange(StrictModel):
    """Inclusive bounds for a number answer."""

    gte: StrictFloat | None = None
    lte: StrictFloat | None = None

    def contains(self, value: float) -> bool:
        """True when ``value`` lies within the bounds."""
        return (self.gte is None or value >= self.gte) and (self.lte is None or value <= self.lte)


def _yaml_booleans_as_answers(values: object) -> object:
    """YAML 1.1 reads an unquoted yes/no as a boolean; in answer lists they mean the answers yes/no."""
    if isinstance(values, list):
        return [("yes" if v else "no") if isinstance(v, bool) else v for v in values]
    return values


AnswerValues = Annotated[list[str], BeforeValidator(_yaml_booleans_as_answers)]


class DependsOn(StrictModel):
    """A follow-up question is asked only when another answer is one of ``answer_in``."""

    question: QuestionId
    answer_in: Annotated[AnswerValues, Field(min_length=1)]


class Question(StrictModel):
    """A typed question and which answers are compliant, partial, non-compliant or N/A."""

    id: QuestionId
    type: QuestionType
    text: LocalizedText
    help: LocalizedText | None = None
    choices: list[Choice] = Field(default_factory=list)
    compliant: AnswerValues = Field(default_factory=list)
    partial: AnswerValues = Field(default_factory=list)
    non_compliant: AnswerValues = Field(default_factory=list)
    not_applicable: AnswerValues = Field(default_factory=list)
    compliant_range: NumberRange | None = None
    partial_range: NumberRange | None = None
    max_age_days: StrictInt | None = Field(default=None, ge=1)
    partial_age_days: StrictInt | None = Field(default=None, ge=1)
    required: StrictBool = True
    requires_evidence: StrictBool = False
    ask_contractor: StrictBool = False
    """A question the department cannot answer alone (e.g. secure-coding details): the owner answers after
    asking the contractor, and the contractor's signed statement is the evidence (so evidence is required)."""
    depends_on: DependsOn | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.ask_contractor:
            self.__dict__["requires_evidence"] = True
        if self.type is QuestionType.YES_NO:
            if self.choices:
                raise ValueError("yes_no questions have fixed choices (yes, no, na); remove 'choices'")
            if not (self.compliant or self.partial or self.non_compliant or self.not_applicable):
                self.__dict__.update(compliant=["yes"], non_compliant=["no"], not_applicable=["na"])
        if self.type in (QuestionType.CHOICE, QuestionType.MULTI_CHOICE) and not self.choices:
            raise ValueError(f"{self.type.value} questions need 'choices'")
        values = [c.value for c in self.allowed_choices()]
        if len(set(values)) != len(values):
            raise ValueError("choice values must be unique")
        for field in ("compliant", "partial", "non_compliant", "not_applicable"):
            for value in getattr(self, field):
                if values and value not in values:
                    raise ValueError(f"'{field}' names '{value}', which is not one of the choices {values}")
        if self.type is QuestionType.NUMBER and self.compliant_range is None:
            raise ValueError("number questions need 'compliant_range'")
        if self.type is QuestionType.DATE and self.max_age_days is None:
            raise ValueError("date questions need 'max_age_days'")
        return self

    def allowed_choices(self) -> list[Choice]:
        """The choices an answer may take (yes/no/na for yes_no questions)."""
        if self.type is QuestionType.YES_NO:
            return list(YES_NO_CHOICES)
        return list(self.choices)

    def fingerprint(self) -> str:
        """A hash of the question's text and allowed answers, to detect edits in workbooks."""
        payload = {
            "id": self.id,
            "type": self.type.value,
            "text": [self.text.ja, self.text.en],
            "choices": [c.value for c in self.allowed_choices()],
        }
        data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(data).hexdigest()[:16]

    def judge(self, value: object, today: dt.date) -> Verdict:
        """What an answer means for compliance; ``value`` must already be validated."""
        match self.type:
            case QuestionType.YES_NO | QuestionType.CHOICE:
                return self._judge_choice(str(value))
            case QuestionType.MULTI_CHOICE:
                if not isinstance(value, list):
                    raise TypeError(f"question {self.id} takes a list of choices, not {describe_value(value)}")
                return self._judge_multi([str(v) for v in value])
            case QuestionType.NUMBER:
                if not isinstance(value, int | float):
                    raise TypeError(f"question {self.id} takes a number, not {describe_value(value)}")
                if self.compliant_range is not None and self.compliant_range.contains(float(value)):
                    return Verdict.COMPLIANT
                if self.partial_range is not None and self.partial_range.contains(float(value)):
                    return Verdict.PARTIAL
                return Verdict.NON_COMPLIANT
            case QuestionType.DATE:
                if not isinstance(value, dt.date):
                    raise TypeError(f"question {self.id} takes a date, not {describe_value(value)}")
                age = (today - value).days
                if self.max_age_days is not None and 0 <= age <= self.max_age_days:
                    return Verdict.COMPLIANT
                if self.partial_age_days is not None and 0 <= age <= self.partial_age_days:
                    return Verdict.PARTIAL
                return Verdict.NON_COMPLIANT
            case QuestionType.TEXT:
                return Verdict.INFO

    def _judge_choice(self, value: str) -> Verdict:
        if value in self.not_applicable:
            return Verdict.NOT_APPLICABLE
        if value in self.compliant:
            return Verdict.COMPLIANT
        if value in self.partial:
            return Verdict.PARTIAL
        if value in self.non_compliant:
            return Verdict.NON_COMPLIANT
        return Verdict.INFO

    def _judge_multi(self, values: list[str]) -> Verdict:
        chosen = set(values)
        if chosen and chosen <= set(self.not_applicable):
            return Verdict.NOT_APPLICABLE
        if chosen & set(self.non_compliant):
            return Verdict.NON_COMPLIANT
        required = set(self.compliant)
        if required and required <= chosen:
            return Verdict.COMPLIANT
        if chosen & (required | set(self.partial)):
            return Verdict.PARTIAL
        return Verdict.NON_COMPLIANT if required else Verdict.INFO


class CheckRef(StrictModel):
    """A scanner check that verifies (part of) a control."""

    check: CheckId
    when_observed: bool = False
    """Counted only when the evidence holds an observation of it (web application findings, which only an
    imported scanner's results hold): otherwise the control rests on its other parts, and is not unverified."""


class ReferenceFramework(StrEnum):
    """Documents a control can cite."""

    MIC_GUIDELINE = "mic-guideline"
    ISO27002 = "iso27002"
    NIST_CSF = "nist-csf"
    IPA = "ipa"
    DIGITAL_AGENCY = "digital-agency"
    ISMAP = "ismap"
    PCI_DSS = "pci-dss"
    MOZILLA_TLS = "mozilla-tls"
    OWASP = "owasp"
    METI = "meti"
    LAW = "law"


class Reference(StrictModel):
    """A citation: framework, section or control number, edition."""

    framework: ReferenceFramework
    id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    edition: str | None = None


class ScanCadence(StrictModel):
    """A control judged on whether the service's scans ran recently enough, not on what they found.

    The assessment compares the date of the service's latest scan run that produced evidence
    (completed, or unreachable) with the clock: none is unverified, one older than
    ``max_age_days`` is a failure.
    """

    max_age_days: StrictInt = Field(ge=1, le=3660)


class Control(StrictModel):
    """A checklist item with everything needed to assess, audit and report it.

    ``audit`` says how an auditor examines it (design, then operation); ``procedure`` repeats
    the techniques for readers of the YAML and must equal the union of the two phases'.
    """

    id: ControlId
    domain: Domain
    section: Annotated[str, StringConstraints(pattern=r"^[1-9](\.[0-9]{1,2}){0,2}$")]
    control_type: ControlType
    scope: ControlScope = ControlScope.SERVICE
    """Who answers it: the service's owner, or the organisation once for all services."""
    title: LocalizedText
    rationale: LocalizedText
    severity: Severity
    questions: list[Question] = Field(default_factory=list)
    checks: list[CheckRef] = Field(default_factory=list)
    scan_cadence: ScanCadence | None = None
    """Judge the control on how recently the service was scanned (regular scanning), beside any questions."""
    applies_if: Condition | None = None
    evidence_examples: list[LocalizedText] = Field(default_factory=list)
    procedure: UniqueList[Procedure] = Field(default_factory=list)
    """The audit techniques, listed for readers of the YAML; exactly the union of ``audit``'s technique lists."""
    audit: ControlAudit
    """What the auditor examines for the control's design (整備状況) and operation (運用状況)."""
    references: list[Reference] = Field(default_factory=list)
    remediation: LocalizedText
    protects: UniqueList[SecurityDimension] = Field(
        default_factory=lambda: [SecurityDimension.CONFIDENTIALITY, SecurityDimension.INTEGRITY], min_length=1
    )
    """Which classification dimensions the control protects; the impact of its risk follows them."""

    @model_validator(mode="after")
    def _assessable(self) -> Control:
        if not self.questions and not self.checks and self.scan_cadence is None:
            raise ValueError("a control needs at least one question, check or scan_cadence")
        ids = [q.id for q in self.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate question id(s): {', '.join(duplicates)}")
        checks = [c.check for c in self.checks]
        repeated = sorted({c for c in checks if checks.count(c) > 1})
        if repeated:
            raise ValueError(f"check(s) listed more than once: {', '.join(repeated)}")
        if str(self.domain.section) != self.section.split(".")[0]:
            raise ValueError(
                f"section {self.section} is not in domain {self.domain.value} (guideline section {self.domain.section})"
            )
        if self.scope is ControlScope.ORGANISATION and self.applies_if is not None:
            raise ValueError(
                "scope: organisation is answered once for every service, so it cannot have applies_if "
                "(make it a service control, or drop the condition)"
            )
        if set(self.procedure) != self.audit.techniques():
            listed = ", ".join(p.value for p in self.procedure) or "nothing"
            wanted = ", ".join(p.value for p in Procedure if p in self.audit.techniques())
            raise ValueError(
                f"procedure lists {listed}, but audit.design and audit.operation use {wanted}; "
                "procedure must name exactly the techniques of the two phases"
            )
        return self

    def question(self, question_id: str) -> Question | None:
        """The question with ``question_id``, if any."""
        return next((q for q in self.questions if q.id == question_id), None)


class RetiredControl(StrictModel):
    """A control id no longer in use: kept so that old answers and risks for it are explained, never reused."""

    id: ControlId
    replaced_by: UniqueList[ControlId] = Field(default_factory=list)
    """The controls that now carry the requirement (none when it was dropped)."""
    reason: LocalizedText


class ChecklistInfo(StrictModel):
    """The header of a checklist file."""

    id: Slug
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    title: LocalizedText
    description: LocalizedText | None = None


class Checklist(StrictModel):
    """A named set of controls, as one YAML file defines it."""

    checklist: ChecklistInfo
    controls: list[Control] = Field(default_factory=list)
    retired: list[RetiredControl] = Field(default_factory=list)
