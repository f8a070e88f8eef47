"""``scan --due`` / ``scan --all``: run the chosen services under the lock, compare, store, notify.

Order matters for safety: each run is stored (by the scan engine) before its
drift is computed, drift is stored before notifications are queued, and the
queue is written before any delivery is tried. A failed delivery therefore
never loses a result; it stays in the outbox for the next run.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from secaudit import clock
from secaudit.errors import SecauditError
from secaudit.inventory import with_workspace_paths
from secaudit.model import Facts, Observation, RunStatus, ScanRun, Service
from secaudit.model.drift import DriftState
from secaudit.scan.probes.base import DriftPolicy
from secaudit.schedule import check_settings
from secaudit.schedule.drift import DriftResult, RunView, comparable, compute_drift, parse_facts
from secaudit.schedule.events import (
    BatchEvent,
    BatchOptions,
    BatchReport,
    ServiceReport,
    finish_message,
    select_services,
)
from secaudit.schedule.lock import RunLock
from secaudit.schedule.notify import ServiceNews, build_notifications, deliver_pending
from secaudit.store import Store, audit_log
from secaudit.store.drift import Comparison, comparison_of, record_comparison
from secaudit.store.locks import shared_run_lock
from secaudit.store.outbox import enqueue, give_up_on, last_notified
from secaudit.store.retention import abandon_interrupted_runs
from secaudit.store.scans import facts_of, last_completed_start, observations_of, runs_of
from secaudit.workspace import Workspace

if TYPE_CHECKING:
    from secaudit.catalog import Catalog

__all__ = ["ACTOR", "Batch", "BatchEvent", "BatchOptions", "BatchReport", "ServiceReport", "find_baseline"]

ACTOR = "scheduler"


class ScanResult(Protocol):
    """What the scan engine returns for one service (``secaudit.scan.engine.ScanOutcome``)."""

    run: ScanRun
    observations: list[Observation]
    facts: list[Facts]
    unreachable: bool


class ScanFunction(Protocol):
    """The scan engine's entry point (``secaudit.scan.engine.run_scan``)."""

    def __call__(
        self,
        service: Service,
        catalog: Catalog,
        store: Store,
        config: Any,
        profile_id: str | None = None,
        *,
        now: dt.datetime | None = None,
        progress: Any = None,
        actor: str = "secaudit",
    ) -> ScanResult: ...


def find_baseline(store: Store, run: ScanRun) -> RunView | None:
    """The run to compare ``run`` with: the newest earlier completed run of the same service and profile
    over the same scope targets, preferring one a batch already compared, so that a manual scan in
    between never hides a change; a run whose every probe errored says nothing and is passed over.
    Called right after ``run`` is stored, so every other run is earlier, whatever its clock said: a
    clock that jumped backwards must not leave the new run without a baseline."""
    fallback: tuple[ScanRun, list[Facts]] | None = None
    for candidate in runs_of(store, run.service_id, limit=50):
        if candidate.id == run.id or candidate.status is not RunStatus.COMPLETED or not comparable(candidate, run):
            continue
        facts = parse_facts(facts_of(store, candidate.id))
        if facts and all(f.error is not None for f in facts):
            continue
        if comparison_of(store, candidate.id):
            return RunView(candidate, facts, observations_of(store, candidate.id))
        if fallback is None:
            fallback = (candidate, facts)
    if fallback is None:
        return None
    return RunView(fallback[0], fallback[1], observations_of(store, fallback[0].id))


