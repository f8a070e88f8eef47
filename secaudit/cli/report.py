"""``secaudit report SERVICE``: the audit report and its exports, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli.common import info, state
from secaudit.model import Language


def report(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="The service id.")],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="html, md, pdf, json, oscal, sarif, junit or csv (the risk register)."),
    ] = "html",
    lang: Annotated[Language | None, typer.Option("--lang", help="ja or en (default: the workspace language).")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (or folder) to write; default .secaudit/reports/SERVICE/."),
    ] = None,
) -> None:
    """Write the audit report of a service (or an export) and print where it went."""
    from secaudit.pipeline.reporting import write_report
    from secaudit.report import FORMATS, ReportError, ReportFormat

    if fmt not in FORMATS:
        raise ReportError(f"--format: unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    path = write_report(state(ctx), service_id, ReportFormat(fmt), lang, output)
    info(f"{service_id}: {fmt} report written")
    typer.echo(str(path))
