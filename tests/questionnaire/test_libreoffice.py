"""A workbook re-saved by another spreadsheet program (LibreOffice, headless) still imports."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl

from secaudit.questionnaire import layout as L
from secaudit.store import open_store
from secaudit.store.answers import latest_answers
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import GOOD, export, fill

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def test_workbook_resaved_by_libreoffice_imports(qworkspace: Path, tmp_path: Path) -> None:
    assert SOFFICE is not None, (
        "LibreOffice is not installed: make test installs it as root (apt-get install libreoffice-calc-nogui)"
    )
    book = fill(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx"), GOOD)
    outdir = tmp_path / "resaved"
    outdir.mkdir()
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    resaved = outdir / "q.xlsx"
    assert resaved.is_file() and resaved.read_bytes() != book.read_bytes()
    # the row heights written for wrapped questions and guidance are what LibreOffice shows (not one line each)
    before, after = (openpyxl.load_workbook(path).worksheets[1] for path in (book, resaved))
    for row in range(L.FIRST_ROW, before.max_row + 1):
        assert before.row_dimensions[row].height > 15  # LibreOffice's one line
        assert abs(after.row_dimensions[row].height - before.row_dimensions[row].height) < 1
    result = run_cli(["questionnaire", "import", str(resaved)], qworkspace)
    assert result.exit_code == 0, result.stderr
    stored = latest_answers(open_store(find_workspace(qworkspace).database_url), "qtest-svc")
    assert stored[("QT-6.1-001", "q1")].value == ["vendor", "jvn"]
    assert stored[("QT-5.2-001", "q1")].evidence == GOOD["QT-5.2-001/q1"][1]
