"""Evidence uploads: judged by content, named safely, kept by hash and never served once changed."""

from __future__ import annotations

import email.message
import hashlib
import io
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from secaudit.errors import ExitCode
from secaudit.evidence_files import (
    EVIDENCE_KINDS,
    MAX_EVIDENCE_BYTES,
    MAX_NAME_CHARS,
    MAX_ZIP_ENTRIES,
    EvidenceDamaged,
    EvidenceFileError,
    EvidenceFolder,
    EvidenceNotFound,
    Refusal,
    clean_name,
    content_disposition,
    inspect_upload,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
JPEG = bytes.fromhex(  # a 1x1 grey JPEG as Pillow writes it (quality 1, optimised tables)
    "ffd8ffe000104a46494600010100000100010000ffdb004300"
    + "ff" * 64
    + "ffc0000b080001000101011100ffc40014000100000000000000000000000000000000"
    "ffc40014100100000000000000000000000000000000ffda0008010100003f003fffd9"
)
SJIS_TEXT = "監査証跡,担当者\r\nアクセスログ,山田太郎\r\n".encode("shift_jis")
HTML = b"<!DOCTYPE html>\n<html><body><h1>report</h1></body></html>\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n'
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(40)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44) + b"\x40\x00\x00\x00PE\x00\x00"


def pdf() -> bytes:
    """A one-page PDF with an honest cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def png() -> bytes:
    """A 1x1 white PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def package(parts: dict[str, bytes]) -> bytes:
    """A zip package with these parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def office(main_part: str, *extra: str) -> bytes:
    """An OOXML-shaped package: content types, package relationships, one main part and any ``extra`` parts."""
    parts = {"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<Relationships/>", main_part: b"<document/>"}
    return package(parts | {name: b"" for name in extra})


def many_entries(count: int) -> bytes:
    """A workbook-shaped package of ``count`` entries in all."""
    return office("xl/workbook.xml", *(f"xl/media/image{n}.png" for n in range(count - 3)))


@pytest.fixture
def xlsx(tmp_path: Path) -> bytes:
    """A workbook as openpyxl saves it."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["管理策", "証跡"])
    sheet.append(["AC-01", "アクセス制御規程 第3版"])
    book.save(tmp_path / "evidence.xlsx")
    return (tmp_path / "evidence.xlsx").read_bytes()


def refused(data: bytes, name: str, lang: str) -> EvidenceFileError:
    """The refusal of ``data`` uploaded as ``name``."""
    with pytest.raises(EvidenceFileError) as caught:
        inspect_upload(data, name, lang)
    return caught.value


# What is accepted


