"""Scan runs, the facts probes collected, and the observations checks made."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Connection

from secaudit.errors import StoreError
from secaudit.model import Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata

scan_runs = Table(
    "scan_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("service_id", String(63), nullable=False),
    Column("profile", String(63), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Column("status", String(20), nullable=False),
    Column("secaudit_version", String(40), nullable=False),
    Column("nmap_version", String(40)),
    Column("scope", Text, nullable=False),
    Column("error", Text),
    Column("sensor", String(64)),
    Index("ix_scan_runs_service", "service_id", "started_at"),
)

scan_facts = Table(
    "scan_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("scan_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("probe", String(20), nullable=False),
    Column("target", String(2048), nullable=False),
    Column("facts", Text, nullable=False),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("scan_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("service_id", String(63), nullable=False),
    Column("check_id", String(120), nullable=False),
    Column("target", String(2048), nullable=False),
    Column("status", String(10), nullable=False),
    Column("evidence", Text, nullable=False),
    Column("evidence_ja", Text),
    Column("details", Text, nullable=False),
    Column("observed_at", String(40), nullable=False),
    Column("baseline", String(200)),
)


def begin_run(store: Store, run: ScanRun, actor: str = "secaudit") -> None:
    """Record that a run has started (status ``running``)."""
    with store.write() as conn:
        conn.execute(scan_runs.insert().values(**_run_row(run)))
        audit_log.append(conn, actor, "scan.start", run.service_id, {"run": run.id, "profile": run.profile})


def finish_run(
    store: Store,
    run: ScanRun,
    items: list[Observation],
    facts: list[tuple[str, str, dict[str, Any]]],
    actor: str = "secaudit",
) -> None:
    """Store a run's facts and observations and close it, all in one transaction."""
    with store.write() as conn:
        _insert_results(conn, run.id, items, facts)
        conn.execute(scan_runs.update().where(scan_runs.c.id == run.id).values(**_run_row(run)))
        counts = {s.value: sum(1 for o in items if o.status is s) for s in ObservationStatus}
        audit_log.append(
            conn, actor, "scan.finish", run.service_id, {"run": run.id, "status": run.status.value, **counts}
        )


def insert_complete_run(
    store: Store,
    run: ScanRun,
    items: list[Observation],
    facts: list[tuple[str, str, dict[str, Any]]],
    nmap_outputs: list[tuple[str, bytes]],
    actor: str,
    details: dict[str, Any],
    event: str = "scan.import_bundle",
) -> bool:
    """Store a finished run made elsewhere (a sensor's bundle, a zone worker) with its facts, observations and
    nmap XML, all or nothing, and log ``event`` with where it came from. False, storing nothing, when a run
    with this id is stored already (a redelivered worker message must not make a second run)."""
    if get_run(store, run.id) is not None:
        return False
    try:
        with store.write() as conn:
            _insert_complete(conn, run, items, facts, nmap_outputs)
            audit_log.append(conn, actor, event, run.service_id, {"run": run.id, **details})
    except StoreError:
        if get_run(store, run.id) is not None:
            return False  # another worker stored the same run first (its primary key refused this one)
        raise
    return True


def _insert_complete(
    conn: Connection,
    run: ScanRun,
    items: list[Observation],
    facts: list[tuple[str, str, dict[str, Any]]],
    nmap_outputs: list[tuple[str, bytes]],
) -> None:
    conn.execute(scan_runs.insert().values(**_run_row(run)))
    _insert_results(conn, run.id, items, facts)
    if nmap_outputs:
        conn.execute(nmap_archive.insert(), [_nmap_row(run.id, a, x) for a, x in nmap_outputs])


def _insert_results(
    conn: Connection, run_id: str, items: list[Observation], facts: list[tuple[str, str, dict[str, Any]]]
) -> None:
    """A run's facts (probe, target, data) and observations."""
    if facts:
        conn.execute(
            scan_facts.insert(),
            [
                {"run_id": run_id, "probe": p, "target": t, "facts": json.dumps(d, ensure_ascii=False, default=str)}
                for p, t, d in facts
            ],
        )
    if items:
        conn.execute(observations.insert(), [_observation_row(o) for o in items])


def get_run(store: Store, run_id: str) -> ScanRun | None:
    """The run with ``run_id``, or None."""
    with store.read() as conn:
        row = conn.execute(select(scan_runs).where(scan_runs.c.id == run_id)).mappings().first()
    return _run(row) if row else None


