"""Write a statement of applicability as a workbook (text protected from formula injection)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from secaudit.cellsafety import neutralise
from secaudit.soa import StatementOfApplicability

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
EXCLUDED_FILL = PatternFill("solid", fgColor="EDEDED")
WRAP = Alignment(wrap_text=True, vertical="top")
SOA_COLUMNS: tuple[tuple[str, int], ...] = (
    ("checklist", 16),
    ("id", 16),
    ("domain", 9),
    ("section", 9),
    ("severity", 10),
    ("title_ja", 36),
    ("title_en", 36),
    ("applicable", 11),
    ("condition", 34),
    ("reason_ja", 50),
    ("reason_en", 50),
)


def soa_workbook(statement: StatementOfApplicability) -> bytes:
    """The statement as .xlsx bytes: a summary sheet and one row per control."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    for row in (
        ("service", statement.service_id),
        ("catalog_version", statement.catalog_version),
        ("controls", len(statement.entries)),
        ("applicable", len(statement.applicable)),
        ("not_applicable", len(statement.excluded)),
    ):
        summary.append([row[0], neutralise(row[1]) if isinstance(row[1], str) else row[1]])
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 40
    sheet = book.create_sheet("soa")
    sheet.append([name for name, _ in SOA_COLUMNS])
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for entry in statement.entries:
        control = entry.control
        values = (
            entry.checklist,
            control.id,
            control.domain.value,
            control.section,
            control.severity.value,
            control.title.ja,
            control.title.en,
            "yes" if entry.applicable else "no",
            entry.condition or "",
            entry.reason.ja,
            entry.reason.en,
        )
        sheet.append([neutralise(v) if v else None for v in values])
        if not entry.applicable:
            sheet.cell(sheet.max_row, 8).fill = EXCLUDED_FILL
    for index, (_, width) in enumerate(SOA_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.value is not None:
                cell.alignment = WRAP
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(SOA_COLUMNS))}{max(sheet.max_row, 2)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
