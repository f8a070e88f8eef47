"""``--workspace`` / ``-w`` before or after the command (README), the one after winning."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, run_subprocess
from tests.questionnaire.conftest import answer_organisation, compliant_answers, export, fill

SERVICE = "kosodate-portal"


def test_workspace_after_the_command(workspace: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    validated = run_subprocess(["service", "validate", "--workspace", str(workspace)], cwd=elsewhere)
    assert validated.returncode == 0, validated.stderr
    assert "OK: 3 service(s) valid" in validated.stderr
    short = run_subprocess(["gate", SERVICE, "-w", str(workspace)], cwd=elsewhere)
    assert short.returncode == 1 and f"{SERVICE}: NO-GO" in short.stdout, short.stderr


def test_questionnaire_import_with_the_workspace_after_the_file(workspace: Path, tmp_path: Path) -> None:
    book = fill(export(workspace, SERVICE, tmp_path / "q.xlsx"), compliant_answers(workspace, SERVICE))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_subprocess(["questionnaire", "import", str(book), "--workspace", str(workspace)], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    answer_organisation(workspace, tmp_path)  # the city-wide answers the service inherits
    status = run_cli(["questionnaire", "status", SERVICE, "--format", "json"], workspace)
    assert '"required_missing": 0' in status.stdout, status.stdout


def test_the_workspace_after_the_command_wins_over_the_one_before(workspace: Path, tmp_path: Path) -> None:
    empty = tmp_path / "not-a-workspace"
    empty.mkdir()
    after_wins = run_cli(["-w", str(empty), "service", "validate", "-w", str(workspace)])
    assert after_wins.exit_code == 0, after_wins.stderr
    before_loses = run_cli(["-w", str(workspace), "service", "validate", "-w", str(empty)])
    assert before_loses.exit_code == 2 and f"{empty}: not a secaudit workspace" in before_loses.stderr


def test_every_command_but_init_documents_the_workspace_option() -> None:
    assert "-w, --workspace" in run_cli(["questionnaire", "import", "--help"]).stdout
    assert "-w, --workspace" in run_cli(["service", "validate", "--help"]).stdout
    assert "--workspace" not in run_cli(["init", "--help"]).stdout
