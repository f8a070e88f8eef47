"""The risk register as a file: xlsx, csv or json out; xlsx back in with officers' treatment decisions.

An imported workbook is hostile until proven otherwise: it passes
``workbook_guard`` before parsing (openpyxl parses XML through defusedxml),
formula cells are refused, and every problem is named
by sheet, row and column. Text written out is protected from formula
injection. Nothing here touches the database: an import returns validated
treatments for the caller to store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from secaudit.cellsafety import cell_safe, restore_text
from secaudit.errors import InputError, Problem
from secaudit.model import Language, RiskEntry, Treatment, TreatmentKind
from secaudit.model.labels import TREATMENT_SYNONYMS, TREATMENT_TEXT, name_of
from secaudit.risk import layout as R
from secaudit.risk.matrix import matrix_for
from secaudit.risk.register import validate_treatment
from secaudit.workbook_guard import LIMITS, WorkbookRefused, check_untrusted, read_untrusted
from secaudit.workbook_kinds import WorkbookKind, identify, wrong_kind

FORMAT = R.FORMAT
META_SHEET = R.META_SHEET
MAX_COLUMNS = 60

COLUMNS = (
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
    "rationale_ja",
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
"""The CSV columns of every tabular register export (``risk export``, ``report --format csv``).

Plain keys and both languages, for machines and for diffing (the workbook is for people).
"""


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
    """What a register workbook says: its service and the treatments in it, and how to name its cells."""

    service_id: str
    treatments: list[ImportedTreatment]
    language: Language = Language.EN
    sheet: str = R.SHEETS[Language.EN]
    seen: dict[str, str] | None = None
    """Each risk's treatment in force when the workbook was exported (its time; "" for none). None: an older
    workbook that does not say, whose rows are not checked for changes made since."""

    def locate(self, row: int, key: str | None = None) -> str:
        """Where a cell is, as the workbook names its sheet and column."""
        return R.where(self.language, self.sheet, row, key)


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
                "rationale_ja": e.rationale_ja,
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
    """The register as CSV in the one register schema (``COLUMNS``), text protected from formula injection."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in register_rows(register):
        writer.writerow({k: cell_safe(v) for k, v in row.items()})
    return "\ufeff" + out.getvalue()


def register_xlsx(
    register: Sequence[RiskEntry],
    service_id: str,
    matrix: str,
    lang: Language,
    zone: ZoneInfo,
    seen: dict[str, str] | None = None,
) -> bytes:
    """The register as a workbook in ``lang``, moments in ``zone``: officers fill in the treatment columns.
    ``seen`` (risk id -> version of its treatment in force) lets the import refuse rows changed since."""
    from secaudit.risk.sheet import register_workbook

    return register_workbook(register, service_id, matrix, lang, zone, seen)


def read_register_file(path: Path, decided_by: str, decided_at: dt.datetime) -> RegisterImport:
    """Read and validate the register workbook at ``path`` (see ``read_register_xlsx``)."""
    try:
        data = read_untrusted(path)
    except WorkbookRefused as exc:
        raise RegisterFileError(exc.message) from exc
    return _read_guarded(data, path.name, decided_by, decided_at)


def read_register_xlsx(data: bytes, name: str, decided_by: str, decided_at: dt.datetime) -> RegisterImport:
    """Validate a register workbook; return its treatments, or raise naming every bad sheet, row and column.

    Headers and treatment names are read in either language; problems are given in the workbook's.
    """
    try:
        check_untrusted(data, name)
    except WorkbookRefused as exc:
        raise RegisterFileError(exc.message) from exc
    return _read_guarded(data, name, decided_by, decided_at)


