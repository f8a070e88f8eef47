"""``secaudit risk``: list, treat, accept, export and import the risk register."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secaudit import clock
from secaudit.cli.common import OutputFormat, console, date_option, info, print_json, state, warn
from secaudit.model import Language, TreatmentKind

if TYPE_CHECKING:
    from secaudit.cli.common import AppState
    from secaudit.model import RiskEntry, Treatment

app = typer.Typer(help="The risk register: list, treat, accept, export and import.", no_args_is_help=True)

TREAT_KINDS = ("mitigate", "transfer", "avoid")


def entry_dict(entry: RiskEntry) -> dict[str, Any]:
    """A register entry as JSON: id, control, likelihood, impact, level and status first."""
    data = entry.model_dump(mode="json")
    head = {
        "id": entry.id,
        "control": entry.control_id,
        "likelihood": entry.likelihood,
        "impact": entry.impact,
        "level": entry.inherent_level,
        "status": entry.status.value,
    }
    return {**head, **data}


@app.command("list")
def list_risks(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    lang: Annotated[Language | None, typer.Option(help="Language of titles.")] = None,
) -> None:
    """List the register of a service: every fail, partial and error, and risks resolved since."""
    from secaudit.pipeline.evaluation import evaluate_service

    st = state(ctx)
    ev = evaluate_service(st, service_id)
    if fmt is OutputFormat.JSON:
        print_json([entry_dict(e) for e in ev.register])
        return
    from rich.table import Table
    from rich.text import Text

    language = (lang or st.workspace().config.language).value
    table = Table(title=f"{ev.service.id}: {len(ev.register)} risks ({st.workspace().config.risk_matrix.value})")
    for column in ("id", "L", "I", "level", "residual", "status", "title", "treatment"):
        table.add_column(column, overflow="fold")
    for e in ev.register:
        cells = (
            e.id,
            str(e.likelihood),
            str(e.impact),
            e.inherent_level,
            e.residual_level,
            e.status.value,
            e.title.get(language),
            e.treatment_note,
        )
        table.add_row(*(Text(c) for c in cells))
    console().print(table)


@app.command("treat")
def treat(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    risk_id: Annotated[str, typer.Argument(metavar="RISK_ID", help="Register id, e.g. R-SERVICE-CONTROL.")],
    kind: Annotated[str, typer.Option("--kind", help="mitigate, transfer or avoid.")],
    owner: Annotated[str, typer.Option("--owner", help="Who carries out the plan.")],
    plan: Annotated[str, typer.Option("--plan", help="What will be done.")],
    due: Annotated[str | None, typer.Option("--due", help="By when (YYYY-MM-DD).")] = None,
    residual_likelihood: Annotated[int | None, typer.Option(help="Expected likelihood after treatment.")] = None,
    residual_impact: Annotated[int | None, typer.Option(help="Expected impact after treatment.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided (default: the auditor in secaudit.yaml).")] = None,
) -> None:
    """Record how a risk will be mitigated, transferred or avoided."""
    from secaudit.errors import InputError

    if kind not in TREAT_KINDS:
        raise InputError(f"--kind: '{kind}' is not one of {', '.join(TREAT_KINDS)} (use 'risk accept' to accept)")
    st = state(ctx)
    treatment = _treatment(
        st,
        kind=TreatmentKind(kind),
        owner=owner,
        plan=plan,
        due=date_option(due, "--due"),
        residual_likelihood=residual_likelihood,
        residual_impact=residual_impact,
        decided_by=_who(st, by),
    )
    _store(st, service_id, [risk_id], treatment)


@app.command("accept")
def accept(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    risk_ids: Annotated[list[str], typer.Argument(metavar="RISK_ID...", help="Register ids to accept.")],
    approver: Annotated[str, typer.Option("--approver", help="Who approved the exception (例外措置).")],
    justification: Annotated[str, typer.Option("--justification", help="Why the risk is acceptable.")],
    expires: Annotated[str, typer.Option("--expires", help="When the acceptance lapses (YYYY-MM-DD).")],
    by: Annotated[str | None, typer.Option("--by", help="Who recorded it (default: the approver).")] = None,
) -> None:
    """Accept risks as an approved exception (例外措置) until an expiry date."""
    st = state(ctx)
    expiry = date_option(expires, "--expires")
    treatment = _treatment(
        st,
        kind=TreatmentKind.ACCEPT,
        approver=approver,
        justification=justification,
        expires=expiry,
        decided_by=by or approver,
    )
    if expiry is not None and expiry < clock.today():
        warn(f"the acceptance expired on {expiry}; the risks count as open")
    _store(st, service_id, risk_ids, treatment)


@app.command("export")
def export(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.xlsx, FILE.csv or FILE.json.")],
    lang: Annotated[
        Language | None, typer.Option("--lang", help="Language of the workbook (default: the workspace's).")
    ] = None,
) -> None:
    """Write the register to a workbook (officers fill in the treatment columns), CSV or JSON."""
    from secaudit.pipeline.reporting import write_register

    ev = write_register(state(ctx), service_id, output, lang)
    info(f"wrote {len(ev.register)} risks to {output}")


@app.command("import")
def import_register(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="FILE.xlsx", help="A register workbook from 'risk export'.")],
    by: Annotated[str | None, typer.Option("--by", help="Who decided (default: the auditor in secaudit.yaml).")] = None,
) -> None:
    """Store the treatment decisions officers wrote into an exported register (all rows valid, or nothing)."""
    from secaudit.errors import InputError
    from secaudit.pipeline.records import import_treatments
    from secaudit.risk.workbook import read_register_file

    if not path.is_file():
        raise InputError(f"{path}: no such file")
    st = state(ctx)
    who = _who(st, by)
    parsed = read_register_file(path, who, clock.now())
    done = import_treatments(st, parsed, path.name)
    info(f"{path.name}: {done.stored} treatment(s) stored, {done.unchanged} unchanged")


def _treatment(st: AppState, **fields: Any) -> Treatment:
    from pydantic import ValidationError

    from secaudit.errors import InputError
    from secaudit.model import Treatment
    from secaudit.risk.matrix import matrix_for
    from secaudit.risk.register import validate_treatment

    try:
        treatment = Treatment(decided_at=clock.now(), **fields)
    except ValidationError as exc:
        raise InputError(
            "invalid treatment: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        ) from None
    problems = validate_treatment(treatment, matrix_for(st.workspace().config.risk_matrix).size)
    if problems:
        raise InputError("invalid treatment: " + "; ".join(problems))
    return treatment


def _store(st: AppState, service_id: str, risk_ids: list[str], treatment: Treatment) -> None:
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.pipeline.records import record_treatments

    ev = evaluate_service(st, service_id)
    entries = [ev.risk(rid) for rid in risk_ids]
    record_treatments(st, ev.service.id, entries, treatment, "cli")
    for entry in entries:
        info(f"{entry.id}: {treatment.kind.value} recorded")


def _who(st: AppState, by: str | None) -> str:
    from secaudit.errors import InputError

    who = by or st.workspace().config.auditor
    if not who:
        raise InputError("--by: name who decided (or set 'auditor' in secaudit.yaml)")
    return who
