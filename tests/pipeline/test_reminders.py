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


def test_evidence_an_answer_rests_on_is_reminded_before_it_expires(starter_workspace: Path) -> None:
    from secaudit.model import Answer, AnswerSource
    from secaudit.store.answers import AnswerSet, save_answer_set
    from secaudit.store.evidence import EvidenceRecord, add_evidence_file

    today = clock.today(dt.timezone(dt.timedelta(hours=9)))
    store = open_store(f"sqlite:///{starter_workspace / '.secaudit' / 'secaudit.db'}")
    try:
        for file_id, days in (("ev-00000000000a", 5), ("ev-00000000000b", 90)):
            add_evidence_file(
                store,
                EvidenceRecord(
                    id=file_id,
                    service_id="kosodate-portal",
                    control_id="XHUM-5.2-001",
                    question_id="q1",
                    sha256="0" * 64,
                    name=f"{file_id}.pdf",
                    media_type="application/pdf",
                    size=1,
                    owner="yamada@city.example.jp",
                    uploaded_by="yamada@city.example.jp",
                    uploaded_at=clock.now(),
                    valid_until=today + dt.timedelta(days=days),
                ),
            )
        answer = Answer(
            service_id="kosodate-portal",
            control_id="XHUM-5.2-001",
            question_id="q1",
            value=today.isoformat(),
            evidence="研修記録 [ev-00000000000a] [ev-00000000000b]",
            answered_by="山田",
            answered_at=clock.now(),
            source=AnswerSource.PORTAL,
        )
        save_answer_set(
            store, AnswerSet(service_id="kosodate-portal", source=AnswerSource.PORTAL, submitted_by="山田"), [answer]
        )
    finally:
        store.close()
    data = json.loads(run_cli(["remind", "--format", "json", "--dry-run"], starter_workspace).stdout)
    [reminder] = [r for r in data["reminders"] if r["service"] == "kosodate-portal"]
    assert reminder["kind"] == "evidence_expiring"
    assert reminder["date"] == (today + dt.timedelta(days=5)).isoformat() and reminder["count"] == 1
    later = json.loads(run_cli(["remind", "--format", "json", "--dry-run", "--days", "100"], starter_workspace).stdout)
    [both] = [r for r in later["reminders"] if r["service"] == "kosodate-portal"]
    assert both["count"] == 2
    assert "根拠資料の有効期限" in both["subject"]
