"""``secaudit gate``: the launch decision, GO / CONDITIONAL / NO-GO, with every reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from secaudit.cli.common import OutputFormat, console, print_json, state
from secaudit.model import DecisionKind, Language

if TYPE_CHECKING:
    from secaudit.model import Decision
    from secaudit.pipeline.evaluation import Evaluation


def exit_code(decision: Decision, strict: bool) -> int:
    """0 for GO and CONDITIONAL, 1 for NO-GO; CONDITIONAL is 1 too under --strict."""
    if decision.decision is DecisionKind.NO_GO:
        return 1
    if decision.decision is DecisionKind.CONDITIONAL and strict:
        return 1
    return 0


def gate(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    strict: Annotated[
        bool, typer.Option("--strict", help="Every requirement on; unplanned risks block; CONDITIONAL exits 1.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    lang: Annotated[
        Language | None, typer.Option("--lang", help="Language of the reasons (default: the workspace's).")
    ] = None,
) -> None:
    """Decide whether the service may launch: exit 0 for GO or CONDITIONAL, 1 for NO-GO."""
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.pipeline.records import record_decision

    st = state(ctx)
    ev = evaluate_service(st, service_id, strict=strict)
    record_decision(st, ev, strict)
    if fmt is OutputFormat.JSON:
        print_json(ev.decision.model_dump(mode="json"))
    else:
        print_decision(ev, strict, (lang or st.workspace().config.language).value)
    raise typer.Exit(exit_code(ev.decision, strict))


def print_decision(ev: Evaluation, strict: bool, lang: str = "en") -> None:
    """The decision and one line per reason (in Japanese when ``lang`` is ja)."""
    out = console()
    decision = ev.decision
    out.print(f"{ev.service.id}: [bold]{decision.decision.value}[/bold]" + (" (strict)" if strict else ""))
    for reason in decision.reasons:
        message = reason.message_ja if lang == "ja" and reason.message_ja else reason.message
        out.print(f"  {reason.decision.value:<11} [{reason.clause}] {message}", markup=False)