def _read_guarded(data: bytes, name: str, decided_by: str, decided_at: dt.datetime) -> RegisterImport:
    """Parse a workbook that passed the guard."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RegisterFileError(f"{name}: cannot read the workbook ({type(exc).__name__}: {exc})") from None
    try:
        meta = _meta(wb, name)
        sheet_name = meta.get("sheet") if meta.get("sheet") in wb.sheetnames else None
        sheet_name = sheet_name or next((s for s in R.SHEETS.values() if s in wb.sheetnames), None)
        if sheet_name is None:
            raise RegisterFileError(
                f"{name}: no sheet named '{R.SHEETS[Language.EN]}' or '{R.SHEETS[Language.JA]}' "
                "(was this exported by 'secaudit risk export'?)"
            )
        lang = Language(meta["language"]) if meta.get("language") in tuple(Language) else Language.EN
        shape = RegisterImport(str(meta["service"]), [], lang, sheet_name, _seen(meta.get("treatments_seen"), name))
        rows = _sheet_rows(wb[sheet_name], name, shape)
    except RegisterFileError:
        raise
    except Exception as exc:  # sheets are parsed lazily: a damaged or hostile part fails here
        raise RegisterFileError(f"{name}: cannot read the workbook ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    size = matrix_for(meta["matrix"]).size if meta.get("matrix") in ("3x3", "5x5") else 5
    return _parse_rows(rows, name, shape, size, decided_by, decided_at)


def check_against_register(parsed: RegisterImport, known: set[str], matrix_size: int) -> list[Problem]:
    """What is wrong with imported treatments given the current register and matrix (empty when all fits)."""
    problems: list[Problem] = []
    for item in parsed.treatments:
        if item.risk_id not in known:
            where = parsed.locate(item.row, "risk_id")
            problems.append(Problem(where, R.say("unknown_risk", parsed.language, rid=item.risk_id)))
            continue
        problems.extend(_treatment_problems(item.treatment, parsed, item.row, matrix_size))
    return problems


def refusal(parsed: RegisterImport, name: str, problems: list[Problem]) -> RegisterFileError:
    """The error for a workbook with ``problems``: a count first, in the workbook's language."""
    return RegisterFileError(R.say("summary", parsed.language, name=name, count=len(problems)), problems)


def _meta(wb: Any, name: str) -> dict[str, Any]:
    if META_SHEET not in wb.sheetnames:
        _refuse_other_kind(wb, name)
        raise RegisterFileError(f"{name}: no '{META_SHEET}' sheet; export the register with 'secaudit risk export'")
    meta: dict[str, Any] = {}
    for index, row in enumerate(wb[META_SHEET].iter_rows(max_row=20, max_col=2)):
        if len(row) >= 2 and row[0].value is not None:
            if any(getattr(c, "data_type", None) == "f" for c in row):
                raise RegisterFileError(f"{name}: {META_SHEET}!row {index + 1}: formulas are not accepted")
            meta[str(row[0].value)] = restore_text(row[1].value) if isinstance(row[1].value, str) else row[1].value
    if meta.get("format") != FORMAT or not isinstance(meta.get("service"), str):
        _refuse_other_kind(wb, name)
        raise RegisterFileError(f"{name}: {META_SHEET}: not a {FORMAT} workbook")
    return meta


def _refuse_other_kind(wb: Any, name: str) -> None:
    found = identify(wb)
    if found is not None and found.kind is not WorkbookKind.RISK_REGISTER:
        lang = found.language or Language.EN
        raise RegisterFileError(f"{name}: {wrong_kind(found.kind, WorkbookKind.RISK_REGISTER, lang)}")


def _sheet_rows(sheet: Any, name: str, shape: RegisterImport) -> list[tuple[int, list[Any]]]:
    declared = sheet.max_row or 0
    if declared > LIMITS.max_rows + 1:
        raise RegisterFileError(
            f"{name}: {shape.sheet} declares {declared} rows; at most {LIMITS.max_rows} risks are accepted"
        )
    rows: list[tuple[int, list[Any]]] = []
    problems: list[Problem] = []
    keys: list[str | None] = []
    for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
        if number > LIMITS.max_rows + 1:
            raise RegisterFileError(f"{name}: {shape.sheet} has more than {LIMITS.max_rows} rows")
        values: list[Any] = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                key = keys[len(values)] if len(values) < len(keys) else f"#{len(values) + 1}"
                problems.append(Problem(shape.locate(number, key), R.say("formula", shape.language)))
                values.append(None)
            else:
                values.append(cell.value)
        if number == R.HEADER_ROW:
            keys = _header_keys(values)
        rows.append((number, values))
    if problems:
        raise refusal(shape, name, problems)
    return rows


def _header_keys(values: list[Any]) -> list[str | None]:
    names = R.header_keys()
    return [names.get(str(v).strip().casefold()) if v is not None else None for v in values]


