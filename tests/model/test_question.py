"""Questions: validation of definitions and judging of answers, table-driven."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from secaudit.model import Question, Verdict

TODAY = dt.date(2026, 11, 26)
TEXT = {"ja": "質問", "en": "Question"}
CHOICES = [
    {"value": "done", "label": {"ja": "済", "en": "Done"}},
    {"value": "planned", "label": {"ja": "計画", "en": "Planned"}},
    {"value": "none", "label": {"ja": "無", "en": "None"}},
    {"value": "na", "label": {"ja": "対象外", "en": "N/A"}},
]


def q(**kwargs: object) -> Question:
    return Question.model_validate({"id": "q1", "text": TEXT, **kwargs})


@pytest.mark.parametrize(
    ("question", "value", "verdict"),
    [
        (q(type="yes_no"), "yes", Verdict.COMPLIANT),
        (q(type="yes_no"), "no", Verdict.NON_COMPLIANT),
        (q(type="yes_no"), "na", Verdict.NOT_APPLICABLE),
        (q(type="yes_no", compliant=["no"], non_compliant=["yes"]), "yes", Verdict.NON_COMPLIANT),
        (
            q(
                type="choice",
                choices=CHOICES,
                compliant=["done"],
                partial=["planned"],
                non_compliant=["none"],
                not_applicable=["na"],
            ),
            "planned",
            Verdict.PARTIAL,
        ),
        (
            q(
                type="choice",
                choices=CHOICES,
                compliant=["done"],
                partial=["planned"],
                non_compliant=["none"],
                not_applicable=["na"],
            ),
            "na",
            Verdict.NOT_APPLICABLE,
        ),
        (
            q(type="multi_choice", choices=CHOICES, compliant=["done", "planned"], non_compliant=["none"]),
            ["done", "planned"],
            Verdict.COMPLIANT,
        ),
        (
            q(type="multi_choice", choices=CHOICES, compliant=["done", "planned"], non_compliant=["none"]),
            ["done"],
            Verdict.PARTIAL,
        ),
        (
            q(type="multi_choice", choices=CHOICES, compliant=["done", "planned"], non_compliant=["none"]),
            ["done", "none"],
            Verdict.NON_COMPLIANT,
        ),
        (q(type="number", compliant_range={"gte": 12}, partial_range={"gte": 6}), 14, Verdict.COMPLIANT),
        (q(type="number", compliant_range={"gte": 12}, partial_range={"gte": 6}), 8, Verdict.PARTIAL),
        (q(type="number", compliant_range={"gte": 12}, partial_range={"gte": 6}), 2, Verdict.NON_COMPLIANT),
        (q(type="date", max_age_days=365, partial_age_days=730), dt.date(2026, 1, 10), Verdict.COMPLIANT),
        (q(type="date", max_age_days=365, partial_age_days=730), dt.date(2025, 3, 1), Verdict.PARTIAL),
        (q(type="date", max_age_days=365, partial_age_days=730), dt.date(2023, 1, 1), Verdict.NON_COMPLIANT),
        # a date in the future is not evidence of anything done
        (q(type="date", max_age_days=365), dt.date(2027, 1, 1), Verdict.NON_COMPLIANT),
        (q(type="text", required=False), "田中", Verdict.INFO),
    ],
)
def test_judge(question: Question, value: object, verdict: Verdict) -> None:
    assert question.judge(value, TODAY) is verdict


@pytest.mark.parametrize(
    ("question", "value", "named"),
    [
        (q(type="multi_choice", choices=CHOICES, compliant=["done"]), "done", "a list of choices, not the text 'done'"),
        (q(type="number", compliant_range={"gte": 12}), "14", "a number, not the text '14'"),
        (q(type="date", max_age_days=365), "2026-01-10", "a date, not the text '2026-01-10'"),
    ],
)
def test_an_answer_of_the_wrong_type_cannot_be_judged(question: Question, value: object, named: str) -> None:
    # a TypeError (not an assert, which python -O drops): assess records the answer as unjudgeable
    with pytest.raises(TypeError, match=f"question q1 takes {named}"):
        question.judge(value, TODAY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "choice"}, "need 'choices'"),
        ({"type": "choice", "choices": CHOICES, "compliant": ["maybe"]}, "not one of the choices"),
        ({"type": "yes_no", "choices": CHOICES}, "fixed choices"),
        ({"type": "number"}, "compliant_range"),
        ({"type": "date"}, "max_age_days"),
        ({"type": "essay"}, "Input should be"),
        ({"type": "yes_no", "colour": "blue"}, "Extra inputs"),
    ],
)
def test_invalid_questions(kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        q(**kwargs)


def test_fingerprint_changes_with_text_and_choices() -> None:
    base = q(type="choice", choices=CHOICES, compliant=["done"])
    edited_text = q(type="choice", choices=CHOICES, compliant=["done"]).model_copy(
        update={"text": base.text.model_copy(update={"en": "Edited"})}
    )
    fewer = q(type="choice", choices=CHOICES[:2], compliant=["done"])
    assert base.fingerprint() == q(type="choice", choices=CHOICES, compliant=["done"]).fingerprint()
    assert base.fingerprint() != edited_text.fingerprint()
    assert base.fingerprint() != fewer.fingerprint()


def test_unquoted_yaml_yes_no_mean_the_answers() -> None:
    # YAML 1.1 turns an unquoted `yes` into True; in answer lists it must still mean "yes".
    question = q(type="yes_no", compliant=[True], non_compliant=[False])
    assert question.compliant == ["yes"]
    assert question.judge("no", TODAY) is Verdict.NON_COMPLIANT
