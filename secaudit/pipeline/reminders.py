"""Reminders from cron (``secaudit remind``): questionnaires due soon or overdue.

Each reminder goes through the notification outbox like drift news: one e-mail to the service's
owner and security officer (and the workspace's recipients), one webhook call, delivered at once
and retried by the next run when delivery fails. The same reminder (service, what, which date,
due or overdue) is told once per ``notifications.repeat_errors_after_hours``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from secaudit import clock
from secaudit.model import Language

if TYPE_CHECKING:
    from secaudit.pipeline.session import Session
    from secaudit.schedule.notify import Delivery

REMIND_DAYS = 7
"""How many days ahead a due date is reminded of when ``--days`` is not given."""


@dataclass(frozen=True)
class Reminder:
    """One thing an owner should be told about, for one service."""

    service_id: str
    kind: str
    """``questionnaire_due`` or ``questionnaire_overdue``."""
    date: dt.date
    missing: int
    subject: str
    body: str

    @property
    def repeat_key(self) -> str:
        """The same reminder again (same service, kind and date) is not told again within the repeat window."""
        text = "\0".join(["remind", self.service_id, self.kind, self.date.isoformat()])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "service": self.service_id,
            "kind": self.kind,
            "date": self.date.isoformat(),
            "required_missing": self.missing,
            "subject": self.subject,
        }


@dataclass
class RemindOutcome:
    """What a ``secaudit remind`` run found, queued and delivered."""

    reminders: list[Reminder]
    queued: list[Reminder]
    told_already: list[Reminder]
    deliveries: list[Delivery]
    configured: bool = True
    """False when neither e-mail nor a webhook is set up: the reminders are only listed."""

    @property
    def failed(self) -> int:
        """Notifications that could not be delivered (kept for the next run)."""
        return sum(1 for d in self.deliveries if d.error is not None)


def _words(
    lang: Language, service_id: str, name: str, kind: str, due: dt.date, missing: int, today: dt.date
) -> tuple[str, str]:
    days = (due - today).days
    if lang is Language.EN:
        when = f"was due on {due} ({-days} days ago)" if days < 0 else f"is due on {due} (in {days} days)"
        subject = f"[secaudit] {service_id}: questionnaire {'overdue' if days < 0 else 'due'} {due}"
        body = (
            f"Service: {service_id} ({name})\n"
            f"The security questionnaire {when}; {missing} required answers are still missing.\n"
            f"Answer on the portal (the invitation link), or fill in the workbook and send it back.\n"
        )
        return subject, body
    when = f"{due} が期限でした（{-days}日経過）" if days < 0 else f"{due} が期限です（あと{days}日）"
    subject = f"[secaudit] {service_id}: 質問票の{'期限超過' if days < 0 else '期限'} {due}"
    body = (
        f"サービス: {service_id}（{name}）\n"
        f"情報セキュリティ質問票は {when}。必須の質問のうち {missing} 問が未回答です。\n"
        f"回答ポータル（招待リンク）で回答するか、質問票のワークブックに記入して返送してください。\n"
    )
    return subject, body


def reminders_due(session: Session, days: int = REMIND_DAYS) -> list[Reminder]:
    """Services whose questionnaire is due within ``days`` days or overdue, with required answers missing."""
    from secaudit.questionnaire.status import questionnaire_status

    zone = session.workspace().config.zone
    lang = session.workspace().config.language
    today = clock.today(zone)
    found: list[Reminder] = []
    for service in session.services():
        status = questionnaire_status(session.store(), session.catalog(), service)
        due_text = (status.last_export or {}).get("due")
        missing = len(status.missing_required)
        if not due_text or not missing:
            continue
        due = dt.date.fromisoformat(str(due_text))
        if due > today + dt.timedelta(days=days):
            continue
        kind = "questionnaire_overdue" if due < today else "questionnaire_due"
        subject, body = _words(lang, service.id, service.name.get(lang), kind, due, missing, today)
        found.append(Reminder(service.id, kind, due, missing, subject, body))
    return found


def send_reminders(session: Session, days: int = REMIND_DAYS, dry_run: bool = False) -> RemindOutcome:
    """Queue each reminder not told within the repeat window, then deliver what waits in the outbox."""
    from secaudit.schedule.notify import EMAIL, WEBHOOK, deliver_pending, recipients_of
    from secaudit.store.outbox import OutboxEntry, enqueue, last_notified

    settings = session.workspace().config.notifications
    found = reminders_due(session, days)
    configured = settings.smtp is not None or settings.webhook is not None
    if dry_run or not configured:
        return RemindOutcome(found, [], [], [], configured)
    since = clock.now() - dt.timedelta(hours=settings.repeat_errors_after_hours)
    by_id = {s.id: s for s in session.services()}
    queued: list[Reminder] = []
    told: list[Reminder] = []
    entries: list[OutboxEntry] = []
    for reminder in found:
        if last_notified(session.store(), reminder.service_id, reminder.repeat_key, since) is not None:
            told.append(reminder)
            continue
        service = by_id[reminder.service_id]
        if settings.smtp is not None:
            payload = {"to": recipients_of(service, settings), "subject": reminder.subject, "body": reminder.body}
            entries.append(OutboxEntry(EMAIL, reminder.subject, payload, service.id, repeat_key=reminder.repeat_key))
        if settings.webhook is not None:
            hook = {"source": "secaudit", "event": f"remind.{reminder.kind}", **reminder.as_dict()}
            entries.append(OutboxEntry(WEBHOOK, reminder.subject, hook, service.id, repeat_key=reminder.repeat_key))
        queued.append(reminder)
    enqueue(session.store(), entries)
    return RemindOutcome(found, queued, told, deliver_pending(session.store(), settings))
