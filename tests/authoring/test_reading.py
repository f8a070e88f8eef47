"""Excel authoring of checklists: lossless round trip, layout, and hostile or broken workbooks."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml

from secaudit.authoring import AuthoringError, checklist_yaml, export_checklist, import_checklist
from secaudit.authoring import sheets as sheets_module
from secaudit.authoring.layout import COLUMNS
from secaudit.catalog import validate_checklist_file
from secaudit.model import Checklist
from secaudit.workbook_guard import LIMITS
from secaudit.workspace import builtin_dir
from secaudit.yamlsource import load_yaml

SHIPPED = sorted(builtin_dir("checklists").glob("*.yaml"))
WEB = builtin_dir("checklists") / "web-service.yaml"
BASELINE = builtin_dir("checklists") / "mic-baseline.yaml"


def load(path: Path) -> Checklist:
    return validate_checklist_file(load_yaml(path))


def write_book(checklist: Checklist, path: Path) -> Path:
    path.write_bytes(export_checklist(checklist))
    return path


def column_of(sheet: openpyxl.worksheet.worksheet.Worksheet, key: str) -> int:
    return [c.value for c in sheet[1]].index(key) + 1


def first_row_of(sheet: openpyxl.worksheet.worksheet.Worksheet, control_id: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == control_id)


def edit(path: Path, control_id: str, key: str, value: object, offset: int = 0) -> tuple[int, str]:
    """Change one cell of the controls sheet; return its row and column letter."""
    book = openpyxl.load_workbook(path)
    sheet = book["controls"]
    row = first_row_of(sheet, control_id) + offset
    column = column_of(sheet, key)
    sheet.cell(row, column).value = value
    book.save(path)
    return row, openpyxl.utils.get_column_letter(column)


def problems_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(AuthoringError) as caught:
        import_checklist(path, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems] or [caught.value.message]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_round_trip_of_every_shipped_checklist_is_lossless(path: Path, tmp_path: Path) -> None:
    original = load(path)
    back = import_checklist(write_book(original, tmp_path / f"{path.stem}.xlsx"))
    assert back.model_dump() == original.model_dump()
    out = tmp_path / f"{path.stem}.yaml"
    out.write_text(checklist_yaml(back, source="book.xlsx"), encoding="utf-8")
    assert load(out).model_dump() == original.model_dump()


def test_one_row_per_question_with_control_fields_on_the_first_row(tmp_path: Path) -> None:
    checklist = load(WEB)
    book = openpyxl.load_workbook(write_book(checklist, tmp_path / "web.xlsx"))
    sheet = book["controls"]
    assert [c.value for c in sheet[1]] == [c.key for c in COLUMNS]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]
    assert len(rows) == sum(max(1, len(c.questions)) for c in checklist.controls)
    header = [c.value for c in sheet[1]]
    diagnosis = [r for r in rows if r[0] == "WEB-6.3-002"]
    assert len(diagnosis) == 3  # three questions
    assert diagnosis[0][header.index("severity")] == "critical" and diagnosis[1][header.index("severity")] is None
    assert [r[header.index("question_id")] for r in diagnosis] == ["q1", "q2", "q3"]
    scan_only = [r for r in rows if r[0] == "WEB-6.3-012"]
    assert len(scan_only) == 1 and scan_only[0][header.index("question_id")] is None
    assert "http.frame-protection" in scan_only[0][header.index("checks")]
    assert sheet.freeze_panes == "C2"
    validated = {str(v.sqref).split(":")[0].rstrip("0123456789") for v in sheet.data_validations.dataValidation}
    for key in ("domain", "control_type", "severity", "question_type", "procedure_1", "required"):
        assert openpyxl.utils.get_column_letter(column_of(sheet, key)) in validated
    info = {r[0]: r[1:] for r in book["checklist"].iter_rows(min_row=2, values_only=True)}
    assert info["id"][0] == "web-service" and info["title"][1] == "ウェブサービス公開チェックリスト"


def test_scope_has_its_own_column_and_comes_back_edited(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    sheet = openpyxl.load_workbook(path)["controls"]
    assert sheet.cell(first_row_of(sheet, "WEB-7.3-001"), column_of(sheet, "scope")).value == "service"
    edit(path, "WEB-7.3-001", "scope", "organisation")
    back = next(c for c in import_checklist(path).controls if c.id == "WEB-7.3-001")
    assert back.scope.value == "organisation"
    row, letter = edit(path, "WEB-7.3-001", "scope", "city")
    assert any(f"row {row}, column {letter}" in p and "'organisation'" in p for p in problems_of(path))


def test_audit_procedures_have_their_own_columns_and_come_back_edited(tmp_path: Path) -> None:
    original = load(BASELINE)
    path = write_book(original, tmp_path / "web.xlsx")
    sheet = openpyxl.load_workbook(path)["controls"]
    row = first_row_of(sheet, "TEC-6.5-004")
    control = next(c for c in original.controls if c.id == "TEC-6.5-004")
    assert sheet.cell(row, column_of(sheet, "design_ja")).value == control.audit.design.ja
    assert sheet.cell(row, column_of(sheet, "operation_techniques")).value == "scan, re_performance"
    edit(path, "TEC-6.5-004", "operation_en", "Provoke an error page and read it.")
    edit(path, "TEC-6.5-004", "design_techniques", "document_review, interview")
    edit(path, "TEC-6.5-004", "procedure_4", "interview")
    back = next(c for c in import_checklist(path).controls if c.id == "TEC-6.5-004")
    assert back.audit.operation.en == "Provoke an error page and read it."
    assert [t.value for t in back.audit.operation.techniques] == ["scan", "re_performance"]
    assert [t.value for t in back.audit.design.techniques] == ["document_review", "interview"]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("operation_en", None, "Field required"),
        ("design_techniques", "document_review, reading", "Input should be 'document_review'"),
        ("design_techniques", None, "name at least one technique"),
        (
            "operation_techniques",
            "scan",
            "procedure lists scan, re_performance, document_review, but audit.design and audit.operation use document_review, scan",
        ),
    ],
)
def test_audit_cells_are_validated_naming_the_cell(tmp_path: Path, key: str, value: object, message: str) -> None:
    path = write_book(load(BASELINE), tmp_path / "baseline.xlsx")
    row, letter = edit(path, "TEC-6.5-004", key, value)
    problems = problems_of(path)
    if key == "operation_techniques":  # a disagreement with procedure belongs to the whole control: its first cell
        letter = "A"
    assert any(f"row {row}, column {letter}" in p and message in p for p in problems), problems


def test_text_that_looks_like_a_formula_is_protected_and_restored(tmp_path: Path) -> None:
    checklist = load(WEB)
    control = checklist.controls[0]
    control.title = control.title.model_copy(update={"ja": '=HYPERLINK("http://evil")', "en": "@SUM(1)"})
    control.rationale = control.rationale.model_copy(update={"en": "'=already quoted"})
    path = write_book(checklist, tmp_path / "hostile.xlsx")
    sheet = openpyxl.load_workbook(path)["controls"]
    cell = sheet.cell(2, column_of(sheet, "title_ja"))
    assert cell.data_type == "s" and cell.value.startswith("'=")
    back = import_checklist(path)
    assert back.controls[0].title.ja == '=HYPERLINK("http://evil")'
    assert back.controls[0].title.en == "@SUM(1)"
    assert back.controls[0].rationale.en == "'=already quoted"


def test_bad_severity_is_named_by_sheet_row_and_column(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-004", "severity", "catastrophic")
    problems = problems_of(path)
    assert any(f"sheet 'controls', row {row}, column {letter} (severity)" in p for p in problems), problems
    assert any("critical" in p for p in problems)


def test_formula_cell_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-005", "rationale_en", "=1+1")
    problems = problems_of(path)
    assert any(f"row {row}, column {letter}" in p and "formula" in p for p in problems), problems


def test_unknown_question_type_is_refused(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-002", "question_type", "essay", offset=1)
    problems = problems_of(path)
    assert any(f"row {row}, column {letter} (question_type)" in p for p in problems), problems


def test_missing_japanese_title_is_refused(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-012", "title_ja", None)
    problems = problems_of(path)
    assert any(f"row {row}, column {letter} (title_ja)" in p for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    edit(path, "WEB-6.3-004", "severity", "catastrophic")
    edit(path, "WEB-6.3-012", "domain", "XYZ")
    edit(path, "WEB-6.3-009", "required", "maybe")
    problems = problems_of(path)
    assert len(problems) >= 3
    assert {"(severity)", "(domain)", "(required)"} <= {p[p.index("(") : p.index(")") + 1] for p in problems}


def test_unknown_check_and_bad_dependency_are_refused(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    edit(path, "WEB-6.3-012", "checks", "tls.no-such-check")
    edit(path, "WEB-6.3-002", "depends_on", "q9: yes", offset=1)
    problems = problems_of(path, known_checks={"tls.legacy-protocols-disabled"})
    assert any("(checks)" in p and "tls.no-such-check" in p for p in problems), problems
    assert any("(depends_on)" in p and "q9" in p for p in problems), problems


def test_structural_mistakes_are_named(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["controls"]
    sheet.cell(1, len(COLUMNS) + 1).value = "colour"
    row = sheet.max_row + 1
    sheet.cell(row, 1).value = "WEB-9.9-999"
    sheet.cell(row, column_of(sheet, "question_id")).value = "q1"
    sheet.cell(row + 1, column_of(sheet, "title_en")).value = "orphan"
    first = first_row_of(sheet, "WEB-6.3-003")
    sheet.cell(row + 2, 1).value = "WEB-6.3-003"
    sheet.cell(row + 2, column_of(sheet, "severity")).value = "low"
    book.save(path)
    problems = "\n".join(problems_of(path))
    assert "unknown column header 'colour'" in problems
    assert "WEB-9.9-999, which has no row with its control fields" in problems
    assert f"row {row + 1}, column A (id): id is empty" in problems
    assert f"already on row {first}" in problems


def test_evidence_lists_must_pair_up(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-003", "evidence_en", "only one")
    problems = problems_of(path)
    assert any(f"row {row}, column {letter} (evidence_en)" in p and "pairs" in p for p in problems), problems


def test_missing_header_sheet_is_refused(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    book = openpyxl.load_workbook(path)
    del book["checklist"]
    book.save(path)
    assert any("no sheet 'checklist'" in p for p in problems_of(path))


def test_non_xlsx_files_are_refused(tmp_path: Path) -> None:
    csv = tmp_path / "controls.csv"
    csv.write_text("id,severity\n", encoding="utf-8")
    with pytest.raises(AuthoringError, match="not an .xlsx workbook"):
        import_checklist(csv)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id,severity\n", encoding="utf-8")
    with pytest.raises(AuthoringError, match="not a zip container"):
        import_checklist(fake)
    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(AuthoringError, match="no xl/workbook.xml"):
        import_checklist(other_zip)


def test_the_workbook_guard_runs_before_parsing(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(LIMITS.max_file_bytes + 1)
    with pytest.raises(AuthoringError, match=f"the limit is {LIMITS.max_file_bytes} bytes"):
        import_checklist(huge)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 << 20))
    with pytest.raises(AuthoringError, match="a zip bomb"):
        import_checklist(bomb)


def test_too_many_rows_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    monkeypatch.setattr(sheets_module, "LIMITS", dataclasses.replace(LIMITS, max_rows=10))
    with pytest.raises(AuthoringError, match="the limit is 10"):
        import_checklist(path)


def test_yaml_output_is_plain_and_reloads(tmp_path: Path) -> None:
    text = checklist_yaml(load(WEB), source="web.xlsx")
    assert text.startswith("# Converted by 'secaudit checklist import' from web.xlsx.")
    data = yaml.safe_load(text)
    assert data["checklist"]["id"] == "web-service"
    assert data["controls"][0]["questions"][0]["type"] == "choice"  # WEB-6.3-002: how the application was tested


def test_xml_entity_declarations_are_refused(tmp_path: Path) -> None:
    source = write_book(load(WEB), tmp_path / "web.xlsx")
    hostile = tmp_path / "entities.xlsx"
    declaration = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(hostile, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
                data = (declaration + body).encode("utf-8")
            copy.writestr(item, data)
    # the workbook guard refuses it before defusedxml would
    with pytest.raises(AuthoringError, match="declares a DTD or entities"):
        import_checklist(hostile)


def test_dates_typed_into_text_cells_are_refused(tmp_path: Path) -> None:
    import datetime as dt

    path = write_book(load(WEB), tmp_path / "web.xlsx")
    row, letter = edit(path, "WEB-6.3-003", "section", dt.datetime(2026, 6, 3))
    problems = problems_of(path)
    assert any(f"row {row}, column {letter} (section)" in p and "date" in p for p in problems), problems


def test_bad_header_is_named_on_the_checklist_sheet(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["checklist"]
    sheet["B2"].value = "Web Service!"
    sheet["D4"].value = None
    book.save(path)
    problems = problems_of(path)
    assert any("sheet 'checklist', row 2, column B (value)" in p and "pattern" in p for p in problems), problems
    assert any("sheet 'checklist', row 4, column D (en)" in p for p in problems), problems


def test_a_sheet_without_headers_reports_a_bounded_list(tmp_path: Path) -> None:
    path = write_book(load(WEB), tmp_path / "web.xlsx")
    book = openpyxl.load_workbook(path)
    book["controls"].delete_rows(1)
    book.save(path)
    with pytest.raises(AuthoringError) as caught:
        import_checklist(path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 101 and problems[-1].endswith("more problem(s)")
    assert "unknown column header" in problems[0]
    assert any("value in a column without a header" in p for p in problems)
