"""SARIF 2.1.0 from a dynamic web application scanner into web application findings.

Each result's location must be an http(s) URL under a declared URL target (results of source-code
analysis, located in files, are refused: they are about code, not about the service's declared URLs). The
scan time is the first invocation's ``startTimeUtc``. A rule's CWE comes from its tags
(``external/cwe/cwe-89``) or relationships; its risk from ``security-severity`` (CVSS), else the result's
level. A run's rule list says what the tool supports, not what it ran, so no class is shown as tested.
"""

from __future__ import annotations

from typing import Any

from secaudit.errors import Problem
from secaudit.importers.base import (
    Imported,
    ImportedFacts,
    UnreadableImport,
    load_json,
    looks_like_json_with,
    parse_moment,
    url_target,
)
from secaudit.importers.ipa import cwe_in, ipa_class
from secaudit.model import WebAppFacts
from secaudit.model.facts import WebFinding
from secaudit.scan.scope import ScopeDecision

LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "informational"}
MAX_INSTANCES = 5


class SarifImporter:
    """SARIF 2.1.0 (``$schema`` or ``version`` 2.1.0) with results located at URLs."""

    format = "sarif"
    tool = "SARIF"

    def detect(self, data: bytes) -> bool:
        """JSON naming SARIF's 2.1.0 version and its ``runs``."""
        head = data[:4096]
        return looks_like_json_with(data, "runs") and (b"sarif" in head.lower()) and b"2.1.0" in head

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """The results of the (first) run, grouped by rule and target."""
        document = load_json(data, file)
        runs = document.get("runs") if isinstance(document, dict) else None
        if not isinstance(runs, list) or not runs or not isinstance(runs[0], dict):
            raise UnreadableImport(f"{file}: not SARIF (no runs)", [Problem(file, "no 'runs' list")])
        if len(runs) > 1:
            raise UnreadableImport(
                f"{file}: {len(runs)} runs; import one tool's run per file", [Problem(f"{file}: runs", "more than one")]
            )
        run = runs[0]
        driver = ((run.get("tool") or {}).get("driver") or {}) if isinstance(run.get("tool"), dict) else {}
        name = str(driver.get("name") or "").strip()[:80] or "SARIF tool"
        version = str(driver.get("semanticVersion") or driver.get("version") or "")[:40] or None
        invocations = run.get("invocations") if isinstance(run.get("invocations"), list) else []
        first = invocations[0] if invocations and isinstance(invocations[0], dict) else {}
        started = parse_moment(first.get("startTimeUtc"), file, "runs[0].invocations[0].startTimeUtc")
        imported = Imported(name, version, started)
        rules = {str(r.get("id")): r for r in driver.get("rules") or [] if isinstance(r, dict)}
        per_target: dict[str, WebAppFacts] = {}
        grouped: dict[tuple[str, str], WebFinding] = {}
        for index, result in enumerate(run.get("results") or []):
            where = f"{file}: runs[0].results[{index}]"
            if not isinstance(result, dict):
                raise UnreadableImport(f"{where}: not an object", [Problem(where, "not an object")])
            url = _url(result, where)
            approved = url_target(scope, url)
            if approved is None:
                imported.outside.append(url[:200])
                continue
            rule_id = str(result.get("ruleId") or (result.get("rule") or {}).get("id") or "")[:80]
            rule = rules.get(rule_id, {})
            title = _title(rule, result, rule_id)
            facts = per_target.setdefault(
                approved.label, WebAppFacts(target=approved.label, tool=f"{name} {version or ''}".strip())
            )
            key = (approved.label, rule_id or title)
            finding = grouped.get(key)
            if finding is None:
                cwe = cwe_in(_tags(rule))
                finding = WebFinding(
                    ipa_class=ipa_class(cwe, title),
                    name=title,
                    risk=_risk(rule, result),
                    rule=rule_id or title,
                    cwe=cwe,
                    count=0,
                )
                grouped[key] = finding
                facts.findings.append(finding)
            finding.count += 1
            if len(finding.instances) < MAX_INSTANCES:
                finding.instances.append(url[:300])
        imported.items = [ImportedFacts(f) for f in per_target.values()]
        return imported


def _url(result: dict[str, Any], where: str) -> str:
    for location in result.get("locations") or []:
        uri = (((location or {}).get("physicalLocation") or {}).get("artifactLocation") or {}).get("uri")
        if isinstance(uri, str) and uri.startswith(("http://", "https://")):
            return uri
    raise UnreadableImport(
        f"{where}: no http(s) location; secaudit imports a dynamic scanner's results against the declared URLs",
        [Problem(where, "no http(s) location (source-code results are not imported)")],
    )


def _title(rule: dict[str, Any], result: dict[str, Any], rule_id: str) -> str:
    for text in (
        (rule.get("shortDescription") or {}).get("text"),
        rule.get("name"),
        (result.get("message") or {}).get("text"),
    ):
        if isinstance(text, str) and text.strip():
            return " ".join(text.split())[:200]
    return rule_id or "unnamed finding"


def _tags(rule: dict[str, Any]) -> list[str]:
    tags = [str(t) for t in (rule.get("properties") or {}).get("tags") or []]
    for relation in rule.get("relationships") or []:
        target = (relation or {}).get("target") or {}
        tags.append(
            f"cwe-{target.get('id')}"
            if str((target.get("toolComponent") or {}).get("name", "")).upper() == "CWE"
            else ""
        )
    return tags


def _risk(rule: dict[str, Any], result: dict[str, Any]) -> str:
    severity = (rule.get("properties") or {}).get("security-severity")
    try:
        score = float(severity) if severity is not None else None
    except (TypeError, ValueError):
        score = None
    if score is not None:
        return "high" if score >= 7 else "medium" if score >= 4 else "low" if score > 0 else "informational"
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning"
    return LEVELS.get(str(level), "medium")
