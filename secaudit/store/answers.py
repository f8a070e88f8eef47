"""Questionnaires sent out, answer sets received, and versioned answers.

A re-import never overwrites: it adds a new answer set, and the latest answer
per (service, control, question) is the one in force; history is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.engine import Connection

from secaudit import clock
from secaudit.model import ORGANISATION_ID, Answer, AnswerSource
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import in_force, metadata

questionnaires = Table(
    "questionnaires",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("service_id", String(63), nullable=False, index=True),
    Column("exported_at", String(40), nullable=False),
    Column("exported_by", String(200), nullable=False),
    Column("language", String(4), nullable=False),
    Column("catalog_version", String(64), nullable=False),
    Column("due", String(10)),
    Column("file_name", String(500)),
    Column("questions", Text, nullable=False),  # JSON: {"CTRL/q": fingerprint}
)

answer_sets = Table(
    "answer_sets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("service_id", String(63), nullable=False, index=True),
    Column("questionnaire_id", String(64), ForeignKey("questionnaires.id")),
    Column("source", String(20), nullable=False),
    Column("source_ref", String(500)),
    Column("sha256", String(64)),
    Column("archive_path", String(1000)),
    Column("submitted_by", String(200), nullable=False),
    Column("received_at", String(40), nullable=False),
    Column("partial", Boolean, nullable=False, default=False),
    Column("answer_count", Integer, nullable=False),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("answer_set_id", String(64), ForeignKey("answer_sets.id"), nullable=False),
    Column("service_id", String(63), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("question_id", String(32), nullable=False),
    Column("value", Text, nullable=False),  # JSON, with dates as {"date": "YYYY-MM-DD"}
    Column("evidence", Text),
    Column("comment", Text),
    Column("answered_by", String(200), nullable=False),
    Column("answered_at", String(40), nullable=False),
    Index("ix_answers_latest", "service_id", "control_id", "question_id", "id"),
)


@dataclass
class AnswerSet:
    """One submission of answers: a workbook import, a terminal session or an answers file."""

    service_id: str
    source: AnswerSource
    submitted_by: str
    questionnaire_id: str | None = None
    source_ref: str | None = None
    sha256: str | None = None
    archive_path: str | None = None
    partial: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    received_at: dt.datetime = field(default_factory=clock.now)


def _encode(value: Any) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return json.dumps({"date": value.isoformat()})
    return json.dumps(value, ensure_ascii=False)


def encode_value(value: Any) -> str:
    """An answer value as stored (JSON; dates as ``{"date": "YYYY-MM-DD"}``)."""
    return _encode(value)


def decode_value(text: str) -> Any:
    """The answer value ``encode_value`` stored."""
    return _decode(text)


def _decode(text: str) -> Any:
    value = json.loads(text)
    if isinstance(value, dict) and set(value) == {"date"}:
        return dt.date.fromisoformat(value["date"])
    return value


def record_questionnaire(
    store: Store,
    questionnaire_id: str,
    service_id: str,
    exported_by: str,
    language: str,
    catalog_version: str,
    questions: dict[str, str],
    due: dt.date | None = None,
    file_name: str | None = None,
) -> None:
    """Remember an exported questionnaire so its workbook can be matched on import."""
    with store.write() as conn:
        conn.execute(
            questionnaires.insert().values(
                id=questionnaire_id,
                service_id=service_id,
                exported_at=clock.now().isoformat(),
                exported_by=exported_by,
                language=language,
                catalog_version=catalog_version,
                due=due.isoformat() if due else None,
                file_name=file_name,
                questions=json.dumps(questions, sort_keys=True),
            )
        )
        audit_log.append(
            conn,
            exported_by,
            "questionnaire.export",
            service_id,
            {"questionnaire": questionnaire_id, "questions": len(questions), "file": file_name},
        )


def get_questionnaire(store: Store, questionnaire_id: str) -> dict[str, Any] | None:
    """An exported questionnaire's record, or None."""
    with store.read() as conn:
        row = conn.execute(select(questionnaires).where(questionnaires.c.id == questionnaire_id)).mappings().first()
    if row is None:
        return None
    data = dict(row)
    data["questions"] = json.loads(data["questions"])
    return data


def save_answer_set(store: Store, answer_set: AnswerSet, items: list[Answer]) -> str:
    """Store a submission and all its answers in one transaction, and log it."""
    with store.write() as conn:
        insert_answer_set(conn, answer_set, items)
    return answer_set.id


def insert_answer_set(conn: Connection, answer_set: AnswerSet, items: list[Answer]) -> None:
    """Insert a submission, its answers and the audit-log entry inside the caller's write transaction."""
    conn.execute(
        answer_sets.insert().values(
            id=answer_set.id,
            service_id=answer_set.service_id,
            questionnaire_id=answer_set.questionnaire_id,
            source=answer_set.source.value,
            source_ref=answer_set.source_ref,
            sha256=answer_set.sha256,
            archive_path=answer_set.archive_path,
            submitted_by=answer_set.submitted_by,
            received_at=answer_set.received_at.isoformat(),
            partial=answer_set.partial,
            answer_count=len(items),
        )
    )
    if items:
        conn.execute(
            answers.insert(),
            [
                {
                    "answer_set_id": answer_set.id,
                    "service_id": a.service_id,
                    "control_id": a.control_id,
                    "question_id": a.question_id,
                    "value": _encode(a.value),
                    "evidence": a.evidence,
                    "comment": a.comment,
                    "answered_by": a.answered_by,
                    "answered_at": a.answered_at.isoformat(),
                }
                for a in items
            ],
        )
    audit_log.append(
        conn,
        answer_set.submitted_by,
        "answers.import",
        answer_set.service_id,
        {
            "answer_set": answer_set.id,
            "source": answer_set.source.value,
            "ref": answer_set.source_ref,
            "sha256": answer_set.sha256,
            "answers": len(items),
            "partial": answer_set.partial,
        },
    )


