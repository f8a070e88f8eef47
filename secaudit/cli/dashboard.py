"""``secaudit dashboard``: every service at a glance, what needs attention first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secaudit.cli.common import info, state, warn
from secaudit.model import Language

if TYPE_CHECKING:
    from secaudit.errors import Problem

DASHBOARD_FORMATS = ("html", "json")


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
    from secaudit.errors import ServiceError
    from secaudit.pipeline.dashboard import collect_dashboard, write_dashboard
    from secaudit.report import ReportError
    from secaudit.report.dashboard import dashboard_json

    if fmt not in DASHBOARD_FORMATS:
        raise ReportError(f"--format: unknown format '{fmt}' (choose from {', '.join(DASHBOARD_FORMATS)})")
    st = state(ctx)
    invalid: dict[str, list[Problem]] = {}
    with _progress_bar() as progress:
        board = collect_dashboard(st, progress=progress, invalid=invalid)
    for service_id, message in board.failures:
        if service_id not in invalid:  # those are the error below
            warn(f"{service_id}: not evaluated: {message}")
    if fmt == "json" and output is None:
        typer.echo(dashboard_json(board).decode("utf-8"), nl=False)
    else:
        output = write_dashboard(st, board, fmt, output, lang)
        info(f"dashboard of {len(board.rows)} services written")
        typer.echo(str(output))
    if invalid:
        problems = [problem for found in invalid.values() for problem in found]
        raise ServiceError(f"{len(problems)} problem(s) in service files; those services are not evaluated", problems)
