"""Scans sent to workers inside the services' network zones: Celery over Redis, one queue per zone.

The centre (``scan --due|--all --dispatch celery``) sends each chosen service an order on its zone's
queue and waits, up to one deadline for the whole batch, for the run a worker stored in the shared
database; the batch then compares, stores drift and notifies exactly as after a local scan.

A worker (``secaudit worker --zone Z``) scans only a service of its own workspace, of its own zone,
within the scope declared there, whatever the order says: an order naming a target the service does
not declare is refused and nothing is scanned. It stores the finished run in one transaction, under
the order's id, so a worker killed mid-scan leaves no half-written run and a redelivered order never
makes a second one; and it answers with the run's id.

Messages are JSON (never pickle) and carry no secret: the order's id, the service, its zone, the
profile, the declared targets and when it was sent. Orders are acknowledged late (after the run is
stored): the order of a worker that died goes to another worker of the zone once
``scan.worker_redelivery_s`` has passed, and an order not started before the deadline expires.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secaudit import clock
from secaudit.errors import EnvironmentFailure, SecauditError
from secaudit.inventory import load_service, with_workspace_paths
from secaudit.model import Facts, Observation, RunStatus, ScanRun, Service
from secaudit.schedule.drift import parse_facts
from secaudit.store.scans import facts_of, get_run, insert_complete_run, observations_of

if TYPE_CHECKING:
    from celery import Celery

    from secaudit.catalog import Catalog
    from secaudit.model.config import WorkspaceConfig
    from secaudit.store import Store
    from secaudit.workspace import Workspace

__all__ = [
    "TASK",
    "CeleryDispatch",
    "DispatchError",
    "OrderReply",
    "ScanOrder",
    "broker_app",
    "carry_out",
    "queue_of",
    "shown_broker",
]

TASK = "secaudit.scan"
QUEUE_PREFIX = "secaudit.zone."
ORDER_VERSION = 1
DISPATCH_WAITERS = 64
"""Orders a batch keeps out at once (each waits in a thread; the workers set the real pace)."""

_ID = re.compile(r"^[0-9a-f]{32}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ORDER_KEYS = frozenset({"v", "id", "service", "zone", "profile", "targets", "sent_at"})
_MAX_TARGETS = 256
_MAX_TARGET_LENGTH = 300


class DispatchError(EnvironmentFailure):
    """A dispatched scan that did not happen: no broker, no worker in time, or the worker refused it."""


def queue_of(zone: str) -> str:
    """The queue a zone's workers consume: ``secaudit.zone.<zone>``."""
    return QUEUE_PREFIX + zone


def shown_broker(url: str) -> str:
    """The broker URL without its password, for messages (kombu's own masking)."""
    from kombu.utils.url import maybe_sanitize_url

    return str(maybe_sanitize_url(url))


def _line(exc: BaseException) -> str:
    """An exception's text on one line (a batch log line is one line), without a URL's password."""
    text = " ".join(str(exc).split())
    return re.sub(r"(\w+://[^:/@\s]*:)[^@\s]+@", r"\1**@", text)[:500]


def declared_targets(service: Service) -> tuple[str, ...]:
    """The targets a service's scope declares, as the order carries them."""
    return tuple(t.label for t in service.scope.targets) if service.scope is not None else ()


