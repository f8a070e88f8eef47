"""Report input from an evaluated service, and reports written atomically and logged with their path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from secaudit import clock

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from secaudit.model import Language, RiskMatrixKind
    from secaudit.pipeline.evaluation import Evaluation
    from secaudit.pipeline.session import Session
    from secaudit.report import DriftItem, ReportFormat, ReportInput, ScorePoint
    from secaudit.store import Store

REPORTS_SUBDIR = "reports"
HISTORY_ACTION = "report.write"
HISTORY_POINTS = 24

LINKED_FORMATS = ("html", "pdf")
"""The reports the dashboard links to, preferred first: what a browser shows by itself."""


def report_dir(session: Session, service_id: str) -> Path:
    """Where reports of a service go by default: ``.secaudit/reports/<service>/`` (private, 0700)."""
    from secaudit.atomic import private_dir

    ws = session.workspace()
    ws.ensure_data_dir()
    private_dir(ws.data_dir / REPORTS_SUBDIR)
    return private_dir(ws.data_dir / REPORTS_SUBDIR / service_id)


def score_history(store: Store, service_id: str, before: dt.datetime) -> list[ScorePoint]:
    """The pass rate of every earlier report of the service (one point per scan run or day), oldest first."""
    from secaudit.model.common import aware
    from secaudit.report import ScorePoint
    from secaudit.store import audit_log

    points: dict[str, ScorePoint] = {}
    for entry in audit_log.entries(store, subject=service_id):
        if entry.action != HISTORY_ACTION or "pass_rate" not in entry.details:
            continue
        at = aware(dt.datetime.fromisoformat(entry.at))
        if at >= before:
            continue
        key = str(entry.details.get("scan_run") or at.date().isoformat())
        rate = entry.details["pass_rate"]
        points[key] = ScorePoint(at=at, pass_rate=float(rate) if rate is not None else None, label=key)
    return sorted(points.values(), key=lambda p: p.at)[-HISTORY_POINTS:]


def latest_reports(session: Session) -> dict[str, Path]:
    """By service, its newest HTML report that still exists (else its newest PDF), as ``report.write`` logged it.

    Every report written, by ``report`` or ``audit``, wherever ``-o`` put it, is in the audit log with
    its path; a path logged relative (older versions) is taken from the workspace folder.
    """
    from secaudit.store import audit_log

    root = session.workspace().root
    found: dict[str, tuple[int, Path]] = {}  # service -> (rank of its format in LINKED_FORMATS, path)
    for entry in reversed(audit_log.entries(session.store(), action=HISTORY_ACTION)):
        fmt, logged = entry.details.get("format"), entry.details.get("path")
        if fmt not in LINKED_FORMATS or not isinstance(logged, str):
            continue
        rank = LINKED_FORMATS.index(fmt)
        known = found.get(entry.subject)
        if known is not None and known[0] <= rank:
            continue  # a newer report of this format, or of a preferred one, is already linked
        path = Path(logged) if Path(logged).is_absolute() else root / logged
        if path.is_file():
            found[entry.subject] = (rank, path)
    return {service_id: path for service_id, (_, path) in found.items()}


def drift_items(store: Store, service_id: str) -> list[DriftItem] | None:
    """The drift of the latest compared scan run, or None when no run has been compared yet.

    Drift is recorded by scheduled scans (``secaudit.store.drift``); until one has
    compared two runs, reports show an empty state.
    """
    return drift_items_of(store, [service_id]).get(service_id)


def drift_items_of(store: Store, service_ids: Sequence[str]) -> dict[str, list[DriftItem]]:
    """``drift_items`` of several services at once (services never compared are left out)."""
    from secaudit.model.common import aware
    from secaudit.report import DriftItem
    from secaudit.store import drift as drift_store

    found: dict[str, list[DriftItem]] = {}
    for service_id, comparison in drift_store.latest_comparisons_of(store, service_ids).items():
        items = found.setdefault(service_id, [])
        for record in comparison.items:
            detected = record.detected_at or comparison.compared_at
            items.append(
                DriftItem(
                    fingerprint=str(record.fingerprint),
                    state=record.state,
                    summary=str(record.message),
                    detected_at=aware(detected),
                )
            )
    return found


def matrix_levels(kind: RiskMatrixKind) -> dict[tuple[int, int], str]:
    """The level name of every cell of the configured risk matrix (as the risk part rates them)."""
    from secaudit.risk.matrix import matrix_for

    matrix = matrix_for(kind)
    cells = range(1, matrix.size + 1)
    return {(lk, im): matrix.level(lk, im).name for lk in cells for im in cells}


def report_input(
    session: Session,
    evaluation: Evaluation,
    now: dt.datetime,
    with_history: bool = True,
    drift: Mapping[str, list[DriftItem]] | None = None,
) -> ReportInput:
    """The report input of an evaluated service: evaluation, history, drift and matrix levels.

    ``drift`` is the drift of many services read at once (``drift_items_of``); without it the
    service's drift is read from the store.
    """
    from secaudit.report import from_evaluation

    ws = session.workspace()
    store = session.store()
    service_id = evaluation.service.id
    data = from_evaluation(
        evaluation,
        ws.config,
        evaluation.catalog,
        history=score_history(store, service_id, now) if with_history else [],
        drift=drift.get(service_id) if drift is not None else drift_items(store, service_id),
        generated_at=now,
    )
    data.matrix_levels = matrix_levels(ws.config.risk_matrix)
    return data


def _target_path(
    session: Session, service_id: str, output: Path | None, ext: str, lang: Language, now: dt.datetime
) -> Path:
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}-{lang.value}.{ext}"
    if output is None:
        return report_dir(session, service_id) / name
    if output.is_dir():
        return output / f"{service_id}-{name}"
    return output


def write_report(
    session: Session,
    service_id: str,
    fmt: ReportFormat,
    lang: Language | None = None,
    output: Path | None = None,
    evaluation: Evaluation | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Evaluate (unless given), render and atomically write one report; log it; return its path."""
    from secaudit.atomic import atomic_write_bytes
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.report import FORMATS, produce
    from secaudit.store import audit_log

    moment = (now or clock.now()).astimezone(dt.UTC)
    ws = session.workspace()
    language = lang or ws.config.language
    ev = evaluation or evaluate_service(session, service_id, now=moment)
    data = report_input(session, ev, moment)
    body = produce(data, fmt, language, ws.local_dir("reports"))
    path = _target_path(session, ev.service.id, output, FORMATS[fmt].extension, language, moment)
    atomic_write_bytes(path, body, mode=0o600)
    audit_log.record(
        session.store(),
        session.auditor(),
        HISTORY_ACTION,
        ev.service.id,
        {
            "format": fmt.value,
            "language": language.value,
            "path": str(path.absolute()),
            "decision": ev.decision.decision.value,
            "pass_rate": ev.scores.overall.pass_rate,
            "scan_run": ev.last_run.id if ev.last_run else None,
            "catalog_version": ev.catalog.version,
        },
    )
    return path


