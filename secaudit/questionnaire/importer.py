"""Importing a filled-in workbook: check everything, then store all of it or (with --partial) the valid part."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from secaudit import clock
from secaudit.catalog import Catalog
from secaudit.cellsafety import neutralise, restore
from secaudit.errors import Problem, ServiceError
from secaudit.inventory import find_service
from secaudit.model import ORGANISATION_ID, AnswerSource, ClassificationScheme
from secaudit.questionnaire import QuestionnaireError
from secaudit.questionnaire import layout as L
from secaudit.questionnaire.archive import archive_original
from secaudit.questionnaire.items import AnswerKey, QuestionItem
from secaudit.questionnaire.messages import counts, field_name, say
from secaudit.questionnaire.reader import WorkbookContent, read_workbook
from secaudit.questionnaire.validation import RawAnswer, ValidAnswer, validate_submission
from secaudit.store import Store
from secaudit.store.answers import AnswerSet, get_questionnaire, save_answer_set
from secaudit.store.evidence import evidence_file_ids
from secaudit.workbook_guard import WorkbookRefused, read_untrusted


@dataclass
class ImportOutcome:
    """What an import stored and what it left out."""

    service_id: str
    questionnaire_id: str
    answer_set_id: str
    stored: int
    archive_path: Path
    sha256: str
    answered_by: str
    skipped: list[Problem] = field(default_factory=list)
    skipped_summary: str = ""
    """One line before the skipped problems, in the workbook's language: how many, and of what kind."""


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs besides the file."""

    store: Store
    catalog: Catalog
    services_dir: Path
    classification_scheme: ClassificationScheme
    data_dir: Path
    actor: str
    today: dt.date
    partial: bool = False
    answered_by: str | None = None
    organisation: bool = False
    """The workbook must be the organisation questionnaire (``import --organisation``), and only then may it be."""


def import_workbook(request: ImportRequest, path: Path) -> ImportOutcome:
    """Check ``path`` completely; store its answers as a new answer set, or raise with every problem."""
    try:
        data = read_untrusted(path)
    except WorkbookRefused as exc:
        raise QuestionnaireError(exc.message) from exc
    content = read_workbook(path, data)
    respondent_id, items = _match_questionnaire(request, content)
    errors: list[Problem] = []
    rejected: set[AnswerKey] = set()
    raws: list[RawAnswer] = []
    for meta, item in zip(content.meta_rows, items, strict=True):
        row_problems = _row_problems(content, meta.sheet_row, item)
        if row_problems:
            errors.extend(row_problems)
            rejected.add(item.key)
            continue
        cells = content.rows[meta.sheet_row]
        raws.append(
            RawAnswer(
                item.key,
                restore(cells[L.COL_ANSWER - 1].value),
                restore(cells[L.COL_EVIDENCE - 1].value),
                restore(cells[L.COL_COMMENT - 1].value),
            )
        )
    lang = content.language
    for row in content.extra_rows:
        errors.append(Problem(content.where(row, L.COL_NO), say("row_added", lang)))
    row_of = {item.key: meta.sheet_row for meta, item in zip(content.meta_rows, items, strict=True)}

    def locate(key: AnswerKey, name: str) -> str:
        """The sheet, row and column of field ``name`` of the answer for ``key``."""
        return content.where(row_of[key], L.ANSWER_COLUMNS[name])

    files = evidence_file_ids(request.store, respondent_id)
    validation = validate_submission(
        items, raws, content.language, request.today, locate, rejected=rejected, known_files=files
    )
    errors.extend(validation.errors)
    answered_by = _answered_by(request, content)
    if isinstance(answered_by, Problem):
        errors.insert(0, answered_by)
    problems = errors + validation.missing
    tally = counts(errors, validation.missing, lang)
    if isinstance(answered_by, Problem) or (problems and not request.partial):
        raise QuestionnaireError(say("nothing_stored", lang, file=path.name, counts=tally), problems)
    if not validation.accepted:
        raise QuestionnaireError(say("nothing_valid", lang, file=path.name, counts=tally), problems)
    outcome = _store(
        request, path, data, content, respondent_id, answered_by, list(validation.accepted.values()), problems
    )
    if problems:
        outcome.skipped_summary = say("not_stored", lang, file=path.name, counts=tally)
    return outcome


def _match_questionnaire(request: ImportRequest, content: WorkbookContent) -> tuple[str, list[QuestionItem]]:
    """The respondent (a service id, or the organisation) and the questions of the exported questionnaire."""
    lang = content.language
    where = content.where_sheet(L.META_SHEET)
    refused = say("refused", lang, file=content.path.name)
    record = get_questionnaire(request.store, content.questionnaire_id)
    if record is None:
        message = say("never_exported", lang, questionnaire=content.questionnaire_id)
        raise QuestionnaireError(refused, [Problem(where, message)])
    if record["service_id"] != content.service_id:
        message = say("service_mismatch", lang, found=content.service_id, exported=record["service_id"])
        raise QuestionnaireError(refused, [Problem(where, message)])
    is_organisation = content.service_id == ORGANISATION_ID
    if is_organisation != request.organisation:
        message = say(
            "organisation_workbook" if is_organisation else "not_organisation", lang, found=content.service_id
        )
        raise QuestionnaireError(refused, [Problem(where, message)])
    if not is_organisation:
        try:
            find_service(
                request.services_dir, content.service_id, request.catalog.checklists, request.classification_scheme
            )
        except ServiceError as exc:
            message = say("service_problem", lang, problem=exc.message)
            raise QuestionnaireError(refused, [Problem(where, message), *exc.problems]) from None
    exported: dict[str, str] = record["questions"]
    problems: list[Problem] = []
    seen: set[str] = set()
    items: list[QuestionItem] = []
    by_ref: dict[str, QuestionItem] = {}
    for meta in content.meta_rows:
        ref = f"{meta.control_id}/{meta.question_id}"
        control = request.catalog.controls.get(meta.control_id)
        question = control.question(meta.question_id) if control else None
        if ref in seen or exported.get(ref) != meta.fingerprint or control is None or question is None:
            problems.append(Problem(where, say("table_mismatch", lang, ref=ref)))
            continue
        seen.add(ref)
        if question.fingerprint() != meta.fingerprint:
            where_row = content.where(meta.sheet_row, L.COL_QUESTION)
            problems.append(Problem(where_row, say("changed_in_catalog", lang, ref=ref)))
            continue
        parent = by_ref.get(f"{control.id}/{question.depends_on.question}") if question.depends_on else None
        item = QuestionItem(meta.number, control, question, parent)
        by_ref[ref] = item
        items.append(item)
    if not problems and seen != set(exported):
        problems.append(Problem(where, say("table_incomplete", lang)))
    if problems:
        raise QuestionnaireError(refused, problems)
    return content.service_id, items


def _row_problems(content: WorkbookContent, row: int, item: QuestionItem) -> list[Problem]:
    cells = content.rows.get(row)
    lang = content.language
    if cells is None:
        return [Problem(content.where(row, L.COL_NO), say("row_missing", lang, number=item.number, ref=item.ref))]
    expected = {
        L.COL_NO: item.number,
        L.COL_CONTROL: item.control.id,
        L.COL_QUESTION: neutralise(item.display_text(lang)),
    }
    problems = []
    for column, want in expected.items():
        got = cells[column - 1].value
        if got != want and str(got if got is not None else "").strip() != str(want):
            message = say("row_mismatch", lang, number=item.number, ref=item.ref)
            problems.append(Problem(content.where(row, column), message))
            break
    for name, column in L.ANSWER_COLUMNS.items():
        if cells[column - 1].formula:
            message = say("formula", lang, field=field_name(name, lang))
            problems.append(Problem(content.where(row, column), message))
    return problems


def _answered_by(request: ImportRequest, content: WorkbookContent) -> str | Problem:
    if request.answered_by and request.answered_by.strip():
        return request.answered_by.strip()[:200]
    lang = content.language
    where = say(
        "at_named_cell", lang, file=content.path.name, sheet=content.instructions_sheet, cell=content.answered_by_cell
    )
    cell = content.answered_by
    if cell.formula:
        return Problem(where, say("answered_by_formula", lang))
    if cell.value is None or not str(cell.value).strip():
        return Problem(where, say("answered_by_missing", lang))
    return str(cell.value).strip()[:200]


def _store(
    request: ImportRequest,
    path: Path,
    data: bytes,
    content: WorkbookContent,
    respondent_id: str,
    answered_by: str,
    accepted: list[ValidAnswer],
    skipped: list[Problem],
) -> ImportOutcome:
    archived = archive_original(request.data_dir, respondent_id, data)
    now = clock.now()
    answers = [
        a.answer(respondent_id, answered_by, now, AnswerSource.WORKBOOK, path.name, content.questionnaire_id)
        for a in accepted
    ]
    answer_set = AnswerSet(
        service_id=respondent_id,
        source=AnswerSource.WORKBOOK,
        submitted_by=request.actor,
        questionnaire_id=content.questionnaire_id,
        source_ref=path.name[:500],
        sha256=archived.sha256,
        archive_path=str(archived.path),
        partial=bool(skipped),
        received_at=now,
    )
    try:
        set_id = save_answer_set(request.store, answer_set, answers)
    except BaseException:
        with contextlib.suppress(OSError):
            archived.path.unlink()
        raise
    return ImportOutcome(
        respondent_id,
        content.questionnaire_id,
        set_id,
        len(answers),
        archived.path,
        archived.sha256,
        answered_by,
        skipped,
    )