class Batch:
    """One ``scan --due`` / ``scan --all`` invocation."""

    def __init__(
        self,
        workspace: Workspace,
        catalog: Callable[[], Catalog],
        store: Store,
        scan: ScanFunction,
        emit: Callable[[BatchEvent], None],
        options: BatchOptions,
    ) -> None:
        self.workspace = workspace
        self.config = workspace.config
        self._catalog_of = catalog
        self.store = store
        self.scan = scan
        self.options = options
        self._emit = emit
        self._emit_lock = threading.Lock()
        self.report = BatchReport()
        self._invalid: list[ServiceReport] = []

    def emit(self, level: str, service: str | None, event: str, message: str, **data: Any) -> None:
        """Send one event to the log sink (thread-safe)."""
        with self._emit_lock:
            self._emit(BatchEvent(clock.now(), level, service, event, message, data))

    def run(self) -> BatchReport:
        """Take the lock, scan what was chosen, compare, notify; raise LockHeld when another run holds it."""
        check_settings(self.config.notifications, self.workspace.root)
        tz = self.config.zone
        self.workspace.ensure_data_dir()
        with RunLock(self.workspace.data_dir) as lock, shared_run_lock(self.store):
            now = self.options.now or clock.now()
            self._recover(lock.stale, now)
            catalog = self._catalog_of()  # service files are checked against its checklists
            services = self._select(catalog, now, tz)
            workers = self.options.concurrency or self.config.scan.batch_concurrency
            if services:
                with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="secaudit-scan") as pool:
                    self.report.services = list(pool.map(lambda s: self._scan_one(s, catalog), services))
            self.report.services.extend(self._invalid)
            self._notify(services)
        message, data = finish_message(self.report)
        self.emit("info", None, "batch.finish", message, **data)
        return self.report

    def _recover(self, stale: Any, now: dt.datetime) -> None:
        if stale is not None:
            self.emit(
                "warning",
                None,
                "lock.recovered",
                f"recovered a lock left by a run that ended without releasing it ({stale.describe()})",
                pid=stale.pid,
            )
        started_since = stale.started_at if stale is not None else None
        older_than = now - dt.timedelta(hours=self.config.scan.stale_run_hours)
        abandoned = abandon_interrupted_runs(self.store, started_since, older_than, actor=ACTOR)
        self.report.abandoned_runs = abandoned
        for run_id in abandoned:
            self.emit("warning", None, "run.abandoned", f"scan run {run_id} was interrupted; marked failed", run=run_id)

    def _select(self, catalog: Catalog, now: dt.datetime, tz: Any) -> list[Service]:
        selection = select_services(
            self.workspace.services_dir,
            catalog.checklists,
            self.workspace.config.classification_scheme,
            lambda service_id: last_completed_start(self.store, service_id),
            self.report,
            self.options,
            now,
            tz,
            self.emit,
        )
        self._invalid.extend(selection.invalid)
        return selection.chosen

    def _scan_one(self, service: Service, catalog: Catalog) -> ServiceReport:
        report = ServiceReport(service.id)
        self.emit("info", service.id, "scan.start", f"scanning with profile {self.options.profile or 'default'}")
        try:
            target = with_workspace_paths(service, self.workspace.root)
            outcome = self.scan(target, catalog, self.store, self.config, self.options.profile, actor=ACTOR)
        except SecauditError as exc:
            report.error = "; ".join(exc.lines())
        except Exception as exc:  # one broken service must never stop the others
            report.error = f"internal error: {type(exc).__name__}: {exc}"
        else:
            report.run_id = outcome.run.id
            if outcome.unreachable or outcome.run.status is not RunStatus.COMPLETED:
                report.error = outcome.run.error or "the service could not be reached"
            else:
                try:
                    report.drift = self._compare(outcome, catalog)
                except SecauditError as exc:
                    report.error = "; ".join(exc.lines())
        if report.error:
            self.emit("error", service.id, "scan.error", report.error, run=report.run_id)
            try:
                audit_log.record(
                    self.store, ACTOR, "scan.error", service.id, {"run": report.run_id, "error": report.error}
                )
            except SecauditError as exc:
                self.emit("error", service.id, "store.error", "; ".join(exc.lines()))
        return report

    def _compare(self, outcome: ScanResult, catalog: Catalog) -> DriftResult:
        run = outcome.run
        previous = find_baseline(self.store, run)
        current = RunView(run, list(outcome.facts), list(outcome.observations))
        policy = DriftPolicy(list(catalog.checks.values()), self.config.scan.cert_expiry_warning_days)
        compared_at = clock.now()
        result = compute_drift(previous, current, policy, compared_at)
        record_comparison(
            self.store,
            Comparison(
                run.id,
                run.service_id,
                result.baseline_run_id,
                clock.now(),
                result.new_failures,
                result.items,
            ),
            actor=ACTOR,
        )
        failing = sum(1 for o in outcome.observations if o.status.value == "fail")
        self.emit(
            "info",
            run.service_id,
            "scan.finish",
            f"run {run.id}: {len(outcome.observations)} observations, {failing} failing, "
            f"{len(result.items)} change(s), {result.new_failures} new failure(s)"
            + ("" if previous else " (first comparable run: baseline established)"),
            run=run.id,
            baseline=result.baseline_run_id,
            observations=len(outcome.observations),
            failing=failing,
            new_failures=result.new_failures,
        )
        for facts in outcome.facts:
            if facts.error:
                self.emit(
                    "warning",
                    run.service_id,
                    "probe.error",
                    f"{facts.kind} probe of {facts.target}: {facts.error}",
                    run=run.id,
                    probe=facts.kind,
                    target=facts.target,
                )
        for item in result.items:
            level = "info" if item.state is DriftState.RESOLVED else "warning"
            self.emit(level, run.service_id, "drift", item.message, drift=item.to_dict())
        return result

    def _told_already(self, news: ServiceNews) -> bool:
        """True (and logged) when the same scan error of the service was told within the repeat window."""
        key = news.repeat_key
        if key is None:
            return False
        hours = self.config.notifications.repeat_errors_after_hours
        now = self.options.now or clock.now()
        try:
            told = last_notified(self.store, news.service.id, key, now - dt.timedelta(hours=hours))
        except SecauditError:
            return False  # when in doubt, tell
        if told is None:
            return False
        again = (told + dt.timedelta(hours=hours)).isoformat(timespec="minutes")
        self.emit(
            "info",
            news.service.id,
            "notify.repeat",
            f"the same scan error was told at {told.isoformat(timespec='minutes')}; "
            f"not told again before {again} (notifications.repeat_errors_after_hours: {hours})",
        )
        return True

    def _give_up(self, hours: int) -> None:
        """Stop retrying notifications that have failed for longer than ``hours``, saying so once each."""
        now = self.options.now or clock.now()
        try:
            stale = give_up_on(self.store, now - dt.timedelta(hours=hours), now, ACTOR)
        except SecauditError as exc:
            self.emit("error", None, "notify.error", "; ".join(exc.lines()))
            return
        for entry in stale:
            self.emit(
                "error",
                entry.service_id,
                "notify.gave_up",
                f"{entry.channel} notification '{entry.subject}'"
                f" queued at {entry.created_at.isoformat(timespec='minutes')} was not delivered"
                f" in {entry.attempts} attempt(s) and is no longer retried"
                f" (notifications.give_up_after_hours: {hours}); last error: {entry.last_error or 'none'}",
                channel=entry.channel,
                notification=entry.id,
            )

    def _notify(self, services: list[Service]) -> None:
        by_id = {s.id: s for s in services}
        settings = self.config.notifications
        if settings.smtp is None and settings.webhook is None:
            return
        entries = []
        for report in self.report.services:
            service = by_id.get(report.service_id)
            if service is None:
                continue
            news = ServiceNews(
                service=service,
                run_id=report.run_id,
                items=report.drift.items if report.drift else [],
                new_failures=report.drift.new_failures if report.drift else 0,
                errors=[report.error] if report.error else [],
                first_run=report.drift is not None and report.drift.baseline_run_id is None,
            )
            if self._told_already(news):
                continue
            entries.extend(build_notifications(news, settings, self.config.language))
        try:
            enqueue(self.store, entries)
        except SecauditError as exc:
            self.emit("error", None, "notify.error", "; ".join(exc.lines()))
            return
        self._give_up(settings.give_up_after_hours)
        for done in deliver_pending(self.store, settings):
            entry = done.entry
            if done.error is not None:
                self.report.notifications_failed += 1
                self.emit(
                    "error",
                    entry.service_id,
                    "notify.failed",
                    f"{entry.channel} notification not delivered (attempt {entry.attempts + 1}); "
                    f"kept for the next run: {done.error}",
                    channel=entry.channel,
                    notification=entry.id,
                )
            else:
                self.report.notifications_sent += 1
                self.emit(
                    "info",
                    entry.service_id,
                    "notify.sent",
                    f"{entry.channel} notification delivered: {entry.subject}",
                    channel=entry.channel,
                    notification=entry.id,
                )
