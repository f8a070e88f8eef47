"""Reminders from cron (``secaudit remind``): questionnaires due soon or overdue, evidence expiring or expired.

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
    """``questionnaire_due``, ``questionnaire_overdue``, ``evidence_expiring`` or ``evidence_expired``."""
    date: dt.date
    count: int
    """Required answers missing (questionnaires), or evidence files ending (evidence)."""
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
            "count": self.count,
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


def _evidence_words(
    lang: Language, service_id: str, name: str, files: list[tuple[str, str, dt.date]], today: dt.date
) -> tuple[str, str, str]:
    first = min(day for _, _, day in files)
    kind = "evidence_expired" if first < today else "evidence_expiring"
    if lang is Language.EN:
        lines = "".join(f"  - {file} ({ref}): valid until {day}\n" for file, ref, day in files)
        subject = f"[secaudit] {service_id}: evidence {'expired' if first < today else 'expiring'} {first}"
        body = (
            f"Service: {service_id} ({name})\n"
            f"These evidence files reach the end of their validity; an answer whose evidence has expired no "
            f"longer counts, and its control awaits an answer again:\n{lines}"
            f"Upload current evidence on the portal with the answer.\n"
        )
        return kind, subject, body
    lines = "".join(f"  - {file}（{ref}）: {day} まで有効\n" for file, ref, day in files)
    subject = f"[secaudit] {service_id}: 根拠資料の{'有効期限切れ' if first < today else '有効期限'} {first}"
    body = (
        f"サービス: {service_id}（{name}）\n"
        f"次の根拠資料が有効期限を迎えます。期限の切れた根拠資料による回答は無効となり、その管理策は再び回答待ちになります:\n"
        f"{lines}"
        f"回答ポータルで最新の根拠資料を回答とともにアップロードしてください。\n"
    )
    return kind, subject, body


def reminders_due(session: Session, days: int = REMIND_DAYS) -> list[Reminder]:
    """Services whose questionnaire is due within ``days`` days or overdue with required answers missing, and
    services whose answers in force rest on evidence files expiring within ``days`` days or expired."""
    from secaudit.evidence_files import references
    from secaudit.questionnaire.status import questionnaire_status
    from secaudit.store.answers import latest_answers
    from secaudit.store.evidence import evidence_files_of

    zone = session.workspace().config.zone
    lang = session.workspace().config.language
    today = clock.today(zone)
    found: list[Reminder] = []
    services = session.services()
    uploaded = evidence_files_of(session.store(), [s.id for s in services])
    horizon = today + dt.timedelta(days=days)
    for service in services:
        files = uploaded.get(service.id, {})
        if files:
            ending = sorted(
                {
                    (record.name, "/".join(key), record.valid_until)
                    for key, answer in latest_answers(session.store(), service.id).items()
                    for ref in references(answer.evidence)
                    if (record := files.get(ref)) is not None
                    and record.valid_until is not None
                    and record.valid_until <= horizon
                },
                key=lambda found_file: (found_file[2], found_file[1]),
            )
            if ending:
                name = service.name.get(lang)
                kind, subject, body = _evidence_words(
                    lang, service.id, name, [(n, r, d) for n, r, d in ending if d], today
                )
                found.append(Reminder(service.id, kind, min(d for _, _, d in ending if d), len(ending), subject, body))
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
