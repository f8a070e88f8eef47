"""A realistic synthetic evaluation of the demo service, built from real model objects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.catalog import load_catalog
from secaudit.inventory import load_service
from secaudit.model import (
    Answer,
    AnswerSource,
    ControlResult,
    Decision,
    DecisionKind,
    GateReason,
    LocalizedText,
    Observation,
    ObservationStatus,
    ResultStatus,
    RiskEntry,
    RiskStatus,
    RunStatus,
    ScanRun,
    Scores,
    StatusCounts,
    TrailEntry,
    Treatment,
    TreatmentKind,
    WorkspaceConfig,
)
from secaudit.model.classification import ClassificationScheme
from secaudit.report import DriftItem, DriftState, ReportInput, ScorePoint
from secaudit.workspace import builtin_layer

R6 = ClassificationScheme.R6

REPO = Path(__file__).resolve().parents[2]
HOSTILE_BANNER = "<script>alert(1)</script>"
HOSTILE_ANSWER = "<img src=x onerror=alert(2)> | col | **bold** [link](javascript:alert(3))"
NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)

STATUSES = {
    "HUM-5.2-001": ResultStatus.PARTIAL,
    "HUM-5.3-001": ResultStatus.PASS,
    "HUM-5.4-001": ResultStatus.FAIL,
    "PHY-4.1-001": ResultStatus.NOT_APPLICABLE,
    "PHY-4.2-001": ResultStatus.NOT_APPLICABLE,
    "PHY-4.4-001": ResultStatus.AWAITING_ANSWER,
    "TEC-6.2-001": ResultStatus.WAIVED,
    "TEC-6.1-001": ResultStatus.PASS,
    "TEC-6.1-002": ResultStatus.FAIL,
    "TEC-6.5-001": ResultStatus.FAIL,
    "TEC-6.6-001": ResultStatus.ERROR,
    "ORG-1-001": ResultStatus.PASS,
}
ASSESSED = {ResultStatus.PASS, ResultStatus.FAIL, ResultStatus.PARTIAL, ResultStatus.WAIVED}


def status_counts(statuses: list[ResultStatus]) -> StatusCounts:
    """Counts and rates the way the assessment defines them."""
    counts: dict[ResultStatus, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    applicable = sum(n for s, n in counts.items() if s is not ResultStatus.NOT_APPLICABLE)
    assessed = sum(n for s, n in counts.items() if s in ASSESSED)
    passed = counts.get(ResultStatus.PASS, 0)
    waived = counts.get(ResultStatus.WAIVED, 0)
    return StatusCounts(
        counts=counts,
        applicable=applicable,
        assessed=assessed,
        pass_rate=passed / assessed if assessed else None,
        pass_rate_after_waivers=(passed + waived) / assessed if assessed else None,
        coverage=assessed / applicable if applicable else None,
    )


def build_input(tmp_catalog: object | None = None, hostile: bool = True, **overrides: object) -> ReportInput:
    """The synthetic evaluation of kosodate-portal (a realistic mix of every status)."""
    catalog = load_catalog([builtin_layer()])
    service = load_service(REPO / "examples" / "services" / "kosodate-portal.yaml", catalog.checklists, R6)
    config = WorkspaceConfig(organisation=LocalizedText(ja="テスト市", en="Test City"), auditor="監査 太郎")
    run = ScanRun(
        id="run-0001",
        service_id=service.id,
        profile="standard",
        started_at=NOW - dt.timedelta(minutes=5),
        finished_at=NOW - dt.timedelta(minutes=4),
        status=RunStatus.COMPLETED,
        secaudit_version="0.1.0",
        nmap_version="7.93",
        scope={"targets": ["localhost", "https://localhost:8443/"]},
    )
    banner = HOSTILE_BANNER if hostile else "nginx"

    def obs(check: str, target: str, status: ObservationStatus, evidence: str) -> Observation:
        return Observation(
            run_id=run.id,
            service_id=service.id,
            check_id=check,
            target=target,
            status=status,
            evidence=evidence,
            observed_at=NOW - dt.timedelta(minutes=4),
            baseline=str(catalog.checks[check].baseline) if catalog.checks[check].baseline else None,
        )

    observations = [
        obs("ports.unexpected-open", "localhost", ObservationStatus.FAIL, f"port 8080/tcp open: banner {banner}"),
        obs(
            "tls.legacy-protocols-disabled",
            "https://localhost:8443/",
            ObservationStatus.PASS,
            "offers TLSv1.2, TLSv1.3",
        ),
        obs("tls.certificate-valid", "https://localhost:8443/", ObservationStatus.PASS, "valid until 2027-02-01"),
        obs("tls.certificate-trusted", "https://localhost:8443/", ObservationStatus.PASS, "chains to ca.pem"),
        obs("tls.certificate-hostname", "https://localhost:8443/", ObservationStatus.PASS, "matches localhost"),
        obs("http.permissions-policy", "https://localhost:8443/", ObservationStatus.FAIL, "no Permissions-Policy header"),
        obs("http.content-type-options", "https://localhost:8443/", ObservationStatus.PASS, "nosniff"),
        obs("http.frame-protection", "https://localhost:8443/", ObservationStatus.FAIL, "no X-Frame-Options | no CSP"),
        obs("http.csp", "https://localhost:8443/", ObservationStatus.ERROR, "timed out after 10 s"),
    ]
    answered = NOW - dt.timedelta(days=3)
    hostile_text = HOSTILE_ANSWER if hostile else "see the attached policy"

    def ans(control: str, question: str, value: object, evidence: str | None = None) -> Answer:
        return Answer(
            service_id=service.id,
            control_id=control,
            question_id=question,
            value=value,  # type: ignore[arg-type]
            evidence=evidence,
            answered_by="山田 花子",
            answered_at=answered,
            source=AnswerSource.WORKBOOK,
            source_ref="kosodate-portal.xlsx",
        )

    answers = [
        ans("HUM-5.2-001", "q1", dt.date(2025, 6, 1), "研修受講記録 2025"),
        ans("HUM-5.3-001", "q1", "yes", "インシデント対応手順書 v3"),
        ans("HUM-5.3-001", "q2", "done"),
        ans("HUM-5.3-001", "q3", "yes"),
        ans("HUM-5.4-001", "q1", "no"),
        ans("TEC-6.2-001", "q1", dt.date(2024, 1, 10)),
        ans("TEC-6.5-001", "q1", "no"),
        ans("ORG-1-001", "q1", "yes", hostile_text),
        ans("ORG-1-001", "q2", hostile_text),
    ]
    results = []
    for applicability in catalog.applicability(service):
        control = applicability.control
        if control.id not in STATUSES:
            continue  # a fixed mix of a dozen controls, however large the shipped catalog grows
        status = STATUSES[control.id]
        trail = [
            TrailEntry(
                kind="answer",
                ref=f"{a.control_id}/{a.question_id}",
                verdict="compliant",
                summary=str(a.value),
                who=a.answered_by,
                at=a.answered_at,
                source="workbook",
            )
            for a in answers
            if a.control_id == control.id
        ]
        checks = {ref.check for ref in control.checks}
        trail += [
            TrailEntry(
                kind="observation",
                ref=o.check_id,
                verdict=o.status.value,
                summary=o.evidence,
                at=o.observed_at,
                target=o.target,
                baseline=o.baseline,
            )
            for o in observations
            if o.check_id in checks
        ]
        results.append(
            ControlResult(
                service_id=service.id,
                control_id=control.id,
                checklist=applicability.checklist,
                domain=control.domain,
                control_type=control.control_type,
                severity=control.severity,
                title=control.title,
                status=status,
                reason="" if applicability.applicable else applicability.reason.en,
                reason_ja="" if applicability.applicable else applicability.reason.ja,
                trail=trail,
            )
        )
    by_domain: dict[str, list[ResultStatus]] = {}
    for r in results:
        by_domain.setdefault(r.domain.value, []).append(r.status)
    scores = Scores(
        overall=status_counts([r.status for r in results]),
        by_domain={d: status_counts(s) for d, s in by_domain.items()},
    )

    def risk(control_id: str, likelihood: int, impact: int, level: str, rank: int, **kw: object) -> RiskEntry:
        control = catalog.controls[control_id]
        return RiskEntry(
            id=f"R-{service.id}-{control_id}",
            service_id=service.id,
            control_id=control_id,
            title=control.title,
            description=control.rationale,
            result_status=STATUSES[control_id],
            likelihood=likelihood,
            impact=impact,
            inherent_level=level,
            residual_level=kw.pop("residual", level),  # type: ignore[arg-type]
            level_rank=rank,
            rationale=f"impact {impact} from classification C3 and severity; likelihood {likelihood}: internet-facing",
            status=kw.pop("status", RiskStatus.OPEN),  # type: ignore[arg-type]
            first_seen=NOW - dt.timedelta(days=30),
            **kw,  # type: ignore[arg-type]
        )

    register = [
        risk("TEC-6.1-002", 5, 4, "critical", 4),
        risk("HUM-5.4-001", 4, 4, "high", 3),
        risk(
            "TEC-6.5-001",
            4,
            3,
            "high",
            3,
            treatment=Treatment(
                kind=TreatmentKind.MITIGATE,
                owner='=HYPERLINK("http://x")',
                plan="HSTS を設定する",
                due=dt.date(2027, 1, 31),
                decided_by="佐藤 一郎",
                decided_at=NOW,
            ),
            status=RiskStatus.TREATING,
        ),
        risk("HUM-5.2-001", 2, 3, "medium", 2),
        risk(
            "TEC-6.2-001",
            3,
            4,
            "high",
            3,
            residual="medium",
            status=RiskStatus.ACCEPTED,
            treatment=Treatment(
                kind=TreatmentKind.ACCEPT,
                approver="CISO",
                justification="2027年3月に更新予定",
                expires=dt.date(2027, 3, 31),
                decided_by="佐藤 一郎",
                decided_at=NOW,
            ),
        ),
    ]
    decision = Decision(
        service_id=service.id,
        decision=DecisionKind.NO_GO,
        reasons=[
            GateReason(
                clause="open-risk",
                decision=DecisionKind.NO_GO,
                message="R-kosodate-portal-TEC-6.1-002 (High, open) is open at or above high",
                message_ja="R-kosodate-portal-TEC-6.1-002（高、未対応）が高以上のまま未解消です",
                refs=["R-kosodate-portal-TEC-6.1-002", "TEC-6.1-002"],
            ),
            GateReason(
                clause="open-risk",
                decision=DecisionKind.NO_GO,
                message="R-kosodate-portal-HUM-5.4-001 (High, open) is open at or above high",
                message_ja="R-kosodate-portal-HUM-5.4-001（高、未対応）が高以上のまま未解消です",
                refs=["R-kosodate-portal-HUM-5.4-001", "HUM-5.4-001"],
            ),
            GateReason(
                clause="answers",
                decision=DecisionKind.NO_GO,
                message="1 control(s) await required answers: PHY-4.4-001",
                message_ja="必須質問が未回答の管理策が 1 件あります: PHY-4.4-001",
                refs=["PHY-4.4-001"],
            ),
        ],
        decided_at=NOW,
    )
    values: dict[str, object] = {
        "config": config,
        "service": service,
        "controls": catalog.controls,
        "checks": catalog.checks,
        "results": results,
        "scores": scores,
        "register": register,
        "decision": decision,
        "last_run": run,
        "observations": observations,
        "answers": answers,
        "history": [
            ScorePoint(at=NOW - dt.timedelta(days=60), pass_rate=0.25),
            ScorePoint(at=NOW - dt.timedelta(days=30), pass_rate=0.4),
        ],
        "drift": [
            DriftItem("ports:localhost:8080", DriftState.NEW, f"new open port 8080 ({banner})", NOW),
            DriftItem("tls:cert", DriftState.CHANGED, "certificate renewed", NOW - dt.timedelta(days=1)),
        ],
        "catalog_version": catalog.version,
        "generated_at": NOW,
    }
    values.update(overrides)
    return ReportInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def report_input() -> ReportInput:
    """The synthetic evaluation with hostile text in a banner and in answers."""
    return build_input()
