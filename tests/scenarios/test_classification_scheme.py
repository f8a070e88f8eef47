"""The workspace's classification scheme, through the real commands: 3A/3B/3C from the 令和6年10月版 on,
3/2/1 where a city still runs the 令和4年版 scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.scenarios.test_bad_input import READ_ONLY, SERVICE, assert_clean_refusal, set_line

CLASSIFICATION = "classification: {confidentiality: %s, integrity: 2, availability: 2}"


def declare_scheme(workspace: Path, scheme: str) -> int:
    """Put ``classification_scheme: <scheme>`` in secaudit.yaml; return its line."""
    return set_line(workspace / "secaudit.yaml", "classification_scheme:", f"classification_scheme: {scheme}")


def classify(workspace: Path, level: str) -> int:
    return set_line(workspace / "services" / f"{SERVICE}.yaml", "classification:", CLASSIFICATION % level)


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_a_bare_3_under_the_current_scheme_names_3a_3b_3c(workspace: Path, command: list[str]) -> None:
    line = classify(workspace, "3")
    result = run_cli(command, workspace)
    assert_clean_refusal(
        result,
        f"services/{SERVICE}.yaml:{line}:",
        "classification.confidentiality: 3 is the 令和4年版 機密性3; from the 令和6年10月版 on it is split into 3A, "
        "3B and 3C",
    )
    assert "'classification_scheme: r4' in secaudit.yaml" in " ".join(result.stderr.split())


@pytest.mark.parametrize("level", ["3A", "3b", "3C", "2", "1"])
def test_the_current_scheme_is_the_default_and_takes_its_levels(workspace: Path, level: str) -> None:
    classify(workspace, level)
    result = run_cli(["service", "validate", str(workspace / "services" / f"{SERVICE}.yaml")], workspace)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(run_cli(["service", "show", SERVICE, "--format", "json"], workspace).stdout)
    assert shown["classification"]["confidentiality"] == level.upper()


def test_the_older_scheme_takes_3_and_refuses_3b(workspace: Path) -> None:
    declare_scheme(workspace, "r4")
    for other in ("mynumber-kyufu", "kosodate-portal"):
        path = workspace / "services" / f"{other}.yaml"
        set_line(path, "classification:", CLASSIFICATION % "3")
    assert run_cli(["service", "validate"], workspace).exit_code == 0
    shown = run_cli(["service", "show", SERVICE, "--lang", "en"], workspace)
    assert "機密性 3 / 完全性 2 / 可用性 2 (令和4年版 and earlier (confidentiality 3/2/1))" in shown.stdout
    soa = run_cli(["checklist", "soa", SERVICE, "--format", "json"], workspace)
    assert soa.exit_code == 0, soa.stderr
    line = classify(workspace, "3B")
    result = run_cli(["service", "validate"], workspace)
    assert_clean_refusal(
        result,
        f"services/{SERVICE}.yaml:{line}:",
        "classification.confidentiality: 3B belongs to the 令和6年10月版 scheme (3A, 3B, 3C)",
    )


def test_an_unknown_scheme_names_the_config_file_and_field(workspace: Path) -> None:
    line = declare_scheme(workspace, "r5")
    result = run_cli(["service", "validate"], workspace)
    assert_clean_refusal(result, f"secaudit.yaml:{line}:", "classification_scheme")
    assert "'r6'" in result.stderr and "'r4'" in result.stderr


def test_a_new_workspace_declares_the_current_scheme(workspace: Path) -> None:
    assert "classification_scheme: r6" in (workspace / "secaudit.yaml").read_text(encoding="utf-8")
    shown = run_cli(["service", "show", "mynumber-kyufu"], workspace)
    assert "機密性 3A" in shown.stdout and "令和6年10月版以降の区分" in shown.stdout
