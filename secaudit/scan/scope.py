"""The scope guard: decide, before anything is sent, which addresses each declared target may be reached at.

Every target of a run is checked before any probe starts; a single refusal
stops the whole run (ScopeError, exit 2). Names are resolved here, once, and
the probes connect only to the addresses approved here, never to a fresh
DNS answer.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from secaudit.errors import Problem
from secaudit.model import Service, Target
from secaudit.model.service import Address, Network, validate_host
from secaudit.scan.errors import ScopeError

Resolver = Callable[[str], list[Address]]

LINK_LOCAL: tuple[Network, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
CLOUD_METADATA: tuple[Address, ...] = (
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
)


@dataclass(frozen=True)
class ApprovedTarget:
    """A declared target with the addresses the probes may connect to."""

    target: Target
    hostname: str
    addresses: tuple[Address, ...]
    resolution_error: str | None = None

    @property
    def label(self) -> str:
        """How the target is named in output."""
        return self.target.label

    def preferred_address(self) -> Address | None:
        """The address TLS and HTTP probes use: IPv4 first, then IPv6, in sorted order."""
        ordered = sorted(self.addresses, key=lambda a: (a.version, int(a)))
        return ordered[0] if ordered else None


@dataclass
class ScopeDecision:
    """The approved targets of one run, and what was refused (empty when the run may go ahead)."""

    approved: list[ApprovedTarget] = field(default_factory=list)
    refusals: list[Problem] = field(default_factory=list)

    def approved_for_url(self, url: str) -> ApprovedTarget | None:
        """The approved target that puts ``url`` in scope (same host; a declared URL's scheme and port,
        or a host target's declared port), or None when the URL is outside the scope."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return None
        host = (parts.hostname or "").lower().rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            return None
        for approved in self.approved:
            if approved.hostname != host or not approved.addresses:
                continue
            target = approved.target
            if target.url is not None:
                if urlsplit(target.url).scheme == parts.scheme and target.url_port == port:
                    return approved
            elif port in target.ports:
                return approved
        return None

    def as_record(self) -> dict[str, object]:
        """The scope as scanned, for the ScanRun record."""
        return {
            "targets": [
                {
                    "target": a.label,
                    "hostname": a.hostname,
                    "addresses": [str(x) for x in a.addresses],
                    **({"resolution_error": a.resolution_error} if a.resolution_error else {}),
                }
                for a in self.approved
            ]
        }


def system_resolver(hostname: str) -> list[Address]:
    """A and AAAA records of ``hostname`` through the system resolver."""
    infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    found: list[Address] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def forbidden_reason(address: Address, denylist: Sequence[Network]) -> str | None:
    """Why ``address`` may never be scanned, or None when it may."""
    if address in CLOUD_METADATA:
        return f"{address} is a cloud metadata address"
    if any(address in net for net in LINK_LOCAL if net.version == address.version):
        return f"{address} is link-local"
    for net in denylist:
        if net.version == address.version and address in net:
            return f"{address} is in the workspace denylist ({net})"
    return None


def authorisation_problem(service: Service, day: dt.date) -> Problem | None:
    """Why ``service`` may not be scanned on ``day`` (its authorisation had ended), or None."""
    scope = service.scope
    if scope is None or scope.is_authorised(day):
        return None
    return Problem(
        f"service {service.id}: scope.authorized_until",
        f"the authorisation by {scope.authorized_by} ended on {scope.authorized_until.isoformat()}",
    )


def check_scope(
    service: Service,
    today: dt.date | None,
    denylist: Sequence[Network] = (),
    resolver: Resolver = system_resolver,
) -> ScopeDecision:
    """Check every target of ``service``; raise ScopeError listing each refusal, else return the approvals.

    ``today`` None leaves the authorisation to the caller, who judges it on the date of the evidence (an
    imported file's scan date, ``authorisation_problem``)."""
    decision = ScopeDecision()
    scope = service.scope
    where = f"service {service.id}"
    if scope is None or not scope.targets:
        raise ScopeError(f"{where} declares no scan scope", [Problem(f"{where}: scope", "no targets are declared")])
    ended = authorisation_problem(service, today) if today is not None else None
    if ended is not None:
        decision.refusals.append(ended)
    resolved: dict[str, list[Address] | str] = {}
    for index, target in enumerate(scope.targets):
        location = f"{where}: scope.targets[{index}] ({_safe_label(target)})"
        try:
            approved = _approve(target, denylist, resolver, resolved)
        except _Refused as refusal:
            decision.refusals.append(Problem(location, str(refusal)))
            continue
        decision.approved.append(approved)
    if decision.refusals:
        raise ScopeError("the scope guard refused this scan; nothing was scanned", decision.refusals)
    return decision


class _Refused(Exception):
    """One target refused, with the reason."""


def _safe_label(target: Target) -> str:
    label = target.url if target.url is not None else target.host
    return repr(label)[:120]


def _target_hostname(target: Target) -> str:
    """The target's host, re-validated: a Target built around validation still cannot smuggle an option."""
    if (target.host is None) == (target.url is None):
        raise _Refused("a target is either 'host' or 'url'")
    raw = target.host
    if target.url is not None:
        url = target.url
        if any(ch.isspace() for ch in url) or url.startswith("-"):
            raise _Refused("the URL contains whitespace or starts with '-'")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Refused("the URL is not an http(s) URL with a host")
        if parts.username or parts.password:
            raise _Refused("the URL carries credentials")
        try:
            _ = parts.port
        except ValueError as exc:
            raise _Refused(f"bad port in URL: {exc}") from None
        raw = parts.hostname
    if raw is None:
        raise _Refused("the target names no host")
    try:
        host = validate_host(raw)
    except ValueError as exc:
        raise _Refused(f"not a hostname or IP address: {exc}") from None
    if "/" in host:
        raise _Refused("a CIDR cannot be scanned as one target; declare the hosts in it one by one")
    return host


def _approve(
    target: Target,
    denylist: Sequence[Network],
    resolver: Resolver,
    resolved: dict[str, list[Address] | str],
) -> ApprovedTarget:
    hostname = _target_hostname(target)
    literal = _literal(hostname)
    declared = list(target.addresses)
    if literal is not None:
        candidates: list[Address] = [literal]
        resolution_error = None
    else:
        if hostname not in resolved:
            try:
                resolved[hostname] = resolver(hostname)
            except (OSError, UnicodeError) as exc:
                resolved[hostname] = f"{hostname} does not resolve: {exc}"
        answer = resolved[hostname]
        if isinstance(answer, str):
            if declared:
                raise _Refused(f"{answer}; it must resolve to one of its declared addresses")
            return ApprovedTarget(target, hostname, (), resolution_error=answer)
        candidates = list(answer)
        resolution_error = None
    if declared:
        inside = [a for a in candidates if any(_covers(d, a) for d in declared)]
        if not inside:
            shown = ", ".join(str(a) for a in candidates) or "nothing"
            if literal is not None:
                raise _Refused(f"{hostname} is not among the declared addresses")
            raise _Refused(f"{hostname} resolves to {shown}, none of its declared addresses (possible DNS change)")
        candidates = inside
    for address in candidates:
        reason = forbidden_reason(address, denylist)
        if reason is not None:
            raise _Refused(reason)
    return ApprovedTarget(target, hostname, tuple(candidates), resolution_error)


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _covers(declared: Address | Network, address: Address) -> bool:
    if isinstance(declared, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return declared.version == address.version and address in declared
    return declared == address
