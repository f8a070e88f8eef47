"""``secaudit scan``: scan one service's declared scope, or (``--due`` / ``--all``) the scheduled batch."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from secaudit.cli.common import OutputFormat, console, info, print_json, state, warn
from secaudit.errors import ExitCode, InputError
from secaudit.model import Severity

if TYPE_CHECKING:
    from secaudit.catalog import Catalog
    from secaudit.scan.engine import ScanOutcome

PROGRESS_RE = re.compile(r"^\[(\d+)/(\d+)\]")
DEFAULT = "run"


class ScanGroup(TyperGroup):
    """``secaudit scan SERVICE`` (or ``--due`` / ``--all``) scans; ``secaudit scan import-bundle FILE`` imports a
    sensor's signed bundle. A first word that is not a subcommand goes to the scan itself."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=ScanGroup,
    help="Scan a service's declared targets (secaudit scan SERVICE | --due | --all), import a sensor's bundle, "
    "or import an outside tool's results (secaudit scan import SERVICE FILE).",
)


@app.command(DEFAULT)
def scan(
    ctx: typer.Context,
    service_id: Annotated[
        str | None, typer.Argument(metavar="SERVICE", help="The service to scan (or use --due / --all).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Scan profile (quick, standard, deep, ...).")
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    fail_on: Annotated[
        Severity, typer.Option("--fail-on", help="Exit 1 when a check at or above this severity fails.")
    ] = Severity.HIGH,
    due: Annotated[bool, typer.Option("--due", help="Scan every service whose schedule is due.")] = False,
    all_services: Annotated[bool, typer.Option("--all", help="Scan every service that declares a scope.")] = False,
    log_format: Annotated[
        str, typer.Option("--log-format", help="Batch log lines: text or json (with --due / --all).")
    ] = "text",
    dispatch: Annotated[
        str | None,
        typer.Option(
            "--dispatch",
            help="With --due / --all: scan here (local) or on the zone workers (celery); default: scan.dispatch.",
        ),
    ] = None,
    deadline: Annotated[
        int | None,
        typer.Option(
            "--deadline",
            min=5,
            max=7 * 86400,
            help="With --dispatch celery: seconds to wait for the workers (default: scan.dispatch_deadline_s).",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle",
            help="On a sensor: also write the run into this file, signed with the sensor's key.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Scan a service's declared targets (ports, TLS, HTTP) and judge the checks."""
    if due or all_services:
        if service_id is not None:
            raise InputError("give either a SERVICE or --due / --all, not both")
        if bundle is not None:
            raise InputError("--bundle writes one service's run: give a SERVICE, not --due / --all")
        if log_format not in ("text", "json"):
            raise InputError(f"--log-format must be text or json, not {log_format!r}")
        if dispatch not in (None, "local", "celery"):
            raise InputError(f"--dispatch must be local or celery, not {dispatch!r}")
        from secaudit.cli.scan_batch import scan_batch

        scan_batch(
            ctx,
            due=due,
            all_services=all_services,
            log_format=log_format,
            profile=profile,
            dispatch=dispatch,
            deadline=deadline,
        )
        return
    if dispatch is not None or deadline is not None:
        raise InputError("--dispatch and --deadline go with --due / --all (one service is scanned here)")
    if service_id is None:
        raise InputError("name the SERVICE to scan, or give --due or --all")
    from secaudit.pipeline.scanning import scan_service

    st = state(ctx)
    catalog = st.catalog()
    if bundle is not None:
        from secaudit.pipeline.bundles import sensor_identity

        sensor_identity(st)  # a workspace that is no sensor is told so before it scans
    with _progress() as report:
        outcome = scan_service(st, service_id, profile, progress=report)
    if bundle is not None:
        from secaudit.pipeline.bundles import write_bundle

        info(f"bundle written: {write_bundle(st, outcome.run.id, bundle)} (carry it to the central workspace)")
    if fmt is OutputFormat.JSON:
        print_json(_as_json(outcome))
    else:
        _print_table(outcome, catalog)
    code = exit_code_of(outcome, catalog, fail_on)
    if code is ExitCode.ENVIRONMENT:
        warn(
            f"no target answered ({', '.join(outcome.silent)}); the run is recorded as unreachable "
            "and its checks stay unverified"
        )
    if code is not ExitCode.OK:
        raise typer.Exit(int(code))


@app.command("import-bundle")
def import_bundle(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A bundle written by 'secaudit scan SERVICE --bundle FILE' on a sensor.")
    ],
) -> None:
    """Import a sensor's signed bundle: checked (signature, trusted key and zone, scope, authorisation, age) and
    stored as an ordinary run marked with its sensor, or refused with nothing stored (exit 2)."""
    from secaudit.pipeline.bundles import import_bundle as bring_in

    st = state(ctx)
    done = bring_in(st, file, st.auditor())
    info(
        f"imported run {done.run.id} of {done.run.service_id} from sensor {done.sensor} "
        f"({done.observations} observations, scanned {done.run.started_at.isoformat(timespec='minutes')}"
        + (f"; {done.changes} change(s) since the previous run)" if done.changes is not None else ")")
    )


@app.command("import")
def import_results(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="The service the results are evidence for.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="An outside tool's output: nmap -oX, sslyze --json_out, testssl.sh --jsonfile-pretty, ZAP's JSON "
            "report, SARIF 2.1.0.",
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="auto (recognise the file), nmap-xml, sslyze-json, testssl-json, zap-json or sarif.",
            show_default=True,
        ),
    ] = "auto",
    output: Annotated[OutputFormat, typer.Option("--output", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Import an outside tool's results as a scan run of SERVICE, judged by secaudit's own checks and marked
    as imported (tool, version, file, sha256). Everything in the file must be within the service's declared
    scope and its authorisation on the scan date; otherwise nothing is stored (exit 2)."""
    from secaudit.pipeline.imports import import_results as bring_in
    from secaudit.scan.engine import ScanOutcome

    st = state(ctx)
    done = bring_in(st, service_id, file, fmt, st.auditor())
    outcome = ScanOutcome(done.run, done.observations, [], unreachable=False)
    if output is OutputFormat.JSON:
        print_json({**_as_json(outcome), "format": done.format, "sha256": done.sha256, "changes": done.changes})
        return
    _print_table(outcome, st.catalog())
    source = done.run.imported or {}
    info(
        f"imported {done.format} results ({source.get('tool')} {source.get('tool_version') or ''}".rstrip()
        + f", scanned {done.run.started_at.isoformat(timespec='minutes')}) as run {done.run.id} of {service_id}"
        + (f"; {done.changes} change(s) since the previous import" if done.changes else "")
    )


def exit_code_of(outcome: ScanOutcome, catalog: Catalog, fail_on: Severity) -> ExitCode:
    """3 when no target answered, 1 when a failure is at or above ``fail_on``, else 0."""
    from secaudit.model import ObservationStatus

    if outcome.unreachable:
        return ExitCode.ENVIRONMENT
    for observation in outcome.observations:
        check = catalog.checks.get(observation.check_id)
        if observation.status is ObservationStatus.FAIL and check is not None and check.severity.rank >= fail_on.rank:
            return ExitCode.POLICY
    return ExitCode.OK


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A Rich progress bar on a terminal; plain lines on stderr otherwise."""
    if not sys.stderr.isatty():
        yield lambda message: info(_printable(message))
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console(stderr=True)
    ) as bar:
        task = bar.add_task("scanning", total=None)

        def report(message: str) -> None:
            match = PROGRESS_RE.match(message)
            if match:
                bar.update(task, completed=int(match.group(1)), total=int(match.group(2)))
            bar.update(task, description=_printable(message)[:60])

        yield report


def _printable(text: str) -> str:
    """Control characters shown as U+FFFD: a banner must not drive the terminal."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def _as_json(outcome: ScanOutcome) -> dict[str, Any]:
    return {
        "run": outcome.run.model_dump(mode="json"),
        "unreachable": outcome.unreachable,
        "silent_targets": outcome.silent,
        "counts": {status.value: n for status, n in outcome.counts().items()},
        "observations": [o.model_dump(mode="json", exclude={"details"}) for o in outcome.observations],
    }


def _print_table(outcome: ScanOutcome, catalog: Catalog) -> None:
    from rich.table import Table
    from rich.text import Text

    summary = f"{outcome.summary} (run {outcome.run.id})"
    if not console().is_terminal:
        for o in outcome.observations:
            typer.echo("\t".join((o.check_id, _printable(o.target), o.status.value, _printable(o.evidence))))
        info(summary)
        return
    colour = {"pass": "green", "fail": "red", "error": "yellow", "not_run": "blue"}
    table = Table(title=f"scan {outcome.run.id[:12]} of {outcome.run.service_id} ({outcome.run.profile})")
    for column in ("check", "severity", "target", "status", "evidence"):
        table.add_column(column)
    for o in outcome.observations:
        check = catalog.checks.get(o.check_id)
        table.add_row(
            Text(o.check_id),
            Text(check.severity.value if check else "-"),
            Text(_printable(o.target)),
            Text(o.status.value, style=colour[o.status.value]),
            Text(_printable(o.evidence)),
        )
    console().print(table)
    info(summary)
