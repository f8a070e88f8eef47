"""What every command shares: the workspace, the catalog, output and error reporting."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from secaudit.pipeline.session import Session

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    """Output formats of listing commands."""

    TABLE = "table"
    JSON = "json"


@dataclass
class AppState(Session):
    """The session of one command, with the options given before it, shared through the Click context."""

    debug: bool = False


def state(ctx: typer.Context) -> AppState:
    """The AppState of the running command."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """A Rich console on stdout (or stderr); plain when not on a terminal."""
    if stderr not in _consoles:
        from rich.console import Console

        stream = sys.stderr if stderr else sys.stdout
        # Piped output (cron logs, files) is read whole: do not squeeze tables into 80 columns.
        width = None if stream.isatty() else 160
        _consoles[stderr] = Console(stderr=stderr, highlight=False, width=width, soft_wrap=width is not None)
    return _consoles[stderr]


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    """One warning line on stderr."""
    typer.echo(f"warning: {message}", err=True)


def info(message: str) -> None:
    """One progress or result line on stderr, so stdout stays machine-readable."""
    typer.echo(message, err=True)


def date_option(text: str | None, option: str) -> dt.date | None:
    """A date given on the command line (YYYY-MM-DD), or None; InputError naming the option otherwise."""
    from secaudit.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: '{text}' is not a date (YYYY-MM-DD)") from None
