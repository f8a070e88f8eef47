"""Permissions and secrets over a full flow: everything under ``.secaudit/`` is 0700/0600, and the SMTP
password (from the environment) appears in no output and no file of the workspace, database included."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.questionnaire.conftest import compliant_answers, fill
from tests.schedule import conftest as schedule_fixtures
from tests.schedule.conftest import SMTP_PASSWORD, SmtpServer

pytestmark = pytest.mark.timeout(120)

pki = schedule_fixtures.pki
site = schedule_fixtures.site
loop_workspace = schedule_fixtures.loop_workspace

REPORT_FORMATS = ("html", "md", "pdf", "json", "oscal", "sarif", "junit", "csv")


def _configure_smtp(root: Path, port: int, ca_file: Path) -> None:
    config = root / "secaudit.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"""
notifications:
  smtp:
    host: 127.0.0.1
    port: {port}
    starttls: true
    username: secaudit
    password_env: SECAUDIT_HOSTILE_SMTP_PASSWORD
    sender: secaudit@city.example.jp
    ca_file: {ca_file}
    timeout_s: 5
  recipients: [csirt@city.example.jp]
""",
        encoding="utf-8",
    )


def _texts_of(path: Path) -> list[bytes]:
    """The bytes of a file, and of every member when it is a zip (xlsx)."""
    data = path.read_bytes()
    blobs = [data]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            blobs += [archive.read(name) for name in archive.namelist()]
    return blobs


def run_full_flow(
    loop_workspace: Path, pki: schedule_fixtures.LoopbackPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[str], list[Path]]:
    """init, questionnaire export/import, a scan, scan --all with mail, reports, exports, dashboard, log."""
    monkeypatch.setenv("SECAUDIT_HOSTILE_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.chdir(loop_workspace)
    root = loop_workspace
    outputs: list[str] = []
    files: list[Path] = []
    smtp = SmtpServer(pki)
    try:
        _configure_smtp(root, smtp.port, pki.ca_file)

        def cli(*args: str, ok: tuple[int, ...] = (0, 1)) -> None:
            result = run_cli(list(args), root)
            assert result.exit_code in ok, (args, result.stdout, result.stderr)
            outputs.extend([result.stdout, result.stderr])

        book = root / "loop-portal.xlsx"
        cli("questionnaire", "export", "loop-portal", "-o", str(book))
        fill(book, compliant_answers(root, "loop-portal"))
        cli("questionnaire", "import", str(book))
        cli("scan", "loop-portal", "--profile", "quick", "--format", "json")
        # a port opens between the scans: new drift, so the batch mails (and logs in with the password)
        extra = schedule_fixtures.Listener(int((root / "extra-port").read_text()))
        try:
            cli("scan", "--all", "--profile", "quick", "--log-format", "json")
        finally:
            extra.close()
        for fmt in REPORT_FORMATS:
            # pdf needs a renderer that may be absent: exit 3 with a message is the documented outcome
            cli("report", "loop-portal", "--format", fmt, ok=(0, 1, 3) if fmt == "pdf" else (0,))
        for suffix in ("csv", "json", "xlsx"):
            cli("risk", "export", "loop-portal", "-o", str(tmp_path / f"register.{suffix}"))
            files.append(tmp_path / f"register.{suffix}")
        cli("dashboard")
        cli("assess", "loop-portal")
        cli("log", "show", "--format", "json", "--limit", "1000")
        cli("log", "verify", ok=(0,))
    finally:
        smtp.close()
    outputs += [m.content.decode("utf-8", "replace") for m in smtp.messages]
    assert smtp.logins, "the flow never logged in to the SMTP server: the password was not exercised"
    return root, outputs, files


def test_full_flow_is_private_and_never_shows_the_smtp_password(
    loop_workspace: Path, pki: schedule_fixtures.LoopbackPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the loosest umask a careless cron could have: every mode must come from the tool, not the umask
    previous = os.umask(0)
    try:
        root, outputs, files = run_full_flow(loop_workspace, pki, tmp_path, monkeypatch)
        # the batch lock exists only while a run holds it: take it here to see its mode
        from secaudit.schedule.lock import RunLock

        with RunLock(root / ".secaudit") as lock:
            assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
    finally:
        os.umask(previous)
    assert_private(root)
    assert_no_password(root, outputs, files)


def assert_private(root: Path) -> None:
    """``.secaudit/`` and every folder in it 0700, every file 0600 or stricter."""
    data = root / ".secaudit"
    seen = {p.relative_to(data).as_posix() for p in data.rglob("*")}
    # the flow made every kind of file the tool keeps
    assert {"secaudit.db", "secaudit.db-wal", "secaudit.db-shm"} <= seen, sorted(seen)
    assert any(s.startswith("reports/loop-portal/") for s in seen), sorted(seen)
    assert any(s.endswith(".xlsx") for s in seen if not s.startswith("reports")), sorted(seen)
    loose = []
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode & ~wanted or (path.is_dir() and mode != 0o700):
            loose.append(f"{path.relative_to(root)} {mode:o}")
    assert loose == []


def assert_no_password(root: Path, outputs: list[str], files: list[Path]) -> None:
    """The password in no command output, no mail, no exported file, no workspace file (zip members too)."""
    secret = SMTP_PASSWORD.encode()
    assert not [text for text in outputs if SMTP_PASSWORD in text]
    leaking = [
        str(path)
        for path in [*root.rglob("*"), *files]
        if path.is_file() and any(secret in blob for blob in _texts_of(path))
    ]
    assert leaking == []
