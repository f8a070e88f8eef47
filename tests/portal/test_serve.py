"""``secaudit serve`` and ``secaudit portal`` as an officer runs them: real processes on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from tests.conftest import REPO, run_cli
from tests.portal.conftest import SERVICE, Served, csrf_of, serve, stop


def _cli(root: object, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    # the test's environment (a year ahead under faketime in make test-future), so both sides share one clock
    env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(root)}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "secaudit", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_invitation_printed_by_the_cli_opens_the_questions_and_a_changed_one_does_not(served: Served) -> None:
    done = _cli(served.root, "portal", "invite", SERVICE, "--email", "yamada@city.example.jp")
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert link.startswith("http://127.0.0.1:8080/invite/v1.")  # the workspace's public address
    assert "secaudit portal revoke" in done.stderr
    path = link.removeprefix("http://127.0.0.1:8080")
    with httpx.Client(base_url=served.base, follow_redirects=True, timeout=30) as client:
        page = client.get(path)
        assert page.status_code == 200
        assert "子育て支援オンライン申請" in page.text
        section = client.get("/owner/section/5")
        assert "インシデントを発見した際の報告先と手順" in section.text
        # the form without its CSRF token
        refused = client.post("/owner/answer", data={"ref": "XHUM-5.3-001/q1", "value": "no", "section": "5"})
        assert refused.status_code == 403
        csrf = csrf_of(section.text)
        saved = client.post(
            "/owner/answer",
            data={"ref": "XHUM-5.3-001/q1", "value": "no", "section": "5", "csrf": csrf, "comment": "x"},
        )
        assert saved.status_code == 200 and "保存済み（未送信）" in saved.text
    changed = path[:-1] + ("A" if path[-1] != "A" else "B")
    with httpx.Client(base_url=served.base, timeout=30) as stranger:
        response = stranger.get(changed)
        assert response.status_code == 403
        assert "インシデント" not in response.text and "set-cookie" not in response.headers
        assert "server" not in response.headers
        assert {"content-security-policy", "x-content-type-options", "x-frame-options"} <= set(response.headers)


def test_invite_revoke_and_list_from_the_command_line(starter_workspace: object) -> None:
    link = run_cli(
        ["portal", "invite", SERVICE, "--email", "owner@city.example.jp", "--expires", "2099-01-01"], starter_workspace
    )  # type: ignore[arg-type]
    assert link.exit_code == 2 and "more than 365 days" in link.stderr
    made = run_cli(["portal", "invite", SERVICE, "--email", "owner@city.example.jp"], starter_workspace)  # type: ignore[arg-type]
    assert made.exit_code == 0, made.stderr
    listed = json.loads(run_cli(["portal", "list", "--format", "json"], starter_workspace).stdout)  # type: ignore[arg-type]
    assert [(r["service"], r["email"], r["state"]) for r in listed] == [(SERVICE, "owner@city.example.jp", "active")]
    revoked = run_cli(["portal", "revoke", listed[0]["id"]], starter_workspace)  # type: ignore[arg-type]
    assert revoked.exit_code == 0
    again = run_cli(["portal", "revoke", listed[0]["id"]], starter_workspace)  # type: ignore[arg-type]
    assert again.exit_code == 2 and "already revoked" in again.stderr
    unknown = run_cli(["portal", "invite", "no-such-service", "--email", "a@city.example.jp"], starter_workspace)  # type: ignore[arg-type]
    assert unknown.exit_code == 2 and "no-such-service" in unknown.stderr
    state = json.loads(run_cli(["portal", "list", "--format", "json"], starter_workspace).stdout)  # type: ignore[arg-type]
    assert state[0]["state"] == "revoked"


def test_accounts_from_the_command_line(starter_workspace: object) -> None:
    short = _cli(
        starter_workspace, "portal", "user", "add", "sato", "--role", "officer", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "at least 12" in short.stderr
    role = _cli(
        starter_workspace, "portal", "user", "add", "sato", "--role", "admin", "--password-stdin", stdin="x" * 20
    )
    assert role.returncode == 2 and "officer, auditor" in role.stderr
    added = _cli(
        starter_workspace,
        "portal",
        "user",
        "add",
        "sato",
        "--role",
        "officer",
        "--password-stdin",
        stdin="correct horse battery staple\n",
    )
    assert added.returncode == 0, added.stderr
    assert _cli(starter_workspace, "portal", "user", "list").stdout.split() == ["sato", "officer"]


def test_serve_refuses_half_a_tls_setting(starter_workspace: object, tmp_path: object) -> None:
    result = run_cli(["serve", "--tls-cert", "/etc/hostname"], starter_workspace)  # type: ignore[arg-type]
    assert result.exit_code == 2 and "go together" in result.stderr


def test_the_portals_own_scan_finds_no_failing_header_check(starter_workspace: object, tmp_path: object) -> None:
    from pathlib import Path

    from tests.scan.conftest import write_service
    from tests.schedule.conftest import LoopbackPki

    root = Path(str(starter_workspace))
    pki = LoopbackPki(Path(str(tmp_path)))
    running = serve(root, tls=pki.leaf(90))
    try:
        port = running.base.rsplit(":", 1)[1]
        url = f"https://127.0.0.1:{port}/"
        write_service(root, "portal-self", [f"{{url: '{url}', addresses: [127.0.0.1], ca_bundle: '{pki.ca_file}'}}"])
        scanned = run_cli(["scan", "portal-self", "--profile", "quick", "--format", "json"], root)
        assert scanned.exit_code in (0, 1), scanned.stderr
        observations = json.loads(scanned.stdout)["observations"]
    finally:
        stop(running.process)
    header_checks = {o["check_id"]: o["status"] for o in observations if o["check_id"].startswith("http.")}
    for check in (
        "http.csp",
        "http.content-type-options",
        "http.frame-protection",
        "http.referrer-policy",
        "http.permissions-policy",
        "http.hsts",
        "http.cookie-flags",
        "http.server-version-hidden",
    ):
        assert header_checks.get(check) == "pass", (check, header_checks)
    failing = {check: status for check, status in header_checks.items() if status != "pass"}
    assert failing == {}


def test_with_smtp_set_up_the_invitation_is_mailed_to_that_person_only_and_never_stored(
    starter_workspace: object, tmp_path: object, monkeypatch: object
) -> None:
    import email
    import email.policy
    from pathlib import Path

    from tests.schedule.conftest import SMTP_PASSWORD, LoopbackPki, SmtpServer
    from tests.schedule.test_notify_e2e import configure

    root = Path(str(starter_workspace))
    monkeypatch.setenv("SECAUDIT_TEST_SMTP_PASSWORD", SMTP_PASSWORD)  # type: ignore[attr-defined]
    pki = LoopbackPki(Path(str(tmp_path)))
    smtp = SmtpServer(pki)
    try:
        configure(root, smtp.port, "http://127.0.0.1:9/unused", pki.ca_file)
        done = run_cli(["portal", "invite", SERVICE, "--email", "yamada@city.example.jp"], root)
        quiet = run_cli(["portal", "invite", SERVICE, "--email", "kato@city.example.jp", "--no-mail"], root)
    finally:
        smtp.close()
    assert done.exit_code == 0 and quiet.exit_code == 0, done.stderr + quiet.stderr
    link = done.stdout.strip()
    assert "e-mailed to yamada@city.example.jp" in done.stderr
    [mail] = smtp.messages
    assert mail.rcpt_tos == ["yamada@city.example.jp"]
    message = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert "情報セキュリティ質問票の回答依頼" in str(message["Subject"])
    assert link in message.get_content()
    token = link.rsplit("/", 1)[1]
    database = (root / ".secaudit" / "secaudit.db").read_bytes()
    assert token.encode() not in database and token.split(".")[3].encode() not in database


def test_the_access_log_names_an_invitation_without_its_signature(starter_workspace: object) -> None:
    from pathlib import Path

    from secaudit.pipeline.portal_access import invite
    from secaudit.pipeline.session import Session

    root = Path(str(starter_workspace))
    session = Session(root)
    token = invite(session, SERVICE, "yamada@city.example.jp", None, "officer", "ja").token
    session.store().close()
    running = serve(root)
    try:
        assert httpx.get(f"{running.base}/invite/{token}", timeout=30).status_code == 303
    finally:
        logged = stop(running.process)
    signature = token.split(".")[3]
    assert f"/invite/v1.{token.split('.')[1]}" in logged
    assert signature not in logged
