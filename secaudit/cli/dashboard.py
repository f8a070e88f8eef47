"""``secaudit dashboard``: every service at a glance, what needs attention first."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secaudit import __version__, clock
from secaudit.cli.common import info, state, warn
from secaudit.model import Language

if TYPE_CHECKING:
    from secaudit.cli.common import AppState
    from secaudit.errors import Problem
    from secaudit.report.dashboard import Dashboard
    from secaudit.store.risks import LifecyclePlan

DASHBOARD_FORMATS = ("html", "json")


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
    st: AppState,
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
    from secaudit.cli.report import latest_reports
    from secaudit.inventory import service_files
    from secaudit.model import ORGANISATION_ID
    from secaudit.report.dashboard import ROW_FORMAT, build_dashboard, row_from_record
    from secaudit.store.answers import questionnaire_dues
    from secaudit.store.dashboard_cache import cached_rows, evidence_stamps, remember_rows
    from secaudit.store.risks import apply_lifecycle

    moment = now or clock.now()
    ws = st.workspace()
    store = st.store()
    common = "|".join(
        (
            ROW_FORMAT,
            __version__,
            st.catalog().version,
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
        for batch in _judge_all(st, stale, moment):
            apply_lifecycle(store, batch.plans)
            remember_rows(store, batch.rows)
            records.update({service_id: record for service_id, (_, record) in batch.rows.items()})
            failures.extend(batch.failures)
            if invalid is not None:
                invalid.update(batch.invalid)
            judged += len(batch.rows) + len(batch.failures)
            if progress is not None:
                progress(judged, len(stale))
    reports = latest_reports(st)
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


def _judge_all(st: AppState, stale: list[tuple[Path, str]], moment: dt.datetime) -> Iterator[_Batch]:
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
            yield _judge_batch(st, batch, moment)
        return
    from concurrent.futures import ProcessPoolExecutor

    global _forked  # read by the helpers, which inherit it through fork
    _forked = (st, moment)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_helper_start) as pool:
            yield from pool.map(_helper_batch, batches)
    finally:
        _forked = None


_forked: tuple[AppState, dt.datetime] | None = None


def _helper_start() -> None:
    """In a forked helper: never reuse the parent's database connections."""
    assert _forked is not None
    _forked[0].store().after_fork()


def _helper_batch(batch: list[tuple[Path, str]]) -> _Batch:
    assert _forked is not None
    st, moment = _forked
    return _judge_batch(st, batch, moment)


def _judge_batch(st: AppState, batch: list[tuple[Path, str]], moment: dt.datetime) -> _Batch:
    """Evaluate a batch of services from evidence read together; write nothing."""
    from secaudit.cli.evaluate import evaluate_service, gather_evidence
    from secaudit.cli.report import drift_items_of, report_input
    from secaudit.errors import Problem, SecauditError, ServiceError
    from secaudit.inventory import load_service
    from secaudit.report.dashboard import row_from_input, row_record

    store = st.store()
    checklists = st.catalog().checklists
    scheme = st.workspace().config.classification_scheme
    done = _Batch()
    services = {}
    for path, _ in batch:
        try:
            services[path.stem] = load_service(path, checklists, scheme)
        except ServiceError as exc:
            done.failures.append((path.stem, "; ".join(exc.lines())))
            done.invalid[path.stem] = exc.problems or [Problem(str(path), exc.message)]
    ids = list(services)
    evidence = gather_evidence(store, st.catalog(), ids)
    drift = drift_items_of(store, ids)
    fingerprints = {path.stem: fingerprint for path, fingerprint in batch}
    for service_id, service in services.items():
        try:
            evaluation = evaluate_service(
                st, service_id, now=moment, service=service, evidence=evidence[service_id], record=False, trail=False
            )
        except SecauditError as exc:
            done.failures.append((service_id, "; ".join(exc.lines())))
            continue
        if evaluation.lifecycle_plan is not None:
            done.plans.append(evaluation.lifecycle_plan)
        data = report_input(st, evaluation, moment, with_history=False, drift=drift)
        row = row_from_input(data, reviewed=bool(evidence[service_id].reviews))
        done.rows[service_id] = (fingerprints[service_id], row_record(row))
    return done


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr while changed services are judged, when stderr is a terminal."""
    import sys

    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from secaudit.cli.common import console

    with Progress(
        TextColumn("judging changed services"), BarColumn(), MofNCompleteColumn(), console=console(stderr=True)
    ) as bar:
        task = bar.add_task("judging", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def dashboard(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (HTML default: .secaudit/reports/dashboard.html)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html or json (json prints to stdout without -o).")
    ] = "html",
    lang: Annotated[Language | None, typer.Option("--lang", help="ja or en (default: the workspace language).")] = None,
) -> None:
    """Show every service with its launch date, decision and every reason, score, open risks, last scan, drift,
    questionnaire progress and due date, and a link to its latest report; sort and filter in the page.

    A service whose inputs have not changed since the last dashboard keeps its row; the others are
    judged afresh, spread over one helper process per core when there are many (SECAUDIT_JOBS=N
    sets the number of processes, SECAUDIT_JOBS=1 uses none). An invalid service file is listed on
    the dashboard, and the command exits 2 naming its file, line and field once the rest is written.
    """
    from secaudit.atomic import atomic_write_bytes, private_dir
    from secaudit.errors import ServiceError
    from secaudit.report import ReportError
    from secaudit.report.dashboard import dashboard_html, dashboard_json

    if fmt not in DASHBOARD_FORMATS:
        raise ReportError(f"--format: unknown format '{fmt}' (choose from {', '.join(DASHBOARD_FORMATS)})")
    st = state(ctx)
    ws = st.workspace()
    invalid: dict[str, list[Problem]] = {}
    with _progress_bar() as progress:
        board = collect_dashboard(st, progress=progress, invalid=invalid)
    for service_id, message in board.failures:
        if service_id not in invalid:  # those are the error below
            warn(f"{service_id}: not evaluated: {message}")
    if fmt == "json" and output is None:
        typer.echo(dashboard_json(board).decode("utf-8"), nl=False)
    else:
        if output is None:  # HTML: JSON without -o went to stdout above
            ws.ensure_data_dir()
            output = private_dir(ws.data_dir / "reports") / "dashboard.html"
        if fmt == "json":
            body = dashboard_json(board)
        else:  # links to the reports start from the page's own folder
            body = dashboard_html(board, lang or ws.config.language, ws.local_dir("reports"), page=output)
        atomic_write_bytes(output, body, mode=0o600)
        info(f"dashboard of {len(board.rows)} services written")
        typer.echo(str(output))
    if invalid:
        problems = [problem for found in invalid.values() for problem in found]
        raise ServiceError(f"{len(problems)} problem(s) in service files; those services are not evaluated", problems)
