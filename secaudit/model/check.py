"""Declarative scanner checks and scan profiles (``scanners/*.yaml``)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, field_validator, model_validator

from secaudit.model.common import LocalizedText, Severity, Slug, StrictModel, UniqueList
from secaudit.model.control import CheckId


class ProbeKind(StrEnum):
    """The probes that collect facts; each check judges the facts of one."""

    PORTS = "ports"
    TLS = "tls"
    HTTP = "http"
    WEBAPP = "webapp"
    """Web application findings: only an outside tool's imported results (ZAP, SARIF) hold them."""


class Baseline(StrictModel):
    """The published baseline a check follows, with its version."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    version: Annotated[str, StringConstraints(min_length=1, max_length=40)]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Check(StrictModel):
    """A named assertion over the facts one probe collects."""

    id: CheckId
    probe: ProbeKind
    title: LocalizedText
    severity: Severity
    assertion: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    parameters: dict[str, Any] = Field(default_factory=dict)
    """JSON values only: a YAML date (``since: 2026-03-15``) is kept as its ISO text, so a check reads the
    same from its file, from the catalog cache and from an export."""
    baseline: Baseline | None = None
    description: LocalizedText | None = None
    remediation: LocalizedText | None = None

    @field_validator("parameters")
    @classmethod
    def _json_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {k: _as_json(v) for k, v in value.items()}


def _as_json(value: Any) -> Any:
    if isinstance(value, dt.date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


class NmapOptions(StrictModel):
    """The only nmap settings a profile can fix; never free text."""

    top_ports: Annotated[StrictInt, Field(ge=1, le=10000)] | None = None
    """nmap's N most common TCP ports, by nmap's own ranking (``--top-ports N``)."""
    all_ports: StrictBool = False
    """Every TCP port, 1 to 65,535."""
    ports: UniqueList[Annotated[StrictInt, Field(ge=1, le=65535)]] = Field(default_factory=list)
    """Ports scanned besides those (a target's declared ports and ports that checks name are always added)."""
    timing: Annotated[StrictInt, Field(ge=0, le=5)] = 3
    version_detection: StrictBool = False
    version_intensity: Annotated[StrictInt, Field(ge=0, le=9)] | None = None
    """nmap's ``--version-intensity`` (2 is ``--version-light``; nmap's default is 7)."""
    host_timeout_s: Annotated[StrictInt, Field(ge=5, le=7200)] = 120
    max_rate: Annotated[StrictInt, Field(ge=1, le=100000)] | None = None
    scripts: UniqueList[Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_port_rule(self) -> NmapOptions:
        if self.all_ports and self.top_ports is not None:
            raise ValueError("a profile scans either all_ports or top_ports, not both")
        return self


class Profile(StrictModel):
    """A named scan profile: which probes run, with which nmap options and deadlines."""

    id: Slug
    title: LocalizedText
    probes: UniqueList[ProbeKind] = Field(min_length=1)
    nmap: NmapOptions = Field(default_factory=NmapOptions)
    probe_timeout_s: Annotated[StrictFloat, Field(gt=0, le=3600)] = 30.0
    concurrency: Annotated[StrictInt, Field(ge=1, le=32)] = 4

    def run_time_limit_s(self, targets: int) -> float:
        """The longest a run of this profile over ``targets`` targets may take with every probe spending its whole
        deadline (each probe per target, ``concurrency`` at a time), plus a minute: a zone worker's time limit."""
        per_task = max(self.probe_timeout_s, float(self.nmap.host_timeout_s) if ProbeKind.PORTS in self.probes else 0)
        waves = -(-max(1, targets) * len(self.probes) // self.concurrency)
        return waves * (per_task + 30.0) + 60.0


class ScannerFile(StrictModel):
    """The content of one ``scanners/*.yaml`` file."""

    checks: list[Check] = Field(default_factory=list)
    profiles: list[Profile] = Field(default_factory=list)
