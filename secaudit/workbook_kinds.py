"""The kinds of workbook secaudit writes, how each is recognised, and what to say when one is given for another.

Officers keep questionnaires, risk registers, statements of applicability and
checklist workbooks side by side; handing the wrong one to an import is an
easy slip. Each kind carries a format tag in its hidden metadata sheet (the
checklist workbook, which people author themselves, is known by its sheets),
so an import can say what it was given instead of only that it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from secaudit.authoring.layout import CHECKLIST_SHEET, CONTROLS_SHEET
from secaudit.model import Language


class WorkbookKind(StrEnum):
    """A workbook secaudit writes or reads."""

    QUESTIONNAIRE = "questionnaire"
    RISK_REGISTER = "risk_register"
    SOA = "soa"
    CHECKLIST = "checklist"


@dataclass(frozen=True)
class KindInfo:
    """How one kind is tagged, what people call it, which command writes it and which reads it back."""

    tag: str | None
    meta_sheet: str | None
    name: tuple[str, str]
    written_by: str
    read_by: str | None


KINDS: dict[WorkbookKind, KindInfo] = {
    WorkbookKind.QUESTIONNAIRE: KindInfo(
        "secaudit-questionnaire/1",
        "_secaudit",
        ("質問票", "questionnaire"),
        "secaudit questionnaire export",
        "secaudit questionnaire import",
    ),
    WorkbookKind.RISK_REGISTER: KindInfo(
        "secaudit-risk-register/1",
        "_meta",
        ("リスク登録簿", "risk register"),
        "secaudit risk export",
        "secaudit risk import",
    ),
    WorkbookKind.SOA: KindInfo(
        "secaudit-soa/1",
        "_meta",
        ("適用宣言書", "statement of applicability"),
        "secaudit checklist soa",
        None,
    ),
    WorkbookKind.CHECKLIST: KindInfo(
        None,
        None,
        ("チェックリスト", "checklist workbook"),
        "secaudit checklist export",
        "secaudit checklist import",
    ),
}

META_ROWS = 30
"""How far down a metadata sheet the format tag and language are looked for."""


def tag_of(kind: WorkbookKind) -> str:
    """The format tag written into the metadata sheet of ``kind``."""
    tag = KINDS[kind].tag
    if tag is None:
        raise ValueError(f"{kind} workbooks carry no tag")
    return tag


def meta_sheet_of(kind: WorkbookKind) -> str:
    """The name of the hidden metadata sheet of ``kind``."""
    sheet = KINDS[kind].meta_sheet
    if sheet is None:
        raise ValueError(f"{kind} workbooks have no metadata sheet")
    return sheet


@dataclass(frozen=True)
class Identified:
    """What a workbook turned out to be, and its language when it says."""

    kind: WorkbookKind
    language: Language | None


def identify(wb: Any) -> Identified | None:
    """The kind of an openpyxl workbook (read-only mode will do), or None when it is none of ours."""
    for kind, info in KINDS.items():
        if info.meta_sheet is None or info.meta_sheet not in wb.sheetnames:
            continue
        pairs: dict[str, Any] = {}
        for values in wb[info.meta_sheet].iter_rows(max_row=META_ROWS, max_col=2, values_only=True):
            if len(values) == 2 and isinstance(values[0], str):
                pairs.setdefault(values[0], values[1])
        if pairs.get("format") == info.tag:
            language = pairs.get("language")
            return Identified(kind, Language(language) if language in tuple(Language) else None)
    if {CONTROLS_SHEET, CHECKLIST_SHEET} <= set(wb.sheetnames):
        return Identified(WorkbookKind.CHECKLIST, None)
    return None


def wrong_kind(found: WorkbookKind, wanted: WorkbookKind, lang: Language) -> str:
    """What to tell someone who gave a ``found`` workbook to the import of ``wanted`` workbooks."""
    is_en = lang is Language.EN
    got, expected = KINDS[found], KINDS[wanted]
    name, wanted_name = got.name[1 if is_en else 0], expected.name[1 if is_en else 0]
    if is_en:
        text = f"this is a {name} workbook (written by '{got.written_by}'), not a {wanted_name}"
        if got.read_by is None:
            return f"{text}; it is for reading and printing, and nothing is imported from it"
        return f"{text}; import it with '{got.read_by}'"
    text = f"これは{name}のブック（{got.written_by} で作成）で、{wanted_name}ではありません"
    if got.read_by is None:
        return f"{text}。閲覧・印刷用のため、取り込むものはありません"
    return f"{text}。{got.read_by} で取り込んでください"
