"""Which questions a service is asked, in what order, and how each is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secaudit.catalog import Catalog
from secaudit.model import Control, ControlScope, Language, Question, Service

AnswerKey = tuple[str, str]
"""(control id, question id)."""


@dataclass(frozen=True)
class QuestionItem:
    """One question of one applicable control, numbered as the owner sees it."""

    number: int
    control: Control
    question: Question
    parent: QuestionItem | None = None

    @property
    def key(self) -> AnswerKey:
        """(control id, question id)."""
        return (self.control.id, self.question.id)

    @property
    def ref(self) -> str:
        """``CONTROL/question`` as used in the store and in answers files."""
        return f"{self.control.id}/{self.question.id}"

    def label_of(self, value: str, lang: Language | str) -> str:
        """The label of choice ``value`` in ``lang`` (the value itself when unknown)."""
        for choice in self.question.allowed_choices():
            if choice.value == value:
                return choice.label.get(lang)
        return value

    def condition_text(self, lang: Language | str) -> str:
        """For a follow-up: when it is to be answered, e.g. ``No. 3 が「はい」の場合``."""
        if self.parent is None or self.question.depends_on is None:
            return ""
        labels = [self.parent.label_of(v, lang) for v in self.question.depends_on.answer_in]
        if str(lang) == Language.EN:
            quoted = " or ".join(f'"{label}"' for label in labels)
            return f"Answer only if No. {self.parent.number} is {quoted}"
        quoted = "または".join(f"「{label}」" for label in labels)
        return f"No. {self.parent.number} が{quoted}の場合に回答"

    def display_text(self, lang: Language | str) -> str:
        """The question as shown in a workbook or prompt, with its condition for a follow-up."""
        text = self.question.text.get(lang)
        condition = self.condition_text(lang)
        return f"[{condition}] {text}" if condition else text


def question_items(catalog: Catalog, service: Service, include_organisation: bool = False) -> list[QuestionItem]:
    """The questions ``service``'s owner answers: of the controls that apply to it, without the city-wide ones
    (the organisation answers those once) unless ``include_organisation``; follow-ups right after their parent."""
    return items_of(
        c
        for c in catalog.applicable_controls(service)
        if include_organisation or c.scope is not ControlScope.ORGANISATION
    )


def organisation_items(catalog: Catalog) -> list[QuestionItem]:
    """The questions of the organisation questionnaire: every city-wide control, answered once."""
    return items_of(catalog.organisation_controls())


def items_of(controls: Iterable[Control]) -> list[QuestionItem]:
    """The questions of ``controls``, numbered in order; follow-ups right after their parent."""
    items: list[QuestionItem] = []
    for control in controls:
        by_parent: dict[str | None, list[Question]] = {}
        for question in control.questions:
            parent_id = question.depends_on.question if question.depends_on else None
            by_parent.setdefault(parent_id, []).append(question)
        for question in by_parent.get(None, []):
            _visit(items, control, question, None, by_parent)
    return items


def _visit(
    items: list[QuestionItem],
    control: Control,
    question: Question,
    parent: QuestionItem | None,
    by_parent: dict[str | None, list[Question]],
) -> None:
    item = QuestionItem(len(items) + 1, control, question, parent)
    items.append(item)
    for child in by_parent.get(question.id, []):
        _visit(items, control, child, item, by_parent)


def fingerprints(items: list[QuestionItem]) -> dict[str, str]:
    """``{"CONTROL/question": fingerprint}`` as recorded for an exported questionnaire."""
    return {item.ref: item.question.fingerprint() for item in items}
