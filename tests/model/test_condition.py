"""Applicability expressions, table-driven."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from secaudit.model import Condition, Confidentiality
from secaudit.model.condition import explain

FACTS = {
    "internet_facing": True,
    "personal_data": True,
    "mynumber": False,
    "payment": True,
    "cloud": "saas",
    "outsourced": True,
    "network_tier": "internet",
    "confidentiality": 3,
    "integrity": 2,
    "availability": 1,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"attr": "internet_facing", "equals": True}, True),
        ({"attr": "mynumber", "equals": True}, False),
        ({"attr": "cloud", "in": ["iaas", "paas", "saas"]}, True),
        ({"attr": "network_tier", "in": ["lgwan", "mynumber"]}, False),
        ({"attr": "confidentiality", "gte": 2}, True),
        ({"attr": "availability", "gte": 2}, False),
        ({"attr": "integrity", "lte": 1}, False),
        ({"not": {"attr": "cloud", "equals": "none"}}, True),
        ({"all": [{"attr": "payment", "equals": True}, {"attr": "internet_facing", "equals": True}]}, True),
        ({"all": [{"attr": "payment", "equals": True}, {"attr": "mynumber", "equals": True}]}, False),
        ({"any": [{"attr": "mynumber", "equals": True}, {"attr": "confidentiality", "gte": 3}]}, True),
        ({"any": [{"attr": "mynumber", "equals": True}, {"attr": "outsourced", "equals": False}]}, False),
        # a boolean never equals a number, even though Python says True == 1
        ({"attr": "internet_facing", "equals": 1}, False),
        ({"attr": "integrity", "equals": True}, False),
    ],
)
def test_evaluate(expression: dict, expected: bool) -> None:
    assert Condition.model_validate(expression).evaluate(FACTS) is expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"attr": "colour", "equals": "red"}, "unknown attribute 'colour'"),
        ({"attr": "cloud"}, "exactly one of: equals, in, gte, lte"),
        ({"attr": "cloud", "equals": "saas", "in": ["saas"]}, "exactly one of"),
        ({"all": []}, "at least one condition"),
        ({"equals": 3}, "needs 'attr'"),
        ({"all": [{"attr": "cloud", "equals": "saas"}], "any": [{"attr": "cloud", "equals": "saas"}]}, "exactly one"),
        ({"attr": "cloud", "equals": "saas", "eval": "__import__('os')"}, "Extra inputs"),
        # over 機密性 every operand is a level; levels as text only there
        ({"attr": "confidentiality", "equals": True}, "not the boolean true"),
        ({"attr": "confidentiality", "gte": "3D"}, "one of 3A, 3B, 3C, 2, 1"),
        ({"attr": "confidentiality", "gte": 4}, "not the number 4"),
        ({"attr": "confidentiality", "in": ["3B", "high"]}, "not the text 'high'"),
        ({"attr": "integrity", "gte": "3B"}, "apply to confidentiality only"),
        ({"attr": "availability", "lte": "2"}, "must be a whole number; levels"),
    ],
)
def test_invalid(expression: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Condition.model_validate(expression)


def test_describe_and_failing_part() -> None:
    cond = Condition.model_validate(
        {"all": [{"attr": "internet_facing", "equals": True}, {"attr": "network_tier", "in": ["lgwan", "mynumber"]}]}
    )
    assert cond.describe() == "(internet_facing = true and network_tier in [lgwan, mynumber])"
    assert cond.deciding_part(FACTS).describe() == "network_tier in [lgwan, mynumber]"
    assert (
        cond.describe_ja() == "（インターネット公開がはいかつネットワーク層がLGWAN接続系またはマイナンバー利用事務系）"
    )


def test_deep_nesting_is_refused() -> None:
    expr: dict = {"attr": "cloud", "equals": "saas"}
    for _ in range(20):
        expr = {"not": expr}
    with pytest.raises(ValidationError, match="nested deeper"):
        Condition.model_validate(expr)


ALL_LEVELS = {"3A", "3B", "3C", "3", "2", "1"}


@pytest.mark.parametrize(
    ("comparison", "holds_for"),
    [
        # a bare number is a band: the 令和4年版's checklists keep their meaning under both schemes
        ({"gte": 3}, {"3A", "3B", "3C", "3"}),
        ({"gte": 2}, {"3A", "3B", "3C", "3", "2"}),
        ({"gte": "2"}, {"3A", "3B", "3C", "3", "2"}),
        ({"lte": 2}, {"2", "1"}),
        ({"lte": 1}, {"1"}),
        ({"lte": 3}, ALL_LEVELS),
        ({"equals": 3}, {"3A", "3B", "3C", "3"}),
        # a level names one step of the order 1 < 2 < 3C < 3B < 3A; a 令和4年版 3 compares as 3A
        ({"gte": "3B"}, {"3A", "3B", "3"}),
        ({"gte": "3b"}, {"3A", "3B", "3"}),
        ({"gte": "3A"}, {"3A", "3"}),
        ({"gte": "3C"}, {"3A", "3B", "3C", "3"}),
        ({"lte": "3C"}, {"3C", "2", "1"}),
        ({"lte": "3B"}, {"3B", "3C", "2", "1"}),
        ({"lte": "3A"}, ALL_LEVELS),
        ({"equals": "3B"}, {"3B"}),
        ({"equals": "3A"}, {"3A", "3"}),
        ({"equals": 2}, {"2"}),
        ({"in": ["3C", 1]}, {"3C", "1"}),
    ],
)
def test_confidentiality_levels_compare_in_one_order(comparison: dict, holds_for: set[str]) -> None:
    condition = Condition.model_validate({"attr": "confidentiality", **comparison})
    assert {level.value for level in Confidentiality if condition.evaluate({"confidentiality": level})} == holds_for


def test_levels_are_described_as_written_in_both_languages() -> None:
    condition = Condition.model_validate({"attr": "confidentiality", "gte": "3b"})
    assert condition.describe() == "confidentiality >= 3B"
    assert condition.describe_ja() == "機密性が3B以上"
    inside = explain(condition, {"confidentiality": Confidentiality.THREE_B})
    assert inside.ja == "適用: 条件「機密性が3B以上」を満たす（このサービス: 機密性が3B）"
    assert inside.en == "applies: confidentiality >= 3B holds (this service: confidentiality = 3B)"
    outside = explain(condition, {"confidentiality": Confidentiality.THREE_C})
    assert outside.en == "excluded: requires confidentiality >= 3B, but this service has confidentiality = 3C"


def test_an_older_scheme_three_is_explained_when_compared_with_a_subdivision() -> None:
    facts = {"confidentiality": Confidentiality.THREE}
    by_letter = explain(Condition.model_validate({"attr": "confidentiality", "gte": "3A"}), facts)
    assert "機密性が3（令和4年版の区分。3A・3B・3Cとの比較では3Aとみなす）" in by_letter.ja
    assert "confidentiality = 3 (令和4年版 scheme, compared as 3A)" in by_letter.en
    by_band = explain(Condition.model_validate({"attr": "confidentiality", "gte": 2}), facts)
    assert by_band.en == "applies: confidentiality >= 2 holds (this service: confidentiality = 3)"
