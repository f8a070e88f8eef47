"""Records of uploaded evidence files: which service and question, who, when, and until when each is valid.

The files themselves are kept by content in the workspace's private folder
(``secaudit.evidence_files.EvidenceFolder``); an answer refers to a file by its id,
written ``[ev-…]`` in the answer's evidence text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, select

from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata

evidence_files = Table(
    "evidence_files",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("service_id", String(63), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("question_id", String(32), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("media_type", String(120), nullable=False),
    Column("size", Integer, nullable=False),
    Column("owner", String(254), nullable=False),
    Column("uploaded_by", String(254), nullable=False),
    Column("uploaded_at", String(40), nullable=False),
    Column("valid_until", String(10)),
    Index("ix_evidence_files_service", "service_id", "control_id", "question_id"),
)


@dataclass(frozen=True)
class EvidenceRecord:
    """One uploaded evidence file of one question of one service."""

    id: str
    service_id: str
    control_id: str
    question_id: str
    sha256: str
    name: str
    media_type: str
    size: int
    owner: str
    uploaded_by: str
    uploaded_at: dt.datetime
    valid_until: dt.date | None

    def expired(self, today: dt.date) -> bool:
        """Past its last valid day."""
        return self.valid_until is not None and self.valid_until < today


def _record(row: Any) -> EvidenceRecord:
    return EvidenceRecord(
        id=row["id"],
        service_id=row["service_id"],
        control_id=row["control_id"],
        question_id=row["question_id"],
        sha256=row["sha256"],
        name=row["name"],
        media_type=row["media_type"],
        size=row["size"],
        owner=row["owner"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=dt.datetime.fromisoformat(row["uploaded_at"]),
        valid_until=dt.date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
    )


def add_evidence_file(store: Store, record: EvidenceRecord) -> None:
    """Record an uploaded file and log it."""
    with store.write() as conn:
        conn.execute(
            evidence_files.insert().values(
                id=record.id,
                service_id=record.service_id,
                control_id=record.control_id,
                question_id=record.question_id,
                sha256=record.sha256,
                name=record.name,
                media_type=record.media_type,
                size=record.size,
                owner=record.owner,
                uploaded_by=record.uploaded_by,
                uploaded_at=record.uploaded_at.isoformat(),
                valid_until=record.valid_until.isoformat() if record.valid_until else None,
            )
        )
        audit_log.append(
            conn,
            record.uploaded_by,
            "evidence.upload",
            record.service_id,
            {
                "id": record.id,
                "question": f"{record.control_id}/{record.question_id}",
                "name": record.name,
                "sha256": record.sha256,
                "size": record.size,
                "valid_until": record.valid_until.isoformat() if record.valid_until else None,
            },
        )


def evidence_file(store: Store, file_id: str) -> EvidenceRecord | None:
    """One record by id, or None."""
    with store.read() as conn:
        row = conn.execute(select(evidence_files).where(evidence_files.c.id == file_id)).mappings().first()
    return None if row is None else _record(row)


def evidence_files_of(store: Store, service_ids: Sequence[str]) -> dict[str, dict[str, EvidenceRecord]]:
    """The evidence files of several services, by service then id."""
    found: dict[str, dict[str, EvidenceRecord]] = {}
    with store.read() as conn:
        rows = conn.execute(
            select(evidence_files)
            .where(evidence_files.c.service_id.in_(list(service_ids)))
            .order_by(evidence_files.c.uploaded_at)
        ).mappings()
        for row in rows:
            record = _record(row)
            found.setdefault(record.service_id, {})[record.id] = record
    return found


def evidence_file_ids(store: Store, service_id: str) -> set[str]:
    """The ids of a service's uploaded evidence files (what its answers may refer to)."""
    with store.read() as conn:
        rows = conn.execute(select(evidence_files.c.id).where(evidence_files.c.service_id == service_id))
        return {row[0] for row in rows}
