"""``secaudit scan --due`` / ``--all``: the unattended batch, with log lines fit for cron.

Log lines go to stdout, one per event: ``TIME LEVEL SERVICE EVENT: MESSAGE`` as
text, or one JSON object per line with ``--log-format json``. No progress bars.
Exit codes, highest first: 75 another run holds the lock; 3 some service could
not be scanned; 1 new drift or newly failing checks; 0 nothing new.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from secaudit.cli.common import state

if TYPE_CHECKING:
    from secaudit.schedule.batch import ScanFunction
    from secaudit.schedule.events import BatchEvent


class LogFormat(StrEnum):
    """How batch events are written."""

    TEXT = "text"
    JSON = "json"


def format_event(event: BatchEvent, log_format: LogFormat) -> str:
    """One log line for ``event``."""
    at = event.at.isoformat(timespec="seconds").replace("+00:00", "Z")
    if log_format is LogFormat.JSON:
        record: dict[str, Any] = {
            "at": at,
            "level": event.level,
            "service": event.service,
            "event": event.event,
            "message": event.message,
            **event.data,
        }
        return json.dumps(record, ensure_ascii=False, default=str)
    return f"{at} {event.level.upper():7} {event.service or '-'} {event.event}: {event.message}"


def scan_batch(
    ctx: typer.Context,
    *,
    due: bool,
    all_services: bool,
    log_format: str | LogFormat = LogFormat.TEXT,
    profile: str | None = None,
    concurrency: int | None = None,
    dispatch: str | None = None,
    deadline: int | None = None,
    scan: ScanFunction | None = None,
) -> None:
    """Run the batch and exit with its code; raise LockHeld (75) when another run holds the lock."""
    from secaudit.errors import InputError
    from secaudit.pipeline.scanning import run_batch
    from secaudit.schedule.events import BatchOptions

    if due == all_services:
        raise InputError("give exactly one of --due and --all")
    fmt = LogFormat(str(log_format))

    def emit(event: BatchEvent) -> None:
        typer.echo(format_event(event, fmt))

    options = BatchOptions(
        due_only=due, profile=profile, concurrency=concurrency, dispatch=dispatch, deadline_s=deadline
    )
    code = int(run_batch(state(ctx), options, emit, scan).exit_code)
    if code:
        raise typer.Exit(code)
