"""The shape and words of the risk register workbook, in Japanese and English.

One table of columns serves both directions: the export writes each header
in the workspace's language, and the import finds each column by its header
in either language (or by the plain key older workbooks used).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from secaudit.model import Language
from secaudit.workbook_kinds import WorkbookKind, meta_sheet_of, tag_of

FORMAT = tag_of(WorkbookKind.RISK_REGISTER)
META_SHEET = meta_sheet_of(WorkbookKind.RISK_REGISTER)
SHEETS = {Language.JA: "リスク登録簿", Language.EN: "Register"}
INSTRUCTIONS_SHEETS = {Language.JA: "記入方法", Language.EN: "Instructions"}
HEADER_ROW = 1
FIRST_ROW = 2


class Cell(StrEnum):
    """What a column holds, which decides its format."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """One column of the register sheet."""

    key: str
    ja: str
    en: str
    width: float
    cell: Cell = Cell.TEXT
    editable: bool = False

    def header(self, lang: Language) -> str:
        """The header in ``lang``."""
        return self.en if lang is Language.EN else self.ja


COLUMNS: tuple[Column, ...] = (
    Column("risk_id", "リスクID", "Risk id", 16),
    Column("control", "管理策", "Control", 11),
    Column("title", "件名", "Title", 22),
    Column("result", "評価結果", "Result", 8),
    Column("likelihood", "発生可能性", "Likelihood", 6, Cell.NUMBER),
    Column("impact", "影響度", "Impact", 6, Cell.NUMBER),
    Column("inherent_level", "固有リスク", "Inherent level", 7),
    Column("residual_level", "残留リスク", "Residual level", 7),
    Column("status", "状態", "Status", 7),
    Column("first_seen", "初回検出日", "First seen", 11, Cell.DATE),
    Column("resolved_at", "解消日", "Resolved", 11, Cell.DATE),
    Column("description", "内容", "Description", 28),
    Column("treatment", "対応", "Treatment", 8, editable=True),
    Column("owner", "対応責任者", "Owner", 11, editable=True),
    Column("plan", "対応計画", "Plan", 20, editable=True),
    Column("due", "対応期限", "Due", 11, Cell.DATE, editable=True),
    Column("approver", "承認者（受容）", "Approver (accept)", 11, editable=True),
    Column("justification", "受容の理由", "Justification (accept)", 18, editable=True),
    Column("expires", "受容の有効期限", "Acceptance expires", 11, Cell.DATE, editable=True),
    Column("residual_likelihood", "対応後の発生可能性", "Residual likelihood", 7, Cell.NUMBER, editable=True),
    Column("residual_impact", "対応後の影響度", "Residual impact", 7, Cell.NUMBER, editable=True),
)
BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED_KEYS = ("risk_id", "control", *(c.key for c in COLUMNS if c.editable))
"""Columns an imported sheet must have: which risk, and every decision column."""

DATE_FORMATS = {Language.JA: "yyyy/mm/dd", Language.EN: "yyyy-mm-dd"}


def header_keys() -> dict[str, str]:
    """Every header an imported sheet may use, in either language or as a plain key, mapped to its key."""
    names: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.key, column.ja, column.en):
            names.setdefault(name.casefold(), column.key)
    # older workbooks had a column per language for these
    names.update({"title_ja": "title", "title_en": "title", "description_ja": "description"})
    names.update({"description_en": "description"})
    return names


def where(lang: Language, sheet: str, row: int, key: str | None = None) -> str:
    """``リスク登録簿!5行目「対応期限」列`` / ``Register!row 5 column 'Due'``."""
    column = BY_KEY[key].header(lang) if key in BY_KEY else key
    if lang is Language.EN:
        return f"{sheet}!row {row}" + (f" column '{column}'" if column else "")
    return f"{sheet}!{row}行目" + (f"「{column}」列" if column else "")


MESSAGES: dict[str, tuple[str, str]] = {
    "formula": ("数式は受け付けません", "formulas are not accepted"),
    "id_required": ("リスクIDと管理策は必須です", "risk id and control are required"),
    "not_this_risk": (
        "「{rid}」は {service}/{control} のリスクではありません",
        "'{rid}' is not a risk of {service}/{control}",
    ),
    "repeated": ("{rid} が重複しています（最初は{first}行目）", "{rid} appears again (first on row {first})"),
    "kind": ("「{text}」は {choices} のいずれでもありません", "'{text}' is not one of {choices}"),
    "date": ("「{text}」は日付（YYYY-MM-DD）ではありません", "'{text}' is not a date (YYYY-MM-DD)"),
    "whole": ("「{text}」は整数ではありません", "'{text}' is not a whole number"),
    "needed_accept": ("受容（例外措置）には「{column}」が必要です", "an acceptance (例外措置) needs '{column}'"),
    "needed": ("「{kind}」には「{column}」が必要です", "a '{kind}' treatment needs '{column}'"),
    "range": ("このマトリクスでは 1〜{size} で記入してください", "must be 1..{size} on this matrix"),
    "unknown_risk": ("{rid} は現在の登録簿にありません", "{rid} is not in the current register"),
    "summary": (
        "{name}: {count}件の問題があります。何も保存していません",
        "{name}: {count} problem(s); nothing was stored",
    ),
}


def say(key: str, lang: Language, **values: object) -> str:
    """Message ``key`` in ``lang`` with its placeholders filled in."""
    ja, en = MESSAGES[key]
    return (en if lang is Language.EN else ja).format(**values)


@dataclass(frozen=True)
class InstructionWords:
    """The instructions sheet in one language; ``howto`` lines take {sheet}, {kinds}, {zone} and {size}."""

    title: str
    service: str
    matrix: str
    zone: str
    howto_title: str
    howto: tuple[str, ...]


INSTRUCTIONS = {
    Language.JA: InstructionWords(
        title="リスク登録簿 記入方法",
        service="サービス",
        matrix="リスクマトリクス",
        zone="日付の時間帯",
        howto_title="記入方法",
        howto=(
            "「{sheet}」シートの白い列（「対応」から「対応後の影響度」まで）だけを記入します。"
            "灰色の列は評価の結果で、保護されています。",
            "「対応」は一覧から選びます: {kinds}。",
            "受容（例外措置）は「承認者（受容）」「受容の理由」「受容の有効期限」を、"
            "それ以外の対応は「対応責任者」「対応計画」を記入します。",
            "日付は YYYY-MM-DD（例: 2027-03-31）で記入します。初回検出日・解消日は {zone} の日付です。",
            "「対応後の発生可能性」「対応後の影響度」は任意で、1〜{size} の整数です。",
            "「対応」が空の行は取り込まれず、記録済みの対応もそのまま残ります。",
            "記入後、secaudit risk import ファイル名 --by 氏名 で取り込みます。"
            "問題が一つでもあれば何も保存されず、行と列が示されます。",
        ),
    ),
    Language.EN: InstructionWords(
        title="Risk register: how to fill it in",
        service="Service",
        matrix="Risk matrix",
        zone="Dates are in",
        howto_title="How to fill it in",
        howto=(
            "On the '{sheet}' sheet, fill in only the white columns (Treatment to Residual impact). The grey "
            "columns are the assessment and are protected.",
            "Choose the treatment from the list: {kinds}.",
            "An acceptance (例外措置) needs the approver, the justification and the expiry; any other treatment "
            "needs the owner and the plan.",
            "Write dates as YYYY-MM-DD (e.g. 2027-03-31). First-seen and resolved dates are dates in {zone}.",
            "Residual likelihood and impact are optional, whole numbers from 1 to {size}.",
            "A row with no treatment is not imported, and a treatment already on record stays as it is.",
            "Then run: secaudit risk import FILE --by NAME. If any row has a problem, nothing is stored and "
            "every problem is named by row and column.",
        ),
    ),
}
