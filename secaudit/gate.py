"""The launch decision: GO, CONDITIONAL or NO-GO, with every reason.

Pure. The policy is ``GatePolicy`` from ``secaudit.yaml``; the clauses are
listed in docs/risk.md. Each reason names the risks or controls behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from secaudit.model import (
    ControlResult,
    Decision,
    DecisionKind,
    GatePolicy,
    GateReason,
    Observation,
    ObservationStatus,
    ResultStatus,
    RiskEntry,
    RiskStatus,
    RunStatus,
    ScanRun,
    Service,
    Treatment,
    TreatmentKind,
)
from secaudit.model.labels import LEVEL_TEXT, RISK_STATUS_TEXT, SEVERITY_TEXT, TREATMENT_TEXT, ja

_ORDER = {DecisionKind.GO: 0, DecisionKind.CONDITIONAL: 1, DecisionKind.NO_GO: 2}


def has_plan(treatment: Treatment | None) -> bool:
    """True for a mitigate, transfer or avoid decision that says what will be done."""
    return treatment is not None and treatment.kind is not TreatmentKind.ACCEPT and bool((treatment.plan or "").strip())


def decide(
    service: Service,
    results: Sequence[ControlResult],
    register: Sequence[RiskEntry],
    policy: GatePolicy,
    last_run: ScanRun | None,
    observations: Sequence[Observation],
    now: dt.datetime,
    strict: bool = False,
) -> Decision:
    """Apply the gate policy; ``strict`` turns on every requirement and blocks unplanned risks too.

    ``observations`` are the latest run's: its errored and not-run checks are named as reasons.
    """
    require_answers = policy.require_answers or strict
    require_scan = policy.require_scan or strict
    block_unplanned = policy.block_unplanned or strict
    reasons: list[GateReason] = []
    reasons += _risk_reasons(register, policy, block_unplanned)
    if require_answers:
        reasons += _answer_reasons(results)
    if require_scan:
        reasons += _scan_reasons(service, results, policy, last_run, observations, now)
    reasons += _accepted_notes(register)
    decision = max((r.decision for r in reasons), key=_ORDER.__getitem__, default=DecisionKind.GO)
    if decision is DecisionKind.GO and not any(r.decision is DecisionKind.GO for r in reasons):
        reasons.append(
            GateReason(
                clause="clear",
                decision=DecisionKind.GO,
                message="no open risk, missing answer or scan gap",
                message_ja="未対応のリスク、未回答の必須質問、スキャンの不足はありません",
            )
        )
    return Decision(
        service_id=service.id,
        decision=decision,
        reasons=reasons,
        decided_at=now,
        strict=strict,
        policy={
            **policy.model_dump(mode="json"),
            "require_answers": require_answers,
            "require_scan": require_scan,
            "block_unplanned": block_unplanned,
        },
    )


def _treatment_ja(entry: RiskEntry) -> str:
    """The treatment in a few Japanese words."""
    treatment = entry.treatment
    if treatment is None:
        return "対応方針が未決定"
    plan = f"対応計画: {treatment.plan}" if treatment.plan else f"対応方針: {ja(TREATMENT_TEXT, treatment.kind.value)}"
    return plan + (f"、期限 {treatment.due}" if treatment.due else "")


def _risk_reasons(register: Sequence[RiskEntry], policy: GatePolicy, block_unplanned: bool) -> list[GateReason]:
    reasons = []
    open_risks = sorted((e for e in register if e.status.is_open), key=lambda e: (-e.level_rank, -e.score, e.id))
    low = []
    block_ja = ja(SEVERITY_TEXT, policy.block_at.value)
    for entry in open_risks:
        label = f"{entry.id} ({entry.inherent_level}, {entry.status.value}): {entry.title.en} / {entry.title.ja}"
        status_ja = ja(RISK_STATUS_TEXT, entry.status.value)
        label_ja = f"{entry.id}（{ja(LEVEL_TEXT, entry.inherent_level)}、{status_ja}）: {entry.title.ja}"
        refs = [entry.id, entry.control_id]
        if entry.level_rank >= policy.block_at.rank:
            reasons.append(
                GateReason(
                    clause="open-risk",
                    decision=DecisionKind.NO_GO,
                    message=f"{label} is open at or above {policy.block_at.value}; {entry.treatment_note}",
                    message_ja=f"{label_ja} がリスクレベル「{block_ja}」以上のまま未解消です（{_treatment_ja(entry)}）",
                    refs=refs,
                )
            )
        elif entry.level_rank >= policy.conditional_at.rank:
            if has_plan(entry.treatment):
                reasons.append(
                    GateReason(
                        clause="treatment-plan",
                        decision=DecisionKind.CONDITIONAL,
                        message=f"{label} launches under its treatment plan: {entry.treatment_note}",
                        message_ja=f"{label_ja} は対応計画のもとでの開始となります（{_treatment_ja(entry)}）",
                        refs=refs,
                    )
                )
            else:
                kind = DecisionKind.NO_GO if block_unplanned else DecisionKind.CONDITIONAL
                reasons.append(
                    GateReason(
                        clause="no-treatment-plan",
                        decision=kind,
                        message=f"{label} has no treatment plan; record one with 'secaudit risk treat'",
                        message_ja=f"{label_ja} に対応計画がありません（secaudit risk treat で記録してください）",
                        refs=refs,
                    )
                )
        else:
            low.append(entry)
    if low:
        reasons.append(
            GateReason(
                clause="low-risks",
                decision=DecisionKind.GO,
                message=f"{len(low)} open risk(s) below {policy.conditional_at.value}: " + ", ".join(e.id for e in low),
                message_ja=f"リスクレベル「{ja(SEVERITY_TEXT, policy.conditional_at.value)}」未満の未対応リスク"
                f" {len(low)} 件: " + "、".join(e.id for e in low),
                refs=[e.id for e in low],
            )
        )
    return reasons


def _answer_reasons(results: Sequence[ControlResult]) -> list[GateReason]:
    waiting = [r.control_id for r in results if r.status is ResultStatus.AWAITING_ANSWER]
    if not waiting:
        return []
    return [
        GateReason(
            clause="answers",
            decision=DecisionKind.NO_GO,
            message=f"{len(waiting)} control(s) await required answers: {', '.join(waiting)}",
            message_ja=f"必須質問が未回答の管理策が {len(waiting)} 件あります: {'、'.join(waiting)}",
            refs=waiting,
        )
    ]


def scan_required(service: Service, results: Sequence[ControlResult]) -> bool:
    """A scan is required when the service declares targets and has applicable scan-verified controls."""
    has_scope = service.scope is not None and bool(service.scope.targets)
    return has_scope and any(r.checks and r.status is not ResultStatus.NOT_APPLICABLE for r in results)


def _scan_reasons(
    service: Service,
    results: Sequence[ControlResult],
    policy: GatePolicy,
    last_run: ScanRun | None,
    observations: Sequence[Observation],
    now: dt.datetime,
) -> list[GateReason]:
    if not scan_required(service, results):
        unscanned = [r.control_id for r in results if r.status is ResultStatus.NOT_SCANNED]
        if not unscanned:
            return []
        return [
            GateReason(
                clause="scan-not-declared",
                decision=DecisionKind.GO,
                message=f"{len(unscanned)} control(s) cannot be verified by scan (no targets in scope): "
                + ", ".join(unscanned),
                message_ja=f"検証対象が宣言されていないため、{len(unscanned)} 件の管理策はスキャンで確認できません: "
                + "、".join(unscanned),
                refs=unscanned,
            )
        ]
    if last_run is None:
        return [
            GateReason(
                clause="scan-missing",
                decision=DecisionKind.NO_GO,
                message="no completed scan on record; run 'secaudit scan' first",
                message_ja="完了したスキャンの記録がありません（先に secaudit scan を実行してください）",
            )
        ]
    reasons = []
    finished = last_run.finished_at or last_run.started_at
    age = max(0, (now - finished).days)  # a clock set back makes no scan older than new
    if age > policy.max_scan_age_days:
        reasons.append(
            GateReason(
                clause="scan-stale",
                decision=DecisionKind.NO_GO,
                message=f"the latest scan ({last_run.id}, {finished.date()}) is {age} days old; "
                f"the policy allows {policy.max_scan_age_days}",
                message_ja=f"最新のスキャン（{last_run.id}、{finished.date()}）は {age} 日前のもので、"
                f"方針の上限 {policy.max_scan_age_days} 日を超えています",
                refs=[last_run.id],
            )
        )
    if last_run.status is RunStatus.UNREACHABLE:
        reasons.append(
            GateReason(
                clause="scan-unreachable",
                decision=DecisionKind.NO_GO,
                message=f"no target answered the latest scan ({last_run.id}): {last_run.error or 'unreachable'}",
                message_ja=f"最新のスキャン（{last_run.id}）ではどの対象も応答しませんでした",
                refs=[last_run.id],
            )
        )
    for status, clause, en_words, ja_words in (
        (ObservationStatus.ERROR, "scan-errors", "errored", "エラーになりました（エラーは合格とみなしません）"),
        (
            ObservationStatus.NOT_RUN,
            "scan-not-run",
            "did not run",
            "実施されませんでした（未実施は合格とみなしません）",
        ),
    ):
        named = _checks_with(observations, status)
        if named:
            reasons.append(
                GateReason(
                    clause=clause,
                    decision=DecisionKind.NO_GO,
                    message=f"{len(named)} check(s) {en_words} in the latest scan ({last_run.id}), their controls "
                    "unverified: " + "; ".join(f"{check} ({why})" for check, why in named.items()),
                    message_ja=f"最新のスキャン（{last_run.id}）で {len(named)} 件の検査が{ja_words}: "
                    + "、".join(named),
                    refs=[last_run.id, *named],
                )
            )
    unscanned = [r.control_id for r in results if r.status is ResultStatus.NOT_SCANNED]
    if unscanned:
        reasons.append(
            GateReason(
                clause="scan-incomplete",
                decision=DecisionKind.NO_GO,
                message=f"{len(unscanned)} control(s) have checks the latest scan did not run: {', '.join(unscanned)}",
                message_ja=f"最新のスキャンで実施されていない検査を持つ管理策が {len(unscanned)} 件あります: "
                + "、".join(unscanned),
                refs=unscanned,
            )
        )
    return reasons


def _checks_with(observations: Sequence[Observation], status: ObservationStatus) -> dict[str, str]:
    """Check id -> the first target and evidence of its observations in ``status``, in check order."""
    named: dict[str, str] = {}
    for obs in observations:
        if obs.status is status and obs.check_id not in named:
            named[obs.check_id] = f"{obs.target}: {obs.evidence}"[:200]
    return named


def _accepted_notes(register: Sequence[RiskEntry]) -> list[GateReason]:
    """Accepted risks no longer stand in the way; the gate counts them but names them only in the register."""
    accepted = [e for e in register if e.status is RiskStatus.ACCEPTED]
    if not accepted:
        return []
    soonest = min(e.treatment.expires for e in accepted if e.treatment and e.treatment.expires)
    return [
        GateReason(
            clause="accepted",
            decision=DecisionKind.GO,
            message=f"{len(accepted)} risk(s) accepted under 例外措置, the first acceptance expiring {soonest} "
            "(see 'secaudit risk list')",
            message_ja=f"{len(accepted)} 件のリスクが例外措置として受容されています（最も早い期限 {soonest}）",
        )
    ]
