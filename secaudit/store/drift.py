"""Drift between scan runs.

A drift record is one change a run found against the last comparable run of
the same service. Its fingerprint (service, kind, target, key) is stable, so
the same condition can be followed across runs: a port that opens (``new``)
and later closes again (``resolved``) carries one fingerprint. The record in
force for a fingerprint is the newest one; it is open unless ``resolved``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, func, select

from secaudit.model.drift import DriftKind, DriftState
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata


def drift_fingerprint(service_id: str, kind: DriftKind, target: str, key: str) -> str:
    """The stable id of one drift condition: sha256 over service, kind, target and key."""
    payload = "\x1f".join((service_id, kind.value, target, key))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DriftRecord:
    """One change between two runs of a service."""

    service_id: str
    kind: DriftKind
    target: str
    key: str
    state: DriftState
    message: str
    before: Any = None
    after: Any = None
    run_id: str = ""
    baseline_run_id: str | None = None
    detected_at: dt.datetime | None = None

    @property
    def fingerprint(self) -> str:
        """See :func:`drift_fingerprint`."""
        return drift_fingerprint(self.service_id, self.kind, self.target, self.key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (logs, notifications, reports)."""
        return {
            "fingerprint": self.fingerprint,
            "service": self.service_id,
            "kind": self.kind.value,
            "target": self.target,
            "key": self.key,
            "state": self.state.value,
            "message": self.message,
            "before": self.before,
            "after": self.after,
            "run": self.run_id,
            "baseline_run": self.baseline_run_id,
            "detected_at": self.detected_at.isoformat() if self.detected_at else None,
        }


@dataclass(frozen=True)
class Comparison:
    """The summary of one run compared with its baseline (or with nothing, on a first run)."""

    run_id: str
    service_id: str
    baseline_run_id: str | None
    compared_at: dt.datetime
    new_failures: int
    items: list[DriftRecord] = field(default_factory=list)


drift_comparisons = Table(
    "drift_comparisons",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("service_id", String(63), nullable=False, index=True),
    Column("baseline_run_id", String(64)),
    Column("compared_at", String(40), nullable=False),
    Column("new_failures", Integer, nullable=False),
    Column("item_count", Integer, nullable=False),
)

