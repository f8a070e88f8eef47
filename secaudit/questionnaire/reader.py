"""Reading a questionnaire workbook that passed the workbook guard: metadata, answer rows, who answered.

openpyxl reads it with defusedxml (checked below) and ``data_only=False``, so a
formula is seen as a formula and never evaluated or trusted for its cached value.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.xml
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from secaudit.cellsafety import restore
from secaudit.errors import EnvironmentFailure, Problem
from secaudit.model import Language
from secaudit.questionnaire import QuestionnaireError
from secaudit.questionnaire import layout as L
from secaudit.questionnaire.messages import say
from secaudit.workbook_kinds import WorkbookKind, identify, wrong_kind

CELL_RE = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}$")
"""A single cell such as B9: the only shape the metadata may name for the respondent's cell."""


@dataclass(frozen=True)
class CellValue:
    """One cell as read: its value and whether it held a formula."""

    value: Any
    formula: bool = False


@dataclass(frozen=True)
class MetaRow:
    """One question row as the metadata sheet records it."""

    sheet_row: int
    number: int
    control_id: str
    question_id: str
    fingerprint: str


@dataclass
class WorkbookContent:
    """Everything the importer needs from a workbook."""

    path: Path
    service_id: str
    questionnaire_id: str
    catalog_version: str
    language: str
    answers_sheet: str
    instructions_sheet: str
    answered_by: CellValue
    answered_by_cell: str
    meta_rows: list[MetaRow]
    rows: dict[int, list[CellValue]] = field(default_factory=dict)
    extra_rows: list[int] = field(default_factory=list)

    def where(self, row: int, column: int) -> str:
        """``file: sheet 'Answers', row 5, column F (Answer)``, in the workbook's language."""
        return say(
            "at_cell",
            self.language,
            file=self.path.name,
            sheet=self.answers_sheet,
            row=row,
            letter=get_column_letter(column),
            header=L.column_name(column, self.language),
        )

    def where_sheet(self, sheet: str) -> str:
        """``file: sheet '_secaudit'``, in the workbook's language."""
        return say("at_sheet", self.language, file=self.path.name, sheet=sheet)


def require_defusedxml() -> None:
    """Refuse to read workbooks unless openpyxl parses XML through defusedxml."""
    if not getattr(openpyxl.xml, "DEFUSEDXML", False):
        raise EnvironmentFailure("defusedxml is not installed; refusing to parse workbooks without it")


def read_workbook(path: Path, data: bytes) -> WorkbookContent:
    """Load ``data`` (already passed by ``workbook_guard``) and pull out metadata and answer rows."""
    require_defusedxml()
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except (InvalidFileException, KeyError, ValueError, TypeError, OSError) as exc:
        raise QuestionnaireError(
            f"{path}: not a readable workbook", [Problem(str(path), f"cannot read the workbook: {exc}")]
        ) from None
    try:
        return _content(path, wb)
    finally:
        wb.close()


def _sheet_problem(path: Path, message: str) -> QuestionnaireError:
    return QuestionnaireError(f"{path}: not a questionnaire secaudit can import", [Problem(path.name, message)])


def _other_kind(path: Path, wb: Any) -> None:
    """Refuse a workbook secaudit wrote for another purpose, saying which it is."""
    found = identify(wb)
    if found is not None and found.kind is not WorkbookKind.QUESTIONNAIRE:
        lang = found.language or Language.EN
        message = wrong_kind(found.kind, WorkbookKind.QUESTIONNAIRE, lang)
        raise QuestionnaireError(f"{path.name}: {message}")


def _content(path: Path, wb: Any) -> WorkbookContent:
    if L.META_SHEET not in wb.sheetnames:
        _other_kind(path, wb)
        raise _sheet_problem(
            path,
            f"the metadata sheet '{L.META_SHEET}' is missing: export a fresh questionnaire with "
            "'secaudit questionnaire export' and fill that one in",
        )
    meta = wb[L.META_SHEET]
    pairs: dict[str, Any] = {}
    table: list[tuple[Any, ...]] = []
    in_table = False
    for values in meta.iter_rows(max_col=len(L.META_TABLE_HEADER), values_only=True):
        if in_table:
            if any(v is not None for v in values):
                table.append(values)
        elif tuple(values) == L.META_TABLE_HEADER:
            in_table = True
        elif isinstance(values[0], str):
            pairs[values[0]] = restore(values[1])
    where = f"{path.name}: sheet '{L.META_SHEET}'"
    if pairs.get("format") != L.FORMAT_TAG:
        _other_kind(path, wb)
        raise _sheet_problem(path, f"sheet '{L.META_SHEET}' is not secaudit questionnaire metadata")
    required = ("service_id", "questionnaire_id", "catalog_version", "language", "answers_sheet", "answered_by_cell")
    missing = [k for k in required if not isinstance(pairs.get(k), str) or not pairs[k]]
    if not missing and not CELL_RE.match(pairs["answered_by_cell"]):
        missing.append("answered_by_cell")
    if missing or pairs["language"] not in ("ja", "en"):
        raise _sheet_problem(path, f"{where}: metadata incomplete or damaged ({', '.join(missing) or 'language'})")
    meta_rows = []
    for index, values in enumerate(table):
        try:
            sheet_row, number, control_id, question_id, fingerprint = values
            meta_rows.append(MetaRow(int(sheet_row), int(number), str(control_id), str(question_id), str(fingerprint)))
        except (TypeError, ValueError):
            raise _sheet_problem(path, f"{where}: question table row {index + 1} is damaged") from None
    content = WorkbookContent(
        path=path,
        service_id=pairs["service_id"],
        questionnaire_id=pairs["questionnaire_id"],
        catalog_version=pairs["catalog_version"],
        language=pairs["language"],
        answers_sheet=pairs["answers_sheet"],
        instructions_sheet=str(pairs.get("instructions_sheet") or ""),
        answered_by=CellValue(None),
        answered_by_cell=pairs["answered_by_cell"],
        meta_rows=meta_rows,
    )
    if content.answers_sheet not in wb.sheetnames:
        raise _sheet_problem(path, say("answers_sheet_missing", content.language, sheet=content.answers_sheet))
    if content.instructions_sheet in wb.sheetnames:
        cell = wb[content.instructions_sheet][content.answered_by_cell]
        content.answered_by = CellValue(restore(cell.value), cell.data_type == "f")
    expected_rows = {m.sheet_row for m in meta_rows}
    rows = wb[content.answers_sheet].iter_rows(min_row=L.FIRST_ROW, max_col=L.COL_COMMENT)
    for row, row_cells in enumerate(rows, start=L.FIRST_ROW):
        cells = [CellValue(getattr(c, "value", None), getattr(c, "data_type", None) == "f") for c in row_cells]
        if row in expected_rows:
            content.rows[row] = cells + [CellValue(None)] * (L.COL_COMMENT - len(cells))
        elif any(c.value is not None and str(c.value).strip() for c in cells):
            content.extra_rows.append(row)
    return content
