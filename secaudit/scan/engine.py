"""The scan engine: scope guard, plan, probes with bounded concurrency, judges, and the stored run.

Checks run: every check in the catalog whose probe is in the profile, so that
whatever a control references is observed, and drift can compare like with
like between runs. One observation per check per probed target (per address
for the ports probe when a host has several).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from secaudit import __version__, clock
from secaudit.catalog import Catalog
from secaudit.errors import InputError, Problem
from secaudit.model import (
    Facts,
    Observation,
    ObservationStatus,
    ProbeKind,
    Profile,
    RunStatus,
    ScanRun,
    Service,
)
from secaudit.model.config import WorkspaceConfig
from secaudit.scan import scope as scope_guard
from secaudit.scan.errors import ScanEnvironmentError
from secaudit.scan.judges import validate_checks, with_workspace_defaults
from secaudit.scan.observe import observe, one_line
from secaudit.scan.plan import ProbeTask, build_plan
from secaudit.scan.probes import REGISTRY
from secaudit.scan.probes.base import Collected, ProbeContext
from secaudit.scan.probes.ports import locate_nmap
from secaudit.store import Store, scans


@dataclass
class ScanOutcome:
    """What one run produced; ``unreachable`` when no target answered at all (``silent`` names them)."""

    run: ScanRun
    observations: list[Observation]
    facts: list[Facts]
    unreachable: bool
    silent: list[str] = field(default_factory=list)
    nmap_xml: list[tuple[str, bytes]] = field(default_factory=list)
    """nmap's own XML output, per address group, as the ports probe received it."""

    def fact_rows(self) -> list[tuple[str, str, dict[str, Any]]]:
        """The facts as the store keeps them: (probe, target, JSON-ready data)."""
        return [(f.kind, f.target, f.model_dump(mode="json")) for f in self.facts]

    def counts(self) -> dict[ObservationStatus, int]:
        """How many observations ended in each outcome (every outcome present, zero included)."""
        tally = dict.fromkeys(ObservationStatus, 0)
        for observation in self.observations:
            tally[observation.status] += 1
        return tally

    @property
    def summary(self) -> str:
        """``3 passed, 1 failed, 0 errors, 2 not run``: the four outcomes, kept apart."""
        n = self.counts()
        return (
            f"{n[ObservationStatus.PASS]} passed, {n[ObservationStatus.FAIL]} failed, "
            f"{n[ObservationStatus.ERROR]} errors, {n[ObservationStatus.NOT_RUN]} not run"
        )


def resolve_profile(catalog: Catalog, config: WorkspaceConfig, profile_id: str | None) -> Profile:
    """The profile named, or the workspace default; InputError naming the known ones."""
    wanted = profile_id or config.scan.default_profile
    profile = catalog.profiles.get(wanted)
    if profile is None:
        known = ", ".join(sorted(catalog.profiles)) or "none"
        raise InputError(f"unknown scan profile {wanted!r} (known: {known})", [Problem("--profile", f"{wanted!r}")])
    return profile


def local_date(moment: dt.datetime, config: WorkspaceConfig) -> dt.date:
    """The date at ``moment`` in the workspace's time zone: an authorisation ends at local midnight."""
    return moment.astimezone(config.zone).date()


def run_scan(
    service: Service,
    catalog: Catalog,
    store: Store,
    config: WorkspaceConfig,
    profile_id: str | None = None,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    actor: str = "secaudit",
) -> ScanOutcome:
    """Scan ``service`` with a profile: refuse out-of-scope targets first, then probe, judge and store.

    The run is stored as ``running`` when it starts and closed when it ends, so that an interrupted run
    is seen (and later marked failed) rather than lost."""
    started = now or clock.now()
    clock_start = time.monotonic()
    run, context, tasks = _prepare(service, catalog, config, profile_id, started, uuid.uuid4().hex)
    scans.begin_run(store, run, actor)
    try:
        results = _execute(tasks, context, progress or (lambda _message: None))
    except BaseException as exc:
        _failed(run, exc, clock_start)
        scans.finish_run(store, run, [], [], actor)
        raise
    outcome = _complete(run, service, context, results, clock_start)
    scans.archive_nmap_xml(store, run.id, outcome.nmap_xml)
    scans.finish_run(store, run, outcome.observations, outcome.fact_rows(), actor)
    return outcome


def scan_unstored(
    service: Service,
    catalog: Catalog,
    config: WorkspaceConfig,
    profile_id: str | None,
    run_id: str,
    *,
    progress: Callable[[str], None] | None = None,
) -> ScanOutcome:
    """Scan as ``run_scan`` does but store nothing: a zone worker stores the finished run in one transaction
    (``secaudit.store.scans.insert_complete_run``), so that a worker killed mid-scan leaves no half-written
    run. Refusals before any packet (scope guard, profile) raise; a failure while probing (nmap missing, the
    worker's time limit) returns the run marked failed with the reason, to be stored as such."""
    started = clock.now()
    clock_start = time.monotonic()
    run, context, tasks = _prepare(service, catalog, config, profile_id, started, run_id)
    try:
        results = _execute(tasks, context, progress or (lambda _message: None))
    except Exception as exc:
        _failed(run, exc, clock_start)
        return ScanOutcome(run, [], [], unreachable=False)
    return _complete(run, service, context, results, clock_start)


