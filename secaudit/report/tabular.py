"""Machine-readable exports: the whole report as JSON, the risk register as CSV."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from secaudit import __version__
from secaudit.report.view import ReportView


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


def register_table(view: ReportView) -> bytes:
    """The report's register as CSV in the register's own schema, the same file as ``risk export`` writes."""
    # imported here: the register workbook module brings openpyxl, which an HTML or PDF report never needs
    from secaudit.risk.workbook import register_csv

    return register_csv(view.register).encode("utf-8")
