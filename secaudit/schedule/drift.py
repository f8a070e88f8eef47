"""Drift between two runs of one service: pure functions over facts and observations.

Errored facts are never compared: a probe that could not finish says nothing
about what closed or went away.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from secaudit.model import Facts, Observation, ObservationStatus, ScanRun
from secaudit.model.drift import DriftKind, DriftState
from secaudit.scan.probes import REGISTRY
from secaudit.scan.probes.base import DriftPolicy, Probe
from secaudit.store.drift import DriftRecord


@dataclass(frozen=True)
class RunView:
    """What drift reads of one run: the run record, its facts and its observations."""

    run: ScanRun
    facts: list[Facts] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class DriftResult:
    """The changes one run shows against its baseline, and how many checks newly fail."""

    items: list[DriftRecord]
    new_failures: int
    baseline_run_id: str | None

    @property
    def has_news(self) -> bool:
        """True when something appeared or changed (not only resolved) or a check newly fails."""
        return self.new_failures > 0 or any(i.state is not DriftState.RESOLVED for i in self.items)


def parse_facts(rows: Iterable[tuple[str, str, dict[str, Any]]]) -> list[Facts]:
    """Facts as the store keeps them (probe, target, dict) turned back into models; unreadable rows are skipped."""
    models = {kind.value: probe.facts_model for kind, probe in REGISTRY.items()}
    parsed: list[Facts] = []
    for probe, _target, data in rows:
        model = models.get(probe) or models.get(str(data.get("kind")))
        if model is None:
            continue
        try:
            parsed.append(model.model_validate(data))
        except ValidationError:
            continue
    return parsed


def comparable(baseline: ScanRun, run: ScanRun) -> bool:
    """True when ``baseline`` is the same service and profile over the same scope targets as ``run``."""
    return (
        baseline.id != run.id
        and baseline.service_id == run.service_id
        and baseline.comparison_key == run.comparison_key
    )


def compute_drift(
    previous: RunView | None,
    current: RunView,
    policy: DriftPolicy,
    detected_at: dt.datetime | None = None,
) -> DriftResult:
    """Every change from ``previous`` to ``current``, probe by probe in registry order, then the checks;
    with no previous run, failing checks are the news."""
    if previous is None:
        failures = sum(1 for o in current.observations if o.status is ObservationStatus.FAIL)
        return DriftResult([], failures, None)
    differ = _Differ(current.run.service_id, current.run.id, previous.run.id, detected_at)
    for probe in REGISTRY.values():
        pairs = _paired(probe, previous.facts, current.facts)
        for change in probe.changes(pairs, policy):
            differ.add(
                change.kind,
                change.target,
                change.key,
                change.state,
                change.message,
                change.before,
                change.after,
            )
    _checks(differ, previous.observations, current.observations)
    new_failures = sum(1 for i in differ.items if i.kind is DriftKind.CHECK_FAILING and i.state is DriftState.NEW)
    return DriftResult(differ.items, new_failures, previous.run.id)


class _Differ:
    def __init__(self, service_id: str, run_id: str, baseline_run_id: str, detected_at: dt.datetime | None) -> None:
        self.detected_at = detected_at
        self.service_id = service_id
        self.run_id = run_id
        self.baseline_run_id = baseline_run_id
        self.items: list[DriftRecord] = []

    def add(
        self, kind: DriftKind, target: str, key: str, state: DriftState, message: str, before: Any, after: Any
    ) -> None:
        self.items.append(
            DriftRecord(
                service_id=self.service_id,
                kind=kind,
                target=target,
                key=key,
                state=state,
                message=message,
                before=before,
                after=after,
                run_id=self.run_id,
                baseline_run_id=self.baseline_run_id,
                detected_at=self.detected_at,
            )
        )


def _paired(probe: Probe[Any], before: Sequence[Facts], after: Sequence[Facts]) -> list[tuple[Any, Any]]:
    """The probe's error-free facts found in both runs under the same key, in the order of ``after``."""
    old: dict[Hashable, Facts] = {probe.pairing(f): f for f in _usable(before, probe)}
    pairs = []
    for new in _usable(after, probe):
        prev = old.get(probe.pairing(new))
        if prev is not None:
            pairs.append((prev, new))
    return pairs


def _usable(facts: Iterable[Facts], probe: Probe[Any]) -> list[Facts]:
    return [f for f in facts if isinstance(f, probe.facts_model) and f.error is None]


# --- checks ----------------------------------------------------------------


def _checks(differ: _Differ, before: list[Observation], after: list[Observation]) -> None:
    was = {(o.check_id, o.target): o.status for o in before}
    for obs in after:
        prev = was.get((obs.check_id, obs.target))
        key = obs.check_id
        if obs.status is ObservationStatus.FAIL and prev in (ObservationStatus.PASS, None):
            origin = "passed" if prev is ObservationStatus.PASS else "was not judged"
            differ.add(
                DriftKind.CHECK_FAILING,
                obs.target,
                key,
                DriftState.NEW,
                f"check {obs.check_id} now fails on {obs.target} (it {origin} in the previous run): {obs.evidence}",
                prev.value if prev else None,
                obs.status.value,
            )
        elif obs.status is ObservationStatus.PASS and prev is ObservationStatus.FAIL:
            differ.add(
                DriftKind.CHECK_FAILING,
                obs.target,
                key,
                DriftState.RESOLVED,
                f"check {obs.check_id} passes again on {obs.target}",
                prev.value,
                obs.status.value,
            )
