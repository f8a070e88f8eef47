"""The rules every submission passes, whether it comes from a workbook, a prompt or a file.

* the value fits its question (choices, number, date, text length);
* evidence: a question that ``requires_evidence`` needs an evidence reference
  whenever its answer is judged compliant or partial (a non-compliant or
  not-applicable answer needs none);
* a follow-up may be answered only when the answer it depends on is one of
  its ``answer_in`` values (for a multi-choice parent: one of them chosen);
* a required question must be answered; a follow-up is required only when its
  condition is met.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from secaudit.errors import Problem
from secaudit.evidence_files import references
from secaudit.model import Answer, AnswerSource, Verdict
from secaudit.questionnaire.items import AnswerKey, QuestionItem
from secaudit.questionnaire.messages import field_name, say
from secaudit.questionnaire.values import (
    MAX_COMMENT,
    MAX_EVIDENCE,
    ValueProblem,
    is_blank,
    parse_note,
    parse_value,
)

FIELDS = ("answer", "evidence", "comment")
Locate = Callable[[AnswerKey, str], str]
"""Where a field of an answer is: ``locate(key, "answer")`` -> ``file: sheet 'Answers', row 5, column G``."""


@dataclass(frozen=True)
class RawAnswer:
    """What was written for one question, before validation."""

    key: AnswerKey
    value: object
    evidence: object = None
    comment: object = None


@dataclass(frozen=True)
class ValidAnswer:
    """An answer that passed every rule."""

    item: QuestionItem
    value: object
    evidence: str | None
    comment: str | None
    verdict: Verdict

    def answer(
        self,
        service_id: str,
        answered_by: str,
        answered_at: dt.datetime,
        source: AnswerSource,
        source_ref: str,
        questionnaire_id: str | None = None,
    ) -> Answer:
        """The stored form of this answer: who gave it, when and through which file."""
        return Answer(
            service_id=service_id,
            control_id=self.item.control.id,
            question_id=self.item.question.id,
            value=self.value,
            evidence=self.evidence,
            comment=self.comment,
            answered_by=answered_by[:200],
            answered_at=answered_at,
            source=source,
            source_ref=source_ref[:500],
            questionnaire_id=questionnaire_id,
        )


@dataclass
class Validation:
    """The outcome: answers that passed, problems with the others, required answers still missing."""

    accepted: dict[AnswerKey, ValidAnswer] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)
    rejected: set[AnswerKey] = field(default_factory=set)

    @property
    def problems(self) -> list[Problem]:
        """Errors first, then missing required answers."""
        return self.errors + self.missing


def condition_met(item: QuestionItem, parent_value: object) -> bool:
    """Whether a follow-up's condition holds for its parent's answer."""
    dep = item.question.depends_on
    if dep is None:
        return True
    if parent_value is None:
        return False
    if isinstance(parent_value, list):
        return bool(set(map(str, parent_value)) & set(dep.answer_in))
    return str(parent_value) in dep.answer_in


def validate_one(
    item: QuestionItem,
    raw: RawAnswer,
    lang: str,
    today: dt.date,
    locate: Locate,
    known_files: Collection[str] = (),
) -> ValidAnswer | list[Problem]:
    """Check one answer on its own (value, evidence, lengths, the evidence files it names); the answer or its
    problems. ``known_files`` are the ids of the service's uploaded evidence files."""
    problems: list[Problem] = []
    value: object = None
    if is_blank(raw.value):
        if not (is_blank(raw.evidence) and is_blank(raw.comment)):
            problems.append(Problem(locate(raw.key, "answer"), say("note_without_answer", lang)))
        return problems
    try:
        value = parse_value(item.question, raw.value, lang, today)
    except ValueProblem as exc:
        problems.append(Problem(locate(raw.key, "answer"), str(exc)))
    notes: dict[str, str | None] = {}
    for name, text, limit in (("evidence", raw.evidence, MAX_EVIDENCE), ("comment", raw.comment, MAX_COMMENT)):
        try:
            notes[name] = parse_note(text, limit, lang)
        except ValueProblem as exc:
            problems.append(
                Problem(locate(raw.key, name), say("note_problem", lang, field=field_name(name, lang), problem=exc))
            )
    unknown = [ref for ref in references(notes.get("evidence")) if ref not in known_files]
    if unknown:
        problems.append(
            Problem(locate(raw.key, "evidence"), say("unknown_evidence_file", lang, ids=", ".join(unknown)))
        )
    if problems:
        return problems
    verdict = item.question.judge(value, today)
    if item.question.requires_evidence and verdict in (Verdict.COMPLIANT, Verdict.PARTIAL) and not notes["evidence"]:
        return [Problem(locate(raw.key, "evidence"), say("needs_evidence", lang, ref=item.ref))]
    if verdict is Verdict.NOT_APPLICABLE and not notes["comment"]:
        # "does not apply" is a claim like any other: its reason is kept as evidence and shown in the SoA
        return [Problem(locate(raw.key, "comment"), say("needs_na_reason", lang, ref=item.ref))]
    return ValidAnswer(item, value, notes["evidence"], notes["comment"], verdict)


