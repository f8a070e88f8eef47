"""Who may use the owners' portal: invitation links, officers' accounts, sessions, sign-in limits.

An invitation link carries ``v1.<id>.<expiry>.<signature>``: the signature is an
HMAC-SHA256 with the workspace's portal key over the id, the service and the
expiry, so a link cannot be forged or edited without the key (kept in the
workspace's private folder, never in the database). The database keeps the
invitation itself, so a link can still be revoked and ends when it expires.

Sessions are random cookies kept only as their SHA-256; each carries its own
CSRF secret. Sign-ins are limited per account and per client address.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from secaudit import clock
from secaudit.errors import InputError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from secaudit.pipeline.session import Session
    from secaudit.store.portal import Invitation as Invitation
    from secaudit.store.portal import SignIn as SignIn

KEY_FILE = "portal.key"
INVITATION_DAYS = 30
"""How long an invitation link works when ``--expires`` is not given."""
MAX_INVITATION_DAYS = 365
OWNER_SESSION = dt.timedelta(hours=12)
STAFF_SESSION = dt.timedelta(hours=8)
SIGN_IN_WINDOW = dt.timedelta(minutes=15)
SIGN_IN_LIMIT = 5
"""Failed sign-ins per account, and per client address, within the window before sign-in is refused."""
MIN_PASSWORD = 12
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,}$")
_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_TOKEN = re.compile(r"^v1\.([0-9a-f]{24})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


class Role(StrEnum):
    """What a signed-in person may do: officers review and decide, auditors only read."""

    OFFICER = "officer"
    AUDITOR = "auditor"


class PortalInputError(InputError):
    """A portal command was given something it cannot use (exit 2)."""


class Refusal(StrEnum):
    """Why a link or a sign-in was refused (shown to the person in words, logged as this code)."""

    MALFORMED = "malformed"
    FORGED = "forged"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason code, not a password)
    THROTTLED = "throttled"


class AccessRefused(Exception):
    """A link or a sign-in that does not let anyone in; ``reason`` says why."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its link's token (shown once; only the invitation is stored)."""

    invitation: Invitation
    token: str


def portal_key(session: Session) -> bytes:
    """The workspace's portal signing key, made (0600, 32 random bytes) the first time it is needed."""
    folder = session.workspace().ensure_data_dir()
    path = folder / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) != 32:
            raise PortalInputError(
                f"{path}: the portal key is damaged (expected 32 bytes); restore it from backup"
            ) from None
        return key
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _signature(key: bytes, invitation_id: str, service_id: str, expires: int) -> str:
    message = f"secaudit-invitation|v1|{invitation_id}|{service_id}|{expires}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def invite(
    session: Session, service_id: str, email: str, expires: dt.date | None, actor: str, lang: str
) -> IssuedInvitation:
    """Invite ``email`` to answer ``service_id``'s questionnaire until the end of ``expires`` (workspace time)."""
    from secaudit.store.portal import Invitation, add_invitation

    service = session.service(service_id)  # refuses an unknown service by name
    address = email.strip()
    if not _EMAIL.match(address) or len(address) > 254:
        raise PortalInputError(f"--email: {email!r} is not an e-mail address")
    zone = session.workspace().config.zone
    today = clock.today(zone)
    last_day = expires or today + dt.timedelta(days=INVITATION_DAYS)
    if last_day < today:
        raise PortalInputError(f"--expires: {last_day} is in the past")
    if last_day > today + dt.timedelta(days=MAX_INVITATION_DAYS):
        raise PortalInputError(f"--expires: {last_day} is more than {MAX_INVITATION_DAYS} days ahead")
    ends = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    found = Invitation(
        id=secrets.token_hex(12),  # hex: an id never starts with "-", which a command line would take for an option
        service_id=service.id,
        email=address,
        language=lang,
        created_at=clock.now(),
        created_by=actor,
        expires_at=ends,
        revoked_at=None,
    )
    add_invitation(session.store(), found)
    stamp = int(ends.timestamp())
    token = f"v1.{found.id}.{stamp}.{_signature(portal_key(session), found.id, service.id, stamp)}"
    return IssuedInvitation(found, token)


