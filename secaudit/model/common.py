"""Vocabularies and small value types shared by every model."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SLUG_RE = re.compile(SLUG_PATTERN)

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""An identifier that is safe to use in a path: service ids, checklist names."""


class StrictModel(BaseModel):
    """Base of every model: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class Severity(StrEnum):
    """How bad a failed control or check is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """1 for low up to 4 for critical."""
        return list(Severity).index(self) + 1


class Domain(StrEnum):
    """The nine sections of the MIC guideline's standards part (対策基準)."""

    ORG = "ORG"
    ASSET = "ASSET"
    NET = "NET"
    PHY = "PHY"
    HUM = "HUM"
    TEC = "TEC"
    OPS = "OPS"
    VEND = "VEND"
    EVAL = "EVAL"

    @property
    def section(self) -> int:
        """The guideline section number, 1 to 9."""
        return list(Domain).index(self) + 1


class ControlType(StrEnum):
    """Kind of measure a control asks for."""

    ORGANISATIONAL = "organisational"
    HUMAN = "human"
    PHYSICAL = "physical"
    TECHNICAL = "technical"


class Language(StrEnum):
    """Languages every text is written in."""

    JA = "ja"
    EN = "en"


class LocalizedText(StrictModel):
    """A text in Japanese and English; both are required and non-blank."""

    ja: str
    en: str

    @field_validator("ja", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    def get(self, lang: Language | str) -> str:
        """The text in ``lang`` (ja or en)."""
        return self.en if str(lang) == Language.EN else self.ja
