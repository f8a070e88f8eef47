"""Authoring's error, the place a problem names (file, sheet, row, column) and the limits of a cell and a sheet."""

from __future__ import annotations

from pathlib import Path

from secaudit.errors import InputError, Problem

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


MAX_REPORTED_PROBLEMS = 100


def problems_error(path: Path, problems: list[Problem]) -> AuthoringError:
    """One error carrying the problems found in a workbook (the first hundred, then a count of the rest)."""
    shown = problems[:MAX_REPORTED_PROBLEMS]
    if len(problems) > MAX_REPORTED_PROBLEMS:
        shown.append(Problem(path.name, f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problem(s)"))
    return AuthoringError(f"{path.name}: {len(problems)} problem(s); nothing was written", shown)