def check_invitation(session: Session, token: str) -> Invitation:
    """The invitation behind a link's token, if it is genuine, unrevoked and unexpired; else AccessRefused."""
    from secaudit.store.portal import invitation

    parts = _TOKEN.match(token)
    if parts is None:
        raise AccessRefused(Refusal.MALFORMED)
    invitation_id, stamp, given = parts.group(1), int(parts.group(2)), parts.group(3)
    found = invitation(session.store(), invitation_id)
    expected = _signature(portal_key(session), invitation_id, found.service_id if found else "", stamp)
    if found is None:
        raise AccessRefused(Refusal.UNKNOWN)
    if not hmac.compare_digest(expected, given) or stamp != int(found.expires_at.timestamp()):
        raise AccessRefused(Refusal.FORGED)
    if found.revoked_at is not None:
        raise AccessRefused(Refusal.REVOKED)
    if not found.usable(clock.now()):
        raise AccessRefused(Refusal.EXPIRED)
    return found


def invitation_by_id(session: Session, invitation_id: str) -> Invitation:
    """An invitation known to exist (its session was just checked)."""
    from secaudit.store.portal import invitation

    found = invitation(session.store(), invitation_id)
    if found is None:
        raise AccessRefused(Refusal.UNKNOWN)
    return found


def revoke(session: Session, invitation_id: str, actor: str) -> Invitation:
    """Revoke an invitation (its link and any session opened with it stop working at once)."""
    from secaudit.store.portal import invitation, revoke_invitation

    found = invitation(session.store(), invitation_id)
    if found is None:
        raise PortalInputError(f"no invitation {invitation_id!r} (secaudit portal list shows them)")
    if not revoke_invitation(session.store(), invitation_id, actor):
        raise PortalInputError(f"invitation {invitation_id} was already revoked")
    return found


def list_invitations(session: Session, service_id: str | None = None) -> list[Invitation]:
    """The workspace's invitations (one service's when given), oldest first."""
    from secaudit.store.portal import invitations

    return invitations(session.store(), session.service(service_id).id if service_id else None)


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, checked when the account does not exist."""
    return _hasher().hash(secrets.token_urlsafe(16))


def add_user(session: Session, name: str, role: Role, password: str, actor: str) -> None:
    """Create an officer's or auditor's account with an Argon2id password hash."""
    from secaudit.store.portal import Account, add_account

    if not _ACCOUNT.match(name):
        raise PortalInputError(
            f"NAME: {name!r} must be 2-64 of a-z, 0-9, '.', '_', '-' and start with a letter or digit"
        )
    if len(password) < MIN_PASSWORD:
        raise PortalInputError(f"the password must have at least {MIN_PASSWORD} characters")
    if not add_account(session.store(), Account(name, role.value, _hasher().hash(password)), actor):
        raise PortalInputError(f"NAME: an account {name!r} already exists")


def list_users(session: Session) -> list[tuple[str, str]]:
    """Every account's name and role."""
    from secaudit.store.portal import accounts

    return [(a.name, a.role) for a in accounts(session.store())]


def _cookie_hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "replace")).hexdigest()


def _open(session: Session, kind: str, subject: str, lasts: dt.timedelta, actor: str, details: dict[str, str]) -> str:
    from secaudit.store.portal import SignIn, start_session

    cookie = secrets.token_urlsafe(32)
    sign_in = SignIn(kind, subject, secrets.token_urlsafe(32), clock.now() + lasts)
    start_session(session.store(), _cookie_hash(cookie), sign_in, actor, details)
    return cookie


def open_owner_session(session: Session, token: str, client: str) -> tuple[str, Invitation]:
    """Exchange an invitation link for a session cookie (the link stays usable until it expires or is revoked)."""
    found = check_invitation(session, token)
    cookie = _open(session, "owner", found.id, OWNER_SESSION, found.email, {"client": client})
    return cookie, found


