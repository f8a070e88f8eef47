"""``secaudit assess``: judge a service's controls; ``assess review``: an officer's override."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from secaudit.cli.common import OutputFormat, console, date_option, info, print_json, state
from secaudit.model import Language, ResultStatus

if TYPE_CHECKING:
    from secaudit.model import ControlResult, Scores


class AssessGroup(TyperGroup):
    """``assess SERVICE`` runs the ``show`` command; ``assess review ...`` stays a subcommand."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=AssessGroup,
    help="Judge every control of a service (assess SERVICE), or review one (assess review).",
    no_args_is_help=True,
)


def result_row(result: ControlResult) -> dict[str, Any]:
    """A result as listings and JSON show it."""
    return result.model_dump(mode="json", exclude_none=True)


def scores_dict(scores: Scores) -> dict[str, Any]:
    """Scores as JSON, with status counts keyed by their value."""
    return scores.model_dump(mode="json")


@app.command("show")
def show(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    lang: Annotated[Language | None, typer.Option(help="Language of titles.")] = None,
    today: Annotated[
        str | None, typer.Option(help="Judge dates as of this day (YYYY-MM-DD); default: today.", hidden=True)
    ] = None,
) -> None:
    """Print one result per control of the service, then the scores."""
    from secaudit.pipeline.evaluation import evaluate_service

    st = state(ctx)
    ev = evaluate_service(st, service_id, today=date_option(today, "--today"))
    if fmt is OutputFormat.JSON:
        print_json(
            {
                "service": ev.service.id,
                "catalog_version": ev.catalog.version,
                "results": [result_row(r) for r in ev.results],
                "scores": scores_dict(ev.scores),
                "retired": [note.model_dump(mode="json") for note in ev.retired_notes],
            }
        )
        return
    from rich.table import Table
    from rich.text import Text

    language = (lang or st.workspace().config.language).value
    table = Table(title=f"{ev.service.id}: {len(ev.results)} controls")
    for column in ("control", "severity", "status", "title", "why"):
        table.add_column(column)
    for r in ev.results:
        status = r.status.value
        if r.status is ResultStatus.WAIVED and r.underlying_status:
            status += f" ({r.underlying_status.value})"
        if r.overridden:
            status += " *reviewed"
        table.add_row(*(Text(v) for v in (r.control_id, r.severity.value, status, r.title.get(language), r.reason)))
    out = console()
    out.print(table)
    o = ev.scores.overall
    shown = ", ".join(f"{s.value} {n}" for s, n in o.counts.items() if n)
    out.print(f"counts: {shown}", markup=False)
    out.print(
        f"applicable {o.applicable}, assessed {o.assessed}, coverage {_pct(o.coverage)}, "
        f"pass rate {_pct(o.pass_rate)} (after waivers {_pct(o.pass_rate_after_waivers)})"
    )
    for name, counts in ev.scores.by_domain.items():
        out.print(f"  {name}: pass rate {_pct(counts.pass_rate)}, coverage {_pct(counts.coverage)}")
    for note in ev.retired_notes:
        out.print(f"note: {note.get(language)}", markup=False)


@app.command("review")
def review(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    control_id: Annotated[str, typer.Argument(metavar="CONTROL", help="Control id.")],
    result: Annotated[str, typer.Option("--result", help="pass, fail, partial or not_applicable.")],
    note: Annotated[str, typer.Option("--note", help="Why: what the evidence showed.")],
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Who reviewed (default: the auditor in secaudit.yaml).")
    ] = None,
) -> None:
    """Confirm or override a control's result; it lapses when newer answers or observations arrive."""
    from secaudit.errors import InputError
    from secaudit.model.vocab import REVIEW_RESULTS
    from secaudit.pipeline.records import review_control

    if result not in REVIEW_RESULTS:
        raise InputError(f"--result: '{result}' is not one of {', '.join(REVIEW_RESULTS)}")
    st = state(ctx)
    who = reviewer or st.workspace().config.auditor
    if not who:
        raise InputError("--reviewer: name who reviewed (or set 'auditor' in secaudit.yaml)")
    done = review_control(st, service_id, control_id, ResultStatus(result), note, who)
    was = done.self_assessed.value
    verb = "confirmed" if done.confirms else f"overridden ({was} -> {result})"
    info(f"{service_id} {control_id}: {verb} by {done.review.reviewer}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
