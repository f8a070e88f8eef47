"""Formula-injection guard for text written into workbook cells, and its reversal on import.

A cell value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return can be taken as a formula by a spreadsheet program (CSV/DDE injection).
Such text is written with a leading apostrophe, which every spreadsheet shows
as plain text; import removes exactly that apostrophe again.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISER = "'"


def neutralise(text: str) -> str:
    """``text`` made safe to put into a cell."""
    if text.startswith(FORMULA_TRIGGERS):
        return NEUTRALISER + text
    return text


def restore(value: object) -> object:
    """Undo ``neutralise`` on a value read back from a cell; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(NEUTRALISER) and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value
