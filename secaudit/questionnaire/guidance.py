"""The guidance beside each question: how to answer, which answer is compliant, when evidence is needed.

Shown in the workbook's guidance column and under each question at the
terminal. The compliant answers are read from the question itself (the same
fields ``Question.judge`` reads), so the text never disagrees with the verdict.
"""

from __future__ import annotations

from secaudit.model import Language, Question, QuestionType
from secaudit.model.control import NumberRange
from secaudit.model.labels import VERDICT_TEXT, name_of
from secaudit.questionnaire.items import QuestionItem
from secaudit.questionnaire.values import MULTI_SEPARATOR, allowed_labels


def guidance_text(item: QuestionItem, lang: Language) -> str:
    """The help, expected answer form, compliant answers, evidence rule and evidence examples of one question."""
    en = lang is Language.EN
    question = item.question
    lines = []
    if question.required:
        lines.append("Required." if en else "【必須】")
    if question.type in (QuestionType.YES_NO, QuestionType.CHOICE):
        lines.append(("Choose: " if en else "選択: ") + " / ".join(allowed_labels(question, lang)))
    elif question.type is QuestionType.MULTI_CHOICE:
        labels = " / ".join(allowed_labels(question, lang))
        lines.append(
            f"Choose one or more, separated by '{MULTI_SEPARATOR}': {labels}"
            if en
            else f"複数選択可（'{MULTI_SEPARATOR}' で区切る）: {labels}"
        )
    elif question.type is QuestionType.DATE:
        lines.append("Date (YYYY-MM-DD)." if en else "日付（YYYY-MM-DD）")
    elif question.type is QuestionType.NUMBER:
        lines.append("Number." if en else "数値")
    lines.extend(compliance_lines(question, lang))
    if question.help is not None:
        lines.append(question.help.get(lang))
    if question.ask_contractor:
        lines.append(
            "Ask the contractor: confirm the answer with the contractor who builds or runs the service, and give "
            "their signed statement as the evidence."
            if en
            else "【委託事業者に確認のうえ回答】開発・運用の委託事業者に確認して回答し、委託事業者の署名入りの回答書を"
            "証跡としてください。"
        )
    if question.requires_evidence:
        lines.append(evidence_rule(question, lang))
    if item.control.evidence_examples:
        examples = ", ".join(e.get(lang) for e in item.control.evidence_examples)
        lines.append(("Evidence examples: " if en else "証跡の例: ") + examples)
    return "\n".join(lines)


def compliance_lines(question: Question, lang: Language) -> list[str]:
    """Which answers are compliant and which partly compliant, e.g. ``適合: はい``."""
    compliant = name_of(VERDICT_TEXT, "compliant", lang)
    partial = name_of(VERDICT_TEXT, "partial", lang)
    en = lang is Language.EN
    match question.type:
        case QuestionType.YES_NO | QuestionType.CHOICE:
            lines = [f"{compliant}: {_labels(question, question.compliant, lang)}"] if question.compliant else []
            if question.partial:
                lines.append(f"{partial}: {_labels(question, question.partial, lang)}")
            return lines
        case QuestionType.MULTI_CHOICE:
            return _multi_lines(question, lang)
        case QuestionType.NUMBER:
            lines = [f"{compliant}: {_range(question.compliant_range, lang)}"] if question.compliant_range else []
            if question.partial_range is not None:
                lines.append(f"{partial}: {_range(question.partial_range, lang)}")
            return lines
        case QuestionType.DATE:
            lines = []
            for verdict, days in (("compliant", question.max_age_days), ("partial", question.partial_age_days)):
                if days is not None:
                    within = f"a date within the last {days} days" if en else f"{days}日以内の日付"
                    lines.append(f"{name_of(VERDICT_TEXT, verdict, lang)}: {within}")
            return lines
        case QuestionType.TEXT:
            return ["Free text; not judged." if en else "自由記述（適合の判定には用いません）"]


def evidence_rule(question: Question, lang: Language) -> str:
    """When this question needs an evidence reference, naming the answers that need one where it can."""
    en = lang is Language.EN
    needing = [*question.compliant, *question.partial]
    if question.type in (QuestionType.YES_NO, QuestionType.CHOICE) and needing:
        labels = _labels(question, needing, lang)
        return (
            f"Evidence needed: answering {labels} requires an evidence reference."
            if en
            else f"【証跡が必要】{labels}と回答する場合は、証跡欄に資料名と保管場所を記入してください。"
        )
    return (
        "Evidence needed: a compliant or partly compliant answer requires an evidence reference."
        if en
        else "【証跡が必要】適合・一部適合となる回答には、証跡欄に資料名と保管場所を記入してください。"
    )


def _labels(question: Question, values: list[str], lang: Language) -> str:
    names = {c.value: c.label.get(lang) for c in question.allowed_choices()}
    shown = [names.get(v, v) for v in values]
    return " / ".join(shown) if lang is Language.EN else "・".join(f"「{s}」" for s in shown)


def _multi_lines(question: Question, lang: Language) -> list[str]:
    en = lang is Language.EN
    lines = []
    if question.compliant:
        everything = _labels(question, question.compliant, lang)
        lines.append(
            f"{name_of(VERDICT_TEXT, 'compliant', lang)}: "
            + (f"all of {everything} chosen" if en else f"{everything}をすべて選択")
        )
        some = _labels(question, [*question.compliant, *question.partial], lang)
        lines.append(
            f"{name_of(VERDICT_TEXT, 'partial', lang)}: " + (f"some of {some}" if en else f"{some}の一部を選択")
        )
    if question.non_compliant:
        lines.append(
            f"{name_of(VERDICT_TEXT, 'non_compliant', lang)}: "
            + (
                f"{_labels(question, question.non_compliant, lang)} chosen"
                if en
                else f"{_labels(question, question.non_compliant, lang)}のいずれかを選択"
            )
        )
    return lines


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _range(bounds: NumberRange | None, lang: Language) -> str:
    if bounds is None:
        return ""
    low = None if bounds.gte is None else _number(bounds.gte)
    high = None if bounds.lte is None else _number(bounds.lte)
    if lang is Language.EN:
        if low is not None and high is not None:
            return f"from {low} to {high}"
        return f"at least {low}" if low is not None else f"at most {high}"
    parts = [f"{low} 以上" if low is not None else "", f"{high} 以下" if high is not None else ""]
    return " ".join(p for p in parts if p)
