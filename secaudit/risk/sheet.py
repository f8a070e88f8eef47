"""Writing the risk register workbook officers fill in: in the workspace's language and time zone, ready to print.

The assessment columns are locked and grey; only the treatment columns are
open. The sheet is protected without a password: the officers who fill it in
own the file, and the protection is there to stop a slip in a computed
column, not to keep them out. Text is protected from formula injection.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.cellsafety import neutralise
from secaudit.model import Language, RiskEntry
from secaudit.model.labels import LEVEL_TEXT, RISK_STATUS_TEXT, STATUS_TEXT, TREATMENT_TEXT, name_of
from secaudit.risk import layout as R
from secaudit.risk.matrix import matrix_for
from secaudit.sheetlayout import fit_rows, new_workbook, print_fit_to_width, print_on_one_page

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
LOCKED_FILL = PatternFill("solid", fgColor="E7E6E6")
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
UNLOCKED = Protection(locked=False)


def register_workbook(
    register: Sequence[RiskEntry],
    service_id: str,
    matrix: str,
    lang: Language,
    zone: ZoneInfo,
    seen: dict[str, str] | None = None,
) -> bytes:
    """The register as .xlsx bytes: the register sheet, an instructions sheet and hidden metadata."""
    size = matrix_for(matrix).size
    wb, sheet = new_workbook()
    sheet.title = R.SHEETS[lang]
    _write_register(sheet, register, lang, zone, size)
    _write_instructions(wb.create_sheet(R.INSTRUCTIONS_SHEETS[lang]), service_id, matrix, lang, zone, size)
    meta = wb.create_sheet(R.META_SHEET)
    for key, value in (
        ("format", R.FORMAT),
        ("service", service_id),
        ("matrix", matrix),
        ("language", lang.value),
        ("timezone", zone.key),
        ("sheet", sheet.title),
    ):
        meta.append([key, neutralise(value)])
    if seen is not None:
        # the version of each risk's treatment as exported: an import refuses a row someone else changed since
        meta.append(["treatments_seen", json.dumps(seen)])
    meta.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def entry_cells(entry: RiskEntry, lang: Language, zone: ZoneInfo) -> dict[str, Any]:
    """One register entry as the workbook shows it: names in ``lang``, moments in ``zone``."""
    t = entry.treatment
    return {
        "risk_id": entry.id,
        "control": entry.control_id,
        "title": entry.title.get(lang),
        "result": name_of(STATUS_TEXT, entry.result_status.value, lang),
        "likelihood": entry.likelihood,
        "impact": entry.impact,
        "inherent_level": name_of(LEVEL_TEXT, entry.inherent_level.lower(), lang),
        "residual_level": name_of(LEVEL_TEXT, entry.residual_level.lower(), lang),
        "status": name_of(RISK_STATUS_TEXT, entry.status.value, lang),
        "first_seen": _local(entry.first_seen, zone),
        "resolved_at": _local(entry.resolved_at, zone),
        "description": entry.description.get(lang),
        "treatment": name_of(TREATMENT_TEXT, t.kind.value, lang) if t else None,
        "owner": t.owner if t else None,
        "plan": t.plan if t else None,
        "due": t.due if t else None,
        "approver": t.approver if t else None,
        "justification": t.justification if t else None,
        "expires": t.expires if t else None,
        "residual_likelihood": t.residual_likelihood if t else None,
        "residual_impact": t.residual_impact if t else None,
    }


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> dt.date | None:
    # a spreadsheet cell holds no time zone: the date is the one the workspace's officers lived through
    return None if moment is None else moment.astimezone(zone).date()


def _write_register(ws: Worksheet, register: Sequence[RiskEntry], lang: Language, zone: ZoneInfo, size: int) -> None:
    for index, column in enumerate(R.COLUMNS, start=1):
        cell = ws.cell(R.HEADER_ROW, index, column.header(lang))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for row, entry in enumerate(register, start=R.FIRST_ROW):
        values = entry_cells(entry, lang, zone)
        for index, column in enumerate(R.COLUMNS, start=1):
            value = values[column.key]
            cell = ws.cell(row, index, neutralise(value) if isinstance(value, str) else value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = BORDER
            if column.cell is R.Cell.DATE:
                cell.number_format = R.DATE_FORMATS[lang]
            if column.editable:
                cell.protection = UNLOCKED
            else:
                cell.fill = LOCKED_FILL
    last = max(R.FIRST_ROW, R.FIRST_ROW + len(register) - 1)
    _validations(ws, lang, size, last)
    ws.freeze_panes = ws.cell(R.FIRST_ROW, 3).coordinate
    ws.auto_filter.ref = f"A{R.HEADER_ROW}:{get_column_letter(len(R.COLUMNS))}{last}"
    fit_rows(ws, {i: c.width for i, c in enumerate(R.COLUMNS, start=1)}, R.HEADER_ROW, last)
    print_fit_to_width(ws, f"{R.HEADER_ROW}:{R.HEADER_ROW}")
    ws.protection.sheet = True
    # False means "allowed" in the OOXML protection flags
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _column_range(key: str, last: int) -> str:
    letter = get_column_letter(next(i for i, c in enumerate(R.COLUMNS, start=1) if c.key == key))
    return f"{letter}{R.FIRST_ROW}:{letter}{last}"


def _validations(ws: Worksheet, lang: Language, size: int, last: int) -> None:
    en = lang is Language.EN
    labels = [name_of(TREATMENT_TEXT, kind, lang) for kind in TREATMENT_TEXT]
    kinds = DataValidation(
        type="list",
        formula1='"' + ",".join(labels) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Treatment" if en else "対応",
        error=("Choose from the list: " if en else "一覧から選んでください: ") + " / ".join(labels),
    )
    kinds.add(_column_range("treatment", last))
    ws.add_data_validation(kinds)
    levels = DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2=str(size),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Residual" if en else "対応後",
        error=f"A whole number from 1 to {size}." if en else f"1〜{size} の整数を記入してください。",
    )
    for key in ("residual_likelihood", "residual_impact"):
        levels.add(_column_range(key, last))
    ws.add_data_validation(levels)


def _write_instructions(ws: Worksheet, service_id: str, matrix: str, lang: Language, zone: ZoneInfo, size: int) -> None:
    text = R.INSTRUCTIONS[lang]
    ws["A1"] = text.title
    ws["A1"].font = Font(bold=True, size=14)
    for row, (label, value) in enumerate(
        ((text.service, service_id), (text.matrix, matrix), (text.zone, zone.key)), start=2
    ):
        ws.cell(row, 1, label).font = Font(bold=True)
        ws.cell(row, 2, neutralise(value))
    ws.cell(6, 1, text.howto_title).font = Font(bold=True, size=12)
    values = {
        "sheet": R.SHEETS[lang],
        "kinds": " / ".join(name_of(TREATMENT_TEXT, kind, lang) for kind in TREATMENT_TEXT),
        "zone": zone.key,
        "size": size,
    }
    row = 7
    for number, line in enumerate(text.howto, start=1):
        ws.cell(row, 1, f"{number}.").alignment = Alignment(horizontal="right", vertical="top")
        ws.cell(row, 2, line.format(**values)).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    widths = {1: 16, 2: 100}
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    fit_rows(ws, widths, 7, row - 1)
    print_on_one_page(ws, landscape=True)
    ws.protection.sheet = True
