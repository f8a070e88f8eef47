"""The risk register as a file: xlsx, csv or json out; xlsx back in with officers' treatment decisions.

An imported workbook is hostile until proven otherwise: the file type, size,
zip contents and row count are checked before parsing (openpyxl parses XML
through defusedxml), formula cells are refused, and every problem is named
by sheet, row and column. Text written out is protected from formula
injection. Nothing here touches the database: an import returns validated
treatments for the caller to store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from secaudit.cellsafety import cell_safe, restore_text
from secaudit.errors import InputError, Problem
from secaudit.model import RiskEntry, Treatment, TreatmentKind
from secaudit.risk import validate_treatment

SHEET = "Register"
META_SHEET = "_meta"
FORMAT = "secaudit-risk-register/1"
MAX_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 200
MAX_ROWS = 5000
MAX_COLUMNS = 60

READ_ONLY_COLUMNS = (
    "risk_id",
    "service",
    "control",
    "title_ja",
    "title_en",
    "result",
    "likelihood",
    "impact",
    "inherent_level",
    "residual_level",
    "status",
    "first_seen",
    "resolved_at",
    "description_ja",
    "description_en",
    "rationale",
)
EDITABLE_COLUMNS = (
    "treatment",
    "owner",
    "plan",
    "due",
    "approver",
    "justification",
    "expires",
    "residual_likelihood",
    "residual_impact",
)
COLUMNS = READ_ONLY_COLUMNS + EDITABLE_COLUMNS
KIND_ALIASES = {
    "低減": TreatmentKind.MITIGATE,
    "受容": TreatmentKind.ACCEPT,
    "例外措置": TreatmentKind.ACCEPT,
    "移転": TreatmentKind.TRANSFER,
    "回避": TreatmentKind.AVOID,
}


class RegisterFileError(InputError):
    """A register file is not acceptable; every problem names sheet, row and column."""


@dataclass(frozen=True)
class ImportedTreatment:
    """One valid row of an imported register: which risk, which row, what was decided."""

    row: int
    risk_id: str
    control_id: str
    treatment: Treatment


@dataclass(frozen=True)
class RegisterImport:
    """What a register workbook says: its service and the treatments in it."""

    service_id: str
    treatments: list[ImportedTreatment]


def register_rows(register: Sequence[RiskEntry]) -> list[dict[str, Any]]:
    """Register entries as flat rows with the file columns."""
    rows = []
    for e in register:
        t = e.treatment
        rows.append(
            {
                "risk_id": e.id,
                "service": e.service_id,
                "control": e.control_id,
                "title_ja": e.title.ja,
                "title_en": e.title.en,
                "result": e.result_status.value,
                "likelihood": e.likelihood,
                "impact": e.impact,
                "inherent_level": e.inherent_level,
                "residual_level": e.residual_level,
                "status": e.status.value,
                "first_seen": e.first_seen.isoformat() if e.first_seen else None,
                "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
                "description_ja": e.description.ja,
                "description_en": e.description.en,
                "rationale": e.rationale,
                "treatment": t.kind.value if t else None,
                "owner": t.owner if t else None,
                "plan": t.plan if t else None,
                "due": t.due.isoformat() if t and t.due else None,
                "approver": t.approver if t else None,
                "justification": t.justification if t else None,
                "expires": t.expires.isoformat() if t and t.expires else None,
                "residual_likelihood": t.residual_likelihood if t else None,
                "residual_impact": t.residual_impact if t else None,
            }
        )
    return rows


def register_json(register: Sequence[RiskEntry]) -> str:
    """The register as JSON (full entries, machine-readable)."""
    return json.dumps([e.model_dump(mode="json") for e in register], ensure_ascii=False, indent=2)


def register_csv(register: Sequence[RiskEntry]) -> str:
    """The register as CSV, text protected from formula injection."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in register_rows(register):
        writer.writerow({k: cell_safe(v) for k, v in row.items()})
    return "\ufeff" + out.getvalue()


