"""Pydantic models: the shared language between the parts of secaudit.

Names are imported from their submodule on first use (PEP 562), so that
``from secaudit.model import Language`` on the command line's start-up path
loads the plain enums of ``secaudit.model.vocab`` and not pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secaudit.model.check import Baseline, Check, NmapOptions, ProbeKind, Profile, ScannerFile
    from secaudit.model.classification import Classification, ClassificationScheme, Confidentiality
    from secaudit.model.common import (
        ControlType,
        Domain,
        Language,
        LocalizedText,
        Severity,
        Slug,
        StrictModel,
    )
    from secaudit.model.condition import FACT_NAMES, Condition
    from secaudit.model.config import GatePolicy, RiskMatrixKind, WorkspaceConfig
    from secaudit.model.control import (
        AuditPhase,
        AuditProcedure,
        Checklist,
        ChecklistInfo,
        CheckRef,
        Choice,
        Control,
        ControlAudit,
        ControlScope,
        DependsOn,
        Procedure,
        Question,
        QuestionType,
        Reference,
        Verdict,
    )
    from secaudit.model.drift import DriftKind, DriftState
    from secaudit.model.evidence import Answer, AnswerSource, Observation, ObservationStatus
    from secaudit.model.facts import (
        CertificateInfo,
        CookieInfo,
        Facts,
        HttpFacts,
        PortFacts,
        PortInfo,
        TlsFacts,
        WebAppFacts,
    )
    from secaudit.model.result import (
        OPEN_RISK_STATUSES,
        ControlResult,
        Decision,
        DecisionKind,
        GateReason,
        ResultStatus,
        RiskEntry,
        RiskStatus,
        Scores,
        StatusCounts,
        TrailEntry,
        TrailVerdict,
        Treatment,
        TreatmentKind,
    )
    from secaudit.model.scan import RunStatus, ScanRun
    from secaudit.model.service import (
        ORGANISATION_ID,
        Attributes,
        Cloud,
        Contact,
        NetworkModel,
        NetworkTier,
        Scope,
        Service,
        Target,
    )
    from secaudit.model.vocab import SecurityDimension

_HOMES: dict[str, str] = {
    "Answer": "secaudit.model.evidence",
    "AnswerSource": "secaudit.model.evidence",
    "Attributes": "secaudit.model.service",
    "AuditPhase": "secaudit.model.control",
    "AuditProcedure": "secaudit.model.control",
    "Baseline": "secaudit.model.check",
    "CertificateInfo": "secaudit.model.facts",
    "Check": "secaudit.model.check",
    "CheckRef": "secaudit.model.control",
    "Checklist": "secaudit.model.control",
    "ChecklistInfo": "secaudit.model.control",
    "Choice": "secaudit.model.control",
    "Classification": "secaudit.model.classification",
    "ClassificationScheme": "secaudit.model.classification",
    "Cloud": "secaudit.model.service",
    "Condition": "secaudit.model.condition",
    "Confidentiality": "secaudit.model.classification",
    "Contact": "secaudit.model.service",
    "Control": "secaudit.model.control",
    "ControlAudit": "secaudit.model.control",
    "ControlScope": "secaudit.model.control",
    "ControlResult": "secaudit.model.result",
    "ControlType": "secaudit.model.vocab",
    "CookieInfo": "secaudit.model.facts",
    "Decision": "secaudit.model.result",
    "DecisionKind": "secaudit.model.vocab",
    "DependsOn": "secaudit.model.control",
    "Domain": "secaudit.model.vocab",
    "DriftKind": "secaudit.model.drift",
    "DriftState": "secaudit.model.drift",
    "FACT_NAMES": "secaudit.model.condition",
    "Facts": "secaudit.model.facts",
    "GatePolicy": "secaudit.model.config",
    "GateReason": "secaudit.model.result",
    "HttpFacts": "secaudit.model.facts",
    "WebAppFacts": "secaudit.model.facts",
    "Language": "secaudit.model.vocab",
    "LocalizedText": "secaudit.model.common",
    "NetworkModel": "secaudit.model.service",
    "NetworkTier": "secaudit.model.service",
    "NmapOptions": "secaudit.model.check",
    "OPEN_RISK_STATUSES": "secaudit.model.result",
    "Observation": "secaudit.model.evidence",
    "ObservationStatus": "secaudit.model.evidence",
    "PortFacts": "secaudit.model.facts",
    "PortInfo": "secaudit.model.facts",
    "ProbeKind": "secaudit.model.check",
    "Procedure": "secaudit.model.control",
    "Profile": "secaudit.model.check",
    "Question": "secaudit.model.control",
    "QuestionType": "secaudit.model.control",
    "Reference": "secaudit.model.control",
    "ResultStatus": "secaudit.model.vocab",
    "RiskEntry": "secaudit.model.result",
    "RiskMatrixKind": "secaudit.model.vocab",
    "RiskStatus": "secaudit.model.result",
    "RunStatus": "secaudit.model.scan",
    "ScanRun": "secaudit.model.scan",
    "ScannerFile": "secaudit.model.check",
    "Scope": "secaudit.model.service",
    "Scores": "secaudit.model.result",
    "Service": "secaudit.model.service",
    "ORGANISATION_ID": "secaudit.model.service",
    "SecurityDimension": "secaudit.model.vocab",
    "Severity": "secaudit.model.vocab",
    "Slug": "secaudit.model.common",
    "StatusCounts": "secaudit.model.result",
    "StrictModel": "secaudit.model.common",
    "Target": "secaudit.model.service",
    "TlsFacts": "secaudit.model.facts",
    "TrailEntry": "secaudit.model.result",
    "TrailVerdict": "secaudit.model.vocab",
    "Treatment": "secaudit.model.result",
    "TreatmentKind": "secaudit.model.vocab",
    "Verdict": "secaudit.model.control",
    "WorkspaceConfig": "secaudit.model.config",
}

__all__ = [
    "FACT_NAMES",
    "OPEN_RISK_STATUSES",
    "ORGANISATION_ID",
    "Answer",
    "AnswerSource",
    "Attributes",
    "AuditPhase",
    "AuditProcedure",
    "Baseline",
    "CertificateInfo",
    "Check",
    "CheckRef",
    "Checklist",
    "ChecklistInfo",
    "Choice",
    "Classification",
    "ClassificationScheme",
    "Cloud",
    "Condition",
    "Confidentiality",
    "Contact",
    "Control",
    "ControlAudit",
    "ControlResult",
    "ControlScope",
    "ControlType",
    "CookieInfo",
    "Decision",
    "DecisionKind",
    "DependsOn",
    "Domain",
    "DriftKind",
    "DriftState",
    "Facts",
    "GatePolicy",
    "GateReason",
    "HttpFacts",
    "WebAppFacts",
    "Language",
    "LocalizedText",
    "NetworkModel",
    "NetworkTier",
    "NmapOptions",
    "Observation",
    "ObservationStatus",
    "PortFacts",
    "PortInfo",
    "ProbeKind",
    "Procedure",
    "Profile",
    "Question",
    "QuestionType",
    "Reference",
    "ResultStatus",
    "RiskEntry",
    "RiskMatrixKind",
    "RiskStatus",
    "RunStatus",
    "ScanRun",
    "ScannerFile",
    "Scope",
    "Scores",
    "Service",
    "SecurityDimension",
    "Severity",
    "Slug",
    "StatusCounts",
    "StrictModel",
    "Target",
    "TlsFacts",
    "TrailEntry",
    "TrailVerdict",
    "Treatment",
    "TreatmentKind",
    "Verdict",
    "WorkspaceConfig",
]


def __getattr__(name: str) -> Any:
    """Import ``name`` from its submodule the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
