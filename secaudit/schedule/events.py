"""What a batch reports: its log events, each service's outcome, the whole run; and how services are chosen.

Light on purpose (no database layer): ``scan --due`` with nothing to do uses these
without loading the store (``secaudit.schedule.quiet``), and must say exactly what
the full batch would say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secaudit.errors import ExitCode, SecauditError
from secaudit.inventory import load_service, service_files
from secaudit.schedule.due import DueReason, DueStatus, due_status

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from secaudit.model import ClassificationScheme, Service
    from secaudit.schedule.drift import DriftResult

Emit = Callable[..., None]
"""``emit(level, service, event, message, **data)``"""


@dataclass(frozen=True)
class BatchEvent:
    """One thing that happened in a batch, for the log: when, how bad, which service, what."""

    at: dt.datetime
    level: str
    service: str | None
    event: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ServiceReport:
    """How one service fared in the batch."""

    service_id: str
    run_id: str | None = None
    drift: DriftResult | None = None
    error: str | None = None


@dataclass
class BatchReport:
    """Everything a batch did; ``exit_code`` follows the precedence 3 > 1 > 0 (75 is raised before)."""

    selected: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    services: list[ServiceReport] = field(default_factory=list)
    notifications_sent: int = 0
    notifications_failed: int = 0
    abandoned_runs: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        """3 when a service could not be scanned, else 1 when there is news, else 0."""
        if any(s.error for s in self.services):
            return ExitCode.ENVIRONMENT
        if any(s.drift is not None and s.drift.has_news for s in self.services):
            return ExitCode.POLICY
        return ExitCode.OK


@dataclass
class BatchOptions:
    """How to run the batch: only due services or all, which profile, how many at once."""

    due_only: bool = True
    profile: str | None = None
    concurrency: int | None = None
    now: dt.datetime | None = None
    dispatch: str | None = None
    """``local`` or ``celery`` (None: the workspace's ``scan.dispatch``)."""
    deadline_s: int | None = None
    """How long a dispatched batch waits for the workers (None: ``scan.dispatch_deadline_s``)."""


@dataclass
class Selection:
    """The services a batch scans, and the service files it could not read."""

    chosen: list[Service] = field(default_factory=list)
    invalid: list[ServiceReport] = field(default_factory=list)


def select_services(
    services_dir: Path,
    checklists: Collection[str],
    scheme: ClassificationScheme,
    last_started: Callable[[str], dt.datetime | None],
    report: BatchReport,
    options: BatchOptions,
    now: dt.datetime,
    tz: ZoneInfo,
    emit: Emit,
) -> Selection:
    """Read every service file and decide which are scanned, logging each decision and noting it in ``report``.

    ``checklists`` are the catalog's checklist ids and ``scheme`` the workspace's classification scheme: a
    service naming another checklist, or a 機密性 level of another scheme, is invalid, as in every command.
    ``last_started`` gives the start of a service's newest completed run (None when it has none).
    """
    selection = Selection()
    for path in service_files(services_dir):
        try:
            service = load_service(path, checklists, scheme)
        except SecauditError as exc:
            text = "; ".join(exc.lines())
            selection.invalid.append(ServiceReport(path.stem, error=text))
            emit("error", path.stem, "service.invalid", text)
            continue
        status = due_status(service, last_started(service.id), now, tz)
        if options.due_only or service.scope is None:
            decision = status
        else:
            decision = DueStatus(service.id, True, DueReason.ALL, status.last_success, status.next_due)
        if decision.due:
            selection.chosen.append(service)
            report.selected.append(service.id)
            emit("info", service.id, "service.due", decision.reason.value)
        else:
            report.skipped[service.id] = decision.reason.value
            nxt = f"; next due {decision.next_due.isoformat()}" if decision.next_due else ""
            level = "warning" if decision.skipped else "info"
            emit(level, service.id, "service.skipped", f"skipped: {decision.reason.value}{nxt}")
    return selection


def finish_message(report: BatchReport) -> tuple[str, dict[str, Any]]:
    """The message and data of the ``batch.finish`` event."""
    failed = [s.service_id for s in report.services if s.error]
    return (
        f"{len(report.selected)} scanned, {len(report.skipped)} skipped, exit {int(report.exit_code)}"
        + (f"; could not be scanned: {', '.join(failed)}" if failed else ""),
        {"exit_code": int(report.exit_code), **({"not_scanned": failed} if failed else {})},
    )
