"""The plan of a run: which probe visits which approved target."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.model import ProbeKind, Profile
from secaudit.scan.probes import REGISTRY
from secaudit.scan.scope import ApprovedTarget, ScopeDecision


@dataclass(frozen=True)
class ProbeTask:
    """One probe visiting one approved target."""

    probe: ProbeKind
    approved: ApprovedTarget

    @property
    def label(self) -> str:
        """``probe target`` for progress lines."""
        return f"{self.probe.value} {self.approved.label}"


def build_plan(decision: ScopeDecision, profile: Profile) -> list[ProbeTask]:
    """Per approved target, in registry order, every probe of the profile that plans for the target."""
    return [
        ProbeTask(kind, approved)
        for approved in decision.approved
        for kind, probe in REGISTRY.items()
        if kind in profile.probes and probe.plans_for(approved.target)
    ]
