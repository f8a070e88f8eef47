"""SARIF 2.1.0 for scan observations: one rule per check, one result per failed or errored observation."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from secaudit import __version__
from secaudit.model import ObservationStatus, Severity
from secaudit.report.view import ReportView

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def target_uri(target: str) -> str:
    """A URI for an observation's target: URLs as they are, hosts (with a port) as ``tcp://host:port``."""
    if "://" in target:
        return target
    return "tcp://" + quote(target, safe=":[]@.-_~")


def sarif_document(view: ReportView) -> bytes:
    """The scan observations of the report as a SARIF 2.1.0 log."""
    data = view.data
    check_ids = sorted({o.check_id for o in data.observations})
    rules: list[dict[str, Any]] = []
    for check_id in check_ids:
        check = data.checks.get(check_id)
        rule: dict[str, Any] = {"id": check_id, "name": check_id}
        if check is not None:
            rule["shortDescription"] = {"text": check.title.get(view.lang)}
            if check.description is not None:
                rule["fullDescription"] = {"text": check.description.get(view.lang)}
            if check.remediation is not None:
                rule["help"] = {"text": check.remediation.get(view.lang)}
            rule["defaultConfiguration"] = {"level": LEVELS[check.severity]}
            rule["properties"] = {
                "severity": check.severity.value,
                "security-severity": SECURITY_SEVERITY[check.severity],
                "probe": check.probe.value,
                "tags": ["security", check.probe.value],
            }
            if check.baseline is not None:
                rule["properties"]["baseline"] = str(check.baseline)
        rules.append(rule)
    index = {rule_id: i for i, rule_id in enumerate(check_ids)}
    results = []
    for obs in data.observations:
        if obs.status is ObservationStatus.PASS:
            continue
        check = data.checks.get(obs.check_id)
        failed = obs.status is ObservationStatus.FAIL
        results.append(
            {
                "ruleId": obs.check_id,
                "ruleIndex": index[obs.check_id],
                "kind": "fail" if failed else "review",
                "level": (LEVELS[check.severity] if check else "warning") if failed else "none",
                "message": {"text": obs.evidence or obs.status.value},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": target_uri(obs.target)}}}],
                "partialFingerprints": {"secaudit/v1": f"{obs.service_id}/{obs.check_id}/{obs.target}"},
                "properties": {
                    "status": obs.status.value,
                    "observedAt": obs.observed_at.isoformat(),
                    **({"baseline": obs.baseline} if obs.baseline else {}),
                },
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "secaudit",
                "version": __version__,
                "informationUri": "https://github.com/secaudit/secaudit",
                "rules": rules,
            }
        },
        "results": results,
        "properties": {"service": data.service.id},
    }
    if data.last_run is not None:
        invocation: dict[str, Any] = {
            "executionSuccessful": data.last_run.status.value == "completed",
            "startTimeUtc": data.last_run.started_at.isoformat(),
        }
        if data.last_run.finished_at is not None:
            invocation["endTimeUtc"] = data.last_run.finished_at.isoformat()
        run["invocations"] = [invocation]
        run["automationDetails"] = {"id": f"secaudit/{data.service.id}/{data.last_run.id}"}
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
