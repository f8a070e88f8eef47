"""The one formula-injection guard every workbook and CSV writer uses."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secaudit.cellsafety import cell_safe, neutralise, restore, restore_text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81-3-1234", "'+81-3-1234"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("＝ＳＵＭ(A1)", "'＝ＳＵＭ(A1)"),
        ("'=already quoted", "''=already quoted"),
        ("普通の回答", "普通の回答"),
        ("", ""),
        ("'not a formula", "'not a formula"),
    ],
)
def test_neutralise_and_restore_round_trip(text: str, written: str) -> None:
    assert neutralise(text) == written
    assert restore_text(written) == text
    assert restore(written) == text


def test_other_values_pass_unchanged() -> None:
    day = dt.date(2026, 4, 1)
    assert cell_safe(3) == 3 and cell_safe(None) is None and cell_safe(day) == day
    assert restore(5) == 5


@pytest.mark.parametrize("text", ["=1+2", "+x", "-x", "@x", "\tx", "\rx", "'=x", "''-x", "plain", "'plain", "'"])
def test_neutralise_and_restore_are_inverse(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert neutralise(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")


@given(st.text(max_size=40))
def test_neutralise_round_trips_any_text(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert neutralise(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")
