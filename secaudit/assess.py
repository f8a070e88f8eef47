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
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from secaudit import clock
from secaudit.catalog import Catalog
from secaudit.model import (
    ORGANISATION_ID,
    Answer,
    Control,
    ControlResult,
    ControlScope,
    Observation,
    ObservationStatus,
    Question,
    QuestionType,
    ResultStatus,
    RunStatus,
    ScanRun,
    Scores,
    Service,
    Severity,
    StatusCounts,
    TrailEntry,
    TrailVerdict,
    Verdict,
)
from secaudit.model.control import ScanCadence
from secaudit.model.labels import STATUS_TEXT, ja
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

_VERDICT_STATUS = {
    Verdict.COMPLIANT: ResultStatus.PASS,
    Verdict.PARTIAL: ResultStatus.PARTIAL,
    Verdict.NON_COMPLIANT: ResultStatus.FAIL,
    Verdict.NOT_APPLICABLE: ResultStatus.NOT_APPLICABLE,
}


_RANK = {status: n for n, status in enumerate(PRECEDENCE)}
# Why a part ended as it did, (English, Japanese); the question or check ids follow in brackets.
_ANSWER_WORDS = {
    ResultStatus.FAIL: ("non-compliant answer", "不適合の回答"),
    ResultStatus.PARTIAL: ("partly compliant answer", "一部適合の回答"),
    ResultStatus.AWAITING_ANSWER: ("required answer missing", "必須質問が未回答"),
    ResultStatus.ERROR: ("answer could not be judged", "判定できない回答"),
    ResultStatus.PASS: ("compliant answers", "適合の回答"),
    ResultStatus.NOT_APPLICABLE: ("every answer is not applicable", "すべて該当しないとの回答"),
}
# A city-wide control still awaiting answer is answered once for every service, not by the owner: say where.
_ORGANISATION_QUESTIONNAIRE = (
    "answered for the whole city in the organisation questionnaire (secaudit questionnaire export --organisation)",
    "全庁共通の質問票（secaudit questionnaire export --organisation）で回答する項目",
)
_CHECK_WORDS = {
    ResultStatus.FAIL: ("check failed", "検査で不適合"),
    ResultStatus.PARTIAL: ("a lower-severity check failed", "重要度の低い検査で不適合"),
    ResultStatus.ERROR: ("check errored", "検査がエラー"),
    ResultStatus.NOT_SCANNED: ("not scanned or not run", "検査が未実施"),
    ResultStatus.PASS: ("checks passed", "検査に適合"),
}
_ALL_STATUSES = tuple(ResultStatus)


def worst(statuses: Iterable[ResultStatus]) -> ResultStatus | None:
    """The decisive status among ``statuses`` by PRECEDENCE, or None when there are none."""
    return min((s for s in statuses if s in _RANK), key=_RANK.__getitem__, default=None)


@dataclass(frozen=True)
class _Part:
    status: ResultStatus | None
    reason: str
    reason_ja: str
    trail: list[TrailEntry]
    weakness: Severity | None = None


def assess(
    service: Service,
    catalog: Catalog,
    answers: Mapping[tuple[str, str], Answer],
    observations: Sequence[Observation],
    reviews: Mapping[str, Review] | None = None,
    today: dt.date | None = None,
    trail: bool = True,
    last_run: ScanRun | None = None,
    lapsed: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> list[ControlResult]:
    """One ControlResult per control of the service's checklists, not-applicable ones included.

    ``lapsed`` names answers whose every evidence file is past its valid-until date, with why
    (English, Japanese): such an answer counts as not given, so its control awaits an answer again.

    ``last_run`` is the service's newest scan run that produced evidence (completed or
    unreachable); controls with a ``scan_cadence`` are judged on its date when it completed, and are
    unverified when it reached no target. With ``trail`` false
    the results carry no trail and an evidence basis only where a review needs one: the same
    statuses and reasons, for callers that show no evidence (the dashboard).
    """
    day = today or clock.today()
    by_check: dict[str, list[Observation]] = {}
    for obs in observations:
        if obs.service_id == service.id:
            by_check.setdefault(obs.check_id, []).append(obs)
    known_reviews = reviews or {}
    results = []
    for entry in catalog.applicability(service):
        control = entry.control
        review = known_reviews.get(control.id)
        weakness = None
        if entry.applicable:
            status, (reason, reason_ja), steps, weakness = _judge(
                catalog, control, answers, by_check, day, trail, last_run, lapsed or {}
            )
            basis = evidence_basis(control, answers, by_check, last_run) if trail or review else ""
        else:
            status, steps, basis = ResultStatus.NOT_APPLICABLE, [], ""
            reason, reason_ja = entry.reason.en, entry.reason.ja
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
            reason_ja=reason_ja,
            trail=steps,
            checks=[ref.check for ref in control.checks],
            basis=basis,
            weakness=weakness,
        )
        results.append(apply_review(result, review) if review and entry.applicable else result)
    return results


