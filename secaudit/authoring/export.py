"""Write a checklist as an authoring workbook (one row per control and question)."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.authoring.cells import AuthoringError
from secaudit.authoring.layout import (
    CHECKLIST_HEADER,
    CHECKLIST_SHEET,
    COLUMNS,
    CONTROLS_SHEET,
    LIST_SEPARATOR,
    NO,
    PROCEDURE_SLOTS,
    RETIRED_HEADER,
    RETIRED_SHEET,
    WHEN_OBSERVED,
    YES,
    format_range,
)
from secaudit.cellsafety import neutralise
from secaudit.model import Checklist, Control
from secaudit.model.control import AuditPhase, Question
from secaudit.sheetlayout import new_workbook

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
CONTROL_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")
SPARE_ROWS = 500


def export_checklist(checklist: Checklist) -> bytes:
    """The checklist as .xlsx bytes; text is protected from formula injection."""
    book, sheet = new_workbook()
    sheet.title = CONTROLS_SHEET
    _write_controls(sheet, checklist.controls)
    _write_header_sheet(book.create_sheet(CHECKLIST_SHEET), checklist)
    if checklist.retired:
        _write_retired_sheet(book.create_sheet(RETIRED_SHEET), checklist)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_controls(sheet: Worksheet, controls: list[Control]) -> None:
    sheet.append([c.key for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for control in controls:
        first = True
        rows: list[Question | None] = [*control.questions] or [None]
        for question in rows:
            values: dict[str, Any] = {"id": control.id}
            if first:
                values.update(control_cells(control))
            if question is not None:
                values.update(question_cells(control.id, question))
            sheet.append([_cell_value(values.get(c.key)) for c in COLUMNS])
            if first:
                sheet.cell(sheet.max_row, 1).fill = CONTROL_FILL
            first = False
    last_row = sheet.max_row + SPARE_ROWS
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if row[0].value is not None:
                    row[0].alignment = WRAP
        if column.key == "section":
            # text format, so that Excel keeps "6.10" from becoming the number 6.1
            sheet.column_dimensions[letter].number_format = "@"
            for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                row[0].number_format = "@"
        if column.vocabulary:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.vocabulary) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column.key,
                error=f"{column.key}: choose one of " + ", ".join(column.vocabulary),
            )
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(sheet.max_row, 2)}"


def control_cells(control: Control) -> dict[str, Any]:
    """The control-level cells of a control's first row."""
    if len(control.procedure) > PROCEDURE_SLOTS:
        raise AuthoringError(f"{control.id}: more than {PROCEDURE_SLOTS} procedures cannot be exported")
    cells: dict[str, Any] = {
        "domain": control.domain.value,
        "section": control.section,
        "control_type": control.control_type.value,
        "scope": control.scope.value,
        "severity": control.severity.value,
        "protects": ", ".join(d.value for d in control.protects),
        "title_ja": control.title.ja,
        "title_en": control.title.en,
        "rationale_ja": control.rationale.ja,
        "rationale_en": control.rationale.en,
        "checks": "\n".join(ref.check + (WHEN_OBSERVED if ref.when_observed else "") for ref in control.checks),
        "scan_cadence_days": control.scan_cadence.max_age_days if control.scan_cadence else None,
        "evidence_ja": _lines(control.id, "evidence", [e.ja for e in control.evidence_examples]),
        "evidence_en": _lines(control.id, "evidence", [e.en for e in control.evidence_examples]),
        "references": "\n".join(
            _joined(control.id, "reference", [r.framework.value, r.id, *([r.edition] if r.edition else [])])
            for r in control.references
        ),
        "remediation_ja": control.remediation.ja,
        "remediation_en": control.remediation.en,
    }
    if control.applies_if is not None:
        cells["applies_if"] = json.dumps(
            control.applies_if.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False
        )
    for index, procedure in enumerate(control.procedure, start=1):
        cells[f"procedure_{index}"] = procedure.value
    for phase in AuditPhase:
        audit = control.audit.phase(phase)
        cells[f"{phase.value}_ja"] = audit.ja
        cells[f"{phase.value}_en"] = audit.en
        cells[f"{phase.value}_techniques"] = ", ".join(t.value for t in audit.techniques)
    return cells


def question_cells(control_id: str, question: Question) -> dict[str, Any]:
    """The question-level cells of one row."""
    where = f"{control_id}/{question.id}"
    cells: dict[str, Any] = {
        "question_id": question.id,
        "question_type": question.type.value,
        "question_ja": question.text.ja,
        "question_en": question.text.en,
        "choices": "\n".join(_joined(where, "choice", [c.value, c.label.ja, c.label.en]) for c in question.choices),
        "compliant": ", ".join(question.compliant),
        "partial": ", ".join(question.partial),
        "non_compliant": ", ".join(question.non_compliant),
        "not_applicable": ", ".join(question.not_applicable),
        "max_age_days": question.max_age_days,
        "partial_age_days": question.partial_age_days,
        "required": YES if question.required else NO,
        "requires_evidence": YES if question.requires_evidence else NO,
        "ask_contractor": YES if question.ask_contractor else NO,
    }
    if question.help is not None:
        cells["help_ja"] = question.help.ja
        cells["help_en"] = question.help.en
    for key, bounds in (("compliant_range", question.compliant_range), ("partial_range", question.partial_range)):
        if bounds is not None:
            cells[key] = format_range(bounds.gte, bounds.lte)
    if question.depends_on is not None:
        cells["depends_on"] = f"{question.depends_on.question}: " + ", ".join(question.depends_on.answer_in)
    return cells


def _lines(where: str, what: str, items: list[str]) -> str:
    for item in items:
        if "\n" in item:
            raise AuthoringError(f"{where}: a {what} spanning several lines cannot be exported one per line")
    return "\n".join(items)


def _joined(where: str, what: str, parts: list[str]) -> str:
    for part in parts:
        if "|" in part or "\n" in part:
            raise AuthoringError(f"{where}: a {what} containing '|' or a line break cannot be exported: {part!r}")
    return LIST_SEPARATOR.join(parts)


def _cell_value(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return neutralise(value)
    return value


def _write_retired_sheet(sheet: Worksheet, checklist: Checklist) -> None:
    sheet.append(list(RETIRED_HEADER))
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for retired in checklist.retired:
        sheet.append(
            [
                neutralise(retired.id),
                neutralise("\n".join(retired.replaced_by)),
                neutralise(retired.reason.ja),
                neutralise(retired.reason.en),
            ]
        )
    for letter, width in zip("ABCD", (16, 24, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    sheet.freeze_panes = "A2"


def _write_header_sheet(sheet: Worksheet, checklist: Checklist) -> None:
    info = checklist.checklist
    sheet.append(list(CHECKLIST_HEADER))
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    sheet.append(["id", neutralise(info.id), None, None])
    sheet.append(["version", neutralise(info.version), None, None])
    sheet.append(["title", None, neutralise(info.title.ja), neutralise(info.title.en)])
    if info.description is not None:
        sheet.append(["description", None, neutralise(info.description.ja), neutralise(info.description.en)])
    for letter, width in zip("ABCD", (14, 24, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP
    sheet.freeze_panes = "A2"
