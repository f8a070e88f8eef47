"""Risk decisions: treatments and acceptances, and each risk's lifecycle across evaluations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Connection

from secaudit.model import RiskEntry, RiskStatus, Treatment, TreatmentKind
from secaudit.model.result import ResultStatus, RiskLifecycle
from secaudit.model.vocab import Severity
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import in_force, metadata

risk_treatments = Table(
    "risk_treatments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(63), nullable=False),
    Column("risk_id", String(140), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("owner", String(200)),
    Column("plan", Text),
    Column("due", String(10)),
    Column("approver", String(200)),
    Column("justification", Text),
    Column("expires", String(10)),
    Column("residual_likelihood", Integer),
    Column("residual_impact", Integer),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", String(40), nullable=False),
    Index("ix_risk_treatments_latest", "service_id", "risk_id", "id"),
)

risk_lifecycle = Table(
    "risk_lifecycle",
    metadata,
    Column("risk_id", String(140), primary_key=True),
    Column("service_id", String(63), nullable=False, index=True),
    Column("control_id", String(64), nullable=False),
    Column("first_seen", String(40), nullable=False),
    Column("last_seen", String(40), nullable=False),
    Column("last_result", String(20), nullable=False),
    Column("resolved_at", String(40)),
    Column("reopened", Integer, nullable=False, default=0),
    Column("reopened_at", String(40)),
    Column("last_weakness", String(10)),
)


def save_treatments(
    store: Store, service_id: str, decisions: Sequence[tuple[str, str, Treatment]], source: str
) -> None:
    """Record treatments as (risk id, control id, treatment) in one transaction, each logged."""
    with store.write() as conn:
        for rid, control_id, treatment in decisions:
            _insert_treatment(conn, service_id, rid, control_id, treatment, source)


@dataclass(frozen=True)
class TreatmentConflict:
    """A risk whose treatment changed after the file that would change it again was exported."""

    risk_id: str
    decided_by: str
    decided_at: str


def treatment_versions(store: Store, service_id: str, risk_ids: Sequence[str]) -> dict[str, str]:
    """The version (row id) of each risk's newest treatment, "" for a risk never treated: what an exported
    register remembers, so that its import can tell whether someone changed a treatment since."""
    versions = dict.fromkeys(risk_ids, "")
    with store.read() as conn:
        rows = conn.execute(
            select(risk_treatments.c.risk_id, func.max(risk_treatments.c.id))
            .where(risk_treatments.c.service_id == service_id)
            .group_by(risk_treatments.c.risk_id)
        )
        for rid, newest in rows:
            if rid in versions:
                versions[rid] = str(newest)
    return versions


def save_treatments_unless_changed(
    store: Store,
    service_id: str,
    decisions: Sequence[tuple[str, str, Treatment]],
    source: str,
    seen: dict[str, str],
) -> list[TreatmentConflict]:
    """Record treatments as ``save_treatments`` does, but only when no risk among them was treated since ``seen``
    (risk id -> ``treatment_versions`` then, "" for none); else store nothing and return the conflicts.

    The check and the writes share one transaction, serialised with every other writer (the audit log's
    lock), so two officers importing at the same moment cannot both pass it.
    """
    with store.write() as conn:
        audit_log.serialise(conn)
        conflicts = []
        for rid, _, _ in decisions:
            if rid not in seen:
                continue
            row = conn.execute(
                select(risk_treatments.c.id, risk_treatments.c.decided_by, risk_treatments.c.decided_at)
                .where(risk_treatments.c.service_id == service_id, risk_treatments.c.risk_id == rid)
                .order_by(risk_treatments.c.id.desc())
                .limit(1)
            ).first()
            if (str(row.id) if row else "") != seen[rid]:
                conflicts.append(TreatmentConflict(rid, row.decided_by if row else "", row.decided_at if row else ""))
        if conflicts:
            return conflicts
        for rid, control_id, treatment in decisions:
            _insert_treatment(conn, service_id, rid, control_id, treatment, source)
    return []


def save_treatment(store: Store, service_id: str, rid: str, control_id: str, treatment: Treatment) -> None:
    """Record one treatment or acceptance and log it."""
    save_treatments(store, service_id, [(rid, control_id, treatment)], "cli")


def _insert_treatment(conn: Connection, service_id: str, rid: str, control_id: str, t: Treatment, source: str) -> None:
    conn.execute(
        risk_treatments.insert().values(
            service_id=service_id,
            risk_id=rid,
            control_id=control_id,
            kind=t.kind.value,
            owner=t.owner,
            plan=t.plan,
            due=t.due.isoformat() if t.due else None,
            approver=t.approver,
            justification=t.justification,
            expires=t.expires.isoformat() if t.expires else None,
            residual_likelihood=t.residual_likelihood,
            residual_impact=t.residual_impact,
            decided_by=t.decided_by,
            decided_at=t.decided_at.isoformat(),
        )
    )
    action = "risk.accept" if t.kind is TreatmentKind.ACCEPT else "risk.treat"
    details = {"risk": rid, "control": control_id, "source": source, **t.model_dump(mode="json", exclude_none=True)}
    audit_log.append(conn, t.decided_by, action, service_id, details)


def latest_treatments(store: Store, service_id: str) -> dict[str, Treatment]:
    """The treatment in force for each risk of a service."""
    return latest_treatments_of(store, [service_id]).get(service_id, {})


def latest_treatments_of(store: Store, service_ids: Sequence[str]) -> dict[str, dict[str, Treatment]]:
    """The treatments in force of several services at once, by service."""
    return in_force(store, risk_treatments, service_ids, ["risk_id"], _treatment)


def treatment_history(store: Store, service_id: str, rid: str) -> list[Treatment]:
    """Every treatment decided for one risk, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(risk_treatments)
            .where(risk_treatments.c.service_id == service_id, risk_treatments.c.risk_id == rid)
            .order_by(risk_treatments.c.id)
        ).mappings()
        return [_treatment(r) for r in rows]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _treatment(row: Any) -> Treatment:
    return Treatment(
        kind=TreatmentKind(row["kind"]),
        owner=row["owner"],
        plan=row["plan"],
        due=_date(row["due"]),
        approver=row["approver"],
        justification=row["justification"],
        expires=_date(row["expires"]),
        residual_likelihood=row["residual_likelihood"],
        residual_impact=row["residual_impact"],
        decided_by=row["decided_by"],
        decided_at=dt.datetime.fromisoformat(row["decided_at"]),
    )