def _judge(
    catalog: Catalog,
    control: Control,
    answers: Mapping[tuple[str, str], Answer],
    by_check: Mapping[str, Sequence[Observation]],
    today: dt.date,
    keep: bool,
    last_run: ScanRun | None = None,
    lapsed: Mapping[tuple[str, str], tuple[str, str]] | None = None,
) -> tuple[ResultStatus, tuple[str, str], list[TrailEntry], Severity | None]:
    """(status, (reason, reason in Japanese), trail, weakness) of one applicable control; the trail stays
    empty unless ``keep``."""
    parts = []
    if control.questions:
        parts.append(_judge_questions(catalog, control, answers, today, keep, lapsed or {}))
    if control.checks:
        parts.append(_judge_checks(catalog, control, by_check, keep))
    if control.scan_cadence is not None:
        parts.append(_judge_cadence(control, control.scan_cadence, last_run, today, keep))
    status = worst(p.status for p in parts if p.status is not None) or ResultStatus.NOT_APPLICABLE
    deciding = [p for p in parts if p.status is status and p.reason] or [p for p in parts if p.reason]
    reason = ("; ".join(p.reason for p in deciding), "、".join(p.reason_ja for p in deciding))
    weakness = max((p.weakness for p in parts if p.status is status and p.weakness), key=_severity_rank, default=None)
    return status, reason, [t for p in parts for t in p.trail], weakness


def _severity_rank(severity: Severity) -> int:
    return severity.rank


def _judge_questions(
    catalog: Catalog,
    control: Control,
    answers: Mapping[tuple[str, str], Answer],
    today: dt.date,
    keep: bool,
    lapsed: Mapping[tuple[str, str], tuple[str, str]],
) -> _Part:
    trail: list[TrailEntry] = []
    notes: dict[ResultStatus, list[str]] = {}
    expired: list[tuple[str, str, str]] = []
    why_not_applicable: list[str] = []
    informational = False
    for question in control.questions:
        ref = f"{control.id}/{question.id}" if keep else ""
        if not _is_asked(question, control, answers):
            if keep:
                trail.append(
                    TrailEntry(kind="answer", ref=ref, verdict=TrailVerdict.SKIPPED, summary="follow-up not asked")
                )
            continue
        answer = answers.get((control.id, question.id))
        why = lapsed.get((control.id, question.id)) if answer is not None else None
        if why is not None:
            # every evidence file of the answer is past its valid-until date: the answer no longer stands
            expired.append((question.id, *why))
            if question.required:
                notes.setdefault(ResultStatus.AWAITING_ANSWER, []).append(question.id)
            if keep:
                trail.append(
                    TrailEntry(
                        kind="answer",
                        ref=ref,
                        verdict=TrailVerdict.MISSING,
                        summary=f"evidence expired: {why[0]}",
                        summary_ja=f"根拠資料の有効期限切れ: {why[1]}",
                    )
                )
            continue
        if answer is None or answer.value is None or answer.value == [] or answer.value == "":
            if question.required and question.type is not QuestionType.TEXT:
                notes.setdefault(ResultStatus.AWAITING_ANSWER, []).append(question.id)
                if keep:
                    trail.append(
                        TrailEntry(
                            kind="answer", ref=ref, verdict=TrailVerdict.MISSING, summary="required answer missing"
                        )
                    )
            continue
        try:
            _check_choices(catalog.answer_choices(control, question), answer.value)
            verdict = question.judge(answer.value, today)
        except (TypeError, ValueError):
            notes.setdefault(ResultStatus.ERROR, []).append(question.id)
            if keep:
                trail.append(_answer_trail(ref, answer, TrailVerdict.UNJUDGEABLE))
            continue
        if keep:
            trail.append(_answer_trail(ref, answer, TrailVerdict(verdict)))
        informational = informational or verdict is Verdict.INFO
        if verdict is Verdict.NOT_APPLICABLE and answer.comment:
            why_not_applicable.append(" ".join(answer.comment.split()))
        status = _VERDICT_STATUS.get(verdict)
        if status is not None:
            notes.setdefault(status, []).append(question.id)
    status = worst(notes)
    if status is None:
        if informational:
            return _Part(
                ResultStatus.PASS, "answered; the answers are informational only", "回答済み（参考情報のみ）", trail
            )
        return _Part(None, "no question was asked", "質問の対象外", trail)
    weakness = control.severity if status.raises_risk else None
    named = ", ".join(notes.get(status, []))
    en, ja = _ANSWER_WORDS[status]
    if status is ResultStatus.NOT_APPLICABLE and why_not_applicable:
        # the owner's reason is the evidence of a "does not apply": the report and the SoA show it
        because = " / ".join(why_not_applicable)
        return _Part(status, f"{en} ({named}): {because}", f"{ja}（{named}）: 理由「{because}」", trail, weakness)
    if status is ResultStatus.AWAITING_ANSWER and expired:
        stale = ", ".join(q for q, _, _ in expired)
        en_why = "; ".join(e for _, e, _ in expired)
        ja_why = "、".join(j for _, _, j in expired)
        return _Part(
            status,
            f"{en} ({named}); evidence expired ({stale}): {en_why}",
            f"{ja}（{named}）: 根拠資料の有効期限切れ（{stale}）: {ja_why}",
            trail,
            weakness,
        )
    if status is ResultStatus.AWAITING_ANSWER and control.scope is ControlScope.ORGANISATION:
        where_en, where_ja = _ORGANISATION_QUESTIONNAIRE
        return _Part(status, f"{en} ({named}): {where_en}", f"{ja}（{named}）: {where_ja}", trail, weakness)
    return _Part(status, f"{en} ({named})", f"{ja}（{named}）", trail, weakness)


