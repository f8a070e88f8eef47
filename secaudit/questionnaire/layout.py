"""The fixed shape of a questionnaire workbook, shared by export and import."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.model import Domain, Language
from secaudit.model.labels import DOMAIN_TEXT, name_of
from secaudit.workbook_kinds import WorkbookKind, meta_sheet_of, tag_of

FORMAT_TAG = tag_of(WorkbookKind.QUESTIONNAIRE)
META_SHEET = meta_sheet_of(WorkbookKind.QUESTIONNAIRE)
LISTS_SHEET = "_lists"
HEADER_ROW = 1
FIRST_ROW = 2
META_TABLE_HEADER = ("row", "no", "control_id", "question_id", "fingerprint")

# Columns of the answers sheet (1-based), in order.
COL_NO, COL_CONTROL, COL_DOMAIN, COL_QUESTION, COL_GUIDANCE, COL_ANSWER, COL_EVIDENCE, COL_COMMENT = range(1, 9)
ANSWER_COLUMNS = {"answer": COL_ANSWER, "evidence": COL_EVIDENCE, "comment": COL_COMMENT}
WIDTHS = {COL_NO: 6, COL_CONTROL: 15, COL_DOMAIN: 20, COL_QUESTION: 60, COL_GUIDANCE: 50}
ANSWER_WIDTHS = {COL_ANSWER: 24, COL_EVIDENCE: 32, COL_COMMENT: 32}


@dataclass(frozen=True)
class SheetWords:
    """Sheet names and headers in one language."""

    instructions: str
    answers: str
    headers: tuple[str, ...]


WORDS = {
    Language.JA: SheetWords(
        "記入方法",
        "回答",
        ("No", "管理策ID", "分野", "質問", "補足・証跡の例", "回答", "証跡（資料名・保管場所）", "コメント"),
    ),
    Language.EN: SheetWords(
        "Instructions",
        "Answers",
        (
            "No",
            "Control ID",
            "Domain",
            "Question",
            "Guidance and evidence examples",
            "Answer",
            "Evidence reference",
            "Comment",
        ),
    ),
}


def domain_name(domain: Domain, section: str, lang: Language | str) -> str:
    """``§5.2 人的セキュリティ``: the guideline section and domain name."""
    return f"§{section} {name_of(DOMAIN_TEXT, domain.value, lang)}"


def column_name(column: int, lang: Language | str) -> str:
    """The header of ``column`` in ``lang``."""
    return WORDS[Language(str(lang))].headers[column - 1]
