"""The rules shared by workbook, prompt and file: evidence, follow-ups, required answers."""

from __future__ import annotations

import datetime as dt

from secaudit.model import Control
from secaudit.questionnaire.items import QuestionItem
from secaudit.questionnaire.validation import RawAnswer, validate_submission
from tests.assessment_data import AUDIT

TODAY = dt.date(2026, 11, 26)
CONTROL = Control.model_validate(
    {
        "id": "QT-5.2-001",
        "domain": "HUM",
        "section": "5.2",
        "control_type": "human",
        "title": {"ja": "t", "en": "t"},
        "rationale": {"ja": "r", "en": "r"},
        "severity": "low",
        "remediation": {"ja": "x", "en": "x"},
        "procedure": ["document_review"],
        "audit": AUDIT,
        "questions": [
            {
                "id": "q1",
                "type": "choice",
                "text": {"ja": "方式", "en": "How"},
                "choices": [
                    {"value": "full", "label": {"ja": "全部", "en": "All"}},
                    {"value": "some", "label": {"ja": "一部", "en": "Some"}},
                    {"value": "never", "label": {"ja": "なし", "en": "Never"}},
                    {"value": "na", "label": {"ja": "対象外", "en": "N/A"}},
                ],
                "compliant": ["full"],
                "partial": ["some"],
                "non_compliant": ["never"],
                "not_applicable": ["na"],
                "requires_evidence": True,
            },
            {
                "id": "q2",
                "type": "multi_choice",
                "text": {"ja": "手段", "en": "Means"},
                "choices": [
                    {"value": "a", "label": {"ja": "甲", "en": "A"}},
                    {"value": "b", "label": {"ja": "乙", "en": "B"}},
                ],
                "compliant": ["a"],
                "depends_on": {"question": "q1", "answer_in": ["full", "some"]},
            },
            {
                "id": "q3",
                "type": "text",
                "text": {"ja": "詳細", "en": "Details"},
                "depends_on": {"question": "q2", "answer_in": ["b"]},
            },
        ],
    }
)
Q1 = QuestionItem(1, CONTROL, CONTROL.questions[0])
Q2 = QuestionItem(2, CONTROL, CONTROL.questions[1], Q1)
Q3 = QuestionItem(3, CONTROL, CONTROL.questions[2], Q2)
ITEMS = [Q1, Q2, Q3]


def run(*raws: RawAnswer, in_force: dict | None = None):
    return validate_submission(ITEMS, raws, "ja", TODAY, lambda key, name: f"{key[1]}:{name}", in_force=in_force)


def test_evidence_needed_only_for_compliant_or_partial_answers() -> None:
    for value, needs in (("全部", True), ("一部", True), ("なし", False), ("対象外", False)):
        result = run(RawAnswer(Q1.key, value))
        problems = [p for p in result.errors if p.location == "q1:evidence"]
        assert bool(problems) is needs, value
    assert not run(RawAnswer(Q1.key, "全部", "規程 第2条"), RawAnswer(Q2.key, "甲")).problems


def test_follow_up_chain_and_multi_choice_parent() -> None:
    result = run(RawAnswer(Q1.key, "一部", "規程"), RawAnswer(Q2.key, "甲; 乙"))
    assert [p.message for p in result.missing] == ["QT-5.2-001/q3: 必須の質問に回答がありません"]
    result = run(RawAnswer(Q1.key, "一部", "規程"), RawAnswer(Q2.key, "甲"), RawAnswer(Q3.key, "詳細"))
    assert result.errors[0].location == "q3:answer"
    assert result.errors[0].message.startswith(
        "No. 2（QT-5.2-001/q2）の回答が「乙」ではないのに、この質問に回答されています"
    )
    result = run(RawAnswer(Q1.key, "なし"))
    assert not result.problems  # follow-ups are not required when their condition is not met


def test_follow_up_may_rely_on_an_answer_already_in_force() -> None:
    assert not run(RawAnswer(Q2.key, "甲"), in_force={Q1.key: "full"}).problems
    result = run(RawAnswer(Q2.key, "甲"), in_force={Q1.key: "never"})
    assert result.errors and "No. 1" in result.errors[0].message


def test_note_without_answer_and_overlong_evidence() -> None:
    result = run(RawAnswer(Q1.key, None, "資料"))
    assert result.errors[0].message == "証跡またはコメントがありますが、回答がありません"
    result = run(RawAnswer(Q1.key, "全部", "x" * 2001))
    assert result.errors[0].location == "q1:evidence"
    assert result.errors[0].message == "証跡: 2001文字あります。上限は2000文字です"


def test_not_applicable_needs_a_reason_in_the_comment() -> None:
    """該当しない is a claim: its reason is kept as evidence (and shown in the statement of applicability)."""
    result = run(RawAnswer(Q1.key, "対象外"))
    [problem] = [p for p in result.errors if p.location == "q1:comment"]
    assert "理由をコメント欄に記入してください" in problem.message
    assert not run(RawAnswer(Q1.key, "対象外", None, "窓口のみで受け付けており、オンライン申請はない")).problems