def register_xlsx(register: Sequence[RiskEntry], service_id: str, matrix: str) -> bytes:
    """The register as a workbook: read-only columns grey, treatment columns for officers to fill in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(COLUMNS))
    grey = PatternFill("solid", fgColor="DDDDDD")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        if cell.value in READ_ONLY_COLUMNS:
            cell.fill = grey
    for row in register_rows(register):
        ws.append([cell_safe(row[c]) for c in COLUMNS])
    kinds = DataValidation(type="list", formula1='"mitigate,accept,transfer,avoid"', allow_blank=True)
    ws.add_data_validation(kinds)
    column = COLUMNS.index("treatment") + 1
    letter = get_column_letter(column)
    kinds.add(f"{letter}2:{letter}{max(2, len(register) + 1)}")
    ws.freeze_panes = "B2"
    meta = wb.create_sheet(META_SHEET)
    for key, value in (("format", FORMAT), ("service", service_id), ("matrix", matrix)):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def check_container(data: bytes, name: str) -> None:
    """Refuse what is not a plausible, reasonably sized xlsx before any XML is parsed."""
    if not name.lower().endswith(".xlsx"):
        raise RegisterFileError(f"{name}: only .xlsx register workbooks can be imported")
    if len(data) > MAX_BYTES:
        raise RegisterFileError(f"{name}: {len(data)} bytes is more than the {MAX_BYTES} allowed")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError):
        # NotImplementedError: a zip feature or version Excel never writes (zipfile refuses it)
        raise RegisterFileError(
            f"{name}: not an xlsx workbook (not a zip container, or one that cannot be read)"
        ) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise RegisterFileError(f"{name}: {len(infos)} parts in the workbook; at most {MAX_ZIP_ENTRIES} allowed")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise RegisterFileError(f"{name}: unpacks to {total} bytes; at most {MAX_UNCOMPRESSED} allowed")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise RegisterFileError(f"{name}: not an xlsx workbook (no xl/workbook.xml)")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise RegisterFileError(f"{name}: workbooks with macros are refused")


def read_register_xlsx(data: bytes, name: str, decided_by: str, decided_at: dt.datetime) -> RegisterImport:
    """Validate a register workbook; return its treatments, or raise naming every bad sheet, row and column."""
    from openpyxl import load_workbook

    check_container(data, name)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RegisterFileError(f"{name}: cannot read the workbook ({type(exc).__name__}: {exc})") from None
    try:
        if SHEET not in wb.sheetnames:
            raise RegisterFileError(f"{name}: no sheet named '{SHEET}' (was this exported by 'secaudit risk export'?)")
        service_id = _meta_service(wb, name)
        sheet = wb[SHEET]
        rows = _sheet_rows(sheet, name)
    except RegisterFileError:
        raise
    except Exception as exc:  # sheets are parsed lazily: a damaged or hostile part fails here
        raise RegisterFileError(f"{name}: cannot read the workbook ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    return _parse_rows(rows, name, service_id, decided_by, decided_at)


def _meta_service(wb: Any, name: str) -> str:
    if META_SHEET not in wb.sheetnames:
        raise RegisterFileError(f"{name}: no '{META_SHEET}' sheet; export the register with 'secaudit risk export'")
    meta: dict[str, Any] = {}
    for index, row in enumerate(wb[META_SHEET].iter_rows(max_row=20, max_col=2)):
        if len(row) >= 2 and row[0].value is not None:
            if any(getattr(c, "data_type", None) == "f" for c in row):
                raise RegisterFileError(f"{name}: {META_SHEET}!row {index + 1}: formulas are not accepted")
            meta[str(row[0].value)] = row[1].value
    if meta.get("format") != FORMAT or not isinstance(meta.get("service"), str):
        raise RegisterFileError(f"{name}: {META_SHEET}: not a {FORMAT} workbook")
    return str(meta["service"])


def _sheet_rows(sheet: Any, name: str) -> list[tuple[int, list[Any]]]:
    declared = sheet.max_row or 0
    if declared > MAX_ROWS + 1:
        raise RegisterFileError(f"{name}: {SHEET} declares {declared} rows; at most {MAX_ROWS} risks are accepted")
    rows: list[tuple[int, list[Any]]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if number > MAX_ROWS + 1:
            raise RegisterFileError(f"{name}: {SHEET} has more than {MAX_ROWS} rows")
        values: list[Any] = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                header = rows[0][1] if rows else []
                column = header[len(values)] if len(values) < len(header) else f"#{len(values) + 1}"
                problems.append(Problem(f"{SHEET}!row {number} column '{column}'", "formulas are not accepted"))
                values.append(None)
            else:
                values.append(cell.value)
        rows.append((number, values))
    if problems:
        raise RegisterFileError(f"{name}: {len(problems)} problem(s); nothing was stored", problems)
    return rows


def _parse_rows(
    rows: list[tuple[int, list[Any]]], name: str, service_id: str, decided_by: str, decided_at: dt.datetime
) -> RegisterImport:
    if not rows:
        raise RegisterFileError(f"{name}: {SHEET} is empty")
    header = [str(v).strip() if v is not None else "" for v in rows[0][1]]
    missing = [c for c in ("risk_id", "control", *EDITABLE_COLUMNS) if c not in header]
    if missing:
        raise RegisterFileError(f"{name}: {SHEET}!row 1: missing column(s) {', '.join(missing)}")
    index = {c: header.index(c) for c in COLUMNS if c in header}
    problems: list[Problem] = []
    found: list[ImportedTreatment] = []
    seen: dict[str, int] = {}
    for number, values in rows[1:]:
        cell = {c: (values[i] if i < len(values) else None) for c, i in index.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cell.values()):
            continue
        where = f"{SHEET}!row {number}"
        rid = _text(cell.get("risk_id"))
        control = _text(cell.get("control"))
        if not rid or not control:
            problems.append(Problem(f"{where} column 'risk_id'", "risk_id and control are required"))
            continue
        if not rid.startswith(f"R-{service_id}-") or rid != f"R-{service_id}-{control}":
            problems.append(Problem(f"{where} column 'risk_id'", f"'{rid}' is not a risk of {service_id}/{control}"))
            continue
        if rid in seen:
            problems.append(Problem(f"{where} column 'risk_id'", f"{rid} appears again (first on row {seen[rid]})"))
            continue
        seen[rid] = number
        kind_text = _text(cell.get("treatment"))
        if not kind_text:
            continue
        treatment = _treatment(cell, kind_text, where, problems, decided_by, decided_at)
        if treatment is not None:
            found.append(ImportedTreatment(number, rid, control, treatment))
    if problems:
        raise RegisterFileError(f"{name}: {len(problems)} problem(s); nothing was stored", problems)
    return RegisterImport(service_id, found)


def _treatment(
    cell: dict[str, Any],
    kind_text: str,
    where: str,
    problems: list[Problem],
    decided_by: str,
    decided_at: dt.datetime,
) -> Treatment | None:
    before = len(problems)
    kind = KIND_ALIASES.get(kind_text) or next((k for k in TreatmentKind if k.value == kind_text.lower()), None)
    if kind is None:
        problems.append(
            Problem(f"{where} column 'treatment'", f"'{kind_text}' is not mitigate, accept, transfer or avoid")
        )
        return None
    fields: dict[str, Any] = {"kind": kind, "decided_by": decided_by, "decided_at": decided_at}
    for column in ("owner", "plan", "approver", "justification"):
        fields[column] = _text(cell.get(column)) or None
    for column in ("due", "expires"):
        fields[column] = _date(cell.get(column), f"{where} column '{column}'", problems)
    for column in ("residual_likelihood", "residual_impact"):
        fields[column] = _level(cell.get(column), f"{where} column '{column}'", problems)
    if len(problems) > before:
        return None
    try:
        treatment = Treatment(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            column = str(err["loc"][0]) if err["loc"] else "treatment"
            problems.append(Problem(f"{where} column '{column}'", err["msg"]))
        return None
    for message in validate_treatment(treatment):
        column, _, text = message.partition(": ")
        problems.append(Problem(f"{where} column '{column}'", text))
    return None if len(problems) > before else treatment


def _text(value: Any) -> str:
    if value is None:
        return ""
    return restore_text(str(value).strip()) if isinstance(value, str) else str(value).strip()


def _date(value: Any, where: str, problems: list[Problem]) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(Problem(where, f"'{value}' is not a date (YYYY-MM-DD)"))
        return None


def _level(value: Any, where: str, problems: list[Problem]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(Problem(where, f"'{value}' is not a whole number"))
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        problems.append(Problem(where, f"'{value}' is not a whole number"))
        return None
