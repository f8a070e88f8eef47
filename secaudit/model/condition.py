"""Applicability expressions: a small structured language, never eval.

A condition is one of::

    {all: [cond, ...]}   {any: [cond, ...]}   {not: cond}
    {attr: NAME, equals: VALUE} | {attr: NAME, in: [V, ...]}
    {attr: NAME, gte: N} | {attr: NAME, lte: N}

over the facts of a service (see ``Service.facts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, StrictInt, model_validator

from secaudit.model.common import LocalizedText, StrictModel

Scalar = bool | int | str

FACT_NAMES: frozenset[str] = frozenset(
    {
        "internet_facing",
        "personal_data",
        "mynumber",
        "payment",
        "cloud",
        "outsourced",
        "network_tier",
        "confidentiality",
        "integrity",
        "availability",
    }
)
"""The service facts an ``applies_if`` expression may test."""

MAX_DEPTH = 16


class Condition(StrictModel):
    """One node of an applicability expression."""

    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")
    attr: str | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    gte: StrictInt | None = None
    lte: StrictInt | None = None

    model_config = StrictModel.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        comparisons = [
            name
            for name, value in (("equals", self.equals), ("in", self.in_), ("gte", self.gte), ("lte", self.lte))
            if value is not None
        ]
        if self.attr is None and comparisons:
            raise ValueError(f"'{comparisons[0]}' needs 'attr'")
        shapes = [self.all_ is not None, self.any_ is not None, self.not_ is not None, self.attr is not None]
        if sum(shapes) != 1:
            raise ValueError("a condition is exactly one of: all, any, not, or attr with a comparison")
        if self.attr is not None:
            if self.attr not in FACT_NAMES:
                raise ValueError(f"unknown attribute '{self.attr}'; known: {', '.join(sorted(FACT_NAMES))}")
            if len(comparisons) != 1:
                raise ValueError("'attr' needs exactly one of: equals, in, gte, lte")
        for children in (self.all_, self.any_):
            if children is not None and not children:
                raise ValueError("'all' and 'any' need at least one condition")
        if self.depth() > MAX_DEPTH:
            raise ValueError(f"condition nested deeper than {MAX_DEPTH} levels")
        return self

    def depth(self) -> int:
        """How deeply the expression nests."""
        children = [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])]
        return 1 + max((c.depth() for c in children), default=0)

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True when the facts satisfy the condition."""
        if self.all_ is not None:
            return all(c.evaluate(facts) for c in self.all_)
        if self.any_ is not None:
            return any(c.evaluate(facts) for c in self.any_)
        if self.not_ is not None:
            return not self.not_.evaluate(facts)
        assert self.attr is not None
        value = facts.get(self.attr)
        if self.equals is not None:
            return _same(value, self.equals)
        if self.in_ is not None:
            return any(_same(value, v) for v in self.in_)
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if self.gte is not None:
            return value >= self.gte
        assert self.lte is not None
        return value <= self.lte

    def describe(self) -> str:
        """The condition in words, e.g. ``network_tier in [lgwan, mynumber]``."""
        if self.all_ is not None:
            return "(" + " and ".join(c.describe() for c in self.all_) + ")"
        if self.any_ is not None:
            return "(" + " or ".join(c.describe() for c in self.any_) + ")"
        if self.not_ is not None:
            return f"not {self.not_.describe()}"
        if self.equals is not None:
            return f"{self.attr} = {_show(self.equals)}"
        if self.in_ is not None:
            return f"{self.attr} in [{', '.join(_show(v) for v in self.in_)}]"
        if self.gte is not None:
            return f"{self.attr} >= {self.gte}"
        return f"{self.attr} <= {self.lte}"

    def describe_ja(self) -> str:
        """The condition in Japanese words, e.g. ``ネットワーク層がLGWAN接続系またはマイナンバー利用事務系``."""
        if self.all_ is not None:
            return "（" + "かつ".join(c.describe_ja() for c in self.all_) + "）"
        if self.any_ is not None:
            return "（" + "または".join(c.describe_ja() for c in self.any_) + "）"
        if self.not_ is not None:
            return f"{self.not_.describe_ja()}ではない"
        assert self.attr is not None
        label = FACT_LABELS[self.attr][0]
        if self.equals is not None:
            return f"{label}が{value_ja(self.equals)}"
        if self.in_ is not None:
            return f"{label}が{'または'.join(value_ja(v) for v in self.in_)}"
        if self.gte is not None:
            return f"{label}が{self.gte}以上"
        return f"{label}が{self.lte}以下"

    def deciding_part(self, facts: Mapping[str, Any]) -> Condition:
        """The smallest false sub-condition that makes this one false."""
        if self.all_ is not None:
            for child in self.all_:
                if not child.evaluate(facts):
                    return child.deciding_part(facts)
        return self

    def attrs(self) -> list[str]:
        """The service attributes the condition reads, in order, once each."""
        if self.attr is not None:
            return [self.attr]
        children = [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])]
        names: list[str] = []
        for child in children:
            names.extend(n for n in child.attrs() if n not in names)
        return names


