"""Read an authoring workbook back into a validated checklist; every problem names sheet, row and column."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from secaudit.authoring.cells import problems_error, where
from secaudit.authoring.layout import (
    CHECKLIST_HEADER,
    CHECKLIST_SHEET,
    COLUMNS,
    CONTROL_KEYS,
    CONTROLS_SHEET,
    LIST_SEPARATOR,
    NO,
    PROCEDURE_SLOTS,
    QUESTION_KEYS,
    RETIRED_HEADER,
    RETIRED_SHEET,
    WHEN_OBSERVED,
    YES,
    parse_range,
    split_lines,
    split_values,
)
from secaudit.authoring.sheets import CellValue, SheetData, SheetRow, open_workbook, read_sheet
from secaudit.errors import Problem
from secaudit.model import Checklist, ChecklistInfo, Control
from secaudit.model.control import AuditPhase, RetiredControl

Loc = tuple[str | int, ...]
LOCALIZED = ("title", "rationale", "remediation")
M = TypeVar("M", bound=BaseModel)


@dataclass
class ControlDraft:
    """The rows of one control while they are gathered."""

    row: SheetRow
    questions: list[SheetRow] = field(default_factory=list)


@dataclass
class Origins:
    """Where each part of a model came from, to turn a validation error into a cell."""

    path: Path
    sheet: SheetData
    cells: dict[Loc, tuple[int, str]] = field(default_factory=dict)

    def note(self, loc: Loc, row: int, key: str) -> None:
        """Remember that ``loc`` came from column ``key`` of ``row``."""
        self.cells[loc] = (row, key)

    def cell(self, row: int, key: str) -> str:
        """The location of column ``key`` in ``row``."""
        return where(self.path, self.sheet.name, row, self.sheet.letters.get(key, "?"), key)

    def locate(self, loc: Loc) -> str:
        """The cell that best explains an error at ``loc``."""
        for end in range(len(loc), -1, -1):
            found = self.cells.get(loc[:end])
            if found is not None:
                row, key = found
                return where(self.path, self.sheet.name, row, self.sheet.letters.get(key, "?"), key)
        return where(self.path, self.sheet.name)


def import_checklist(path: Path, known_checks: Collection[str] | None = None) -> Checklist:
    """Read and validate an authoring workbook; raise ``AuthoringError`` listing every problem."""
    path = Path(path)
    problems: list[Problem] = []
    book = open_workbook(path)
    try:
        header = read_sheet(book, path, CHECKLIST_SHEET, CHECKLIST_HEADER, problems)
        controls_sheet = read_sheet(book, path, CONTROLS_SHEET, tuple(c.key for c in COLUMNS), problems)
        retired_sheet = (
            read_sheet(book, path, RETIRED_SHEET, RETIRED_HEADER, problems)
            if RETIRED_SHEET in book.sheetnames
            else None
        )
    finally:
        book.close()
    info = _read_info(path, header, problems) if header is not None else None
    controls = _read_controls(path, controls_sheet, known_checks, problems) if controls_sheet is not None else []
    retired = _read_retired(path, retired_sheet, problems) if retired_sheet is not None else []
    if problems or info is None:
        raise problems_error(path, problems)
    try:
        return Checklist(checklist=info, controls=controls, retired=retired)
    except ValidationError as exc:  # e.g. a control reusing a retired id
        raise problems_error(path, [Problem(where(path, RETIRED_SHEET), e["msg"]) for e in exc.errors()]) from exc


def _read_retired(path: Path, sheet: SheetData, problems: list[Problem]) -> list[RetiredControl]:
    origins = Origins(path, sheet)
    retired = []
    for index, row in enumerate(sheet.rows):
        cells = row.values
        for key in RETIRED_HEADER:
            origins.note((index, key), row.number, key)
        data = {
            "id": _text(cells.get("id", "")),
            "replaced_by": split_lines(_text(cells.get("replaced_by", ""))),
            "reason": {"ja": _text(cells.get("reason_ja", "")), "en": _text(cells.get("reason_en", ""))},
        }
        try:
            retired.append(RetiredControl.model_validate(data))
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "id"
                key = {"reason": "reason_ja"}.get(field, field)
                problems.append(
                    Problem(where(path, sheet.name, row.number, sheet.letters.get(key, "?"), key), err["msg"])
                )
    return retired


def _read_info(path: Path, sheet: SheetData, problems: list[Problem]) -> ChecklistInfo | None:
    origins = Origins(path, sheet)
    data: dict[str, Any] = {}
    for row in sheet.rows:
        name = str(row.values.get("field", "")).strip()
        if name in ("id", "version"):
            if "value" in row.values:
                data[name] = _text(row.values["value"])
            origins.note((name,), row.number, "value")
        elif name in ("title", "description"):
            data[name] = {lang: _text(row.values[lang]) for lang in ("ja", "en") if lang in row.values}
            origins.note((name,), row.number, "ja")
            for lang in ("ja", "en"):
                origins.note((name, lang), row.number, lang)
        else:
            problems.append(
                Problem(
                    where(path, sheet.name, row.number, sheet.letters.get("field", "A"), "field"),
                    f"unknown field '{name}'; expected id, version, title or description",
                )
            )
    return _validate(ChecklistInfo, data, origins, problems)


def _read_controls(
    path: Path, sheet: SheetData, known_checks: Collection[str] | None, problems: list[Problem]
) -> list[Control]:
    drafts: dict[str, ControlDraft] = {}
    continuation: list[tuple[str, SheetRow]] = []
    for row in sheet.rows:
        control_id = _text(row.values.get("id", ""))
        if not control_id:
            problems.append(Problem(_at(path, sheet, row.number, "id"), "id is empty; every row names its control"))
            continue
        defines = any(key in row.values for key in CONTROL_KEYS)
        asks = any(key in row.values for key in QUESTION_KEYS)
        if defines:
            if control_id in drafts:
                first = drafts[control_id].row.number
                problems.append(
                    Problem(
                        _at(path, sheet, row.number, "id"),
                        f"control {control_id} is defined again (its fields are already on row {first}); "
                        "control fields belong on the control's first row only",
                    )
                )
                continue
            drafts[control_id] = ControlDraft(row, [row] if asks else [])
        elif asks:
            continuation.append((control_id, row))
        else:
            problems.append(Problem(_at(path, sheet, row.number, "id"), "row has an id but no control or question"))
    for control_id, row in continuation:
        draft = drafts.get(control_id)
        if draft is None:
            problems.append(
                Problem(
                    _at(path, sheet, row.number, "id"),
                    f"question row for control {control_id}, which has no row with its control fields",
                )
            )
            continue
        draft.questions.append(row)
    for draft in drafts.values():
        draft.questions.sort(key=lambda r: r.number)
    controls = []
    for control_id, draft in drafts.items():
        origins = Origins(path, sheet)
        data = _control_data(control_id, draft, origins, problems)
        control = _validate(Control, data, origins, problems)
        if control is None:
            continue
        problems.extend(_cross_checks(control, origins, known_checks))
        controls.append(control)
    return controls


def _control_data(control_id: str, draft: ControlDraft, origins: Origins, problems: list[Problem]) -> dict[str, Any]:
    cells = draft.row.values
    number = draft.row.number
    origins.note((), number, "id")
    data: dict[str, Any] = {"id": control_id}
    for key in ("domain", "section", "control_type", "scope", "severity"):
        origins.note((key,), number, key)
        if key in cells:
            data[key] = _text(cells[key])
    for name in LOCALIZED:
        origins.note((name,), number, f"{name}_ja")
        for lang in ("ja", "en"):
            origins.note((name, lang), number, f"{name}_{lang}")
        data[name] = {lang: _text(cells[f"{name}_{lang}"]) for lang in ("ja", "en") if f"{name}_{lang}" in cells}
    origins.note(("applies_if",), number, "applies_if")
    if "applies_if" in cells:
        try:
            data["applies_if"] = json.loads(_text(cells["applies_if"]))
        except json.JSONDecodeError as exc:
            problems.append(Problem(origins.locate(("applies_if",)), f"not a JSON condition: {exc.msg}"))
        except RecursionError:
            problems.append(Problem(origins.locate(("applies_if",)), "condition nested too deeply"))
    origins.note(("protects",), number, "protects")
    protects = split_values(_text(cells.get("protects", "")))
    if protects:  # empty: the model's default (confidentiality and integrity)
        data["protects"] = protects
    origins.note(("checks",), number, "checks")
    data["checks"] = [
        {"check": c.removesuffix(WHEN_OBSERVED).strip(), "when_observed": True}
        if c.endswith(WHEN_OBSERVED)
        else {"check": c}
        for c in split_lines(_text(cells.get("checks", "")))
    ]
    if "scan_cadence_days" in cells:
        origins.note(("scan_cadence",), number, "scan_cadence_days")
        origins.note(("scan_cadence", "max_age_days"), number, "scan_cadence_days")
        data["scan_cadence"] = {"max_age_days": _integer(cells["scan_cadence_days"])}
    data["procedure"] = []
    for slot in range(1, PROCEDURE_SLOTS + 1):
        if f"procedure_{slot}" in cells:
            origins.note(("procedure", len(data["procedure"])), number, f"procedure_{slot}")
            data["procedure"].append(_text(cells[f"procedure_{slot}"]))
    data["audit"] = _audit(cells, number, origins)
    data["evidence_examples"] = _evidence(cells, number, origins, problems)
    data["references"] = _references(cells, number, origins, problems)
    data["questions"] = [_question_data(index, row, origins, problems) for index, row in enumerate(draft.questions)]
    return data


def _audit(cells: dict[str, CellValue], number: int, origins: Origins) -> dict[str, Any]:
    """The audit block from the six design_/operation_ columns; a phase with every cell empty is left out."""
    origins.note(("audit",), number, f"{AuditPhase.DESIGN.value}_ja")
    audit: dict[str, Any] = {}
    for phase in AuditPhase:
        keys = {part: f"{phase.value}_{part}" for part in ("ja", "en", "techniques")}
        origins.note(("audit", phase.value), number, keys["ja"])
        for part, key in keys.items():
            origins.note(("audit", phase.value, part), number, key)
        if not any(key in cells for key in keys.values()):
            continue
        texts = {part: _text(cells[keys[part]]) for part in ("ja", "en") if keys[part] in cells}
        audit[phase.value] = {**texts, "techniques": split_values(_text(cells.get(keys["techniques"], "")))}
    return audit


def _evidence(cells: dict[str, CellValue], number: int, origins: Origins, problems: list[Problem]) -> list[Any]:
    ja = split_lines(_text(cells.get("evidence_ja", "")))
    en = split_lines(_text(cells.get("evidence_en", "")))
    origins.note(("evidence_examples",), number, "evidence_ja")
    if len(ja) != len(en):
        problems.append(
            Problem(
                origins.cell(number, "evidence_en"),
                f"{len(ja)} evidence example(s) in Japanese but {len(en)} in English; give one line each, in pairs",
            )
        )
        return []
    for index in range(len(ja)):
        for lang in ("ja", "en"):
            origins.note(("evidence_examples", index, lang), number, f"evidence_{lang}")
    return [{"ja": j, "en": e} for j, e in zip(ja, en, strict=True)]


def _references(cells: dict[str, CellValue], number: int, origins: Origins, problems: list[Problem]) -> list[Any]:
    origins.note(("references",), number, "references")
    references = []
    for line in split_lines(_text(cells.get("references", ""))):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (2, 3) or not all(parts):
            problems.append(
                Problem(
                    origins.locate(("references",)),
                    f"'{line}' is not 'framework{LIST_SEPARATOR}id' "
                    f"or 'framework{LIST_SEPARATOR}id{LIST_SEPARATOR}edition'",
                )
            )
            continue
        reference = {"framework": parts[0], "id": parts[1]}
        if len(parts) == 3:
            reference["edition"] = parts[2]
        references.append(reference)
    return references


def _question_data(index: int, row: SheetRow, origins: Origins, problems: list[Problem]) -> dict[str, Any]:
    cells = row.values
    base: Loc = ("questions", index)
    origins.note(base, row.number, "question_type")
    for field_name, key in (
        ("id", "question_id"),
        ("type", "question_type"),
        ("choices", "choices"),
        ("compliant", "compliant"),
        ("partial", "partial"),
        ("non_compliant", "non_compliant"),
        ("not_applicable", "not_applicable"),
        ("compliant_range", "compliant_range"),
        ("partial_range", "partial_range"),
        ("max_age_days", "max_age_days"),
        ("partial_age_days", "partial_age_days"),
        ("required", "required"),
        ("requires_evidence", "requires_evidence"),
        ("ask_contractor", "ask_contractor"),
        ("depends_on", "depends_on"),
    ):
        origins.note(base + (field_name,), row.number, key)
    for name, prefix in (("text", "question"), ("help", "help")):
        origins.note(base + (name,), row.number, f"{prefix}_ja")
        for lang in ("ja", "en"):
            origins.note(base + (name, lang), row.number, f"{prefix}_{lang}")
    data: dict[str, Any] = {}
    if "question_id" in cells:
        data["id"] = _text(cells["question_id"])
    if "question_type" in cells:
        data["type"] = _text(cells["question_type"])
    data["text"] = {lang: _text(cells[f"question_{lang}"]) for lang in ("ja", "en") if f"question_{lang}" in cells}
    if "help_ja" in cells or "help_en" in cells:
        data["help"] = {lang: _text(cells[f"help_{lang}"]) for lang in ("ja", "en") if f"help_{lang}" in cells}
    choices = []
    for line in split_lines(_text(cells.get("choices", ""))):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            problems.append(Problem(origins.locate(base + ("choices",)), f"'{line}' is not 'value | ja | en'"))
            continue
        choices.append({"value": parts[0], "label": {"ja": parts[1], "en": parts[2]}})
    data["choices"] = choices
    for key in ("compliant", "partial", "non_compliant", "not_applicable"):
        data[key] = split_values(_text(cells.get(key, "")))
    for key in ("compliant_range", "partial_range"):
        if key in cells:
            try:
                data[key] = parse_range(_text(cells[key]))
            except ValueError as exc:
                problems.append(Problem(origins.locate(base + (key,)), str(exc)))
    for key in ("max_age_days", "partial_age_days"):
        if key in cells:
            data[key] = _integer(cells[key])
    for key in ("required", "requires_evidence", "ask_contractor"):
        if key in cells:
            flag = _flag(cells[key])
            if flag is None:
                problems.append(Problem(origins.locate(base + (key,)), f"'{cells[key]}' is not {YES} or {NO}"))
            else:
                data[key] = flag
    if "depends_on" in cells:
        question, sep, answers = _text(cells["depends_on"]).partition(":")
        if not sep or not question.strip() or not split_values(answers):
            problems.append(
                Problem(
                    origins.locate(base + ("depends_on",)), "expected 'question_id: answer, answer', e.g. 'q1: yes'"
                )
            )
        else:
            data["depends_on"] = {"question": question.strip(), "answer_in": split_values(answers)}
    return data


def _cross_checks(control: Control, origins: Origins, known_checks: Collection[str] | None) -> list[Problem]:
    problems = []
    if known_checks is not None:
        for ref in control.checks:
            if ref.check not in known_checks:
                problems.append(Problem(origins.locate(("checks",)), f"unknown check '{ref.check}'"))
    by_id = {q.id: q for q in control.questions}
    for index, question in enumerate(control.questions):
        dep = question.depends_on
        if dep is None:
            continue
        loc = origins.locate(("questions", index, "depends_on"))
        target = by_id.get(dep.question)
        if target is None or target is question:
            problems.append(Problem(loc, f"{control.id}/{question.id} depends on unknown question '{dep.question}'"))
            continue
        allowed = {c.value for c in target.allowed_choices()}
        problems.extend(
            Problem(loc, f"'{value}' is not an answer of '{dep.question}'")
            for value in dep.answer_in
            if allowed and value not in allowed
        )
        seen = {question.id}
        current = target
        while current.depends_on is not None and current.depends_on.question in by_id:
            if current.id in seen:
                problems.append(Problem(loc, f"{control.id}/{question.id}: questions depend on each other in a cycle"))
                break
            seen.add(current.id)
            current = by_id[current.depends_on.question]
    return problems


def _validate(model: type[M], data: dict[str, Any], origins: Origins, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # a cell already refused while reading (a formula, a date) is not reported again as missing
        refused = {p.location for p in problems}
        for error in exc.errors(include_url=False):
            location = origins.locate(tuple(error["loc"]))
            if location in refused:
                continue
            problems.append(Problem(location, error["msg"].removeprefix("Value error, ")))
        return None


def _at(path: Path, sheet: SheetData, row: int, key: str) -> str:
    return where(path, sheet.name, row, sheet.letters.get(key, "?"), key)


def _text(value: CellValue) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _integer(value: CellValue) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    # a number typed into a text cell ("30", or "３０" from a Japanese keyboard) is still a number
    text = _text(value).strip()
    return int(text) if text.isdecimal() and len(text) <= 9 else text


def _flag(value: CellValue) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    return {YES: True, NO: False}.get(text)
