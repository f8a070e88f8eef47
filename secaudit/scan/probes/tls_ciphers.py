"""The full cipher list per protocol, from nmap's ssl-enum-ciphers (profiles that name the script)."""

from __future__ import annotations

import ipaddress

from secaudit.model import NmapOptions
from secaudit.scan.errors import ProbeFailure
from secaudit.scan.probes import ports
from secaudit.scan.probes.nmap_xml import parse_nmap_xml

SCRIPT = "ssl-enum-ciphers"


def wants_enumeration(options: NmapOptions) -> bool:
    """Whether the profile asks for ssl-enum-ciphers."""
    return SCRIPT in options.scripts


def enumerate_ciphers(
    address: str, port: int, options: NmapOptions, install: ports.NmapInstall
) -> tuple[dict[str, list[str]], str | None]:
    """Suites per protocol the endpoint accepts, or an error; nmap runs as the ports probe runs it."""
    only_script = NmapOptions(
        ports=[],
        timing=options.timing,
        host_timeout_s=options.host_timeout_s,
        max_rate=options.max_rate,
        scripts=[SCRIPT],
    )
    ip = ipaddress.ip_address(address)
    try:
        argv = ports.nmap_arguments(only_script, [(port, port)], ipv6=ip.version == 6)
        deadline = float(options.host_timeout_s) + ports.DEADLINE_MARGIN_S
        execution = ports.run_nmap([install.path, *argv, *ports.target_arguments([ip])], deadline)
    except ProbeFailure as exc:
        return {}, str(exc)
    if execution.timed_out:
        return {}, "nmap ssl-enum-ciphers overran its deadline and was killed"
    host = parse_nmap_xml(execution.stdout).for_address(str(ip))
    if host.error is not None:
        return {}, host.error
    if port not in host.ciphers:
        return {}, f"ssl-enum-ciphers reported nothing for port {port}"
    return host.ciphers[port], None
