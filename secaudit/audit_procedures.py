"""Which audit techniques an audit used on a set of controls: the figures of the report's 監査手続 section.

Each control says how its design (整備状況) and its operation (運用状況) are examined
(``Control.audit``); these counts add them up over the controls that applied to a service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secaudit.model.control import AuditPhase, Control, Procedure


@dataclass(frozen=True)
class TechniqueCounts:
    """How many controls were examined with each technique, per phase; every technique is present (0 if unused)."""

    controls: int
    by_phase: dict[AuditPhase, dict[Procedure, int]]
    either_phase: dict[Procedure, int]
    """Controls that used the technique in design, operation or both (each control counted once)."""


def count_techniques(controls: Iterable[Control]) -> TechniqueCounts:
    """Count, for ``controls`` (typically the applicable ones), the controls each technique was used on."""
    by_phase = {phase: dict.fromkeys(Procedure, 0) for phase in AuditPhase}
    either = dict.fromkeys(Procedure, 0)
    total = 0
    for control in controls:
        total += 1
        for phase in AuditPhase:
            for technique in control.audit.phase(phase).techniques:
                by_phase[phase][technique] += 1
        for technique in control.audit.techniques():
            either[technique] += 1
    return TechniqueCounts(controls=total, by_phase=by_phase, either_phase=either)
