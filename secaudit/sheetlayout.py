"""Row heights and print set-up shared by every workbook secaudit writes.

Neither spreadsheet program sizes a row to its wrapped text when it opens a
file that does not say how tall the row is: LibreOffice shows every such row
one line high, so a long question is cut off after its first line. Each row
that holds wrapped text therefore gets an explicit height, estimated from the
text and the width of its column. The estimate errs on the tall side: a row a
line too tall costs a little paper, a row a line too short hides the end of a
question from the person who has to answer it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping

from openpyxl import Workbook
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

LINE_POINTS = 18.0
"""One line of 11-point text in Yu Gothic, Excel's Japanese default and the tallest of the fonts in use."""
PADDING_POINTS = 4.0
MAX_ROW_POINTS = 409.0
"""Excel's largest row height."""
WIDE_UNITS = 2.2
"""Column-width units a full-width character takes (a CJK glyph is about 2.1 Calibri digits wide)."""
NARROW_UNITS = 1.2
"""Units a half-width character takes: Latin text in a wider substitute font (DejaVu Sans for Calibri)."""
CELL_MARGIN_UNITS = 1.5
"""Width lost to the cell's margins and to words that do not fit at the end of a line."""


def new_workbook() -> tuple[Workbook, Worksheet]:
    """A new workbook and the one worksheet it starts with (openpyxl types that sheet as optional)."""
    book = Workbook()
    sheet = book.active
    if not isinstance(sheet, Worksheet):
        raise TypeError(f"a new openpyxl workbook starts with a worksheet, not {type(sheet).__name__}")
    return book, sheet


def text_units(text: str) -> float:
    """How many column-width units ``text`` takes on one line."""
    return sum(WIDE_UNITS if unicodedata.east_asian_width(ch) in "FW" else NARROW_UNITS for ch in text)


def line_count(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (each paragraph starts a line)."""
    usable = max(width - CELL_MARGIN_UNITS, 1.0)
    return sum(max(1, math.ceil(text_units(paragraph) / usable)) for paragraph in text.split("\n"))


def row_points(cells: Iterable[tuple[object, float]]) -> float:
    """The height, in points, that shows every ``(value, column width)`` of a row in full."""
    lines = max((line_count(str(value), width) for value, width in cells if value is not None), default=1)
    return min(MAX_ROW_POINTS, lines * LINE_POINTS + PADDING_POINTS)


def fit_rows(ws: Worksheet, widths: Mapping[int, float], first_row: int, last_row: int) -> None:
    """Set the height of rows ``first_row``..``last_row`` from the text in the columns of ``widths``."""
    for row in range(first_row, last_row + 1):
        cells = ((ws.cell(row, column).value, width) for column, width in widths.items())
        ws.row_dimensions[row].height = row_points(cells)


def print_fit_to_width(ws: Worksheet, title_rows: str | None = None, landscape: bool = True) -> None:
    """A4, one page wide and as many pages long as needed, with ``title_rows`` (e.g. ``"1:1"``) on every page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # narrow margins: the wider the printed area, the larger a sheet scaled to fit it prints
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    if title_rows is not None:
        ws.print_title_rows = title_rows


def print_on_one_page(ws: Worksheet, landscape: bool = False) -> None:
    """A4, the whole sheet scaled onto a single page."""
    print_fit_to_width(ws, landscape=landscape)
    ws.page_setup.fitToHeight = 1
