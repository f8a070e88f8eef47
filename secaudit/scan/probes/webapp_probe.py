"""Web application findings: a probe secaudit never runs itself; its facts come only from imported results.

Registered so that the store, drift and the engine treat imported web findings like any probe's facts.
It plans for no target (a profile naming it visits nothing), and collecting is refused.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence

from secaudit.model import ProbeKind, Profile, Target, WebAppFacts
from secaudit.model.drift import DriftKind, DriftState
from secaudit.scan.errors import ProbeFailure
from secaudit.scan.probes.base import Change, Collected, DriftPolicy, ProbeContext
from secaudit.scan.scope import ApprovedTarget


class WebAppProbe:
    """An outside scanner's web application findings (ZAP, SARIF), per declared URL target."""

    kind = ProbeKind.WEBAPP
    facts_model = WebAppFacts

    def plans_for(self, target: Target) -> bool:
        """Never: secaudit does not attack web applications; their findings are imported."""
        return False

    def needs_nmap(self, profile: Profile) -> bool:
        """Never."""
        return False

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        """Refused: web application findings come only from 'secaudit scan import'."""
        raise ProbeFailure("web application findings come only from imported results (secaudit scan import)")

    def error_facts(self, approved: ApprovedTarget, message: str) -> WebAppFacts:
        """Facts of a target whose findings could not be read."""
        return WebAppFacts(target=approved.label, tool="secaudit", error=message)

    def answered(self, facts: WebAppFacts) -> bool:
        """Any facts without error."""
        return facts.error is None

    def pairing(self, facts: WebAppFacts) -> Hashable:
        """One URL target as one tool saw it."""
        return (facts.target, facts.tool)

    def changes(self, pairs: Sequence[tuple[WebAppFacts, WebAppFacts]], policy: DriftPolicy) -> Iterator[Change]:
        """Findings (by rule) that appeared or went away between two imports of the same tool."""
        for prev, new in pairs:
            was = {f.rule: f for f in prev.findings}
            now = {f.rule: f for f in new.findings}
            for rule in sorted(set(was) | set(now)):
                if rule in now and rule not in was:
                    found = now[rule]
                    message = f"{new.tool} now reports {found.name} [{found.risk}] on {new.target}"
                    yield Change(DriftKind.WEB_FINDING, new.target, rule, DriftState.NEW, message, None, found.name)
                elif rule in was and rule not in now:
                    gone = was[rule]
                    message = f"{new.tool} no longer reports {gone.name} on {new.target}"
                    yield Change(DriftKind.WEB_FINDING, new.target, rule, DriftState.RESOLVED, message, gone.name, None)
