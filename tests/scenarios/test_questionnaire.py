"""``secaudit questionnaire`` from the command line, as a separate process: the must-show scenarios."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_subprocess
from tests.questionnaire.conftest import GOOD, add_qtest, counts, fill
from tests.test_workbook_guard import BOMB_DTD, rewrite

ANSWERS_SHEET = "xl/worksheets/sheet2.xml"


@pytest.fixture
def qworkspace(workspace: Path) -> Path:
    """The test workspace with the questionnaire test checklist and service."""
    return add_qtest(workspace)


def _run(workspace: Path, *args: str):
    return run_subprocess(["questionnaire", *args], cwd=workspace, env={"SECAUDIT_WORKSPACE": str(workspace)})


def test_round_trip_then_tampered_and_bomb_refused_with_answers_intact(qworkspace: Path, tmp_path: Path) -> None:
    book = tmp_path / "q.xlsx"
    exported = _run(qworkspace, "export", "qtest-svc", "-o", str(book), "--lang", "ja", "--due", "2026-12-20")
    assert exported.returncode == 0, exported.stderr
    fill(book, GOOD)
    imported = _run(qworkspace, "import", str(book))
    assert imported.returncode == 0, imported.stderr
    status = _run(qworkspace, "status", "--format", "json")
    assert status.returncode == 0
    row = next(s for s in json.loads(status.stdout) if s["service"] == "qtest-svc")
    assert (row["answered"], row["applicable_questions"], row["required_missing"]) == (6, 6, 0)
    before = counts(qworkspace)

    def edit(wb) -> None:
        wb.worksheets[1]["D2"] = "研修は任意ですか。"

    tampered = fill(book, {}, out=tmp_path / "tampered.xlsx", edit=edit)
    refused = _run(qworkspace, "import", str(tampered))
    assert refused.returncode == 2
    assert "シート「回答」 2行目 D列（質問）" in refused.stderr
    with zipfile.ZipFile(book) as z:
        sheet = z.read(ANSWERS_SHEET).decode()
    bomb = rewrite(
        book, tmp_path / "bomb.xlsx", {ANSWERS_SHEET: (BOMB_DTD + sheet.replace("<?xml", "<!--", 1)).encode()}
    )
    refused = _run(qworkspace, "import", str(bomb))
    assert refused.returncode == 2
    assert str(bomb) in refused.stderr and "DTD or entities" in refused.stderr
    assert counts(qworkspace) == before
    after = json.loads(_run(qworkspace, "status", "qtest-svc", "--format", "json").stdout)[0]
    assert after["answered"] == 6 and after["last_import"] == row["last_import"]


def test_status_table_lists_every_service(qworkspace: Path) -> None:
    result = _run(qworkspace, "status")
    assert result.returncode == 0, result.stderr
    for service in ("qtest-svc", "kosodate-portal", "zeimu-lgwan", "mynumber-kyufu"):
        assert service in result.stdout


def test_help_lists_the_questionnaire_commands() -> None:
    result = run_subprocess(["questionnaire", "--help"])
    assert result.returncode == 0
    for command in ("export", "import", "answer", "status"):
        assert command in result.stdout
