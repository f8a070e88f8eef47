"""The command line: init, checklist validate/list/show, service list/show/validate, log, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli, run_subprocess


def test_version() -> None:
    from secaudit import __version__

    result = run_cli(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"secaudit {__version__}"


def test_init_creates_a_private_workspace(tmp_path: Path) -> None:
    root = tmp_path / "audits"
    result = run_cli(["init", str(root)])
    assert result.exit_code == 0, result.stderr
    assert (root / "secaudit.yaml").is_file()
    assert (root / "services" / "example-portal.yaml").is_file()
    assert stat.S_IMODE(os.stat(root / ".secaudit").st_mode) == 0o700
    for path in (root / ".secaudit").iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, path
    # the example service is valid as written
    assert run_cli(["service", "validate"], root).exit_code == 0
    # a second init refuses to overwrite
    again = run_cli(["init", str(root)])
    assert again.exit_code == 2
    assert "already exists" in again.stderr


def test_checklist_validate_shipped_content() -> None:
    result = run_cli(["checklist", "validate", str(REPO / "checklists")])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("OK:")


def test_checklist_validate_names_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    text = (REPO / "checklists" / "mic-baseline.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "severity: high")
    lines[index] = lines[index].replace("high", "urgent")
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(["checklist", "validate", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:{index + 1}:" in result.stderr
    assert "severity" in result.stderr
    assert "Traceback" not in result.stderr


def test_checklist_validate_refuses_a_control_without_its_audit_procedures(tmp_path: Path) -> None:
    broken = tmp_path / "no-audit.yaml"
    lines = (REPO / "checklists" / "online-payment.yaml").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line == "    audit:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("      "))
    control_line = max(i for i in range(start) if lines[i].startswith("  - id: "))
    control_id = lines[control_line].removeprefix("  - id: ")
    broken.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")
    result = run_cli(["checklist", "validate", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:{control_line + 1}: controls[0] ({control_id}).audit: required field is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_checklist_list_json() -> None:
    result = run_cli(["checklist", "list", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    controls = json.loads(result.stdout)
    assert isinstance(controls, list) and len(controls) >= 10
    for control in controls:
        assert {"id", "domain", "control_type", "severity", "title"} <= set(control)
        assert control["title"]["ja"] and control["title"]["en"]


def test_checklist_list_filters(workspace: Path) -> None:
    tec = json.loads(run_cli(["checklist", "list", "--domain", "TEC", "--format", "json"], workspace).stdout)
    assert tec and all(c["domain"] == "TEC" for c in tec)
    saas = json.loads(
        run_cli(["checklist", "list", "--service", "kosodate-portal", "--format", "json"], workspace).stdout
    )
    lgwan = json.loads(run_cli(["checklist", "list", "--service", "zeimu-lgwan", "--format", "json"], workspace).stdout)
    saas_ids = {c["id"] for c in saas}
    lgwan_ids = {c["id"] for c in lgwan}
    assert "PHY-4.1-001" in lgwan_ids and "PHY-4.1-001" not in saas_ids  # server room: on-premises only
    assert "TEC-6.1-001" in saas_ids and "TEC-6.1-001" not in lgwan_ids  # TLS scan: internet-facing only


def test_checklist_show(workspace: Path) -> None:
    text = run_cli(["checklist", "show", "HUM-5.3-001", "--lang", "en"], workspace)
    assert text.exit_code == 0
    assert "Incident reporting procedure" in text.stdout
    assert "asked when q1 is yes" in text.stdout
    shown = " ".join(text.stdout.split())
    assert "audit, design (整備状況): Read the incident procedure for whom staff report to" in shown
    assert "techniques: document_review audit, operation (運用状況): Ask several staff" in shown
    assert "techniques: interview, document_review" in shown
    data = json.loads(run_cli(["checklist", "show", "HUM-5.3-001", "--format", "json"], workspace).stdout)
    assert data["id"] == "HUM-5.3-001" and data["questions"][1]["depends_on"]["question"] == "q1"
    missing = run_cli(["checklist", "show", "NOPE-1-001"], workspace)
    assert missing.exit_code == 2 and "no control 'NOPE-1-001'" in missing.stderr


def test_service_list_and_show(workspace: Path) -> None:
    services = json.loads(run_cli(["service", "list", "--format", "json"], workspace).stdout)
    assert {s["id"] for s in services} == {"kosodate-portal", "zeimu-lgwan", "mynumber-kyufu"}
    shown = run_cli(["service", "show", "kosodate-portal"], workspace)
    assert shown.exit_code == 0
    assert "子育て支援オンライン申請" in shown.stdout
    assert "https://localhost:8443/" in shown.stdout
    assert "scanned from zone internet" in shown.stdout  # no scope.zone: the network tier


def test_service_validate_warns_about_unshipped_checklists(workspace: Path) -> None:
    result = run_cli(["service", "validate"], workspace)
    assert result.exit_code == 0, result.stderr
    assert "OK: 3 service(s) valid" in result.stderr


def test_service_with_path_traversal_id_is_refused(workspace: Path) -> None:
    path = workspace / "services" / "evil.yaml"
    text = (workspace / "services" / "zeimu-lgwan.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("id: zeimu-lgwan", "id: ../etc"), encoding="utf-8")
    result = run_cli(["service", "validate"], workspace)
    assert result.exit_code == 2
    assert f"{path}:2:" in result.stderr and "id:" in result.stderr
    by_id = run_cli(["service", "show", "../etc"], workspace)
    assert by_id.exit_code == 2 and "not a valid service id" in by_id.stderr


def test_no_workspace_is_a_usage_error(tmp_path: Path) -> None:
    result = run_subprocess(["service", "list"], cwd=tmp_path, env={"SECAUDIT_WORKSPACE": ""})
    assert result.returncode == 2
    assert "no secaudit.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_workspace_found_by_walking_up(workspace: Path) -> None:
    deep = workspace / "services"
    result = run_subprocess(["service", "list", "--format", "json"], cwd=deep, env={"SECAUDIT_WORKSPACE": ""})
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3


def test_debug_shows_traceback(workspace: Path) -> None:
    result = run_subprocess(["--debug", "--workspace", str(workspace), "checklist", "show", "NOPE-1-001"])
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_log_verify_and_tampering(workspace: Path) -> None:
    assert run_cli(["log", "verify"], workspace).exit_code == 0
    import sqlite3

    db = workspace / ".secaudit" / "secaudit.db"
    conn = sqlite3.connect(db)
    conn.execute("drop trigger audit_log_no_update")
    conn.execute("update audit_log set actor = 'mallory' where seq = 1")
    conn.commit()
    result = run_cli(["log", "verify"], workspace)
    assert result.exit_code == 1
    assert "audit_log seq 1" in result.stderr and "edited" in result.stderr


def test_installed_console_script(workspace: Path) -> None:
    script = Path(sys.executable).parent / "secaudit"
    if not script.exists():
        script_path = shutil.which("secaudit")
        if script_path is None:
            pytest.skip("the secaudit console script is not installed in this environment (run 'make install')")
        script = Path(script_path)
    import subprocess

    env = {**os.environ, "SECAUDIT_WORKSPACE": str(workspace)}
    result = subprocess.run(
        [str(script), "checklist", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


def test_checklist_validate_checks_assertions_against_the_probes(tmp_path: Path) -> None:
    scanners = tmp_path / "extra-checks.yaml"
    scanners.write_text(
        "checks:\n"
        "  - id: http.made-up\n"
        "    probe: http\n"
        "    title: {ja: 架空, en: Made up}\n"
        "    severity: low\n"
        "    assertion: no_such_assertion\n",
        encoding="utf-8",
    )
    result = run_cli(["checklist", "validate", str(scanners)])
    assert result.exit_code == 2
    assert f"{scanners}:2:" in result.stderr and "no_such_assertion" in result.stderr