@pytest.mark.parametrize(
    ("data", "name", "kind", "media_type"),
    [
        (pdf(), "報告書.pdf", "pdf", "application/pdf"),
        (png(), "screen.png", "png", "image/png"),
        (JPEG, "photo.jpg", "jpeg", "image/jpeg"),
        (office("word/document.xml"), "policy.docx", "docx", DOCX_TYPE),
        (office("ppt/presentation.xml"), "training.pptx", "pptx", PPTX_TYPE),
        (b"Access review done on 2024-04-01.\n", "notes.txt", "text", "text/plain; charset=utf-8"),
        ("アクセスログを四半期ごとに確認しています。\n".encode(), "確認.txt", "text", "text/plain; charset=utf-8"),
        ("\ufeff管理策,証跡\nAC-01,済\n".encode(), "list.csv", "text", "text/plain; charset=utf-8"),
        (SJIS_TEXT, "台帳.csv", "text-shift_jis", "text/plain; charset=shift_jis"),
        (pdf(), "report.exe", "pdf", "application/pdf"),
        (many_entries(MAX_ZIP_ENTRIES), "big.xlsx", "xlsx", XLSX_TYPE),
    ],
)
def test_an_accepted_upload_is_described_by_its_content(data: bytes, name: str, kind: str, media_type: str) -> None:
    blob = inspect_upload(data, name, "ja")
    assert (blob.kind, blob.media_type, blob.name) == (kind, media_type, name)
    assert (blob.sha256, blob.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert blob.media_type == EVIDENCE_KINDS[kind].media_type


def test_a_workbook_saved_by_openpyxl_is_accepted_as_xlsx(xlsx: bytes) -> None:
    blob = inspect_upload(xlsx, "evidence.xlsx", "en")
    assert (blob.kind, blob.media_type) == ("xlsx", XLSX_TYPE)


def test_shift_jis_text_is_kept_as_sent_and_served_as_shift_jis() -> None:
    blob = inspect_upload(SJIS_TEXT, "台帳.csv", "ja")
    assert blob.sha256 == hashlib.sha256(SJIS_TEXT).hexdigest()
    assert blob.media_type.endswith("charset=shift_jis")


def test_a_file_of_exactly_the_limit_is_accepted() -> None:
    assert inspect_upload(b"%PDF-" + bytes(MAX_EVIDENCE_BYTES - 5), "scan.pdf", "en").size == MAX_EVIDENCE_BYTES


# What is refused, and how it is said


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (HTML, "report.html"),
        (SVG, "diagram.svg"),
        (b"<script>fetch('/admin')</script>", "invoice.pdf"),
        (b"Quarterly notes\n<SCRIPT src=x></SCRIPT>\n", "notes.txt"),
        (ELF, "scanner"),
        (PE, "setup.pdf"),
        (b"MZ This program cannot be run in DOS mode.\r\n", "stub.txt"),
        (b"\x7fELF without the usual header\n", "elf.txt"),
        (package({"readme.txt": b"hello"}), "archive.zip"),
        (office("content.xml"), "unknown.docx"),
        (office("xl/workbook.xml", "word/document.xml"), "both.xlsx"),
        (many_entries(MAX_ZIP_ENTRIES + 1), "big.xlsx"),
        (b"PK\x03\x04" + b"\xff" * 64, "broken.docx"),
        (b"abc\x00def\n", "nul.txt"),
        (b"\x81\x39\xff\xfe not text", "binary.csv"),
    ],
)
def test_content_outside_the_allow_list_is_refused_naming_the_file(data: bytes, name: str) -> None:
    error = refused(data, name, "en")
    assert (error.refusal, error.file, error.exit_code) == (Refusal.TYPE_NOT_ALLOWED, name, ExitCode.INPUT)
    assert error.message.startswith(f'"{name}": files of this type are not accepted; accepted types are PDF, PNG')


def test_the_type_refusal_lists_the_accepted_types_in_both_languages() -> None:
    assert refused(HTML, "報告.html", "ja").message == (
        "「報告.html」: この種類のファイルは受け付けていません。受け付けるのは PDF、PNG、JPEG、Excel（.xlsx）、"
        "Word（.docx）、PowerPoint（.pptx）、テキスト（UTF-8）、テキスト（Shift_JIS）です。"
    )
    assert refused(HTML, "report.html", "en").message == (
        '"report.html": files of this type are not accepted; accepted types are PDF, PNG, JPEG, Excel (.xlsx), '
        "Word (.docx), PowerPoint (.pptx), plain text (UTF-8), plain text (Shift_JIS)"
    )


def test_a_macro_enabled_workbook_is_refused_with_its_own_reason() -> None:
    data = office("xl/workbook.xml", "xl/vbaProject.bin")
    assert refused(data, "集計.xlsm", "ja").message == (
        "「集計.xlsm」: マクロを含む文書は受け付けていません。"
        "マクロを含まない形式（.xlsx、.docx、.pptx）で保存し直してください。"
    )
    assert refused(data, "totals.xlsm", "en").message == (
        '"totals.xlsm": documents with macros are not accepted; save it without macros (.xlsx, .docx, .pptx)'
    )


def test_an_empty_file_is_refused() -> None:
    assert refused(b"", "空.pdf", "ja").message == "「空.pdf」: ファイルが空です。"
    assert refused(b"", "empty.pdf", "en").message == '"empty.pdf": the file is empty'


