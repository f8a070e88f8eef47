"""The one gate every xlsx workbook from outside passes before a spreadsheet parser reads it.

Questionnaire answers, register treatments and checklist authoring workbooks
all come through here, with one set of limits. Everything works on the raw
bytes and the zip directory, reading parts in bounded chunks: a CSV renamed to
.xlsx, a zip bomb, a macro-enabled or encrypted file, an XML entity bomb or a
sheet with a hundred thousand rows is refused quickly and with bounded memory,
naming the file and what is wrong.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from secaudit.errors import InputError

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MIB = 1024 * 1024
_DECLARATION = re.compile(rb"<(?:!DOCTYPE|!ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_ROW_NUMBER = re.compile(rb"""(?<![\w:])r=["'][A-Z]{0,3}(\d{1,12})["']""")
"""The row a ``<row r=...>`` or ``<c r=...>`` tag names: one far row makes openpyxl walk every row before it."""
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref=["'][A-Z]+\d+:[A-Z]+(\d+)["']""")
_MACRO_NAMES = re.compile(r"vba(Project|ProjectSignature|Data)[^/]*$", re.IGNORECASE)
_MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00\x00<", b"\x00\x00\xfe\xff")
_CHUNK = 64 * 1024
_OVERLAP = 32


@dataclass(frozen=True)
class WorkbookLimits:
    """How big a workbook from outside may be, as a whole and part by part."""

    max_file_bytes: int
    max_parts: int
    max_part_bytes: int
    max_uncompressed_bytes: int
    max_ratio: int
    """How many times a part larger than ``ratio_floor_bytes`` may expand (small parts may expand freely)."""
    ratio_floor_bytes: int
    max_rows: int
    """Rows per sheet; the readers hold the parsed sheets to it as well."""


# The largest workbook secaudit makes (the mic-baseline checklist export: 155 controls, 221 rows)
# is 150 KB on disk and 0.7 MB unpacked in 10 parts, each compressed 6- to 9-fold; questionnaires
# and registers are smaller. A sheet at the row limit in the widest layout (a checklist row is
# about 3 KB of XML) unpacks to about 16 MB, so the part and total limits admit any workbook within
# the row limit, with room for styles, shared strings and a few pasted screenshots, yet stay far
# below what would exhaust memory or time on a small server.
LIMITS = WorkbookLimits(
    max_file_bytes=10 * _MIB,
    max_parts=500,
    max_part_bytes=32 * _MIB,
    max_uncompressed_bytes=64 * _MIB,
    max_ratio=100,
    ratio_floor_bytes=1 * _MIB,
    max_rows=5000,
)


class WorkbookRefused(InputError):
    """A workbook was refused before any spreadsheet parser read it (exit 2)."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def read_untrusted(path: Path, limits: WorkbookLimits = LIMITS) -> bytes:
    """The bytes of the workbook at ``path`` once every pre-parse check has passed; else WorkbookRefused."""
    file = str(path)
    _check_suffix(file, path.suffix)
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:  # before reading, so a huge file never reaches memory
            raise WorkbookRefused(file, f"file is {size} bytes; the limit is {limits.max_file_bytes} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbookRefused(file, f"cannot read the file: {exc.strerror}") from None
    check_untrusted(data, file, limits)
    return data


def check_untrusted(data: bytes, file: str, limits: WorkbookLimits = LIMITS) -> None:
    """Refuse ``data`` (named ``file`` in messages) unless it passes every pre-parse check."""
    _check_suffix(file, Path(file).suffix)
    if len(data) > limits.max_file_bytes:
        raise WorkbookRefused(file, f"file is {len(data)} bytes; the limit is {limits.max_file_bytes} bytes")
    if data.startswith(CFB_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data or b"EncryptionInfo" in data:
            raise WorkbookRefused(
                file, "the workbook is password-protected (encrypted); remove the password and save again"
            )
        raise WorkbookRefused(file, "this is an old binary Excel file (.xls) or another OLE document; save it as .xlsx")
    if not data.startswith(ZIP_MAGIC):
        raise WorkbookRefused(file, "not an .xlsx workbook: not a zip container (a CSV or text file renamed to .xlsx?)")
    _inspect_package(file, data, limits)


def _check_suffix(file: str, suffix: str) -> None:
    suffix = suffix.lower()
    if suffix in _MACRO_SUFFIXES:
        raise WorkbookRefused(
            file, f"macro-enabled workbooks ({suffix}) are refused; only .xlsx workbooks are read: save it as .xlsx"
        )
    if suffix != ".xlsx":
        raise WorkbookRefused(
            file, f"not an .xlsx workbook ('{suffix or 'no extension'}'); only .xlsx workbooks are read"
        )


_DAMAGED = (zipfile.BadZipFile, EOFError, OSError, zlib.error, ValueError)
"""What zipfile raises for a damaged container or part (ValueError: a header pointing before the file's start)."""
_UNSUPPORTED = (NotImplementedError, RuntimeError)
"""What zipfile raises for what Excel never writes: another zip version or compression method, or encryption.
(These are zipfile's own exceptions, caught here; nothing in this module is left unimplemented.)"""
UNREADABLE_ZIP = (*_DAMAGED, *_UNSUPPORTED)
"""Everything zipfile raises for a package it cannot read: the one list for every reader of zips from outside."""


def _inspect_package(file: str, data: bytes, limits: WorkbookLimits) -> None:
    """Check the zip directory, then stream every part: macros, bombs, DTDs, encodings, row counts."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UNREADABLE_ZIP as exc:
        raise WorkbookRefused(file, f"not an .xlsx workbook: the zip container cannot be read ({exc})") from None
    with archive:
        entries = archive.infolist()
        _check_directory(file, entries, limits)
        budget = limits.max_uncompressed_bytes
        # Every part is scanned, whatever its name: a relationship may point openpyxl at any part.
        for info in entries:
            budget -= _scan_part(file, archive, info, limits, budget)


def _check_directory(file: str, entries: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    """What the zip directory declares: parts, their names, sizes and ratios."""
    if len(entries) > limits.max_parts:
        raise WorkbookRefused(file, f"{len(entries)} parts in the package; the limit is {limits.max_parts}")
    names = {info.filename for info in entries}
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused(file, "not an .xlsx workbook (no xl/workbook.xml)")
    if "[Content_Types].xml" not in names:
        raise WorkbookRefused(file, "not an .xlsx workbook (no [Content_Types].xml)")
    declared = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise WorkbookRefused(file, f"part {info.filename} is encrypted")
        if _MACRO_NAMES.search(info.filename):
            raise WorkbookRefused(
                file, f"the workbook contains macros or binary parts ({info.filename}); save it as .xlsx"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise WorkbookRefused(
                file,
                f"part {info.filename} expands {ratio:.0f}-fold to {info.file_size} bytes "
                f"(a zip bomb?); the limit is {limits.max_ratio}-fold",
            )
        if info.file_size > limits.max_part_bytes:
            raise WorkbookRefused(
                file,
                f"part {info.filename} expands to {info.file_size} bytes; the limit is {limits.max_part_bytes} bytes",
            )
        declared += info.file_size
    if declared > limits.max_uncompressed_bytes:
        raise WorkbookRefused(
            file,
            f"the package expands to {declared} bytes (a zip bomb?); "
            f"the limit is {limits.max_uncompressed_bytes} bytes",
        )


def _scan_part(file: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: WorkbookLimits, budget: int) -> int:
    """Stream one part; return the bytes it really expanded to."""
    is_types = info.filename == "[Content_Types].xml"
    is_sheet = info.filename.startswith("xl/worksheets/")
    total = 0
    rows = 0
    tail = b""
    first = True
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > info.file_size or total > budget:
                    raise WorkbookRefused(file, f"part {info.filename} expands beyond its declared size (a zip bomb?)")
                if first:
                    _check_encoding(file, info.filename, chunk)
                    _check_dimension(file, info.filename, chunk, limits)
                    first = False
                window = tail + chunk
                if _DECLARATION.search(window):
                    raise WorkbookRefused(
                        file, f"part {info.filename} declares a DTD or entities (an XML entity bomb?); refused"
                    )
                if is_types and b"macroenabled" in window.lower():
                    raise WorkbookRefused(file, "the workbook is macro-enabled; save it as a plain .xlsx")
                rows += len(_ROW.findall(chunk)) + _straddling_rows(tail, chunk)
                if rows > limits.max_rows:
                    raise WorkbookRefused(
                        file, f"sheet {info.filename} has more than {limits.max_rows} rows; refused before loading"
                    )
                if is_sheet:
                    _check_row_numbers(file, info.filename, window, limits)
                tail = window[-_OVERLAP:]
    except _DAMAGED as exc:
        raise WorkbookRefused(file, f"part {info.filename} is damaged: {exc}") from None
    except _UNSUPPORTED as exc:
        raise WorkbookRefused(file, f"part {info.filename} cannot be read: {exc}") from None
    return total


def _check_row_numbers(file: str, name: str, window: bytes, limits: WorkbookLimits) -> None:
    """Refuse a row or cell placed beyond the row limit, however few rows the sheet really has."""
    for match in _ROW_NUMBER.finditer(window):
        if int(match[1]) > limits.max_rows:
            raise WorkbookRefused(
                file, f"sheet {name} places a cell in row {int(match[1])}; the limit is {limits.max_rows} rows"
            )


def _straddling_rows(tail: bytes, chunk: bytes) -> int:
    """Rows whose opening tag began in the previous chunk and ended in this one."""
    if not tail:
        return 0
    joined = tail + chunk[:_OVERLAP]
    return sum(1 for m in _ROW.finditer(joined) if m.start() < len(tail) < m.end())


def _check_encoding(file: str, name: str, head: bytes) -> None:
    start = head.lstrip(b" \t\r\n")[:4]
    utf16_or_32 = start.startswith(_WIDE_STARTS)
    if utf16_or_32 or (name.lower().endswith(_XML_SUFFIXES) and b"\x00" in head[:64]):
        raise WorkbookRefused(file, f"part {name} is not UTF-8 XML")
    match = _ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if match and match[1].lower() not in (b"utf-8", b"utf8"):
        raise WorkbookRefused(
            file, f"part {name} declares encoding {match[1].decode('ascii', 'replace')}; only UTF-8 is read"
        )


def _check_dimension(file: str, name: str, head: bytes, limits: WorkbookLimits) -> None:
    match = _DIMENSION.search(head)
    if match and int(match[1]) > limits.max_rows:
        raise WorkbookRefused(file, f"sheet {name} spans {int(match[1])} rows; the limit is {limits.max_rows}")
