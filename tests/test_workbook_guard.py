"""Hostile workbooks are refused before openpyxl parses them: quickly, with bounded memory, one set of limits."""

from __future__ import annotations

import dataclasses
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest
from defusedxml import EntitiesForbidden
from openpyxl.xml.functions import fromstring

from secaudit.workbook_guard import CFB_MAGIC, LIMITS, WorkbookRefused, check_untrusted, read_untrusted
from tests.conftest import run_cli
from tests.questionnaire.conftest import compliant_answers, counts, export, fill

SHEET = "xl/worksheets/sheet1.xml"
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
    """A sheet with ``count`` rows (and an honest dimension, or none)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        head += f'<dimension ref="A1:H{count}"/>'.encode()
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (n, n, n) for n in range(1, count + 1))
    return head + b"<sheetData>" + rows + b"</sheetData></worksheet>"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A small, ordinary workbook as openpyxl saves it."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in range(1, 21):
        sheet.append([f"CTRL-{row:03}", "はい", "evidence", row])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def _guard_reason(path: Path) -> str:
    """Why the guard refuses ``path``, asserting that it does and that the message names the file."""
    with pytest.raises(WorkbookRefused) as caught:
        read_untrusted(path)
    assert caught.value.file == str(path)
    assert caught.value.lines() == [f"{path}: {caught.value.reason}"]
    return caught.value.reason


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose store already holds a questionnaire and its imported answers."""
    root = tmp_path_factory.mktemp("guard") / "ws"
    assert (
        run_cli(["init", str(root), "--organisation-ja", "テスト市", "--organisation-en", "Test City"]).exit_code == 0
    )
    book = export(root, "example-portal", root.parent / "answered.xlsx")
    fill(book, compliant_answers(root, "example-portal"))
    imported = run_cli(["questionnaire", "import", str(book)], root)
    assert imported.exit_code == 0, imported.stderr
    return root


@pytest.fixture
def refusal(stocked: Path) -> Callable[[Path], str]:
    """Why ``path`` is refused, by the guard and by ``questionnaire import`` as an officer runs it: exit 2, one
    line naming the file and the reason, and nothing already stored lost or changed."""

    def refuse(path: Path) -> str:
        reason = _guard_reason(path)
        before = counts(stocked)
        result = run_cli(["questionnaire", "import", str(path)], stocked)
        assert result.exit_code == 2, result.stderr
        assert f"{path}: {reason}" in result.stderr, result.stderr
        assert counts(stocked) == before
        return reason

    return refuse


