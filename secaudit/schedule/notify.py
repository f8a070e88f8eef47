"""Notifications: what a message says, and delivery by SMTP and webhook.

Messages are built from drift records and error texts only; they never carry
a password or a setting from ``secaudit.yaml`` beyond the recipients. The
SMTP password is read at delivery time from an environment variable or from a
file outside the workspace, and scrubbed from any error text that could echo it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secaudit.model import Language, Service
from secaudit.model.config import Notifications, SmtpSettings, WebhookSettings
from secaudit.model.drift import DriftState
from secaudit.schedule import NotificationError
from secaudit.store.db import Store
from secaudit.store.drift import DriftRecord
from secaudit.store.outbox import OutboxEntry, mark_attempt, pending_notifications

EMAIL = "email"
WEBHOOK = "webhook"
WEBHOOK_TIMEOUT_S = 10.0
_STATE_ORDER = {DriftState.NEW: 0, DriftState.CHANGED: 1, DriftState.RESOLVED: 2}


@dataclass(frozen=True)
class ServiceNews:
    """What one service's run has to tell people: drift, new failures, errors."""

    service: Service
    run_id: str | None
    items: list[DriftRecord] = field(default_factory=list)
    new_failures: int = 0
    errors: list[str] = field(default_factory=list)
    first_run: bool = False

    @property
    def repeat_key(self) -> str | None:
        """For news that is only a scan error: a key of the service and its error texts; else None."""
        if not self.errors or self.items or self.new_failures:
            return None
        text = "\0".join([self.service.id, *sorted(self.errors)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def worth_telling(self) -> bool:
        """True when something appeared or changed, a check newly fails, or the scan failed."""
        return bool(self.errors) or self.new_failures > 0 or any(i.state is not DriftState.RESOLVED for i in self.items)


def smtp_password(smtp: SmtpSettings) -> str | None:
    """The SMTP password from ``password_env`` or ``password_file``; None when neither is set."""
    if smtp.password_env:
        value = os.environ.get(smtp.password_env)
        if not value:
            raise NotificationError(f"environment variable {smtp.password_env} (SMTP password) is not set")
        return value
    if smtp.password_file:
        try:
            return Path(smtp.password_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise NotificationError(f"cannot read the SMTP password file: {exc.strerror}") from None
    return None


def recipients_of(service: Service, settings: Notifications) -> list[str]:
    """The owner, the security officer, then the workspace-wide recipients, without repeats."""
    seen: list[str] = []
    for address in (service.owner.email, service.security_officer.email, *settings.recipients):
        if address.lower() not in (s.lower() for s in seen):
            seen.append(address)
    return seen


def _subject(news: ServiceNews) -> str:
    parts = []
    if news.errors:
        parts.append("scan failed")
    fresh = sum(1 for i in news.items if i.state is not DriftState.RESOLVED)
    if fresh:
        parts.append(f"{fresh} change(s)")
    if news.new_failures:
        parts.append(f"{news.new_failures} new failing check(s)")
    return f"[secaudit] {news.service.id}: {', '.join(parts) or 'changes resolved'}"


def _body(news: ServiceNews, language: Language) -> str:
    service = news.service
    lines = [
        f"Service: {service.id} ({service.name.get(language)})",
        f"Department: {service.department}",
    ]
    if news.run_id:
        lines.append(f"Scan run: {news.run_id}")
    if news.errors:
        lines.append("")
        lines.append("The scan could not be completed:")
        lines.extend(f"  - {e}" for e in news.errors)
    if news.first_run and news.new_failures:
        lines.append("")
        lines.append(f"First scheduled scan: {news.new_failures} check(s) fail. See 'secaudit report {service.id}'.")
    if news.items:
        lines.append("")
        lines.append("Changes since the previous scan:")
        for item in sorted(news.items, key=lambda i: (_STATE_ORDER[i.state], i.kind.value, i.key)):
            lines.append(f"  [{item.state.value}] {item.message}")
    lines.append("")
    lines.append(f"Details: secaudit report {service.id}")
    return "\n".join(lines) + "\n"


def build_notifications(news: ServiceNews, settings: Notifications, language: Language) -> list[OutboxEntry]:
    """The outbox entries (one e-mail, one webhook call) for one service's news; none when nothing is worth telling."""
    if not news.worth_telling:
        return []
    subject = _subject(news)
    entries: list[OutboxEntry] = []
    if settings.smtp is not None:
        payload = {"to": recipients_of(news.service, settings), "subject": subject, "body": _body(news, language)}
        entries.append(OutboxEntry(EMAIL, subject, payload, news.service.id, news.run_id, repeat_key=news.repeat_key))
    if settings.webhook is not None:
        hook: dict[str, Any] = {
            "source": "secaudit",
            "event": "scan.error" if news.errors else "scan.drift",
            "service": news.service.id,
            "run": news.run_id,
            "summary": subject,
            "new_failures": news.new_failures,
            "errors": news.errors,
            "drift": [i.to_dict() for i in news.items],
        }
        entries.append(OutboxEntry(WEBHOOK, subject, hook, news.service.id, news.run_id, repeat_key=news.repeat_key))
    return entries


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text


def send_email(entry: OutboxEntry, smtp: SmtpSettings) -> None:
    """Deliver one e-mail entry over STARTTLS or implicit TLS as configured; raise NotificationError on any failure."""
    import smtplib  # here, not at the top: cron's frequent nothing-due runs never send mail
    import ssl
    from email.message import EmailMessage

    password = smtp_password(smtp) if smtp.username else None
    if smtp.username and not (smtp.starttls or smtp.implicit_tls):
        raise NotificationError(
            "refusing to send the SMTP password without TLS (notifications.smtp.starttls or implicit_tls)"
        )
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(entry.payload["to"])
    message["Subject"] = entry.payload["subject"]
    message.set_content(entry.payload["body"])
    try:
        client: smtplib.SMTP
        if smtp.implicit_tls:
            context = ssl.create_default_context(cafile=smtp.ca_file)
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
        with client:
            client.ehlo()
            if smtp.starttls and not smtp.implicit_tls:
                context = ssl.create_default_context(cafile=smtp.ca_file)
                client.starttls(context=context)
                client.ehlo()
            if smtp.username and password is not None:
                client.login(smtp.username, password)
            client.send_message(message, from_addr=smtp.sender, to_addrs=list(entry.payload["to"]))
    except (OSError, smtplib.SMTPException) as exc:
        text = _scrub(f"{type(exc).__name__}: {exc}", password)
        raise NotificationError(f"e-mail to {smtp.host}:{smtp.port} failed: {text}") from None


def send_webhook(entry: OutboxEntry, webhook: WebhookSettings) -> None:
    """POST one webhook entry as JSON; anything but a 2xx answer is a failure."""
    import httpx

    try:
        response = httpx.post(webhook.url, json=entry.payload, timeout=WEBHOOK_TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise NotificationError(f"webhook failed: {type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise NotificationError(f"webhook answered HTTP {response.status_code}")


def deliver(entry: OutboxEntry, settings: Notifications) -> None:
    """Deliver one outbox entry over its channel with the settings in force now."""
    if entry.channel == EMAIL:
        if settings.smtp is None:
            raise NotificationError("notifications.smtp is no longer configured")
        send_email(entry, settings.smtp)
    elif entry.channel == WEBHOOK:
        if settings.webhook is None:
            raise NotificationError("notifications.webhook is no longer configured")
        send_webhook(entry, settings.webhook)
    else:
        raise NotificationError(f"unknown notification channel {entry.channel!r}")


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver a queued notification: the entry, and why it failed (None: delivered)."""

    entry: OutboxEntry
    error: str | None


def deliver_pending(store: Store, settings: Notifications) -> list[Delivery]:
    """Try each notification waiting in the outbox once, oldest first; each attempt is recorded on its entry
    (a failed one stays queued for the next run)."""
    outcomes: list[Delivery] = []
    for entry in pending_notifications(store):
        try:
            deliver(entry, settings)
        except NotificationError as exc:
            mark_attempt(store, entry.id, exc.message)
            outcomes.append(Delivery(entry, exc.message))
        else:
            mark_attempt(store, entry.id, None)
            outcomes.append(Delivery(entry, None))
    return outcomes
