"""The whole audit of one service: scan, evaluate, write the reports and the register, record the decision."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from secaudit import clock

if TYPE_CHECKING:
    from secaudit.model import Language
    from secaudit.pipeline.evaluation import Evaluation
    from secaudit.pipeline.session import Session
    from secaudit.scan.engine import ScanOutcome

AUDITS_SUBDIR = "audits"


class ScanSkipped(StrEnum):
    """Why an audit ran no scan."""

    NOT_ASKED = "not-asked"
    """The caller judged the latest scan on record instead (``--no-scan``)."""
    NO_SCOPE = "no-scope"
    """The service declares no targets."""


@dataclass
class AuditOutcome:
    """What one audit did: the scan (or why none ran), the evaluation, what was written, and what could not be."""

    evaluation: Evaluation
    folder: Path
    scan: ScanOutcome | None = None
    scan_skipped: ScanSkipped | None = None
    """Why no scan ran; None when one ran."""
    written: dict[str, Path] = field(default_factory=dict)
    """By label (``report (HTML)``, ``risk register``, ...), the file written, in the order written."""
    pdf_problem: str | None = None
    """Why the PDF report could not be written (WeasyPrint's system libraries missing); None when it was."""


def audit_folder(session: Session, service_id: str, now: dt.datetime) -> Path:
    """Where an audit's results go by default: ``.secaudit/audits/<service>/<UTC time>/``."""
    return session.workspace().data_dir / AUDITS_SUBDIR / service_id / now.strftime("%Y%m%dT%H%M%SZ")


def run_audit(
    session: Session,
    service_id: str,
    *,
    language: Language,
    profile: str | None = None,
    folder: Path | None = None,
    strict: bool = False,
    scan: bool = True,
    now: dt.datetime | None = None,
) -> AuditOutcome:
    """Scan the declared scope (unless ``scan`` is false), judge every control, write the HTML and PDF reports,
    the register workbook and the decision into ``folder``, and record the decision in the audit log."""
    from secaudit.atomic import atomic_write_bytes, private_dir
    from secaudit.errors import EnvironmentFailure
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.pipeline.records import record_decision
    from secaudit.pipeline.reporting import write_register, write_report
    from secaudit.pipeline.scanning import scan_service
    from secaudit.report import ReportFormat

    service = session.service(service_id)
    moment = now or clock.now()
    target = folder or audit_folder(session, service.id, moment)
    private_dir(target)

    scanned: ScanOutcome | None = None
    skipped: ScanSkipped | None = None
    if not scan:
        skipped = ScanSkipped.NOT_ASKED
    elif service.scope is None or not service.scope.targets:
        skipped = ScanSkipped.NO_SCOPE
    else:
        scanned = scan_service(session, service.id, profile, service=service)

    ev = evaluate_service(session, service.id, strict=strict, now=moment, service=service)
    outcome = AuditOutcome(evaluation=ev, folder=target, scan=scanned, scan_skipped=skipped)
    outcome.written["report (HTML)"] = write_report(
        session, service.id, ReportFormat.HTML, language, target / f"report-{language.value}.html", ev, moment
    )
    try:
        outcome.written["report (PDF)"] = write_report(
            session, service.id, ReportFormat.PDF, language, target / f"report-{language.value}.pdf", ev, moment
        )
    except EnvironmentFailure as exc:
        outcome.pdf_problem = exc.message
    register_path = target / f"{service.id}-risk-register.xlsx"
    write_register(session, service.id, register_path, language, evaluation=ev)
    outcome.written["risk register"] = register_path
    record_decision(session, ev, strict)
    decision_path = target / "decision.json"
    body = json.dumps(ev.decision.model_dump(mode="json"), ensure_ascii=False, indent=2).encode()
    atomic_write_bytes(decision_path, body, 0o600)
    outcome.written["decision"] = decision_path
    return outcome