def sign_in(session: Session, name: str, password: str, client: str) -> str:
    """Check an officer's or auditor's password; a session cookie, or AccessRefused (also when throttled)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    from secaudit.store.portal import account, add_failure, failures_since, rehash_password

    store = session.store()
    since = clock.now() - SIGN_IN_WINDOW
    keys = (f"account:{name[:64]}", f"client:{client}")
    if any(failures_since(store, key, since) >= SIGN_IN_LIMIT for key in keys):
        add_failure(store, keys, {"reason": Refusal.THROTTLED.value, "client": client})
        raise AccessRefused(Refusal.THROTTLED)
    found = account(store, name)
    hasher = _hasher()
    try:
        # an unknown name costs the same as a wrong password, so names cannot be probed by timing
        hasher.verify(found.password_hash if found else _dummy_hash(), password)
        if found is None:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        add_failure(store, keys, {"reason": Refusal.WRONG_PASSWORD.value, "client": client})
        raise AccessRefused(Refusal.WRONG_PASSWORD) from None
    if hasher.check_needs_rehash(found.password_hash):
        rehash_password(store, found.name, hasher.hash(password))
    return _open(session, found.role, found.name, STAFF_SESSION, found.name, {"client": client})


def current(session: Session, cookie: str | None) -> SignIn | None:
    """The live session behind a cookie; an owner's ends with its invitation (revoked or expired)."""
    from secaudit.store.portal import invitation
    from secaudit.store.portal import session as stored

    if not cookie or len(cookie) > 200:
        return None
    found = stored(session.store(), _cookie_hash(cookie))
    if found is None or found.kind != "owner":
        return found
    behind = invitation(session.store(), found.subject)
    return found if behind is not None and behind.usable(clock.now()) else None


def sign_out(session: Session, cookie: str, actor: str) -> None:
    """End a session."""
    from secaudit.store.portal import end_session

    end_session(session.store(), _cookie_hash(cookie), actor)


def csrf_matches(sign_in: SignIn, given: str | None) -> bool:
    """Whether a form's CSRF field is the session's own secret (compared in constant time)."""
    return bool(given) and hmac.compare_digest(sign_in.csrf.encode(), str(given).encode())


def mail_invitation(session: Session, issued: IssuedInvitation, link: str) -> str | None:
    """E-mail the link to the invited person when ``notifications.smtp`` is set; why it was not sent, or None.

    Sent directly, never queued: the outbox is stored, and a link must not be.
    """
    from secaudit.model import Language
    from secaudit.schedule import NotificationError
    from secaudit.schedule.notify import EMAIL, send_email
    from secaudit.store.outbox import OutboxEntry

    settings = session.workspace().config.notifications
    if settings.smtp is None:
        return "notifications.smtp is not set up"
    invitation = issued.invitation
    service = session.service(invitation.service_id)
    zone = session.workspace().config.zone
    last_day = (invitation.expires_at - dt.timedelta(seconds=1)).astimezone(zone).date()
    if invitation.language == Language.EN.value:
        subject = f"[secaudit] Security questionnaire for {service.name.en}"
        body = (
            f"You are asked to answer the security questionnaire of {service.name.en} ({service.id}).\n\n"
            f"Open this link (personal; do not forward it): {link}\n"
            f"It works until {last_day}.\n"
            f"Questions: {service.security_officer.name} <{service.security_officer.email}>\n"
        )
    else:
        subject = f"[secaudit] 情報セキュリティ質問票の回答依頼（{service.name.ja}）"
        body = (
            f"{service.name.ja}（{service.id}）の情報セキュリティ質問票への回答をお願いします。\n\n"
            f"次のリンクを開いて回答してください（あなた専用のリンクです。転送しないでください）:\n{link}\n\n"
            f"有効期限: {last_day} まで\n"
            f"問い合わせ先: {service.security_officer.name} <{service.security_officer.email}>\n"
        )
    entry = OutboxEntry(EMAIL, subject, {"to": [invitation.email], "subject": subject, "body": body}, service.id)
    try:
        send_email(entry, settings.smtp)
    except NotificationError as exc:
        return exc.message
    return None