@dataclass(frozen=True)
class ScanOrder:
    """One service's scan sent to its zone; ``id`` becomes the stored run's id."""

    id: str
    service: str
    zone: str
    profile: str | None
    targets: tuple[str, ...]
    sent_at: str

    def message(self) -> dict[str, Any]:
        """The order as it travels (JSON): no database URL, no password, no key."""
        return {
            "v": ORDER_VERSION,
            "id": self.id,
            "service": self.service,
            "zone": self.zone,
            "profile": self.profile,
            "targets": list(self.targets),
            "sent_at": self.sent_at,
        }

    @classmethod
    def from_message(cls, data: Any) -> ScanOrder:
        """The order in ``data``; DispatchError naming what is wrong with a malformed or forged message."""
        if not isinstance(data, dict) or set(data) != _ORDER_KEYS or data.get("v") != ORDER_VERSION:
            raise DispatchError("the order is not a secaudit scan order of this version; nothing scanned")
        targets = data["targets"]
        checks = {
            "id": isinstance(data["id"], str) and _ID.match(data["id"]) is not None,
            "service": isinstance(data["service"], str) and _SLUG.match(data["service"]) is not None,
            "zone": isinstance(data["zone"], str) and _SLUG.match(data["zone"]) is not None,
            "profile": data["profile"] is None
            or (isinstance(data["profile"], str) and _SLUG.match(data["profile"]) is not None),
            "targets": isinstance(targets, list)
            and len(targets) <= _MAX_TARGETS
            and all(isinstance(t, str) and 0 < len(t) <= _MAX_TARGET_LENGTH for t in targets),
            "sent_at": isinstance(data["sent_at"], str) and len(data["sent_at"]) <= 40,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise DispatchError(f"the order's {', '.join(bad)} is not valid; nothing scanned")
        return cls(data["id"], data["service"], data["zone"], data["profile"], tuple(targets), data["sent_at"])


@dataclass(frozen=True)
class OrderReply:
    """A worker's answer: the run it stored (and how it ended), or why it scanned nothing."""

    run: str | None = None
    status: str | None = None
    error: str | None = None
    worker: str | None = None

    def message(self) -> dict[str, Any]:
        """The reply as it travels back (JSON)."""
        return {"run": self.run, "status": self.status, "error": self.error, "worker": self.worker}

    @classmethod
    def from_message(cls, data: Any) -> OrderReply:
        """The reply in ``data``; DispatchError when it is not one."""
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str | None) for k in ("run", "status")):
            raise DispatchError(f"a worker answered with something that is not a scan reply: {str(data)[:200]}")
        return cls(data.get("run"), data.get("status"), data.get("error"), data.get("worker"))


