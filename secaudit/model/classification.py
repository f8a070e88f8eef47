"""The MIC information classification: 機密性, 完全性, 可用性, and which edition's scheme a city runs.

From the guideline's 令和6年10月版 on, 機密性3 is split into 3A (most sensitive), 3B and 3C (least
of the three); 2 and 1 stay. Cities still on the 令和4年版 scheme write 3, 2, 1. A service file says
the level; the workspace (``classification_scheme`` in ``secaudit.yaml``) says which scheme is in
force, and ``ClassificationScheme.refusal`` is the one rule of which levels each scheme accepts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, assert_never

from pydantic import BeforeValidator, Field, StrictInt

from secaudit.model.common import StrictModel, describe_value


class ClassificationScheme(StrEnum):
    """The edition of the MIC guideline whose classification a workspace uses."""

    R6 = "r6"
    """令和6年10月版 and later (令和7年3月版): 機密性 3A / 3B / 3C / 2 / 1."""
    R4 = "r4"
    """令和4年版 and earlier: 機密性 3 / 2 / 1."""


class Confidentiality(StrEnum):
    """One 機密性 level as a service file or a condition writes it.

    Ordered by how sensitive it is: 1 < 2 < 3C < 3B < 3A. The 令和4年版's 3 does not say which of
    3A/3B/3C it would be, so it is compared as the most sensitive of them (3A): a control meant for
    3A information applies to it, and it carries 3A's impact. As a threshold of a condition, 3 stands
    for the whole band: ``gte: 3`` holds for 3C, 3B, 3A and 3 alike.
    """

    ONE = "1"
    TWO = "2"
    THREE = "3"
    THREE_C = "3C"
    THREE_B = "3B"
    THREE_A = "3A"

    @classmethod
    def parse(cls, value: object) -> Confidentiality:
        """The level ``value`` writes: 1, 2, 3 as numbers or text, 3A/3B/3C in either case; else ValueError."""
        if isinstance(value, Confidentiality):
            return value
        written = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(written, str):
            try:
                return cls(written.upper())
            except ValueError:
                pass
        raise ValueError(
            f"機密性 is one of 3A, 3B, 3C, 2, 1 (令和6年10月版) or 3, 2, 1 (令和4年版), not {describe_value(value)}"
        )

    @property
    def band(self) -> int:
        """1, 2 or 3: the level of the 令和4年版 scheme it belongs to."""
        return int(self.value[0])

    @property
    def rank(self) -> int:
        """Where the level sits in the one ordering (1 = least sensitive); 3 ranks with 3A."""
        return _SPAN[self][1]

    def at_least(self, threshold: Confidentiality) -> bool:
        """True when this level is as sensitive as ``threshold`` or more (3 as a threshold: any of the band)."""
        return self.rank >= _SPAN[threshold][0]

    def at_most(self, threshold: Confidentiality) -> bool:
        """True when this level is no more sensitive than ``threshold`` (3 as a threshold: the top of the band)."""
        return self.rank <= _SPAN[threshold][1]

    def matches(self, threshold: Confidentiality) -> bool:
        """True when this level is ``threshold`` (3 as a threshold: any of the band)."""
        return self.at_least(threshold) and self.at_most(threshold)

    # str's own ordering would put "3A" below "3B": every comparison goes by rank instead
    def __lt__(self, other: str) -> bool:
        return self.rank < _other(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= _other(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > _other(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= _other(other).rank


_SPAN: dict[Confidentiality, tuple[int, int]] = {
    Confidentiality.ONE: (1, 1),
    Confidentiality.TWO: (2, 2),
    Confidentiality.THREE_C: (3, 3),
    Confidentiality.THREE_B: (4, 4),
    Confidentiality.THREE_A: (5, 5),
    Confidentiality.THREE: (3, 5),
}
"""The one ordering, as (lowest, highest) rank each level may stand for: 3 spans 3C..3A."""

THREE_SUBDIVISIONS = (Confidentiality.THREE_A, Confidentiality.THREE_B, Confidentiality.THREE_C)
"""The 令和6年10月版's refinement of 機密性3, most sensitive first."""

_SCHEME_LEVELS: dict[ClassificationScheme, tuple[Confidentiality, ...]] = {
    ClassificationScheme.R6: (*THREE_SUBDIVISIONS, Confidentiality.TWO, Confidentiality.ONE),
    ClassificationScheme.R4: (Confidentiality.THREE, Confidentiality.TWO, Confidentiality.ONE),
}


def _other(value: str) -> Confidentiality:
    if not isinstance(value, Confidentiality):
        raise TypeError(f"a 機密性 level compares only with another level, not {describe_value(value)}")
    return value


def scheme_levels(scheme: ClassificationScheme) -> tuple[Confidentiality, ...]:
    """The 機密性 levels ``scheme`` has, most sensitive first."""
    return _SCHEME_LEVELS[scheme]


def refusal(scheme: ClassificationScheme, level: Confidentiality) -> str | None:
    """Why a service of a workspace on ``scheme`` may not declare ``level``, or None when it may."""
    if level in _SCHEME_LEVELS[scheme]:
        return None
    match scheme:
        case ClassificationScheme.R6:
            return (
                f"confidentiality: {level} is the 令和4年版 機密性3; from the 令和6年10月版 on it is split into "
                "3A, 3B and 3C: write one of them (3A the most sensitive), or declare the older scheme "
                "with 'classification_scheme: r4' in secaudit.yaml"
            )
        case ClassificationScheme.R4:
            return (
                f"confidentiality: {level} belongs to the 令和6年10月版 scheme (3A, 3B, 3C), but this workspace "
                "uses the 令和4年版 scheme (3, 2, 1): write 3, or declare 'classification_scheme: r6' in "
                "secaudit.yaml"
            )
        case _:
            assert_never(scheme)


ConfidentialityLevel = Annotated[Confidentiality, BeforeValidator(Confidentiality.parse)]
"""A 機密性 level read from a file: numbers and text alike, never a boolean."""


class Classification(StrictModel):
    """MIC information classification: 機密性 (see ``Confidentiality``), 完全性 1-2, 可用性 1-2."""

    confidentiality: ConfidentialityLevel
    integrity: Annotated[StrictInt, Field(ge=1, le=2)]
    availability: Annotated[StrictInt, Field(ge=1, le=2)]
