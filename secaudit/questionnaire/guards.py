"""Checks a workbook from outside passes before any spreadsheet parser reads it.

Everything here works on the raw bytes and the zip directory, reading XML in
bounded chunks: a CSV renamed to .xlsx, a zip bomb, a macro-enabled or
encrypted file, an XML entity bomb or a sheet with a hundred thousand rows is
refused quickly and with bounded memory, naming the file and what is wrong.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from secaudit.errors import Problem
from secaudit.questionnaire import HostileWorkbookError

ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DECLARATION = re.compile(rb"<(?:!DOCTYPE|!ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']""")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_DIMENSION = re.compile(rb"""<(?:\w+:)?dimension\s+ref=["'][A-Z]+\d+:[A-Z]+(\d+)["']""")
_MACRO_NAMES = re.compile(r"vba(Project|ProjectSignature|Data)[^/]*$", re.IGNORECASE)
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_WIDE_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00\x00<", b"\x00\x00\xfe\xff")
_CHUNK = 64 * 1024
_OVERLAP = 32


@dataclass(frozen=True)
class WorkbookLimits:
    """How big a questionnaire workbook may be; generous for a real one, far below a hostile one."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_entries: int = 500
    max_uncompressed_bytes: int = 20 * 1024 * 1024
    max_entry_ratio: int = 100
    ratio_floor_bytes: int = 1024 * 1024
    max_rows: int = 5000


DEFAULT_LIMITS = WorkbookLimits()


def _refuse(path: Path, message: str) -> HostileWorkbookError:
    return HostileWorkbookError(f"{path}: workbook refused", [Problem(str(path), message)])


def read_checked_workbook(path: Path, limits: WorkbookLimits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path`` once every pre-parse check has passed; raise HostileWorkbookError otherwise."""
    suffix = path.suffix.lower()
    if suffix in (".xlsm", ".xltm", ".xlam"):
        raise _refuse(path, f"macro-enabled workbooks ({suffix}) are refused; save it as .xlsx")
    if suffix != ".xlsx":
        raise _refuse(path, f"expected an .xlsx workbook, not '{suffix or 'no extension'}'")
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise _refuse(path, f"file is {size} bytes; the limit is {limits.max_file_bytes} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise HostileWorkbookError(f"cannot read {path}: {exc.strerror}", [Problem(str(path), "cannot read")]) from None
    if data.startswith(CFB_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data or b"EncryptionInfo" in data:
            raise _refuse(path, "the workbook is password-protected (encrypted); remove the password and save again")
        raise _refuse(path, "this is an old binary Excel file (.xls) or another OLE document; save it as .xlsx")
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(path, "not an .xlsx workbook (not a zip package: a CSV or text file renamed to .xlsx?)")
    inspect_package(path, data, limits)
    return data


def inspect_package(path: Path, data: bytes, limits: WorkbookLimits = DEFAULT_LIMITS) -> None:
    """Check the zip directory and stream every XML part: macros, bombs, DTDs, encodings, row counts."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as exc:
        raise _refuse(path, f"not a valid .xlsx (zip) package: {exc}") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise _refuse(path, f"{len(entries)} parts in the package; the limit is {limits.max_entries}")
        names = {info.filename for info in entries}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _refuse(path, "not an Excel workbook package (no [Content_Types].xml or xl/workbook.xml)")
        declared = 0
        for info in entries:
            if info.flag_bits & 0x1:
                raise _refuse(path, f"part {info.filename} is encrypted")
            if _MACRO_NAMES.search(info.filename):
                raise _refuse(path, f"the workbook contains macros or binary parts ({info.filename}); save it as .xlsx")
            declared += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_entry_ratio:
                raise _refuse(
                    path,
                    f"part {info.filename} expands {ratio:.0f}-fold to {info.file_size} bytes "
                    f"(a zip bomb?); the limit is {limits.max_entry_ratio}-fold",
                )
        if declared > limits.max_uncompressed_bytes:
            raise _refuse(
                path, f"the package expands to {declared} bytes; the limit is {limits.max_uncompressed_bytes}"
            )
        budget = limits.max_uncompressed_bytes
        # Every part is scanned, whatever its name: a relationship may point openpyxl at any part.
        for info in entries:
            budget -= _scan_part(path, archive, info, limits, budget)


def _scan_part(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: WorkbookLimits, budget: int) -> int:
    """Stream one part; return the bytes it really expanded to."""
    is_types = info.filename == "[Content_Types].xml"
    total = 0
    rows = 0
    tail = b""
    first = True
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > info.file_size or total > budget:
                    raise _refuse(path, f"part {info.filename} expands beyond its declared size (a zip bomb?)")
                if first:
                    _check_encoding(path, info.filename, chunk)
                    _check_dimension(path, info.filename, chunk, limits)
                    first = False
                window = tail + chunk
                if _DECLARATION.search(window):
                    raise _refuse(
                        path, f"part {info.filename} declares a DTD or entities (an XML entity bomb?); refused"
                    )
                if is_types and b"macroenabled" in window.lower():
                    raise _refuse(path, "the workbook is macro-enabled; save it as a plain .xlsx")
                rows += len(_ROW.findall(chunk)) + _straddling_rows(tail, chunk)
                if rows > limits.max_rows:
                    raise _refuse(
                        path, f"sheet {info.filename} has more than {limits.max_rows} rows; refused before loading"
                    )
                tail = window[-_OVERLAP:]
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise _refuse(path, f"part {info.filename} is damaged: {exc}") from None
    except ValueError as exc:  # zipfile: a damaged header points before the file's start ("negative seek value")
        raise _refuse(path, f"part {info.filename} is damaged: {exc}") from None
    except NotImplementedError as exc:  # zipfile: a compression method Excel never uses
        raise _refuse(path, f"part {info.filename} cannot be read: {exc}") from None
    except RuntimeError as exc:  # zipfile raises it for encrypted or unsupported entries
        raise _refuse(path, f"part {info.filename} cannot be read: {exc}") from None
    return total


def _straddling_rows(tail: bytes, chunk: bytes) -> int:
    """Rows whose opening tag began in the previous chunk and ended in this one."""
    if not tail:
        return 0
    joined = tail + chunk[:_OVERLAP]
    return sum(1 for m in _ROW.finditer(joined) if m.start() < len(tail) < m.end())


def _check_encoding(path: Path, name: str, head: bytes) -> None:
    start = head.lstrip(b" \t\r\n")[:4]
    utf16_or_32 = start.startswith(_WIDE_STARTS)
    if utf16_or_32 or (name.lower().endswith(_XML_SUFFIXES) and b"\x00" in head[:64]):
        raise _refuse(path, f"part {name} is not UTF-8 XML")
    match = _ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if match and match[1].lower() not in (b"utf-8", b"utf8"):
        raise _refuse(path, f"part {name} declares encoding {match[1].decode('ascii', 'replace')}; only UTF-8 is read")


def _check_dimension(path: Path, name: str, head: bytes, limits: WorkbookLimits) -> None:
    match = _DIMENSION.search(head)
    if match and int(match[1]) > limits.max_rows:
        raise _refuse(path, f"sheet {name} spans {int(match[1])} rows; the limit is {limits.max_rows}")
