"""Keeping the scan history tidy: interrupted runs and pruning old runs.

Pruning never removes the newest completed run of a service and profile, a
run that a drift record in force points to, or a run that the risk register
points to (``secaudit.store.risks.referenced_run_ids``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from secaudit.model import RunStatus
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.drift import drift_comparisons, drift_in_force, drift_items
from secaudit.store.outbox import notification_outbox
from secaudit.store.scans import nmap_archive, observations, scan_facts, scan_runs

INTERRUPTED = "interrupted: the process ended before the run was finished"


def abandon_interrupted_runs(
    store: Store, started_since: dt.datetime | None, older_than: dt.datetime, actor: str = "secaudit"
) -> list[str]:
    """Mark ``running`` runs failed when their batch died (started since ``started_since``) or they are too old."""
    condition = scan_runs.c.started_at < older_than.isoformat()
    if started_since is not None:
        condition = condition | (scan_runs.c.started_at >= started_since.isoformat())
    with store.write() as conn:
        rows = conn.execute(
            select(scan_runs.c.id, scan_runs.c.service_id, scan_runs.c.started_at).where(
                scan_runs.c.status == RunStatus.RUNNING.value, condition
            )
        ).all()
        for row in rows:
            conn.execute(
                scan_runs.update()
                .where(scan_runs.c.id == row.id)
                .values(status=RunStatus.FAILED.value, error=INTERRUPTED)
            )
            audit_log.append(conn, actor, "scan.abandon", row.service_id, {"run": row.id, "started_at": row.started_at})
    return [row.id for row in rows]


@dataclass(frozen=True)
class PruneCandidate:
    """One run that pruning removes (or would remove, on a dry run)."""

    run_id: str
    service_id: str
    profile: str
    started_at: str
    status: str


@dataclass(frozen=True)
class PrunePlan:
    """What pruning removes, and which old runs it keeps and why."""

    remove: list[PruneCandidate]
    kept: dict[str, str]


def risk_referenced_runs(store: Store) -> set[str]:
    """Runs the risk register points to."""
    from secaudit.store.risks import referenced_run_ids

    return referenced_run_ids(store)


def plan_prune(store: Store, cutoff: dt.datetime) -> PrunePlan:
    """The runs started before ``cutoff`` that may go, and the old runs that must stay."""
    newest = (
        select(scan_runs.c.service_id, scan_runs.c.profile, func.max(scan_runs.c.started_at).label("started_at"))
        .where(scan_runs.c.status == RunStatus.COMPLETED.value)
        .group_by(scan_runs.c.service_id, scan_runs.c.profile)
        .subquery()
    )
    with store.read() as conn:
        latest = {
            row.id
            for row in conn.execute(
                select(scan_runs.c.id).join(
                    newest,
                    (scan_runs.c.service_id == newest.c.service_id)
                    & (scan_runs.c.profile == newest.c.profile)
                    & (scan_runs.c.started_at == newest.c.started_at),
                )
            )
        }
        old = (
            conn.execute(
                select(scan_runs)
                .where(scan_runs.c.started_at < cutoff.isoformat(), scan_runs.c.status != RunStatus.RUNNING.value)
                .order_by(scan_runs.c.started_at)
            )
            .mappings()
            .all()
        )
    in_force: set[str] = set()
    for record in drift_in_force(store):
        in_force.add(record.run_id)
        if record.baseline_run_id:
            in_force.add(record.baseline_run_id)
    risks = risk_referenced_runs(store)
    remove: list[PruneCandidate] = []
    kept: dict[str, str] = {}
    for row in old:
        if row["id"] in latest:
            kept[row["id"]] = "latest completed run of its service and profile"
        elif row["id"] in in_force:
            kept[row["id"]] = "a drift record in force points to it"
        elif row["id"] in risks:
            kept[row["id"]] = "a risk entry points to it"
        else:
            remove.append(_candidate(row))
    return PrunePlan(remove, kept)


def _candidate(row: Any) -> PruneCandidate:
    return PruneCandidate(row["id"], row["service_id"], row["profile"], row["started_at"], row["status"])


def delete_runs(store: Store, runs: list[PruneCandidate], keep_days: int, actor: str = "secaudit") -> None:
    """Delete runs with their facts, observations, archived nmap XML, drift records and sent notifications."""
    if not runs:
        return
    ids = [r.run_id for r in runs]
    with store.write() as conn:
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            conn.execute(delete(scan_facts).where(scan_facts.c.run_id.in_(chunk)))
            conn.execute(delete(observations).where(observations.c.run_id.in_(chunk)))
            conn.execute(delete(nmap_archive).where(nmap_archive.c.run_id.in_(chunk)))
            conn.execute(delete(drift_items).where(drift_items.c.run_id.in_(chunk)))
            conn.execute(delete(drift_comparisons).where(drift_comparisons.c.run_id.in_(chunk)))
            conn.execute(
                delete(notification_outbox).where(
                    notification_outbox.c.run_id.in_(chunk), notification_outbox.c.sent_at.is_not(None)
                )
            )
            conn.execute(delete(scan_runs).where(scan_runs.c.id.in_(chunk)))
        audit_log.append(conn, actor, "scan.prune", "*", {"keep_days": keep_days, "runs": ids})
