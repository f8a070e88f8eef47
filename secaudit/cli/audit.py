"""``secaudit audit``: the whole audit of one service in one command.

Scan the declared scope, judge every control, build the risk register, write
the report (HTML, and PDF when WeasyPrint is available) and the register
workbook, and decide the launch. Exits with the gate's code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli.common import info, state, warn
from secaudit.model import Language


def audit(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="The service to audit.")],
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Scan profile (default: scan.default_profile).")
    ] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="Report language (default: the workspace's).")] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", file_okay=False, help="Folder for the results (default .secaudit/audits/SERVICE/TIME)."
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Strict gate: CONDITIONAL exits 1 too.")] = False,
    no_scan: Annotated[bool, typer.Option("--no-scan", help="Judge the latest scan on record instead.")] = False,
) -> None:
    """Scan, assess, register, report and gate one service; print where everything went."""
    from secaudit.cli.gate import exit_code, print_decision
    from secaudit.pipeline.audit import ScanSkipped, run_audit

    st = state(ctx)
    language = lang or st.workspace().config.language
    done = run_audit(st, service_id, language=language, profile=profile, folder=output, strict=strict, scan=not no_scan)
    if done.scan_skipped is ScanSkipped.NOT_ASKED:
        info("scan: skipped (--no-scan); judging the latest scan on record")
    elif done.scan is None:
        info("scan: skipped (the service declares no scope)")
    else:
        outcome = done.scan
        info(f"scan: run {outcome.run.id} ({outcome.run.profile}): {outcome.summary}")
        if outcome.unreachable:
            warn(
                f"no target answered ({', '.join(outcome.silent)}); the scan's checks stay unverified "
                "and the launch decision names them"
            )
    ev = done.evaluation
    overall = ev.scores.overall
    rate = f"{overall.pass_rate:.1%}" if overall.pass_rate is not None else "-"
    coverage = f"{overall.coverage:.1%}" if overall.coverage is not None else "-"
    info(f"assess: {overall.applicable} applicable controls, pass rate {rate}, coverage {coverage}")
    open_risks = [r for r in ev.register if r.status.is_open]
    info(f"register: {len(ev.register)} entries, {len(open_risks)} open")
    if done.pdf_problem is not None:
        warn(f"PDF not written: {done.pdf_problem}")
    for label, path in done.written.items():
        typer.echo(f"{label}: {path}")
    print_decision(ev, strict, language.value)
    raise typer.Exit(exit_code(ev.decision, strict))