def validate_submission(
    items: Iterable[QuestionItem],
    raws: Iterable[RawAnswer],
    lang: str,
    today: dt.date,
    locate: Locate,
    in_force: Mapping[AnswerKey, object] | None = None,
    rejected: set[AnswerKey] | None = None,
    known_files: Collection[str] = (),
) -> Validation:
    """Apply every rule to a submission.

    ``in_force`` holds earlier answers a follow-up may rely on; ``rejected`` names
    questions the caller already refused (their follow-ups are refused too);
    ``known_files`` are the ids of the service's uploaded evidence files.
    """
    ordered = list(items)
    by_key = {item.key: item for item in ordered}
    raw_by_key: dict[AnswerKey, RawAnswer] = {}
    result = Validation(rejected=set(rejected or ()))
    for given in raws:
        if given.key not in by_key:
            result.errors.append(
                Problem(locate(given.key, "answer"), say("not_in_questionnaire", lang, ref="/".join(given.key)))
            )
            continue
        raw_by_key[given.key] = given
    earlier = in_force or {}
    for item in ordered:  # parents come before their follow-ups
        if item.key in result.rejected:
            continue
        raw = raw_by_key.get(item.key)
        parent = item.parent
        parent_value: object = None
        parent_broken = False
        if parent is not None:
            if parent.key in result.accepted:
                parent_value = result.accepted[parent.key].value
            elif parent.key in result.rejected:
                parent_broken = True
            else:
                parent_value = earlier.get(parent.key)
        answered = raw is not None and not is_blank(raw.value)
        if raw is not None and (answered or not (is_blank(raw.evidence) and is_blank(raw.comment))):
            outcome = validate_one(item, raw, lang, today, locate, known_files)
            if isinstance(outcome, list):
                result.errors.extend(outcome)
                result.rejected.add(item.key)
                continue
            if parent is not None and parent_broken:
                result.errors.append(
                    Problem(locate(item.key, "answer"), say("parent_broken", lang, number=parent.number))
                )
                result.rejected.add(item.key)
                continue
            if parent is not None and not condition_met(item, parent_value):
                labels = " / ".join(parent.label_of(v, lang) for v in item.question.depends_on.answer_in)  # type: ignore[union-attr]
                message = say("condition_unmet", lang, number=parent.number, ref=parent.ref, labels=labels)
                result.errors.append(Problem(locate(item.key, "answer"), message))
                result.rejected.add(item.key)
                continue
            result.accepted[item.key] = outcome
            continue
        if not item.question.required or item.key in earlier or parent_broken:
            continue
        if parent is not None and not condition_met(item, parent_value):
            continue
        result.missing.append(Problem(locate(item.key, "answer"), say("required_missing", lang, ref=item.ref)))
    return result
