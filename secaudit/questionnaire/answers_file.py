"""Answers from a YAML file (``secaudit questionnaire answer SERVICE --from answers.yaml``).

Accepted shapes::

    answered_by: 山田 花子            # optional
    service: kosodate-portal         # optional; must match the service answered
    answers:                          # a list ...
      - {control: HUM-5.3-001, question: q1, value: "yes", evidence: 手順書 v2}
    answers:                          # ... or a mapping of CONTROL/question to a value or a mapping
      HUM-5.3-001/q1: "yes"
      HUM-5.3-001/q2: {value: done, evidence: 訓練記録 2026-06}

The top level may also be the list or mapping alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secaudit import clock
from secaudit.catalog import Catalog
from secaudit.errors import Problem
from secaudit.model import AnswerSource, Service
from secaudit.questionnaire import QuestionnaireError
from secaudit.questionnaire.archive import archive_original
from secaudit.questionnaire.items import AnswerKey, question_items
from secaudit.questionnaire.validation import RawAnswer, validate_submission
from secaudit.store import Store
from secaudit.store.answers import AnswerSet, latest_answers, save_answer_set
from secaudit.store.evidence import evidence_file_ids
from secaudit.yamlsource import YamlDocument, YamlSourceError, load_yaml

_ENTRY_FIELDS = {"control", "question", "value", "evidence", "comment"}
_TOP_FIELDS = {"answers", "answered_by", "service"}


@dataclass
class AnswersFile:
    """The raw answers of a file, with the line of each for error messages."""

    path: Path
    raws: list[RawAnswer] = field(default_factory=list)
    lines: dict[AnswerKey, int] = field(default_factory=dict)
    answered_by: str | None = None
    service_id: str | None = None

    def locate(self, key: AnswerKey, name: str) -> str:
        """``file:line`` of the answer for ``key``, or the file alone when it has none."""
        line = self.lines.get(key)
        return f"{self.path}:{line}" if line else str(self.path)


def load_answers_file(path: Path) -> AnswersFile:
    """Read an answers file; raise QuestionnaireError naming file:line for a malformed one."""
    try:
        doc = load_yaml(path)
    except YamlSourceError as exc:
        raise QuestionnaireError(f"cannot read answers file {path}", exc.problems) from None
    result = AnswersFile(path)
    problems: list[Problem] = []
    data = doc.data
    base: tuple[str | int, ...] = ()
    if isinstance(data, dict) and "answers" in data:
        for key in sorted(set(data) - _TOP_FIELDS):
            problems.append(
                Problem(doc.where((key,)), f"{key}: unknown field (expected {', '.join(sorted(_TOP_FIELDS))})")
            )
        for key in ("answered_by", "service"):
            if key in data and not isinstance(data[key], str):
                problems.append(Problem(doc.where((key,)), f"{key}: expected text"))
        result.answered_by = data.get("answered_by") if isinstance(data.get("answered_by"), str) else None
        result.service_id = data.get("service") if isinstance(data.get("service"), str) else None
        data, base = data["answers"], ("answers",)
    if isinstance(data, list):
        for index, entry in enumerate(data):
            _entry(doc, base + (index,), entry, result, problems)
    elif isinstance(data, dict):
        for ref, entry in data.items():
            _mapped(doc, base + (ref,), ref, entry, result, problems)
    else:
        problems.append(
            Problem(doc.where(base), "expected a list of answers or a mapping of CONTROL/question to answers")
        )
    if problems:
        raise QuestionnaireError(f"{len(problems)} problem(s) in answers file {path}; nothing stored", problems)
    return result


def _add(
    doc: YamlDocument,
    loc: tuple[str | int, ...],
    key: AnswerKey,
    fields: dict[str, Any],
    result: AnswersFile,
    problems: list[Problem],
) -> None:
    if key in result.lines:
        problems.append(
            Problem(doc.where(loc), f"{'/'.join(key)} is answered twice (first at line {result.lines[key]})")
        )
        return
    result.lines[key] = doc.line_of(loc)
    result.raws.append(RawAnswer(key, fields.get("value"), fields.get("evidence"), fields.get("comment")))


def _entry(
    doc: YamlDocument, loc: tuple[str | int, ...], entry: Any, result: AnswersFile, problems: list[Problem]
) -> None:
    if not isinstance(entry, dict):
        problems.append(Problem(doc.where(loc), "expected a mapping with control, question, value"))
        return
    unknown = sorted(set(entry) - _ENTRY_FIELDS)
    for name in unknown:
        problems.append(Problem(doc.where(loc + (name,)), f"{name}: unknown field"))
    control, question = entry.get("control"), entry.get("question")
    if not isinstance(control, str) or not isinstance(question, str):
        problems.append(Problem(doc.where(loc), "control and question are required (text)"))
        return
    if "value" not in entry:
        problems.append(Problem(doc.where(loc), f"{control}/{question}: value is required"))
        return
    _add(doc, loc, (control, question), entry, result, problems)


def _mapped(
    doc: YamlDocument, loc: tuple[str | int, ...], ref: str, entry: Any, result: AnswersFile, problems: list[Problem]
) -> None:
    control, sep, question = str(ref).partition("/")
    if not sep or not control or not question:
        problems.append(Problem(doc.where(loc), f"'{ref}': keys are CONTROL/question, e.g. HUM-5.3-001/q1"))
        return
    if isinstance(entry, dict):
        unknown = sorted(set(entry) - {"value", "evidence", "comment"})
        for name in unknown:
            problems.append(Problem(doc.where(loc + (name,)), f"{name}: unknown field"))
        if "value" not in entry:
            problems.append(Problem(doc.where(loc), f"{ref}: value is required"))
            return
        _add(doc, loc, (control, question), entry, result, problems)
    else:
        _add(doc, loc, (control, question), {"value": entry}, result, problems)


@dataclass(frozen=True)
class FileOutcome:
    """What an answers file stored, and required answers that are still missing afterwards."""

    answer_set_id: str
    stored: int
    missing: list[Problem]


def store_answers_file(
    store: Store,
    catalog: Catalog,
    service: Service,
    path: Path,
    *,
    actor: str,
    lang: str,
    today: dt.date,
    data_dir: Path,
    answered_by: str | None = None,
) -> FileOutcome:
    """Validate every answer of ``path`` (merged onto the answers in force) and store them as one answer set."""
    loaded = load_answers_file(path)
    if loaded.service_id is not None and loaded.service_id != service.id:
        raise QuestionnaireError(
            f"answers file {path} is for another service",
            [Problem(loaded.locate(("", ""), "service"), f"service: '{loaded.service_id}', not '{service.id}'")],
        )
    who = (answered_by or loaded.answered_by or "").strip()
    if not who:
        raise QuestionnaireError(
            f"answers file {path}: who answered is missing",
            [Problem(str(path), "add 'answered_by: NAME' to the file or pass --answered-by")],
        )
    items = question_items(catalog, service)
    in_force = {key: answer.value for key, answer in latest_answers(store, service.id).items()}
    given = {raw.key for raw in loaded.raws}
    earlier = {key: value for key, value in in_force.items() if key not in given}
    validation = validate_submission(
        items,
        loaded.raws,
        lang,
        today,
        loaded.locate,
        in_force=earlier,
        known_files=evidence_file_ids(store, service.id),
    )
    if validation.errors:
        raise QuestionnaireError(f"{len(validation.errors)} problem(s) in {path}; nothing stored", validation.errors)
    if not validation.accepted:
        raise QuestionnaireError(f"{path}: no answers to store", [Problem(str(path), "the file holds no answers")])
    data = path.read_bytes()
    archived = archive_original(data_dir, service.id, data, suffix=path.suffix or ".yaml")
    now = clock.now()
    answers = [a.answer(service.id, who, now, AnswerSource.FILE, path.name) for a in validation.accepted.values()]
    answer_set = AnswerSet(
        service_id=service.id,
        source=AnswerSource.FILE,
        submitted_by=actor,
        source_ref=path.name[:500],
        sha256=archived.sha256,
        archive_path=str(archived.path),
        partial=bool(validation.missing),
        received_at=now,
    )
    try:
        set_id = save_answer_set(store, answer_set, answers)
    except BaseException:
        with contextlib.suppress(OSError):
            archived.path.unlink()
        raise
    return FileOutcome(set_id, len(answers), validation.missing)