def runs_of(store: Store, service_id: str, limit: int = 50) -> list[ScanRun]:
    """The runs of a service, newest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(scan_runs)
            .where(scan_runs.c.service_id == service_id)
            .order_by(scan_runs.c.started_at.desc())
            .limit(limit)
        ).mappings()
        return [_run(r) for r in rows]


def latest_run(store: Store, service_id: str, profile: str | None = None) -> ScanRun | None:
    """The newest finished run of a service that the assessment reads (completed or unreachable)."""
    return latest_runs_of(store, [service_id], profile).get(service_id)


def last_successful_run(store: Store, service_id: str) -> ScanRun | None:
    """The newest completed run: what scheduling counts (an unreachable target stays due)."""
    return latest_runs_of(store, [service_id], successful=True).get(service_id)


def latest_runs_of(
    store: Store, service_ids: Sequence[str], profile: str | None = None, *, successful: bool = False
) -> dict[str, ScanRun]:
    """The newest evidence run (completed or unreachable; only completed when ``successful``) of each of
    several services (ties on start time: the larger run id)."""
    wanted = [RunStatus.COMPLETED] if successful else [s for s in RunStatus if s.is_evidence]
    ranked = _ranked_runs(service_ids, wanted)
    if profile is not None:
        ranked = ranked.where(scan_runs.c.profile == profile)
    newest = ranked.subquery()
    query = select(scan_runs).join(newest, newest.c.id == scan_runs.c.id).where(newest.c.rank == 1)
    with store.read() as conn:
        return {row["service_id"]: _run(row) for row in conn.execute(query).mappings()}


def _ranked_runs(service_ids: Sequence[str], statuses: Sequence[RunStatus]) -> Any:
    """Each run of the services in ``statuses`` with its rank among its service's, newest first (ties on start
    time: the larger run id)."""
    return select(
        scan_runs.c.id,
        func.row_number()
        .over(partition_by=scan_runs.c.service_id, order_by=(scan_runs.c.started_at.desc(), scan_runs.c.id.desc()))
        .label("rank"),
    ).where(scan_runs.c.service_id.in_(list(service_ids)), scan_runs.c.status.in_([s.value for s in statuses]))


def last_completed_start(store: Store, service_id: str) -> dt.datetime | None:
    """When the newest completed run of a service started: the scheduler's question, asked with the same
    query its read-only quiet run uses (``secaudit.store.readonly.LAST_COMPLETED_START``)."""
    from sqlalchemy import text

    from secaudit.store.readonly import LAST_COMPLETED_START

    with store.read() as conn:
        started = conn.execute(text(LAST_COMPLETED_START), {"service_id": service_id}).scalar()
    return dt.datetime.fromisoformat(started) if started else None


def observations_of(store: Store, run_id: str) -> list[Observation]:
    """Every observation a run made."""
    return observations_of_runs(store, [run_id]).get(run_id, [])


def observations_of_runs(store: Store, run_ids: Sequence[str]) -> dict[str, list[Observation]]:
    """Every observation of several runs, by run, in the order they were made."""
    found: dict[str, list[Observation]] = {}
    query = select(observations).where(observations.c.run_id.in_(list(run_ids))).order_by(observations.c.id)
    with store.read() as conn:
        for row in conn.execute(query).mappings():
            found.setdefault(row["run_id"], []).append(_observation(row))
    return found


def facts_of(store: Store, run_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The facts a run collected, as (probe, target, facts)."""
    with store.read() as conn:
        rows = conn.execute(select(scan_facts).where(scan_facts.c.run_id == run_id).order_by(scan_facts.c.id))
        return [(r.probe, r.target, json.loads(r.facts)) for r in rows]


def latest_observations(store: Store, service_id: str) -> tuple[ScanRun | None, list[Observation]]:
    """The newest completed run of a service and its observations."""
    return latest_observations_of(store, [service_id]).get(service_id, (None, []))


def latest_observations_of(
    store: Store, service_ids: Sequence[str]
) -> dict[str, tuple[ScanRun | None, list[Observation]]]:
    """The newest completed run and its observations of each of several services (those with a run)."""
    runs = latest_runs_of(store, service_ids)
    seen = observations_of_runs(store, [run.id for run in runs.values()])
    return {service_id: (run, seen.get(run.id, [])) for service_id, run in runs.items()}


RUNS_CONSIDERED = 50
"""How many of a service's newest evidence runs the evidence in force is chosen from."""


