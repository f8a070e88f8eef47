"""Reading the cells of an untrusted workbook: caps, formulas, header mapping."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from secaudit.authoring.cells import MAX_CELL_CHARS, MAX_COLUMNS, AuthoringError, where
from secaudit.cellsafety import restore_text
from secaudit.errors import Problem
from secaudit.workbook_guard import LIMITS, WorkbookRefused, read_untrusted

CellValue = str | int | float | bool


@dataclass
class SheetRow:
    """One non-empty data row: its number and its values by column key."""

    number: int
    values: dict[str, CellValue] = field(default_factory=dict)


@dataclass
class SheetData:
    """A sheet read into rows keyed by header name, with the column letter of each key."""

    name: str
    letters: dict[str, str]
    rows: list[SheetRow]


def open_workbook(path: Path) -> Workbook:
    """Open an .xlsx that passed the workbook guard, read-only, formulas not evaluated."""
    try:
        data = read_untrusted(path)
    except WorkbookRefused as exc:
        raise AuthoringError(exc.message) from exc
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged parts
        raise AuthoringError(f"{path.name}: cannot read the workbook: {type(exc).__name__}: {exc}") from exc


def read_sheet(
    book: Workbook, path: Path, name: str, known_keys: tuple[str, ...], problems: list[Problem]
) -> SheetData | None:
    """Read sheet ``name``: header row of keys, then data rows; formulas and unknown headers are problems."""
    if name not in book.sheetnames:
        problems.append(Problem(f"{path.name}: sheet '{name}'", f"the workbook has no sheet '{name}'"))
        return None
    sheet = book[name]
    max_row = sheet.max_row or 0
    max_column = sheet.max_column or 0
    if max_row > LIMITS.max_rows + 1:
        raise AuthoringError(f"{where(path, name)}: {max_row} rows; the limit is {LIMITS.max_rows}")
    if max_column > MAX_COLUMNS:
        raise AuthoringError(f"{where(path, name)}: {max_column} columns; the limit is {MAX_COLUMNS}")
    letters: dict[str, str] = {}
    by_index: dict[int, str] = {}
    rows: list[SheetRow] = []
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if number > LIMITS.max_rows + 1:
            raise AuthoringError(f"{where(path, name)}: more than {LIMITS.max_rows} rows")
        values: dict[int, CellValue] = {}
        for index, cell in enumerate(cells, start=1):
            value = _cell(path, name, number, index, by_index.get(index), cell, problems)
            if value is not None:
                values[index] = value
        if number == 1:
            _map_header(path, name, values, known_keys, letters, by_index, problems)
            continue
        if not values:
            continue
        row = SheetRow(number)
        for index, value in values.items():
            key = by_index.get(index)
            if key is None:
                problems.append(
                    Problem(where(path, name, number, get_column_letter(index)), "value in a column without a header")
                )
                continue
            row.values[key] = value
        rows.append(row)
    return SheetData(name, letters, rows)


def _cell(
    path: Path, sheet: str, row: int, index: int, key: str | None, cell: Any, problems: list[Problem]
) -> CellValue | None:
    value = getattr(cell, "value", None)
    if value is None:
        return None
    letter = get_column_letter(index)
    at = where(path, sheet, row, letter, key)
    if getattr(cell, "data_type", None) == "f" or isinstance(value, ArrayFormula | DataTableFormula):
        message = "a formula is not allowed here; type the value itself"
        problems.append(Problem(at, message))
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        problems.append(Problem(at, "a date or time is not allowed here; type text"))
        return None
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            problems.append(Problem(at, f"text longer than {MAX_CELL_CHARS} characters"))
            return None
        value = restore_text(value)
        return value if value.strip() else None
    if isinstance(value, bool | int | float):
        return value
    problems.append(Problem(at, f"unsupported cell value of type {type(value).__name__}"))
    return None


def _map_header(
    path: Path,
    sheet: str,
    values: dict[int, CellValue],
    known_keys: tuple[str, ...],
    letters: dict[str, str],
    by_index: dict[int, str],
    problems: list[Problem],
) -> None:
    for index, value in values.items():
        letter = get_column_letter(index)
        key = str(value).strip()
        if key not in known_keys:
            problems.append(Problem(where(path, sheet, 1, letter), f"unknown column header '{key}'"))
        elif key in letters:
            message = f"column '{key}' appears twice (also {letters[key]})"
            problems.append(Problem(where(path, sheet, 1, letter), message))
        else:
            letters[key] = letter
            by_index[index] = key
