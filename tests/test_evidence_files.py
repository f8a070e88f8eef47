"""Evidence files: accepted by content, refused with the file named, kept by hash and checked when read."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from secaudit.evidence_files import (
    MAX_EVIDENCE_BYTES,
    EvidenceFileError,
    EvidenceFolder,
    clean_name,
    content_disposition,
    inspect_upload,
)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def _zip(*names: str, count: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
        for n in range(count):
            archive.writestr(f"f{n}.xml", "")
    return buffer.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "研修受講記録"
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind", "media_type"),
    [
        (PDF, "研修記録.pdf", "pdf", "application/pdf"),
        (PDF, "record.exe", "pdf", "application/pdf"),  # the content decides, not the name
        (PNG, "screenshot.png", "png", "image/png"),
        (JPEG, "photo.jpg", "jpeg", "image/jpeg"),
        (_xlsx(), "名簿.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            _zip("[Content_Types].xml", "word/document.xml"),
            "手順書.docx",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("受講者一覧\n山田,2026-10-01\n".encode(), "list.csv", "text", "text/plain; charset=utf-8"),
        ("受講者一覧\n".encode("shift_jis"), "list.txt", "text", "text/plain; charset=shift_jis"),
    ],
)
def test_accepted_kinds_are_decided_by_content(data: bytes, name: str, kind: str, media_type: str) -> None:
    blob = inspect_upload(data, name)
    assert (blob.kind, blob.media_type, blob.size) == (kind, media_type, len(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>", "page.html"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image.svg"),
        (b"<script>alert(1)</script>", "record.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "tool.pdf"),
        (b"MZ\x90\x00" + b"\x00" * 40, "setup.txt"),
        (_zip("a.txt"), "archive.zip"),
        (_zip("[Content_Types].xml", count=2001), "huge.xlsx"),
        (b"PK\x03\x04 not really a zip", "broken.docx"),
        (b"\x00\x01\x02binary", "data.txt"),
    ],
)
def test_other_content_is_refused_naming_the_file(data: bytes, name: str) -> None:
    with pytest.raises(EvidenceFileError) as refused:
        inspect_upload(data, name)
    assert refused.value.message.startswith(f"{name}: この種類のファイルは根拠資料として受け付けられません")
    with pytest.raises(EvidenceFileError, match="is not accepted as evidence"):
        inspect_upload(data, name, "en")


def test_size_and_emptiness_are_refused_in_both_languages() -> None:
    big = b"%PDF-" + b"0" * MAX_EVIDENCE_BYTES
    with pytest.raises(EvidenceFileError, match=r"big\.pdf: ファイルが大きすぎます（上限 20 MiB）"):
        inspect_upload(big, "big.pdf")
    with pytest.raises(EvidenceFileError, match="too large"):
        inspect_upload(big, "big.pdf", "en")
    with pytest.raises(EvidenceFileError, match="empty"):
        inspect_upload(b"", "empty.pdf", "en")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\x.pdf", "x.pdf"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "<img src=x onerror=alert(1)>.pdf"),  # shown escaped, kept as text
        ("<script>alert(1)</script>.pdf", "script>.pdf"),  # "/" separates path parts
        ("...hidden.pdf", "hidden.pdf"),
        ("ｶﾞ.pdf", "ｶﾞ.pdf"),
    ],
)
def test_names_keep_only_the_last_part_without_invisible_characters(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_a_long_name_keeps_its_extension_and_an_empty_one_is_refused() -> None:
    long = clean_name("長" * 500 + ".pdf")
    assert len(long) == 200 and long.endswith(".pdf")
    for raw in ("...", "/", "\u202e"):
        with pytest.raises(EvidenceFileError):
            clean_name(raw)


def test_the_folder_keeps_one_private_copy_per_content_and_refuses_a_changed_one(tmp_path: Path) -> None:
    folder = EvidenceFolder(tmp_path / "evidence")
    blob = inspect_upload(PDF, "a.pdf")
    path = folder.put(PDF, blob)
    assert path == tmp_path / "evidence" / blob.sha256[:2] / blob.sha256
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert folder.put(PDF, inspect_upload(PDF, "b.pdf")) == path
    assert folder.open(blob.sha256) == PDF
    path.write_bytes(PDF + b"changed")
    with pytest.raises(EvidenceFileError, match="changed on disk"):
        folder.open(blob.sha256)
    folder.put(PDF, blob)  # a damaged copy is replaced
    assert folder.open(blob.sha256) == PDF
    for bad in ("../x", blob.sha256.upper(), blob.sha256[:63], "0" * 63 + "/"):
        with pytest.raises(EvidenceFileError, match="not an evidence file id"):
            folder.path_of(bad)


def test_downloads_name_the_file_safely() -> None:
    header = content_disposition('研修"記録".pdf')
    assert header.startswith('attachment; filename="______.pdf"; ')
    assert "filename*=UTF-8''%E7%A0%94%E4%BF%AE%22%E8%A8%98%E9%8C%B2%22.pdf" in header
    assert '"' not in header.split('filename="', 1)[1].split('"', 1)[0]
