"""Judging controls: answers and scan observations become one ControlResult per control.

Pure: no I/O, no printing. The rules are listed in docs/assessment.md; the
short form is "a status is given only when missing evidence could not change
it": a known failure is a failure whatever else is missing, while a partial
or a pass waits for every required answer and every check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from secaudit.catalog import Catalog
from secaudit.model import (
    Answer,
    Control,
    ControlResult,
    Observation,
    ObservationStatus,
    Question,
    QuestionType,
    ResultStatus,
    Scores,
    Service,
    StatusCounts,
    TrailEntry,
    Verdict,
)
from secaudit.model.result import Review

# Precedence when parts of a control are combined, worst (decisive) first.
# A fail is certain whatever is missing; the unknowns come next because a
# missing answer or check could still turn a partial or a pass into a fail.
PRECEDENCE: tuple[ResultStatus, ...] = (
    ResultStatus.FAIL,
    ResultStatus.ERROR,
    ResultStatus.AWAITING_ANSWER,
    ResultStatus.NOT_SCANNED,
    ResultStatus.PARTIAL,
    ResultStatus.PASS,
    ResultStatus.NOT_APPLICABLE,
)

JUDGED = frozenset({ResultStatus.PASS, ResultStatus.FAIL, ResultStatus.PARTIAL})
FINDINGS = frozenset({ResultStatus.FAIL, ResultStatus.PARTIAL, ResultStatus.ERROR})

_VERDICT_STATUS = {
    Verdict.COMPLIANT: ResultStatus.PASS,
    Verdict.PARTIAL: ResultStatus.PARTIAL,
    Verdict.NON_COMPLIANT: ResultStatus.FAIL,
    Verdict.NOT_APPLICABLE: ResultStatus.NOT_APPLICABLE,
}


def worst(statuses: Iterable[ResultStatus]) -> ResultStatus | None:
    """The decisive status among ``statuses`` by PRECEDENCE, or None when there are none."""
    present = set(statuses)
    return next((s for s in PRECEDENCE if s in present), None)


@dataclass(frozen=True)
class _Part:
    status: ResultStatus | None
    reason: str
    trail: list[TrailEntry]


def assess(
    service: Service,
    catalog: Catalog,
    answers: Mapping[tuple[str, str], Answer],
    observations: Sequence[Observation],
    reviews: Mapping[str, Review] | None = None,
    today: dt.date | None = None,
    trail: bool = True,
) -> list[ControlResult]:
    """One ControlResult per control of the service's checklists, not-applicable ones included.

    With ``trail`` false the results carry no trail and an evidence basis only where a
    review needs one: the same statuses and reasons, for callers that show no evidence
    (the dashboard).
    """
    day = today or dt.date.today()
    by_check: dict[str, list[Observation]] = {}
    for obs in observations:
        if obs.service_id == service.id:
            by_check.setdefault(obs.check_id, []).append(obs)
    known_reviews = reviews or {}
    results = []
    for entry in catalog.applicability(service):
        control = entry.control
        review = known_reviews.get(control.id)
        if entry.applicable:
            status, reason, steps = _judge(control, answers, by_check, day, trail)
            basis = evidence_basis(control, answers, by_check) if trail or review else ""
        else:
            status, reason, steps, basis = ResultStatus.NOT_APPLICABLE, f"not applicable: {entry.reason}", [], ""
        result = ControlResult(
            service_id=service.id,
            control_id=control.id,
            checklist=entry.checklist,
            domain=control.domain,
            control_type=control.control_type,
            severity=control.severity,
            title=control.title,
            status=status,
            reason=reason,
            trail=steps,
            checks=[ref.check for ref in control.checks],
            basis=basis,
        )
        results.append(apply_review(result, review) if review and entry.applicable else result)
    return results


def _judge(
    control: Control,
    answers: Mapping[tuple[str, str], Answer],
    by_check: Mapping[str, Sequence[Observation]],
    today: dt.date,
    keep: bool,
) -> tuple[ResultStatus, str, list[TrailEntry]]:
    """(status, reason, trail) of one applicable control; the trail stays empty unless ``keep``."""
    parts = []
    if control.questions:
        parts.append(_judge_questions(control, answers, today, keep))
    if control.checks:
        parts.append(_judge_checks(control, by_check, keep))
    status = worst(p.status for p in parts if p.status is not None) or ResultStatus.NOT_APPLICABLE
    deciding = [p.reason for p in parts if p.status is status and p.reason]
    reason = "; ".join(deciding) or "; ".join(p.reason for p in parts if p.reason)
    return status, reason, [t for p in parts for t in p.trail]


def _judge_questions(
    control: Control, answers: Mapping[tuple[str, str], Answer], today: dt.date, keep: bool = True
) -> _Part:
    statuses: list[ResultStatus] = []
    trail: list[TrailEntry] = []
    notes: dict[ResultStatus, list[str]] = {}
    informational = False
    for question in control.questions:
        ref = f"{control.id}/{question.id}"
        if not _is_asked(question, control, answers):
            if keep:
                trail.append(TrailEntry(kind="answer", ref=ref, verdict="skipped", summary="follow-up not asked"))
            continue
        answer = answers.get((control.id, question.id))
        if answer is None or answer.value is None or answer.value == [] or answer.value == "":
            if question.required and question.type is not QuestionType.TEXT:
                statuses.append(ResultStatus.AWAITING_ANSWER)
                notes.setdefault(ResultStatus.AWAITING_ANSWER, []).append(question.id)
                if keep:
                    trail.append(
                        TrailEntry(kind="answer", ref=ref, verdict="missing", summary="required answer missing")
                    )
            continue
        try:
            _check_choices(question, answer.value)
            verdict = question.judge(answer.value, today)
        except (AssertionError, TypeError, ValueError):
            statuses.append(ResultStatus.ERROR)
            notes.setdefault(ResultStatus.ERROR, []).append(question.id)
            if keep:
                trail.append(_answer_trail(ref, answer, "unjudgeable"))
            continue
        if keep:
            trail.append(_answer_trail(ref, answer, verdict.value))
        informational = informational or verdict is Verdict.INFO
        status = _VERDICT_STATUS.get(verdict)
        if status is not None:
            statuses.append(status)
            notes.setdefault(status, []).append(question.id)
    status = worst(statuses)
    if status is None:
        if informational:
            return _Part(ResultStatus.PASS, "answered; the answers are informational only", trail)
        return _Part(None, "no question was asked", trail)
    words = {
        ResultStatus.FAIL: "non-compliant answer",
        ResultStatus.PARTIAL: "partly compliant answer",
        ResultStatus.AWAITING_ANSWER: "required answer missing",
        ResultStatus.ERROR: "answer could not be judged",
        ResultStatus.PASS: "compliant answers",
        ResultStatus.NOT_APPLICABLE: "every answer is not applicable",
    }
    return _Part(status, f"{words[status]} ({', '.join(notes.get(status, []))})", trail)


def _check_choices(question: Question, value: object) -> None:
    """An answer outside a question's choices cannot be judged (the store may hold older choices)."""
    allowed = {c.value for c in question.allowed_choices()}
    if not allowed:
        return
    values = value if isinstance(value, list) else [value]
    unknown = [str(v) for v in values if str(v) not in allowed]
    if unknown:
        raise ValueError(f"not one of the choices: {', '.join(unknown)}")


