"""What every judge is: a pure function from one probe's facts and typed parameters to a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from secaudit.model import ObservationStatus

Verdict = tuple[ObservationStatus, str, dict[str, Any]]
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


@dataclass(frozen=True)
class Assertion(Generic[FactsT]):
    """One entry of a probe's vocabulary: the parameter model and the judge function."""

    parameters: type[BaseModel]
    judge: Callable[[FactsT, Any], Verdict]
    summary: str


def listing(items: list[Any], limit: int = 12) -> str:
    """A short comma-separated rendering of ``items`` for one-line evidence."""
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")
