"""What every judge is: a pure function from one probe's facts and typed parameters to a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict

from secaudit.model import ObservationStatus
from secaudit.model.config import ScanSettings


class Said(str):
    """A judge's one-line evidence: the English text (what it is as a ``str``) with its Japanese beside it.

    Judges write both languages where they decide, so the report shows the evidence in its own
    language and nothing downstream translates. Values quoted from the target (a header, a banner,
    an error from the operating system) stay as they were received, in both.
    """

    ja: str

    def __new__(cls, en: str, ja: str) -> Said:
        said = super().__new__(cls, en)
        said.ja = ja
        return said

    @property
    def en(self) -> str:
        """The English text."""
        return str.__str__(self)


Verdict = tuple[ObservationStatus, Said, dict[str, Any]]
FactsT = TypeVar("FactsT")

PASS = ObservationStatus.PASS
FAIL = ObservationStatus.FAIL
ERROR = ObservationStatus.ERROR
NOT_RUN = ObservationStatus.NOT_RUN


class NoParameters(BaseModel):
    """An assertion that takes no parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Parameters(BaseModel):
    """Base of every assertion's parameters: unknown keys are an error, and no value is coerced
    (``min_days: true`` is not 1, ``secure: "no"`` is not false)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def with_workspace(self, settings: ScanSettings) -> Self:
        """These parameters with what the check leaves open taken from the workspace's scan settings."""
        return self


@dataclass(frozen=True)
class Assertion(Generic[FactsT]):
    """One entry of a probe's vocabulary: the parameter model and the judge function."""

    parameters: type[BaseModel]
    judge: Callable[[FactsT, Any], Verdict]
    summary: str
    applies: Callable[[FactsT, Any], bool] | None = None
    """Whether facts speak to the check at all (None: always). Facts that do not make no observation: only for
    facts an outside tool reported, whose silence on a subject is neither a pass nor a check that failed to run."""


def listing(items: list[Any], limit: int = 12, *, ja: bool = False) -> str:
    """A short comma-separated rendering of ``items`` for one-line evidence (``ja``: the Japanese tail)."""
    shown = ", ".join(str(i) for i in items[:limit])
    if len(items) <= limit:
        return shown
    return shown + (f" ほか（全{len(items)}件）" if ja else f", ... ({len(items)} in all)")


def both(items: list[Any], limit: int = 12) -> tuple[str, str]:
    """``listing`` in English and in Japanese."""
    return listing(items, limit), listing(items, limit, ja=True)