def _is_asked(question: Question, control: Control, answers: Mapping[tuple[str, str], Answer]) -> bool:
    dep = question.depends_on
    if dep is None:
        return True
    parent_question = control.question(dep.question)
    parent = answers.get((control.id, dep.question))
    if parent is None or parent.value is None or parent_question is None:
        return False
    if parent_question.depends_on is not None and not _is_asked(parent_question, control, answers):
        return False
    values = parent.value if isinstance(parent.value, list) else [parent.value]
    return any(str(v) in dep.answer_in for v in values)


def _answer_trail(ref: str, answer: Answer, verdict: str) -> TrailEntry:
    value = answer.value
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    summary = f"answer: {shown}"
    if answer.evidence:
        summary += f"; evidence: {answer.evidence}"
    source = answer.source.value + (f": {answer.source_ref}" if answer.source_ref else "")
    return TrailEntry(
        kind="answer",
        ref=ref,
        verdict=verdict,
        summary=summary,
        who=answer.answered_by,
        at=answer.answered_at,
        source=source,
    )


def _judge_checks(control: Control, by_check: Mapping[str, Sequence[Observation]], keep: bool = True) -> _Part:
    statuses: list[ResultStatus] = []
    trail: list[TrailEntry] = []
    notes: dict[ResultStatus, list[str]] = {}
    for ref in control.checks:
        seen = by_check.get(ref.check, [])
        if not seen:
            statuses.append(ResultStatus.NOT_SCANNED)
            notes.setdefault(ResultStatus.NOT_SCANNED, []).append(ref.check)
            if keep:
                trail.append(
                    TrailEntry(kind="observation", ref=ref.check, verdict="not_scanned", summary="no observation")
                )
            continue
        for obs in seen if keep else ():
            trail.append(
                TrailEntry(
                    kind="observation",
                    ref=ref.check,
                    verdict=obs.status.value,
                    summary=obs.evidence,
                    at=obs.observed_at,
                    target=obs.target,
                    baseline=obs.baseline,
                    source=f"scan run {obs.run_id}",
                )
            )
        check_status = _check_status(seen)
        statuses.append(check_status)
        notes.setdefault(check_status, []).append(ref.check)
    status = worst(statuses)
    assert status is not None
    words = {
        ResultStatus.FAIL: "check failed",
        ResultStatus.ERROR: "check errored",
        ResultStatus.NOT_SCANNED: "not scanned",
        ResultStatus.PASS: "checks passed",
    }
    return _Part(status, f"{words[status]} ({', '.join(notes[status])})", trail)


