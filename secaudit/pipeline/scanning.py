"""Scanning services: one service by hand, or the scheduled batch that cron and zone workers run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secaudit.model import Service
    from secaudit.pipeline.session import Session
    from secaudit.scan.engine import ScanOutcome
    from secaudit.schedule.batch import BatchReport, ScanFunction
    from secaudit.schedule.events import BatchEvent, BatchOptions
    from secaudit.workspace import Workspace


def scan_service(
    session: Session,
    service_id: str,
    profile: str | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    service: Service | None = None,
) -> ScanOutcome:
    """Scan the service's declared scope with ``profile`` (default: the workspace's), judge and store the run;
    ``service`` may be given when the caller has read its file already."""
    from secaudit.inventory import with_workspace_paths
    from secaudit.scan.engine import run_scan

    ws = session.workspace()
    target = with_workspace_paths(service or session.service(service_id), ws.root)
    return run_scan(target, session.catalog(), session.store(), ws.config, profile, progress=progress)


def _engine_scan(*args: Any, **kwargs: Any) -> Any:
    """The scan engine, imported on first use so that a run with nothing due starts fast."""
    from secaudit.scan.engine import run_scan

    return run_scan(*args, **kwargs)


def run_batch(
    session: Session, options: BatchOptions, emit: Callable[[BatchEvent], None], scan: ScanFunction | None = None
) -> BatchReport:
    """Scan every due (or every) service, compare with the last runs and notify, events sent to ``emit``.

    When nothing is due and nothing waits, that is found and said without opening the database
    through SQLAlchemy or loading the scan engine: cron calls this every few minutes.
    """
    from secaudit.schedule.quiet import quiet_batch

    workspace = session.workspace()
    quiet = quiet_batch(workspace, session.catalog().checklists, options, emit)
    if quiet is not None:
        return quiet
    from secaudit.schedule.batch import Batch

    if scan is None:
        scan = _dispatcher(workspace, options) or _engine_scan
    return Batch(workspace, session.catalog, session.store(), scan, emit, options).run()


def _dispatcher(workspace: Workspace, options: BatchOptions) -> ScanFunction | None:
    """The zone workers' dispatch when the batch sends its scans to them (``--dispatch celery`` or
    ``scan.dispatch: celery``), after reaching the broker; None for a local batch."""
    from secaudit.errors import InputError
    from secaudit.model.config import DispatchMode

    settings = workspace.config.scan
    if DispatchMode(options.dispatch or settings.dispatch) is DispatchMode.LOCAL:
        return None
    from secaudit.schedule.dispatch import DISPATCH_WAITERS, CeleryDispatch, broker_app, check_broker

    url = workspace.broker_url
    if not url:
        raise InputError(
            "scans dispatched to zone workers need the broker: set SECAUDIT_BROKER_URL "
            "(or scan.broker_url in secaudit.yaml), e.g. redis://127.0.0.1:6379/0"
        )
    app = broker_app(url, settings.worker_redelivery_s)
    check_broker(app, url)
    options.concurrency = options.concurrency or DISPATCH_WAITERS
    return CeleryDispatch(app, url, options.deadline_s or settings.dispatch_deadline_s)
