"""The questionnaire in another spreadsheet program (LibreOffice, headless): re-saved, it still imports; printed,
its instructions take one page."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from secaudit.questionnaire import layout as L
from secaudit.store import open_store
from secaudit.store.answers import latest_answers
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import GOOD, export, fill, libreoffice_convert

PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")


def test_workbook_resaved_by_libreoffice_imports(qworkspace: Path, tmp_path: Path) -> None:
    book = fill(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx"), GOOD)
    resaved = libreoffice_convert(book, tmp_path / "resaved")
    assert resaved.read_bytes() != book.read_bytes()
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


def test_instructions_print_on_one_page(workspace: Path, tmp_path: Path) -> None:
    for lang in ("ja", "en"):
        book = export(workspace, "kosodate-portal", tmp_path / f"instructions-{lang}.xlsx", "--lang", lang)
        wb = openpyxl.load_workbook(book)
        for sheet in wb.worksheets[1:]:  # print the instructions alone
            wb.remove(sheet)
        wb.save(book)
        pdf = libreoffice_convert(book, tmp_path / "printed", "pdf")
        assert len(PAGE.findall(pdf.read_bytes())) == 1, f"{lang}: the instructions print on more than one page"
