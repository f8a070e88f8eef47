"""Applicability expressions: a small structured language, never eval.

A condition is one of::

    {all: [cond, ...]}   {any: [cond, ...]}   {not: cond}
    {attr: NAME, equals: VALUE} | {attr: NAME, in: [V, ...]}
    {attr: NAME, gte: N} | {attr: NAME, lte: N}

over the facts of a service (see ``Service.facts``). Over ``confidentiality`` the values are 機密性
levels (1, 2, 3, 3C, 3B, 3A) compared in their one order (``Confidentiality``): a bare 3 stands for
the whole band, so ``gte: 3`` holds for 3A, 3B and 3C and for the 令和4年版's 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictInt, ValidationInfo, field_validator, model_validator

from secaudit.model.classification import THREE_SUBDIVISIONS, Confidentiality
from secaudit.model.common import LocalizedText, StrictModel, describe_value

Scalar = bool | int | str

FACT_LABELS: dict[str, tuple[str, str]] = {
    "internet_facing": ("インターネット公開", "internet-facing"),
    "personal_data": ("個人情報の取扱い", "personal data"),
    "mynumber": ("マイナンバーの取扱い", "My Number"),
    "payment": ("オンライン決済", "online payment"),
    "cloud": ("クラウド利用形態", "cloud model"),
    "outsourced": ("業務委託", "outsourced"),
    "network_tier": ("ネットワーク層", "network tier"),
    "network_model": ("ネットワーク分離モデル", "network model"),
    "standard_system": ("標準準拠システムとの連携", "linked to a standard-compliant system"),
    "gov_cloud": ("ガバメントクラウド利用", "on the Government Cloud"),
    "generative_ai": ("生成AIの利用", "generative AI"),
    "remote_access": ("庁外からのリモートアクセス", "remote access"),
    "confidentiality": ("機密性", "confidentiality"),
    "integrity": ("完全性", "integrity"),
    "availability": ("可用性", "availability"),
}
"""Service attributes in words, (Japanese, English): the one table of the facts a condition may test."""

FACT_NAMES: frozenset[str] = frozenset(FACT_LABELS)
"""The service facts an ``applies_if`` expression may test."""

CONFIDENTIALITY = "confidentiality"
"""The fact whose values are 機密性 levels, compared in their own order."""

MAX_DEPTH = 16


def _number_or_level(value: object) -> object:
    # one message for a wrong type, not one per member of the union
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(
            f"must be a whole number, not {describe_value(value)} ({CONFIDENTIALITY} also takes a level such as 3B)"
        )
    return value


NumberOrLevel = Annotated[StrictInt | str, BeforeValidator(_number_or_level)]
"""What ``gte`` and ``lte`` compare with: a number; over ``confidentiality`` also a level such as ``3B``."""


class Condition(StrictModel):
    """One node of an applicability expression."""

    all_: list[Condition] | None = Field(default=None, alias="all")
    any_: list[Condition] | None = Field(default=None, alias="any")
    not_: Condition | None = Field(default=None, alias="not")
    attr: str | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    gte: NumberOrLevel | None = None
    lte: NumberOrLevel | None = None

    model_config = StrictModel.model_config | {"populate_by_name": True}

    @field_validator("equals", "in_", "gte", "lte")
    @classmethod
    def _operand(cls, value: Scalar | list[Scalar] | None, info: ValidationInfo) -> Scalar | list[Scalar] | None:
        """Over 機密性 every operand is a level (written 3B, not 3b); elsewhere gte and lte take numbers."""
        if value is None:
            return None
        if info.data.get("attr") == CONFIDENTIALITY:
            return [_level_operand(v) for v in value] if isinstance(value, list) else _level_operand(value)
        if info.field_name in ("gte", "lte") and isinstance(value, str):
            raise ValueError(f"must be a whole number; levels such as 3B apply to {CONFIDENTIALITY} only")
        return value

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

    def _attribute(self) -> str:
        """The attribute a leaf compares (a leaf is what is left once all, any and not are ruled out)."""
        if self.attr is None:
            raise ValueError("a condition is exactly one of: all, any, not, or attr with a comparison")
        return self.attr

    def _operands(self) -> list[Scalar]:
        """The values the comparison names."""
        single = [v for v in (self.equals, self.gte, self.lte) if v is not None]
        return [*single, *(self.in_ or [])]

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
        attr = self._attribute()
        value = facts.get(attr)
        if attr == CONFIDENTIALITY:
            return self._level_holds(value)
        if self.equals is not None:
            return _same(value, self.equals)
        if self.in_ is not None:
            return any(_same(value, v) for v in self.in_)
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if isinstance(self.gte, int):
            return value >= self.gte
        if isinstance(self.lte, int):
            return value <= self.lte
        # a level as text was refused for every other attribute when the condition was read
        raise ValueError(f"{attr} is compared with {self.gte or self.lte!r}, not a number")

    def _level_holds(self, value: Any) -> bool:
        """The comparison over a 機密性 level (the operands were checked to be levels when the condition was read)."""
        try:
            level = Confidentiality.parse(value)
        except ValueError:
            return False
        if self.equals is not None:
            return level.matches(Confidentiality.parse(self.equals))
        if self.in_ is not None:
            return any(level.matches(Confidentiality.parse(v)) for v in self.in_)
        if self.gte is not None:
            return level.at_least(Confidentiality.parse(self.gte))
        if self.lte is not None:
            return level.at_most(Confidentiality.parse(self.lte))
        raise ValueError(f"{CONFIDENTIALITY} is compared with nothing")

    def names_subband(self) -> bool:
        """True when the condition compares 機密性 with 3A, 3B or 3C somewhere."""
        if self.attr == CONFIDENTIALITY:
            return any(Confidentiality.parse(v) in THREE_SUBDIVISIONS for v in self._operands())
        children = [*(self.all_ or []), *(self.any_ or []), *([self.not_] if self.not_ else [])]
        return any(c.names_subband() for c in children)

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
        label = FACT_LABELS[self._attribute()][0]
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


_VALUES_JA: dict[str, str] = {
    "internet": "インターネット接続系",
    "lgwan": "LGWAN接続系",
    "mynumber": "マイナンバー利用事務系",
    "none": "なし",
    "iaas": "IaaS",
    "paas": "PaaS",
    "saas": "SaaS",
    "lgwan_asp": "LGWAN-ASP",
    "alpha": "αモデル",
    "alpha_prime": "α′モデル",
    "beta": "βモデル",
    "beta_prime": "β′モデル",
}


_VALUES_EN: dict[str, str] = {
    "internet": "Internet tier",
    "lgwan": "LGWAN tier",
    "mynumber": "My Number tier",
    "none": "none",
    "iaas": "IaaS",
    "paas": "PaaS",
    "saas": "SaaS",
    "lgwan_asp": "LGWAN-ASP",
    "alpha": "model α",
    "alpha_prime": "model α′",
    "beta": "model β",
    "beta_prime": "model β′",
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
        note_ja = note_en = ""
        if value is Confidentiality.THREE and condition.names_subband():
            # say why a 令和4年版 3 meets "3A or above" (and fails "3B or below")
            note_ja = "（令和4年版の区分。3A・3B・3Cとの比較では3Aとみなす）"
            note_en = " (令和4年版 scheme, compared as 3A)"
        ja.append(f"{FACT_LABELS.get(name, (name, name))[0]}が{value_ja(value)}{note_ja}")
        shown = "(none)" if value is None else _show(value)
        en.append(f"{name} = {shown}{note_en}")
    return "、".join(ja), ", ".join(en)


def _level_operand(value: Scalar) -> Scalar:
    """A 機密性 level as a condition writes it: numbers stay numbers, text becomes the level's own spelling."""
    level = Confidentiality.parse(value)
    return value if isinstance(value, int) else level.value


def _same(value: Any, expected: Scalar) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    return bool(value == expected)


def _show(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
