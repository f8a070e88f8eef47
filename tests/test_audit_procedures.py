"""Counting the audit techniques used over a set of controls (the report's 監査手続 figures)."""

from __future__ import annotations

from typing import Any

from secaudit.audit_procedures import count_techniques
from secaudit.catalog import load_catalog
from secaudit.model import Control
from secaudit.model.control import AuditPhase, Procedure
from secaudit.workspace import builtin_layer


def control(control_id: str, design: list[str], operation: list[str]) -> Control:
    data: dict[str, Any] = {
        "id": control_id,
        "domain": "TEC",
        "section": "6.1",
        "control_type": "technical",
        "title": {"ja": "題", "en": "Title"},
        "rationale": {"ja": "理由", "en": "Why"},
        "severity": "medium",
        "checks": [{"check": "ports.unexpected-open"}],
        "procedure": sorted(set(design) | set(operation)),
        "audit": {
            "design": {"ja": "設計を閲覧する", "en": "Read the design", "techniques": design},
            "operation": {"ja": "運用を確かめる", "en": "Check the operation", "techniques": operation},
        },
        "remediation": {"ja": "直す", "en": "Fix"},
    }
    return Control.model_validate(data)


def test_counts_each_technique_per_phase_and_once_per_control_overall() -> None:
    controls = [
        control("TEC-6.1-901", ["document_review"], ["scan"]),
        control("TEC-6.1-902", ["document_review", "interview"], ["document_review", "re_performance"]),
        control("TEC-6.1-903", ["interview"], ["onsite_inspection", "interview"]),
    ]
    counts = count_techniques(controls)
    assert counts.controls == 3
    assert counts.by_phase[AuditPhase.DESIGN] == {
        Procedure.DOCUMENT_REVIEW: 2,
        Procedure.INTERVIEW: 2,
        Procedure.ONSITE_INSPECTION: 0,
        Procedure.SCAN: 0,
        Procedure.RE_PERFORMANCE: 0,
    }
    assert counts.by_phase[AuditPhase.OPERATION] == {
        Procedure.DOCUMENT_REVIEW: 1,
        Procedure.INTERVIEW: 1,
        Procedure.ONSITE_INSPECTION: 1,
        Procedure.SCAN: 1,
        Procedure.RE_PERFORMANCE: 1,
    }
    # TEC-6.1-902 reviews documents in both phases and TEC-6.1-903 interviews in both: each counted once
    assert counts.either_phase[Procedure.DOCUMENT_REVIEW] == 2
    assert counts.either_phase[Procedure.INTERVIEW] == 2
    assert list(counts.either_phase) == list(Procedure)


def test_no_controls_give_zero_for_every_technique() -> None:
    counts = count_techniques([])
    assert counts.controls == 0
    assert all(n == 0 for phase in counts.by_phase.values() for n in phase.values())
    assert set(counts.by_phase) == set(AuditPhase)


def test_the_baseline_is_examined_by_documents_first_and_scanned_where_checks_judge() -> None:
    catalog = load_catalog([builtin_layer()])
    controls = catalog.controls_of(["mic-baseline"])
    counts = count_techniques(controls)
    assert counts.controls == len(controls) == 155
    assert counts.by_phase[AuditPhase.DESIGN][Procedure.DOCUMENT_REVIEW] == len(controls)
    assert counts.by_phase[AuditPhase.OPERATION][Procedure.SCAN] >= sum(1 for c in controls if c.checks)
    assert counts.by_phase[AuditPhase.OPERATION][Procedure.ONSITE_INSPECTION] > 0