FACT_LABELS: dict[str, tuple[str, str]] = {
    "internet_facing": ("インターネット公開", "internet-facing"),
    "personal_data": ("個人情報の取扱い", "personal data"),
    "mynumber": ("マイナンバーの取扱い", "My Number"),
    "payment": ("オンライン決済", "online payment"),
    "cloud": ("クラウド利用形態", "cloud model"),
    "outsourced": ("業務委託", "outsourced"),
    "network_tier": ("ネットワーク層", "network tier"),
    "confidentiality": ("機密性", "confidentiality"),
    "integrity": ("完全性", "integrity"),
    "availability": ("可用性", "availability"),
}
"""Service attributes in words, (Japanese, English)."""

_VALUES_JA: dict[str, str] = {
    "internet": "インターネット接続系",
    "lgwan": "LGWAN接続系",
    "mynumber": "マイナンバー利用事務系",
    "none": "なし",
    "iaas": "IaaS",
    "paas": "PaaS",
    "saas": "SaaS",
}


_VALUES_EN: dict[str, str] = {
    "internet": "Internet tier",
    "lgwan": "LGWAN tier",
    "mynumber": "My Number tier",
    "none": "none",
    "iaas": "IaaS",
    "paas": "PaaS",
    "saas": "SaaS",
}


def value_en(value: Any) -> str:
    """An attribute's value in English words: yes / no, the network tiers by their names."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "(not set)"
    return _VALUES_EN.get(str(value), str(value))


def value_ja(value: Any) -> str:
    """An attribute's value in Japanese: はい / いいえ, the network tiers by their names."""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value is None:
        return "（未設定）"
    return _VALUES_JA.get(str(value), str(value))


def explain(condition: Condition | None, facts: Mapping[str, Any]) -> LocalizedText:
    """Why a condition includes or excludes a control, naming the service's own values, in ja and en."""
    if condition is None:
        return LocalizedText(ja="すべてのサービスに適用", en="applies to every service")
    if condition.evaluate(facts):
        ja, en = _facts(condition, facts)
        return LocalizedText(
            ja=f"適用: 条件「{condition.describe_ja()}」を満たす（このサービス: {ja}）",
            en=f"applies: {condition.describe()} holds (this service: {en})",
        )
    failing = condition.deciding_part(facts)
    ja, en = _facts(failing, facts)
    return LocalizedText(
        ja=f"適用外: 条件「{failing.describe_ja()}」を満たさない（このサービス: {ja}）",
        en=f"excluded: requires {failing.describe()}, but this service has {en}",
    )


def _facts(condition: Condition, facts: Mapping[str, Any]) -> tuple[str, str]:
    ja, en = [], []
    for name in condition.attrs():
        value = facts.get(name)
        ja.append(f"{FACT_LABELS.get(name, (name, name))[0]}が{value_ja(value)}")
        shown = "(none)" if value is None else _show(value)
        en.append(f"{name} = {shown}")
    return "、".join(ja), ", ".join(en)


def _same(value: Any, expected: Scalar) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    return bool(value == expected)


def _show(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
