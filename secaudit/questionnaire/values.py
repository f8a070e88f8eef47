"""Turning what an owner typed (a cell, a prompt, a YAML value) into a typed answer value.

yes_no and choice answers become the choice value, multi_choice a list of
values, number an int or float, date a ``datetime.date``, text a string.
Labels are accepted in either language, as is the choice value itself.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from secaudit.model import Question, QuestionType
from secaudit.questionnaire.messages import say

MULTI_SEPARATOR = ";"
"""Separates several labels in one multi-choice cell (the full-width ； and a line break work too)."""

_MULTI_SPLIT = re.compile(r"[;；\n\r]+")
_DATE_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
MAX_TEXT = 4000
MAX_EVIDENCE = 2000
MAX_COMMENT = 4000


class ValueProblem(ValueError):
    """A value that does not fit its question; the message says what is allowed."""


def is_blank(raw: object) -> bool:
    """True for an empty cell, None, or whitespace only."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _choice_lookup(question: Question) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for choice in question.allowed_choices():
        for name in (choice.value, choice.label.ja, choice.label.en):
            lookup.setdefault(_normalise(name).casefold(), choice.value)
    return lookup


def allowed_labels(question: Question, lang: str) -> list[str]:
    """The labels an owner may choose from, in ``lang``."""
    return [c.label.get(lang) for c in question.allowed_choices()]


def parse_value(question: Question, raw: object, lang: str, today: dt.date) -> object:
    """The typed value of ``raw`` for ``question``; raise ValueProblem when it does not fit."""
    match question.type:
        case QuestionType.YES_NO | QuestionType.CHOICE:
            return _parse_choice(question, raw, lang)
        case QuestionType.MULTI_CHOICE:
            return _parse_multi(question, raw, lang)
        case QuestionType.NUMBER:
            return _parse_number(raw, lang)
        case QuestionType.DATE:
            return _parse_date(raw, today, lang)
        case QuestionType.TEXT:
            return _parse_text(raw, lang)


def _parse_choice(question: Question, raw: object, lang: str) -> str:
    if isinstance(raw, bool) and question.type is QuestionType.YES_NO:
        return "yes" if raw else "no"  # YAML 1.1 reads an unquoted yes/no as a boolean
    labels = " / ".join(allowed_labels(question, lang))
    if not isinstance(raw, str):
        raise ValueProblem(say("not_one_of", lang, raw=raw, labels=labels))
    value = _choice_lookup(question).get(_normalise(raw).casefold())
    if value is None:
        raise ValueProblem(say("not_one_of", lang, raw=raw.strip(), labels=labels))
    return value


def _parse_multi(question: Question, raw: object, lang: str) -> list[str]:
    parts: list[object]
    if isinstance(raw, list):
        parts = list(raw)
    elif isinstance(raw, str):
        parts = [p for p in _MULTI_SPLIT.split(raw) if p.strip()]
    else:
        parts = [raw]
    lookup = _choice_lookup(question)
    chosen: set[str] = set()
    unknown: list[str] = []
    for part in parts:
        value = lookup.get(_normalise(str(part)).casefold())
        if value is None:
            unknown.append(str(part).strip())
        else:
            chosen.add(value)
    if unknown:
        labels = " / ".join(allowed_labels(question, lang))
        shown = ", ".join(repr(u) for u in unknown)
        raise ValueProblem(say("not_among", lang, unknown=shown, labels=labels, sep=MULTI_SEPARATOR))
    if not chosen:
        raise ValueProblem(say("no_choice", lang))
    return [c.value for c in question.allowed_choices() if c.value in chosen]


def _parse_number(raw: object, lang: str) -> int | float:
    if isinstance(raw, bool):
        raise ValueProblem(say("number_not_yes_no", lang))
    if isinstance(raw, int | float):
        number: int | float = raw
    elif isinstance(raw, str):
        text = _normalise(raw).replace(",", "")
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueProblem(say("not_number", lang, raw=raw.strip())) from None
    else:
        raise ValueProblem(say("not_number", lang, raw=raw))
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueProblem(say("not_finite", lang))
        if number.is_integer():
            number = int(number)
    return number


def _parse_date(raw: object, today: dt.date, lang: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, str):
        match = _DATE_RE.match(_normalise(raw))
        if match is None:
            raise ValueProblem(say("not_date", lang, raw=raw.strip()))
        try:
            value = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise ValueProblem(say("bad_date", lang, raw=raw.strip())) from None
    else:
        raise ValueProblem(say("not_date", lang, raw=raw))
    if value > today + dt.timedelta(days=1):
        raise ValueProblem(say("future", lang, date=value.isoformat()))
    return value


def _parse_text(raw: object, lang: str) -> str:
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise ValueProblem(say("text_too_long", lang, length=len(text), limit=MAX_TEXT))
    return text


def parse_note(raw: object, limit: int, lang: str) -> str | None:
    """An evidence reference or comment as text (None when blank); raise ValueProblem past ``limit``."""
    if is_blank(raw):
        return None
    text = raw.isoformat() if isinstance(raw, dt.date) else str(raw).strip()
    if len(text) > limit:
        raise ValueProblem(say("note_too_long", lang, length=len(text), limit=limit))
    return text


def display_value(question: Question, value: object, lang: str) -> str:
    """An answer value as an owner would write it (labels for choices)."""
    labels = {c.value: c.label.get(lang) for c in question.allowed_choices()}
    if isinstance(value, list):
        return f"{MULTI_SEPARATOR} ".join(labels.get(str(v), str(v)) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return labels.get(value, value)
    return "" if value is None else str(value)
