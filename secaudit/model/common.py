"""Vocabularies and small value types shared by every model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from secaudit.model.vocab import ControlType as ControlType
from secaudit.model.vocab import Domain as Domain
from secaudit.model.vocab import Language as Language
from secaudit.model.vocab import Severity as Severity

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SLUG_RE = re.compile(SLUG_PATTERN)

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""An identifier that is safe to use in a path: service ids, checklist names."""


class StrictModel(BaseModel):
    """Base of every model: unknown fields are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, defer_build=True)


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
