"""Notifications over loopback: SMTP with STARTTLS and AUTH, a webhook receiver, the retry outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.model import RunStatus
from secaudit.store import open_store
from secaudit.store.outbox import all_notifications, pending_notifications
from secaudit.store.scans import runs_of
from tests.conftest import run_cli
from tests.schedule.conftest import SMTP_PASSWORD, LoopbackPki, SmtpServer, WebhookReceiver, free_port, json_lines


def configure(root: Path, smtp_port: int, webhook_url: str, ca_file: Path, password: str = "password_env") -> None:
    secret = "password_env: SECAUDIT_TEST_SMTP_PASSWORD" if password == "password_env" else f"password_file: {password}"
    config = root / "secaudit.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"""
notifications:
  smtp:
    host: 127.0.0.1
    port: {smtp_port}
    starttls: true
    username: secaudit
    {secret}
    sender: secaudit@city.example.jp
    ca_file: {ca_file}
    timeout_s: 5
  webhook:
    url: {webhook_url}
  recipients: [csirt@city.example.jp]
""",
        encoding="utf-8",
    )


def everything_written(root: Path, *texts: str) -> str:
    """Every output and every file under the workspace (database included), as one text."""
    blobs = [t for t in texts]
    for path in root.rglob("*"):
        if path.is_file():
            blobs.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(blobs)


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECAUDIT_TEST_SMTP_PASSWORD", SMTP_PASSWORD)


def test_drift_is_mailed_with_starttls_and_posted_to_the_webhook(
    loop_workspace: Path, pki: LoopbackPki, smtp_env: None
) -> None:
    smtp = SmtpServer(pki)
    hook = WebhookReceiver()
    try:
        configure(loop_workspace, smtp.port, hook.url, pki.ca_file)
        result = run_cli(["scan", "--due", "--profile", "quick", "--log-format", "json"], loop_workspace)
        assert result.exit_code == 1, result.stdout + result.stderr
        sent = [e for e in json_lines(result.stdout) if e["event"] == "notify.sent"]
        assert sorted(e["channel"] for e in sent) == ["email", "webhook"]
    finally:
        smtp.close()
        hook.close()
    [mail] = smtp.messages
    assert smtp.logins == ["secaudit"]
    assert sorted(mail.rcpt_tos) == ["csirt@city.example.jp", "officer@city.example.jp", "owner@city.example.jp"]
    body = mail.content.decode("utf-8", "replace")
    assert "Subject: [secaudit] loop-portal:" in body and "new failing check" in body
    [payload] = hook.received
    assert payload["service"] == "loop-portal" and payload["event"] == "scan.drift"
    assert payload["new_failures"] > 0
    written = everything_written(loop_workspace, result.stdout, result.stderr, body, str(hook.received))
    assert SMTP_PASSWORD not in written
    assert pending_notifications(open_store(f"sqlite:///{loop_workspace / '.secaudit' / 'secaudit.db'}")) == []


def test_failed_delivery_keeps_the_run_and_is_retried_next_run(
    loop_workspace: Path, pki: LoopbackPki, smtp_env: None
) -> None:
    smtp_port, hook_port = free_port(), free_port()
    configure(loop_workspace, smtp_port, f"http://127.0.0.1:{hook_port}/hook", pki.ca_file)
    first = run_cli(["scan", "--due", "--profile", "quick", "--log-format", "json"], loop_workspace)
    assert first.exit_code == 1, first.stdout + first.stderr
    failed = [e for e in json_lines(first.stdout) if e["event"] == "notify.failed"]
    assert sorted(e["channel"] for e in failed) == ["email", "webhook"]
    assert all(e["level"] == "error" and "kept for the next run" in e["message"] for e in failed)
    store = open_store(f"sqlite:///{loop_workspace / '.secaudit' / 'secaudit.db'}")
    assert [r.status for r in runs_of(store, "loop-portal")] == [RunStatus.COMPLETED]
    waiting = pending_notifications(store)
    assert len(waiting) == 2 and all(e.attempts == 1 and e.last_error for e in waiting)

    smtp = SmtpServer(pki, port=smtp_port)
    hook = WebhookReceiver(port=hook_port)
    try:
        second = run_cli(["scan", "--due", "--profile", "quick", "--log-format", "json"], loop_workspace)
    finally:
        smtp.close()
        hook.close()
    assert second.exit_code == 0, second.stdout + second.stderr  # nothing due, nothing new: only the retry
    events = json_lines(second.stdout)
    assert not [e for e in events if e["event"] == "scan.start"]
    assert sorted(e["channel"] for e in events if e["event"] == "notify.sent") == ["email", "webhook"]
    assert len(smtp.messages) == 1 and len(hook.received) == 1
    assert pending_notifications(store) == []
    assert [e.attempts for e in all_notifications(store)] == [2, 2]
    written = everything_written(loop_workspace, first.stdout, first.stderr, second.stdout, second.stderr)
    assert SMTP_PASSWORD not in written


def test_wrong_password_is_reported_without_echoing_it(loop_workspace: Path, pki: LoopbackPki, monkeypatch) -> None:
    wrong = "Wrong-Pa55-" + SMTP_PASSWORD[::-1]
    monkeypatch.setenv("SECAUDIT_TEST_SMTP_PASSWORD", wrong)
    smtp = SmtpServer(pki)
    hook = WebhookReceiver()
    try:
        configure(loop_workspace, smtp.port, hook.url, pki.ca_file)
        result = run_cli(["scan", "--due", "--profile", "quick", "--log-format", "json"], loop_workspace)
    finally:
        smtp.close()
        hook.close()
    [failed] = [e for e in json_lines(result.stdout) if e["event"] == "notify.failed"]
    assert failed["channel"] == "email" and "SMTPAuthenticationError" in failed["message"]
    assert smtp.messages == []
    written = everything_written(loop_workspace, result.stdout, result.stderr)
    assert wrong not in written and SMTP_PASSWORD not in written


def test_password_file_inside_the_workspace_is_refused(loop_workspace: Path, pki: LoopbackPki) -> None:
    inside = loop_workspace / "smtp-password"
    inside.write_text(SMTP_PASSWORD)
    configure(loop_workspace, free_port(), "http://127.0.0.1:9/hook", pki.ca_file, password=str(inside))
    result = run_cli(["scan", "--due", "--log-format", "json"], loop_workspace)
    assert result.exit_code == 2
    assert "password_file" in result.stderr and "outside the workspace" in result.stderr
    assert SMTP_PASSWORD not in result.stdout + result.stderr


def test_password_file_outside_the_workspace_is_used(loop_workspace: Path, pki: LoopbackPki, tmp_path: Path) -> None:
    outside = tmp_path / "secrets" / "smtp-password"
    outside.parent.mkdir()
    outside.write_text(SMTP_PASSWORD + "\n")
    smtp = SmtpServer(pki)
    try:
        configure(loop_workspace, smtp.port, "http://127.0.0.1:9/hook", pki.ca_file, password=str(outside))
        result = run_cli(["scan", "--due", "--profile", "quick", "--log-format", "json"], loop_workspace)
    finally:
        smtp.close()
    assert smtp.logins == ["secaudit"] and len(smtp.messages) == 1
    assert SMTP_PASSWORD not in result.stdout + result.stderr


def test_mail_over_implicit_tls_smtps(pki: LoopbackPki, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.model.config import SmtpSettings
    from secaudit.schedule import NotificationError
    from secaudit.schedule.notify import EMAIL, send_email
    from secaudit.store.outbox import OutboxEntry

    monkeypatch.setenv("SECAUDIT_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    server = SmtpServer(pki, implicit_tls=True)
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=server.port,
            implicit_tls=True,
            starttls=False,
            username="secaudit",
            password_env="SECAUDIT_TEST_SMTP_PASSWORD",
            sender="secaudit@city.example.jp",
            ca_file=str(pki.ca_file),
            timeout_s=5,
        )
        entry = OutboxEntry(EMAIL, "s", {"to": ["csirt@city.example.jp"], "subject": "drift", "body": "b"})
        send_email(entry, settings)
        assert server.logins == ["secaudit"]
        [message] = server.messages
        assert message.rcpt_tos == ["csirt@city.example.jp"] and b"Subject: drift" in message.content
        untrusted = settings.model_copy(update={"ca_file": None})  # the loopback CA is not in the system store
        with pytest.raises(NotificationError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed") as raised:
            send_email(entry, untrusted)
        assert SMTP_PASSWORD not in str(raised.value)
        assert len(server.messages) == 1
    finally:
        server.close()
