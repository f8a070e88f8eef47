"""機密性 levels: how they are read, their one order, and which scheme accepts which."""

from __future__ import annotations

import pytest

from secaudit.model import ClassificationScheme, Confidentiality
from secaudit.model.classification import refusal, scheme_levels
from secaudit.model.labels import SCHEME_TEXT


def test_a_level_reads_the_same_from_a_yaml_number_or_text() -> None:
    assert Confidentiality.parse(2) is Confidentiality.parse("2") is Confidentiality.TWO
    assert Confidentiality.parse("3a") is Confidentiality.THREE_A
    for wrong in (True, 2.0, 0, "3D", None):
        with pytest.raises(ValueError, match="機密性 is one of 3A, 3B, 3C, 2, 1"):
            Confidentiality.parse(wrong)


def test_one_order_from_1_to_3a_with_the_older_3_at_the_top() -> None:
    # str's own order would say "3A" < "3B"
    assert Confidentiality.THREE_A > Confidentiality.THREE_B > Confidentiality.THREE_C > Confidentiality.TWO
    assert Confidentiality.TWO > Confidentiality.ONE
    assert sorted(scheme_levels(ClassificationScheme.R6)) == ["1", "2", "3C", "3B", "3A"]
    top = max(level.rank for level in Confidentiality)
    assert {level for level in Confidentiality if level.rank == top} == {Confidentiality.THREE_A, Confidentiality.THREE}
    assert [level.band for level in scheme_levels(ClassificationScheme.R6)] == [3, 3, 3, 2, 1]
    with pytest.raises(TypeError, match="compares only with another level"):
        assert Confidentiality.THREE_A > "3B"


@pytest.mark.parametrize(
    ("scheme", "accepted"),
    [
        (ClassificationScheme.R6, {"3A", "3B", "3C", "2", "1"}),
        (ClassificationScheme.R4, {"3", "2", "1"}),
    ],
)
def test_each_scheme_accepts_its_own_levels(scheme: ClassificationScheme, accepted: set[str]) -> None:
    assert {level.value for level in Confidentiality if refusal(scheme, level) is None} == accepted


def test_refusals_say_what_to_write_instead() -> None:
    under_r6 = refusal(ClassificationScheme.R6, Confidentiality.THREE)
    assert under_r6 is not None
    assert "3A, 3B and 3C" in under_r6
    assert "classification_scheme: r4" in under_r6
    under_r4 = refusal(ClassificationScheme.R4, Confidentiality.THREE_B)
    assert under_r4 is not None
    assert "令和4年版 scheme (3, 2, 1)" in under_r4
    assert "classification_scheme: r6" in under_r4


def test_every_scheme_has_a_name_in_both_languages() -> None:
    assert set(SCHEME_TEXT) == {scheme.value for scheme in ClassificationScheme}
