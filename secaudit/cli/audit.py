"""``secaudit audit``: the whole audit of one service in one command.

Scan the declared scope, judge every control, build the risk register, write
the report (HTML, and PDF when WeasyPrint is available) and the register
workbook, and decide the launch. Exits with the gate's code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from secaudit import clock
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
    from secaudit.atomic import atomic_write_bytes, private_dir
    from secaudit.cli.evaluate import evaluate_service
    from secaudit.cli.gate import exit_code, print_decision, record_decision
    from secaudit.cli.report import write_report
    from secaudit.cli.scan import with_workspace_paths
    from secaudit.errors import EnvironmentFailure
    from secaudit.registerbook import register_xlsx
    from secaudit.report import ReportFormat

    st = state(ctx)
    ws = st.workspace()
    service = with_workspace_paths(st.service(service_id), ws.root)
    now = clock.now()
    folder = output or ws.data_dir / "audits" / service.id / now.strftime("%Y%m%dT%H%M%SZ")
    private_dir(folder)

    if no_scan:
        info("scan: skipped (--no-scan); judging the latest scan on record")
    elif service.scope is None or not service.scope.targets:
        info("scan: skipped (the service declares no scope)")
    else:
        from secaudit.scan.engine import run_scan

        outcome = run_scan(service, st.catalog(), st.store(), ws.config, profile, progress=lambda _m: None)
        info(f"scan: run {outcome.run.id} ({outcome.run.profile}): {outcome.summary}")
        if outcome.unreachable:
            warn(
                f"no target answered ({', '.join(outcome.silent)}); the scan's checks stay unverified "
                "and the launch decision names them"
            )

    ev = evaluate_service(st, service.id, strict=strict, now=now)
    overall = ev.scores.overall
    rate = f"{overall.pass_rate:.1%}" if overall.pass_rate is not None else "-"
    coverage = f"{overall.coverage:.1%}" if overall.coverage is not None else "-"
    info(f"assess: {overall.applicable} applicable controls, pass rate {rate}, coverage {coverage}")
    open_risks = [r for r in ev.register if r.status.is_open]
    info(f"register: {len(ev.register)} entries, {len(open_risks)} open")

    language = lang or ws.config.language
    written = {
        "report (HTML)": write_report(
            st,
            service.id,
            ReportFormat.HTML,
            language,
            folder / f"report-{language.value}.html",
            evaluation=ev,
            now=now,
        )
    }
    try:
        written["report (PDF)"] = write_report(
            st, service.id, ReportFormat.PDF, language, folder / f"report-{language.value}.pdf", evaluation=ev, now=now
        )
    except EnvironmentFailure as exc:
        warn(f"PDF not written: {exc.message}")
    register_path = folder / f"{service.id}-risk-register.xlsx"
    atomic_write_bytes(
        register_path,
        register_xlsx(ev.register, service.id, ws.config.risk_matrix.value, language, ws.config.zone),
        0o600,
    )
    written["risk register"] = register_path
    record_decision(st, ev, strict)
    decision_path = folder / "decision.json"
    atomic_write_bytes(
        decision_path,
        json.dumps(ev.decision.model_dump(mode="json"), ensure_ascii=False, indent=2).encode(),
        0o600,
    )
    written["decision"] = decision_path

    for label, path in written.items():
        typer.echo(f"{label}: {path}")
    print_decision(ev, strict, language.value)
    raise typer.Exit(exit_code(ev.decision, strict))
