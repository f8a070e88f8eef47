"""The owners' portal's records: invitations, accounts, sign-in sessions and failed sign-ins.

Secrets are never stored as given: an invitation's link is signed with the
workspace's key and only its id is kept here; a session cookie is kept as its
SHA-256; a password as its Argon2 hash (made by the caller).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, delete, func, select, update

from secaudit import clock
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata

portal_invitations = Table(
    "portal_invitations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("service_id", String(63), nullable=False, index=True),
    Column("email", String(254), nullable=False),
    Column("language", String(4), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
    Column("revoked_by", String(200)),
)

portal_users = Table(
    "portal_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
)

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # owner | officer | auditor
    Column("subject", String(200), nullable=False),  # the invitation id, or the account name
    Column("csrf", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)

portal_failures = Table(
    "portal_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("at", String(40), nullable=False),
    Index("ix_portal_failures_key", "key", "at"),
)

portal_returns = Table(
    "portal_returns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(63), nullable=False),
    Column("control_id", String(64), nullable=False),
    Column("question_id", String(32), nullable=False),
    Column("comment", String(2000), nullable=False),
    Column("returned_by", String(200), nullable=False),
    Column("returned_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Index("ix_portal_returns_open", "service_id", "resolved_at"),
)


@dataclass(frozen=True)
class Invitation:
    """One person's invitation to answer one service's questionnaire."""

    id: str
    service_id: str
    email: str
    language: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    def usable(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class Account:
    """An officer's or an auditor's sign-in."""

    name: str
    role: str
    password_hash: str


@dataclass(frozen=True)
class SignIn:
    """A live session: who (an invitation or an account), its CSRF secret and when it ends."""

    kind: str
    subject: str
    csrf: str
    expires_at: dt.datetime


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _invitation(row: Any) -> Invitation:
    return Invitation(
        id=row["id"],
        service_id=row["service_id"],
        email=row["email"],
        language=row["language"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        created_by=row["created_by"],
        expires_at=dt.datetime.fromisoformat(row["expires_at"]),
        revoked_at=_time(row["revoked_at"]),
    )


def add_invitation(store: Store, invitation: Invitation) -> None:
    """Record an invitation and log who sent it to whom (the link itself is never stored or logged)."""
    with store.write() as conn:
        conn.execute(
            portal_invitations.insert().values(
                id=invitation.id,
                service_id=invitation.service_id,
                email=invitation.email,
                language=invitation.language,
                created_at=invitation.created_at.isoformat(),
                created_by=invitation.created_by,
                expires_at=invitation.expires_at.isoformat(),
            )
        )
        audit_log.append(
            conn,
            invitation.created_by,
            "portal.invite",
            invitation.service_id,
            {"invitation": invitation.id, "email": invitation.email, "expires": invitation.expires_at.isoformat()},
        )


def invitation(store: Store, invitation_id: str) -> Invitation | None:
    """One invitation by id, or None."""
    with store.read() as conn:
        row = conn.execute(select(portal_invitations).where(portal_invitations.c.id == invitation_id)).mappings()
        found = row.first()
        return None if found is None else _invitation(found)


def invitations(store: Store, service_id: str | None = None) -> list[Invitation]:
    """Every invitation (of one service, when given), oldest first."""
    query = select(portal_invitations).order_by(portal_invitations.c.created_at, portal_invitations.c.id)
    if service_id is not None:
        query = query.where(portal_invitations.c.service_id == service_id)
    with store.read() as conn:
        return [_invitation(r) for r in conn.execute(query).mappings()]


def revoke_invitation(store: Store, invitation_id: str, actor: str) -> bool:
    """Revoke an invitation and end its sessions; False when it was already revoked."""
    now = clock.now().isoformat()
    with store.write() as conn:
        done = conn.execute(
            update(portal_invitations)
            .where(portal_invitations.c.id == invitation_id, portal_invitations.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=actor)
        )
        if not done.rowcount:
            return False
        conn.execute(
            delete(portal_sessions).where(portal_sessions.c.kind == "owner", portal_sessions.c.subject == invitation_id)
        )
        service = conn.execute(
            select(portal_invitations.c.service_id).where(portal_invitations.c.id == invitation_id)
        ).scalar_one()
        audit_log.append(conn, actor, "portal.revoke", service, {"invitation": invitation_id})
    return True


def add_account(store: Store, account: Account, actor: str) -> bool:
    """Create an account; False when the name is taken (nothing is changed then)."""
    with store.write() as conn:
        taken = conn.execute(select(portal_users.c.name).where(portal_users.c.name == account.name)).first()
        if taken is not None:
            return False
        conn.execute(
            portal_users.insert().values(
                name=account.name,
                role=account.role,
                password_hash=account.password_hash,
                created_at=clock.now().isoformat(),
                created_by=actor,
            )
        )
        audit_log.append(conn, actor, "portal.user.add", account.name, {"role": account.role})
    return True


def account(store: Store, name: str) -> Account | None:
    """One account by name, or None."""
    with store.read() as conn:
        row = conn.execute(select(portal_users).where(portal_users.c.name == name)).mappings().first()
        return None if row is None else Account(row["name"], row["role"], row["password_hash"])


def accounts(store: Store) -> list[Account]:
    """Every account, by name."""
    with store.read() as conn:
        rows = conn.execute(select(portal_users).order_by(portal_users.c.name)).mappings()
        return [Account(r["name"], r["role"], r["password_hash"]) for r in rows]


def rehash_password(store: Store, name: str, password_hash: str) -> None:
    """Replace a password's hash with one made under today's parameters (same password)."""
    with store.write() as conn:
        conn.execute(update(portal_users).where(portal_users.c.name == name).values(password_hash=password_hash))


def start_session(store: Store, id_hash: str, sign_in: SignIn, actor: str, details: dict[str, Any]) -> None:
    """Record a new session (by its cookie's hash) and log the sign-in."""
    with store.write() as conn:
        conn.execute(delete(portal_sessions).where(portal_sessions.c.expires_at < clock.now().isoformat()))
        conn.execute(
            portal_sessions.insert().values(
                id_hash=id_hash,
                kind=sign_in.kind,
                subject=sign_in.subject,
                csrf=sign_in.csrf,
                created_at=clock.now().isoformat(),
                expires_at=sign_in.expires_at.isoformat(),
            )
        )
        audit_log.append(conn, actor, f"portal.sign_in.{sign_in.kind}", sign_in.subject, details)


def session(store: Store, id_hash: str) -> SignIn | None:
    """The session behind a cookie's hash, or None when there is none or it has ended."""
    with store.read() as conn:
        row = conn.execute(select(portal_sessions).where(portal_sessions.c.id_hash == id_hash)).mappings().first()
    if row is None:
        return None
    found = SignIn(row["kind"], row["subject"], row["csrf"], dt.datetime.fromisoformat(row["expires_at"]))
    return found if clock.now() < found.expires_at else None


def end_session(store: Store, id_hash: str, actor: str) -> None:
    """Sign out: forget the session and log it."""
    with store.write() as conn:
        ended = conn.execute(delete(portal_sessions).where(portal_sessions.c.id_hash == id_hash))
        if ended.rowcount:
            audit_log.append(conn, actor, "portal.sign_out", actor, {})


def add_failure(store: Store, keys: tuple[str, ...], details: dict[str, Any]) -> None:
    """Remember a failed sign-in under each key (the account name, the client address) and log it."""
    now = clock.now().isoformat()
    with store.write() as conn:
        conn.execute(portal_failures.insert(), [{"key": key[:300], "at": now} for key in keys])
        audit_log.append(conn, "portal", "portal.sign_in_failed", keys[0][:300], details)


def failures_since(store: Store, key: str, since: dt.datetime) -> int:
    """How many sign-ins failed under ``key`` since ``since``."""
    with store.read() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(portal_failures)
            .where(portal_failures.c.key == key[:300], portal_failures.c.at >= since.isoformat())
        ).scalar_one()
    return int(count)


