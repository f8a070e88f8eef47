"""Formula-injection guard for text written to spreadsheets and CSV, and its reversal on import.

A cell value that starts with ``=``, ``+``, ``-``, ``@``, a tab, a line break or
a full-width ``＝＋－＠`` can be run as a formula by a spreadsheet program
(CSV/DDE injection). Such text is written with a leading apostrophe, which
spreadsheets show as plain text; ``restore`` removes exactly that apostrophe,
so text that itself begins with apostrophes survives a round trip unchanged.
Every workbook and CSV secaudit writes goes through this one module.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NEUTRALISER = "'"


def _dangerous(text: str) -> bool:
    return text.lstrip(NEUTRALISER).startswith(FORMULA_TRIGGERS)


def neutralise(text: str) -> str:
    """``text`` made safe to put into a cell."""
    return NEUTRALISER + text if _dangerous(text) else text


def restore_text(text: str) -> str:
    """Undo ``neutralise``: drop the apostrophe it added, and only that one."""
    return text[1:] if text.startswith(NEUTRALISER) and _dangerous(text) else text


def restore(value: object) -> object:
    """``restore_text`` for a value read back from a cell; other values pass unchanged."""
    return restore_text(value) if isinstance(value, str) else value


def cell_safe(value: object) -> object:
    """``neutralise`` for text; numbers, dates and empty cells pass unchanged."""
    return neutralise(value) if isinstance(value, str) else value
