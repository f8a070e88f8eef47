"""The append-only, hash-chained audit log.

Each row stores the hash of the previous row, and its own hash covers its
sequence number, content and that link, so an edited, deleted, inserted or
reordered row breaks the chain at a place ``verify_log`` can name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from secaudit import clock
from secaudit.errors import Problem
from secaudit.store.db import Store
from secaudit.store.schema import audit_log

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogEntry:
    """One row of the audit log."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


def _row_hash(seq: int, at: str, actor: str, action: str, subject: str, details: str, prev_hash: str) -> str:
    payload = json.dumps([seq, at, actor, action, subject, details, prev_hash], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


CHAIN_LOCK = 0x5EC0A0D17
"""PostgreSQL advisory lock held while a row is chained: writers on several machines append one at a time
(SQLite's immediate transactions already do this for one file)."""


def serialise(conn: Connection) -> None:
    """Wait for the audit log's lock inside the caller's transaction (PostgreSQL; SQLite writers are serial)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")


def append(conn: Connection, actor: str, action: str, subject: str, details: dict[str, Any] | None = None) -> int:
    """Add a row inside the caller's write transaction; return its sequence number."""
    serialise(conn)
    last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    at = clock.now().isoformat()
    body = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
    digest = _row_hash(seq, at, actor, action, subject, body, prev)
    conn.execute(
        audit_log.insert().values(
            seq=seq, at=at, actor=actor, action=action, subject=subject, details=body, prev_hash=prev, hash=digest
        )
    )
    return seq


def append_many(conn: Connection, rows: list[tuple[str, str, str, dict[str, Any]]]) -> list[int]:
    """Add (actor, action, subject, details) rows in order inside the caller's write transaction, in one insert."""
    if not rows:
        return []
    serialise(conn)
    last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    seq = last.seq if last else 0
    prev = last.hash if last else GENESIS
    values: list[dict[str, Any]] = []
    first = seq + 1
    for actor, action, subject, details in rows:
        seq += 1
        at = clock.now().isoformat()
        body = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
        digest = _row_hash(seq, at, actor, action, subject, body, prev)
        values.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": body,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    conn.execute(audit_log.insert(), values)
    return list(range(first, seq + 1))


def record(store: Store, actor: str, action: str, subject: str, details: dict[str, Any] | None = None) -> int:
    """Add a row in a transaction of its own."""
    with store.write() as conn:
        return append(conn, actor, action, subject, details)


def entries(
    store: Store, subject: str | None = None, limit: int | None = None, action: str | None = None
) -> list[LogEntry]:
    """Rows of the log, newest last, optionally for one subject and one action."""
    query = select(audit_log).order_by(audit_log.c.seq)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    with store.read() as conn:
        rows = list(conn.execute(query))
    if limit is not None:
        rows = rows[-limit:]
    return [
        LogEntry(r.seq, r.at, r.actor, r.action, r.subject, json.loads(r.details), r.prev_hash, r.hash) for r in rows
    ]


def verify_log(store: Store) -> tuple[int, list[Problem]]:
    """Walk the chain; return how many rows were checked and every break found."""
    problems: list[Problem] = []
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
        for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
            count += 1
            where = f"audit_log seq {row.seq}"
            if row.seq != expected_seq:
                missing = f"{expected_seq}" if row.seq == expected_seq + 1 else f"{expected_seq}-{row.seq - 1}"
                if row.seq > expected_seq:
                    problems.append(Problem(where, f"row(s) {missing} are missing (deleted)"))
            recomputed = _row_hash(row.seq, row.at, row.actor, row.action, row.subject, row.details, row.prev_hash)
            if recomputed != row.hash:
                problems.append(Problem(where, "content does not match its hash (the row was edited)"))
            elif row.prev_hash != expected_prev:
                problems.append(
                    Problem(where, "link to the previous row is broken (a row was deleted, inserted or reordered)")
                )
            expected_prev = row.hash
            expected_seq = row.seq + 1
    if count != total:  # one read transaction: the walk and the count see the same rows
        problems.append(Problem("audit_log", f"{total} rows counted but {count} walked"))
    return count, problems
