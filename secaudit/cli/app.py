"""The ``secaudit`` command line: the only part that prints or exits."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command

from secaudit import __version__
from secaudit.cli.common import AppState, state
from secaudit.errors import ExitCode, SecauditError

WORKSPACE_HELP = "Workspace folder (default: $SECAUDIT_WORKSPACE, or search upwards)."
WorkspaceOption = Annotated[Path | None, typer.Option("--workspace", "-w", help=WORKSPACE_HELP, file_okay=False)]

NO_WORKSPACE = frozenset({"init"})
"""Commands that create a workspace rather than read one: they take no ``--workspace`` after them."""


def _workspace_after_command(ctx: typer.Context, value: Path | None) -> None:
    # Parsed after the root callback has stored the one given before the command: the nearer one wins,
    # as a repeated option does, so `alias sa='secaudit -w ~/audits'` and `sa gate X -w other` audit other.
    if value is not None:
        state(ctx).workspace_path = value


def _after_command(
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help=WORKSPACE_HELP.removesuffix(".") + "; wins over one given before the command.",
            file_okay=False,
            callback=_workspace_after_command,
        ),
    ] = None,
) -> None:
    """Only a template: Typer builds the ``--workspace`` option every command accepts after its name."""


def _workspace_option() -> Any:
    """The ``--workspace`` / ``-w`` option as Typer builds it, consumed by its callback, not passed to commands."""
    template = typer.Typer()
    template.command()(_after_command)
    option = get_command(template).params[0]
    option.expose_value = False
    return option


def _accept_workspace_after(command: Any, option: Any) -> None:
    """Give every command under ``command`` but ``init`` the ``--workspace`` option (README: before or after)."""
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            if name not in NO_WORKSPACE:
                _accept_workspace_after(sub, option)
    elif not any(param.name == "workspace" for param in command.params):
        command.params.append(option)


class SecauditGroup(TyperGroup):
    """Turns secaudit's errors into one line per problem and the documented exit code."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        # one place for an option every command takes, rather than a parameter on each command function
        _accept_workspace_after(self, _workspace_option())

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SecauditError as exc:
            debug = isinstance(ctx.obj, AppState) and ctx.obj.debug
            if debug:
                traceback.print_exc()
            lines = exc.lines()
            if exc.problems and exc.message:
                typer.echo(f"error: {exc.message}", err=True)
                for line in lines:
                    typer.echo(f"  {line}", err=True)
            else:
                for line in lines:
                    typer.echo(f"error: {line}", err=True)
            raise typer.Exit(int(exc.exit_code)) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: say so plainly, keep the trace for --debug
            if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
                raise  # usage errors belong to the argument parser
            debug = isinstance(ctx.obj, AppState) and ctx.obj.debug
            if debug:
                traceback.print_exc()
            typer.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
            raise typer.Exit(int(ExitCode.ENVIRONMENT)) from None


app = typer.Typer(
    cls=SecauditGroup,
    name="secaudit",
    help="Information-security compliance audits of online services (MIC local-government guideline).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secaudit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Information-security compliance audits of online services (MIC local-government guideline)."""
    st = state(ctx)
    st.workspace_path = workspace
    st.debug = debug


def _register() -> None:
    from secaudit.cli import (
        assess,
        audit,
        checklist,
        db,
        diagnosis,
        gate,
        init,
        log,
        portal,
        prune,
        questionnaire,
        remind,
        risk,
        scan,
        schedule,
        sensor,
        service,
        worker,
    )
    from secaudit.cli import dashboard as dashboard_cli
    from secaudit.cli import report as report_cli

    app.command("init")(init.init)
    app.add_typer(checklist.app, name="checklist")
    app.add_typer(service.app, name="service")
    app.add_typer(log.app, name="log")
    app.add_typer(scan.app, name="scan")
    app.add_typer(questionnaire.app, name="questionnaire")
    app.add_typer(diagnosis.app, name="diagnosis")
    app.add_typer(assess.app, name="assess")
    app.add_typer(risk.app, name="risk")
    app.command("gate")(gate.gate)
    app.command("report")(report_cli.report)
    app.command("dashboard")(dashboard_cli.dashboard)
    app.command("audit")(audit.audit)
    app.add_typer(schedule.app, name="schedule")
    app.command("prune")(prune.prune)
    app.add_typer(portal.app, name="portal")
    app.command("serve")(portal.serve)
    app.command("remind")(remind.remind)
    app.add_typer(sensor.app, name="sensor")
    app.add_typer(db.app, name="db")
    app.command("worker")(worker.worker)


_register()


def main() -> None:
    """Console-script entry point."""
    app()