drift_items = Table(
    "drift_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False, index=True),
    Column("baseline_run_id", String(64)),
    Column("service_id", String(63), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("target", String(2048), nullable=False),
    Column("key", String(500), nullable=False),
    Column("state", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
    Column("detected_at", String(40), nullable=False),
    Index("ix_drift_items_fingerprint", "service_id", "fingerprint", "id"),
)


def record_comparison(store: Store, comparison: Comparison, actor: str = "secaudit") -> None:
    """Store a run's comparison and its drift records in one transaction, and log it."""
    at = comparison.compared_at.isoformat()
    with store.write() as conn:
        conn.execute(
            drift_comparisons.insert().values(
                run_id=comparison.run_id,
                service_id=comparison.service_id,
                baseline_run_id=comparison.baseline_run_id,
                compared_at=at,
                new_failures=comparison.new_failures,
                item_count=len(comparison.items),
            )
        )
        if comparison.items:
            conn.execute(
                drift_items.insert(),
                [
                    {
                        "run_id": comparison.run_id,
                        "baseline_run_id": comparison.baseline_run_id,
                        "service_id": item.service_id,
                        "fingerprint": item.fingerprint,
                        "kind": item.kind.value,
                        "target": item.target,
                        "key": item.key,
                        "state": item.state.value,
                        "message": item.message,
                        "before": json.dumps(item.before, ensure_ascii=False, default=str),
                        "after": json.dumps(item.after, ensure_ascii=False, default=str),
                        "detected_at": at,
                    }
                    for item in comparison.items
                ],
            )
        counts = {s.value: sum(1 for i in comparison.items if i.state is s) for s in DriftState}
        audit_log.append(
            conn,
            actor,
            "scan.drift",
            comparison.service_id,
            {
                "run": comparison.run_id,
                "baseline": comparison.baseline_run_id,
                "new_failures": comparison.new_failures,
                **counts,
            },
        )


def _record(row: Any) -> DriftRecord:
    return DriftRecord(
        service_id=row["service_id"],
        kind=DriftKind(row["kind"]),
        target=row["target"],
        key=row["key"],
        state=DriftState(row["state"]),
        message=row["message"],
        before=json.loads(row["before"]),
        after=json.loads(row["after"]),
        run_id=row["run_id"],
        baseline_run_id=row["baseline_run_id"],
        detected_at=dt.datetime.fromisoformat(row["detected_at"]),
    )


def drift_of(store: Store, service_id: str, run_id: str | None = None) -> list[DriftRecord]:
    """The drift one run of a service found, or (``run_id`` None) all its drift, newest first."""
    query = select(drift_items).where(drift_items.c.service_id == service_id)
    if run_id is not None:
        query = query.where(drift_items.c.run_id == run_id)
    with store.read() as conn:
        rows = conn.execute(query.order_by(drift_items.c.id.desc())).mappings()
        return [_record(r) for r in rows]


def latest_comparison(store: Store, service_id: str) -> Comparison | None:
    """The newest comparison of a service with its drift records, or None before any."""
    return latest_comparisons_of(store, [service_id]).get(service_id)


def latest_comparisons_of(store: Store, service_ids: Sequence[str]) -> dict[str, Comparison]:
    """The newest comparison of each of several services (those compared at least once), with its records."""
    ranked = (
        select(
            drift_comparisons.c.run_id,
            func.row_number()
            .over(
                partition_by=drift_comparisons.c.service_id,
                order_by=(drift_comparisons.c.compared_at.desc(), drift_comparisons.c.run_id.desc()),
            )
            .label("rank"),
        )
        .where(drift_comparisons.c.service_id.in_(list(service_ids)))
        .subquery()
    )
    newest = select(drift_comparisons).join(ranked, ranked.c.run_id == drift_comparisons.c.run_id)
    with store.read() as conn:
        rows = list(conn.execute(newest.where(ranked.c.rank == 1)).mappings())
        records: dict[str, list[DriftRecord]] = {}
        if rows:
            run_ids = [r["run_id"] for r in rows]
            items = select(drift_items).where(drift_items.c.run_id.in_(run_ids)).order_by(drift_items.c.id.desc())
            for item in conn.execute(items).mappings():
                records.setdefault(item["run_id"], []).append(_record(item))
    return {
        row["service_id"]: Comparison(
            run_id=row["run_id"],
            service_id=row["service_id"],
            baseline_run_id=row["baseline_run_id"],
            compared_at=dt.datetime.fromisoformat(row["compared_at"]),
            new_failures=row["new_failures"],
            items=sorted(records.get(row["run_id"], []), key=lambda r: (r.kind.value, r.target, r.key)),
        )
        for row in rows
    }


def latest_drift(store: Store, service_id: str) -> list[DriftRecord]:
    """What the newest compared run of a service changed (empty when nothing did)."""
    comparison = latest_comparison(store, service_id)
    return comparison.items if comparison else []


def drift_in_force(store: Store, service_id: str | None = None) -> list[DriftRecord]:
    """The newest record per fingerprint, where that record is not ``resolved``."""
    newest = (
        select(func.max(drift_items.c.id).label("id"))
        .group_by(drift_items.c.service_id, drift_items.c.fingerprint)
        .subquery()
    )
    query = select(drift_items).join(newest, drift_items.c.id == newest.c.id)
    query = query.where(drift_items.c.state != DriftState.RESOLVED.value)
    if service_id is not None:
        query = query.where(drift_items.c.service_id == service_id)
    with store.read() as conn:
        rows = conn.execute(query.order_by(drift_items.c.id)).mappings()
        return [_record(r) for r in rows]


def comparison_of(store: Store, run_id: str) -> bool:
    """True when ``run_id`` has already been compared (so a retry never records drift twice)."""
    with store.read() as conn:
        return (
            conn.execute(select(drift_comparisons.c.run_id).where(drift_comparisons.c.run_id == run_id)).first()
            is not None
        )


# --- notification outbox -------------------------------------------------
