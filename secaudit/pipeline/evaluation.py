"""Everything known about one service, gathered and judged: what assess, risk, gate, report and audit share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from secaudit import clock
from secaudit.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from secaudit.catalog import Catalog
    from secaudit.model import (
        Answer,
        ControlResult,
        Decision,
        LocalizedText,
        Observation,
        RiskEntry,
        ScanRun,
        Scores,
        Service,
        Treatment,
    )
    from secaudit.model.config import GatePolicy
    from secaudit.model.result import Review, RiskLifecycle
    from secaudit.pipeline.session import Session
    from secaudit.store import Store
    from secaudit.store.evidence import EvidenceRecord
    from secaudit.store.risks import LifecyclePlan


class UnknownControlError(InputError):
    """A command named a control or risk the service does not have."""


@dataclass
class Evaluation:
    """A service with its catalog, evidence, results, scores, register and launch decision."""

    service: Service
    catalog: Catalog
    results: list[ControlResult]
    scores: Scores
    register: list[RiskEntry]
    decision: Decision
    last_run: ScanRun | None
    observations: list[Observation]
    answers: dict[tuple[str, str], Answer]
    lifecycle_events: list[tuple[str, str]] = field(default_factory=list)
    lifecycle_plan: LifecyclePlan | None = None
    retired_notes: list[LocalizedText] = field(default_factory=list)
    """Answers or risks on record for controls that were retired, explained rather than silently dropped."""
    imported_runs: list[ScanRun] = field(default_factory=list)
    """Imported runs besides ``last_run`` whose observations are in force (``Evidence.imported_runs``)."""

    def risk(self, rid: str) -> RiskEntry:
        """The register entry ``rid``; raise naming the ids that exist."""
        for entry in self.register:
            if entry.id == rid:
                return entry
        known = ", ".join(e.id for e in self.register) or "none"
        raise UnknownControlError(f"{self.service.id} has no risk '{rid}' (risks: {known})")

    def result(self, control_id: str) -> ControlResult:
        """The result of ``control_id``; raise when the service's checklists lack it."""
        for result in self.results:
            if result.control_id == control_id:
                return result
        raise UnknownControlError(f"control '{control_id}' is not in the checklists of {self.service.id}")


@dataclass
class Evidence:
    """What the store knows of one service: answers, latest scan, reviews, treatments, remembered risks."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    last_run: ScanRun | None = None
    observations: list[Observation] = field(default_factory=list)
    reviews: dict[str, Review] = field(default_factory=dict)
    treatments: dict[str, Treatment] = field(default_factory=dict)
    lifecycle: dict[str, RiskLifecycle] = field(default_factory=dict)
    files: dict[str, EvidenceRecord] = field(default_factory=dict)
    """The service's uploaded evidence files, by id (answers refer to them as ``[ev-…]``)."""
    imported_runs: list[ScanRun] = field(default_factory=list)
    """Imported runs (other than ``last_run``) that some of ``observations`` come from, newest first."""


def lapsed_answers(
    answers: dict[tuple[str, str], Answer], files: dict[str, EvidenceRecord], today: dt.date
) -> dict[tuple[str, str], tuple[str, str]]:
    """The answers whose evidence files are all past their valid-until date, with why (English, Japanese)."""
    from secaudit.evidence_files import references

    found: dict[tuple[str, str], tuple[str, str]] = {}
    for key, answer in answers.items():
        named = [files[ref] for ref in references(answer.evidence) if ref in files]
        if named and all(record.expired(today) for record in named):
            last = max(record.valid_until for record in named if record.valid_until is not None)
            ids = ", ".join(f"{r.id} {r.name}" for r in named)
            found[key] = (f"{ids} valid until {last}", f"{ids} の有効期限は {last}")
    return found


def imported_evidence_since(policy: GatePolicy, now: dt.datetime) -> dt.datetime:
    """The oldest scan time at which an imported run still adds evidence: the gate's ``max_scan_age_days``."""
    return now - dt.timedelta(days=policy.max_scan_age_days)


