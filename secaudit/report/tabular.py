"""Machine-readable exports: the whole report as JSON, the risk register as CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from secaudit import __version__
from secaudit.cellsafety import neutralise
from secaudit.report.view import ReportView

REGISTER_COLUMNS = (
    "risk_id",
    "service_id",
    "control_id",
    "title",
    "result_status",
    "likelihood",
    "impact",
    "inherent_level",
    "residual_level",
    "status",
    "treatment",
    "owner",
    "due",
    "approver",
    "expires",
    "justification",
    "first_seen",
    "rationale",
)


def report_json(view: ReportView) -> bytes:
    """Everything the report is made of, plus its conclusions, as one JSON document."""
    data = view.data

    def dump(items: list[Any]) -> list[Any]:
        return [item.model_dump(mode="json") for item in items]

    document = {
        "format": "secaudit-report",
        "format_version": 1,
        "secaudit_version": __version__,
        "language": view.lang.value,
        "generated_at": data.generated_at.isoformat(),
        "organisation": data.config.organisation.model_dump(mode="json"),
        "auditor": view.auditor,
        "period": {
            "start": view.period_start.isoformat() if view.period_start else None,
            "end": view.period_end.isoformat(),
        },
        "catalog_version": data.catalog_version,
        "service": data.service.model_dump(mode="json"),
        "decision": data.decision.model_dump(mode="json"),
        "scores": data.scores.model_dump(mode="json"),
        "opinion": view.opinion,
        "findings": [f.result.control_id for f in view.findings],
        "recommendations": [f.result.control_id for f in view.recommendations],
        "good_practice": [f.result.control_id for f in view.good_practice],
        "results": dump(data.results),
        "register": dump(data.register),
        "last_run": data.last_run.model_dump(mode="json") if data.last_run else None,
        "observations": dump(data.observations),
        "answers": dump(data.answers),
        "history": [{"at": p.at.isoformat(), "pass_rate": p.pass_rate, "label": p.label} for p in data.history],
        "drift": None
        if data.drift is None
        else [{**asdict(d), "state": d.state.value, "detected_at": d.detected_at.isoformat()} for d in data.drift],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def spreadsheet_safe(value: object) -> str:
    """A cell value a spreadsheet will not run as a formula (prefixed with an apostrophe when it could)."""
    return neutralise("" if value is None else str(value))


def register_csv(view: ReportView) -> bytes:
    """The risk register as CSV (UTF-8 with BOM so Excel reads Japanese), formula-injection safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for risk in view.register:
        treatment = risk.treatment
        row = (
            risk.id,
            risk.service_id,
            risk.control_id,
            risk.title.get(view.lang),
            risk.result_status.value,
            risk.likelihood,
            risk.impact,
            risk.inherent_level,
            risk.residual_level,
            risk.status.value,
            treatment.kind.value if treatment else "",
            treatment.owner if treatment else "",
            treatment.due.isoformat() if treatment and treatment.due else "",
            treatment.approver if treatment else "",
            treatment.expires.isoformat() if treatment and treatment.expires else "",
            treatment.justification if treatment else "",
            risk.first_seen.isoformat() if risk.first_seen else "",
            risk.rationale,
        )
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