def _check_status(seen: Sequence[Observation]) -> ResultStatus:
    found = {o.status for o in seen}
    if ObservationStatus.FAIL in found:
        return ResultStatus.FAIL
    if ObservationStatus.ERROR in found:
        return ResultStatus.ERROR
    return ResultStatus.PASS


def evidence_basis(
    control: Control, answers: Mapping[tuple[str, str], Answer], by_check: Mapping[str, Sequence[Observation]]
) -> str:
    """A fingerprint of the answers and observations a control's result rests on."""
    items: list[list[str]] = []
    for question in control.questions:
        answer = answers.get((control.id, question.id))
        if answer is not None:
            items.append(["a", question.id, json.dumps(answer.value, default=str), answer.answered_at.isoformat()])
    for ref in control.checks:
        for obs in by_check.get(ref.check, []):
            items.append(["o", obs.check_id, obs.target, obs.run_id, obs.status.value, obs.observed_at.isoformat()])
    payload = json.dumps(sorted(items), ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def apply_review(result: ControlResult, review: Review) -> ControlResult:
    """Let an officer's review win over the self-assessment while its evidence basis still holds."""
    who = f"reviewed by {review.reviewer}"
    if review.basis != result.basis:
        entry = TrailEntry(
            kind="review",
            ref=result.control_id,
            verdict="lapsed",
            who=review.reviewer,
            at=review.at,
            summary=f"review ({review.result.value}) lapsed: newer evidence since; {review.note}",
        )
        return result.model_copy(update={"trail": [*result.trail, entry]})
    entry = TrailEntry(
        kind="review",
        ref=result.control_id,
        verdict=review.result.value,
        who=review.reviewer,
        at=review.at,
        summary=review.note,
    )
    return result.model_copy(
        update={
            "status": review.result,
            "self_assessed_status": result.status,
            "overridden": review.result is not result.status,
            "reason": f"{who}: {review.note} (self-assessment: {result.status.value})",
            "trail": [*result.trail, entry],
        }
    )


def score(results: Sequence[ControlResult]) -> Scores:
    """Counts by status and severity, pass rates before and after waivers, coverage; overall and per group."""
    return Scores(
        overall=_counts(results),
        by_domain=_grouped(results, lambda r: r.domain.value),
        by_control_type=_grouped(results, lambda r: r.control_type.value),
        by_severity=_grouped(results, lambda r: r.severity.value),
    )


def _grouped(results: Sequence[ControlResult], key: Callable[[ControlResult], str]) -> dict[str, StatusCounts]:
    groups: dict[str, list[ControlResult]] = {}
    for result in results:
        groups.setdefault(key(result), []).append(result)
    return {name: _counts(group) for name, group in sorted(groups.items())}


def _counts(results: Sequence[ControlResult]) -> StatusCounts:
    counts = {s: 0 for s in ResultStatus}
    assessed = passed = waived = 0
    for result in results:
        counts[result.status] += 1
        underlying = result.underlying_status if result.status is ResultStatus.WAIVED else result.status
        if underlying in JUDGED:
            assessed += 1
            passed += underlying is ResultStatus.PASS
            waived += result.status is ResultStatus.WAIVED
    applicable = len(results) - counts[ResultStatus.NOT_APPLICABLE]
    return StatusCounts(
        counts=counts,
        applicable=applicable,
        assessed=assessed,
        pass_rate=round(passed / assessed, 4) if assessed else None,
        pass_rate_after_waivers=round((passed + waived) / assessed, 4) if assessed else None,
        coverage=round(assessed / applicable, 4) if applicable else None,
    )