@dataclass(frozen=True)
class Returned:
    """A question an officer sent back to the owner, with why."""

    control_id: str
    question_id: str
    comment: str
    returned_by: str
    returned_at: dt.datetime


def add_return(store: Store, service_id: str, key: tuple[str, str], comment: str, actor: str) -> None:
    """Send a question back to the service's owner (replacing an open return of the same question) and log it."""
    now = clock.now().isoformat()
    where = (
        portal_returns.c.service_id == service_id,
        portal_returns.c.control_id == key[0],
        portal_returns.c.question_id == key[1],
        portal_returns.c.resolved_at.is_(None),
    )
    with store.write() as conn:
        conn.execute(update(portal_returns).where(*where).values(resolved_at=now))
        conn.execute(
            portal_returns.insert().values(
                service_id=service_id,
                control_id=key[0],
                question_id=key[1],
                comment=comment,
                returned_by=actor,
                returned_at=now,
            )
        )
        audit_log.append(conn, actor, "portal.return", service_id, {"question": "/".join(key), "comment": comment})


def open_returns(store: Store, service_id: str) -> dict[tuple[str, str], Returned]:
    """The questions sent back to a service's owner and not answered again yet."""
    query = select(portal_returns).where(
        portal_returns.c.service_id == service_id, portal_returns.c.resolved_at.is_(None)
    )
    with store.read() as conn:
        return {
            (r["control_id"], r["question_id"]): Returned(
                r["control_id"],
                r["question_id"],
                r["comment"],
                r["returned_by"],
                dt.datetime.fromisoformat(r["returned_at"]),
            )
            for r in conn.execute(query.order_by(portal_returns.c.id)).mappings()
        }


def resolve_returns(store: Store, service_id: str, keys: list[tuple[str, str]], actor: str) -> int:
    """Close the returns of questions the owner has answered again; how many were closed (logged)."""
    now = clock.now().isoformat()
    closed = 0
    with store.write() as conn:
        for control_id, question_id in keys:
            done = conn.execute(
                update(portal_returns)
                .where(
                    portal_returns.c.service_id == service_id,
                    portal_returns.c.control_id == control_id,
                    portal_returns.c.question_id == question_id,
                    portal_returns.c.resolved_at.is_(None),
                )
                .values(resolved_at=now)
            )
            closed += done.rowcount or 0
        if closed:
            audit_log.append(conn, actor, "portal.return_answered", service_id, {"questions": closed})
    return closed