def lifecycle_of(store: Store, service_id: str) -> dict[str, RiskLifecycle]:
    """What is remembered of each risk a service has ever had."""
    return lifecycles_of(store, [service_id]).get(service_id, {})


def lifecycles_of(store: Store, service_ids: Sequence[str]) -> dict[str, dict[str, RiskLifecycle]]:
    """The remembered risks of several services at once, by service."""
    found: dict[str, dict[str, RiskLifecycle]] = {}
    query = select(risk_lifecycle).where(risk_lifecycle.c.service_id.in_(list(service_ids)))
    with store.read() as conn:
        for row in conn.execute(query).mappings():
            found.setdefault(row["service_id"], {})[row["risk_id"]] = _lifecycle(row)
    return found


def _lifecycle(row: Any) -> RiskLifecycle:
    return RiskLifecycle(
        risk_id=row["risk_id"],
        service_id=row["service_id"],
        control_id=row["control_id"],
        first_seen=dt.datetime.fromisoformat(row["first_seen"]),
        last_seen=dt.datetime.fromisoformat(row["last_seen"]),
        last_result=ResultStatus(row["last_result"]),
        resolved_at=_moment(row["resolved_at"]),
        reopened=row["reopened"],
        reopened_at=_moment(row["reopened_at"]),
        last_weakness=Severity(row["last_weakness"]) if row["last_weakness"] else None,
    )


