"""What every probe is: which targets it plans for, how it collects facts, and what changed between runs.

The registry (``secaudit.scan.probes.REGISTRY``) lists every probe; the planner,
the engine and drift iterate it and never name a probe themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from secaudit.model import Check, Facts, ProbeKind, Profile, Target
from secaudit.model.drift import DriftKind, DriftState
from secaudit.scan.probes.ports import NmapInstall
from secaudit.scan.scope import ApprovedTarget, ScopeDecision

FactsT = TypeVar("FactsT", bound=BaseModel)


@dataclass(frozen=True)
class ProbeContext:
    """What every probe task of one run may read: the profile, the scope, nmap, the checks' data, the start."""

    profile: Profile
    decision: ScopeDecision
    checks: Sequence[Check]
    parameters: Mapping[str, BaseModel]
    now: dt.datetime
    nmap: NmapInstall | None = None


@dataclass
class Collected:
    """What one probe task brought back: its facts, and nmap's raw XML to archive beside the run."""

    facts: list[Facts]
    raw_xml: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class DriftPolicy:
    """What drift compares by: the catalog's checks (their parameters) and the certificate warning."""

    checks: Sequence[Check]
    cert_expiry_warning_days: int


@dataclass(frozen=True)
class Change:
    """One change a probe sees between two runs' facts, in drift's vocabulary."""

    kind: DriftKind
    target: str
    key: str
    state: DriftState
    message: str
    before: Any = None
    after: Any = None


@runtime_checkable
class Probe(Protocol[FactsT]):
    """One kind of probe: it plans, collects (errors as facts, within a deadline) and compares runs."""

    kind: ProbeKind
    facts_model: type[FactsT]

    def plans_for(self, target: Target) -> bool:
        """Whether this probe visits ``target`` (a declared host or URL)."""
        ...

    def needs_nmap(self, profile: Profile) -> bool:
        """Whether this probe runs nmap under ``profile`` (the engine then locates it once)."""
        ...

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        """Visit one approved target within the profile's deadline; a failure is error facts, not raised."""
        ...

    def error_facts(self, approved: ApprovedTarget, message: str) -> FactsT:
        """The facts recorded when collecting ``approved`` failed with ``message``."""
        ...

    def answered(self, facts: FactsT) -> bool:
        """Whether ``facts`` show the target answering (a run where no target answered is unreachable)."""
        ...

    def pairing(self, facts: FactsT) -> Hashable:
        """What identifies the same thing observed in two runs (drift compares facts with equal keys)."""
        ...

    def changes(self, pairs: Sequence[tuple[FactsT, FactsT]], policy: DriftPolicy) -> Iterator[Change]:
        """Every change from each ``(before, after)`` pair of error-free facts with equal keys, for drift."""
        ...
