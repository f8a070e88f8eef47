"""What a notification says and to whom (pure), and the settings that would leak a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.model import Language, Service
from secaudit.model.config import Notifications
from secaudit.model.drift import DriftKind, DriftState
from secaudit.schedule import NotificationError, ScheduleError, check_settings
from secaudit.schedule.notify import (
    EMAIL,
    WEBHOOK,
    ServiceNews,
    build_notifications,
    recipients_of,
    send_email,
    smtp_password,
)
from secaudit.store.drift import DriftRecord
from secaudit.store.outbox import OutboxEntry

SERVICE = Service.model_validate(
    {
        "id": "svc",
        "name": {"ja": "子育て申請", "en": "Child-care application"},
        "department": "こども部",
        "owner": {"name": "Owner", "email": "owner@city.example.jp"},
        "security_officer": {"name": "Officer", "email": "Owner@city.example.jp"},
        "classification": {"confidentiality": 2, "integrity": 1, "availability": 1},
        "attributes": {"internet_facing": True, "personal_data": True, "network_tier": "internet"},
    }
)
SETTINGS = Notifications.model_validate(
    {
        "smtp": {"host": "127.0.0.1", "sender": "secaudit@city.example.jp", "password_env": "SMTP_PW", "username": "u"},
        "webhook": {"url": "http://127.0.0.1:9/hook"},
        "recipients": ["csirt@city.example.jp"],
    }
)
OPENED = DriftRecord("svc", DriftKind.OPEN_PORT, "host", "127.0.0.1 tcp/22", DriftState.NEW, "port tcp/22 is now open")
CLOSED = DriftRecord("svc", DriftKind.OPEN_PORT, "host", "127.0.0.1 tcp/21", DriftState.RESOLVED, "port 21 closed")


def test_recipients_are_owner_officer_and_workspace_list_without_repeats() -> None:
    assert recipients_of(SERVICE, SETTINGS) == ["owner@city.example.jp", "csirt@city.example.jp"]


def test_new_drift_makes_one_email_and_one_webhook_call() -> None:
    entries = build_notifications(ServiceNews(SERVICE, "run-1", [OPENED, CLOSED]), SETTINGS, Language.JA)
    assert [e.channel for e in entries] == [EMAIL, WEBHOOK]
    mail, hook = entries
    assert mail.subject == "[secaudit] svc: 1 change(s)"
    assert "子育て申請" in mail.payload["body"]
    body = mail.payload["body"]
    assert body.index("[new] port tcp/22 is now open") < body.index("[resolved] port 21 closed")
    assert hook.payload["drift"][0]["after"] is None and hook.payload["event"] == "scan.drift"
    assert {d["fingerprint"] for d in hook.payload["drift"]} == {OPENED.fingerprint, CLOSED.fingerprint}


def test_only_resolved_drift_is_not_worth_a_message() -> None:
    assert build_notifications(ServiceNews(SERVICE, "run-1", [CLOSED]), SETTINGS, Language.EN) == []


def test_an_error_is_worth_a_message() -> None:
    [mail, hook] = build_notifications(ServiceNews(SERVICE, None, errors=["nmap missing"]), SETTINGS, Language.EN)
    assert "scan failed" in mail.subject and "nmap missing" in mail.payload["body"]
    assert hook.payload["event"] == "scan.error"


def test_no_channel_configured_means_no_entries() -> None:
    assert build_notifications(ServiceNews(SERVICE, "r", [OPENED]), Notifications(), Language.EN) == []


def test_settings_never_reach_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PW", "hunter2-topsecret")
    entries = build_notifications(ServiceNews(SERVICE, "r", [OPENED], errors=["x"]), SETTINGS, Language.EN)
    assert "hunter2-topsecret" not in repr(entries) and "SMTP_PW" not in repr(entries)


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SETTINGS.smtp is not None
    monkeypatch.delenv("SMTP_PW", raising=False)
    with pytest.raises(NotificationError, match="SMTP_PW"):
        smtp_password(SETTINGS.smtp)
    monkeypatch.setenv("SMTP_PW", "pw")
    assert smtp_password(SETTINGS.smtp) == "pw"


def test_password_file_must_be_absolute_and_outside_the_workspace(tmp_path: Path) -> None:
    def settings(path: str) -> Notifications:
        return Notifications.model_validate(
            {"smtp": {"host": "h", "sender": "s@x.jp", "username": "u", "password_file": path}}
        )

    with pytest.raises(ScheduleError, match="absolute"):
        check_settings(settings("pw.txt"), tmp_path)
    with pytest.raises(ScheduleError, match="outside the workspace"):
        check_settings(settings(str(tmp_path / "sub" / ".." / "pw.txt")), tmp_path)
    check_settings(settings(str(tmp_path.parent / "elsewhere.txt")), tmp_path)


def test_a_password_is_never_sent_without_starttls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PW", "pw")
    plain = Notifications.model_validate(
        {
            "smtp": {
                "host": "127.0.0.1",
                "port": 9,
                "starttls": False,
                "sender": "s@x.jp",
                "username": "u",
                "password_env": "SMTP_PW",
            }
        }
    )
    assert plain.smtp is not None
    entry = OutboxEntry(EMAIL, "s", {"to": ["a@x.jp"], "subject": "s", "body": "b"})
    with pytest.raises(NotificationError, match="without TLS"):
        send_email(entry, plain.smtp)
