"""What an import says: in the workbook's language, a count first, and what a workbook of another kind is."""

from __future__ import annotations

from pathlib import Path

from secaudit.catalog import load_catalog
from secaudit.inventory import find_service
from secaudit.questionnaire.items import question_items
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import counts, export, fill


def _required_top_level(workspace: Path, service_id: str) -> int:
    """Required questions that do not wait on another answer: what an empty workbook leaves missing."""
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    service = find_service(ws.services_dir, service_id, catalog.checklists, ws.config.classification_scheme)
    items = question_items(catalog, service)
    return sum(1 for item in items if item.question.required and item.parent is None)


def test_problems_of_a_japanese_workbook_are_in_japanese_after_one_summary_line(
    workspace: Path, tmp_path: Path
) -> None:
    book = fill(export(workspace, "kosodate-portal", tmp_path / "kosodate.xlsx"), {})
    missing = _required_top_level(workspace, "kosodate-portal")
    assert missing > 100
    result = run_cli(["questionnaire", "import", str(book)], workspace)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: kosodate.xlsx: 必須の未回答 {missing}件。何も保存していません（修正するか、--partial で取り込んでください）"
    )
    assert len(lines) == 1 + missing
    assert all(line.startswith("  kosodate.xlsx: シート「回答」 ") for line in lines[1:])
    assert lines[1].endswith("行目 F列（回答）: ORG-1-001/q1: 必須の質問に回答がありません")


def test_problems_of_an_english_workbook_are_in_english(workspace: Path, tmp_path: Path) -> None:
    book = export(workspace, "kosodate-portal", tmp_path / "kosodate.xlsx", "--lang", "en")
    first = book.with_name("first.xlsx")
    fill(book, {}, out=first, edit=lambda wb: wb.worksheets[1].cell(2, 6, "perhaps"))
    missing = _required_top_level(workspace, "kosodate-portal") - 1
    result = run_cli(["questionnaire", "import", str(first)], workspace)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: first.xlsx: 1 error(s), {missing} required answer(s) missing; "
        "nothing stored (fix them, or import with --partial)"
    )
    assert lines[1] == (
        "  first.xlsx: sheet 'Answers', row 2, column F (Answer): 'perhaps' is not one of: Yes / No / Not applicable"
    )


def test_a_statement_of_applicability_given_as_a_questionnaire_is_named(workspace: Path, tmp_path: Path) -> None:
    soa = tmp_path / "soa.xlsx"
    written = run_cli(["checklist", "soa", "kosodate-portal", "--format", "xlsx", "-o", str(soa)], workspace)
    assert written.exit_code == 0, written.stderr
    before = counts(workspace)
    result = run_cli(["questionnaire", "import", str(soa)], workspace)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: soa.xlsx: これは適用宣言書のブック（secaudit checklist soa で作成）で、質問票ではありません。"
        "閲覧・印刷用のため、取り込むものはありません"
    )
    english = tmp_path / "soa-en.xlsx"
    run_cli(["checklist", "soa", "kosodate-portal", "--format", "xlsx", "-o", str(english), "--lang", "en"], workspace)
    result = run_cli(["questionnaire", "import", str(english)], workspace)
    assert result.exit_code == 2
    assert "this is a statement of applicability workbook (written by 'secaudit checklist soa')" in result.stderr
    assert counts(workspace) == before


def test_a_register_given_as_a_questionnaire_is_named(workspace: Path, tmp_path: Path) -> None:
    register = tmp_path / "register.xlsx"
    assert run_cli(["risk", "export", "kosodate-portal", "-o", str(register)], workspace).exit_code == 0
    result = run_cli(["questionnaire", "import", str(register)], workspace)
    assert result.exit_code == 2
    assert "これはリスク登録簿のブック（secaudit risk export で作成）で、質問票ではありません。" in result.stderr
    assert "secaudit risk import で取り込んでください" in result.stderr
