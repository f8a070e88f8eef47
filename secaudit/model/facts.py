"""Facts: what a probe saw on one target, before any check judges it.

A probe never knows what a control or a risk is; it returns one of these.
Checks (pure functions) judge them, the store keeps them as JSON, and drift
compares them between runs. ``error`` is set when the probe could not finish:
an errored fact is never read as "nothing found".
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from secaudit.model.common import StrictModel


class PortInfo(StrictModel):
    """One port nmap reported on one address."""

    port: int
    protocol: Literal["tcp", "udp"] = "tcp"
    state: str
    service: str | None = None
    product: str | None = None
    version: str | None = None
    extrainfo: str | None = None
    tunnel: str | None = None
    banner: str | None = None


class PortFacts(StrictModel):
    """The ports probe's view of one host target on one address."""

    kind: Literal["ports"] = "ports"
    target: str
    address: str
    hostname: str | None = None
    scanned_ports: list[int] = Field(default_factory=list)
    expected_ports: list[int] = Field(default_factory=list)
    ports: list[PortInfo] = Field(default_factory=list)
    host_state: str | None = None
    error: str | None = None
    nmap_version: str | None = None
    nmap_args: list[str] = Field(default_factory=list)
    scripts: dict[str, str] = Field(default_factory=dict)

    def open_ports(self) -> list[int]:
        """Ports in state ``open``, sorted."""
        return sorted(p.port for p in self.ports if p.state == "open")


class ProtocolSupport(StrictModel):
    """Whether one TLS version was accepted, and the cipher negotiated with it."""

    offered: bool | None
    cipher: str | None = None
    error: str | None = None


class CertificateInfo(StrictModel):
    """The leaf certificate as the TLS probe saw it."""

    subject: str
    issuer: str
    serial: str
    sha256: str
    not_before: dt.datetime
    not_after: dt.datetime
    days_left: int
    lifespan_days: int
    san: list[str] = Field(default_factory=list)
    hostname_matches: bool
    trusted: bool
    trust_error: str | None = None
    key_type: str
    key_bits: int
    signature_algorithm: str
    self_signed: bool = False
    chain_length: int = 1


class TlsFacts(StrictModel):
    """The TLS probe's view of one endpoint."""

    kind: Literal["tls"] = "tls"
    target: str
    address: str
    port: int
    sni: str
    protocols: dict[str, ProtocolSupport] = Field(default_factory=dict)
    certificate: CertificateInfo | None = None
    ciphers: dict[str, list[str]] = Field(default_factory=dict)
    error: str | None = None
    observed_at: dt.datetime | None = None


class RedirectHop(StrictModel):
    """One response in a redirect chain."""

    url: str
    status: int
    location: str | None = None


class CookieInfo(StrictModel):
    """A Set-Cookie header, parsed tolerantly."""

    name: str
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None
    path: str | None = None
    domain: str | None = None
    raw: str = ""


class HttpFacts(StrictModel):
    """The HTTP probe's view of one URL."""

    kind: Literal["http"] = "http"
    target: str
    address: str | None = None
    redirects: list[RedirectHop] = Field(default_factory=list)
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, list[str]] = Field(default_factory=dict)
    cookies: list[CookieInfo] = Field(default_factory=list)
    https_redirect: bool | None = None
    allowed_methods: list[str] = Field(default_factory=list)
    trace_enabled: bool | None = None
    directory_listing: bool | None = None
    error: str | None = None
    https_redirect_note: str | None = None
    redirect_refused: str | None = None
    body_truncated: bool = False
    notes: list[str] = Field(default_factory=list)

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [v for k, values in self.headers.items() if k.lower() == wanted for v in values]


Facts = PortFacts | TlsFacts | HttpFacts
