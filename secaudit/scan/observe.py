"""Observations: every check of a probe judged on every fact of that probe, one line of evidence each.

The engine observes what its probes collected; an import observes what an outside tool's file says, through
the same judges, and says "not run" (never pass) for a check the file cannot answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from secaudit.model import Check, Facts, Observation, ObservationStatus
from secaudit.scan.judges import judge, speaks_to
from secaudit.scan.judges.base import Said

MAX_EVIDENCE = 500


@dataclass(frozen=True)
class Source:
    """Where facts came from when not from this secaudit's own probes: shown before every evidence line."""

    label: Said
    """e.g. ``imported from sslyze 6.3.1`` / ``sslyze 6.3.1 から取込``."""
    details: Mapping[str, object]
    """Kept in each observation's details under ``imported``."""


def observe(
    run_id: str,
    service_id: str,
    observed_at: dt.datetime,
    checks: Sequence[Check],
    parameters: Mapping[str, BaseModel],
    facts: Sequence[Facts],
    *,
    source: Source | None = None,
    unanswered: Sequence[Mapping[str, Said]] | None = None,
) -> list[Observation]:
    """One observation per check per fact of the check's probe (per address when a target has several).

    ``unanswered`` (one mapping per fact, from assertion name to why) names the checks an outside tool's
    file cannot answer for that fact: they are "not run" with the reason, and their judge is not asked."""
    per_target: dict[tuple[str, str], int] = {}
    for f in facts:
        per_target[(f.kind, f.target)] = per_target.get((f.kind, f.target), 0) + 1
    result = []
    for check in checks:
        for index, f in enumerate(facts):
            if f.kind != check.probe.value or not speaks_to(check, parameters[check.id], f):
                continue
            why = unanswered[index].get(check.assertion) if unanswered is not None else None
            if why is not None and f.error is None:
                status, evidence = ObservationStatus.NOT_RUN, Said(f"not run: {why.en}", f"未実施: {why.ja}")
                details: dict[str, object] = {"not_answered": why.en}
            else:
                status, evidence, details = judge(check, parameters[check.id], f)
            if source is not None:
                evidence = Said(f"[{source.label.en}] {evidence.en}", f"［{source.label.ja}］{evidence.ja}")
                details = {**details, "imported": dict(source.details)}
            target = f.target if per_target[(f.kind, f.target)] == 1 else f"{f.target} [{f.address}]"
            result.append(
                Observation(
                    run_id=run_id,
                    service_id=service_id,
                    check_id=check.id,
                    target=target,
                    status=status,
                    evidence=one_line(evidence.en, MAX_EVIDENCE),
                    evidence_ja=one_line(evidence.ja, MAX_EVIDENCE),
                    details=details,
                    observed_at=observed_at,
                    baseline=str(check.baseline) if check.baseline else None,
                )
            )
    return result


def one_line(text: str, limit: int) -> str:
    """Whitespace (newlines included) collapsed to single spaces; content kept verbatim otherwise."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
