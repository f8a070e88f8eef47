"""The exported workbook: what the owner sees, what is protected, what is hidden."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from secaudit.catalog import load_catalog
from secaudit.inventory import find_service
from secaudit.questionnaire import layout as L
from secaudit.store import open_store
from secaudit.store.answers import get_questionnaire
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import export, rows_by_ref


def _meta(wb: openpyxl.Workbook) -> dict[str, object]:
    return {r[0]: r[1] for r in wb[L.META_SHEET].iter_rows(max_col=2, values_only=True) if isinstance(r[0], str)}


def test_sheets_hidden_metadata_and_store_record(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx", "--due", "2026-12-20")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["記入方法", "回答", L.LISTS_SHEET, L.META_SHEET]
    assert wb[L.META_SHEET].sheet_state == "veryHidden"
    assert wb[L.LISTS_SHEET].sheet_state == "veryHidden"
    assert wb[L.META_SHEET].protection.sheet
    assert wb.security.lockStructure
    meta = _meta(wb)
    assert meta["service_id"] == "qtest-svc"
    record = get_questionnaire(open_store(find_workspace(qworkspace).database_url), str(meta["questionnaire_id"]))
    assert record is not None and record["service_id"] == "qtest-svc" and record["due"] == "2026-12-20"
    assert meta["catalog_version"] == record["catalog_version"]
    rows = list(wb[L.META_SHEET].iter_rows(max_col=5, values_only=True))
    table = rows[rows.index(L.META_TABLE_HEADER) + 1 :]
    assert {f"{r[2]}/{r[3]}": r[4] for r in table} == record["questions"]
    instructions = wb["記入方法"]
    values = [c.value for row in instructions.iter_rows() for c in row if c.value]
    assert "2026-12-20" in values
    assert "山田 花子 <yamada@city.example.jp>" in values
    assert "佐藤 一郎 <sato@city.example.jp>" in values
    assert instructions["B9"].protection.locked is False
    assert instructions.protection.sheet


def test_answers_sheet_layout_protection_and_print_setup(qworkspace: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx"))
    ws = wb["回答"]
    assert [c.value for c in ws[1]] == list(L.WORDS["ja"].headers)
    assert ws.freeze_panes == "D2"
    assert ws.auto_filter.ref == "A1:H7"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.protection.sheet
    for row in range(2, 8):
        assert ws.cell(row, L.COL_QUESTION).alignment.wrap_text
        for column in range(1, 9):
            locked = ws.cell(row, column).protection.locked
            assert locked is (column not in L.ANSWER_COLUMNS.values())
    assert ws.column_dimensions["D"].width == L.WIDTHS[L.COL_QUESTION]
    assert len(ws.conditional_formatting) == 5  # the five required questions


def test_dropdowns_show_labels_in_the_chosen_language(qworkspace: Path, tmp_path: Path) -> None:
    for lang, labels in (("ja", ["はい", "いいえ", "該当しない"]), ("en", ["Yes", "No", "Not applicable"])):
        wb = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / f"{lang}.xlsx", "--lang", lang))
        ws = wb.worksheets[1]
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        assert len(lists) == 2  # yes/no and the drill-status choice
        yes_no = next(dv for dv in lists if "F2" in str(dv.sqref))
        column = yes_no.formula1.split("!")[1].split(":")[0].replace("$", "").rstrip("1")
        assert [wb[L.LISTS_SHEET][f"{column}{i}"].value for i in range(1, 4)] == labels


def test_follow_up_follows_its_question_and_says_when(qworkspace: Path, tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")).worksheets[1]
    assert ws["B2"].value == "QT-5.2-001" and ws["B3"].value == "QT-5.2-001"
    assert ws["D3"].value == "[No. 1 が「はい」の場合に回答] 訓練の状況は？"


def test_text_is_protected_from_formula_injection(qworkspace: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx"))
    ws = wb.worksheets[1]
    assert ws["D4"].value == "'=1+1 脆弱性情報の入手元は？"
    assert ws["D4"].data_type == "s"
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_only_applicable_controls_are_asked(workspace: Path, tmp_path: Path) -> None:
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    for service_id in ("kosodate-portal", "zeimu-lgwan"):
        book = export(workspace, service_id, tmp_path / f"{service_id}.xlsx")
        sheet = openpyxl.load_workbook(book).worksheets[1]
        exported = {sheet.cell(r, L.COL_CONTROL).value for r in range(2, sheet.max_row + 1)}
        service = find_service(ws.services_dir, service_id, catalog.checklists, ws.config.classification_scheme)
        city_wide = catalog.organisation_control_ids()
        expected = {c.id for c in catalog.applicable_controls(service) if c.questions}
        assert exported == expected - city_wide  # the organisation answers those once
        excluded = {a.control.id for a in catalog.applicability(service) if not a.applicable}
        assert not exported & excluded
        book = export(workspace, service_id, tmp_path / f"{service_id}-all.xlsx", "--include-organisation")
        sheet = openpyxl.load_workbook(book).worksheets[1]
        assert {sheet.cell(r, L.COL_CONTROL).value for r in range(2, sheet.max_row + 1)} == expected


def test_export_replaces_the_file_atomically(qworkspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "q.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"old")
    export(qworkspace, "qtest-svc", target)
    assert [p.name for p in target.parent.iterdir()] == ["q.xlsx"]
    assert target.read_bytes().startswith(b"PK")


def test_export_input_errors(qworkspace: Path, tmp_path: Path) -> None:
    cases = [
        (["no-such-service"], "no service 'no-such-service'"),
        (["qtest-svc", "--due", "2026-13-01"], "--due: '2026-13-01' is not a date"),
        (["qtest-svc", "-o", str(tmp_path / "q.csv")], "must end in .xlsx"),
        (["../etc"], "not a valid service id"),
    ]
    for args, message in cases:
        result = run_cli(["questionnaire", "export", *args], qworkspace)
        assert result.exit_code == 2, args
        assert message in result.stderr


LONG_QUESTION = (
    "外部委託先が取り扱う住民の個人情報について、" * 12 + "契約で定めた安全管理措置の実施状況を確認していますか。"
)
LONG_HELP = "確認の方法（立入検査、報告書の提出、第三者認証の確認など）と頻度を記録してください。" * 3


def _excel_lines(text: str, width: float) -> int:
    """Fewest lines Excel can wrap ``text`` into: a column ``width`` wide is 7*width+5 px, a kanji at least 14 px."""
    per_line = max(1, int((7 * width + 5) // 14))
    return sum(max(1, -(-len(paragraph) // per_line)) for paragraph in text.split("\n"))


def test_rows_are_tall_enough_to_read_question_and_guidance_in_full(qworkspace: Path, tmp_path: Path) -> None:
    checklist = qworkspace / "checklists" / "qtest.yaml"
    text = checklist.read_text(encoding="utf-8")
    text = text.replace(
        'text: {ja: 補足があれば記入してください。, en: "Anything to add?"}',
        f'text: {{ja: "{LONG_QUESTION}", en: "Anything to add?"}}\n        help: {{ja: "{LONG_HELP}", en: "How"}}',
    )
    checklist.write_text(text, encoding="utf-8")
    ws = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")).worksheets[1]
    heights = {}
    for row in range(L.FIRST_ROW, ws.max_row + 1):
        height = ws.row_dimensions[row].height
        assert height is not None, f"row {row} has no height: LibreOffice would show one line of it"
        for column in (L.COL_QUESTION, L.COL_GUIDANCE):
            lines = _excel_lines(str(ws.cell(row, column).value), L.WIDTHS[column])
            assert height >= lines * 13.5, f"row {row}: {height} pt cannot show {lines} lines of column {column}"
        heights[ws.cell(row, L.COL_CONTROL).value, ws.cell(row, L.COL_QUESTION).value] = height
    long_row = next(h for (_, question), h in heights.items() if LONG_QUESTION in str(question))
    assert long_row > max(h for (_, question), h in heights.items() if LONG_QUESTION not in str(question))


def _guidance(book: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(book).worksheets[1]
    rows = rows_by_ref(book)
    return {ref: str(ws.cell(row, L.COL_GUIDANCE).value) for ref, row in rows.items()}


def test_guidance_names_the_compliant_answers_and_when_evidence_is_needed(qworkspace: Path, tmp_path: Path) -> None:
    ja = _guidance(export(qworkspace, "qtest-svc", tmp_path / "ja.xlsx"))
    assert "適合: 「はい」" in ja["QT-5.2-001/q1"].splitlines()
    assert "【証跡が必要】「はい」と回答する場合は" in ja["QT-5.2-001/q1"]
    assert {"適合: 「実施した」", "一部適合: 「計画中」"} <= set(ja["QT-5.2-001/q2"].splitlines())
    assert "適合: 「ベンダー通知」・「JVN」をすべて選択" in ja["QT-6.1-001/q1"].splitlines()
    assert "不適合: 「なし」のいずれかを選択" in ja["QT-6.1-001/q1"].splitlines()
    assert {"適合: 14 以下", "一部適合: 30 以下"} <= set(ja["QT-6.1-001/q2"].splitlines())
    assert "適合: 365日以内の日付" in ja["QT-6.1-001/q3"].splitlines()
    assert "【証跡が必要】適合・一部適合となる回答には" in ja["QT-6.1-001/q3"]
    en = _guidance(export(qworkspace, "qtest-svc", tmp_path / "en.xlsx", "--lang", "en"))
    assert "Pass: Yes" in en["QT-5.2-001/q1"].splitlines()
    assert "Evidence needed: answering Yes requires an evidence reference." in en["QT-5.2-001/q1"].splitlines()
    assert {"Pass: at most 14", "Partial: at most 30"} <= set(en["QT-6.1-001/q2"].splitlines())
    assert "Pass: a date within the last 365 days" in en["QT-6.1-001/q3"].splitlines()


def test_instructions_say_what_is_compliant_and_fit_one_page(qworkspace: Path, tmp_path: Path) -> None:
    for lang, compliant, evidence in (
        (
            "ja",
            "適合となる回答",
            "【証跡が必要】とある質問で、適合または一部適合となる回答をする場合は、証跡の記入が必須",
        ),
        ("en", "Which answer is compliant", "an answer that counts as Pass or Partial must name its evidence"),
    ):
        sheet = openpyxl.load_workbook(export(qworkspace, "qtest-svc", tmp_path / f"{lang}.xlsx", "--lang", lang))
        ws = sheet.worksheets[0]
        text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
        assert compliant in text and evidence in text
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.paperSize) == 9  # A4
        for row in range(2, ws.max_row + 1):
            if ws.cell(row, 2).value:
                assert ws.row_dimensions[row].height is not None
