"""ZAP's JSON report (the "Traditional JSON Report", ``-J`` / ``traditional-json``) into web application findings.

Each ``site`` is matched to the declared URL target with its scheme, host and port; every instance URL
must be under it. Alerts ZAP marks as false positives (confidence 0) are left out. ZAP's report lists
the alerts it raised, not the rules it ran, so it shows no class as tested: a class with no alert is not
observed (never a pass).
"""

from __future__ import annotations

import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any

from secaudit.errors import Problem
from secaudit.importers.base import (
    Imported,
    ImportedFacts,
    UnreadableImport,
    load_json,
    looks_like_json_with,
    url_target,
)
from secaudit.importers.ipa import ipa_class
from secaudit.model import WebAppFacts
from secaudit.model.facts import WebFinding
from secaudit.scan.scope import ScopeDecision

RISKS = {"0": "informational", "1": "low", "2": "medium", "3": "high"}
MAX_INSTANCES = 5


class ZapJsonImporter:
    """ZAP's traditional JSON report."""

    format = "zap-json"
    tool = "ZAP"

    def detect(self, data: bytes) -> bool:
        """JSON with ZAP's ``@programName`` and a ``site`` list."""
        return looks_like_json_with(data, "@programName", "site") and b'"ZAP"' in data[:4096]

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """Each site's alerts, grouped by rule, as the findings of the declared URL target the site is."""
        document = load_json(data, file)
        if not isinstance(document, dict) or not isinstance(document.get("site"), list):
            raise UnreadableImport(f"{file}: not ZAP's JSON report (no site list)", [Problem(file, "no 'site' list")])
        imported = Imported(self.tool, str(document.get("@version") or "")[:40] or None, _created(document, file))
        for index, site in enumerate(document["site"]):
            where = f"{file}: site[{index}]"
            if not isinstance(site, dict) or not isinstance(site.get("@name"), str):
                raise UnreadableImport(f"{where}: no @name", [Problem(where, "no '@name'")])
            name = site["@name"]
            approved = url_target(scope, name)
            if approved is None:
                imported.outside.append(name)
                continue
            facts = WebAppFacts(target=approved.label, tool=f"ZAP {imported.tool_version or ''}".strip())
            for position, alert in enumerate(site.get("alerts") or []):
                found = _finding(alert, f"{where}.alerts[{position}]", scope, approved.label, imported.outside)
                if found is not None:
                    facts.findings.append(found)
            imported.items.append(ImportedFacts(facts))
        return imported


def _created(document: dict[str, Any], file: str) -> dt.datetime:
    """ZAP 2.11+ writes ``created`` (ISO 8601); older reports only ``@generated`` (``Thu, 5 Dec 2026 10:00:00``)."""
    from secaudit.importers.base import parse_moment

    if isinstance(document.get("created"), str):
        return parse_moment(document["created"], file, "created")
    generated = document.get("@generated")
    if isinstance(generated, str):
        try:
            moment = parsedate_to_datetime(generated)
        except (TypeError, ValueError, IndexError):
            moment = None
        if moment is not None:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    raise UnreadableImport(
        f"{file}: the report says neither when it was created nor generated (created, @generated)",
        [Problem(f"{file}: created", "no scan time")],
    )


def _finding(alert: Any, where: str, scope: ScopeDecision, label: str, outside: list[str]) -> WebFinding | None:
    if not isinstance(alert, dict):
        raise UnreadableImport(f"{where}: not an object", [Problem(where, "not an object")])
    risk = RISKS.get(str(alert.get("riskcode")))
    name = str(alert.get("alert") or alert.get("name") or "").strip()
    if risk is None or not name:
        raise UnreadableImport(f"{where}: no riskcode 0-3 or no alert name", [Problem(where, "riskcode/alert")])
    if str(alert.get("confidence")) == "0":
        return None  # ZAP: marked as a false positive
    cwe_text = str(alert.get("cweid") or "")
    cwe = int(cwe_text) if cwe_text.isdigit() and int(cwe_text) > 0 else None
    instances = []
    for entry in alert.get("instances") or []:
        uri = str(entry.get("uri") or "") if isinstance(entry, dict) else ""
        target = url_target(scope, uri)
        if target is None or target.label != label:
            outside.append(uri[:200] or f"{where}: an instance with no URI")
            continue
        method, param = str(entry.get("method") or ""), str(entry.get("param") or "")
        instances.append(" ".join(x for x in (method, uri, f"[{param}]" if param else "") if x)[:300])
    count_text = str(alert.get("count") or "")
    return WebFinding(
        ipa_class=ipa_class(cwe, name),
        name=name[:200],
        risk=risk,
        confidence=str(alert.get("confidence") or "") or None,
        rule=str(alert.get("pluginid") or alert.get("alertRef") or name)[:80],
        cwe=cwe,
        instances=instances[:MAX_INSTANCES],
        count=int(count_text) if count_text.isdigit() else max(1, len(instances)),
    )