def test_one_byte_over_the_limit_is_refused_before_the_content_is_judged() -> None:
    over = b"MZ" + bytes(MAX_EVIDENCE_BYTES - 1)
    assert refused(over, "大きい.pdf", "ja").message == "「大きい.pdf」: ファイルが大きすぎます（上限 20 MiB）。"
    error = refused(over, "big.pdf", "en")
    assert (error.refusal, error.message) == (Refusal.TOO_LARGE, '"big.pdf": the file is too large (limit 20 MiB)')


def test_an_unusable_name_is_refused_showing_what_was_sent_with_controls_escaped() -> None:
    assert refused(pdf(), "\u202e...", "ja").message == (
        "「\\u202e...」: ファイル名を使用できません。ファイル名を変更してから、もう一度アップロードしてください。"
    )
    assert refused(pdf(), "../", "en").message == (
        '"../": the file name cannot be used; rename the file and upload it again'
    )


# Names


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("C:\\Users\\yamada\\Desktop\\証跡.pdf", "証跡.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\u2066b\u2069c\u200f.pdf", "abc.pdf"),
        ("re\x00po\x1frt\x7f\x85\u2028.pdf", "report.pdf"),
        ("x.pdf\r\nSet-Cookie: a=b", "x.pdfSet-Cookie: a=b"),
        ("bad\ud800.pdf", "bad.pdf"),
        ("  ..  .htaccess", "htaccess"),
        ("\u3000議事録.docx\u3000", "議事録.docx"),
        ("\u30ab\u3099イドライン.pdf", "ガイドライン.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "<img src=x onerror=alert(1)>.pdf"),
        # A slash is a path separator wherever it stands, even inside markup.
        ("<script>alert(1)</script>.pdf", "script>.pdf"),
    ],
)
def test_a_name_keeps_its_last_component_without_controls(raw: str, name: str) -> None:
    assert clean_name(raw) == name


def test_markup_in_a_name_is_kept_as_text_for_the_renderer_to_escape() -> None:
    name = "<svg onload=alert(1)>.pdf"
    assert inspect_upload(pdf(), name, "en").name == name
    assert refused(HTML, name, "ja").file == name


@pytest.mark.parametrize("stem", ["a" * 500, "監" * 500, "report." * 80])
def test_a_long_name_is_trimmed_keeping_its_extension(stem: str) -> None:
    name = clean_name(stem + ".pdf")
    assert len(name) == MAX_NAME_CHARS
    assert name.endswith(".pdf")
    assert name.startswith(stem[:10])


def test_a_long_tail_after_the_last_dot_is_not_kept_as_an_extension() -> None:
    name = clean_name("minutes." + "x" * 300)
    assert name == ("minutes." + "x" * 300)[:MAX_NAME_CHARS]


@pytest.mark.parametrize("raw", ["", "....", ". . .", "folder/", "..\\", "\u202e\u202c", "\x00\x01"])
def test_a_name_with_nothing_usable_left_is_refused(raw: str) -> None:
    with pytest.raises(EvidenceFileError) as caught:
        clean_name(raw, "en")
    assert caught.value.refusal is Refusal.NAME_UNUSABLE


# The folder


@pytest.fixture
def folder(tmp_path: Path) -> EvidenceFolder:
    """An evidence folder where a workspace keeps it."""
    return EvidenceFolder(tmp_path / "ws" / ".secaudit" / "evidence")


def test_put_keeps_the_file_by_its_hash_privately_and_open_reads_it_back(folder: EvidenceFolder) -> None:
    data = pdf()
    blob = inspect_upload(data, "report.pdf", "ja")
    path = folder.put(data, blob)
    assert path == folder.root / blob.sha256[:2] / blob.sha256 == folder.path_of(blob.sha256)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.root.stat().st_mode) == 0o700
    assert folder.open(blob.sha256) == data


def test_put_of_content_already_kept_leaves_the_file_alone(folder: EvidenceFolder) -> None:
    blob = inspect_upload(png(), "a.png", "en")
    first = folder.put(png(), blob)
    inode = first.stat().st_ino
    again = folder.put(png(), inspect_upload(png(), "b.png", "en"))
    assert again == first
    assert again.stat().st_ino == inode
    assert list(folder.root.rglob("*")) == [first.parent, first]


