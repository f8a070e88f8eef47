"""The instructions sheet: who, what, by when, and how to answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.cellsafety import neutralise
from secaudit.model import Language, Service
from secaudit.questionnaire.values import MULTI_SEPARATOR

ANSWERED_BY_ROW = 9
ANSWERED_BY_CELL = f"B{ANSWERED_BY_ROW}"
_FILL = PatternFill("solid", fgColor="FFF2CC")

_TEXT: dict[Language, dict[str, Any]] = {
    Language.JA: {
        "title": "情報セキュリティ対策 確認質問票",
        "labels": (
            "サービス",
            "所管課",
            "サービス所管者",
            "回答期限",
            "問合せ先（情報セキュリティ担当）",
            "質問数",
            "質問票ID",
            "回答者（記入してください）",
        ),
        "no_due": "（指定なし）",
        "howto_title": "回答方法",
        "howto": [
            "「回答」シートの白いセル（回答・証跡・コメント）だけを記入してください。他のセルは保護されています。",
            "選択式の質問は、セルの一覧（▼）から選んでください。",
            f"複数選択の質問は、選択肢の表示名を「{MULTI_SEPARATOR}」で区切って記入してください"
            f"（例: A{MULTI_SEPARATOR} B）。",
            "日付は YYYY-MM-DD（例: 2026-04-01）、数値は半角数字で記入してください。",
            "「No. n が…の場合に回答」とある質問は、その条件に当てはまるときだけ回答してください。",
            "必須の質問が未回答の間、回答セルは黄色で表示されます。",
            "行の追加・削除・並べ替え、質問文の変更、数式の入力はしないでください。取込み時にエラーになります。",
            "上の「回答者」欄に回答した方の氏名を記入してください。",
        ],
        "evidence_title": "証跡とは",
        "evidence": [
            "回答が事実であることを示す資料です（規程、手順書、記録、設定画面の写しなど）。",
            "資料そのものではなく、資料名と保管場所（文書番号、共有フォルダのパス等）を「証跡」欄に記入してください。",
            "「証跡が必要」とある質問で、適合または一部適合と回答する場合は証跡の記入が必須です。",
        ],
    },
    Language.EN: {
        "title": "Information-security questionnaire",
        "labels": (
            "Service",
            "Department",
            "Service owner",
            "Due date",
            "Contact (security officer)",
            "Questions",
            "Questionnaire id",
            "Answered by (please fill in)",
        ),
        "no_due": "(none)",
        "howto_title": "How to answer",
        "howto": [
            "On the Answers sheet, fill in only the white cells (answer, evidence reference, comment); "
            "the other cells are protected.",
            "For a choice question, pick the answer from the cell's drop-down list.",
            f"For a multiple-choice question, write the labels separated by '{MULTI_SEPARATOR}' "
            f"(e.g. A{MULTI_SEPARATOR} B).",
            "Write dates as YYYY-MM-DD (e.g. 2026-04-01) and numbers with digits.",
            "Answer a question marked 'Answer only if No. n is ...' only when that condition holds.",
            "A required answer that is still blank is shown in yellow.",
            "Do not add, delete or reorder rows, edit question text or enter formulas: the import refuses them.",
            "Write the name of the person who answered in the 'Answered by' cell above.",
        ],
        "evidence_title": "What evidence means",
        "evidence": [
            "Evidence is the material that shows an answer is true: a policy, procedure, record or "
            "a screenshot of a setting.",
            "Do not paste the material: write its name and where it is kept (document number, shared-folder path).",
            "Where a question needs evidence, a compliant or partly compliant answer must name it.",
        ],
    },
}


def write_instructions(
    ws: Worksheet, service: Service, questionnaire_id: str, lang: Language, due: dt.date | None, count: int
) -> None:
    """Fill the instructions sheet; only the 'answered by' cell is left editable."""
    text = _TEXT[lang]
    ws["A1"] = text["title"]
    ws["A1"].font = Font(bold=True, size=14)
    values: tuple[str | int | None, ...] = (
        f"{service.name.get(lang)} ({service.id})",
        service.department,
        f"{service.owner.name} <{service.owner.email}>",
        due.isoformat() if due else text["no_due"],
        f"{service.security_officer.name} <{service.security_officer.email}>",
        count,
        questionnaire_id,
        None,
    )
    for offset, (label, value) in enumerate(zip(text["labels"], values, strict=True)):
        row = 2 + offset
        ws.cell(row, 1, label).font = Font(bold=True)
        ws.cell(row, 2, neutralise(value) if isinstance(value, str) else value)
    answered_by = ws[ANSWERED_BY_CELL]
    answered_by.protection = Protection(locked=False)
    answered_by.fill = _FILL
    row = ANSWERED_BY_ROW + 2
    for title_key, lines_key in (("howto_title", "howto"), ("evidence_title", "evidence")):
        ws.cell(row, 1, text[title_key]).font = Font(bold=True, size=12)
        row += 1
        for number, line in enumerate(text[lines_key], start=1):
            ws.cell(row, 1, f"{number}.")
            cell = ws.cell(row, 2, line)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
        row += 1
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.protection.sheet = True