def _check_choices(allowed: frozenset[str], value: object) -> None:
    """An answer outside a question's choices cannot be judged (the store may hold older choices)."""
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


def _answer_trail(ref: str, answer: Answer, verdict: TrailVerdict) -> TrailEntry:
    value = answer.value
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    summary = f"answer: {shown}"
    if answer.evidence:
        summary += f"; evidence: {answer.evidence}"
    source = answer.source.value + (f": {answer.source_ref}" if answer.source_ref else "")
    if answer.from_organisation:  # inherited: the report says so (``organisation: workbook: city.xlsx``)
        source = f"{ORGANISATION_ID}: {source}"
    return TrailEntry(
        kind="answer",
        ref=ref,
        verdict=verdict,
        summary=summary,
        who=answer.answered_by,
        at=answer.answered_at,
        source=source,
    )


def _judge_checks(
    catalog: Catalog, control: Control, by_check: Mapping[str, Sequence[Observation]], keep: bool = True
) -> _Part:
    trail: list[TrailEntry] = []
    notes: dict[ResultStatus, list[str]] = {}
    failed: list[Severity] = []
    for ref in control.checks:
        seen = by_check.get(ref.check, [])
        if not seen and ref.when_observed:
            if keep:
                trail.append(
                    TrailEntry(
                        kind="observation",
                        ref=ref.check,
                        verdict=TrailVerdict.SKIPPED,
                        summary="no imported finding on record (counted only when a scanner's results are imported)",
                        summary_ja="取り込まれた検出結果なし（外部ツールの結果を取り込んだ場合にのみ判定に用います）",
                    )
                )
            continue
        if not seen:
            notes.setdefault(ResultStatus.NOT_SCANNED, []).append(ref.check)
            if keep:
                trail.append(
                    TrailEntry(
                        kind="observation",
                        ref=ref.check,
                        verdict=TrailVerdict.NOT_SCANNED,
                        summary="no observation",
                        summary_ja="観測なし",
                    )
                )
            continue
        for obs in seen if keep else ():
            trail.append(
                TrailEntry(
                    kind="observation",
                    ref=ref.check,
                    verdict=TrailVerdict(obs.status),
                    summary=obs.evidence,
                    summary_ja=obs.evidence_ja,
                    at=obs.observed_at,
                    target=obs.target,
                    baseline=obs.baseline,
                    source=f"scan run {obs.run_id}",
                )
            )
        check = catalog.checks.get(ref.check)
        check_severity = check.severity if check else control.severity
        check_status = check_result(seen, check_severity, control.severity)
        notes.setdefault(check_status, []).append(ref.check)
        if check_status.raises_risk:
            failed.append(check_severity)
    status = worst(notes)
    if status is None:
        if all(ref.when_observed for ref in control.checks):
            return _Part(None, "", "", trail)  # nothing imported: the control rests on its other parts
        raise ValueError(f"control {control.id} lists no checks to judge")
    weakness = max(failed, key=_severity_rank) if failed and status.raises_risk else None
    named = ", ".join(notes[status])
    en, ja = _CHECK_WORDS[status]
    return _Part(status, f"{en} ({named})", f"{ja}（{named}）", trail, weakness)


