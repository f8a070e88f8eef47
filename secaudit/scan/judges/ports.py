"""Judges over PortFacts: which ports are open and what they announce."""

from __future__ import annotations

import re

from pydantic import Field

from secaudit.model import PortFacts
from secaudit.scan.judges.base import FAIL, NOT_RUN, PASS, Assertion, NoParameters, Parameters, Verdict, listing

VERSION_RE = re.compile(r"\d+\.\d+")


class PortList(Parameters):
    """A set of ports."""

    ports: list[int] = Field(min_length=1)


class ServiceNames(Parameters):
    """A set of nmap service names, and the ports they conventionally listen on."""

    services: list[str] = Field(min_length=1)
    ports: list[int] = Field(min_length=1)
    """Without version detection a service is known only by its port: these ports are always scanned."""


def named_ports(params: object) -> list[int]:
    """The ports a check's parameters name: the engine adds them to every scan, whatever the profile."""
    return list(params.ports) if isinstance(params, PortList | ServiceNames) else []


def _coverage(facts: PortFacts) -> str:
    return f"{facts.scanned_count} port(s) scanned ({facts.scanned_from or 'as listed'})"


def only_expected_open(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when a scanned port is open that the target does not declare.

    Not run when only the declared ports were scanned: nothing outside them was looked at.
    """
    open_ports = facts.open_ports()
    unexpected = [p for p in open_ports if p not in facts.expected_ports]
    details = {"open": open_ports, "expected": facts.expected_ports, "unexpected": unexpected}
    if facts.scanned_count <= len([p for p in facts.expected_ports if facts.covers(p)]):
        return NOT_RUN, "not run: only the declared ports were scanned, so nothing outside them was looked at", details
    if unexpected:
        return FAIL, f"undeclared open port(s): {_describe(facts, unexpected)}; {_coverage(facts)}", details
    return PASS, f"open: {listing(open_ports) or 'none'}; all declared; {_coverage(facts)}", details


def expected_open(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when a declared port is not open (the service is not reachable where it says)."""
    missing = [p for p in facts.expected_ports if p not in facts.open_ports()]
    details = {"expected": facts.expected_ports, "missing": missing}
    if not facts.expected_ports:
        return NOT_RUN, "not run: the target declares no ports", details
    if missing:
        return FAIL, f"declared port(s) not open: {listing(missing)}", details
    return PASS, f"declared port(s) open: {listing(facts.expected_ports)}", details


def ports_closed(facts: PortFacts, params: PortList) -> Verdict:
    """Fail when any listed port is open; not run when a listed port was not scanned."""
    unscanned = [p for p in params.ports if not facts.covers(p)]
    found = [p for p in params.ports if p in facts.open_ports()]
    details = {"listed": params.ports, "unscanned": unscanned, "open": found}
    if found:
        return FAIL, f"open: {_describe(facts, found)}", details
    if unscanned:
        return NOT_RUN, f"not run: listed port(s) not in this scan's port set: {listing(unscanned)}", details
    return PASS, f"closed: all {len(params.ports)} listed ports scanned, none open", details


def services_absent(facts: PortFacts, params: ServiceNames) -> Verdict:
    """Fail when an open port runs (or, without version detection, is the usual port of) a listed service."""
    wanted = {s.lower() for s in params.services}
    found = [p for p in facts.ports if p.state == "open" and (p.service or "").lower() in wanted]
    details = {"found": [f"{p.port}/{p.service}" for p in found]}
    if found:
        return FAIL, "offered: " + listing([f"{p.port}/{p.service}" for p in found]), details
    unscanned = [p for p in params.ports if not facts.covers(p)]
    if unscanned:
        return NOT_RUN, f"not run: the usual port(s) of these services were not scanned: {listing(unscanned)}", details
    how = (
        "identified by probing" if "-sV" in facts.nmap_args else "identified by port number only (no version detection)"
    )
    return PASS, f"none of {listing(sorted(wanted))} on an open port; {how}; {_coverage(facts)}", details


def no_version_banner(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when an open port announces a product version; not run with neither -sV nor banners."""
    if "-sV" not in facts.nmap_args and not any(p.banner for p in facts.ports):
        return NOT_RUN, "not run: this profile neither detects versions nor grabs banners", {}
    leaks = []
    for port in facts.ports:
        if port.state != "open":
            continue
        text = " ".join(x for x in (port.product, port.version, port.banner) if x)
        if port.version or VERSION_RE.search(text):
            leaks.append(f"{port.port}: {text}")
    if leaks:
        return FAIL, "version shown: " + listing(leaks, 4), {"leaks": leaks}
    how = "nmap version detection" if "-sV" in facts.nmap_args else "banners"
    if "--version-intensity" in facts.nmap_args:
        how += f" (intensity {facts.nmap_args[facts.nmap_args.index('--version-intensity') + 1]})"
    return PASS, f"no open port announces a version ({how})", {}


def _describe(facts: PortFacts, ports: list[int]) -> str:
    names = {p.port: p.service for p in facts.ports}
    return listing([f"{p}/tcp ({names[p]})" if names.get(p) else f"{p}/tcp" for p in ports])


ASSERTIONS: dict[str, Assertion[PortFacts]] = {
    "only_expected_open": Assertion(NoParameters, only_expected_open, "every open scanned port is declared"),
    "expected_open": Assertion(NoParameters, expected_open, "every declared port is open"),
    "ports_closed": Assertion(PortList, ports_closed, "none of `ports` is open"),
    "services_absent": Assertion(ServiceNames, services_absent, "no open port runs one of `services`"),
    "no_version_banner": Assertion(
        NoParameters, no_version_banner, "no open port shows a version (needs -sV or the banner script)"
    ),
}