@pytest.mark.parametrize("damage", [b"%PDF-1.4 forged", b"", pdf() + b"\n"])
def test_put_rewrites_a_kept_copy_that_no_longer_matches(folder: EvidenceFolder, damage: bytes) -> None:
    blob = inspect_upload(pdf(), "report.pdf", "en")
    path = folder.put(pdf(), blob)
    path.write_bytes(damage)
    assert folder.put(pdf(), blob) == path
    assert folder.open(blob.sha256) == pdf()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", [b"%PDF-1.4 forged", b"", pdf() + b"\n", pdf() + bytes(MAX_EVIDENCE_BYTES)])
def test_a_changed_file_is_never_served(folder: EvidenceFolder, damage: bytes) -> None:
    blob = inspect_upload(pdf(), "report.pdf", "en")
    folder.put(pdf(), blob).write_bytes(damage)
    with pytest.raises(EvidenceDamaged, match="no longer matches its SHA-256") as caught:
        folder.open(blob.sha256)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT


def test_put_refuses_a_blob_that_describes_other_bytes(folder: EvidenceFolder) -> None:
    with pytest.raises(ValueError):
        folder.put(png(), inspect_upload(pdf(), "report.pdf", "en"))
    assert not folder.root.exists()


@pytest.mark.parametrize(
    "sha",
    [
        "../x",
        "../" + "0" * 61,
        hashlib.sha256(b"x").hexdigest().upper(),
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "/etc/passwd",
        "",
    ],
)
def test_an_id_that_is_not_a_lowercase_sha256_is_refused(folder: EvidenceFolder, sha: str) -> None:
    with pytest.raises(EvidenceNotFound, match="not an evidence file id"):
        folder.path_of(sha)
    with pytest.raises(EvidenceNotFound, match="not an evidence file id"):
        folder.open(sha)


def test_an_id_with_nothing_kept_is_not_found(folder: EvidenceFolder) -> None:
    with pytest.raises(EvidenceNotFound, match="no evidence file"):
        folder.open(hashlib.sha256(b"never uploaded").hexdigest())


# Download header


def _parsed_filename(value: str) -> str | None:
    """The name a mail parser reads from the ``filename*`` parameter alone (it would prefer the first one given)."""
    extended = next(param for param in value.split("; ") if param.startswith("filename*="))
    message = email.message.Message()
    message["Content-Disposition"] = f"attachment; {extended}"
    return message.get_filename()


def test_a_japanese_name_is_offered_in_utf_8_with_an_ascii_fallback() -> None:
    value = content_disposition("監査証跡 2024.pdf")
    assert value == (
        "attachment; filename=\"____ 2024.pdf\"; filename*=UTF-8''%E7%9B%A3%E6%9F%BB%E8%A8%BC%E8%B7%A1%202024.pdf"
    )
    assert _parsed_filename(value) == "監査証跡 2024.pdf"


def test_quotes_and_backslashes_cannot_leave_the_quoted_fallback() -> None:
    value = content_disposition('say "hi" \\ 100%.pdf')
    assert value == "attachment; filename=\"say _hi_ _ 100_.pdf\"; filename*=UTF-8''say%20%22hi%22%20%5C%20100%25.pdf"
    assert _parsed_filename(value) == 'say "hi" \\ 100%.pdf'


def test_line_breaks_never_reach_the_header() -> None:
    value = content_disposition("x.pdf\r\nSet-Cookie: a=b")
    assert "\r" not in value
    assert "\n" not in value


def test_an_evidence_text_names_uploaded_files_by_id() -> None:
    from secaudit.evidence_files import new_evidence_id, references

    made = new_evidence_id()
    assert re.fullmatch(r"ev-[0-9a-f]{12}", made)
    text = f"研修記録 [{made}] と [ev-0123456789ab]、もう一度 [{made}]; [ev-XYZ] [ev-0123] は番号ではない"
    assert references(text) == [made, "ev-0123456789ab"]
    assert references(None) == [] and references("") == []
