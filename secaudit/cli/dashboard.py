"""``secaudit dashboard``: every service at a glance, what needs attention first."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from secaudit import __version__
from secaudit.cli.common import info, state, warn
from secaudit.model import Language

if TYPE_CHECKING:
    from secaudit.cli.common import AppState
    from secaudit.report.dashboard import Dashboard, DashboardRow

DASHBOARD_FORMATS = ("html", "json")


EVALUATION_CHUNK = 200
"""Services judged per batch: their evidence is read in one set of queries and their risk changes
written in one transaction, while memory stays bounded however large the portfolio."""


def collect_dashboard(st: AppState, now: dt.datetime | None = None) -> Dashboard:
    """Every service of the workspace; a service that cannot be evaluated is listed, not fatal.

    A service whose inputs have not changed since the last dashboard (same service file,
    catalog, configuration, day, and no newer answer, scan, review, treatment or drift)
    keeps its remembered row; every other service is evaluated afresh, in batches whose
    evidence is read together.
    """
    from secaudit.inventory import service_files
    from secaudit.report.dashboard import ROW_FORMAT, build_dashboard, row_from_record
    from secaudit.store.dashboard_cache import cached_rows, evidence_stamps

    moment = now or dt.datetime.now(dt.UTC)
    ws = st.workspace()
    store = st.store()
    common = "|".join(
        (
            ROW_FORMAT,
            __version__,
            st.catalog().version,
            ws.config.model_dump_json(),
            moment.astimezone(ZoneInfo(ws.config.timezone)).date().isoformat(),
        )
    )
    stamps = evidence_stamps(store)
    remembered = cached_rows(store)
    rows: dict[str, DashboardRow] = {}
    failures: list[tuple[str, str]] = []
    stale: list[tuple[Path, str, bytes]] = []
    for path in service_files(ws.services_dir):
        service_id, text = path.stem, path.read_bytes()
        fingerprint = hashlib.sha256(
            b"\0".join((common.encode(), text, stamps.get(service_id, "").encode()))
        ).hexdigest()
        cached = remembered.get(service_id)
        if cached is not None and cached[0] == fingerprint:
            rows[service_id] = row_from_record(cached[1])
        else:
            stale.append((path, fingerprint, text))
    for start in range(0, len(stale), EVALUATION_CHUNK):
        batch = stale[start : start + EVALUATION_CHUNK]
        rows.update(_judge_batch(st, batch, moment, failures))
    ordered = [rows[path.stem] for path in service_files(ws.services_dir) if path.stem in rows]
    return build_dashboard(ws.config, ordered, moment, failures)


def _judge_batch(
    st: AppState, batch: list[tuple[Path, str, bytes]], moment: dt.datetime, failures: list[tuple[str, str]]
) -> dict[str, DashboardRow]:
    """Evaluate a batch of services from evidence read together; remember their rows."""
    from secaudit.cli.evaluate import evaluate_service, gather_evidence
    from secaudit.cli.report import drift_items_of, report_input
    from secaudit.errors import SecauditError
    from secaudit.inventory import load_service
    from secaudit.report.dashboard import row_from_input, row_record
    from secaudit.store.dashboard_cache import remember_rows
    from secaudit.store.risks import LifecyclePlan, apply_lifecycle

    store = st.store()
    services = {}
    for path, _, _ in batch:
        try:
            services[path.stem] = load_service(path)
        except SecauditError as exc:
            failures.append((path.stem, "; ".join(exc.lines())))
    ids = list(services)
    evidence = gather_evidence(store, ids)
    drift = drift_items_of(store, ids)
    fingerprints = {path.stem: fingerprint for path, fingerprint, _ in batch}
    rows: dict[str, DashboardRow] = {}
    fresh: dict[str, tuple[str, dict[str, Any]]] = {}
    plans: list[LifecyclePlan] = []
    for service_id, service in services.items():
        try:
            evaluation = evaluate_service(
                st, service_id, now=moment, service=service, evidence=evidence[service_id], record=False, trail=False
            )
        except SecauditError as exc:
            failures.append((service_id, "; ".join(exc.lines())))
            continue
        if evaluation.lifecycle_plan is not None:
            plans.append(evaluation.lifecycle_plan)
        row = row_from_input(report_input(st, evaluation, moment, with_history=False, drift=drift))
        rows[service_id] = row
        fresh[service_id] = (fingerprints[service_id], row_record(row))
    apply_lifecycle(store, plans)
    remember_rows(store, fresh)
    return rows


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
    """Show every service with its launch date, decision, score, open risks, last scan, drift and answers."""
    from secaudit.atomic import atomic_write_bytes, private_dir
    from secaudit.report import ReportError
    from secaudit.report.dashboard import dashboard_html, dashboard_json

    if fmt not in DASHBOARD_FORMATS:
        raise ReportError(f"--format: unknown format '{fmt}' (choose from {', '.join(DASHBOARD_FORMATS)})")
    st = state(ctx)
    ws = st.workspace()
    board = collect_dashboard(st)
    for service_id, message in board.failures:
        warn(f"{service_id}: not evaluated: {message}")
    if fmt == "json":
        body = dashboard_json(board)
        if output is None:
            typer.echo(body.decode("utf-8"), nl=False)
            return
    else:
        body = dashboard_html(board, lang or ws.config.language, ws.local_dir("reports"))
    if output is None:
        ws.ensure_data_dir()
        output = private_dir(ws.data_dir / "reports") / "dashboard.html"
    atomic_write_bytes(output, body, mode=0o600)
    info(f"dashboard of {len(board.rows)} services written")
    typer.echo(str(output))
