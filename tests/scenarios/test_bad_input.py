"""Bad input is a clear error (exit 2, file, line and field), never an internal error, in every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli, run_subprocess

SERVICE = "kosodate-portal"
READ_ONLY = [
    ["service", "validate"],
    ["gate", SERVICE],
    ["dashboard", "--format", "json"],
    ["report", SERVICE, "--format", "json"],
    ["checklist", "soa", SERVICE],
]


def set_line(path: Path, prefix: str, replacement: str) -> int:
    """Replace the line of ``path`` starting with ``prefix``; return its (1-based) number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    lines[index] = replacement
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index + 1


def assert_clean_refusal(result: object, where: str, field: str) -> None:
    exit_code, stderr = result.exit_code, result.stderr  # type: ignore[attr-defined]
    assert exit_code == 2, stderr
    assert where in stderr and field in stderr, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_an_impossible_launch_date_names_file_and_line(workspace: Path, command: list[str]) -> None:
    line = set_line(workspace / "services" / f"{SERVICE}.yaml", "launch_date:", "launch_date: 2027-02-30")
    result = run_cli(command, workspace)
    assert_clean_refusal(result, f"services/{SERVICE}.yaml:{line}:", "launch_date: not a real date: 2027-02-30")


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_a_misspelt_checklist_names_file_line_and_the_known_ones(workspace: Path, command: list[str]) -> None:
    # today's warning let the service reach GO without the 29 web-service controls
    path = workspace / "services" / f"{SERVICE}.yaml"
    line = set_line(path, "checklists:", "checklists: [mic-baseline, web-servce]")
    result = run_cli(command, workspace)
    assert_clean_refusal(result, f"services/{SERVICE}.yaml:{line}:", "unknown checklist 'web-servce'")
    assert "did you mean 'web-service'?" in result.stderr
    assert "known: cloud-saas, mic-baseline, online-payment, web-service" in result.stderr


@pytest.mark.parametrize("command", [["questionnaire", "export", SERVICE], ["audit", SERVICE, "--no-scan"]], ids=str)
def test_commands_that_write_refuse_an_empty_checklist_list(workspace: Path, command: list[str]) -> None:
    path = workspace / "services" / f"{SERVICE}.yaml"
    line = set_line(path, "checklists:", "checklists: []")
    result = run_cli([*command, "-o", str(workspace / "out.xlsx")], workspace)
    assert_clean_refusal(result, f"services/{SERVICE}.yaml:{line}:", "name at least one checklist")
    assert not (workspace / "out.xlsx").exists()


def test_the_dashboard_still_shows_the_valid_services(workspace: Path) -> None:
    set_line(workspace / "services" / f"{SERVICE}.yaml", "launch_date:", "launch_date: 2027-02-30")
    output = workspace / "board.html"
    result = run_cli(["dashboard", "-o", str(output)], workspace)
    assert result.exit_code == 2
    assert "dashboard of 2 services written" in result.stderr
    assert output.is_file()


@pytest.mark.parametrize(
    "command", [["dashboard"], ["report", SERVICE], ["gate", SERVICE], ["schedule", "show"]], ids=str
)
def test_an_unknown_time_zone_is_one_error_in_every_command(workspace: Path, command: list[str]) -> None:
    # the dashboard used to die with an internal error and the report to fall back to UTC without a word
    line = set_line(workspace / "secaudit.yaml", "timezone:", "timezone: Asia/Tokio")
    result = run_cli(command, workspace)
    assert_clean_refusal(
        result, f"secaudit.yaml:{line}:", "timezone: unknown time zone 'Asia/Tokio' (an IANA name such as Asia/Tokyo)"
    )


def test_a_subprocess_prints_no_traceback_either(workspace: Path) -> None:
    line = set_line(workspace / "services" / f"{SERVICE}.yaml", "launch_date:", "launch_date: 2027-02-30")
    result = run_subprocess(["gate", SERVICE], cwd=workspace)
    assert result.returncode == 2
    assert f"services/{SERVICE}.yaml:{line}: launch_date: not a real date" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
