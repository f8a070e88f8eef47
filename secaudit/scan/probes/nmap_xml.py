"""Reading nmap's XML output with defusedxml, per address, with errors as data.

python-nmap's own parser keys hosts by IP only, drops structured script
output and reports a timed-out host as "up, nothing open"; this one reads
what a check needs and says plainly when a host was not really scanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError  # noqa: S405  (types only; parsing goes through defusedxml)

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from secaudit.model import PortInfo
from secaudit.model.facts import PortRange, port_ranges


@dataclass
class HostReport:
    """What nmap said about one address."""

    address: str
    state: str | None = None
    ports: list[PortInfo] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    ciphers: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    error: str | None = None
    hostnames: list[str] = field(default_factory=list)


@dataclass
class NmapReport:
    """The parsed output of one nmap run: per-address reports, or an error for the whole run."""

    hosts: dict[str, HostReport] = field(default_factory=dict)
    version: str | None = None
    error: str | None = None
    args: str | None = None
    """nmap's command line as it recorded it (``<nmaprun args=...>``)."""
    started: int | None = None
    """When the run started, in seconds since the epoch (``<nmaprun start=...>``)."""
    scanned: list[PortRange] = field(default_factory=list)
    """The TCP ports nmap was asked to scan (``<scaninfo protocol="tcp" services=...>``)."""

    def for_address(self, address: str) -> HostReport:
        """The report of ``address``; an error report when nmap did not scan it."""
        if self.error is not None:
            return HostReport(address, error=self.error)
        found = self.hosts.get(address)
        if found is None:
            return HostReport(address, error=f"nmap reported nothing for {address} (unresolved or not scanned)")
        return found


def parse_nmap_xml(data: bytes) -> NmapReport:
    """Parse nmap ``-oX`` output; malformed, truncated or hostile XML becomes an error report."""
    if not data.strip():
        return NmapReport(error="nmap produced no XML output")
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        return NmapReport(error=f"nmap XML refused as hostile: {type(exc).__name__}")
    except ParseError as exc:
        return NmapReport(error=f"nmap XML is malformed or truncated: {exc}")
    except (LookupError, ValueError) as exc:  # e.g. an XML declaration naming an unknown encoding
        return NmapReport(error=f"nmap XML cannot be decoded: {exc}")
    if root.tag != "nmaprun":
        return NmapReport(error=f"not nmap XML (root element <{root.tag}>)")
    report = NmapReport(version=root.get("version"), args=root.get("args"), started=_int(root.get("start")))
    for info in root.findall("scaninfo"):
        if info.get("protocol") == "tcp":
            report.scanned = _ranges(info.get("services", ""))
    finished = root.find("runstats/finished")
    if finished is None:
        return NmapReport(version=report.version, error="nmap XML has no run statistics: the run did not finish")
    if finished.get("exit") == "error":
        return NmapReport(version=report.version, error=f"nmap failed: {finished.get('errormsg', 'unknown error')}")
    for host in root.findall("host"):
        parsed = _host(host)
        if parsed is not None:
            report.hosts[parsed.address] = parsed
    return report


def _host(host: Element) -> HostReport | None:
    address = None
    for addr in host.findall("address"):
        if addr.get("addrtype") in ("ipv4", "ipv6"):
            address = addr.get("addr")
            break
    if address is None:
        return None
    status = host.find("status")
    state = status.get("state") if status is not None else None
    report = HostReport(address, state=state)
    report.hostnames = [h.get("name", "") for h in host.findall("hostnames/hostname") if h.get("name")]
    if host.get("timedout") == "true":
        report.error = "nmap host timeout: the scan of this address did not finish"
        return report
    if state != "up":
        reason = status.get("reason") if status is not None else None
        report.error = f"host is {state or 'unknown'}" + (f" ({reason})" if reason else "")
        return report
    for port in host.findall("ports/port"):
        info = _port(port)
        if info is not None:
            report.ports.append(info)
    for port in host.findall("ports/port"):
        for script in port.findall("script"):
            if script.get("id"):
                report.scripts[f"{port.get('portid')}/{script.get('id')}"] = script.get("output", "")
            if script.get("id") == "ssl-enum-ciphers" and (port.get("portid") or "").isdigit():
                report.ciphers[int(port.get("portid", "0"))] = _enumerated_ciphers(script)
    for script in host.findall("hostscript/script"):
        if script.get("id"):
            report.scripts[f"host/{script.get('id')}"] = script.get("output", "")
    return report


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _ranges(services: str) -> list[PortRange]:
    """nmap's ``services`` notation (``22-25,80``) as ranges; nothing when any part is not a port range."""
    found: list[PortRange] = []
    for part in services.split(",") if services else []:
        low, _, high = part.partition("-")
        if not (low.isdigit() and (high or low).isdigit()):
            return []
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= 65535:
            return []
        found.append((first, last))
    return port_ranges(p for a, b in found for p in range(a, b + 1)) if len(found) < 4096 else sorted(found)


def _enumerated_ciphers(script: Element) -> dict[str, list[str]]:
    """ssl-enum-ciphers' structured output: suite names per protocol (``TLSv1.0`` named ``TLSv1``)."""
    found: dict[str, list[str]] = {}
    for version in script.findall("table"):
        key = version.get("key") or ""
        if not key.startswith(("TLSv", "SSLv")):
            continue
        names = [e.text or "" for e in version.findall("table[@key='ciphers']/table/elem[@key='name']")]
        found["TLSv1" if key == "TLSv1.0" else key] = [n for n in names if n]
    return found


def _port(port: Element) -> PortInfo | None:
    try:
        number = int(port.get("portid", ""))
    except ValueError:
        return None
    protocol = port.get("protocol", "tcp")
    if protocol not in ("tcp", "udp"):
        return None
    state_el = port.find("state")
    service = port.find("service")
    banner = None
    for script in port.findall("script"):
        if script.get("id") == "banner":
            banner = script.get("output")
    return PortInfo(
        port=number,
        protocol="udp" if protocol == "udp" else "tcp",
        state=state_el.get("state", "unknown") if state_el is not None else "unknown",
        service=service.get("name") if service is not None else None,
        product=service.get("product") if service is not None else None,
        version=service.get("version") if service is not None else None,
        extrainfo=service.get("extrainfo") if service is not None else None,
        tunnel=service.get("tunnel") if service is not None else None,
        banner=banner,
    )
