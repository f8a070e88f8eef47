"""Auditor reviews: an officer's confirmation or override of a control's result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, select

from secaudit.model import ResultStatus
from secaudit.model.result import Review
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import in_force, metadata

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(63), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("result", String(20), nullable=False),
    Column("note", Text, nullable=False),
    Column("reviewer", String(200), nullable=False),
    Column("at", String(40), nullable=False),
    Column("basis", String(64), nullable=False),
    Column("self_assessed", String(20)),
    Index("ix_reviews_latest", "service_id", "control_id", "id"),
)


def save_review(store: Store, service_id: str, review: Review, self_assessed: ResultStatus | None = None) -> None:
    """Record a review (history kept: the newest per control is in force) and log it."""
    with store.write() as conn:
        conn.execute(
            reviews.insert().values(
                service_id=service_id,
                control_id=review.control_id,
                result=review.result.value,
                note=review.note,
                reviewer=review.reviewer,
                at=review.at.isoformat(),
                basis=review.basis,
                self_assessed=self_assessed.value if self_assessed else None,
            )
        )
        audit_log.append(
            conn,
            review.reviewer,
            "assess.review",
            service_id,
            {
                "control": review.control_id,
                "result": review.result.value,
                "self_assessed": self_assessed.value if self_assessed else None,
                "note": review.note,
                "basis": review.basis,
            },
        )


def latest_reviews(store: Store, service_id: str) -> dict[str, Review]:
    """The review in force for each control of a service."""
    return latest_reviews_of(store, [service_id]).get(service_id, {})


def latest_reviews_of(store: Store, service_ids: Sequence[str]) -> dict[str, dict[str, Review]]:
    """The reviews in force of several services at once, by service."""
    return in_force(store, reviews, service_ids, ["control_id"], _review)


def review_history(store: Store, service_id: str, control_id: str) -> list[Review]:
    """Every review of one control, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(reviews)
            .where(reviews.c.service_id == service_id, reviews.c.control_id == control_id)
            .order_by(reviews.c.id)
        ).mappings()
        return [_review(r) for r in rows]


def _review(row: Any) -> Review:
    return Review(
        control_id=row["control_id"],
        result=ResultStatus(row["result"]),
        note=row["note"],
        reviewer=row["reviewer"],
        at=dt.datetime.fromisoformat(row["at"]),
        basis=row["basis"],
    )
