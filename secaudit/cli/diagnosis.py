"""``secaudit diagnosis``: a vendor's vulnerability diagnosis (脆弱性診断) recorded as a service's evidence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli.common import info
from secaudit.cli.common import state as app_state
from secaudit.errors import InputError, Problem
from secaudit.pipeline.diagnosis import Diagnosis, Layer, Method, Remediation, Timing

app = typer.Typer(
    help="Record a vendor's vulnerability diagnosis (脆弱性診断) as a service's evidence.", no_args_is_help=True
)


@app.command("record")
def record(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="The service the diagnosis covered.")],
    report: Annotated[
        Path, typer.Argument(metavar="REPORT", help="The vendor's report (PDF, Excel, Word, image or text).")
    ],
    layer: Annotated[Layer, typer.Option("--layer", help="platform (servers, devices, middleware) or webapp.")],
    timing: Annotated[
        Timing, typer.Option("--timing", help="build (構築時診断, before launch) or periodic (定期診断).")
    ],
    performed_on: Annotated[
        str, typer.Option("--date", metavar="YYYY-MM-DD", help="When the diagnosis was performed.")
    ],
    vendor: Annotated[str, typer.Option("--vendor", help="Who performed it.")],
    scope: Annotated[
        str, typer.Option("--scope", help="What it covered, as the report states it (hosts, URLs, functions).")
    ],
    remediation: Annotated[
        Remediation | None,
        typer.Option("--findings", help="How far its findings are fixed: all-fixed, high-fixed or open-high."),
    ] = None,
    method: Annotated[
        Method | None, typer.Option("--method", help="webapp only: manual-and-tool or tool-only.")
    ] = None,
    covered_login: Annotated[
        bool | None,
        typer.Option(
            "--covered-login/--not-covered-login", help="webapp only: whether pages behind the login were tested."
        ),
    ] = None,
) -> None:
    """Keep the report as an evidence file of SERVICE and answer its diagnosis questions from it (vendor, date and
    scope in the evidence text). A periodic diagnosis older than the policy's period does not satisfy the periodic
    control. Nothing is stored when anything is refused (exit 2)."""
    from secaudit.pipeline.diagnosis import record_diagnosis

    try:
        day = dt.date.fromisoformat(performed_on)
    except ValueError:
        raise InputError(
            f"--date: {performed_on!r} is not a date (YYYY-MM-DD)", [Problem("--date", performed_on)]
        ) from None
    st = app_state(ctx)
    diagnosis = Diagnosis(layer, timing, day, vendor.strip(), scope.strip(), remediation, method, covered_login)
    done = record_diagnosis(st, service_id, report, diagnosis, st.auditor())
    info(f"kept {report.name} as evidence file {done.file_id} of {service_id}")
    for control_id, question_id, value in done.answered:
        shown = value.isoformat() if isinstance(value, dt.date) else value
        info(f"  {control_id}/{question_id}: {shown}")
