"""``secaudit remind``: questionnaires due soon or overdue, told through the notification outbox."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest

from secaudit import clock
from secaudit.store import open_store
from secaudit.store.answers import record_questionnaire
from tests.conftest import run_cli, store_answers
from tests.schedule.conftest import SMTP_PASSWORD, LoopbackPki, SmtpServer, WebhookReceiver
from tests.schedule.test_notify_e2e import configure


def _send_questionnaire(root: Path, service: str, due: dt.date) -> None:
    store = open_store(f"sqlite:///{root / '.secaudit' / 'secaudit.db'}")
    try:
        record_questionnaire(store, f"q-{service}", service, "佐藤", "ja", "test", {}, due=due)
    finally:
        store.close()


@pytest.fixture
def due_workspace(starter_workspace: Path) -> Path:
    """kosodate-portal due in 3 days, zeimu-lgwan 2 days overdue, mynumber-kyufu due in 30 days."""
    today = clock.today(dt.timezone(dt.timedelta(hours=9)))
    _send_questionnaire(starter_workspace, "kosodate-portal", today + dt.timedelta(days=3))
    _send_questionnaire(starter_workspace, "zeimu-lgwan", today - dt.timedelta(days=2))
    _send_questionnaire(starter_workspace, "mynumber-kyufu", today + dt.timedelta(days=30))
    return starter_workspace


def test_without_notifications_the_reminders_are_listed_and_nothing_is_sent(due_workspace: Path) -> None:
    result = run_cli(["remind", "--format", "json"], due_workspace)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    kinds = {r["service"]: r["kind"] for r in data["reminders"]}
    assert kinds == {"kosodate-portal": "questionnaire_due", "zeimu-lgwan": "questionnaire_overdue"}
    assert data["sent"] == [] and data["notifications_configured"] is False
    assert "not set up" in result.stderr


def test_a_complete_questionnaire_is_not_reminded(due_workspace: Path) -> None:
    from secaudit.pipeline.session import Session
    from secaudit.questionnaire.items import question_items

    session = Session(due_workspace)
    items = question_items(session.catalog(), session.service("kosodate-portal"))
    values = {i.key: ([c.value for c in i.question.allowed_choices()][:1] or ["2026-01-01"])[0] for i in items}
    store_answers(due_workspace, "kosodate-portal", values)
    data = json.loads(run_cli(["remind", "--format", "json", "--dry-run"], due_workspace).stdout)
    assert [r["service"] for r in data["reminders"]] == ["zeimu-lgwan"]


def test_reminders_are_mailed_and_posted_once_then_not_repeated(
    due_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECAUDIT_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    pki = LoopbackPki(tmp_path)
    smtp = SmtpServer(pki)
    hook = WebhookReceiver()
    try:
        configure(due_workspace, smtp.port, hook.url, pki.ca_file)
        first = run_cli(["remind", "--format", "json"], due_workspace)
        assert first.exit_code == 0, first.stderr
        again = run_cli(["remind", "--format", "json"], due_workspace)
    finally:
        smtp.close()
        hook.close()
    assert sorted(json.loads(first.stdout)["sent"]) == ["kosodate-portal", "zeimu-lgwan"]
    assert sorted(json.loads(again.stdout)["told_already"]) == ["kosodate-portal", "zeimu-lgwan"]
    assert len(smtp.messages) == 2 and len(hook.received) == 2
    mails = [email.message_from_bytes(m.content, policy=email.policy.default) for m in smtp.messages]
    overdue = next(m for m in mails if "zeimu-lgwan" in str(m["Subject"]))
    assert str(overdue["Subject"]).startswith("[secaudit] zeimu-lgwan: 質問票の期限超過 ")
    text = overdue.get_content()
    assert "が期限でした（2日経過）" in text and "必須の質問のうち" in text
    envelope = next(m for m in smtp.messages if b"zeimu-lgwan" in m.content)
    assert sorted(envelope.rcpt_tos) == ["csirt@city.example.jp", "sato@city.example.jp", "suzuki@city.example.jp"]
    assert {p["event"] for p in hook.received} == {"remind.questionnaire_due", "remind.questionnaire_overdue"}


def test_a_failed_delivery_exits_3_and_is_retried_by_the_next_run(due_workspace: Path, tmp_path: Path) -> None:
    from tests.scan.loopback import free_port

    pki = LoopbackPki(tmp_path)
    configure(
        due_workspace, free_port(), f"http://127.0.0.1:{free_port()}/hook", pki.ca_file, password=str(tmp_path / "none")
    )
    result = run_cli(["remind"], due_workspace)
    assert result.exit_code == 3
    assert "delivery failure" in result.stderr
