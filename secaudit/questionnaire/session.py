"""An owner's answering session: what to ask next, checking and saving each answer as it is given.

The terminal questionnaire and the owners' portal both answer through it, so an answer given
in either is checked by the same rules as a workbook's; the prompts and pages live in the
interfaces; this module decides and remembers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from secaudit import clock
from secaudit.catalog import Catalog
from secaudit.errors import Problem
from secaudit.model import Answer, AnswerSource, QuestionType, Service
from secaudit.questionnaire.items import AnswerKey, QuestionItem, question_items
from secaudit.questionnaire.validation import RawAnswer, ValidAnswer, condition_met, validate_one, validate_submission
from secaudit.questionnaire.values import MULTI_SEPARATOR, ValueProblem, parse_value
from secaudit.store import Store
from secaudit.store.answers import AnswerSet, latest_answers
from secaudit.store.drafts import Draft, commit_drafts, drafts_of, save_draft
from secaudit.store.evidence import evidence_file_ids

_INDEXES = re.compile(r"^\s*\d+(\s*[,;；\s]\s*\d+)*\s*$")


@dataclass(frozen=True)
class SessionResult:
    """What finishing a session stored and what is still missing."""

    answer_set_id: str | None
    stored: int
    missing: list[Problem]


class AnswerSession:
    """One owner answering one service's questions, resumable at any point, at the terminal or on the portal."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        service: Service,
        answered_by: str,
        lang: str,
        today: dt.date,
        source: AnswerSource = AnswerSource.TERMINAL,
        source_ref: str = "terminal",
    ) -> None:
        self.store = store
        self.source = source
        self.source_ref = source_ref
        self.service = service
        self.answered_by = answered_by
        self.lang = lang
        self.today = today
        self.items = question_items(catalog, service)
        self.in_force = latest_answers(store, service.id)
        self.drafts: dict[AnswerKey, Draft] = drafts_of(store, service.id)
        self.known_files = evidence_file_ids(store, service.id)

    @property
    def resumed(self) -> int:
        """How many questions an earlier, unfinished session already dealt with."""
        return len(self.drafts)

    def value_of(self, key: AnswerKey) -> object:
        """The answer this session would leave in force for ``key`` (draft first, then the store)."""
        draft = self.drafts.get(key)
        if draft is not None and not draft.skipped:
            return draft.value
        answer = self.in_force.get(key)
        return answer.value if answer is not None else None

    def pending(self) -> Iterator[QuestionItem]:
        """The questions still to ask, in order; a follow-up only when its condition holds by then."""
        for item in self.items:
            if item.key in self.drafts:
                continue
            if item.parent is not None and not condition_met(item, self.value_of(item.parent.key)):
                continue
            yield item

    def interpret(self, item: QuestionItem, text: str) -> str:
        """Turn choice numbers typed at a prompt (``2`` or ``1,3``) into labels; other text passes unchanged."""
        choices = item.question.allowed_choices()
        if not choices or not _INDEXES.match(text):
            return text
        picked = [int(n) for n in re.split(r"[,;；\s]+", text.strip()) if n]
        if any(n < 1 or n > len(choices) for n in picked):
            return text
        if item.question.type is not QuestionType.MULTI_CHOICE and len(picked) != 1:
            return text
        return MULTI_SEPARATOR.join(choices[n - 1].label.get(self.lang) for n in picked)

    def value_problem(self, item: QuestionItem, value: str) -> str | None:
        """Why ``value`` does not fit the question (checked before asking for evidence), or None."""
        try:
            parse_value(item.question, self.interpret(item, value), self.lang, self.today)
        except ValueProblem as exc:
            return str(exc)
        return None

    def check(
        self, item: QuestionItem, value: str, evidence: str | None, comment: str | None, new_files: tuple[str, ...] = ()
    ) -> ValidAnswer | list[Problem]:
        """Check one answer with the import rules without saving it; ``new_files`` are evidence files about to be
        registered with it."""
        raw = RawAnswer(item.key, self.interpret(item, value), evidence, comment)
        return validate_one(
            item,
            raw,
            self.lang,
            self.today,
            lambda key, name: f"No. {item.number} {name}",
            self.known_files | set(new_files),
        )

    def answer(self, item: QuestionItem, value: str, evidence: str | None, comment: str | None) -> list[Problem]:
        """Check one answer with the import rules; save it as a draft when it passes, else return problems."""
        outcome = self.check(item, value, evidence, comment)
        if isinstance(outcome, list):
            return outcome
        save_draft(
            self.store,
            self.service.id,
            item.control.id,
            item.question.id,
            self.answered_by,
            outcome.value,
            outcome.evidence,
            outcome.comment,
        )
        self.drafts = drafts_of(self.store, self.service.id)
        return []

    def skip(self, item: QuestionItem) -> None:
        """Pass over a question (an answer already in force stays in force)."""
        save_draft(self.store, self.service.id, item.control.id, item.question.id, self.answered_by)
        self.drafts = drafts_of(self.store, self.service.id)

    def finish(self, actor: str) -> SessionResult:
        """Store the session's answers as one answer set, clear the drafts, report required answers missing."""
        by_key = {item.key: item for item in self.items}
        # A draft for a question that no longer applies (the catalog or service changed meanwhile) is dropped.
        given = [d for d in self.drafts.values() if not d.skipped and (d.control_id, d.question_id) in by_key]
        now = clock.now()
        answers = [
            Answer(
                service_id=self.service.id,
                control_id=d.control_id,
                question_id=d.question_id,
                value=d.value,
                evidence=d.evidence,
                comment=d.comment,
                answered_by=d.answered_by,
                answered_at=d.answered_at,
                source=self.source,
                source_ref=self.source_ref,
            )
            for d in given
        ]
        values = {key: answer.value for key, answer in self.in_force.items()}
        values.update({(d.control_id, d.question_id): d.value for d in given})
        check = validate_submission(
            self.items,
            [],
            self.lang,
            self.today,
            lambda key, name: f"No. {by_key[key].number} ({'/'.join(key)})",
            in_force=values,
        )
        answer_set = AnswerSet(
            service_id=self.service.id,
            source=self.source,
            submitted_by=actor,
            source_ref=self.source_ref,
            partial=bool(check.missing),
            received_at=now,
        )
        set_id = commit_drafts(self.store, answer_set, answers)
        self.drafts = {}
        return SessionResult(set_id if answers else None, len(answers), check.missing)
