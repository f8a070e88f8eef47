"""The dashboard's rows: every service judged, unchanged services remembered, many judged in parallel.

The row cache is keyed by a fingerprint of everything a row depends on; changed services are
judged in batches whose evidence is read together, over forked helper processes when many.
Only the calling process writes to the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secaudit import __version__, clock

if TYPE_CHECKING:
    from secaudit.errors import Problem
    from secaudit.model import Language
    from secaudit.pipeline.session import Session
    from secaudit.report.dashboard import Dashboard
    from secaudit.store.risks import LifecyclePlan

EVALUATION_CHUNK = 200
"""Services judged per batch: their evidence is read in one set of queries and their risk changes
written in one transaction, while memory stays bounded however large the portfolio."""

SERVICES_PER_JOB = 50
"""Fewer changed services than this per extra process and the dashboard judges them in one process."""

JOBS_ENV = "SECAUDIT_JOBS"


@dataclass
class _Batch:
    """What judging a batch produced: rows as records with their fingerprints, risk changes, failures, and the
    problems of service files that could not be read."""

    rows: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    plans: list[LifecyclePlan] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    invalid: dict[str, list[Problem]] = field(default_factory=dict)


def collect_dashboard(
    session: Session,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    invalid: dict[str, list[Problem]] | None = None,
) -> Dashboard:
    """Every service of the workspace; a service that cannot be evaluated is listed, not fatal.

    ``invalid``, when given, receives by service id the problems (file, line, field) of the service files
    that could not be read, so that the command can refuse them after the other services' rows are written.

    A service whose inputs have not changed since the last dashboard (same service file,
    catalog, configuration, day, and no newer answer, scan, review, treatment or drift)
    keeps its remembered row; every other service is evaluated afresh, in batches whose
    evidence is read together, spread over the machine's cores when there are many.
    Only this process writes: each batch's rows and risk changes, as the batch is done.
    ``progress(done, total)`` hears how many of the changed services are judged so far.
    """
    from secaudit.inventory import service_files
    from secaudit.model import ORGANISATION_ID
    from secaudit.pipeline.reporting import latest_reports
    from secaudit.report.dashboard import ROW_FORMAT, build_dashboard, row_from_record
    from secaudit.store.answers import questionnaire_dues
    from secaudit.store.dashboard_cache import cached_rows, evidence_stamps, remember_rows
    from secaudit.store.risks import apply_lifecycle

    moment = now or clock.now()
    ws = session.workspace()
    store = session.store()
    common = "|".join(
        (
            ROW_FORMAT,
            __version__,
            session.catalog().version,
            ws.config.model_dump_json(),
            moment.astimezone(ws.config.zone).date().isoformat(),
        )
    )
    stamps = evidence_stamps(store)
    # every service inherits the organisation's answers: a new one changes every service's fingerprint
    common += "|" + stamps.get(ORGANISATION_ID, "")
    remembered = cached_rows(store)
    records: dict[str, dict[str, Any]] = {}
    failures: list[tuple[str, str]] = []
    stale: list[tuple[Path, str]] = []
    files = service_files(ws.services_dir)
    for path in files:
        service_id = path.stem
        fingerprint = hashlib.sha256(
            b"\0".join((common.encode(), path.read_bytes(), stamps.get(service_id, "").encode()))
        ).hexdigest()
        cached = remembered.get(service_id)
        if cached is not None and cached[0] == fingerprint:
            records[service_id] = cached[1]
        else:
            stale.append((path, fingerprint))
    judged = 0
    with _fewer_collections():
        for batch in _judge_all(session, stale, moment):
            apply_lifecycle(store, batch.plans)
            remember_rows(store, batch.rows)
            records.update({service_id: record for service_id, (_, record) in batch.rows.items()})
            failures.extend(batch.failures)
            if invalid is not None:
                invalid.update(batch.invalid)
            judged += len(batch.rows) + len(batch.failures)
            if progress is not None:
                progress(judged, len(stale))
    reports = latest_reports(session)
    dues = questionnaire_dues(store)
    rows = []
    for path in files:
        if path.stem in records:
            row = row_from_record(records[path.stem])
            row.report, row.questionnaire_due = reports.get(row.service_id), dues.get(row.service_id)
            rows.append(row)
    return build_dashboard(ws.config, rows, moment, failures)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Judging creates hundreds of thousands of short-lived, acyclic objects: let the cyclic
    garbage collector run less often meanwhile (about a sixth of the time went to it), and keep
    the objects loaded so far out of its way (which also spares forked helpers copying them)."""
    import gc

    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def dashboard_jobs(changed: int) -> int:
    """Processes to judge ``changed`` services with: the usable cores (or $SECAUDIT_JOBS), fewer for few services."""
    import os

    wanted = os.environ.get(JOBS_ENV, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            from secaudit.errors import InputError

            raise InputError(f"{JOBS_ENV}: expected a whole number of processes (1 or more), got '{wanted}'")
        jobs = int(wanted)
    else:
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(jobs, changed // SERVICES_PER_JOB))


def _judge_all(session: Session, stale: list[tuple[Path, str]], moment: dt.datetime) -> Iterator[_Batch]:
    """Judge the changed services batch by batch, in this process or in forked helpers, yielding each batch."""
    import math
    import multiprocessing

    jobs = dashboard_jobs(len(stale))
    if jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1
    rounds = max(1, math.ceil(len(stale) / (jobs * EVALUATION_CHUNK)))  # every helper gets as many batches
    size = max(1, math.ceil(len(stale) / (jobs * rounds)))
    batches = [stale[start : start + size] for start in range(0, len(stale), size)]
    if jobs == 1:
        for batch in batches:
            yield _judge_batch(session, batch, moment)
        return
    from concurrent.futures import ProcessPoolExecutor

    global _forked  # read by the helpers, which inherit it through fork
    _forked = (session, moment)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_helper_start) as pool:
            yield from pool.map(_helper_batch, batches)
    finally:
        _forked = None


_forked: tuple[Session, dt.datetime] | None = None


def _helper_start() -> None:
    """In a forked helper: never reuse the parent's database connections."""
    if _forked is None:
        raise RuntimeError("a dashboard helper started outside a forked pool")
    _forked[0].store().after_fork()


def _helper_batch(batch: list[tuple[Path, str]]) -> _Batch:
    if _forked is None:
        raise RuntimeError("a dashboard helper started outside a forked pool")
    session, moment = _forked
    return _judge_batch(session, batch, moment)


def _judge_batch(session: Session, batch: list[tuple[Path, str]], moment: dt.datetime) -> _Batch:
    """Evaluate a batch of services from evidence read together; write nothing."""
    from secaudit.errors import Problem, SecauditError, ServiceError
    from secaudit.inventory import load_service
    from secaudit.pipeline.evaluation import evaluate_service, gather_evidence, imported_evidence_since
    from secaudit.pipeline.reporting import drift_items_of, report_input
    from secaudit.report.dashboard import row_from_input, row_record

    store = session.store()
    checklists = session.catalog().checklists
    scheme = session.workspace().config.classification_scheme
    done = _Batch()
    services = {}
    for path, _ in batch:
        try:
            services[path.stem] = load_service(path, checklists, scheme)
        except ServiceError as exc:
            done.failures.append((path.stem, "; ".join(exc.lines())))
            done.invalid[path.stem] = exc.problems or [Problem(str(path), exc.message)]
    ids = list(services)
    evidence = gather_evidence(
        store, session.catalog(), ids, imported_evidence_since(session.workspace().config.gate, moment)
    )
    drift = drift_items_of(store, ids)
    fingerprints = {path.stem: fingerprint for path, fingerprint in batch}
    for service_id, service in services.items():
        try:
            evaluation = evaluate_service(
                session,
                service_id,
                now=moment,
                service=service,
                evidence=evidence[service_id],
                record=False,
                trail=False,
            )
        except SecauditError as exc:
            done.failures.append((service_id, "; ".join(exc.lines())))
            continue
        if evaluation.lifecycle_plan is not None:
            done.plans.append(evaluation.lifecycle_plan)
        data = report_input(session, evaluation, moment, with_history=False, drift=drift)
        row = row_from_input(data, reviewed=bool(evidence[service_id].reviews))
        done.rows[service_id] = (fingerprints[service_id], row_record(row))
    return done


DASHBOARD_PAGE = "dashboard.html"


def write_dashboard(
    session: Session, board: Dashboard, fmt: str, output: Path | None, lang: Language | None = None
) -> Path:
    """Write the dashboard as HTML (default ``.secaudit/reports/dashboard.html``, links to each service's report
    relative to the page's own folder) or as JSON, atomically and private (0600); return where it went."""
    from secaudit.atomic import atomic_write_bytes, private_dir
    from secaudit.report.dashboard import dashboard_html, dashboard_json

    ws = session.workspace()
    if output is None:
        ws.ensure_data_dir()
        output = private_dir(ws.data_dir / "reports") / DASHBOARD_PAGE
    if fmt == "json":
        body = dashboard_json(board)
    else:
        body = dashboard_html(board, lang or ws.config.language, ws.local_dir("reports"), page=output)
    atomic_write_bytes(output, body, mode=0o600)
    return output
