"""What officers decide and the audit log keeps: new workspaces, launch decisions, reviews, treatments, pruning.

Each function writes through the store in one transaction (and logs where the audit log must
know); interfaces call these instead of reaching into ``secaudit.store``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from secaudit import clock

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from secaudit.errors import Problem
    from secaudit.model import Language, ResultStatus, RiskEntry, RiskMatrixKind, ScanRun, Treatment
    from secaudit.model.result import Review
    from secaudit.pipeline.evaluation import Evaluation
    from secaudit.pipeline.session import Session
    from secaudit.risk.workbook import RegisterImport
    from secaudit.store.audit_log import LogEntry
    from secaudit.store.retention import PrunePlan
    from secaudit.store.risks import TreatmentConflict
    from secaudit.workspace import Workspace


def create_workspace(
    directory: Path, organisation_ja: str, organisation_en: str, language: Language, risk_matrix: RiskMatrixKind
) -> Workspace:
    """A new workspace with its database created and its creation in the audit log."""
    from secaudit.store import open_store
    from secaudit.store.audit_log import record
    from secaudit.workspace import init_workspace

    ws = init_workspace(directory, organisation_ja, organisation_en, language, risk_matrix)
    store = open_store(ws.database_url)
    try:
        record(store, "secaudit", "workspace.init", str(ws.root), {"language": language.value})
    finally:
        store.close()
    return ws


def record_decision(session: Session, ev: Evaluation, strict: bool) -> None:
    """Put the launch decision and its reasons into the audit log."""
    from secaudit.store import audit_log

    audit_log.record(
        session.store(),
        session.auditor(),
        "gate.decide",
        ev.service.id,
        {
            "decision": ev.decision.decision.value,
            "strict": strict,
            "reasons": [r.model_dump(mode="json") for r in ev.decision.reasons],
            "catalog_version": ev.catalog.version,
            "scan_run": ev.last_run.id if ev.last_run else None,
        },
    )


@dataclass(frozen=True)
class ReviewOutcome:
    """A stored review and the result the evidence alone gave (what it confirms or overrides)."""

    review: Review
    self_assessed: ResultStatus

    @property
    def confirms(self) -> bool:
        """Whether the reviewer agreed with the evidence."""
        return self.review.result is self.self_assessed


def review_control(
    session: Session, service_id: str, control_id: str, result: ResultStatus, note: str, reviewer: str
) -> ReviewOutcome:
    """Confirm or override a control's current result as ``reviewer`` (it lapses when newer evidence arrives);
    refuse a control that does not apply to the service."""
    from pydantic import ValidationError

    from secaudit.errors import InputError
    from secaudit.model import ResultStatus
    from secaudit.model.result import Review
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.store import reviews

    ev = evaluate_service(session, service_id)
    current = ev.result(control_id)
    if current.status is ResultStatus.NOT_APPLICABLE and not current.self_assessed_status and not current.basis:
        raise InputError(f"{control_id} does not apply to {service_id} ({current.reason}); nothing to review")
    try:
        item = Review(
            control_id=control_id, result=result, note=note, reviewer=reviewer, at=clock.now(), basis=current.basis
        )
    except ValidationError as exc:
        raise InputError("invalid review: " + "; ".join(e["msg"] for e in exc.errors())) from None
    self_assessed = current.self_assessed_status or current.underlying_status or current.status
    reviews.save_review(session.store(), ev.service.id, item, self_assessed)
    return ReviewOutcome(item, self_assessed)


def record_treatments(
    session: Session, service_id: str, entries: Sequence[RiskEntry], treatment: Treatment, source: str
) -> None:
    """Store one treatment decision for each of ``entries``."""
    from secaudit.store import risks

    risks.save_treatments(session.store(), service_id, [(e.id, e.control_id, treatment) for e in entries], source)


@dataclass(frozen=True)
class TreatmentImport:
    """What importing a register workbook stored."""

    service_id: str
    stored: int
    unchanged: int


def import_treatments(session: Session, parsed: RegisterImport, source: str) -> TreatmentImport:
    """Store the treatments of a filled-in register that differ from those in force; refuse (nothing stored)
    when a row names a risk the service no longer has or a rating off the configured matrix."""
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.risk.matrix import matrix_for
    from secaudit.risk.workbook import check_against_register, refusal
    from secaudit.store import risks

    ev = evaluate_service(session, parsed.service_id)
    size = matrix_for(session.workspace().config.risk_matrix).size
    problems: list[Problem] = check_against_register(parsed, {e.id for e in ev.register}, size)
    if problems:
        raise refusal(parsed, source, problems)
    current = risks.latest_treatments(session.store(), ev.service.id)
    changed = [
        (item.risk_id, item.control_id, item.treatment)
        for item in parsed.treatments
        if not _same_treatment(current.get(item.risk_id), item.treatment)
    ]
    if parsed.seen is None:
        risks.save_treatments(session.store(), ev.service.id, changed, f"import {source}")
    else:
        conflicts = risks.save_treatments_unless_changed(
            session.store(), ev.service.id, changed, f"import {source}", parsed.seen
        )
        if conflicts:
            raise refusal(parsed, source, [_conflict_problem(parsed, c) for c in conflicts])
    return TreatmentImport(ev.service.id, len(changed), len(parsed.treatments) - len(changed))


def _conflict_problem(parsed: RegisterImport, conflict: TreatmentConflict) -> Problem:
    """A row someone else changed since the workbook was exported, in the workbook's language."""
    from secaudit.errors import Problem
    from secaudit.model import Language

    row = next(t.row for t in parsed.treatments if t.risk_id == conflict.risk_id)
    when = conflict.decided_at[:16].replace("T", " ")
    if parsed.language is Language.JA:
        message = (
            f"{conflict.risk_id} はこの登録簿を書き出した後に {conflict.decided_by} が {when} に変更しました。"
            "登録簿を書き出し直し（secaudit risk export）、その上で変更してください"
        )
    else:
        message = (
            f"{conflict.risk_id} was changed by {conflict.decided_by} at {when} after this register was exported; "
            "export it again (secaudit risk export) and make your change there"
        )
    return Problem(parsed.locate(row, "treatment"), message)