@dataclass
class LifecyclePlan:
    """What one evaluation changes in a service's remembered risks, before anything is written."""

    service_id: str
    events: list[tuple[str, str]] = field(default_factory=list)
    opened: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    logged: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when nothing needs writing."""
        return not (self.opened or self.updates or self.logged)


def plan_lifecycle(
    service_id: str,
    register: Sequence[RiskEntry],
    known: Mapping[str, RiskLifecycle],
    now: dt.datetime,
    actor: str = "secaudit",
) -> LifecyclePlan:
    """The new, resolved and reopened risks of ``register`` against what is remembered (pure)."""
    plan = LifecyclePlan(service_id)
    for entry in register:
        event = _transition(entry, known.get(entry.id), now, plan)
        if event:
            plan.events.append((entry.id, event))
            details = {"risk": entry.id, "control": entry.control_id, "level": entry.inherent_level}
            plan.logged.append((actor, f"risk.{event}", service_id, details))
    return plan


def apply_lifecycle(store: Store, plans: Sequence[LifecyclePlan]) -> None:
    """Write the plans of one or many evaluations in one transaction; no transaction when none changes anything."""
    todo = [plan for plan in plans if not plan.empty]
    if not todo:
        return
    with store.write() as conn:
        for plan in todo:
            for rid, values in plan.updates:
                conn.execute(risk_lifecycle.update().where(risk_lifecycle.c.risk_id == rid).values(**values))
            if plan.opened:
                conn.execute(risk_lifecycle.insert(), plan.opened)
        audit_log.append_many(conn, [row for plan in todo for row in plan.logged])


def sync_lifecycle(
    store: Store, service_id: str, register: Sequence[RiskEntry], now: dt.datetime, actor: str = "secaudit"
) -> list[tuple[str, str]]:
    """Remember new, resolved and reopened risks; return the (risk id, event) pairs recorded."""
    plan = plan_lifecycle(service_id, register, lifecycle_of(store, service_id), now, actor)
    apply_lifecycle(store, [plan])
    return plan.events


def _transition(entry: RiskEntry, life: RiskLifecycle | None, now: dt.datetime, plan: LifecyclePlan) -> str | None:
    """The lifecycle event of ``entry``; the rows it needs written are added to ``plan``."""
    stamp = now.isoformat()
    resolved = entry.status is RiskStatus.RESOLVED
    if life is None:
        if resolved:
            return None
        plan.opened.append(
            {
                "risk_id": entry.id,
                "service_id": entry.service_id,
                "control_id": entry.control_id,
                "first_seen": (entry.first_seen or now).isoformat(),
                "last_seen": stamp,
                "last_result": entry.result_status.value,
                "resolved_at": None,
                "reopened": 0,
                "reopened_at": None,
                "last_weakness": entry.weakness.value if entry.weakness else None,
            }
        )
        return "opened"
    if resolved:
        if life.resolved_at is not None:
            return None
        plan.updates.append((entry.id, {"resolved_at": stamp}))
        return "resolved"
    finding = entry.result_status.raises_risk
    values: dict[str, Any] = {"last_seen": stamp}
    if finding:
        values["last_result"] = entry.result_status.value
        values["last_weakness"] = entry.weakness.value if entry.weakness else None
    if life.resolved_at is not None:
        values.update(resolved_at=None, reopened=life.reopened + 1, reopened_at=stamp)
        plan.updates.append((entry.id, values))
        return "reopened"
    if finding and (entry.result_status is not life.last_result or entry.weakness != life.last_weakness):
        plan.updates.append((entry.id, values))
    return None


def referenced_run_ids(store: Store) -> set[str]:
    """Scan runs the register rests on: the newest completed run of every service with an unresolved risk."""
    from secaudit.store.scans import latest_runs_of

    with store.read() as conn:
        services = {
            row[0]
            for row in conn.execute(
                select(risk_lifecycle.c.service_id).where(risk_lifecycle.c.resolved_at.is_(None)).distinct()
            )
        }
    ordered = sorted(services)
    runs: dict[str, Any] = {}
    for start in range(0, len(ordered), 400):
        runs.update(latest_runs_of(store, ordered[start : start + 400]))
    return {run.id for run in runs.values()}