def latest_answers(store: Store, service_id: str) -> dict[tuple[str, str], Answer]:
    """The answer in force for each (control, question) of a service."""
    return latest_answers_of(store, [service_id]).get(service_id, {})


def latest_answers_of(store: Store, service_ids: Sequence[str]) -> dict[str, dict[tuple[str, str], Answer]]:
    """The answers in force of several services at once, by service (services without answers left out)."""
    query = select(answers, answer_sets.c.source, answer_sets.c.source_ref, answer_sets.c.questionnaire_id).join(
        answer_sets, answer_sets.c.id == answers.c.answer_set_id
    )
    return in_force(store, answers, service_ids, ["control_id", "question_id"], _answer, query)


def inherit(
    own: Mapping[tuple[str, str], Answer],
    organisation: Mapping[tuple[str, str], Answer],
    organisation_controls: Collection[str],
) -> dict[tuple[str, str], Answer]:
    """The inheritance rule: a service's answers in force are the organisation's answers to the city-wide
    controls, overridden per (control, question) by the service's own answer where it has one.

    An inherited answer keeps the organisation as its ``service_id`` (``Answer.from_organisation``), so the
    evidence trail and the report can say where it came from.
    """
    found = {key: answer for key, answer in organisation.items() if key[0] in organisation_controls}
    found.update(own)
    return found


def answers_in_force_of(
    store: Store, service_ids: Sequence[str], organisation_controls: Collection[str]
) -> dict[str, dict[tuple[str, str], Answer]]:
    """The answers several services are assessed on, by service: their own, and the city-wide ones they inherit
    (``inherit``). Every service asked for has an entry."""
    found = latest_answers_of(store, [*service_ids, ORGANISATION_ID])
    city = found.get(ORGANISATION_ID, {})
    return {sid: inherit(found.get(sid, {}), city, organisation_controls) for sid in service_ids}


def answers_in_force(
    store: Store, service_id: str, organisation_controls: Collection[str]
) -> dict[tuple[str, str], Answer]:
    """The answers one service is assessed on: its own, and the city-wide ones it inherits."""
    return answers_in_force_of(store, [service_id], organisation_controls)[service_id]


def answer_history(store: Store, service_id: str, control_id: str, question_id: str) -> list[Answer]:
    """Every answer ever given to one question, oldest first."""
    query = (
        select(answers, answer_sets.c.source, answer_sets.c.source_ref, answer_sets.c.questionnaire_id)
        .join(answer_sets, answer_sets.c.id == answers.c.answer_set_id)
        .where(
            answers.c.service_id == service_id, answers.c.control_id == control_id, answers.c.question_id == question_id
        )
        .order_by(answers.c.id)
    )
    with store.read() as conn:
        return [_answer(r) for r in conn.execute(query).mappings()]


def answer_sets_of(store: Store, service_id: str) -> list[dict[str, Any]]:
    """The submissions received for a service, newest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(answer_sets).where(answer_sets.c.service_id == service_id).order_by(answer_sets.c.received_at.desc())
        ).mappings()
        return [dict(r) for r in rows]


def _answer(row: Any) -> Answer:
    return Answer(
        service_id=row["service_id"],
        control_id=row["control_id"],
        question_id=row["question_id"],
        value=_decode(row["value"]),
        evidence=row["evidence"],
        comment=row["comment"],
        answered_by=row["answered_by"],
        answered_at=dt.datetime.fromisoformat(row["answered_at"]),
        source=AnswerSource(row["source"]),
        source_ref=row["source_ref"],
        questionnaire_id=row["questionnaire_id"],
    )


def questionnaires_of(store: Store, service_id: str) -> list[dict[str, Any]]:
    """The questionnaires exported for a service, newest first (without the question table)."""
    query = (
        select(
            questionnaires.c.id,
            questionnaires.c.exported_at,
            questionnaires.c.exported_by,
            questionnaires.c.language,
            questionnaires.c.catalog_version,
            questionnaires.c.due,
            questionnaires.c.file_name,
        )
        .where(questionnaires.c.service_id == service_id)
        .order_by(questionnaires.c.exported_at.desc())
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def questionnaire_dues(store: Store) -> dict[str, dt.date | None]:
    """By service, the due date of its newest exported questionnaire (None when that one has none)."""
    query = select(questionnaires.c.service_id, questionnaires.c.due).order_by(
        questionnaires.c.exported_at, questionnaires.c.id
    )
    with store.read() as conn:
        return {service_id: _date(due) for service_id, due in conn.execute(query)}


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def store_counts(store: Store) -> dict[str, int]:
    """How many questionnaires, answer sets and answers the store holds (to show nothing changed)."""
    with store.read() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in (questionnaires, answer_sets, answers)
        }
