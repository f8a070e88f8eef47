"""The instructions sheet: who, what, by when, and how to answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.cellsafety import neutralise
from secaudit.model import Language
from secaudit.model.labels import VERDICT_TEXT, name_of
from secaudit.questionnaire.respondent import Respondent
from secaudit.questionnaire.values import MULTI_SEPARATOR
from secaudit.sheetlayout import fit_rows, print_on_one_page

ANSWERED_BY_ROW = 9
ANSWERED_BY_CELL = f"B{ANSWERED_BY_ROW}"
WIDTHS = {1: 34, 2: 90}
_SECTIONS = (("howto_title", "howto"), ("verdict_title", "verdict"), ("evidence_title", "evidence"))
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
        "verdict_title": "適合となる回答",
        "verdict": [
            "各質問の「補足」欄に、{compliant}となる回答（{partial}となる回答があればそれも）を示しています。"
            "それ以外の回答は{non_compliant}、「該当しない」は{not_applicable}として扱います。",
            "実態のとおりに回答してください。{non_compliant}の場合もそのまま回答し、対応の予定をコメント欄に記入してください。",
        ],
        "evidence_title": "証跡が必要な場合",
        "evidence": [
            "証跡とは、回答が事実であることを示す資料です（規程、手順書、記録、設定画面の写しなど）。",
            "資料そのものではなく、資料名と保管場所（文書番号、共有フォルダのパス等）を「証跡」欄に記入してください。",
            "「補足」欄に【証跡が必要】とある質問で、{compliant}または{partial}となる回答をする場合は、"
            "証跡の記入が必須です（記入がないと取り込めません）。{non_compliant}・{not_applicable}の回答には不要です。",
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
        "verdict_title": "Which answer is compliant",
        "verdict": [
            "The guidance column of each question names the answers that count as {compliant} "
            "(and as {partial}, where there are such). Any other answer counts as {non_compliant}; "
            "'Not applicable' counts as {not_applicable}.",
            "Answer as things are. If the answer is {non_compliant}, say so, and write what is planned in the comment.",
        ],
        "evidence_title": "When evidence is needed",
        "evidence": [
            "Evidence is the material that shows an answer is true: a policy, procedure, record or "
            "a screenshot of a setting.",
            "Do not paste the material: write its name and where it is kept (document number, shared-folder path).",
            "Where the guidance says 'Evidence needed', an answer that counts as {compliant} or {partial} must "
            "name its evidence, or the workbook cannot be imported. {non_compliant} and {not_applicable} answers "
            "need none.",
        ],
    },
}


def write_instructions(
    ws: Worksheet, respondent: Respondent, questionnaire_id: str, lang: Language, due: dt.date | None, count: int
) -> None:
    """Fill the instructions sheet; only the 'answered by' cell is left editable."""
    text = _TEXT[lang]
    ws["A1"] = text["title"]
    ws["A1"].font = Font(bold=True, size=14)
    values: tuple[str | int | None, ...] = (
        respondent.line(lang),
        respondent.department.get(lang),
        respondent.owner.get(lang),
        due.isoformat() if due else text["no_due"],
        respondent.contact or "-",
        count,
        questionnaire_id,
        None,
    )
    for offset, (label, value) in enumerate(zip(text["labels"], values, strict=True)):
        row = 2 + offset
        ws.cell(row, 1, label).font = Font(bold=True)
        cell = ws.cell(row, 2, neutralise(value) if isinstance(value, str) else value)
        cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    answered_by = ws[ANSWERED_BY_CELL]
    answered_by.protection = Protection(locked=False)
    answered_by.fill = _FILL
    verdicts = {key: name_of(VERDICT_TEXT, key, lang) for key in VERDICT_TEXT}
    row = ANSWERED_BY_ROW + 2
    for title_key, lines_key in _SECTIONS:
        ws.cell(row, 1, text[title_key]).font = Font(bold=True, size=12)
        row += 1
        for number, line in enumerate(text[lines_key], start=1):
            ws.cell(row, 1, f"{number}.").alignment = Alignment(horizontal="right", vertical="top")
            cell = ws.cell(row, 2, line.format(**verdicts))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
        row += 1
    for column, width in WIDTHS.items():
        ws.column_dimensions[get_column_letter(column)].width = width
    for (label_cell,) in ws.iter_rows(min_row=2, max_col=1):  # the title in A1 may run on into B
        label_cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal=label_cell.alignment.horizontal)
    fit_rows(ws, WIDTHS, 2, row)
    print_on_one_page(ws)
    ws.protection.sheet = True
