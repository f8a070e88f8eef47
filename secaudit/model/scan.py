"""Scan runs: one visit of a service's scope with one profile."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from pydantic import Field

from secaudit.model.common import Moment, Slug, StrictModel


class RunStatus(StrEnum):
    """How a scan run ended.

    A run with some errored targets is still ``completed``; ``unreachable`` when no target
    answered at all (its observations are kept, but nothing about the service was seen).
    """

    RUNNING = "running"
    COMPLETED = "completed"
    UNREACHABLE = "unreachable"
    FAILED = "failed"

    @property
    def is_evidence(self) -> bool:
        """True for a run whose observations the assessment reads (completed or unreachable)."""
        return self in (RunStatus.COMPLETED, RunStatus.UNREACHABLE)


class ScanRun(StrictModel):
    """The record of one scan run: when, how, over what scope, and how it ended."""

    id: str
    service_id: Slug
    profile: Slug
    started_at: Moment
    finished_at: Moment | None = None
    status: RunStatus = RunStatus.RUNNING
    secaudit_version: str
    nmap_version: str | None = None
    scope: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    sensor: str | None = None
    """The trusted sensor whose signed bundle brought the run in; None for a run made here."""

    @property
    def imported(self) -> dict[str, Any] | None:
        """Where an imported run's results came from (format, tool and version, file and sha256, scan and
        import times, who imported it), kept in its scope record; None for a run secaudit made."""
        found = self.scope.get("imported")
        return found if isinstance(found, dict) else None

    @property
    def comparison_key(self) -> tuple[str, str]:
        """What makes two runs of one service comparable: the same profile over the same scope targets. Drift
        compares such runs, and of imported runs only the newest of each key is evidence (a rescan replaces)."""
        targets = self.scope.get("targets", self.scope)
        return self.profile, json.dumps(targets, sort_keys=True, ensure_ascii=False, default=str)

    @property
    def imported_at(self) -> dt.datetime | None:
        """When an imported run was imported (its ``started_at`` is when the outside tool scanned)."""
        when = (self.imported or {}).get("imported_at")
        try:
            return dt.datetime.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            return None