def _prepare(
    service: Service,
    catalog: Catalog,
    config: WorkspaceConfig,
    profile_id: str | None,
    started: dt.datetime,
    run_id: str,
) -> tuple[ScanRun, ProbeContext, list[ProbeTask]]:
    """The scope guard's decision, the plan and the new run (status ``running``), before any packet is sent."""
    profile = resolve_profile(catalog, config, profile_id)
    checks = [c for c in catalog.checks.values() if c.probe in profile.probes]
    parameters = with_workspace_defaults(validate_checks(checks), config.scan)
    decision = scope_guard.check_scope(
        service, local_date(started, config), config.scan.denylist, resolver=scope_guard.system_resolver
    )
    tasks = build_plan(decision, profile)
    if not tasks:
        raise InputError(
            f"profile {profile.id} has no probe for any target of service {service.id}",
            [
                Problem(
                    f"service {service.id}: scope.targets",
                    f"probes of {profile.id}: " + ", ".join(p.value for p in profile.probes),
                )
            ],
        )
    needs_nmap = any(REGISTRY[kind].needs_nmap(profile) for kind in {t.probe for t in tasks})
    install = locate_nmap() if needs_nmap else None
    run = ScanRun(
        id=run_id,
        service_id=service.id,
        profile=profile.id,
        started_at=started,
        secaudit_version=__version__,
        nmap_version=install.version if install else None,
        scope=scope_record(service, decision),
    )
    return run, ProbeContext(profile, decision, checks, parameters, started, install), tasks


def _failed(run: ScanRun, exc: BaseException, clock_start: float) -> None:
    """Close ``run`` as failed, with the reason."""
    run.status = RunStatus.FAILED
    run.error = f"{type(exc).__name__}: {exc}"[:1000]
    run.finished_at = run.started_at + dt.timedelta(seconds=time.monotonic() - clock_start)


def _complete(
    run: ScanRun, service: Service, context: ProbeContext, results: list[Collected], clock_start: float
) -> ScanOutcome:
    """Judge the collected facts and close the run (completed, or unreachable when no target answered)."""
    facts = [f for result in results for f in result.facts]
    observations = observe(run.id, service.id, run.started_at, context.checks, context.parameters, facts)
    silent = silent_targets(facts)
    close_as_answered(run, facts)
    unreachable = run.status is RunStatus.UNREACHABLE
    run.finished_at = run.started_at + dt.timedelta(seconds=time.monotonic() - clock_start)
    nmap_xml = [x for result in results for x in result.raw_xml]
    return ScanOutcome(run, observations, facts, unreachable, silent, nmap_xml)


def scope_record(
    service: Service, decision: scope_guard.ScopeDecision, targets: set[str] | None = None
) -> dict[str, object]:
    """The scope a run was made over, as the run keeps it: the approved targets (only those named in ``targets``
    when given) and the authorisation."""
    kept = [a for a in decision.approved if targets is None or a.label in targets]
    record = scope_guard.ScopeDecision(approved=kept).as_record()
    return {
        **record,
        "authorized_by": service.scope.authorized_by if service.scope else None,
        "authorized_until": service.scope.authorized_until.isoformat() if service.scope else None,
    }


def close_as_answered(run: ScanRun, facts: list[Facts]) -> None:
    """Set ``run``'s status from its facts: unreachable (naming the silent targets) when no target answered."""
    silent = silent_targets(facts)
    if facts and len(silent) == len({f.target for f in facts}):
        run.status, run.error = RunStatus.UNREACHABLE, "no target answered: " + ", ".join(silent)
    else:
        run.status = RunStatus.COMPLETED


def silent_targets(facts: list[Facts]) -> list[str]:
    """The targets that answered nothing: every probe of them errored, or showed nothing (no open port)."""
    answered: dict[str, bool] = {}
    for f in facts:
        spoke = REGISTRY[ProbeKind(f.kind)].answered(f)
        answered[f.target] = answered.get(f.target, False) or spoke
    return [target for target, spoke in answered.items() if not spoke]


def _execute(tasks: list[ProbeTask], context: ProbeContext, say: Callable[[str], None]) -> list[Collected]:
    total = len(tasks)
    say(f"[0/{total}] scanning with profile {context.profile.id}")
    results: dict[int, Collected] = {}
    with ThreadPoolExecutor(
        max_workers=max(1, context.profile.concurrency), thread_name_prefix="secaudit-probe"
    ) as pool:
        futures = {pool.submit(_run_task, task, context): index for index, task in enumerate(tasks)}
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            result = future.result()
            results[index] = result
            errors = [f.error for f in result.facts if f.error]
            status = f"error: {errors[0]}" if errors else "done"
            say(f"[{done}/{total}] {tasks[index].label}: {one_line(status, 160)}")
    return [results[i] for i in range(total)]


def _run_task(task: ProbeTask, context: ProbeContext) -> Collected:
    probe = REGISTRY[task.probe]
    try:
        return probe.collect(task.approved, context)
    except ScanEnvironmentError:
        raise
    except Exception as exc:  # a probe failure is data, never a crash of the run
        return Collected([probe.error_facts(task.approved, f"probe failed: {type(exc).__name__}: {exc}")])
