"""The ports probe: nmap over a host target's approved addresses, one PortFacts per address."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

from secaudit.model import PortFacts, ProbeKind, Profile, Target
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.facts import PortInfo
from secaudit.scan.errors import ScanEnvironmentError
from secaudit.scan.judges import ports_named_by
from secaudit.scan.probes import ports
from secaudit.scan.probes.base import Change, Collected, DriftPolicy, ProbeContext
from secaudit.scan.scope import ApprovedTarget


class PortsProbe:
    """Open ports and the services behind them, on every approved address of a host target."""

    kind = ProbeKind.PORTS
    facts_model = PortFacts

    def plans_for(self, target: Target) -> bool:
        """Host targets only."""
        return target.host is not None

    def needs_nmap(self, profile: Profile) -> bool:
        """Always: nmap does the scanning."""
        return True

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        """Scan the profile's ports, the declared ones and every port a check names; nmap keeps the deadline."""
        if context.nmap is None:  # the engine finds nmap before any probe runs when needs_nmap says so
            raise ScanEnvironmentError("the ports probe needs nmap, and none was found for this run")
        named = ports_named_by(context.checks, context.parameters)
        found = ports.scan_ports(approved, context.profile.nmap, context.nmap, named)
        return Collected(list(found.facts), found.raw_xml)

    def error_facts(self, approved: ApprovedTarget, message: str) -> PortFacts:
        """Facts of a host that could not be scanned."""
        return PortFacts(target=approved.label, address=_address(approved), error=message)

    def answered(self, facts: PortFacts) -> bool:
        """A host answered when a scanned port was open (a closed or filtered host says nothing)."""
        return facts.error is None and bool(facts.open_ports())

    def pairing(self, facts: PortFacts) -> Hashable:
        """One host target on one address."""
        return (facts.target, facts.address)

    def changes(self, pairs: Sequence[tuple[PortFacts, PortFacts]], policy: DriftPolicy) -> Iterator[Change]:
        """Ports that opened or closed, and services whose product or version changed."""
        for prev, new in pairs:
            yield from _port_changes(prev, new)


def _address(approved: ApprovedTarget) -> str:
    return str(approved.preferred_address() or "unresolved")


def _port_changes(prev: PortFacts, new: PortFacts) -> Iterator[Change]:
    known = bool(prev.scanned and new.scanned)  # runs stored without their port set compare every port
    was = {(p.protocol, p.port): p for p in prev.ports if p.state == "open"}
    now = {(p.protocol, p.port): p for p in new.ports if p.state == "open"}
    for proto, port in sorted(set(was) | set(now), key=lambda k: (k[1], k[0])):
        if known and not (prev.covers(port) and new.covers(port)):
            continue
        key = f"{new.address} {proto}/{port}"
        where = f"{new.target} ({new.address})"
        if (proto, port) in now and (proto, port) not in was:
            yield Change(
                DriftKind.OPEN_PORT,
                new.target,
                key,
                DriftState.NEW,
                f"port {proto}/{port} is now open on {where}",
                None,
                _summary(now[(proto, port)]),
            )
        elif (proto, port) in was and (proto, port) not in now:
            yield Change(
                DriftKind.OPEN_PORT,
                new.target,
                key,
                DriftState.RESOLVED,
                f"port {proto}/{port} is no longer open on {where}",
                _summary(was[(proto, port)]),
                None,
            )
        else:
            a, b = was[(proto, port)], now[(proto, port)]
            if (a.product, a.version) != (b.product, b.version) and (a.product or a.version or b.product):
                yield Change(
                    DriftKind.SERVICE_VERSION,
                    new.target,
                    key,
                    DriftState.CHANGED,
                    f"service on {proto}/{port} at {where} changed from {_label(a)} to {_label(b)}",
                    _summary(a),
                    _summary(b),
                )


def _summary(info: PortInfo) -> dict[str, Any]:
    return {
        "port": info.port,
        "protocol": info.protocol,
        "service": info.service,
        "product": info.product,
        "version": info.version,
    }


def _label(info: PortInfo) -> str:
    text = " ".join(x for x in (info.product, info.version) if x)
    return text or "(unidentified)"
