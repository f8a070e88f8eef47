"""Hostile files are refused before openpyxl parses them: quickly, with bounded memory, exit 2."""

from __future__ import annotations

import os
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
from defusedxml import EntitiesForbidden
from openpyxl.xml.functions import fromstring

from secaudit.questionnaire import HostileWorkbookError
from secaudit.questionnaire.guards import CFB_MAGIC, WorkbookLimits, read_checked_workbook
from tests.conftest import run_cli
from tests.questionnaire.conftest import GOOD, counts, export, fill

ANSWERS_SHEET = "xl/worksheets/sheet2.xml"
BOMB_DTD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>\n"
)


def rewrite(source: Path, target: Path, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip package, replacing some parts and adding others."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace.get(info.filename, zin.read(info.filename))
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return target


def sheet_with_rows(count: int, dimension: bool) -> bytes:
    """An answers sheet with ``count`` rows (and an honest dimension, or none)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        head += f'<dimension ref="A1:H{count}"/>'.encode()
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(1, count + 1))
    return head + b"<sheetData>" + rows + b"</sheetData></worksheet>"


@pytest.fixture
def filled(qworkspace: Path, tmp_path: Path) -> Path:
    """A valid, filled-in workbook for the qtest service."""
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    return fill(book, GOOD)


def _refused(workspace: Path, path: Path, expected: str) -> None:
    before = counts(workspace)
    result = run_cli(["questionnaire", "import", str(path)], workspace)
    assert result.exit_code == 2, result.stderr
    assert str(path) in result.stderr
    assert expected in result.stderr
    assert counts(workspace) == before


def _peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(HostileWorkbookError):
            read_checked_workbook(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML
    with pytest.raises(EntitiesForbidden):
        fromstring((BOMB_DTD + "<a>&lol9;</a>").encode())


def test_entity_bomb_inside_the_workbook(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(filled) as z:
        sheet = z.read(ANSWERS_SHEET).decode()
    body = (sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet).replace(
        "<sheetData>", '<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1
    )
    bomb = rewrite(filled, tmp_path / "bomb.xlsx", {ANSWERS_SHEET: (BOMB_DTD + body).encode()})
    _refused(qworkspace, bomb, "declares a DTD or entities")
    assert _peak_bytes(bomb) < 20 * 1024 * 1024


def test_a_central_directory_pointing_past_its_real_place_is_damaged_not_an_internal_error(
    qworkspace: Path, filled: Path, tmp_path: Path
) -> None:
    """Found by the fuzzer: zipfile then seeks to a negative offset and raises ValueError."""
    data = bytearray(filled.read_bytes())
    end = data.rindex(b"PK\x05\x06")  # end of central directory; its offset field is at +16
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (offset + 1000).to_bytes(4, "little")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    _refused(qworkspace, damaged, "is damaged")


def test_zip_bomb(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "zipbomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    _refused(qworkspace, bomb, "a zip bomb?")
    assert _peak_bytes(bomb) < 20 * 1024 * 1024


def test_hundred_thousand_rows_with_dimension(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    big = rewrite(filled, tmp_path / "rows.xlsx", {ANSWERS_SHEET: sheet_with_rows(100_000, dimension=True)})
    _refused(qworkspace, big, "spans 100000 rows; the limit is 5000")
    assert _peak_bytes(big) < 50 * 1024 * 1024


def test_hundred_thousand_rows_without_dimension_counted_while_streaming(
    qworkspace: Path, filled: Path, tmp_path: Path
) -> None:
    big = rewrite(filled, tmp_path / "rows.xlsx", {ANSWERS_SHEET: sheet_with_rows(100_000, dimension=False)})
    _refused(qworkspace, big, "has more than 5000 rows; refused before loading")
    assert _peak_bytes(big) < 50 * 1024 * 1024


def test_csv_renamed_to_xlsx(qworkspace: Path, tmp_path: Path) -> None:
    fake = tmp_path / "answers.xlsx"
    fake.write_text("No,管理策ID,回答\n1,HUM-5.2-001,はい\n", encoding="utf-8")
    _refused(qworkspace, fake, "not a zip package: a CSV or text file renamed to .xlsx?")


def test_encrypted_workbook(qworkspace: Path, tmp_path: Path) -> None:
    fake = tmp_path / "locked.xlsx"
    fake.write_bytes(CFB_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512)
    _refused(qworkspace, fake, "password-protected (encrypted)")


def test_legacy_binary_workbook(qworkspace: Path, tmp_path: Path) -> None:
    fake = tmp_path / "old.xlsx"
    fake.write_bytes(CFB_MAGIC + b"\0" * 1024)
    _refused(qworkspace, fake, "old binary Excel file (.xls)")


def test_xlsm_extension(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    macro = tmp_path / "q.xlsm"
    macro.write_bytes(filled.read_bytes())
    _refused(qworkspace, macro, "macro-enabled workbooks (.xlsm) are refused")


def test_macro_project_inside_an_xlsx(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    macro = rewrite(filled, tmp_path / "macro.xlsx", {}, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake vba"})
    _refused(qworkspace, macro, "contains macros")


def test_macro_enabled_content_type(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(filled) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    macro = rewrite(filled, tmp_path / "ct.xlsx", {"[Content_Types].xml": types.encode()})
    _refused(qworkspace, macro, "macro-enabled")


def test_utf16_xml_part(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(filled) as z:
        sheet = z.read(ANSWERS_SHEET).decode()
    odd = rewrite(filled, tmp_path / "utf16.xlsx", {ANSWERS_SHEET: sheet.replace("UTF-8", "UTF-16").encode("utf-16")})
    _refused(qworkspace, odd, "is not UTF-8 XML")


def test_oversized_file(qworkspace: Path, tmp_path: Path) -> None:
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(11 * 1024 * 1024)
    _refused(qworkspace, huge, "the limit is 10485760 bytes")


def test_the_valid_workbook_passes_the_guards(filled: Path) -> None:
    assert read_checked_workbook(filled) == filled.read_bytes()


def test_package_expanding_past_the_total_limit(filled: Path, tmp_path: Path) -> None:
    table = bytes(b"ACGT"[i % 4] for i in range(256))
    noise = os.urandom(512 * 1024).translate(table)  # compresses only about 4-fold: no single part is a bomb
    big = rewrite(filled, tmp_path / "media.xlsx", {}, add={f"xl/media/image{i}.png": noise for i in range(3)})
    with pytest.raises(HostileWorkbookError) as caught:
        read_checked_workbook(big, WorkbookLimits(max_uncompressed_bytes=1024 * 1024))
    assert "the package expands to" in caught.value.problems[0].message
    assert "the limit is 1048576" in caught.value.problems[0].message


def test_entity_bomb_in_a_part_not_named_xml(qworkspace: Path, filled: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(filled) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheet = z.read(ANSWERS_SHEET).decode()
    rels = rels.replace("worksheets/sheet2.xml", "worksheets/sheet2.dat")
    bomb = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(filled) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == ANSWERS_SHEET:
                zout.writestr("xl/worksheets/sheet2.dat", BOMB_DTD + sheet)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                zout.writestr(info.filename, rels)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    _refused(qworkspace, bomb, "part xl/worksheets/sheet2.dat declares a DTD or entities")
