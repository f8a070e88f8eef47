"""The guidance beside a question: what is compliant, when evidence is needed, whom to ask."""

from __future__ import annotations

from secaudit.model import Control, Language
from secaudit.questionnaire.guidance import guidance_text
from secaudit.questionnaire.items import QuestionItem
from tests.assessment_data import AUDIT


def _control(ask_contractor: bool) -> Control:
    return Control.model_validate(
        {
            "id": "WEB-6.3-900",
            "domain": "TEC",
            "section": "6.3",
            "control_type": "technical",
            "title": {"ja": "SQLインジェクション対策", "en": "SQL injection"},
            "rationale": {"ja": "r", "en": "r"},
            "severity": "high",
            "remediation": {"ja": "x", "en": "x"},
            "procedure": ["document_review"],
            "audit": AUDIT,
            "questions": [
                {
                    "id": "q1",
                    "type": "yes_no",
                    "text": {"ja": "SQL文はすべてプレースホルダで組み立てていますか。", "en": "Placeholders only?"},
                    "ask_contractor": ask_contractor,
                }
            ],
        }
    )


def test_a_question_for_the_contractor_says_so_and_needs_the_signed_statement() -> None:
    control = _control(ask_contractor=True)
    question = control.questions[0]
    assert question.requires_evidence  # the contractor's signed statement is the evidence
    item = QuestionItem(1, control, question)
    ja = guidance_text(item, Language.JA)
    assert "【委託事業者に確認のうえ回答】" in ja and "署名入りの回答書" in ja and "【証跡が必要】" in ja
    assert "Ask the contractor" in guidance_text(item, Language.EN)


def test_an_ordinary_question_does_not_send_the_owner_to_the_contractor() -> None:
    control = _control(ask_contractor=False)
    item = QuestionItem(1, control, control.questions[0])
    assert not control.questions[0].requires_evidence
    assert "委託事業者" not in guidance_text(item, Language.JA)
