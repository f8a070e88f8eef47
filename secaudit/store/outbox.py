"""The notification outbox: every notification is held until it is delivered.

The run is stored first, notifications are queued in the same step, and a
delivery that fails stays pending for the next run; after a configured time
undelivered notifications are given up on, and the audit log says so.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, func, select

from secaudit import clock
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", String(40), nullable=False),
    Column("service_id", String(63)),
    Column("run_id", String(64)),
    Column("channel", String(20), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_attempt_at", String(40)),
    Column("last_error", Text),
    Column("sent_at", String(40)),
    Column("repeat_key", String(64)),
    Column("gave_up_at", String(40)),
    Index("ix_outbox_pending", "sent_at", "created_at"),
    Index("ix_outbox_repeat", "service_id", "repeat_key", "created_at"),
)


@dataclass(frozen=True)
class OutboxEntry:
    """One notification waiting to be delivered (or delivered)."""

    channel: str
    subject: str
    payload: dict[str, Any]
    service_id: str | None = None
    run_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: dt.datetime = field(default_factory=clock.now)
    attempts: int = 0
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    repeat_key: str | None = None
    """Set on news that only repeats an error: the same key soon after is not sent again."""
    gave_up_at: dt.datetime | None = None
    """Set when delivery kept failing for too long: the entry is kept, but no longer tried."""


def enqueue(store: Store, entries: list[OutboxEntry]) -> None:
    """Put notifications in the outbox (before any delivery is attempted)."""
    if not entries:
        return
    with store.write() as conn:
        conn.execute(
            notification_outbox.insert(),
            [
                {
                    "id": e.id,
                    "created_at": e.created_at.isoformat(),
                    "service_id": e.service_id,
                    "run_id": e.run_id,
                    "channel": e.channel,
                    "subject": e.subject,
                    "payload": json.dumps(e.payload, ensure_ascii=False, default=str),
                    "attempts": 0,
                    "repeat_key": e.repeat_key,
                }
                for e in entries
            ],
        )


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        id=row["id"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        service_id=row["service_id"],
        run_id=row["run_id"],
        channel=row["channel"],
        subject=row["subject"],
        payload=json.loads(row["payload"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=dt.datetime.fromisoformat(row["sent_at"]) if row["sent_at"] else None,
        repeat_key=row["repeat_key"],
        gave_up_at=dt.datetime.fromisoformat(row["gave_up_at"]) if row["gave_up_at"] else None,
    )


def last_notified(store: Store, service_id: str, repeat_key: str, since: dt.datetime) -> dt.datetime | None:
    """When news with ``repeat_key`` was last queued for a service, if that was at or after ``since``."""
    with store.read() as conn:
        found = conn.execute(
            select(func.max(notification_outbox.c.created_at)).where(
                notification_outbox.c.service_id == service_id,
                notification_outbox.c.repeat_key == repeat_key,
                notification_outbox.c.created_at >= since.astimezone(dt.UTC).isoformat(),
            )
        ).scalar_one_or_none()
    return dt.datetime.fromisoformat(found) if found else None


def pending_notifications(store: Store, limit: int = 200) -> list[OutboxEntry]:
    """Notifications not delivered yet (and not given up on), oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(notification_outbox)
            .where(notification_outbox.c.sent_at.is_(None), notification_outbox.c.gave_up_at.is_(None))
            .order_by(notification_outbox.c.created_at, notification_outbox.c.id)
            .limit(limit)
        ).mappings()
        return [_entry(r) for r in rows]


def give_up_on(store: Store, created_before: dt.datetime, now: dt.datetime, actor: str) -> list[OutboxEntry]:
    """Stop trying notifications still undelivered that were queued before ``created_before``; log each."""
    stamp = now.astimezone(dt.UTC).isoformat()
    with store.write() as conn:
        rows = conn.execute(
            select(notification_outbox).where(
                notification_outbox.c.sent_at.is_(None),
                notification_outbox.c.gave_up_at.is_(None),
                notification_outbox.c.created_at < created_before.astimezone(dt.UTC).isoformat(),
            )
        ).mappings()
        stale = [_entry(r) for r in rows]
        for entry in stale:
            conn.execute(
                notification_outbox.update().where(notification_outbox.c.id == entry.id).values(gave_up_at=stamp)
            )
            audit_log.append(
                conn,
                actor,
                "notify.gave_up",
                entry.service_id or "-",
                {
                    "notification": entry.id,
                    "channel": entry.channel,
                    "attempts": entry.attempts,
                    "error": entry.last_error,
                },
            )
    return stale


def all_notifications(store: Store) -> list[OutboxEntry]:
    """Every notification in the outbox, oldest first."""
    with store.read() as conn:
        rows = conn.execute(
            select(notification_outbox).order_by(notification_outbox.c.created_at, notification_outbox.c.id)
        ).mappings()
        return [_entry(r) for r in rows]


def mark_attempt(store: Store, entry_id: str, error: str | None, at: dt.datetime | None = None) -> None:
    """Record one delivery attempt: delivered when ``error`` is None, still pending otherwise."""
    when = (at or clock.now()).isoformat()
    with store.write() as conn:
        conn.execute(
            notification_outbox.update()
            .where(notification_outbox.c.id == entry_id)
            .values(
                attempts=notification_outbox.c.attempts + 1,
                last_attempt_at=when,
                last_error=error,
                sent_at=when if error is None else None,
            )
        )
