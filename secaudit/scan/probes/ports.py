"""The ports probe: an unprivileged nmap connect scan of the approved addresses of one host target.

nmap's argument list is built only from the profile's fixed options and the
scope guard's approved addresses (IP literals, after ``--``). nmap runs in its
own session so that a hard deadline can kill its whole process group; its
XML is parsed by ``nmap_xml`` and a host that was not fully scanned becomes
error facts, never "no open ports".
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import ParseError  # noqa: S405  (the exception only; parsing goes through defusedxml)

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from secaudit.model import NmapOptions, PortFacts
from secaudit.model.facts import PortRange, port_ranges, ranges_text
from secaudit.scan.errors import ProbeFailure, ScanEnvironmentError
from secaudit.scan.probes.nmap_xml import parse_nmap_xml
from secaudit.scan.scope import ApprovedTarget

NMAP_SEARCH_PATH: tuple[str, ...] = ("nmap", "/usr/bin/nmap", "/usr/local/bin/nmap")
DEADLINE_MARGIN_S = 15.0
MAX_XML_BYTES = 16 * 1024 * 1024
INSTALL_HINT = "install nmap (Debian/Ubuntu: apt-get install nmap; RHEL: dnf install nmap; macOS: brew install nmap)"


@dataclass(frozen=True)
class NmapInstall:
    """Where nmap is and which version it is."""

    path: str
    version: str


@dataclass
class NmapExecution:
    """What one nmap process left behind."""

    argv: list[str]
    stdout: bytes
    stderr: str
    returncode: int | None
    timed_out: bool


@dataclass
class PortsResult:
    """Facts per address, plus the raw XML of each nmap run for the archive."""

    facts: list[PortFacts] = field(default_factory=list)
    raw_xml: list[tuple[str, bytes]] = field(default_factory=list)


def locate_nmap(search_path: Sequence[str] | None = None) -> NmapInstall:
    """Find nmap through python-nmap's PortScanner; ScanEnvironmentError when it is missing."""
    import nmap

    try:
        scanner = nmap.PortScanner(nmap_search_path=tuple(search_path or NMAP_SEARCH_PATH))
    except nmap.PortScannerError as exc:
        raise ScanEnvironmentError(f"nmap was not found or does not run ({exc}); {INSTALL_HINT}") from exc
    major, minor = scanner.nmap_version()
    return NmapInstall(path=str(scanner._nmap_path), version=f"{major}.{minor:02d}")


ALL_PORTS: list[PortRange] = [(1, 65535)]
_PORT_LIST_RE = re.compile(r"^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$")


@dataclass(frozen=True)
class PortSet:
    """The ports one scan covers, and where they came from (said in the evidence)."""

    ranges: list[PortRange]
    source: str


def port_set(options: NmapOptions, install: NmapInstall, declared: Sequence[int], named: Sequence[int] = ()) -> PortSet:
    """The profile's ports (all, or nmap's top N), plus its fixed list, the declared ports and ports checks name."""
    if options.all_ports:
        return PortSet(list(ALL_PORTS), "all 65,535 ports")
    ports: set[int] = set()
    parts: list[str] = []
    for label, chosen in (
        (f"nmap top {options.top_ports}", top_ports(install.path, options.top_ports) if options.top_ports else ()),
        ("the profile's list", options.ports),
        ("declared", declared),
        ("named by checks", named),
    ):
        if chosen:
            ports.update(int(p) for p in chosen)
            parts.append(label)
    return PortSet(port_ranges(ports), " + ".join(parts) or "no ports")