def _peak_bytes(path: Path) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookRefused):
            read_untrusted(path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML
    with pytest.raises(EntitiesForbidden):
        fromstring((BOMB_DTD + "<a>&lol9;</a>").encode())


def test_the_ordinary_workbook_passes(book: Path) -> None:
    assert read_untrusted(book) == book.read_bytes()
    check_untrusted(book.read_bytes(), "book.xlsx")


def test_the_largest_workbook_secaudit_writes_passes(workspace: Path, tmp_path: Path) -> None:
    """The limits admit the biggest real workbook: the mic-baseline checklist export (155 controls)."""
    book = tmp_path / "mic-baseline.xlsx"
    assert run_cli(["checklist", "export", "mic-baseline", "-o", str(book)], workspace).exit_code == 0
    assert read_untrusted(book) == book.read_bytes()


def test_entity_bomb_inside_the_workbook(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    with zipfile.ZipFile(book) as z:
        sheet = z.read(SHEET).decode()
    body = (sheet.split("?>", 1)[1] if sheet.startswith("<?xml") else sheet).replace(
        "<sheetData>", '<sheetData><row r="99"><c r="A99" t="inlineStr"><is><t>&lol9;</t></is></c></row>', 1
    )
    bomb = rewrite(book, tmp_path / "bomb.xlsx", {SHEET: (BOMB_DTD + body).encode()})
    assert "declares a DTD or entities" in refusal(bomb)
    assert _peak_bytes(bomb) < 20 * 1024 * 1024


def test_entity_bomb_in_a_part_not_named_xml(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    with zipfile.ZipFile(book) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        sheet = z.read(SHEET).decode()
    rels = rels.replace("worksheets/sheet1.xml", "worksheets/sheet1.dat")
    bomb = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == SHEET:
                zout.writestr("xl/worksheets/sheet1.dat", BOMB_DTD + sheet)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                zout.writestr(info.filename, rels)
            else:
                zout.writestr(info.filename, zin.read(info.filename))
    assert "part xl/worksheets/sheet1.dat declares a DTD or entities" in refusal(bomb)


def test_a_central_directory_pointing_past_its_real_place_is_damaged_not_an_internal_error(
    book: Path, tmp_path: Path, refusal: Callable[[Path], str]
) -> None:
    """Found by the fuzzer: zipfile then seeks to a negative offset and raises ValueError."""
    data = bytearray(book.read_bytes())
    end = data.rindex(b"PK\x05\x06")  # end of central directory; its offset field is at +16
    offset = int.from_bytes(data[end + 16 : end + 20], "little")
    data[end + 16 : end + 20] = (offset + 1000).to_bytes(4, "little")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    assert "is damaged" in refusal(damaged)


def test_an_unsupported_zip_version_is_refused(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    path = tmp_path / "v64.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    data[central + 6] = 64  # "version needed to extract" 6.4 in the central directory
    path.write_bytes(bytes(data))
    assert "the zip container cannot be read (zip file version 6.4)" in refusal(path)


def test_zip_bomb(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    bomb = tmp_path / "zipbomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr(SHEET, b"\0" * (64 * 1024 * 1024))
    assert bomb.stat().st_size < 1024 * 1024
    assert "a zip bomb?" in refusal(bomb)
    assert _peak_bytes(bomb) < 20 * 1024 * 1024


def test_package_expanding_past_the_total_limit(book: Path, tmp_path: Path) -> None:
    table = bytes(b"ACGT"[i % 4] for i in range(256))
    noise = os.urandom(512 * 1024).translate(table)  # compresses only about 4-fold: no single part is a bomb
    big = rewrite(book, tmp_path / "media.xlsx", {}, add={f"xl/media/image{i}.png": noise for i in range(3)})
    with pytest.raises(WorkbookRefused) as caught:
        read_untrusted(big, dataclasses.replace(LIMITS, max_uncompressed_bytes=1024 * 1024))
    assert "the package expands to" in caught.value.reason
    assert "the limit is 1048576 bytes" in caught.value.reason


def test_one_part_larger_than_the_part_limit(book: Path, tmp_path: Path) -> None:
    table = bytes(b"ACGT"[i % 4] for i in range(256))
    big = rewrite(book, tmp_path / "media.xlsx", {}, add={"xl/media/image1.png": os.urandom(300_000).translate(table)})
    with pytest.raises(WorkbookRefused) as caught:
        read_untrusted(big, dataclasses.replace(LIMITS, max_part_bytes=200_000))
    assert caught.value.reason == "part xl/media/image1.png expands to 300000 bytes; the limit is 200000 bytes"


def test_too_many_parts(book: Path, tmp_path: Path) -> None:
    crowded = rewrite(book, tmp_path / "parts.xlsx", {}, add={f"xl/media/p{i}.xml": b"<p/>" for i in range(20)})
    with pytest.raises(WorkbookRefused) as caught:
        read_untrusted(crowded, dataclasses.replace(LIMITS, max_parts=10))
    assert "parts in the package; the limit is 10" in caught.value.reason


def test_hundred_thousand_rows_with_dimension(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    big = rewrite(book, tmp_path / "rows.xlsx", {SHEET: sheet_with_rows(100_000, dimension=True)})
    assert refusal(big) == f"sheet {SHEET} spans 100000 rows; the limit is 5000"
    assert _peak_bytes(big) < 50 * 1024 * 1024


def test_hundred_thousand_rows_without_dimension_counted_while_streaming(
    book: Path, tmp_path: Path, refusal: Callable[[Path], str]
) -> None:
    big = rewrite(book, tmp_path / "rows.xlsx", {SHEET: sheet_with_rows(100_000, dimension=False)})
    assert "has more than 5000 rows; refused before loading" in refusal(big)
    assert _peak_bytes(big) < 50 * 1024 * 1024


@pytest.mark.parametrize(
    "tag", ['<row r="1000000"><c r="A1000000"><v>1</v></c></row>', '<row><c r="B999999"><v>1</v></c></row>']
)
def test_one_far_row_without_dimension_is_refused(
    book: Path, tmp_path: Path, tag: str, refusal: Callable[[Path], str]
) -> None:
    """openpyxl would walk every empty row up to it: refused though the sheet holds a single row."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    far = rewrite(
        book, tmp_path / "far.xlsx", {SHEET: head + b"<sheetData>" + tag.encode() + b"</sheetData></worksheet>"}
    )
    assert "places a cell in row" in refusal(far) and "the limit is 5000 rows" in refusal(far)


def test_a_sheet_at_the_row_limit_passes(book: Path, tmp_path: Path) -> None:
    full = rewrite(book, tmp_path / "full.xlsx", {SHEET: sheet_with_rows(LIMITS.max_rows, dimension=False)})
    check_untrusted(full.read_bytes(), full.name)


def test_csv_renamed_to_xlsx(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    fake = tmp_path / "answers.xlsx"
    fake.write_text("No,管理策ID,回答\n1,HUM-5.2-001,はい\n", encoding="utf-8")
    assert "not a zip container (a CSV or text file renamed to .xlsx?)" in refusal(fake)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert refusal(other) == "not an .xlsx workbook (no xl/workbook.xml)"


def test_encrypted_workbook(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    fake = tmp_path / "locked.xlsx"
    fake.write_bytes(CFB_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512)
    assert "password-protected (encrypted)" in refusal(fake)


def test_legacy_binary_workbook(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    fake = tmp_path / "old.xlsx"
    fake.write_bytes(CFB_MAGIC + b"\0" * 1024)
    assert "old binary Excel file (.xls)" in refusal(fake)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("book.xlsm", "macro-enabled workbooks (.xlsm) are refused"),
        ("book.XLTM", "macro-enabled workbooks (.xltm) are refused"),
        ("book.csv", "not an .xlsx workbook ('.csv'); only .xlsx workbooks are read"),
        ("book", "not an .xlsx workbook ('no extension')"),
    ],
)
def test_only_the_xlsx_extension_is_read(
    book: Path, tmp_path: Path, name: str, expected: str, refusal: Callable[[Path], str]
) -> None:
    renamed = tmp_path / name
    renamed.write_bytes(book.read_bytes())
    assert expected in refusal(renamed)


def test_macro_project_inside_an_xlsx(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    macro = rewrite(book, tmp_path / "macro.xlsx", {}, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake vba"})
    assert "contains macros" in refusal(macro)


def test_macro_enabled_content_type(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    with zipfile.ZipFile(book) as z:
        types = z.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    macro = rewrite(book, tmp_path / "ct.xlsx", {"[Content_Types].xml": types.encode()})
    assert "macro-enabled" in refusal(macro)


def test_utf16_xml_part(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    with zipfile.ZipFile(book) as z:
        sheet = z.read(SHEET).decode()
    odd = rewrite(book, tmp_path / "utf16.xlsx", {SHEET: sheet.replace("utf-8", "UTF-16").encode("utf-16")})
    assert "is not UTF-8 XML" in refusal(odd)


def test_oversized_file(tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    huge = tmp_path / "huge.xlsx"
    with huge.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(11 * 1024 * 1024)
    assert refusal(huge) == f"file is {11 * 1024 * 1024} bytes; the limit is 10485760 bytes"


def test_bytes_and_files_are_judged_alike(book: Path, tmp_path: Path, refusal: Callable[[Path], str]) -> None:
    macro = rewrite(book, tmp_path / "macro.xlsx", {}, add={"xl/vbaProject.bin": b"\0"})
    with pytest.raises(WorkbookRefused) as from_bytes:
        check_untrusted(macro.read_bytes(), str(macro))
    assert from_bytes.value.reason == refusal(macro)


# --- the three importers share the guard and its limits -------------------------------------------


def _over_the_total(path: Path) -> str:
    """Parts of exactly the ratio floor (so none is a bomb by ratio) that add up past the total limit."""
    count = LIMITS.max_uncompressed_bytes // LIMITS.ratio_floor_bytes + 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        filler = b"\0" * LIMITS.ratio_floor_bytes
        for i in range(count):
            z.writestr(f"xl/media/image{i}.png", filler)
    return f"the limit is {LIMITS.max_uncompressed_bytes} bytes"


def _zip_bomb(path: Path) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr(SHEET, b"\0" * (16 * 1024 * 1024))
    return f"(a zip bomb?); the limit is {LIMITS.max_ratio}-fold"


def _not_a_zip(path: Path) -> str:
    path.write_text("risk_id,control\nR-1,TEC-1\n", encoding="utf-8")
    return "not a zip container (a CSV or text file renamed to .xlsx?)"


IMPORTERS: dict[str, Callable[[Path, Path], list[str]]] = {
    "questionnaire": lambda path, out: ["questionnaire", "import", str(path)],
    "register": lambda path, out: ["risk", "import", str(path), "--by", "佐藤"],
    "checklist": lambda path, out: ["checklist", "import", str(path), "-o", str(out)],
}


@pytest.mark.parametrize("make", [_over_the_total, _zip_bomb, _not_a_zip], ids=["total", "bomb", "not-zip"])
def test_the_three_importers_refuse_alike(workspace: Path, tmp_path: Path, make: Callable[[Path], str]) -> None:
    hostile = tmp_path / "hostile.xlsx"
    expected = make(hostile)
    before = counts(workspace)
    refusals = {}
    for importer, command in IMPORTERS.items():
        out = tmp_path / f"{importer}.yaml"
        result = run_cli(command(hostile, out), workspace)
        assert result.exit_code == 2, (importer, result.stderr)
        lines = [line for line in result.stderr.splitlines() if expected in line]
        assert lines, (importer, result.stderr)
        refusals[importer] = lines[0]
        assert not out.exists()
    assert len(set(refusals.values())) == 1, refusals
    assert counts(workspace) == before
    assert str(hostile) in refusals["questionnaire"]
