"""Every probe, in one explicit registry: the planner, the engine and drift iterate it in this order.

Adding a probe is one module (see ``base.Probe``) and one line here. Each entry
imports its network library only when it collects, so a ports-only run never
loads httpx or cryptography.
"""

from __future__ import annotations

from typing import Any

from secaudit.model import ProbeKind
from secaudit.scan.probes.base import Probe
from secaudit.scan.probes.http_probe import HttpProbe
from secaudit.scan.probes.ports_probe import PortsProbe
from secaudit.scan.probes.tls_probe import TlsProbe
from secaudit.scan.probes.webapp_probe import WebAppProbe

REGISTRY: dict[ProbeKind, Probe[Any]] = {
    ProbeKind.PORTS: PortsProbe(),
    ProbeKind.TLS: TlsProbe(),
    ProbeKind.HTTP: HttpProbe(),
    ProbeKind.WEBAPP: WebAppProbe(),
}
