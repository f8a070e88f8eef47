"""Applicability expressions, table-driven."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from secaudit.model import Condition

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
        ({"attr": "confidentiality", "equals": True}, False),
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
