"""Cell-level safety shared by every workbook secaudit writes or reads."""

from __future__ import annotations

import zipfile
from pathlib import Path

from secaudit.errors import InputError, Problem

"""Leading characters that make a spreadsheet treat text as a formula."""

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 2_000
MAX_ROWS = 10_000
MAX_COLUMNS = 80
MAX_CELL_CHARS = 32_767


class AuthoringError(InputError):
    """An authoring workbook or its conversion is invalid (exit 2)."""


def where(path: Path, sheet: str, row: int | None = None, column: str | None = None, key: str | None = None) -> str:
    """A location like ``book.xlsx: sheet 'controls', row 7, column F (severity)``."""
    parts = [f"{path.name}: sheet '{sheet}'"]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column}" + (f" ({key})" if key else ""))
    return ", ".join(parts)


def check_container(path: Path) -> None:
    """Refuse anything that is not a modest .xlsx file before any XML is parsed."""
    if path.suffix.lower() != ".xlsx":
        raise AuthoringError(f"{path.name}: not an .xlsx workbook (only .xlsx files are read)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AuthoringError(f"{path}: cannot read the file: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise AuthoringError(f"{path.name}: file is {size} bytes; the limit is {MAX_FILE_BYTES}")
    if not zipfile.is_zipfile(path):
        raise AuthoringError(f"{path.name}: not an .xlsx workbook (not a ZIP container)")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
        raise AuthoringError(f"{path.name}: damaged .xlsx container: {exc}") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise AuthoringError(f"{path.name}: {len(entries)} parts in the container; the limit is {MAX_ZIP_ENTRIES}")
    total = sum(entry.file_size for entry in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise AuthoringError(
            f"{path.name}: unpacks to {total} bytes; the limit is {MAX_UNCOMPRESSED_BYTES} (possible ZIP bomb)"
        )
    names = {entry.filename for entry in entries}
    if "xl/workbook.xml" not in names:
        raise AuthoringError(f"{path.name}: not an .xlsx workbook (no xl/workbook.xml)")


MAX_REPORTED_PROBLEMS = 100


def problems_error(path: Path, problems: list[Problem]) -> AuthoringError:
    """One error carrying the problems found in a workbook (the first hundred, then a count of the rest)."""
    shown = problems[:MAX_REPORTED_PROBLEMS]
    if len(problems) > MAX_REPORTED_PROBLEMS:
        shown.append(Problem(path.name, f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problem(s)"))
    return AuthoringError(f"{path.name}: {len(problems)} problem(s); nothing was written", shown)