def gather_evidence(
    store: Store, catalog: Catalog, service_ids: Sequence[str], imported_since: dt.datetime | None = None
) -> dict[str, Evidence]:
    """The evidence of several services in a handful of queries (pass at most a few hundred ids); each service's
    answers include the city-wide ones it inherits, and its scan evidence is the evidence in force
    (``secaudit.store.scans.evidence_in_force_of``: its own newest run, with imported runs since
    ``imported_since`` added check by check)."""
    from secaudit.store import answers as answer_store
    from secaudit.store import evidence as evidence_store
    from secaudit.store import reviews as review_store
    from secaudit.store import risks as risk_store
    from secaudit.store import scans as scan_store

    answers = answer_store.answers_in_force_of(store, service_ids, catalog.organisation_control_ids())
    scans = scan_store.evidence_in_force_of(store, service_ids, imported_since)
    reviews = review_store.latest_reviews_of(store, service_ids)
    treatments = risk_store.latest_treatments_of(store, service_ids)
    lifecycle = risk_store.lifecycles_of(store, service_ids)
    files = evidence_store.evidence_files_of(store, service_ids)
    found = {}
    for service_id in service_ids:
        last_run, observations, imported_runs = scans.get(service_id, (None, [], []))
        found[service_id] = Evidence(
            imported_runs=imported_runs,
            answers=answers.get(service_id, {}),
            last_run=last_run,
            observations=observations,
            reviews=reviews.get(service_id, {}),
            treatments=treatments.get(service_id, {}),
            lifecycle=lifecycle.get(service_id, {}),
            files=files.get(service_id, {}),
        )
    return found


def evaluate_service(
    session: Session,
    service_id: str,
    today: dt.date | None = None,
    strict: bool = False,
    now: dt.datetime | None = None,
    *,
    service: Service | None = None,
    evidence: Evidence | None = None,
    record: bool = True,
    trail: bool = True,
) -> Evaluation:
    """Load a service's answers, observations, reviews and treatments, and judge everything.

    ``service`` and ``evidence`` may be given when the caller has loaded them already
    (the dashboard loads many services' evidence at once). With ``record`` false the
    lifecycle changes are left in ``Evaluation.lifecycle_plan`` for the caller to write. With
    ``trail`` false the results carry no evidence trail (statuses and reasons are the same).
    """
    from secaudit.assess import assess, score
    from secaudit.gate import decide
    from secaudit.risk.register import apply_waivers, build_register
    from secaudit.store import risks as risk_store

    ws = session.workspace()
    service = service or session.service(service_id)
    catalog = session.catalog()
    store = session.store()
    moment = now or clock.now()
    day = today or moment.date()
    known = (
        evidence
        or gather_evidence(store, catalog, [service.id], imported_evidence_since(ws.config.gate, moment))[service.id]
    )
    assessed = assess(
        service,
        catalog,
        known.answers,
        known.observations,
        known.reviews,
        day,
        trail=trail,
        last_run=known.last_run,
        lapsed=lapsed_answers(known.answers, known.files, day),
    )
    register = build_register(
        service, assessed, catalog, ws.config.risk_matrix, known.treatments, known.lifecycle, day, now=moment
    )
    plan = risk_store.plan_lifecycle(service.id, register, known.lifecycle, moment)
    if record:
        risk_store.apply_lifecycle(store, [plan])
    results = apply_waivers(assessed, register)
    decision = decide(
        service, results, register, ws.config.gate, known.last_run, known.observations, moment, strict=strict
    )
    return Evaluation(
        service=service,
        catalog=catalog,
        results=results,
        scores=score(results),
        register=register,
        decision=decision,
        last_run=known.last_run,
        observations=known.observations,
        answers=known.answers,
        imported_runs=known.imported_runs,
        lifecycle_events=plan.events,
        lifecycle_plan=None if record else plan,
        retired_notes=catalog.retired_notes(
            [control for control, _ in known.answers] + [life.control_id for life in known.lifecycle.values()]
        ),
    )


def answered_results(session: Session, service: Service) -> list[ControlResult]:
    """The service's controls judged on its answers in force alone, city-wide ones included (none before any
    answer was imported): what the statement of applicability shows as answered 該当しない, and why."""
    from secaudit.assess import assess
    from secaudit.store.answers import answers_in_force

    catalog = session.catalog()
    answers = answers_in_force(session.store(), service.id, catalog.organisation_control_ids())
    return assess(service, catalog, answers, observations=[], trail=False) if answers else []


__all__ = [
    "Evaluation",
    "Evidence",
    "UnknownControlError",
    "answered_results",
    "evaluate_service",
    "gather_evidence",
    "imported_evidence_since",
    "lapsed_answers",
]
