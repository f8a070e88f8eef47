"""Register files: xlsx round trip, CSV/JSON export, formula injection, and hostile workbooks."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import zipfile
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from secaudit.assess import assess
from secaudit.model import Language, RiskEntry, Treatment
from secaudit.model.config import RiskMatrixKind
from secaudit.risk import layout as R
from secaudit.risk import workbook
from secaudit.risk.register import build_register
from secaudit.risk.workbook import (
    COLUMNS,
    RegisterFileError,
    read_register_xlsx,
    register_csv,
    register_json,
    register_xlsx,
)
from secaudit.workbook_guard import LIMITS
from tests.assessment_data import NOW, TODAY, answers, catalog, control, service, yes_no

HOSTILE = '=HYPERLINK("http://evil.example/","click")'
TOKYO = ZoneInfo("Asia/Tokyo")
KEYS = [c.key for c in R.COLUMNS]


def register(treatment: Treatment | None = None) -> list[RiskEntry]:
    a = control("TEC-6.1-001", questions=[yes_no()])
    b = control("HUM-5.4-001", questions=[yes_no()], control_type="human")
    cat = catalog(a, b)
    given = {**answers(a.id, q1="no"), **answers(b.id, q1="no")}
    results = assess(service(), cat, given, [], today=TODAY)
    treatments = {"R-svc-TEC-6.1-001": treatment} if treatment else {}
    return build_register(service(), results, cat, RiskMatrixKind.FIVE, treatments, None, TODAY, now=NOW)


def workbook_bytes(entries: list[RiskEntry], edit=None, lang: Language = Language.EN) -> bytes:
    data = register_xlsx(entries, "svc", "5x5", lang, TOKYO)
    if edit is None:
        return data
    wb = load_workbook(io.BytesIO(data))
    edit(wb[R.SHEETS[lang]], wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def set_cells(sheet, row: int, **values) -> None:
    for name, value in values.items():
        sheet.cell(row=row, column=KEYS.index(name) + 1, value=value)


def read(data: bytes, name: str = "register.xlsx"):
    return read_register_xlsx(data, name, "佐藤", NOW)


def test_export_lists_every_entry_with_editable_treatment_columns() -> None:
    wb = load_workbook(io.BytesIO(workbook_bytes(register())))
    sheet = wb["Register"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.en for c in R.COLUMNS]
    assert [r[0] for r in rows[1:]] == ["R-svc-TEC-6.1-001", "R-svc-HUM-5.4-001"]
    assert wb["_meta"].sheet_state == "hidden"
    assert wb.sheetnames[:2] == ["Register", "Instructions"]


def test_round_trip_officer_edits_come_back_as_treatments() -> None:
    def edit(sheet, _wb):
        set_cells(
            sheet, 2, treatment="mitigate", owner="情報政策課", plan="TLS設定の変更", due=dt.datetime(2027, 1, 31)
        )
        set_cells(sheet, 3, treatment="受容", approver="CISO", justification="代替策で監視", expires="2027-03-31")

    imported = read(workbook_bytes(register(), edit))
    assert imported.service_id == "svc"
    by_id = {i.risk_id: i for i in imported.treatments}
    mitigate = by_id["R-svc-TEC-6.1-001"].treatment
    assert (mitigate.kind.value, mitigate.owner, mitigate.plan, mitigate.due) == (
        "mitigate",
        "情報政策課",
        "TLS設定の変更",
        dt.date(2027, 1, 31),
    )
    accept = by_id["R-svc-HUM-5.4-001"].treatment
    assert (accept.kind.value, accept.approver, accept.expires) == ("accept", "CISO", dt.date(2027, 3, 31))
    assert accept.decided_by == "佐藤" and by_id["R-svc-HUM-5.4-001"].row == 3


def test_existing_treatments_survive_an_unedited_round_trip() -> None:
    t = Treatment(kind="transfer", owner="委託先", plan="契約で移転", decided_by="x", decided_at=NOW)
    for lang in Language:
        (item,) = read(workbook_bytes(register(t), lang=lang)).treatments
        assert (item.treatment.kind.value, item.treatment.owner, item.treatment.plan) == (
            "transfer",
            "委託先",
            "契約で移転",
        )


def test_formula_text_is_neutralised_on_export_and_restored_on_import() -> None:
    t = Treatment(kind="mitigate", owner="@owner", plan=HOSTILE, decided_by="x", decided_at=NOW)
    data = workbook_bytes(register(t))
    sheet = load_workbook(io.BytesIO(data))["Register"]
    cell = sheet.cell(row=2, column=KEYS.index("plan") + 1)
    assert cell.data_type == "s" and cell.value == "'" + HOSTILE
    assert sheet.cell(row=2, column=KEYS.index("owner") + 1).value == "'@owner"
    (item,) = read(data).treatments
    assert item.treatment.plan == HOSTILE and item.treatment.owner == "@owner"


def test_csv_and_json_exports() -> None:
    t = Treatment(kind="mitigate", owner="課", plan=HOSTILE, decided_by="x", decided_at=NOW)
    text = register_csv(register(t))
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["plan"] == "'" + HOSTILE
    assert rows[0]["likelihood"] == "3" and rows[1]["treatment"] == ""
    data = json.loads(register_json(register(t)))
    assert data[0]["id"] == "R-svc-TEC-6.1-001" and data[0]["treatment"]["plan"] == HOSTILE


def test_formula_cells_are_refused_naming_row_and_column() -> None:
    def edit(sheet, _wb):
        set_cells(sheet, 2, treatment="mitigate", owner="課", plan="=1+1")

    with pytest.raises(RegisterFileError) as err:
        read(workbook_bytes(register(), edit))
    assert [str(p) for p in err.value.problems] == ["Register!row 2 column 'Plan': formulas are not accepted"]


def test_every_bad_row_is_named_and_nothing_is_returned() -> None:
    def edit(sheet, _wb):
        set_cells(sheet, 2, treatment="ignore", owner="課")
        set_cells(sheet, 3, treatment="accept", approver="CISO", justification="j", expires="next year")

    with pytest.raises(RegisterFileError) as err:
        read(workbook_bytes(register(), edit))
    problems = [str(p) for p in err.value.problems]
    assert "Register!row 2 column 'Treatment': 'ignore' is not one of Mitigate / Accept / Transfer / Avoid" in problems
    assert "Register!row 3 column 'Acceptance expires': 'next year' is not a date (YYYY-MM-DD)" in problems
    assert err.value.message == "register.xlsx: 2 problem(s); nothing was stored"


def test_incomplete_acceptance_and_plan_are_refused() -> None:
    def edit(sheet, _wb):
        set_cells(sheet, 2, treatment="mitigate", owner="課")
        set_cells(sheet, 3, treatment="accept", approver="CISO", expires="2027-01-01")

    with pytest.raises(RegisterFileError) as err:
        read(workbook_bytes(register(), edit))
    where = {p.location for p in err.value.problems}
    assert where == {"Register!row 2 column 'Plan'", "Register!row 3 column 'Justification (accept)'"}


def test_rows_of_another_service_or_repeated_are_refused() -> None:
    def edit(sheet, _wb):
        set_cells(sheet, 2, risk_id="R-other-TEC-6.1-001")
        set_cells(sheet, 3, risk_id="R-svc-TEC-6.1-001", control="TEC-6.1-001")
        set_cells(sheet, 4, risk_id="R-svc-TEC-6.1-001", control="TEC-6.1-001")

    with pytest.raises(RegisterFileError) as err:
        read(workbook_bytes(register(), edit))
    messages = [str(p) for p in err.value.problems]
    assert any("row 2" in m and "is not a risk of svc" in m for m in messages)
    assert any("row 4" in m and "appears again (first on row 3)" in m for m in messages)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("register.xlsm", b"PK", "only .xlsx"),
        ("register.csv", b"risk_id\n", "only .xlsx"),
        ("register.xlsx", b"not a zip at all", "not a zip container"),
    ],
)
def test_non_workbooks_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(RegisterFileError, match=message):
        read(data, name)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_zip_without_a_workbook_and_macro_workbooks_are_refused() -> None:
    with pytest.raises(RegisterFileError, match="no xl/workbook.xml"):
        read(_zip({"hello.txt": b"hi"}))
    with_macros = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/vbaProject.bin": b"\0"})
    with pytest.raises(RegisterFileError, match="macros"):
        read(with_macros)


def test_the_workbook_guard_runs_before_parsing() -> None:
    bomb = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/sheet.xml": b"\0" * (2 << 20)})
    with pytest.raises(RegisterFileError, match="a zip bomb"):
        read(bomb)
    huge = b"PK\x03\x04" + bytes(LIMITS.max_file_bytes)
    with pytest.raises(RegisterFileError, match=f"the limit is {LIMITS.max_file_bytes} bytes"):
        read(huge)


def test_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbook, "LIMITS", dataclasses.replace(LIMITS, max_rows=1))
    with pytest.raises(RegisterFileError, match="at most 1 risks"):
        read(workbook_bytes(register()))


def test_a_workbook_not_exported_by_secaudit_is_refused() -> None:
    def edit(_sheet, wb):
        del wb["_meta"]

    with pytest.raises(RegisterFileError, match="no '_meta' sheet"):
        read(workbook_bytes(register(), edit))

    def rename(sheet, _wb):
        sheet.title = "Sheet1"

    with pytest.raises(RegisterFileError, match="no sheet named 'Register'"):
        read(workbook_bytes(register(), rename))


def test_xml_entities_are_refused() -> None:
    data = workbook_bytes(register())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = bomb + content.split(b"?>", 1)[-1]
            target.writestr(info, content)
    # the workbook guard refuses it before defusedxml would
    with pytest.raises(RegisterFileError, match="declares a DTD or entities"):
        read(out.getvalue())


def test_japanese_workbook_headers_values_dates_and_print_setup() -> None:
    late_evening = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)  # already 27 November in Tokyo
    entries = [e.model_copy(update={"first_seen": late_evening}) for e in register()]
    wb = load_workbook(io.BytesIO(workbook_bytes(entries, lang=Language.JA)))
    assert wb.sheetnames[:2] == ["リスク登録簿", "記入方法"]
    sheet = wb["リスク登録簿"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["リスクID", "管理策", "件名", "評価結果"] and "対応" in header and "受容の有効期限" in header
    row = dict(zip(KEYS, (c.value for c in sheet[2]), strict=True))
    assert (row["result"], row["status"], row["inherent_level"]) == ("不適合", "未対応", "高")  # High, in Japanese
    assert row["first_seen"] == dt.datetime(2026, 11, 27)  # the date in the workspace's time zone
    assert sheet.cell(2, KEYS.index("first_seen") + 1).number_format == "yyyy/mm/dd"
    assert sheet.cell(2, KEYS.index("due") + 1).number_format == "yyyy/mm/dd"
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    assert all(sheet.row_dimensions[r].height for r in (1, 2, 3))
    instructions = wb["記入方法"]
    assert instructions.page_setup.fitToHeight == 1 and instructions.page_setup.fitToWidth == 1
    text = "\n".join(str(c.value) for r in instructions.iter_rows() for c in r if c.value)
    assert "対策 / 受容 / 移転 / 回避" in text and "Asia/Tokyo" in text


def test_only_the_treatment_columns_are_editable() -> None:
    sheet = load_workbook(io.BytesIO(workbook_bytes(register(), lang=Language.JA)))["リスク登録簿"]
    assert sheet.protection.sheet
    editable = {c.key for c in R.COLUMNS if c.editable}
    assert editable == {"treatment", "owner", "plan", "due", "approver", "justification", "expires"} | {
        "residual_likelihood",
        "residual_impact",
    }
    for row in (2, 3):
        for index, key in enumerate(KEYS, start=1):
            assert sheet.cell(row, index).protection.locked is (key not in editable), (row, key)


def test_treatment_dropdown_offers_the_japanese_names() -> None:
    sheet = load_workbook(io.BytesIO(workbook_bytes(register(), lang=Language.JA)))["リスク登録簿"]
    letter = get_column_letter(KEYS.index("treatment") + 1)
    (kinds,) = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert kinds.formula1 == '"対策,受容,移転,回避"'
    assert f"{letter}2" in kinds.sqref and f"{letter}3" in kinds.sqref


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("対策", "mitigate"),
        ("受容", "accept"),
        ("移転", "transfer"),
        ("回避", "avoid"),
        ("低減", "mitigate"),
        ("例外措置", "accept"),
        ("Avoid", "avoid"),
        ("transfer", "transfer"),
    ],
)
def test_japanese_and_english_treatment_names_import(label: str, kind: str) -> None:
    def edit(sheet, _wb):
        fields = (
            {"approver": "CISO", "justification": "代替策", "expires": "2027/03/31"}
            if kind == "accept"
            else {"owner": "情報政策課", "plan": "設定変更"}
        )
        set_cells(sheet, 2, treatment=label, **fields)

    for lang in Language:
        (item,) = read(workbook_bytes(register(), edit, lang=lang)).treatments
        assert item.treatment.kind.value == kind


def test_problems_of_a_japanese_workbook_are_in_japanese_with_a_count_first() -> None:
    def edit(sheet, _wb):
        set_cells(sheet, 2, treatment="無視", owner="課")
        set_cells(sheet, 3, treatment="受容", approver="CISO", expires="2027-01-01")

    with pytest.raises(RegisterFileError) as err:
        read(workbook_bytes(register(), edit, lang=Language.JA))
    assert err.value.message == "register.xlsx: 2件の問題があります。何も保存していません"
    assert [str(p) for p in err.value.problems] == [
        "リスク登録簿!2行目「対応」列: 「無視」は 対策 / 受容 / 移転 / 回避 のいずれでもありません",
        "リスク登録簿!3行目「受容の理由」列: 受容（例外措置）には「受容の理由」が必要です",
    ]


def test_a_register_from_before_the_japanese_headers_still_imports() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = "Register"
    sheet.append(list(COLUMNS))
    row = dict.fromkeys(COLUMNS)
    row.update(risk_id="R-svc-TEC-6.1-001", service="svc", control="TEC-6.1-001", treatment="低減")
    row.update(owner="課", plan="直す", due="2027-01-31")
    sheet.append([row[c] for c in COLUMNS])
    meta = wb.create_sheet("_meta")
    for pair in (("format", R.FORMAT), ("service", "svc"), ("matrix", "5x5")):
        meta.append(list(pair))
    out = io.BytesIO()
    wb.save(out)
    (item,) = read(out.getvalue()).treatments
    assert (item.risk_id, item.treatment.kind.value, item.treatment.due) == (
        "R-svc-TEC-6.1-001",
        "mitigate",
        dt.date(2027, 1, 31),
    )


def test_a_questionnaire_given_as_a_register_is_named() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    meta = wb.create_sheet("_secaudit")
    for pair in (("format", "secaudit-questionnaire/1"), ("language", "ja")):
        meta.append(list(pair))
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(RegisterFileError) as err:
        read(out.getvalue(), "q.xlsx")
    assert err.value.message == (
        "q.xlsx: これは質問票のブック（secaudit questionnaire export で作成）で、リスク登録簿ではありません。"
        "secaudit questionnaire import で取り込んでください"
    )
