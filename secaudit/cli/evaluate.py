"""Everything known about one service, judged: the shared core of assess, risk, gate, report and audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from secaudit.errors import InputError

if TYPE_CHECKING:
    from secaudit.catalog import Catalog
    from secaudit.cli.common import AppState
    from secaudit.model import (
        Answer,
        ControlResult,
        Decision,
        Observation,
        RiskEntry,
        ScanRun,
        Scores,
        Service,
    )


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


def evaluate_service(
    st: AppState,
    service_id: str,
    today: dt.date | None = None,
    strict: bool = False,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Load a service's answers, observations, reviews and treatments, and judge everything."""
    from secaudit.assess import assess, score
    from secaudit.inventory import find_service
    from secaudit.model import ObservationStatus
    from secaudit.risk import apply_waivers, build_register, decide
    from secaudit.store import answers as answer_store
    from secaudit.store import reviews as review_store
    from secaudit.store import risks as risk_store
    from secaudit.store import scans as scan_store

    ws = st.workspace()
    service = find_service(ws.services_dir, service_id)
    catalog = st.catalog()
    store = st.store()
    moment = now or dt.datetime.now(dt.UTC)
    day = today or moment.date()
    answers = answer_store.latest_answers(store, service.id)
    last_run, observations = scan_store.latest_observations(store, service.id)
    reviews = review_store.latest_reviews(store, service.id)
    treatments = risk_store.latest_treatments(store, service.id)
    lifecycle = risk_store.lifecycle_of(store, service.id)
    assessed = assess(service, catalog, answers, observations, reviews, day)
    register = build_register(service, assessed, catalog, ws.config.risk_matrix, treatments, lifecycle, day, now=moment)
    events = risk_store.sync_lifecycle(store, service.id, register, moment)
    results = apply_waivers(assessed, register)
    run_errors = sum(1 for o in observations if o.status is ObservationStatus.ERROR)
    decision = decide(service, results, register, ws.config.gate, last_run, run_errors, moment, strict=strict)
    return Evaluation(
        service=service,
        catalog=catalog,
        results=results,
        scores=score(results),
        register=register,
        decision=decision,
        last_run=last_run,
        observations=observations,
        answers=answers,
        lifecycle_events=events,
    )


__all__ = ["Evaluation", "UnknownControlError", "evaluate_service"]