def _judge_cadence(control: Control, cadence: ScanCadence, run: ScanRun | None, today: dt.date, keep: bool) -> _Part:
    """Regular scanning is judged on whether the scans ran, never on what they found (the checks do that)."""
    if run is None:
        trail = [
            TrailEntry(
                kind="observation",
                ref="scan_cadence",
                verdict=TrailVerdict.NOT_SCANNED,
                summary="no scan run on record",
                summary_ja="検査の実行記録なし",
            )
        ]
        return _Part(
            ResultStatus.NOT_SCANNED,
            f"never scanned (a scan at least every {cadence.max_age_days} days is required)",
            f"検査の実行記録がない（{cadence.max_age_days}日以内ごとの検査が必要）",
            trail if keep else [],
        )
    ran_at = run.finished_at or run.started_at
    if run.status is not RunStatus.COMPLETED:
        # a run that reached no target inspected nothing: the regular inspection is unverified, never passed
        day = ran_at.date().isoformat()
        trail = [
            TrailEntry(
                kind="observation",
                ref="scan_cadence",
                verdict=TrailVerdict.NOT_SCANNED,
                summary=f"latest scan run {run.id} on {day} reached no target",
                summary_ja=f"直近の検査 {run.id}（{day}）は対象に到達しなかった",
                at=ran_at,
                source=f"scan run {run.id}",
            )
        ]
        return _Part(
            ResultStatus.NOT_SCANNED,
            f"the latest scan (run {run.id}, {day}) reached no target: no regular inspection on record",
            f"直近の検査（実行 {run.id}、{day}）は対象に到達しておらず、定期的な検査を確認できない",
            trail if keep else [],
        )
    age = (today - ran_at.date()).days
    on_time = age <= cadence.max_age_days
    day = ran_at.date().isoformat()
    summary = f"latest scan run {run.id} (completed) on {day}: {age} days before {today.isoformat()}"
    summary_ja = f"直近の検査 {run.id}（完了）は{day}、{today.isoformat()}の{age}日前"
    trail = [
        TrailEntry(
            kind="observation",
            ref="scan_cadence",
            verdict=TrailVerdict.PASS if on_time else TrailVerdict.FAIL,
            summary=f"{summary} (at most {cadence.max_age_days})",
            summary_ja=f"{summary_ja}（{cadence.max_age_days}日以内であること）",
            at=ran_at,
            source=f"scan run {run.id}",
        )
    ]
    if on_time:
        return _Part(
            ResultStatus.PASS,
            f"scanned on {day}, within {cadence.max_age_days} days (run {run.id})",
            f"{day}に検査済み、{cadence.max_age_days}日以内（実行 {run.id}）",
            trail if keep else [],
        )
    return _Part(
        ResultStatus.FAIL,
        f"last scanned on {day}, {age} days ago; at most {cadence.max_age_days} days allowed (run {run.id})",
        f"最後の検査は{day}で{age}日経過、{cadence.max_age_days}日以内であること（実行 {run.id}）",
        trail if keep else [],
        control.severity,
    )


def check_result(seen: Sequence[Observation], check_severity: Severity, control_severity: Severity) -> ResultStatus:
    """What one check's observations make of its control.

    A failure fails the control when the check's severity is at most one level below the
    control's; a check two or more levels below (TLS 1.3 not offered under a high control)
    cannot fail it alone and makes it partial. An error, or a check that did not run on some
    target, leaves the control unverified: nothing about it passes unseen.
    """
    found = {o.status for o in seen}
    if ObservationStatus.FAIL in found:
        return ResultStatus.FAIL if check_severity.rank >= control_severity.rank - 1 else ResultStatus.PARTIAL
    if ObservationStatus.ERROR in found:
        return ResultStatus.ERROR
    if ObservationStatus.NOT_RUN in found:
        return ResultStatus.NOT_SCANNED
    return ResultStatus.PASS


