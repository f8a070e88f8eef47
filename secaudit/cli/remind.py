"""``secaudit remind``: tell owners about questionnaires due and evidence expiring (run daily from cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit.cli.common import OutputFormat, info, print_json, state, warn
from secaudit.errors import ExitCode


def remind(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=0, max=365, help="Remind of due dates this many days ahead.")] = 7,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the reminders; send nothing.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Remind owners of questionnaires due within --days or overdue, and of evidence files expiring within
    --days or expired, through the notification settings.

    The same reminder is sent once per notifications.repeat_errors_after_hours; a delivery that fails
    is retried by the next run (exit 3).
    """
    from secaudit.pipeline.reminders import send_reminders

    outcome = send_reminders(state(ctx), days, dry_run)
    if fmt is OutputFormat.JSON:
        print_json(
            {
                "reminders": [r.as_dict() for r in outcome.reminders],
                "sent": [r.service_id for r in outcome.queued],
                "told_already": [r.service_id for r in outcome.told_already],
                "notifications_configured": outcome.configured,
                "delivery_failures": outcome.failed,
            }
        )
    else:
        for r in outcome.reminders:
            what = "evidence files" if r.kind.startswith("evidence") else "required answers missing"
            typer.echo(f"{r.service_id}\t{r.kind}\t{r.date}\t{r.count} {what}")
    if not outcome.configured and outcome.reminders:
        warn("notifications are not set up in secaudit.yaml (notifications.smtp or webhook): nothing was sent")
    elif not dry_run:
        info(
            f"{len(outcome.queued)} reminder(s) sent, {len(outcome.told_already)} told already, "
            f"{outcome.failed} delivery failure(s)"
        )
    if outcome.failed:
        raise typer.Exit(int(ExitCode.ENVIRONMENT))