REGISTER_SUFFIXES = (".xlsx", ".csv", ".json")


def write_register(
    session: Session,
    service_id: str,
    output: Path,
    lang: Language | None = None,
    evaluation: Evaluation | None = None,
) -> Evaluation:
    """Evaluate the service (unless given) and write its register to ``output``, private (0600): a workbook in
    ``lang`` (officers fill in the treatment columns), CSV in the one register schema, or JSON, by the suffix."""
    from secaudit.atomic import atomic_write_bytes, atomic_write_text
    from secaudit.errors import InputError
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.risk.workbook import register_csv, register_json, register_xlsx

    suffix = output.suffix.lower()
    if suffix not in REGISTER_SUFFIXES:
        raise InputError(f"{output}: the register is exported as .xlsx, .csv or .json")
    ev = evaluation or evaluate_service(session, service_id)
    config = session.workspace().config
    if suffix == ".xlsx":
        language = lang or config.language
        from secaudit.store.risks import treatment_versions

        seen = treatment_versions(session.store(), ev.service.id, [e.id for e in ev.register])
        book = register_xlsx(ev.register, ev.service.id, config.risk_matrix.value, language, config.zone, seen)
        atomic_write_bytes(output, book, mode=0o600)
    elif suffix == ".csv":
        atomic_write_text(output, register_csv(ev.register), mode=0o600)
    else:
        atomic_write_text(output, register_json(ev.register), mode=0o600)
    return ev
