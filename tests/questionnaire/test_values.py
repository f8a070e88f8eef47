"""Parsing what owners type into typed answer values."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.cellsafety import neutralise, restore
from secaudit.model import Question
from secaudit.questionnaire.values import ValueProblem, display_value, parse_value

TODAY = dt.date(2026, 11, 26)
TEXT = {"ja": "質問", "en": "Question"}
CHOICES = [
    {"value": "vendor", "label": {"ja": "ベンダー通知", "en": "Vendor notices"}},
    {"value": "jvn", "label": {"ja": "JVN", "en": "JVN"}},
    {"value": "none", "label": {"ja": "なし", "en": "None"}},
]
YES_NO = Question.model_validate({"id": "q1", "type": "yes_no", "text": TEXT})
MULTI = Question.model_validate({"id": "q1", "type": "multi_choice", "text": TEXT, "choices": CHOICES})
NUMBER = Question.model_validate({"id": "q1", "type": "number", "text": TEXT, "compliant_range": {"lte": 14}})
DATE = Question.model_validate({"id": "q1", "type": "date", "text": TEXT, "max_age_days": 365})
FREE = Question.model_validate({"id": "q1", "type": "text", "text": TEXT})


@pytest.mark.parametrize(
    ("question", "raw", "value"),
    [
        (YES_NO, "はい", "yes"),
        (YES_NO, " Not applicable ", "na"),
        (YES_NO, "no", "no"),
        (YES_NO, True, "yes"),
        (MULTI, "ベンダー通知; JVN", ["vendor", "jvn"]),
        (MULTI, "JVN；ベンダー通知", ["vendor", "jvn"]),
        (MULTI, "JVN\nJVN", ["jvn"]),
        (MULTI, ["none"], ["none"]),
        (NUMBER, 7, 7),
        (NUMBER, 7.0, 7),
        (NUMBER, "１２", 12),
        (NUMBER, "2.5", 2.5),
        (DATE, dt.datetime(2026, 4, 1, 0, 0), dt.date(2026, 4, 1)),
        (DATE, "2026/04/01", dt.date(2026, 4, 1)),
        (DATE, "２０２６－０４－０１", dt.date(2026, 4, 1)),
        (FREE, "  自由記述  ", "自由記述"),
    ],
)
def test_accepted_values(question: Question, raw: object, value: object) -> None:
    assert parse_value(question, raw, "ja", TODAY) == value


@pytest.mark.parametrize(
    ("question", "raw", "message"),
    [
        (YES_NO, "たぶん", "'たぶん' is not one of: Yes / No / Not applicable"),
        (YES_NO, 1, "is not one of"),
        (MULTI, "ベンダー通知; 新聞", "'新聞' not among the choices"),
        (NUMBER, "ten", "'ten' is not a number"),
        (NUMBER, True, "not yes/no"),
        (NUMBER, float("nan"), "finite"),
        (DATE, "2026-02-30", "not a valid date"),
        (DATE, "April 1", "write YYYY-MM-DD"),
        (DATE, "2027-01-01", "is in the future"),
        (FREE, "x" * 4001, "the limit is 4000"),
    ],
)
def test_refused_values(question: Question, raw: object, message: str) -> None:
    with pytest.raises(ValueProblem, match=message):
        parse_value(question, raw, "en", TODAY)


@pytest.mark.parametrize(
    ("question", "raw", "message"),
    [
        (YES_NO, "たぶん", "「たぶん」は選択肢にありません（はい / いいえ / 該当しない）"),
        (
            MULTI,
            "ベンダー通知; 新聞",
            "'新聞' は選択肢にありません（ベンダー通知 / JVN / なし。複数は「;」で区切ります）",
        ),
        (NUMBER, "十日", "「十日」は数値ではありません"),
        (DATE, "2026-02-30", "「2026-02-30」は存在しない日付です"),
        (DATE, "2027-01-01", "2027-01-01 は未来の日付です"),
        (FREE, "x" * 4001, "4001文字あります。上限は4000文字です"),
    ],
)
def test_refused_values_are_explained_in_japanese(question: Question, raw: object, message: str) -> None:
    with pytest.raises(ValueProblem) as refused:
        parse_value(question, raw, "ja", TODAY)
    assert str(refused.value) == message


def test_display_value_uses_labels() -> None:
    assert display_value(MULTI, ["vendor", "jvn"], "en") == "Vendor notices; JVN"
    assert display_value(YES_NO, "na", "ja") == "該当しない"
    assert display_value(DATE, dt.date(2026, 4, 1), "ja") == "2026-04-01"


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_neutralise_and_restore(text: str) -> None:
    safe = neutralise(text)
    assert safe == "'" + text
    assert restore(safe) == text


def test_ordinary_text_is_left_alone() -> None:
    assert neutralise("研修記録") == "研修記録"
    assert restore("'quoted on purpose") == "'quoted on purpose"
    assert restore(5) == 5
