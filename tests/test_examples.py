"""The demo's pieces: the example services validate, and the owner's filled workbook imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, run_cli


def test_owner_fill_produces_an_importable_workbook(workspace: Path, tmp_path: Path) -> None:
    exported = tmp_path / "q.xlsx"
    assert run_cli(["questionnaire", "export", "kosodate-portal", "-o", str(exported)], workspace).exit_code == 0
    filled = tmp_path / "answered.xlsx"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    fill = subprocess.run(
        [sys.executable, str(REPO / "examples" / "owner_fill.py"), str(exported),
         str(REPO / "examples" / "answers" / "kosodate-portal.yaml"), "--workspace", str(workspace), "-o", str(filled)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert fill.returncode == 0, fill.stderr
    imported = run_cli(["questionnaire", "import", str(filled)], workspace)
    assert imported.exit_code == 0, imported.stderr
    status = json.loads(run_cli(["questionnaire", "status", "kosodate-portal", "--format", "json"], workspace).stdout)
    assert status[0]["missing"] == status[0]["missing_from_organisation"] != []  # the city has not answered yet
    city = tmp_path / "city.xlsx"
    assert run_cli(["questionnaire", "export", "--organisation", "-o", str(city)], workspace).exit_code == 0
    fill = subprocess.run(
        [sys.executable, str(REPO / "examples" / "owner_fill.py"), str(city),
         str(REPO / "examples" / "answers" / "organisation.yaml"), "--workspace", str(workspace)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert fill.returncode == 0, fill.stderr
    imported = run_cli(["questionnaire", "import", "--organisation", str(city)], workspace)
    assert imported.exit_code == 0, imported.stderr
    status = json.loads(run_cli(["questionnaire", "status", "kosodate-portal", "--format", "json"], workspace).stdout)
    assert status[0]["required_missing"] == 0 and status[0]["missing"] == []
    assessed = json.loads(run_cli(["assess", "kosodate-portal", "--format", "json"], workspace).stdout)
    by_id = {r["control_id"]: r["status"] for r in assessed["results"]}
    assert by_id["HUM-5.4-001"] == "fail"  # the demo owner's admin accounts have no MFA
    assert by_id["HUM-5.2-001"] == "partial"  # the city's training 400 days ago, inherited
