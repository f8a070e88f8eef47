"""OSCAL 1.2.1 assessment-results: the report as a document other GRC tools can read.

Answers become observations with the methods INTERVIEW (and EXAMINE when
evidence was offered), scan observations become TEST observations, every
assessed control gets a finding, and every register entry a risk whose
likelihood and impact are facets of a characterization. Ids are uuid5 of
stable names, so the same inputs give the same document and re-runs diff
cleanly. Empty arrays and nulls are left out, as the schema requires.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from secaudit import __version__
from secaudit.model import Answer, Observation, ObservationStatus, ResultStatus, RiskEntry, RiskStatus
from secaudit.report.view import ReportView

OSCAL_VERSION = "1.2.1"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:secaudit:oscal")
SECAUDIT_NS = "urn:secaudit:oscal"
NIST_NS = "http://csrc.nist.gov/ns/oscal"
RISK_STATUS = {
    RiskStatus.OPEN: "open",
    RiskStatus.TREATING: "remediating",
    RiskStatus.ACCEPTED: "deviation-approved",
    RiskStatus.RESOLVED: "closed",
    RiskStatus.REOPENED: "open",
}
ASSESSED = {ResultStatus.PASS, ResultStatus.FAIL, ResultStatus.PARTIAL, ResultStatus.WAIVED}
_TOKEN_BAD = re.compile(r"[^\w.\-]", re.UNICODE)


def stable_uuid(*parts: str) -> str:
    """A uuid5 of the given names: the same names always give the same id."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def line(value: object) -> str:
    """A one-line string with no leading or trailing space (OSCAL's string and markup-line types)."""
    return " ".join(str(value).split())


def token(value: str) -> str:
    """An OSCAL token: letters, digits, '.', '-', '_', starting with a letter or '_'."""
    cleaned = _TOKEN_BAD.sub("_", value)
    return cleaned if cleaned[:1].isalpha() or cleaned[:1] == "_" else f"_{cleaned}"


def prop(name: str, value: object, ns: str | None = SECAUDIT_NS) -> dict[str, Any] | None:
    """A property, or None when the value is empty (pruned later)."""
    text = line(value) if value is not None else ""
    if not text:
        return None
    return {"name": name, "value": text, "ns": ns}