def evidence_in_force_of(
    store: Store, service_ids: Sequence[str], imported_since: dt.datetime | None = None
) -> dict[str, tuple[ScanRun, list[Observation], list[ScanRun]]]:
    """The scan evidence in force for each of several services (those with a run): the rule, in one place.

    * The base is the newest run secaudit made itself (completed or unreachable), whole, whatever its age
      (the gate judges its age); a service with no run of its own has the newest imported run as its base.
    * Imported runs (``ScanRun.imported``) started at or after ``imported_since`` (None: any), each the newest
      of its format over its targets (``ScanRun.comparison_key``: a rescan replaces the file before), add to it:
      for each check and target, the newest observation that looked (not "not run") is in force, else the
      newest one; so an sslyze file can replace the TLS evidence and leave the ports and HTTP evidence alone.
    * Returned per service: the base (the run the gate's age and reachability rules read), the observations
      in force, and the imported runs other than the base that some of them come from (newest first).
    """
    from collections import defaultdict

    newest = _ranked_runs(service_ids, [s for s in RunStatus if s.is_evidence]).subquery()
    query = (
        select(scan_runs)
        .join(newest, newest.c.id == scan_runs.c.id)
        .where(newest.c.rank <= RUNS_CONSIDERED)
        .order_by(scan_runs.c.started_at.desc(), scan_runs.c.id.desc())
    )
    runs: dict[str, list[ScanRun]] = defaultdict(list)
    with store.read() as conn:
        for row in conn.execute(query).mappings():
            runs[row["service_id"]].append(_run(row))
    chosen: dict[str, list[ScanRun]] = {}
    for service_id, found in runs.items():
        own = [r for r in found if r.imported is None]
        base = own[0] if own else found[0]
        extra: list[ScanRun] = []
        replaced = {base.comparison_key}
        for r in found:  # newest first: a rescan of the same targets in the same format replaces the one before
            if r is base or r.imported is None or r.comparison_key in replaced:
                continue
            replaced.add(r.comparison_key)
            if imported_since is None or r.started_at >= imported_since:
                extra.append(r)
        chosen[service_id] = [base, *extra]
    seen = observations_of_runs(store, [r.id for rs in chosen.values() for r in rs])
    result: dict[str, tuple[ScanRun, list[Observation], list[ScanRun]]] = {}
    for service_id, considered in chosen.items():
        base = considered[0]
        newest_first = sorted(considered, key=lambda r: (r.started_at, r.id), reverse=True)
        by_key: dict[tuple[str, str], list[Observation]] = {}
        for run in [base, *(r for r in newest_first if r is not base)]:  # base first: its order is kept
            for obs in seen.get(run.id, []):
                by_key.setdefault((obs.check_id, obs.target), [])
        for run in newest_first:
            for obs in seen.get(run.id, []):
                by_key[(obs.check_id, obs.target)].append(obs)
        in_force = {
            key: next((o for o in found if o.status is not ObservationStatus.NOT_RUN), found[0])
            for key, found in by_key.items()
        }
        used = {o.run_id for o in in_force.values()}
        result[service_id] = (
            base,
            list(in_force.values()),
            [r for r in newest_first if r is not base and r.id in used],
        )
    return result


def _run_row(run: ScanRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "service_id": run.service_id,
        "profile": run.profile,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status.value,
        "secaudit_version": run.secaudit_version,
        "nmap_version": run.nmap_version,
        "scope": json.dumps(run.scope, ensure_ascii=False, default=str),
        "error": run.error,
        "sensor": run.sensor,
    }


def _run(row: Any) -> ScanRun:
    return ScanRun(
        id=row["id"],
        service_id=row["service_id"],
        profile=row["profile"],
        started_at=dt.datetime.fromisoformat(row["started_at"]),
        finished_at=dt.datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None,
        status=RunStatus(row["status"]),
        secaudit_version=row["secaudit_version"],
        nmap_version=row["nmap_version"],
        scope=json.loads(row["scope"]),
        error=row["error"],
        sensor=row["sensor"],
    )


def _observation_row(o: Observation) -> dict[str, Any]:
    return {
        "run_id": o.run_id,
        "service_id": o.service_id,
        "check_id": o.check_id,
        "target": o.target,
        "status": o.status.value,
        "evidence": o.evidence,
        "evidence_ja": o.evidence_ja,
        "details": json.dumps(o.details, ensure_ascii=False, default=str),
        "observed_at": o.observed_at.isoformat(),
        "baseline": o.baseline,
    }


def _observation(row: Any) -> Observation:
    return Observation(
        run_id=row["run_id"],
        service_id=row["service_id"],
        check_id=row["check_id"],
        target=row["target"],
        status=ObservationStatus(row["status"]),
        evidence=row["evidence"],
        evidence_ja=row["evidence_ja"],
        details=json.loads(row["details"]),
        observed_at=dt.datetime.fromisoformat(row["observed_at"]),
        baseline=row["baseline"],
    )


MAX_ARCHIVED_XML = 1024 * 1024

nmap_archive = Table(
    "nmap_archive",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("scan_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("addresses", String(2048), nullable=False),
    Column("size", Integer, nullable=False),
    Column("truncated", Integer, nullable=False),
    Column("xml", Text, nullable=False),
)


def archive_nmap_xml(store: Store, run_id: str, outputs: list[tuple[str, bytes]]) -> None:
    """Keep each nmap run's raw XML with the scan run, cut at MAX_ARCHIVED_XML bytes."""
    if not outputs:
        return
    with store.write() as conn:
        conn.execute(nmap_archive.insert(), [_nmap_row(run_id, addresses, data) for addresses, data in outputs])


def _nmap_row(run_id: str, addresses: str, data: bytes) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "addresses": addresses[:2048],
        "size": len(data),
        "truncated": int(len(data) > MAX_ARCHIVED_XML),
        "xml": data[:MAX_ARCHIVED_XML].decode("utf-8", "replace"),
    }


def nmap_xml_of(store: Store, run_id: str) -> list[tuple[str, str, bool]]:
    """The archived nmap XML of a run, as (addresses, xml, truncated)."""
    with store.read() as conn:
        rows = conn.execute(select(nmap_archive).where(nmap_archive.c.run_id == run_id).order_by(nmap_archive.c.id))
        return [(r.addresses, r.xml, bool(r.truncated)) for r in rows]
