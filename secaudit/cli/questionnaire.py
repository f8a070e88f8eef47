"""``secaudit questionnaire``: export and import workbooks, answer at the terminal or from a file, status."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secaudit import clock
from secaudit.cli.common import OutputFormat, console, date_option, info, print_json, state, warn
from secaudit.model import Language

if TYPE_CHECKING:
    from secaudit.cli.common import AppState
    from secaudit.model import Service
    from secaudit.questionnaire.items import QuestionItem
    from secaudit.questionnaire.session import AnswerSession

app = typer.Typer(help="Send questionnaires to service owners and take their answers back.", no_args_is_help=True)


def actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _today() -> dt.date:
    return clock.today()


def _language(st: AppState, lang: Language | None) -> Language:
    return lang or st.workspace().config.language


@app.command("export")
def export(
    ctx: typer.Context,
    service_id: Annotated[
        str | None, typer.Argument(metavar="[SERVICE]", help="Service id (none with --organisation).")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Workbook to write (.xlsx).")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="Language of the workbook.")] = None,
    due: Annotated[str | None, typer.Option("--due", metavar="YYYY-MM-DD", help="Answer due date.")] = None,
    prefill: Annotated[
        bool, typer.Option("--prefill", help="Write the answers in force into the workbook, for a review round.")
    ] = False,
    organisation: Annotated[
        bool,
        typer.Option("--organisation", help="The organisation questionnaire: the city-wide controls, answered once."),
    ] = False,
    include_organisation: Annotated[
        bool,
        typer.Option(
            "--include-organisation", help="Also ask the service the city-wide controls (its answers override)."
        ),
    ] = False,
) -> None:
    """Write the questionnaire workbook for a service (the controls that apply to it, without the city-wide
    ones), or with --organisation the organisation questionnaire."""
    from secaudit.model import ORGANISATION_ID
    from secaudit.questionnaire import QuestionnaireError
    from secaudit.questionnaire.export import export_organisation_questionnaire, export_questionnaire

    st = state(ctx)
    due_date = date_option(due, "--due")
    if organisation == (service_id is not None):
        raise QuestionnaireError("name a SERVICE, or give --organisation for the organisation questionnaire")
    if organisation and include_organisation:
        raise QuestionnaireError("--include-organisation is for a service's questionnaire, not with --organisation")
    respondent = ORGANISATION_ID if service_id is None else st.service(service_id).id
    path = output or Path(f"{respondent}-questionnaire-{_today():%Y%m%d}.xlsx")
    if path.suffix.lower() != ".xlsx":
        raise QuestionnaireError(f"--output: '{path}' must end in .xlsx")
    language = _language(st, lang)
    if service_id is None:
        organisation_name = st.workspace().config.organisation
        result = export_organisation_questionnaire(
            st.store(), st.catalog(), organisation_name, path, language, due_date, exported_by=actor(), prefill=prefill
        )
    else:
        result = export_questionnaire(
            st.store(),
            st.catalog(),
            st.service(service_id),
            path,
            language,
            due_date,
            exported_by=actor(),
            prefill=prefill,
            include_organisation=include_organisation,
        )
    info(f"wrote {result.path} ({result.questions} questions, questionnaire {result.questionnaire_id})")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The filled-in workbook (.xlsx).")],
    partial: Annotated[
        bool, typer.Option("--partial", help="Store the valid rows and list the rest (exit 0 with warnings).")
    ] = False,
    answered_by: Annotated[
        str | None, typer.Option("--answered-by", help="Who answered (instead of the workbook's 'answered by' cell).")
    ] = None,
    organisation: Annotated[
        bool, typer.Option("--organisation", help="The workbook is the organisation questionnaire (city-wide answers).")
    ] = False,
) -> None:
    """Check a filled-in workbook completely, then store its answers as a new answer set (exit 2: nothing stored)."""
    from secaudit.questionnaire.importer import ImportRequest, import_workbook

    st = state(ctx)
    ws = st.workspace()
    request = ImportRequest(
        store=st.store(),
        catalog=st.catalog(),
        services_dir=ws.services_dir,
        classification_scheme=ws.config.classification_scheme,
        data_dir=ws.ensure_data_dir(),
        actor=actor(),
        today=_today(),
        partial=partial,
        answered_by=answered_by,
        organisation=organisation,
    )
    outcome = import_workbook(request, file)
    if outcome.skipped_summary:
        warn(outcome.skipped_summary)
    for problem in outcome.skipped:
        warn(f"  {problem}")
    info(
        f"stored {outcome.stored} answer(s) for {outcome.service_id} answered by {outcome.answered_by} "
        f"(answer set {outcome.answer_set_id}; original archived as {outcome.archive_path.name}, "
        f"sha256 {outcome.sha256})"
    )


@app.command("answer")
def answer(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Answers file (YAML) for non-interactive use.")
    ] = None,
    answered_by: Annotated[str | None, typer.Option("--answered-by", help="Who answers.")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="Language of the questions.")] = None,
) -> None:
    """Answer the questionnaire at the terminal (resumable), or from an answers file with --from."""
    st = state(ctx)
    ws = st.workspace()
    service = st.service(service_id)
    language = _language(st, lang)
    if from_file is not None:
        from secaudit.questionnaire.answers_file import store_answers_file

        outcome = store_answers_file(
            st.store(),
            st.catalog(),
            service,
            from_file,
            actor=actor(),
            lang=language.value,
            today=_today(),
            data_dir=ws.ensure_data_dir(),
            answered_by=answered_by,
        )
        for problem in outcome.missing:
            warn(str(problem))
        info(f"stored {outcome.stored} answer(s) for {service.id} (answer set {outcome.answer_set_id})")
        return
    _interactive(st, service, language, answered_by)


def _interactive(st: AppState, service: Service, language: Language, answered_by: str | None) -> None:
    from secaudit.questionnaire.session import AnswerSession

    out = console(stderr=True)
    who = (answered_by or "").strip()
    try:
        while not who:
            who = _ask("Answered by (your name)" if language is Language.EN else "回答者の氏名", "").strip()
    except _Stop:
        info("stopped before any question; nothing saved")
        return
    session = AnswerSession(st.store(), st.catalog(), service, who, language.value, _today())
    if session.resumed:
        out.print(f"resuming: {session.resumed} question(s) already dealt with in an unfinished session")
    out.print(
        "Enter: keep the current answer (or skip), '-': skip, 'q': stop and resume later"
        if language is Language.EN
        else "Enter: 現在の回答のまま（未回答ならスキップ）、'-': スキップ、'q': 中断（次回この続きから再開）"
    )
    for item in session.pending():
        if not _ask_item(session, item, language):
            info(f"stopped; progress saved. Run 'secaudit questionnaire answer {service.id}' to continue.")
            return
    result = session.finish(actor())
    for problem in result.missing:
        warn(f"required answer missing: {problem}")
    if result.answer_set_id is None:
        info("no new answers given; nothing stored")
    else:
        info(f"stored {result.stored} answer(s) for {service.id} (answer set {result.answer_set_id})")


class _Stop(Exception):
    """The owner asked to stop, or input ended."""


def _ask(text: str, default: str) -> str:
    from rich.prompt import Prompt

    try:
        return str(Prompt.ask(text, default=default, show_default=bool(default), console=console(stderr=True)))
    except EOFError:
        raise _Stop from None


def _ask_item(session: AnswerSession, item: QuestionItem, language: Language) -> bool:
    """Ask one question until it is answered, skipped or the owner stops; False when stopping."""
    from rich.markup import escape

    from secaudit.questionnaire.guidance import guidance_text
    from secaudit.questionnaire.values import display_value

    out = console(stderr=True)
    lang = language.value
    out.print()
    title = escape(item.control.title.get(lang))
    out.print(f"[bold]No. {item.number}[/bold]  {item.control.id}  {title}", markup=True)
    out.print(item.display_text(lang), markup=False)
    out.print(guidance_text(item, language), markup=False, style="dim")
    for index, choice in enumerate(item.question.allowed_choices(), start=1):
        out.print(f"  {index}. {choice.label.get(lang)}", markup=False)
    current = session.value_of(item.key)
    shown = display_value(item.question, current, lang) if current is not None else ""
    while True:
        try:
            text = _ask("Answer" if language is Language.EN else "回答", shown)
            if text.strip().lower() == "q":
                raise _Stop
            if text.strip() == "-" or not text.strip() or (shown and text == shown):
                session.skip(item)
                return True
            unfit = session.value_problem(item, text)
            if unfit is not None:
                warn(unfit)
                continue
            evidence = None
            if item.question.requires_evidence:
                evidence = _ask("Evidence reference" if language is Language.EN else "証跡（資料名・保管場所）", "")
            comment = _ask("Comment (Enter: none)" if language is Language.EN else "コメント（Enter: なし）", "")
        except _Stop:
            return False
        problems = session.answer(item, text, evidence or None, comment or None)
        if not problems:
            return True
        for problem in problems:
            warn(problem.message)


@app.command("status")
def status(
    ctx: typer.Context,
    service_id: Annotated[str | None, typer.Argument(metavar="[SERVICE]", help="Service id (default: all).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    organisation: Annotated[
        bool, typer.Option("--organisation", help="Only the organisation questionnaire (the city-wide answers).")
    ] = False,
) -> None:
    """Answered, applicable and required-but-missing questions, and the last import, per service (city-wide
    answers inherited); without SERVICE the organisation questionnaire first."""
    from secaudit.questionnaire.status import organisation_status, questionnaire_status

    st = state(ctx)
    store, catalog = st.store(), st.catalog()
    if organisation and service_id is not None:
        from secaudit.errors import InputError

        raise InputError("name a SERVICE or give --organisation, not both")
    services = [] if organisation else [st.service(service_id)] if service_id else st.services()
    rows = [organisation_status(store, catalog)] if not service_id and catalog.organisation_controls() else []
    rows += [questionnaire_status(store, catalog, service) for service in services]
    if fmt is OutputFormat.JSON:
        print_json([row.as_dict() for row in rows])
        return
    from rich.table import Table

    table = Table(title=f"questionnaires ({len(rows)} rows)")
    table.add_column("service", no_wrap=True)
    for column in ("answered", "inherited", "applicable", "required missing", "last import", "unfinished"):
        table.add_column(column)
    for row in rows:
        last = row.last_import
        table.add_row(
            row.service_id,
            str(row.answered),
            str(row.inherited or ""),
            str(row.applicable),
            str(len(row.missing_required)),
            f"{last['at'][:16]} {last['source']} ({last['answers']})" if last else "-",
            str(row.drafts or ""),
        )
    console().print(table)