def broker_app(broker_url: str, redelivery_s: int) -> Celery:
    """A Celery application on ``broker_url`` (results there too) with the settings a scan queue needs."""
    try:
        from celery import Celery
    except ModuleNotFoundError:
        raise DispatchError(
            "zone workers need Celery, which is not installed: pip install 'secaudit[workers]'"
        ) from None
    app = Celery("secaudit", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        result_expires=7 * 86400,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_connection_timeout=5,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 4, "interval_start": 0.5, "interval_step": 1, "interval_max": 4},
        broker_transport_options={
            "visibility_timeout": redelivery_s,
            "unacked_restore_interval": max(1, min(10, redelivery_s // 3)),
            "unacked_restore_throttle": 1,
            "socket_timeout": 30,
            "socket_connect_timeout": 5,
        },
        result_backend_transport_options={"socket_timeout": 30, "socket_connect_timeout": 5},
        redis_socket_connect_timeout=5,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_enable_remote_control=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app


def check_broker(app: Celery, url: str) -> None:
    """Reach the broker (with back-off, a few tries); DispatchError naming it, password hidden, when it cannot."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=3, interval_start=0.5, interval_step=1, interval_max=2, timeout=5)
    except Exception as exc:  # kombu raises OperationalError, redis-py its own; both mean "cannot reach"
        reason = f"{type(exc).__name__}: {_line(exc)}"
        raise DispatchError(f"cannot reach the broker {shown_broker(url)}: {reason}") from None


@dataclass
class DispatchedScan:
    """A run a worker stored, read back from the shared database (the batch's ``ScanResult``)."""

    run: ScanRun
    observations: list[Observation]
    facts: list[Facts]
    unreachable: bool
    """No target answered (the worker said so in the run's status)."""


class CeleryDispatch:
    """The batch's scan function when scans run on zone workers: send the order, wait, read the stored run."""

    def __init__(self, app: Celery, broker_url: str, deadline_s: int) -> None:
        self.app = app
        self.broker_url = broker_url
        self.deadline_s = deadline_s
        self._deadline = time.monotonic() + deadline_s

    def __call__(
        self,
        service: Service,
        catalog: Catalog,
        store: Store,
        config: WorkspaceConfig,
        profile_id: str | None = None,
        *,
        now: dt.datetime | None = None,
        progress: Any = None,
        actor: str = "secaudit",
    ) -> DispatchedScan:
        from secaudit.scan.engine import resolve_profile

        profile = resolve_profile(catalog, config, profile_id)
        targets = declared_targets(service)
        order = ScanOrder(uuid.uuid4().hex, service.id, service.zone, profile.id, targets, clock.now().isoformat())
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise self._late(order)
        limit = profile.run_time_limit_s(len(targets))
        try:
            result = self.app.send_task(
                TASK,
                args=[order.message()],
                queue=queue_of(order.zone),
                task_id=order.id,
                expires=remaining,
                soft_time_limit=limit,
                time_limit=limit + 30,
            )
        except Exception as exc:  # kombu's OperationalError once the publish retries are spent
            raise DispatchError(
                f"cannot send the scan to zone {order.zone}: broker {shown_broker(self.broker_url)}: {_line(exc)}"
            ) from None
        reply = self._wait(result, order)
        if reply.error and reply.run is None:
            raise DispatchError(f"the worker {reply.worker or '?'} of zone {order.zone} refused: {reply.error}")
        stored = get_run(store, reply.run) if reply.run else None
        if stored is None:
            raise DispatchError(
                f"the worker {reply.worker or '?'} stored run {reply.run} in a database this workspace does not "
                "read: the centre and its workers must share one database (SECAUDIT_DATABASE_URL)"
            )
        return DispatchedScan(
            stored,
            observations_of(store, stored.id),
            parse_facts(facts_of(store, stored.id)),
            stored.status is RunStatus.UNREACHABLE,
        )

    def _wait(self, result: Any, order: ScanOrder) -> OrderReply:
        from celery.exceptions import TimeoutError as CeleryTimeout

        try:
            value = result.get(timeout=max(0.1, self._deadline - time.monotonic()), propagate=False, interval=0.2)
        except CeleryTimeout:
            raise self._late(order) from None
        except Exception as exc:  # the result backend (Redis) went away while waiting
            raise DispatchError(
                f"lost the broker {shown_broker(self.broker_url)} while waiting for zone {order.zone}: {_line(exc)}"
            ) from None
        if result.failed():
            reason = f"{type(value).__name__}: {_line(value)}"
            raise DispatchError(f"the scan failed on a worker of zone {order.zone}: {reason}")
        return OrderReply.from_message(value)

    def _late(self, order: ScanOrder) -> DispatchError:
        return DispatchError(
            f"not scanned: no worker of zone {order.zone} finished the scan within the deadline "
            f"({self.deadline_s} s, scan.dispatch_deadline_s or --deadline); "
            f"is 'secaudit worker --zone {order.zone}' running and reaching the broker?"
        )


def carry_out(
    workspace: Workspace,
    catalog: Catalog,
    store: Store,
    zone: str,
    worker: str,
    message: Any,
    scan: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """A worker's side of one order: check it against this workspace, scan, store the run in one transaction.

    Returns the reply message; never raises for a refused or failed scan (the reply says why), so that the
    centre reports it like a local batch would. ``scan`` replaces the engine's ``scan_unstored`` in tests."""
    try:
        order = ScanOrder.from_message(message)
        service = _service_for(workspace, catalog, zone, order)
    except SecauditError as exc:
        return OrderReply(error="; ".join(exc.lines()), worker=worker).message()
    existing = get_run(store, order.id)
    if existing is not None:  # a redelivered order whose run is stored already
        return OrderReply(existing.id, existing.status.value, existing.error, worker).message()
    if scan is None:
        from secaudit.scan.engine import scan_unstored

        scan = scan_unstored
    target = with_workspace_paths(service, workspace.root)
    try:
        outcome = scan(target, catalog, workspace.config, order.profile, order.id)
    except SecauditError as exc:  # refused before any packet: scope guard, authorisation, profile
        return OrderReply(error="; ".join(exc.lines()), worker=worker).message()
    run = outcome.run
    details = {"zone": zone, "worker": worker, "status": run.status.value, "observations": len(outcome.observations)}
    insert_complete_run(
        store,
        run,
        outcome.observations,
        outcome.fact_rows(),
        outcome.nmap_xml,
        f"worker:{worker}",
        details,
        event="scan.finish",
    )
    stored = get_run(store, order.id) or run
    return OrderReply(stored.id, stored.status.value, stored.error, worker).message()


def _service_for(workspace: Workspace, catalog: Catalog, zone: str, order: ScanOrder) -> Service:
    """The order's service as this workspace declares it, after the worker's own scope guard on the order."""
    if order.zone != zone:
        raise DispatchError(f"an order for zone {order.zone} reached a worker of zone {zone}; nothing scanned")
    path = workspace.services_dir / f"{order.service}.yaml"
    if not path.is_file():
        raise DispatchError(f"service {order.service} is not in this worker's workspace ({path}); nothing scanned")
    service = load_service(path, catalog.checklists, workspace.config.classification_scheme)
    if service.zone != zone:
        raise DispatchError(
            f"service {service.id} is in zone {service.zone} here, not {zone}; nothing scanned "
            "(the centre's and the worker's service files differ)"
        )
    declared = set(declared_targets(service))
    outside = [t for t in order.targets if t not in declared]
    if outside:
        raise DispatchError(
            f"the order names targets that service {service.id} does not declare in its scope: "
            + ", ".join(outside)
            + "; nothing scanned"
        )
    return service
