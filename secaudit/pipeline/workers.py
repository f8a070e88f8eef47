"""A scan worker for one network zone: the Celery application ``secaudit worker --zone Z`` runs.

The worker is a workspace inside the zone (its own service files, checklists and ``secaudit.yaml``)
that shares the centre's database and broker. It consumes its zone's queue only and carries out each
order through ``secaudit.schedule.dispatch.carry_out``: its own scope guard first, then the scan,
then the run stored in one transaction.
"""

from __future__ import annotations

import re
import socket
from typing import TYPE_CHECKING, Any

from secaudit.errors import InputError

if TYPE_CHECKING:
    from celery import Celery

    from secaudit.pipeline.session import Session

_ZONE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def default_worker_name(zone: str) -> str:
    """``<zone>@<host>``: how the audit log and the centre's messages name this worker."""
    return f"{zone}@{socket.gethostname()}"


def zone_worker(session: Session, zone: str, name: str | None = None) -> tuple[Celery, str, str]:
    """The Celery application of a worker for ``zone``, its queue and its name, after checking that the
    database and the broker can be reached (a worker that cannot store a run must not take orders)."""
    from secaudit.schedule.dispatch import TASK, broker_app, carry_out, check_broker, queue_of

    if not _ZONE.match(zone):
        raise InputError(f"--zone: {zone!r} is not a zone name (a-z, 0-9 and '-', e.g. internet, lgwan)")
    worker = name or default_worker_name(zone)
    if not _NAME.match(worker):
        raise InputError(f"--name: {worker!r} must be 1-100 of A-Z, a-z, 0-9, '.', '_', '@', '-'")
    workspace = session.workspace()
    url = workspace.broker_url
    if not url:
        raise InputError(
            "a worker needs the broker: set SECAUDIT_BROKER_URL (or scan.broker_url in secaudit.yaml), "
            "e.g. redis://127.0.0.1:6379/0"
        )
    store = session.store()
    catalog = session.catalog()
    app = broker_app(url, workspace.config.scan.worker_redelivery_s)
    check_broker(app, url)

    def scan(message: Any) -> dict[str, Any]:
        return carry_out(workspace, catalog, store, zone, worker, message)

    app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)(scan)

    from celery.signals import worker_process_init

    def forget_parent_connections(**_: Any) -> None:
        store.after_fork()

    worker_process_init.connect(forget_parent_connections, weak=False)
    return app, queue_of(zone), worker
