"""What the questionnaire says about an answer or a workbook, in Japanese and English.

An officer forwards import problems to the service owner who filled in the
workbook, so they are worded in the workbook's language, the same language
as its questions. Every message the questionnaire gives a person is here,
keyed by what went wrong; ``say`` fills in the details.
"""

from __future__ import annotations

from secaudit.errors import Problem
from secaudit.model import Language

MESSAGES: dict[str, tuple[str, str]] = {
    # one value against its question
    "not_one_of": ("「{raw}」は選択肢にありません（{labels}）", "'{raw}' is not one of: {labels}"),
    "not_among": (
        "{unknown} は選択肢にありません（{labels}。複数は「{sep}」で区切ります）",
        "{unknown} not among the choices: {labels} (separate several with '{sep}')",
    ),
    "no_choice": ("選択がありません", "no choice given"),
    "number_not_yes_no": ("はい・いいえではなく数値を記入してください", "expected a number, not yes/no"),
    "not_number": ("「{raw}」は数値ではありません", "'{raw}' is not a number"),
    "not_finite": ("有限の数値を記入してください", "expected a finite number"),
    "not_date": ("「{raw}」は日付ではありません（YYYY-MM-DD で記入）", "'{raw}' is not a date (write YYYY-MM-DD)"),
    "bad_date": ("「{raw}」は存在しない日付です", "'{raw}' is not a valid date"),
    "future": ("{date} は未来の日付です", "{date} is in the future"),
    "text_too_long": (
        "{length}文字あります。上限は{limit}文字です",
        "text is {length} characters; the limit is {limit}",
    ),
    "note_too_long": ("{length}文字あります。上限は{limit}文字です", "{length} characters; the limit is {limit}"),
    # one answer against the rules
    "unknown_evidence_file": (
        "根拠資料 {ids} はこのサービスに登録されていません"
        "（回答ポータルでアップロードしたファイルの番号を記入してください）",
        "evidence file {ids} is not registered for this service (write the id of a file uploaded on the portal)",
    ),
    "note_without_answer": (
        "証跡またはコメントがありますが、回答がありません",
        "evidence or comment given but no answer",
    ),
    "not_in_questionnaire": ("{ref} はこの質問票にありません", "{ref} is not in this questionnaire"),
    "needs_na_reason": (
        "{ref}: 「該当しない」と回答する場合は、その理由をコメント欄に記入してください",
        "{ref}: an answer of 'not applicable' needs its reason in the comment column",
    ),
    "needs_evidence": (
        "{ref}: この回答には証跡（資料名・保管場所）の記入が必要です",
        "{ref}: this answer needs an evidence reference (document name, file or location)",
    ),
    "parent_broken": (
        "No. {number} の回答に問題があるため、この回答も受け付けられません",
        "depends on No. {number}, whose answer has a problem",
    ),
    "condition_unmet": (
        "No. {number}（{ref}）の回答が「{labels}」ではないのに、この質問に回答されています。"
        "この回答を消すか、No. {number} を見直してください",
        "follow-up answered, but No. {number} ({ref}) is not answered with {labels}; "
        "clear this answer or change No. {number}",
    ),
    "required_missing": ("{ref}: 必須の質問に回答がありません", "{ref}: required answer is missing"),
    "note_problem": ("{field}: {problem}", "{field}: {problem}"),
    # the workbook
    "row_added": (
        "質問票の下に行が追加されています。削除してください",
        "a row was added below the questionnaire; remove it",
    ),
    "row_missing": ("No. {number}（{ref}）の行がありません", "row for No. {number} ({ref}) is missing"),
    "row_mismatch": (
        "書き出した質問票と一致しません（No. {number}、{ref} のはずです。"
        "質問文が変更されたか、行が移動・入れ替えられています）",
        "does not match the exported questionnaire (expected No. {number}, {ref}: "
        "question text edited, or rows moved or swapped)",
    ),
    "formula": ("{field}が数式です。数式は受け付けません", "{field} is a formula; formulas are not accepted"),
    "answered_by_formula": ("回答者が数式です。氏名を記入してください", "'answered by' is a formula; write the name"),
    "answered_by_missing": (
        "回答者が記入されていません。「回答者」欄に記入するか、--answered-by で指定してください",
        "who answered is missing: fill in the 'answered by' cell, or pass --answered-by",
    ),
    "never_exported": (
        "質問票 {questionnaire} はこのワークスペースから書き出されたものではありません",
        "questionnaire {questionnaire} was never exported from this workspace",
    ),
    "service_mismatch": (
        "サービスID「{found}」が書き出した質問票（サービス「{exported}」）と一致しません",
        "service id '{found}' does not match the exported questionnaire (service '{exported}')",
    ),
    "service_problem": ("サービス: {problem}", "service: {problem}"),
    "organisation_workbook": (
        "これは全庁共通の質問票です。secaudit questionnaire import --organisation で取り込んでください",
        "this is the organisation questionnaire; import it with secaudit questionnaire import --organisation",
    ),
    "not_organisation": (
        "これはサービス「{found}」の質問票で、全庁共通の質問票ではありません。"
        "--organisation を付けずに取り込んでください",
        "this is the questionnaire of service '{found}', not the organisation questionnaire; import it without "
        "--organisation",
    ),
    "table_mismatch": (
        "{ref} で質問の一覧が書き出した質問票と一致しません",
        "question table does not match the exported questionnaire at {ref}",
    ),
    "table_incomplete": (
        "質問の一覧に書き出したすべての質問がありません",
        "question table does not list every exported question",
    ),
    "changed_in_catalog": (
        "{ref} は質問票の書き出し後にチェックリストで変更されました。質問票を書き出し直してください",
        "{ref} has changed in the catalog since this questionnaire was exported; export a new one",
    ),
    "answers_sheet_missing": ("回答シート「{sheet}」がありません", "the answers sheet '{sheet}' is missing"),
    # where it is
    "at_cell": (
        "{file}: シート「{sheet}」 {row}行目 {letter}列（{header}）",
        "{file}: sheet '{sheet}', row {row}, column {letter} ({header})",
    ),
    "at_sheet": ("{file}: シート「{sheet}」", "{file}: sheet '{sheet}'"),
    "at_named_cell": ("{file}: シート「{sheet}」 セル {cell}", "{file}: sheet '{sheet}', cell {cell}"),
    # what an import comes to
    "refused": ("{file}: 取り込めません。何も保存していません", "{file}: refused, nothing stored"),
    "errors": ("誤り {count}件", "{count} error(s)"),
    "missing": ("必須の未回答 {count}件", "{count} required answer(s) missing"),
    "nothing_stored": (
        "{file}: {counts}。何も保存していません（修正するか、--partial で取り込んでください）",
        "{file}: {counts}; nothing stored (fix them, or import with --partial)",
    ),
    "not_stored": ("{file}: 次の回答は保存していません（{counts}）", "{file}: not stored ({counts})"),
    "nothing_valid": ("{file}: 保存できる回答がありません（{counts}）", "{file}: no valid answers to store ({counts})"),
}

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "answer": ("回答", "answer"),
    "evidence": ("証跡", "evidence"),
    "comment": ("コメント", "comment"),
}


def say(key: str, lang: Language | str, **values: object) -> str:
    """Message ``key`` in ``lang`` with its details filled in."""
    ja, en = MESSAGES[key]
    return (en if str(lang) == Language.EN.value else ja).format(**values)


def field_name(name: str, lang: Language | str) -> str:
    """``evidence`` as the owner knows it: 証跡 or evidence."""
    ja, en = FIELD_NAMES[name]
    return en if str(lang) == Language.EN.value else ja


def counts(errors: list[Problem], missing: list[Problem], lang: Language | str) -> str:
    """``誤り 2件、必須の未回答 147件`` / ``2 error(s), 147 required answer(s) missing``."""
    parts = []
    if errors:
        parts.append(say("errors", lang, count=len(errors)))
    if missing:
        parts.append(say("missing", lang, count=len(missing)))
    return ("、" if str(lang) != Language.EN.value else ", ").join(parts)
