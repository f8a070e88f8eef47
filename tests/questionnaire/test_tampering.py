"""A tampered workbook is refused with exit 2, every problem named, and the store unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from secaudit.questionnaire import layout as L
from secaudit.store import open_store
from secaudit.store.answers import latest_answers
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import GOOD, counts, export, fill, rows_by_ref


def _edit_question_text(wb: openpyxl.Workbook) -> None:
    wb.worksheets[1].cell(2, L.COL_QUESTION).value = "研修は不要ですか。"


def _swap_rows(wb: openpyxl.Workbook) -> None:
    sheet = wb.worksheets[1]
    for column in range(1, L.COL_COMMENT + 1):
        a, b = sheet.cell(5, column), sheet.cell(6, column)
        a.value, b.value = b.value, a.value


def _delete_metadata(wb: openpyxl.Workbook) -> None:
    del wb[L.META_SHEET]


def _change_service(wb: openpyxl.Workbook) -> None:
    meta = wb[L.META_SHEET]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "service_id":
            row[1].value = "kosodate-portal"


def _answer_outside_list(wb: openpyxl.Workbook) -> None:
    wb.worksheets[1].cell(2, L.COL_ANSWER).value = "たぶん"


def _formula_in_answer(wb: openpyxl.Workbook) -> None:
    wb.worksheets[1].cell(5, L.COL_ANSWER).value = '=HYPERLINK("http://attacker.example/","7")'


def _formula_in_evidence(wb: openpyxl.Workbook) -> None:
    wb.worksheets[1].cell(2, L.COL_EVIDENCE).value = "=cmd|' /C calc'!A0"


def _unknown_questionnaire(wb: openpyxl.Workbook) -> None:
    meta = wb[L.META_SHEET]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "questionnaire_id":
            row[1].value = "0" * 32


def _respondent_cell_not_a_cell(wb: openpyxl.Workbook) -> None:
    # found by the fuzzer: a damaged coordinate was used to index the sheet and crashed the import
    meta = wb[L.META_SHEET]
    for row in meta.iter_rows(max_col=2):
        if row[0].value == "answered_by_cell":
            row[1].value = "A1:Z99"


def _added_row(wb: openpyxl.Workbook) -> None:
    wb.worksheets[1].cell(40, L.COL_ANSWER).value = "はい"


CASES: list[tuple[str, Callable[[openpyxl.Workbook], None], str]] = [
    ("question text edited", _edit_question_text, "シート「回答」 2行目 D列（質問）: 書き出した質問票と一致しません"),
    ("two rows swapped", _swap_rows, "シート「回答」 5行目 A列（No）"),
    ("metadata sheet deleted", _delete_metadata, "metadata sheet '_secaudit' is missing"),
    ("service id changed", _change_service, "サービスID「kosodate-portal」が書き出した質問票"),
    (
        "answer outside the list",
        _answer_outside_list,
        "シート「回答」 2行目 F列（回答）: 「たぶん」は選択肢にありません",
    ),
    ("formula in an answer cell", _formula_in_answer, "5行目 F列（回答）: 回答が数式です。数式は受け付けません"),
    (
        "formula in an evidence cell",
        _formula_in_evidence,
        "2行目 G列（証跡（資料名・保管場所））: 証跡が数式です",
    ),
    ("unknown questionnaire id", _unknown_questionnaire, "はこのワークスペースから書き出されたものではありません"),
    ("row added below", _added_row, "40行目 A列（No）: 質問票の下に行が追加されています"),
    ("respondent cell is not a cell", _respondent_cell_not_a_cell, "metadata incomplete or damaged (answered_by_cell)"),
]


@pytest.mark.parametrize(("name", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_tampered_workbook_is_refused_and_store_unchanged(
    qworkspace: Path, tmp_path: Path, name: str, edit: Callable[[openpyxl.Workbook], None], expected: str
) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD, out=tmp_path / "good.xlsx")
    first = {**GOOD, "QT-6.1-001/q2": (3, None, "earlier")}
    fill(book, first, out=tmp_path / "earlier.xlsx")
    assert run_cli(["questionnaire", "import", str(tmp_path / "earlier.xlsx")], qworkspace).exit_code == 0
    before = counts(qworkspace)
    archived_before = sorted((qworkspace / ".secaudit" / "archive").rglob("*"))
    tampered = fill(tmp_path / "good.xlsx", {}, out=tmp_path / "tampered.xlsx", edit=edit)
    result = run_cli(["questionnaire", "import", str(tampered)], qworkspace)
    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr
    assert counts(qworkspace) == before
    assert sorted((qworkspace / ".secaudit" / "archive").rglob("*")) == archived_before
    store = open_store(find_workspace(qworkspace).database_url)
    assert latest_answers(store, "qtest-svc")[("QT-6.1-001", "q2")].value == 3


def test_every_problem_is_listed_at_once(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    bad = {
        "QT-5.2-001/q1": ("はい", None, None),  # evidence missing
        "QT-6.1-001/q1": ("ベンダー通知; 新聞", None, None),  # one label unknown
        "QT-6.1-001/q2": ("十日", None, None),
        "QT-6.1-001/q3": ("2020-02-30", "報告書", None),
    }
    fill(book, bad)
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 2
    rows = rows_by_ref(book)
    lines = result.stderr.splitlines()
    assert any(f"{rows['QT-5.2-001/q1']}行目 G列" in line and "証跡" in line for line in lines)
    assert any(f"{rows['QT-6.1-001/q1']}行目 F列" in line and "'新聞'" in line for line in lines)
    assert any(f"{rows['QT-6.1-001/q2']}行目 F列" in line and "数値ではありません" in line for line in lines)
    assert any(f"{rows['QT-6.1-001/q3']}行目 F列" in line and "存在しない日付" in line for line in lines)
    # the follow-up of a refused answer is neither judged nor reported missing on its own
    assert not any(f"{rows['QT-5.2-001/q2']}行目" in line for line in lines)
    assert counts(qworkspace)["answers"] == 0


def test_follow_up_answered_when_its_condition_is_not_met(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, {**GOOD, "QT-5.2-001/q1": ("いいえ", None, None)})
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 2
    row = rows_by_ref(book)["QT-5.2-001/q2"]
    assert f"{row}行目 F列（回答）: No. 1（QT-5.2-001/q1）の回答が「はい」ではないのに" in result.stderr


def test_partial_stores_valid_rows_and_lists_the_rest(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    answers = {**GOOD, "QT-6.1-001/q2": ("たくさん", None, None)}
    del answers["QT-6.1-001/q3"]
    fill(book, answers)
    assert run_cli(["questionnaire", "import", str(book)], qworkspace).exit_code == 2
    assert counts(qworkspace)["answers"] == 0
    result = run_cli(["questionnaire", "import", str(book), "--partial"], qworkspace)
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    summary = next(i for i, line in enumerate(lines) if "q.xlsx: 次の回答は保存していません" in line)
    assert lines[summary].endswith("（誤り 1件、必須の未回答 1件）")
    problems = [line for line in lines[summary + 1 :] if line.startswith("warning:   ")]
    assert len(problems) == 2 and "「たくさん」は数値ではありません" in problems[0]
    assert "QT-6.1-001/q3: 必須の質問に回答がありません" in problems[1]
    store = open_store(find_workspace(qworkspace).database_url)
    stored = latest_answers(store, "qtest-svc")
    assert set(stored) == {("QT-5.2-001", "q1"), ("QT-5.2-001", "q2"), ("QT-6.1-001", "q1"), ("QT-6.1-001", "q4")}


def test_partial_still_refuses_a_file_level_problem(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD, edit=_delete_metadata)
    result = run_cli(["questionnaire", "import", str(book), "--partial"], qworkspace)
    assert result.exit_code == 2
    assert counts(qworkspace)["answers"] == 0


def test_question_changed_in_catalog_since_export(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD)
    checklist = qworkspace / "checklists" / "qtest.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("研修を実施していますか。", "研修を毎年実施していますか。"),
        encoding="utf-8",
    )
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 2
    assert "QT-5.2-001/q1 は質問票の書き出し後にチェックリストで変更されました" in result.stderr


def test_service_removed_since_export(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD)
    (qworkspace / "services" / "qtest-svc.yaml").unlink()
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 2
    assert "シート「_secaudit」: サービス: no service 'qtest-svc'" in result.stderr
    assert counts(qworkspace)["answers"] == 0
