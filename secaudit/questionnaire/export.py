"""Building the questionnaire workbook a service owner fills in."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import uuid
from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import absolute_coordinate, get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.atomic import atomic_write_bytes
from secaudit.catalog import Catalog
from secaudit.cellsafety import neutralise
from secaudit.model import Answer, Language, LocalizedText, QuestionType, Service
from secaudit.questionnaire import layout as L
from secaudit.questionnaire.guidance import guidance_text
from secaudit.questionnaire.instructions import ANSWERED_BY_CELL, write_instructions
from secaudit.questionnaire.items import AnswerKey, QuestionItem, fingerprints, organisation_items, question_items
from secaudit.questionnaire.respondent import Respondent, organisation_respondent, service_respondent
from secaudit.questionnaire.values import MULTI_SEPARATOR, allowed_labels, display_value
from secaudit.sheetlayout import fit_rows, new_workbook, print_fit_to_width
from secaudit.store import Store
from secaudit.store.answers import latest_answers, record_questionnaire

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
MISSING_FILL = PatternFill("solid", bgColor="FFE699", fgColor="FFE699")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class ExportedQuestionnaire:
    """What an export produced."""

    questionnaire_id: str
    path: Path
    questions: int
    language: Language


def build_workbook(
    respondent: Respondent,
    items: list[QuestionItem],
    questionnaire_id: str,
    catalog_version: str,
    lang: Language,
    due: dt.date | None,
    prefill: Mapping[AnswerKey, Answer] | None = None,
) -> Workbook:
    """The questionnaire workbook for ``respondent``: instructions, answers, hidden lists and metadata.

    ``prefill`` holds answers to write into the answer cells (the answers in force, for a review round).
    """
    words = L.WORDS[lang]
    wb, instructions = new_workbook()
    instructions.title = words.instructions
    write_instructions(instructions, respondent, questionnaire_id, lang, due, len(items))
    answers = wb.create_sheet(words.answers)
    lists = wb.create_sheet(L.LISTS_SHEET)
    _write_answers(answers, lists, items, lang)
    if prefill:
        _prefill(answers, items, lang, prefill)
    # after prefilling, so that a long answer written back for review shows in full too
    fit_rows(answers, {**L.WIDTHS, **L.ANSWER_WIDTHS}, L.HEADER_ROW, L.FIRST_ROW + len(items) - 1)
    meta = wb.create_sheet(L.META_SHEET)
    _write_metadata(
        meta, respondent.id, items, questionnaire_id, catalog_version, lang, words.answers, words.instructions
    )
    for sheet in (lists, meta):
        sheet.sheet_state = "veryHidden"
        sheet.protection.sheet = True
        sheet.protection.password = secrets.token_urlsafe(12)
    wb.active = 1
    wb.security = WorkbookProtection(workbookPassword=secrets.token_urlsafe(12), lockStructure=True)
    return wb


class _Styles:
    """Cell styles registered with the workbook once per kind of cell, then copied.

    Setting ``font``, ``fill``, ``border``, ``alignment`` or ``protection`` makes
    openpyxl hash the style object and look it up in the workbook's style lists,
    for every cell: more than half of an export's time. The first cell of a kind
    is styled that way; the rest copy its style indexes (``cell._style``, the
    array openpyxl itself copies when it copies a worksheet).
    """

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def apply(self, cell: Any, kind: str, **styles: Any) -> None:
        known = self._known.get(kind)
        if known is None:
            for name, value in styles.items():
                setattr(cell, name, value)
            self._known[kind] = copy(cell._style)
        else:
            cell._style = copy(known)


def _write_answers(ws: Worksheet, lists: Worksheet, items: list[QuestionItem], lang: Language) -> None:
    headers = L.WORDS[lang].headers
    for column, title in enumerate(headers, start=1):
        cell = ws.cell(L.HEADER_ROW, column, title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = BORDER
    validations: dict[tuple[str, ...], DataValidation] = {}
    list_column = 0
    styles = _Styles()
    for offset, item in enumerate(items):
        row = L.FIRST_ROW + offset
        question = item.question
        fixed: dict[int, str | int] = {
            L.COL_NO: item.number,
            L.COL_CONTROL: item.control.id,
            L.COL_DOMAIN: L.domain_name(item.control.domain, item.control.section, lang),
            L.COL_QUESTION: neutralise(item.display_text(lang)),
            L.COL_GUIDANCE: neutralise(guidance_text(item, lang)),
        }
        for column, value in fixed.items():
            styles.apply(ws.cell(row, column, value), "locked", alignment=WRAP, border=BORDER, fill=LOCKED_FILL)
        for column in L.ANSWER_COLUMNS.values():
            styles.apply(
                ws.cell(row, column), "input", protection=UNLOCKED, alignment=WRAP, border=BORDER, fill=INPUT_FILL
            )
        answer_ref = f"{get_column_letter(L.COL_ANSWER)}{row}"
        if question.type in (QuestionType.YES_NO, QuestionType.CHOICE):
            labels = tuple(allowed_labels(question, lang))
            if labels not in validations:
                list_column += 1
                validations[labels] = _list_validation(lists, list_column, labels, lang)
                ws.add_data_validation(validations[labels])
            validations[labels].add(answer_ref)
        else:
            hint = _input_hint(item, lang)
            if hint:
                dv = DataValidation(showInputMessage=True, promptTitle=hint[0][:32], prompt=hint[1][:250])
                ws.add_data_validation(dv)
                dv.add(answer_ref)
            if question.type is QuestionType.DATE:
                ws.cell(row, L.COL_ANSWER).number_format = "yyyy-mm-dd"
        _highlight_when_missing(ws, item, row, items, lang)
    last = L.FIRST_ROW + len(items) - 1
    for column, width in {**L.WIDTHS, **L.ANSWER_WIDTHS}.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = f"{get_column_letter(L.COL_QUESTION)}{L.FIRST_ROW}"
    ws.auto_filter.ref = f"A{L.HEADER_ROW}:{get_column_letter(L.COL_COMMENT)}{max(last, L.FIRST_ROW)}"
    print_fit_to_width(ws, f"{L.HEADER_ROW}:{L.HEADER_ROW}")
    ws.protection.sheet = True
    ws.protection.password = secrets.token_urlsafe(12)
    ws.protection.autoFilter = False  # False means "allowed" in the OOXML protection flags
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _prefill(ws: Worksheet, items: list[QuestionItem], lang: Language, answers: Mapping[AnswerKey, Answer]) -> None:
    for offset, item in enumerate(items):
        answer = answers.get(item.key)
        if answer is None or answer.value is None:
            continue
        row = L.FIRST_ROW + offset
        value = answer.value
        cell_value: str | int | float | dt.date
        if isinstance(value, dt.date) or (isinstance(value, int | float) and not isinstance(value, bool)):
            cell_value = value
        else:
            cell_value = neutralise(display_value(item.question, value, lang))
        ws.cell(row, L.COL_ANSWER, cell_value)
        for column, note in ((L.COL_EVIDENCE, answer.evidence), (L.COL_COMMENT, answer.comment)):
            if note:
                ws.cell(row, column, neutralise(note))


def _list_validation(lists: Worksheet, column: int, labels: tuple[str, ...], lang: Language) -> DataValidation:
    for index, label in enumerate(labels, start=1):
        lists.cell(index, column, neutralise(label))
    letter = get_column_letter(column)
    formula = f"{quote_sheetname(lists.title)}!{absolute_coordinate(f'{letter}1:{letter}{len(labels)}')}"
    en = lang is Language.EN
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Answer" if en else "回答",
        error="Choose one answer from the list." if en else "一覧から選択してください。",
    )


def _input_hint(item: QuestionItem, lang: Language) -> tuple[str, str] | None:
    en = lang is Language.EN
    match item.question.type:
        case QuestionType.MULTI_CHOICE:
            labels = allowed_labels(item.question, lang)
            sep = f"'{MULTI_SEPARATOR}'"
            text = f"Several allowed, separated by {sep}: " if en else f"複数可（{sep} で区切る）: "
            return ("Choices" if en else "選択肢", text + " / ".join(labels))
        case QuestionType.NUMBER:
            return ("Number" if en else "数値", "Enter a number." if en else "数値を入力してください。")
        case QuestionType.DATE:
            return ("Date" if en else "日付", "YYYY-MM-DD")
        case _:
            return None


def _highlight_when_missing(
    ws: Worksheet, item: QuestionItem, row: int, items: list[QuestionItem], lang: Language
) -> None:
    if not item.question.required:
        return
    answer = f"{get_column_letter(L.COL_ANSWER)}{row}"
    blank = f"LEN(TRIM({answer}))=0"
    formula = blank
    if item.parent is not None and item.question.depends_on is not None:
        parent_row = L.FIRST_ROW + items.index(item.parent)
        parent_ref = absolute_coordinate(f"{get_column_letter(L.COL_ANSWER)}{parent_row}")
        tests = []
        for value in item.question.depends_on.answer_in:
            label = item.parent.label_of(value, lang).replace('"', '""')
            tests.append(f'ISNUMBER(SEARCH("{label}",{parent_ref}))')
        formula = f"AND({blank},OR({','.join(tests)}))"
    ws.conditional_formatting.add(answer, FormulaRule(formula=[formula], fill=MISSING_FILL))  # type: ignore[no-untyped-call]


def _write_metadata(
    ws: Worksheet,
    respondent_id: str,
    items: list[QuestionItem],
    questionnaire_id: str,
    catalog_version: str,
    lang: Language,
    answers_sheet: str,
    instructions_sheet: str,
) -> None:
    pairs: list[tuple[str, str | int]] = [
        ("format", L.FORMAT_TAG),
        ("service_id", respondent_id),
        ("questionnaire_id", questionnaire_id),
        ("catalog_version", catalog_version),
        ("language", lang.value),
        ("answers_sheet", answers_sheet),
        ("instructions_sheet", instructions_sheet),
        ("answered_by_cell", ANSWERED_BY_CELL),
        ("rows", len(items)),
    ]
    for row, (key, value) in enumerate(pairs, start=1):
        ws.cell(row, 1, key)
        ws.cell(row, 2, neutralise(value) if isinstance(value, str) else value)
    table_row = len(pairs) + 2
    for column, title in enumerate(L.META_TABLE_HEADER, start=1):
        ws.cell(table_row, column, title)
    for offset, item in enumerate(items):
        cells: tuple[int | str, ...] = (
            L.FIRST_ROW + offset,
            item.number,
            item.control.id,
            item.question.id,
            item.question.fingerprint(),
        )
        for column, cell in enumerate(cells, start=1):
            ws.cell(table_row + 1 + offset, column, cell)


def export_questionnaire(
    store: Store,
    catalog: Catalog,
    service: Service,
    path: Path,
    lang: Language,
    due: dt.date | None,
    exported_by: str,
    prefill: bool = False,
    include_organisation: bool = False,
) -> ExportedQuestionnaire:
    """Write the workbook for ``service`` to ``path`` atomically and record it in the store.

    The city-wide controls are left out (the organisation answers them) unless ``include_organisation``, for a
    service that answers them itself. With ``prefill``, the service's own answers in force are written into the
    answer cells for the owner to review (never the inherited ones: importing them would make them its own).
    """
    items = question_items(catalog, service, include_organisation)
    return _export(store, catalog, service_respondent(service), items, path, lang, due, exported_by, prefill)


def export_organisation_questionnaire(
    store: Store,
    catalog: Catalog,
    organisation: LocalizedText,
    path: Path,
    lang: Language,
    due: dt.date | None,
    exported_by: str,
    prefill: bool = False,
) -> ExportedQuestionnaire:
    """Write the organisation questionnaire (every city-wide control, answered once for all services) to
    ``path`` and record it; the same workbook as a service's, imported by the same code."""
    items = organisation_items(catalog)
    respondent = organisation_respondent(organisation)
    return _export(store, catalog, respondent, items, path, lang, due, exported_by, prefill)


def _export(
    store: Store,
    catalog: Catalog,
    respondent: Respondent,
    items: list[QuestionItem],
    path: Path,
    lang: Language,
    due: dt.date | None,
    exported_by: str,
    prefill: bool,
) -> ExportedQuestionnaire:
    from secaudit.questionnaire import QuestionnaireError

    if not items:
        raise QuestionnaireError(f"no questions apply to {respondent.id}; nothing to export")
    questionnaire_id = uuid.uuid4().hex
    in_force = latest_answers(store, respondent.id) if prefill else None
    workbook = build_workbook(respondent, items, questionnaire_id, catalog.version, lang, due, in_force)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # the file first: a full disk must not leave a questionnaire on record that nobody received,
    # and a workbook whose id is not on record could never be imported, so it goes too
    atomic_write_bytes(path, buffer.getvalue())
    try:
        record_questionnaire(
            store,
            questionnaire_id,
            respondent.id,
            exported_by,
            lang.value,
            catalog.version,
            fingerprints(items),
            due=due,
            file_name=path.name,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ExportedQuestionnaire(questionnaire_id, path, len(items), lang)