def _parse_rows(
    rows: list[tuple[int, list[Any]]],
    name: str,
    shape: RegisterImport,
    size: int,
    decided_by: str,
    decided_at: dt.datetime,
) -> RegisterImport:
    if not rows:
        raise RegisterFileError(f"{name}: {shape.sheet} is empty")
    keys = _header_keys(rows[0][1])
    missing = [R.BY_KEY[k].header(shape.language) for k in R.REQUIRED_KEYS if k not in keys]
    if missing:
        raise RegisterFileError(f"{name}: {shape.locate(R.HEADER_ROW)}: missing column(s) {', '.join(missing)}")
    index = {key: keys.index(key) for key in R.BY_KEY if key in keys}
    lang, service_id = shape.language, shape.service_id
    problems: list[Problem] = []
    found: list[ImportedTreatment] = []
    seen: dict[str, int] = {}
    for number, values in rows[1:]:
        cell = {c: (values[i] if i < len(values) else None) for c, i in index.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cell.values()):
            continue
        rid = _text(cell.get("risk_id"))
        control = _text(cell.get("control"))
        if not rid or not control:
            problems.append(Problem(shape.locate(number, "risk_id"), R.say("id_required", lang)))
            continue
        if rid != f"R-{service_id}-{control}":
            message = R.say("not_this_risk", lang, rid=rid, service=service_id, control=control)
            problems.append(Problem(shape.locate(number, "risk_id"), message))
            continue
        if rid in seen:
            message = R.say("repeated", lang, rid=rid, first=seen[rid])
            problems.append(Problem(shape.locate(number, "risk_id"), message))
            continue
        seen[rid] = number
        kind_text = _text(cell.get("treatment"))
        if not kind_text:
            continue
        before = len(problems)
        treatment = _treatment(cell, kind_text, number, shape, problems, decided_by, decided_at)
        if treatment is not None:
            problems.extend(_treatment_problems(treatment, shape, number, size))
        if treatment is not None and len(problems) == before:
            found.append(ImportedTreatment(number, rid, control, treatment))
    if problems:
        raise refusal(shape, name, problems)
    return RegisterImport(service_id, found, shape.language, shape.sheet, shape.seen)


def _seen(value: Any, name: str) -> dict[str, str] | None:
    if value is None:
        return None
    try:
        seen = json.loads(str(value))
    except ValueError:
        seen = None
    if not isinstance(seen, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in seen.items()):
        raise RegisterFileError(f"{name}: {META_SHEET}: treatments_seen is damaged; export the register again")
    return seen


def treatment_kind(text: str) -> TreatmentKind | None:
    """The treatment a cell names: in either language, as the plain value, or by a synonym such as 低減."""
    wanted = text.strip().casefold()
    for value, names in TREATMENT_TEXT.items():
        if wanted in (value, *(n.casefold() for n in names)):
            return TreatmentKind(value)
    return TREATMENT_SYNONYMS.get(text.strip())


def _treatment(
    cell: dict[str, Any],
    kind_text: str,
    row: int,
    shape: RegisterImport,
    problems: list[Problem],
    decided_by: str,
    decided_at: dt.datetime,
) -> Treatment | None:
    before = len(problems)
    lang = shape.language
    kind = treatment_kind(kind_text)
    if kind is None:
        choices = " / ".join(name_of(TREATMENT_TEXT, k, lang) for k in TREATMENT_TEXT)
        problems.append(Problem(shape.locate(row, "treatment"), R.say("kind", lang, text=kind_text, choices=choices)))
        return None
    fields: dict[str, Any] = {"kind": kind, "decided_by": decided_by, "decided_at": decided_at}
    for key in ("owner", "plan", "approver", "justification"):
        fields[key] = _text(cell.get(key)) or None
    for key in ("due", "expires"):
        fields[key] = _date(cell.get(key), shape.locate(row, key), lang, problems)
    for key in ("residual_likelihood", "residual_impact"):
        fields[key] = _level(cell.get(key), shape.locate(row, key), lang, problems)
    if len(problems) > before:
        return None
    try:
        return Treatment(**fields)
    except ValidationError as exc:
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "treatment"
            problems.append(Problem(shape.locate(row, key), err["msg"]))
        return None


def _treatment_problems(treatment: Treatment, shape: RegisterImport, row: int, size: int) -> list[Problem]:
    """``validate_treatment``'s findings, each worded in the workbook's language and placed on its cell."""
    lang = shape.language
    problems = []
    for message in validate_treatment(treatment, size):
        key = message.partition(": ")[0]
        column = R.BY_KEY[key].header(lang) if key in R.BY_KEY else key
        if key in ("residual_likelihood", "residual_impact"):
            text = R.say("range", lang, size=size)
        elif treatment.kind is TreatmentKind.ACCEPT:
            text = R.say("needed_accept", lang, column=column)
        else:
            text = R.say("needed", lang, kind=name_of(TREATMENT_TEXT, treatment.kind.value, lang), column=column)
        problems.append(Problem(shape.locate(row, key), text))
    return problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    return restore_text(str(value).strip()) if isinstance(value, str) else str(value).strip()


def _date(value: Any, where: str, lang: Language, problems: list[Problem]) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        problems.append(Problem(where, R.say("date", lang, text=value)))
        return None


def _level(value: Any, where: str, lang: Language, problems: list[Problem]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(Problem(where, R.say("whole", lang, text=value)))
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        problems.append(Problem(where, R.say("whole", lang, text=value)))
        return None