def prune(value: Any) -> Any:
    """Drop None values and empty lists everywhere (empty objects stay: include-all needs one)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in pruned.items() if not (isinstance(v, list) and not v)}
    if isinstance(value, list):
        items = [prune(v) for v in value if v is not None]
        return [v for v in items if not (isinstance(v, list) and not v)]
    return value


class _Builder:
    def __init__(self, view: ReportView) -> None:
        self.view = view
        self.data = view.data
        self.sid = view.data.service.id
        self.tool_uuid = stable_uuid("tool", "secaudit")
        self.org_uuid = stable_uuid("party", "organisation", self.data.config.organisation.en)
        self.service_uuid = stable_uuid(self.sid, "component")
        self.people: dict[str, str] = {}
        self.targets: dict[str, str] = {}
        self.observations_by_control: dict[str, list[str]] = {}

    def person(self, name: str) -> str:
        key = line(name) or "unknown"
        return self.people.setdefault(key, stable_uuid("party", "person", key))

    def target(self, name: str) -> str:
        return self.targets.setdefault(name, stable_uuid(self.sid, "target", name))

    def answer_observation(self, answer: Answer) -> dict[str, Any]:
        lang = self.view.lang
        control = self.data.controls.get(answer.control_id)
        question = control.question(answer.question_id) if control else None
        value = ", ".join(answer.value) if isinstance(answer.value, list) else answer.value
        asked = question.text.get(lang) if question else answer.question_id
        obs_uuid = stable_uuid(self.sid, "answer", answer.control_id, answer.question_id)
        self.observations_by_control.setdefault(answer.control_id, []).append(obs_uuid)
        methods = ["INTERVIEW", *(["EXAMINE"] if answer.evidence else [])]
        return {
            "uuid": obs_uuid,
            "title": line(f"{answer.control_id} {answer.question_id}"),
            "description": f"{asked}\n\n{value}",
            "props": [
                prop("control-id", answer.control_id),
                prop("question-id", answer.question_id),
                prop("answer", value),
                prop("source", answer.source.value),
                prop("source-ref", answer.source_ref),
            ],
            "methods": methods,
            "types": ["control-objective"],
            "origins": [{"actors": [{"type": "party", "actor-uuid": self.person(answer.answered_by)}]}],
            "subjects": [{"subject-uuid": self.service_uuid, "type": "component"}],
            "relevant-evidence": [{"description": answer.evidence}] if answer.evidence else None,
            "collected": answer.answered_at.isoformat(),
            "remarks": answer.comment or None,
        }

    def scan_observation(self, obs: Observation, controls: list[str]) -> dict[str, Any]:
        obs_uuid = stable_uuid(self.sid, "scan", obs.check_id, obs.target)
        for control_id in controls:
            self.observations_by_control.setdefault(control_id, []).append(obs_uuid)
        check = self.data.checks.get(obs.check_id)
        return {
            "uuid": obs_uuid,
            "title": line(f"{obs.check_id} {obs.target}"),
            "description": obs.evidence or obs.status.value,
            "props": [
                prop("check-id", obs.check_id),
                prop("status", obs.status.value),
                prop("target", obs.target),
                prop("baseline", obs.baseline),
                prop("scan-run", obs.run_id),
                prop("severity", check.severity.value if check else None),
            ],
            "methods": ["TEST"],
            "types": ["finding" if obs.status is ObservationStatus.FAIL else "control-objective"],
            "origins": [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}],
            "subjects": [
                {"subject-uuid": self.target(obs.target), "type": "inventory-item", "title": line(obs.target)}
            ],
            "collected": obs.observed_at.isoformat(),
        }

    def risk(self, entry: RiskEntry) -> dict[str, Any]:
        lang = self.view.lang
        control = self.data.controls.get(entry.control_id)
        treatment = entry.treatment
        remediations: list[dict[str, Any]] = []
        if control is not None:
            remediations.append(
                {
                    "uuid": stable_uuid(self.sid, "risk", entry.id, "recommendation"),
                    "lifecycle": "recommendation",
                    "title": line(entry.title.get(lang)),
                    "description": control.remediation.get(lang),
                    "origins": [{"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}],
                }
            )
        if treatment is not None:
            remediations.append(
                {
                    "uuid": stable_uuid(self.sid, "risk", entry.id, "treatment"),
                    "lifecycle": "planned",
                    "title": line(f"{treatment.kind.value}: {entry.title.get(lang)}"),
                    "description": treatment.plan or treatment.justification or treatment.kind.value,
                    "props": [
                        prop("treatment", treatment.kind.value),
                        prop("owner", treatment.owner),
                        prop("approver", treatment.approver),
                        prop("expires", treatment.expires.isoformat() if treatment.expires else None),
                    ],
                    "origins": [{"actors": [{"type": "party", "actor-uuid": self.person(treatment.decided_by)}]}],
                }
            )
        deadline = None
        if treatment is not None and treatment.due is not None:
            deadline = dt.datetime.combine(treatment.due, dt.time(23, 59, 59), tzinfo=self.view.tz).isoformat()
        return {
            "uuid": stable_uuid(self.sid, "risk", entry.id),
            "title": line(entry.title.get(lang)),
            "description": entry.description.get(lang),
            "statement": entry.rationale or entry.description.get(lang),
            "props": [
                prop("risk-id", entry.id),
                prop("control-id", entry.control_id),
                prop("result-status", entry.result_status.value),
            ],
            "status": RISK_STATUS[entry.status],
            "characterizations": [
                {
                    "origin": {"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]},
                    "facets": [
                        {"name": "likelihood", "system": NIST_NS, "value": str(entry.likelihood)},
                        {"name": "impact", "system": NIST_NS, "value": str(entry.impact)},
                        {"name": "risk", "system": NIST_NS, "value": line(entry.inherent_level)},
                        {"name": "residual-level", "system": SECAUDIT_NS, "value": line(entry.residual_level)},
                    ],
                }
            ],
            "deadline": deadline,
            "remediations": remediations,
            "related-observations": [
                {"observation-uuid": u} for u in dict.fromkeys(self.observations_by_control.get(entry.control_id, []))
            ],
        }

    def finding(self, result: Any, risk_uuid: str | None) -> dict[str, Any]:
        satisfied = result.status is ResultStatus.PASS
        reason = {ResultStatus.PASS: "pass", ResultStatus.FAIL: "fail", ResultStatus.PARTIAL: "fail"}.get(
            result.status, "other"
        )
        return {
            "uuid": stable_uuid(self.sid, "finding", result.control_id),
            "title": line(f"{result.control_id} {result.title.get(self.view.lang)}"),
            "description": result.reason or self.view.t.status_name(result.status.value),
            "props": [
                prop("result-status", result.status.value),
                prop("severity", result.severity.value),
                prop("domain", result.domain.value),
            ],
            "target": {
                "type": "objective-id",
                "target-id": token(result.control_id),
                "status": {
                    "state": "satisfied" if satisfied else "not-satisfied",
                    "reason": reason,
                    "remarks": "accepted as an exception (waived)" if result.status is ResultStatus.WAIVED else None,
                },
            },
            "related-observations": [
                {"observation-uuid": u} for u in dict.fromkeys(self.observations_by_control.get(result.control_id, []))
            ],
            "related-risks": [{"risk-uuid": risk_uuid}] if risk_uuid else None,
        }

    def document(self) -> dict[str, Any]:
        data, view = self.data, self.view
        check_controls: dict[str, list[str]] = {}
        for control_id, control in data.controls.items():
            for ref in control.checks:
                check_controls.setdefault(ref.check, []).append(control_id)
        applicable = [r for r in data.results if r.status is not ResultStatus.NOT_APPLICABLE]
        in_scope = {r.control_id for r in data.results}
        observations = [self.answer_observation(a) for a in data.answers if a.control_id in in_scope]
        observations += [
            self.scan_observation(o, [c for c in check_controls.get(o.check_id, []) if c in in_scope])
            for o in data.observations
        ]
        risks = [self.risk(r) for r in view.register]
        risk_uuid = {r.control_id: stable_uuid(self.sid, "risk", r.id) for r in view.register}
        findings = [self.finding(r, risk_uuid.get(r.control_id)) for r in applicable if r.status in ASSESSED]
        start = view.period_start or data.generated_at
        parties = [
            {"uuid": self.org_uuid, "type": "organization", "name": line(data.config.organisation.get(view.lang))},
            *({"uuid": party_uuid, "type": "person", "name": name} for name, party_uuid in sorted(self.people.items())),
        ]
        auditor_uuid = self.person(view.auditor)
        if all(p["uuid"] != auditor_uuid for p in parties):
            parties.append({"uuid": auditor_uuid, "type": "person", "name": line(view.auditor)})
        inventory = [
            {"uuid": target_uuid, "description": name, "props": [prop("target", name)]}
            for name, target_uuid in sorted(self.targets.items())
        ]
        service = data.service
        launched = service.launch_date is not None and service.launch_date <= data.generated_at.date()
        document: dict[str, Any] = {
            "uuid": stable_uuid(self.sid, "assessment-results"),
            "metadata": {
                "title": line(f"{view.title}: {view.service_name}"),
                "last-modified": data.generated_at.isoformat(),
                "version": line(data.catalog_version or __version__),
                "oscal-version": OSCAL_VERSION,
                "props": [prop("secaudit-version", __version__), prop("language", view.lang.value)],
                "roles": [{"id": "assessor", "title": "Assessor"}, {"id": "tool", "title": "Assessment tool"}],
                "parties": parties,
                "responsible-parties": [{"role-id": "assessor", "party-uuids": [auditor_uuid]}],
            },
            "import-ap": {
                "href": f"urn:secaudit:assessment-plan:{self.sid}",
                "remarks": "secaudit keeps no separate assessment plan: the plan is the service's checklists "
                "and declared scan scope.",
            },
            "results": [
                {
                    "uuid": stable_uuid(self.sid, "result"),
                    "title": line(f"{view.title}: {view.service_name}"),
                    "description": "\n\n".join(view.opinion),
                    "start": start.isoformat(),
                    "end": max(data.generated_at, start).isoformat(),
                    "props": [
                        prop("decision", data.decision.decision.value),
                        prop("pass-rate", data.scores.overall.pass_rate),
                        prop("service-id", self.sid),
                    ],
                    "local-definitions": {
                        "components": [
                            {
                                "uuid": self.service_uuid,
                                "type": "service",
                                "title": line(view.service_name),
                                "description": service.description.get(view.lang)
                                if service.description
                                else line(view.service_name),
                                "props": [prop("department", service.department)],
                                "status": {"state": "operational" if launched else "under-development"},
                            },
                            {
                                "uuid": self.tool_uuid,
                                "type": "software",
                                "title": "secaudit",
                                "description": f"secaudit {__version__}",
                                "status": {"state": "operational"},
                            },
                        ],
                        "inventory-items": inventory,
                    },
                    "reviewed-controls": {
                        "control-selections": [
                            {"include-controls": [{"control-id": token(r.control_id)} for r in applicable]}
                            if applicable
                            else {"include-all": {}}
                        ]
                    },
                    "observations": observations,
                    "risks": risks,
                    "findings": findings,
                }
            ],
        }
        pruned: dict[str, Any] = prune(document)
        return pruned


def oscal_document(view: ReportView) -> bytes:
    """The report as an OSCAL assessment-results JSON document."""
    body = _Builder(view).document()
    text = json.dumps({"assessment-results": body}, ensure_ascii=False, indent=2, sort_keys=False)
    return (text + "\n").encode("utf-8")
