"""What a report is made from: one service's evaluation, plus optional history and drift.

The report never queries anything itself: the CLI gathers these values (from
the store, the catalog and the assessment) and hands them over in one
``ReportInput``. History and drift are optional so that a report can be made
before any scheduled scan has run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from secaudit import clock
from secaudit.errors import InputError
from secaudit.model import (
    Answer,
    Check,
    ChecklistInfo,
    Control,
    ControlResult,
    Decision,
    Observation,
    RiskEntry,
    ScanRun,
    Scores,
    Service,
    WorkspaceConfig,
)
from secaudit.model.drift import DriftState


class ReportError(InputError):
    """A report could not be made from what it was given (bad template, unknown format)."""


@dataclass(frozen=True)
class DriftItem:
    """One change between scan runs, as the schedule part reports it (generic on purpose)."""

    fingerprint: str
    state: DriftState
    summary: str
    detected_at: dt.datetime

    def __post_init__(self) -> None:
        _require_aware("DriftItem.detected_at", self.detected_at)


@dataclass(frozen=True)
class ScorePoint:
    """The overall pass rate at one past assessment, for the trend chart."""

    at: dt.datetime
    pass_rate: float | None
    label: str = ""

    def __post_init__(self) -> None:
        _require_aware("ScorePoint.at", self.at)


def _require_aware(name: str, moment: dt.datetime) -> None:
    """The report shows every moment in the workspace's time zone: a naive one has none to convert from."""
    if moment.tzinfo is None:
        raise ReportError(f"{name} must be timezone-aware")


class CatalogView(Protocol):
    """The part of a catalog a report needs (``secaudit.catalog.Catalog`` fits)."""

    controls: dict[str, Control]
    checks: dict[str, Check]
    checklists: dict[str, ChecklistInfo]
    control_checklist: dict[str, str]

    @property
    def version(self) -> str:
        """A short fingerprint of the catalog."""


class EvaluatedService(Protocol):
    """What a report is made from: one service judged (``secaudit.pipeline.evaluation.Evaluation`` fits)."""

    @property
    def service(self) -> Service: ...
    @property
    def results(self) -> Sequence[ControlResult]: ...
    @property
    def scores(self) -> Scores: ...
    @property
    def register(self) -> Sequence[RiskEntry]: ...
    @property
    def decision(self) -> Decision: ...
    @property
    def last_run(self) -> ScanRun | None: ...
    @property
    def observations(self) -> Sequence[Observation]: ...
    @property
    def answers(self) -> Mapping[tuple[str, str], Answer]: ...
    @property
    def imported_runs(self) -> Sequence[ScanRun]: ...


@dataclass
class ReportInput:
    """Everything one service's report is made from; plain values, no I/O."""

    config: WorkspaceConfig
    service: Service
    controls: Mapping[str, Control]
    checks: Mapping[str, Check]
    results: list[ControlResult]
    scores: Scores
    register: list[RiskEntry]
    decision: Decision
    last_run: ScanRun | None = None
    observations: list[Observation] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    imported_runs: list[ScanRun] = field(default_factory=list)
    """Imported runs besides ``last_run`` whose observations are in force: shown with where they came from."""
    history: list[ScorePoint] = field(default_factory=list)
    drift: list[DriftItem] | None = None
    catalog_version: str = ""
    checklists: Mapping[str, ChecklistInfo] = field(default_factory=dict)
    """The header (title, version) of each checklist the catalog holds: the report's 監査基準."""
    control_checklist: Mapping[str, str] = field(default_factory=dict)
    """Control id -> the checklist that defines it."""
    matrix_levels: dict[tuple[int, int], str] | None = None
    generated_at: dt.datetime = field(default_factory=lambda: clock.now())

    def __post_init__(self) -> None:
        _require_aware("generated_at", self.generated_at)

    def answers_of(self, control_id: str) -> list[Answer]:
        """The answers in force for one control, in question order of the catalog."""
        control = self.controls.get(control_id)
        order = {q.id: i for i, q in enumerate(control.questions)} if control else {}
        found = [a for a in self.answers if a.control_id == control_id]
        return sorted(found, key=lambda a: (order.get(a.question_id, len(order)), a.question_id))


def answers_as_list(answers: Mapping[tuple[str, str], Answer] | Iterable[Answer]) -> list[Answer]:
    """Answers given either as ``latest_answers``' mapping or as a plain list."""
    if isinstance(answers, Mapping):
        return list(answers.values())
    return list(answers)


def from_evaluation(
    evaluation: EvaluatedService,
    config: WorkspaceConfig,
    catalog: CatalogView,
    history: list[ScorePoint] | None = None,
    drift: list[DriftItem] | None = None,
    generated_at: dt.datetime | None = None,
) -> ReportInput:
    """A ReportInput from an ``Evaluation`` (service, results, scores, register, decision, ...)."""
    return ReportInput(
        config=config,
        service=evaluation.service,
        controls=catalog.controls,
        checks=catalog.checks,
        results=list(evaluation.results),
        scores=evaluation.scores,
        register=list(evaluation.register),
        decision=evaluation.decision,
        last_run=evaluation.last_run,
        observations=list(evaluation.observations),
        answers=answers_as_list(evaluation.answers),
        imported_runs=list(evaluation.imported_runs),
        history=list(history or []),
        drift=drift,
        catalog_version=catalog.version,
        checklists=catalog.checklists,
        control_checklist=catalog.control_checklist,
        generated_at=generated_at or clock.now(),
    )
