"""``secaudit log``: read and verify the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit.cli.common import OutputFormat, console, info, print_json, state

app = typer.Typer(help="Read and verify the audit log.", no_args_is_help=True)


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check the audit log's hash chain; name every edited, deleted or reordered row (exit 1)."""
    from secaudit.pipeline.records import verify_log

    count, problems = verify_log(state(ctx))
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED: {problem}", err=True)
        raise typer.Exit(1)
    info(f"OK: audit log intact ({count} entries)")


@app.command("show")
def show(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option(help="Only entries about this subject (e.g. a service id).")] = None,
    limit: Annotated[int, typer.Option(help="How many of the newest entries.")] = 50,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Show the newest audit-log entries."""
    from secaudit.pipeline.records import log_entries

    rows = log_entries(state(ctx), subject=subject, limit=limit)
    if fmt is OutputFormat.JSON:
        print_json(
            [
                {
                    "seq": r.seq,
                    "at": r.at,
                    "actor": r.actor,
                    "action": r.action,
                    "subject": r.subject,
                    "details": r.details,
                }
                for r in rows
            ]
        )
        return
    from rich.table import Table

    table = Table(title=f"audit log ({len(rows)} entries)")
    for column in ("seq", "at", "actor", "action", "subject"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r.seq), r.at[:19], r.actor, r.action, r.subject)
    console().print(table)
