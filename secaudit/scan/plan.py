"""The plan of a run: which probe visits which approved target."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from secaudit.model import ProbeKind, Profile
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
    """Host targets get the ports probe; https URLs the TLS probe; every URL the HTTP probe."""
    tasks: list[ProbeTask] = []
    for approved in decision.approved:
        target = approved.target
        if target.host is not None and ProbeKind.PORTS in profile.probes:
            tasks.append(ProbeTask(ProbeKind.PORTS, approved))
        if target.url is not None:
            https = urlsplit(target.url).scheme == "https"
            if https and ProbeKind.TLS in profile.probes:
                tasks.append(ProbeTask(ProbeKind.TLS, approved))
            if ProbeKind.HTTP in profile.probes:
                tasks.append(ProbeTask(ProbeKind.HTTP, approved))
    return tasks