def _same_treatment(old: Treatment | None, new: Treatment) -> bool:
    """Whether ``new`` decides what ``old`` did (who and when aside)."""
    if old is None:
        return False
    ignore = {"decided_by", "decided_at"}
    return old.model_dump(exclude=ignore) == new.model_dump(exclude=ignore)


def verify_log(session: Session) -> tuple[int, list[Problem]]:
    """How many audit-log entries there are, and every edited, deleted or reordered one."""
    from secaudit.store.audit_log import verify_log as verify

    return verify(session.store())


def log_entries(session: Session, subject: str | None = None, limit: int | None = None) -> list[LogEntry]:
    """The newest audit-log entries, about ``subject`` when given."""
    from secaudit.store.audit_log import entries

    return entries(session.store(), subject=subject, limit=limit)


def prune_runs(session: Session, keep_days: int, now: dt.datetime, dry_run: bool) -> tuple[dt.datetime, PrunePlan]:
    """Remove (unless ``dry_run``) scan runs started more than ``keep_days`` before ``now``, under the scan
    lock so a running batch never loses what it reads; return the cutoff and what was (or would be) removed."""
    from secaudit.schedule.lock import RunLock
    from secaudit.store.locks import shared_run_lock
    from secaudit.store.retention import delete_runs, plan_prune

    store = session.store()
    cutoff = now - dt.timedelta(days=keep_days)
    with RunLock(session.workspace().ensure_data_dir()), shared_run_lock(store):
        plan = plan_prune(store, cutoff)
        if not dry_run:
            delete_runs(store, plan.remove, keep_days, actor="prune")
    return cutoff, plan


def last_successful_runs(session: Session, service_ids: Sequence[str]) -> dict[str, ScanRun]:
    """By service, its newest completed scan run (what scheduling counts); services never scanned are left out."""
    from secaudit.store.scans import latest_runs_of

    return latest_runs_of(session.store(), service_ids, successful=True)
