"""``secaudit audit``: scan, assess, register, report and gate in one command, against loopback targets."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import REPO, run_cli, store_answers

SERVICE = "demo-portal"


@pytest.fixture
def demo_target(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """examples/demo_targets.py on an ephemeral loopback port."""
    folder = tmp_path / "targets"
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "examples" / "demo_targets.py"), "--dir", str(folder), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout is not None, "demo targets did not start"
        match = re.match(r"ready https://localhost:(\d+)/", proc.stdout.readline())
        assert match
        yield int(match.group(1)), folder
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def write_service(workspace: Path, port: int, ca: Path, scope: bool = True) -> None:
    lines = [
        f"id: {SERVICE}",
        "name: {ja: デモ申請, en: Demo application}",
        "department: デモ課",
        "owner: {name: 山田 花子, email: yamada@city.example.jp}",
        "security_officer: {name: 佐藤 一郎, email: sato@city.example.jp}",
        "classification: {confidentiality: 2, integrity: 2, availability: 1}",
        "attributes: {internet_facing: true, personal_data: true, network_tier: internet, cloud: saas}",
        "checklists: [test-starter]",
    ]
    if scope:
        until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        lines += [
            "scope:",
            "  authorized_by: 情報政策課長",
            f"  authorized_until: {until}",
            "  targets:",
            "    - host: localhost",
            "      addresses: [127.0.0.1]",
            f"      ports: [{port}]",
            f"    - url: https://localhost:{port}/",
            "      addresses: [127.0.0.1]",
            f"      ca_bundle: {ca}",
        ]
    (workspace / "services" / f"{SERVICE}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def answer_everything(workspace: Path) -> None:
    today = dt.date.today()
    values = {
        ("XHUM-5.2-001", "q1"): today - dt.timedelta(days=30),
        ("XHUM-5.3-001", "q1"): "yes",
        ("XHUM-5.3-001", "q2"): "done",
        ("XHUM-5.4-001", "q1"): "no",
        ("XPHY-4.4-001", "q1"): "encrypted_logged",
        ("XTEC-6.2-001", "q1"): today - dt.timedelta(days=30),
        ("XTEC-6.5-001", "q1"): "yes",
        ("XTEC-6.6-001", "q1"): ["vendor", "jvn", "inventory"],
        ("XORG-1-001", "q1"): "yes",
    }
    store_answers(workspace, SERVICE, values, answered_by="山田 花子", source_ref="demo.xlsx")


def test_audit_runs_the_whole_pipeline(starter_workspace: Path, demo_target: tuple[int, Path], tmp_path: Path) -> None:
    port, folder = demo_target
    write_service(starter_workspace, port, folder / "ca.pem")
    answer_everything(starter_workspace)
    out = tmp_path / "audit"
    result = run_cli(["audit", SERVICE, "--profile", "quick", "--lang", "en", "-o", str(out)], starter_workspace)

    decision = json.loads((out / "decision.json").read_text(encoding="utf-8"))
    assert decision["decision"] == "NO-GO"  # admin MFA answered "no": a High risk
    assert result.exit_code == 1
    assert any(r["clause"] == "open-risk" and f"R-{SERVICE}-XHUM-5.4-001" in r["refs"] for r in decision["reasons"])
    assert re.search(r"scan: run \w+ \(quick\): \d+ passed, \d+ failed, \d+ errors", result.stderr)
    html = (out / "report-en.html").read_text(encoding="utf-8")
    assert "Demo application" in html and "http.hsts" in html  # the demo target sends no HSTS
    for line in ("report (HTML):", "risk register:", "decision:"):
        assert line in result.stdout
    register = openpyxl.load_workbook(out / f"{SERVICE}-risk-register.xlsx")
    ids = [row[0] for row in register.worksheets[0].iter_rows(min_row=2, values_only=True) if row[0]]
    assert f"R-{SERVICE}-XHUM-5.4-001" in ids and f"R-{SERVICE}-XTEC-6.5-001" in ids
    if importlib.util.find_spec("weasyprint") is not None:
        assert (out / "report-en.pdf").read_bytes().startswith(b"%PDF")
    log = run_cli(["log", "show", "--subject", SERVICE, "--format", "json"], starter_workspace)
    actions = [e["action"] for e in json.loads(log.stdout)]
    assert {"scan.start", "scan.finish", "gate.decide", "report.write"} <= set(actions)


def test_audit_without_a_scope_judges_answers_only(starter_workspace: Path, tmp_path: Path) -> None:
    write_service(starter_workspace, 1, tmp_path / "none.pem", scope=False)
    answer_everything(starter_workspace)
    out = tmp_path / "audit"
    result = run_cli(["audit", SERVICE, "-o", str(out)], starter_workspace)
    assert "scan: skipped (the service declares no scope)" in result.stderr
    assert json.loads((out / "decision.json").read_text())["decision"] == "NO-GO"
    assert result.exit_code == 1


def test_audit_of_an_unknown_service_is_a_usage_error(starter_workspace: Path) -> None:
    result = run_cli(["audit", "no-such-service"], starter_workspace)
    assert result.exit_code == 2 and "no service 'no-such-service'" in result.stderr