@lru_cache(maxsize=8)
def top_ports(nmap_path: str, count: int) -> tuple[int, ...]:
    """nmap's own ``count`` most common TCP ports: nmap lists them in its XML without scanning anything."""
    argv = [nmap_path, "-sT", "-n", "--top-ports", str(int(count)), "-oX", "-"]
    try:
        done = subprocess.run(  # noqa: S603  (fixed arguments, no target)
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanEnvironmentError(f"nmap could not list its top {count} ports: {exc}; {INSTALL_HINT}") from exc
    try:
        root = fromstring(done.stdout)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise ScanEnvironmentError(f"nmap's list of its top {count} ports could not be read: {exc}") from exc
    info = root.find("scaninfo")
    services = info.get("services", "") if info is not None else ""
    if not _PORT_LIST_RE.match(services):
        raise ScanEnvironmentError(f"nmap did not list its top {count} ports (got {services[:80]!r})")
    ports: list[int] = []
    for part in services.split(","):
        low, _, high = part.partition("-")
        ports.extend(range(int(low), int(high or low) + 1))
    return tuple(sorted(set(ports)))


def nmap_arguments(options: NmapOptions, ports: Sequence[PortRange], ipv6: bool) -> list[str]:
    """nmap's options, from profile data only: connect scan, no DNS, XML on stdout."""
    if not ports:
        raise ProbeFailure("no ports to scan: the target declares none and the profile adds none")
    argv = [
        "-sT",
        "-n",
        f"-T{int(options.timing)}",
        "--host-timeout",
        f"{int(options.host_timeout_s)}s",
        "-p",
        ranges_text(ports),
        "-oX",
        "-",
    ]
    if options.version_detection:
        argv.append("-sV")
        if options.version_intensity is not None:
            argv += ["--version-intensity", str(int(options.version_intensity))]
    if options.max_rate is not None:
        argv += ["--max-rate", str(int(options.max_rate))]
    if options.scripts:
        argv += ["--script", ",".join(options.scripts)]
    if ipv6:
        argv.append("-6")
    return argv


def target_arguments(addresses: Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> list[str]:
    """``--`` then the addresses, each re-parsed as an IP literal so nothing else can reach nmap."""
    try:
        literals = [str(ipaddress.ip_address(str(a))) for a in addresses]
    except ValueError as exc:
        raise ProbeFailure(f"refusing to pass a non-address to nmap: {exc}") from None
    if not literals or any(lit.startswith("-") for lit in literals):
        raise ProbeFailure("no valid address to scan")
    return ["--", *literals]


def run_nmap(argv: list[str], deadline_s: float) -> NmapExecution:
    """Run nmap in its own session; on overrun kill the whole process group and say so."""
    proc = subprocess.Popen(  # noqa: S603  (argv built from profile data and IP literals only)
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=deadline_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        timed_out = True
    return NmapExecution(argv, out or b"", (err or b"").decode("utf-8", "replace"), proc.returncode, timed_out)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def scan_ports(
    approved: ApprovedTarget,
    options: NmapOptions,
    install: NmapInstall,
    named_ports: Sequence[int] = (),
) -> PortsResult:
    """Scan one host target's approved addresses; one PortFacts per address, errors as data.

    ``named_ports`` are ports that checks name (e.g. administration ports that must be closed):
    they are always scanned, whatever the profile, so that those checks judge what they ask.
    """
    expected = sorted(set(approved.target.ports))
    chosen = port_set(options, install, expected, named_ports)
    ports = chosen.ranges
    result = PortsResult()
    base: dict[str, Any] = {
        "target": approved.label,
        "hostname": approved.hostname,
        "expected_ports": expected,
        "scanned": ports,
        "scanned_from": chosen.source,
    }
    if not approved.addresses:
        reason = approved.resolution_error or "no approved address"
        result.facts.append(PortFacts(address="unresolved", error=reason, **base))
        return result
    for ipv6 in (False, True):
        group = [a for a in approved.addresses if (a.version == 6) == ipv6]
        if not group:
            continue
        try:
            argv = nmap_arguments(options, ports, ipv6)
            execution = run_nmap([install.path, *argv, *target_arguments(group)], _deadline(options))
        except ProbeFailure as exc:
            result.facts += [PortFacts(address=str(a), error=str(exc), **base) for a in group]
            continue
        except OSError as exc:
            raise ScanEnvironmentError(f"nmap could not be started: {exc}; {INSTALL_HINT}") from exc
        result.raw_xml.append((",".join(str(a) for a in group), execution.stdout))
        result.facts += _facts_of(execution, group, argv, install, base)
    return result


def _deadline(options: NmapOptions) -> float:
    return float(options.host_timeout_s) + DEADLINE_MARGIN_S


def _facts_of(
    execution: NmapExecution,
    group: Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address],
    argv: list[str],
    install: NmapInstall,
    base: dict[str, Any],
) -> list[PortFacts]:
    if execution.timed_out:
        report_error: str | None = "nmap overran its deadline and was killed"
        report = None
    elif len(execution.stdout) > MAX_XML_BYTES:
        report_error, report = f"nmap XML larger than {MAX_XML_BYTES} bytes; refused", None
    else:
        report = parse_nmap_xml(execution.stdout)
        report_error = None
        if report.error is None and execution.returncode not in (0, None):
            report_error = f"nmap exited with {execution.returncode}: {execution.stderr.strip()[:300]}"
    facts = []
    for address in group:
        if report is None or report_error is not None:
            host_error, host_state, host_ports, scripts = report_error, None, [], {}
        else:
            host = report.for_address(str(address))
            host_error, host_state, host_ports, scripts = host.error, host.state, host.ports, host.scripts
        facts.append(
            PortFacts(
                address=str(address),
                ports=host_ports,
                host_state=host_state,
                error=host_error,
                nmap_version=(report.version if report and report.version else install.version),
                nmap_args=list(argv),
                scripts=scripts,
                **base,
            )
        )
    return facts