def evidence_basis(
    control: Control,
    answers: Mapping[tuple[str, str], Answer],
    by_check: Mapping[str, Sequence[Observation]],
    last_run: ScanRun | None = None,
) -> str:
    """A fingerprint of the answers, observations and (for a scan cadence) the scan run a control's result rests on."""
    items: list[list[str]] = []
    for question in control.questions:
        answer = answers.get((control.id, question.id))
        if answer is not None:
            items.append(["a", question.id, json.dumps(answer.value, default=str), answer.answered_at.isoformat()])
    for ref in control.checks:
        for obs in by_check.get(ref.check, []):
            items.append(["o", obs.check_id, obs.target, obs.run_id, obs.status.value, obs.observed_at.isoformat()])
    if control.scan_cadence is not None and last_run is not None:
        items.append(["r", last_run.id])
    payload = json.dumps(sorted(items), ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def apply_review(result: ControlResult, review: Review) -> ControlResult:
    """Let an officer's review win over the self-assessment while its evidence basis still holds."""
    who = f"reviewed by {review.reviewer}"
    if review.basis != result.basis:
        entry = TrailEntry(
            kind="review",
            ref=result.control_id,
            verdict=TrailVerdict.LAPSED,
            who=review.reviewer,
            at=review.at,
            summary=f"review ({review.result.value}) lapsed: newer evidence since; {review.note}",
        )
        return result.model_copy(update={"trail": [*result.trail, entry]})
    entry = TrailEntry(
        kind="review",
        ref=result.control_id,
        verdict=TrailVerdict(review.result),
        who=review.reviewer,
        at=review.at,
        summary=review.note,
    )
    self_assessed_ja = ja(STATUS_TEXT, result.status.value)
    return result.model_copy(
        update={
            "status": review.result,
            "self_assessed_status": result.status,
            "overridden": review.result is not result.status,
            "reason": f"{who}: {review.note} (self-assessment: {result.status.value})",
            "reason_ja": f"{review.reviewer}による確認: {review.note}（自己評価: {self_assessed_ja}）",
            "trail": [*result.trail, entry],
        }
    )


def score(results: Sequence[ControlResult]) -> Scores:
    """Counts by status and severity, pass rates before and after waivers, coverage; overall and per group."""
    # One pass: how many results share a domain, type, severity, status and underlying status.
    tally = Counter(
        (r.domain.value, r.control_type.value, r.severity.value, r.status, r.underlying_status) for r in results
    )
    groups: tuple[defaultdict[str, Counter[tuple[ResultStatus, ResultStatus | None]]], ...] = (
        defaultdict(Counter),
        defaultdict(Counter),
        defaultdict(Counter),
    )
    overall: Counter[tuple[ResultStatus, ResultStatus | None]] = Counter()
    for (domain, control_type, severity, status, underlying), n in tally.items():
        overall[status, underlying] += n
        for group, name in zip(groups, (domain, control_type, severity), strict=True):
            group[name][status, underlying] += n
    by_domain, by_control_type, by_severity = (
        {name: _counts(group[name]) for name in sorted(group)} for group in groups
    )
    return Scores(
        overall=_counts(overall),
        by_domain=by_domain,
        by_control_type=by_control_type,
        by_severity=by_severity,
    )


def _counts(tally: Counter[tuple[ResultStatus, ResultStatus | None]]) -> StatusCounts:
    """The counts of a group from how many of its results have each (status, underlying status)."""
    counts = dict.fromkeys(_ALL_STATUSES, 0)
    assessed = passed = waived = 0
    for (status, underlying_status), n in tally.items():
        counts[status] += n
        underlying = underlying_status if status is ResultStatus.WAIVED else status
        if underlying in JUDGED:
            assessed += n
            passed += n if underlying is ResultStatus.PASS else 0
            waived += n if status is ResultStatus.WAIVED else 0
    applicable = sum(counts.values()) - counts[ResultStatus.NOT_APPLICABLE]
    return StatusCounts(
        counts=counts,
        applicable=applicable,
        assessed=assessed,
        pass_rate=round(passed / assessed, 4) if assessed else None,
        pass_rate_after_waivers=round((passed + waived) / assessed, 4) if assessed else None,
        coverage=round(assessed / applicable, 4) if applicable else None,
    )
