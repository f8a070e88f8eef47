"""Answers given in a terminal questionnaire that is not finished yet.

Each answer is saved as soon as it is given, so an owner who stops (or whose
session breaks) resumes where they left off. Finishing moves the drafts into
one answer set and clears them in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table, Text, delete, select

from secaudit import clock
from secaudit.model import Answer
from secaudit.store.answers import AnswerSet, decode_value, encode_value, insert_answer_set
from secaudit.store.db import Store
from secaudit.store.schema import metadata

answer_drafts = Table(
    "answer_drafts",
    metadata,
    Column("service_id", String(63), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("question_id", String(32), nullable=False),
    Column("value", Text),  # JSON like answers.value; NULL when the question was skipped
    Column("evidence", Text),
    Column("comment", Text),
    Column("answered_by", String(200), nullable=False),
    Column("answered_at", String(40), nullable=False),
    PrimaryKeyConstraint("service_id", "control_id", "question_id"),
)


@dataclass(frozen=True)
class Draft:
    """One answer (or skip) given in an unfinished terminal session."""

    control_id: str
    question_id: str
    value: Any
    evidence: str | None
    comment: str | None
    answered_by: str
    answered_at: dt.datetime

    @property
    def skipped(self) -> bool:
        """True when the owner passed over the question."""
        return self.value is None


def save_draft(
    store: Store,
    service_id: str,
    control_id: str,
    question_id: str,
    answered_by: str,
    value: Any = None,
    evidence: str | None = None,
    comment: str | None = None,
) -> None:
    """Remember one answer (``value`` None: skipped) of an unfinished session, replacing an earlier one."""
    row = {
        "service_id": service_id,
        "control_id": control_id,
        "question_id": question_id,
        "value": None if value is None else encode_value(value),
        "evidence": evidence,
        "comment": comment,
        "answered_by": answered_by,
        "answered_at": clock.now().isoformat(),
    }
    key = (
        answer_drafts.c.service_id == service_id,
        answer_drafts.c.control_id == control_id,
        answer_drafts.c.question_id == question_id,
    )
    with store.write() as conn:
        conn.execute(delete(answer_drafts).where(*key))
        conn.execute(answer_drafts.insert().values(**row))


def drafts_of(store: Store, service_id: str) -> dict[tuple[str, str], Draft]:
    """The unfinished session's answers for a service, by (control, question)."""
    with store.read() as conn:
        rows = conn.execute(select(answer_drafts).where(answer_drafts.c.service_id == service_id)).mappings()
        return {
            (r["control_id"], r["question_id"]): Draft(
                r["control_id"],
                r["question_id"],
                None if r["value"] is None else decode_value(r["value"]),
                r["evidence"],
                r["comment"],
                r["answered_by"],
                dt.datetime.fromisoformat(r["answered_at"]),
            )
            for r in rows
        }


def commit_drafts(store: Store, answer_set: AnswerSet, items: list[Answer]) -> str:
    """Store the session's answers as one answer set and clear its drafts, all or nothing."""
    with store.write() as conn:
        if items:
            insert_answer_set(conn, answer_set, items)
        conn.execute(delete(answer_drafts).where(answer_drafts.c.service_id == answer_set.service_id))
    return answer_set.id
