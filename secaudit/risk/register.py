"""The risk register: findings become risks people own, treat or accept.

Pure: no I/O. The store remembers treatments and each risk's lifecycle
(first seen, resolved, reopened); this module turns those and the current
results into register entries. The launch decision lives in
``secaudit.gate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from secaudit import clock
from secaudit.catalog import Catalog
from secaudit.gate import has_plan
from secaudit.model import (
    ControlResult,
    LocalizedText,
    ResultStatus,
    RiskEntry,
    RiskStatus,
    SecurityDimension,
    Service,
    Severity,
    Treatment,
    TreatmentKind,
)
from secaudit.model.config import RiskMatrixKind
from secaudit.model.result import RiskLifecycle
from secaudit.risk.matrix import RiskMatrix, matrix_for, rate

__all__ = [
    "apply_waivers",
    "build_register",
    "risk_id",
    "validate_treatment",
]

RESOLVING = frozenset({ResultStatus.PASS, ResultStatus.NOT_APPLICABLE})


def risk_id(service_id: str, control_id: str) -> str:
    """The stable register id of the risk a control raises for a service."""
    return f"R-{service_id}-{control_id}"


def validate_treatment(treatment: Treatment, matrix_size: int = 5) -> list[str]:
    """What a treatment lacks: an acceptance needs approver, justification and expiry; others owner and plan."""
    problems = []
    if treatment.kind is TreatmentKind.ACCEPT:
        for name in ("approver", "justification", "expires"):
            value = getattr(treatment, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                problems.append(f"{name}: an acceptance (例外措置) needs an {name}")
    else:
        for name in ("owner", "plan"):
            value = getattr(treatment, name)
            if value is None or not value.strip():
                problems.append(f"{name}: a {treatment.kind.value} treatment needs an {name}")
    for name in ("residual_likelihood", "residual_impact"):
        value = getattr(treatment, name)
        if value is not None and not 1 <= value <= matrix_size:
            problems.append(f"{name}: must be 1..{matrix_size} on this matrix")
    return problems


def build_register(
    service: Service,
    results: Sequence[ControlResult],
    catalog: Catalog,
    matrix_kind: RiskMatrixKind,
    treatments: Mapping[str, Treatment],
    lifecycle: Mapping[str, RiskLifecycle] | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[RiskEntry]:
    """One entry per fail or partial, plus earlier risks now resolved or not reassessed.

    An unverified control (error, not scanned, awaiting an answer) raises no risk: nothing was
    judged. A risk already on record keeps its last rating while its control cannot be reassessed.
    """
    day = today or clock.today()
    moment = now or dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    matrix = matrix_for(matrix_kind)
    known = lifecycle or {}
    register = []
    for result in results:
        rid = risk_id(service.id, result.control_id)
        life = known.get(rid)
        status = _underlying(result)
        if status in RESOLVING and life is not None:
            register.append(_resolved(service, result, rid, life, matrix, catalog, moment))
            continue
        if status.raises_risk:
            rated, weakness, stale = status, result.weakness, False
        elif life is not None and life.resolved_at is None and life.last_result.raises_risk:
            # rated as it was last judged, so a target that stopped answering never lowers a known failure
            rated, weakness, stale = life.last_result, life.last_weakness, True
        else:
            continue
        entry = _entry(service, result, rated, weakness, rid, life, treatments.get(rid), matrix, catalog, day, moment)
        if stale:
            entry.rationale = f"not reassessed (now {status.value}); last rated on {rated.value}: {entry.rationale}"
            entry.rationale_ja = f"今回の結果では再評価できないため、前回の評価による: {entry.rationale_ja}"
        register.append(entry)
    return register


def _protects(catalog: Catalog, result: ControlResult) -> tuple[SecurityDimension, ...]:
    control = catalog.controls.get(result.control_id)
    return tuple(control.protects) if control else (SecurityDimension.CONFIDENTIALITY,)


def _underlying(result: ControlResult) -> ResultStatus:
    if result.status is ResultStatus.WAIVED and result.underlying_status is not None:
        return result.underlying_status
    return result.status


def _describe(result: ControlResult, status: ResultStatus, catalog: Catalog) -> LocalizedText:
    control = catalog.controls.get(result.control_id)
    title = result.title
    if status is ResultStatus.PARTIAL:
        ja_state, en_state = "が一部しか満たされていない", "is only partly met"
    else:
        ja_state, en_state = "が満たされていない", "is not met"
    ja = f"「{title.ja}」{ja_state}。"
    en = f"'{title.en}' {en_state}."
    if control is not None:
        ja += control.rationale.ja
        en += " " + control.rationale.en
    return LocalizedText(ja=ja, en=en)


def _current_treatment(treatment: Treatment | None, life: RiskLifecycle | None, reopening: bool) -> Treatment | None:
    """A treatment decided before the risk was last resolved belongs to its previous life."""
    if treatment is None or life is None:
        return treatment
    cutoff = life.resolved_at if reopening else life.reopened_at
    if cutoff is not None and treatment.decided_at < cutoff:
        return None
    return treatment


def _entry(
    service: Service,
    result: ControlResult,
    status: ResultStatus,
    weakness: Severity | None,
    rid: str,
    life: RiskLifecycle | None,
    treatment: Treatment | None,
    matrix: RiskMatrix,
    catalog: Catalog,
    today: dt.date,
    now: dt.datetime,
) -> RiskEntry:
    rating = rate(service, result, status, matrix, _protects(catalog, result), weakness)
    reopening = life is not None and life.resolved_at is not None
    reopened = (life.reopened if life else 0) + (1 if reopening else 0)
    treatment = _current_treatment(treatment, life, reopening)
    risk_status, note = _lifecycle_status(treatment, reopened, today)
    residual = rating.level
    res_l, res_i = rating.likelihood, rating.impact
    if treatment is not None and treatment.residual_likelihood and treatment.residual_impact:
        res_l = min(treatment.residual_likelihood, matrix.size)
        res_i = min(treatment.residual_impact, matrix.size)
        residual = matrix.level(res_l, res_i)
    return RiskEntry(
        id=rid,
        service_id=service.id,
        control_id=result.control_id,
        title=result.title,
        description=_describe(result, status, catalog),
        result_status=status,
        likelihood=rating.likelihood,
        impact=rating.impact,
        inherent_level=rating.level.name,
        residual_level=residual.name,
        level_rank=rating.level.rank,
        rationale=rating.explanation,
        rationale_ja=rating.explanation_ja,
        weakness=weakness or result.severity,
        status=risk_status,
        treatment=treatment,
        first_seen=life.first_seen if life else now,
        resolved_at=None,
        details={"severity": result.severity.value, "residual_likelihood": res_l, "residual_impact": res_i},
        matrix=matrix.kind.value,
        score=rating.score,
        inherent_rank=rating.level.rank,
        residual_rank=residual.rank,
        reopened=reopened,
        treatment_note=note,
    )


def _lifecycle_status(treatment: Treatment | None, reopened: int, today: dt.date) -> tuple[RiskStatus, str]:
    untreated = RiskStatus.REOPENED if reopened else RiskStatus.OPEN
    if treatment is None:
        return untreated, "no treatment decided"
    if treatment.kind is TreatmentKind.ACCEPT:
        if treatment.expires is not None and treatment.expires >= today:
            return RiskStatus.ACCEPTED, f"accepted by {treatment.approver} until {treatment.expires} (例外措置)"
        return untreated, f"acceptance expired on {treatment.expires}; open again"
    if has_plan(treatment):
        due = f", due {treatment.due}" if treatment.due else ""
        overdue = " (overdue)" if treatment.due is not None and treatment.due < today else ""
        return RiskStatus.TREATING, f"{treatment.kind.value} by {treatment.owner}{due}{overdue}: {treatment.plan}"
    return untreated, f"{treatment.kind.value} decided without a plan"


def _resolved(
    service: Service,
    result: ControlResult,
    rid: str,
    life: RiskLifecycle,
    matrix: RiskMatrix,
    catalog: Catalog,
    now: dt.datetime,
) -> RiskEntry:
    rating = rate(service, result, life.last_result, matrix, _protects(catalog, result), life.last_weakness)
    resolved_at = life.resolved_at or now
    return RiskEntry(
        id=rid,
        service_id=service.id,
        control_id=result.control_id,
        title=result.title,
        description=_describe(result, life.last_result, catalog),
        result_status=_underlying(result),
        likelihood=rating.likelihood,
        impact=rating.impact,
        inherent_level=rating.level.name,
        residual_level=matrix.levels[0].name,
        level_rank=rating.level.rank,
        rationale=f"resolved: the control is now {_underlying(result).value}; was {rating.explanation}",
        status=RiskStatus.RESOLVED,
        treatment=None,
        first_seen=life.first_seen,
        resolved_at=resolved_at,
        details={"severity": result.severity.value, "last_result": life.last_result.value},
        matrix=matrix.kind.value,
        score=rating.score,
        inherent_rank=rating.level.rank,
        residual_rank=matrix.levels[0].rank,
        reopened=life.reopened,
        treatment_note=f"resolved on {resolved_at.date()}",
    )


def apply_waivers(results: Sequence[ControlResult], register: Sequence[RiskEntry]) -> list[ControlResult]:
    """Mark results whose risk is accepted (unexpired) as waived, keeping the failing status underneath."""
    accepted = {e.control_id: e.id for e in register if e.status is RiskStatus.ACCEPTED}
    out = []
    for result in results:
        if result.control_id in accepted and result.status.raises_risk:
            result = result.model_copy(
                update={
                    "status": ResultStatus.WAIVED,
                    "underlying_status": result.status,
                    "waived_by": accepted[result.control_id],
                }
            )
        out.append(result)
    return out
