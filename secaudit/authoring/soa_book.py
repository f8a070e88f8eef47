"""Write a statement of applicability as a workbook to read and print (text protected from formula injection).

The statement is grouped by guideline section, as an auditor reads the
guideline, with a heading row per section; the rows of a section can be
folded away. It prints on A4 landscape, one page wide.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import Outline
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.cellsafety import neutralise
from secaudit.model import Language
from secaudit.model.labels import DOMAIN_TEXT, SEVERITY_TEXT, name_of
from secaudit.sheetlayout import fit_rows, new_workbook, print_fit_to_width, row_points
from secaudit.soa import SoaEntry, StatementOfApplicability
from secaudit.workbook_kinds import WorkbookKind, meta_sheet_of, tag_of

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
EXCLUDED_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class SoaColumn:
    """One column of the statement sheet."""

    ja: str
    en: str
    width: float


SOA_COLUMNS: tuple[SoaColumn, ...] = (
    SoaColumn("節", "Section", 7),
    SoaColumn("管理策ID", "Control", 15),
    SoaColumn("管理策", "Title", 40),
    SoaColumn("重要度", "Severity", 8),
    SoaColumn("適用", "Applies", 8),
    SoaColumn("理由", "Reason", 60),
    SoaColumn("チェックリスト", "Checklist", 16),
)
APPLIES_COLUMN = 5


@dataclass(frozen=True)
class SoaWords:
    """Sheet names and fixed words of the workbook in one language."""

    summary: str
    statement: str
    title: str
    labels: tuple[str, str, str, str, str]
    applies: str
    excluded: str


WORDS = {
    Language.JA: SoaWords(
        "概要",
        "適用宣言書",
        "適用宣言書（管理策の適用・適用外とその理由）",
        ("サービス", "チェックリスト版", "管理策の数", "適用", "適用外"),
        "適用",
        "適用外",
    ),
    Language.EN: SoaWords(
        "Summary",
        "Statement",
        "Statement of applicability: each control, whether it applies and why",
        ("Service", "Catalog version", "Controls", "Applicable", "Not applicable"),
        "yes",
        "no",
    ),
}


def soa_workbook(statement: StatementOfApplicability, lang: Language) -> bytes:
    """The statement as .xlsx bytes in ``lang``: a summary sheet, the statement by section, hidden metadata."""
    words = WORDS[lang]
    book, summary = new_workbook()
    summary.title = words.summary
    _write_summary(summary, statement, words)
    sheet = book.create_sheet(words.statement)
    _write_statement(sheet, statement, lang, words)
    meta = book.create_sheet(meta_sheet_of(WorkbookKind.SOA))
    for key, value in (
        ("format", tag_of(WorkbookKind.SOA)),
        ("service", statement.service_id),
        ("catalog_version", statement.catalog_version),
        ("language", lang.value),
    ):
        meta.append([key, neutralise(value)])
    meta.sheet_state = "hidden"
    book.active = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_summary(ws: Worksheet, statement: StatementOfApplicability, words: SoaWords) -> None:
    ws["A1"] = words.title
    ws["A1"].font = Font(bold=True, size=14)
    values: tuple[str | int, ...] = (
        statement.service_id,
        statement.catalog_version,
        len(statement.entries),
        len(statement.applicable),
        len(statement.excluded),
    )
    for row, (label, value) in enumerate(zip(words.labels, values, strict=True), start=2):
        ws.cell(row, 1, label).font = Font(bold=True)
        cell = ws.cell(row, 2, neutralise(value) if isinstance(value, str) else value)
        cell.alignment = Alignment(horizontal="left")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40


def _write_statement(ws: Worksheet, statement: StatementOfApplicability, lang: Language, words: SoaWords) -> None:
    last_column = get_column_letter(len(SOA_COLUMNS))
    for index, column in enumerate(SOA_COLUMNS, start=1):
        cell = ws.cell(1, index, column.en if lang is Language.EN else column.ja)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(index)].width = column.width
    row = 2
    headings: dict[int, str] = {}
    for domain, entries in statement.by_section():
        headings[row] = f"§{domain.section} {name_of(DOMAIN_TEXT, domain.value, lang)}"
        heading = ws.cell(row, 1, headings[row])
        heading.font = Font(bold=True)
        for index in range(1, len(SOA_COLUMNS) + 1):
            ws.cell(row, index).fill = SECTION_FILL
            ws.cell(row, index).border = BORDER
        ws.merge_cells(f"A{row}:{last_column}{row}")
        row += 1
        for entry in entries:
            _write_entry(ws, row, entry, lang, words)
            ws.row_dimensions[row].outlineLevel = 1  # the rows of a section fold under its heading
            row += 1
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False)  # each heading sits above its rows
    last = max(row - 1, 2)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{last_column}{last}"
    widths = {i: c.width for i, c in enumerate(SOA_COLUMNS, start=1)}
    fit_rows(ws, widths, 1, last)
    for heading_row, text in headings.items():  # a heading spans the merged row, not its first column
        ws.row_dimensions[heading_row].height = row_points([(text, sum(widths.values()))])
    print_fit_to_width(ws, "1:1")


def _write_entry(ws: Worksheet, row: int, entry: SoaEntry, lang: Language, words: SoaWords) -> None:
    control = entry.control
    values = (
        control.section,
        control.id,
        control.title.get(lang),
        name_of(SEVERITY_TEXT, control.severity.value, lang),
        words.applies if entry.applicable else words.excluded,
        entry.reason.get(lang),
        entry.checklist,
    )
    for index, value in enumerate(values, start=1):
        cell = ws.cell(row, index, neutralise(value))
        cell.alignment = WRAP
        cell.border = BORDER
    if not entry.applicable:
        ws.cell(row, APPLIES_COLUMN).fill = EXCLUDED_FILL
