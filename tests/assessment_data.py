"""Builders for assessment, risk and gate tests: services, controls, answers and observations in memory."""

from __future__ import annotations

import datetime as dt
from typing import Any

from secaudit.catalog import Catalog
from secaudit.model import (
    Answer,
    AnswerSource,
    ChecklistInfo,
    Control,
    Observation,
    ObservationStatus,
    Service,
)

TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
CHECKLIST = "test-list"
AUDIT: dict[str, Any] = {
    "design": {"ja": "規程を閲覧する。", "en": "Read the rules.", "techniques": ["document_review"]},
    "operation": {"ja": "記録を閲覧する。", "en": "Read the records.", "techniques": ["document_review"]},
}
"""The smallest audit block a test control needs; its ``procedure`` is ``[document_review]``."""


def service(
    internet: bool = False,
    personal: bool = False,
    classification: tuple[int | str, int, int] = (2, 2, 1),
    scope: bool = True,
    service_id: str = "svc",
    tier: str = "lgwan",
) -> Service:
    """A service with the given exposure and classification (on LGWAN, a separated network, by default)."""
    data: dict[str, Any] = {
        "id": service_id,
        "name": {"ja": "テスト", "en": "Test"},
        "department": "テスト課",
        "owner": {"name": "Owner", "email": "owner@city.example.jp"},
        "security_officer": {"name": "Officer", "email": "officer@city.example.jp"},
        "classification": dict(zip(("confidentiality", "integrity", "availability"), classification, strict=True)),
        "attributes": {"internet_facing": internet, "personal_data": personal, "network_tier": tier},
        "checklists": [CHECKLIST],
    }
    if scope:
        data["scope"] = {
            "authorized_by": "課長",
            "authorized_until": "2027-12-31",
            "targets": [{"host": "localhost", "addresses": ["127.0.0.1"], "ports": [8443]}],
        }
    return Service.model_validate(data)


def yes_no(qid: str = "q1", **extra: Any) -> dict[str, Any]:
    """A yes/no question (yes compliant, no non-compliant, na not applicable)."""
    return {"id": qid, "type": "yes_no", "text": {"ja": f"{qid}?", "en": f"{qid}?"}, **extra}


def choice(qid: str = "q2", **extra: Any) -> dict[str, Any]:
    """A done / planned / none choice question."""
    return {
        "id": qid,
        "type": "choice",
        "text": {"ja": f"{qid}?", "en": f"{qid}?"},
        "choices": [{"value": v, "label": {"ja": v, "en": v}} for v in ("done", "planned", "none", "na")],
        "compliant": ["done"],
        "partial": ["planned"],
        "non_compliant": ["none"],
        "not_applicable": ["na"],
        **extra,
    }


def text(qid: str = "q9", **extra: Any) -> dict[str, Any]:
    """A free-text question (informational)."""
    return {"id": qid, "type": "text", "text": {"ja": f"{qid}?", "en": f"{qid}?"}, **extra}


def control(
    control_id: str = "TEC-6.1-001",
    severity: str = "high",
    questions: list[dict[str, Any]] | None = None,
    checks: list[str] | None = None,
    applies_if: dict[str, Any] | None = None,
    domain: str | None = None,
    control_type: str = "technical",
) -> Control:
    """A control in the section its id names."""
    section = control_id.split("-")[1]
    dom = domain or control_id.split("-")[0]
    data: dict[str, Any] = {
        "id": control_id,
        "domain": dom,
        "section": section,
        "control_type": control_type,
        "title": {"ja": f"{control_id} の題", "en": f"Title of {control_id}"},
        "rationale": {"ja": "理由。", "en": "Because."},
        "severity": severity,
        "questions": questions or [],
        "checks": [{"check": c} for c in checks or []],
        "remediation": {"ja": "直す。", "en": "Fix it."},
        "procedure": ["document_review"],
        "audit": AUDIT,
    }
    if applies_if is not None:
        data["applies_if"] = applies_if
    return Control.model_validate(data)


def catalog(*controls: Control) -> Catalog:
    """A catalog holding ``controls`` in one checklist."""
    cat = Catalog()
    cat.checklists[CHECKLIST] = ChecklistInfo(id=CHECKLIST, version="1", title={"ja": "テスト", "en": "Test"})
    for c in controls:
        cat.controls[c.id] = c
        cat.control_checklist[c.id] = CHECKLIST
    return cat


def answer(control_id: str, question_id: str, value: Any, at: dt.datetime = NOW, service_id: str = "svc") -> Answer:
    """An answer from a workbook."""
    return Answer(
        service_id=service_id,
        control_id=control_id,
        question_id=question_id,
        value=value,
        answered_by="山田",
        answered_at=at,
        source=AnswerSource.WORKBOOK,
        source_ref="answers.xlsx",
    )


def answers(control_id: str, **values: Any) -> dict[tuple[str, str], Answer]:
    """Answers keyed as the store returns them."""
    return {(control_id, q): answer(control_id, q, v) for q, v in values.items()}


def observation(
    check: str, status: str, target: str = "localhost", run_id: str = "run-1", at: dt.datetime = NOW
) -> Observation:
    """One check judged on one target."""
    return Observation(
        run_id=run_id,
        service_id="svc",
        check_id=check,
        target=target,
        status=ObservationStatus(status),
        evidence=f"{check} on {target}: {status}",
        observed_at=at,
        baseline="Mozilla TLS 6.0",
    )
