"""Facts: what a probe saw on one target, before any check judges it.

A probe never knows what a control or a risk is; it returns one of these.
Checks (pure functions) judge them, the store keeps them as JSON, and drift
compares them between runs. ``error`` is set when the probe could not finish:
an errored fact is never read as "nothing found".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, model_validator

from secaudit.model.common import Moment, StrictModel

PortRange = tuple[int, int]


def port_ranges(ports: Iterable[int]) -> list[PortRange]:
    """Ports as sorted, merged inclusive ranges: ``[22, 23, 24, 80]`` is ``[(22, 24), (80, 80)]``."""
    ranges: list[PortRange] = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], port)
        else:
            ranges.append((port, port))
    return ranges


def ranges_text(ranges: Iterable[PortRange]) -> str:
    """nmap's port notation for ``ranges``: ``22-24,80``."""
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


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


IMPORTED_NMAP_PORTS = "as the imported nmap run lists them"
"""``PortFacts.scanned_from`` of facts imported from nmap's XML (the port set is the file's own)."""
PORT_SOURCES_JA: dict[str, str] = {
    "all 65,535 ports": "全65,535ポート",
    "the profile's list": "プロファイルの一覧",
    "declared": "申告されたポート",
    "named by checks": "チェックが指定するポート",
    "no ports": "ポートなし",
    IMPORTED_NMAP_PORTS: "取り込んだ nmap の記録どおり",
}
"""The parts of ``PortFacts.scanned_from`` (joined with " + "), in Japanese; ``nmap top N`` is read apart."""
TOP_PORTS_RE = re.compile(r"^nmap top (\d+)$")


class PortFacts(StrictModel):
    """The ports probe's view of one host target on one address."""

    kind: Literal["ports"] = "ports"
    target: str
    address: str
    hostname: str | None = None
    scanned: list[PortRange] = Field(default_factory=list)
    """Every port nmap was asked to scan, as inclusive ranges (all 65,535 ports is one range)."""
    scanned_from: str = ""
    """Where the port set came from, e.g. ``nmap top 100 + declared + named by checks``."""
    expected_ports: list[int] = Field(default_factory=list)
    ports: list[PortInfo] = Field(default_factory=list)
    host_state: str | None = None
    error: str | None = None
    nmap_version: str | None = None
    nmap_args: list[str] = Field(default_factory=list)
    scripts: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _legacy_port_list(cls, data: Any) -> Any:
        """Runs stored before port ranges listed every scanned port (``scanned_ports``)."""
        if isinstance(data, dict) and "scanned_ports" in data:
            listed = data["scanned_ports"]
            data = {k: v for k, v in data.items() if k != "scanned_ports"}
            if isinstance(listed, list) and all(isinstance(p, int) for p in listed):
                data.setdefault("scanned", port_ranges(listed))
        return data

    def scanned_from_ja(self) -> str:
        """``scanned_from`` in Japanese (a part this version does not know stays as it is)."""
        parts = []
        for part in self.scanned_from.split(" + ") if self.scanned_from else []:
            top = TOP_PORTS_RE.match(part)
            parts.append(f"nmapの上位{top.group(1)}ポート" if top else PORT_SOURCES_JA.get(part, part))
        return "、".join(parts)

    def open_ports(self) -> list[int]:
        """Ports in state ``open``, sorted."""
        return sorted(p.port for p in self.ports if p.state == "open")

    def covers(self, port: int) -> bool:
        """True when ``port`` was in the set nmap scanned."""
        return any(low <= port <= high for low, high in self.scanned)

    @property
    def scanned_count(self) -> int:
        """How many ports were scanned."""
        return sum(high - low + 1 for low, high in self.scanned)


class ProtocolSupport(StrictModel):
    """Whether one TLS version was accepted, and the cipher negotiated with it."""

    offered: bool | None
    cipher: str | None = None
    error: str | None = None


class ChainEntry(StrictModel):
    """One certificate the server sent, in the order it sent them (the leaf first)."""

    subject: str
    issuer: str
    sha256: str
    self_signed: bool = False


class CertificateInfo(StrictModel):
    """The leaf certificate as the TLS probe saw it."""

    subject: str
    issuer: str
    serial: str
    sha256: str
    not_before: Moment
    not_after: Moment
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
    chain: list[ChainEntry] | None = None
    """Every certificate the server sent, leaf first; None when the probe could not read them."""
    chain_anchor: str | None = None
    """The trust anchor (subject) that issued the last certificate sent, or that the last one is; None when
    neither the system's store nor the target's CA bundle holds it."""
    anchor_source: Literal["system", "ca_bundle"] | None = None
    """Where ``chain_anchor`` was found: the system's store, or the CA bundle the service declares (a private CA)."""


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
    observed_at: Moment | None = None
    cipher_enumeration_error: str | None = None


class RedirectHop(StrictModel):
    """One response in a redirect chain."""

    url: str
    status: int
    location: str | None = None


class ExposedFile(StrictModel):
    """A file the site must not serve, found served (only its path and kind: never its content)."""

    path: str
    kind: Literal["git", "svn", "env", "ds_store", "dump", "archive"]
    status: int


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
    plain_http_offered: bool | None = None
    """False when the host's port 80 was looked at and is closed: there is no plain HTTP to redirect."""
    https_redirect_failed: bool = False
    allowed_methods: list[str] = Field(default_factory=list)
    options_status: int | None = None
    trace_enabled: bool | None = None
    directory_listing: bool | None = None
    error: str | None = None
    https_redirect_note: str | None = None
    https_redirect_note_ja: str | None = None
    """The same note in Japanese (facts stored before it existed have only the English one)."""
    redirect_refused: str | None = None
    body_truncated: bool = False
    exposure_checked: list[str] = Field(default_factory=list)
    """The paths asked for files that must not be served (empty: nobody looked, e.g. facts from before)."""
    exposed_files: list[ExposedFile] = Field(default_factory=list)
    exposure_errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    def header(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        wanted = name.lower()
        return [v for k, values in self.headers.items() if k.lower() == wanted for v in values]


IPA_WEB_CLASSES: dict[str, tuple[str, str, str]] = {
    "sqli": ("1.1", "SQLインジェクション", "SQL injection"),
    "os-command": ("1.2", "OSコマンド・インジェクション", "OS command injection"),
    "path-traversal": ("1.3", "パス名パラメータの未チェック／ディレクトリ・トラバーサル", "path traversal"),
    "session": ("1.4", "セッション管理の不備", "session management"),
    "xss": ("1.5", "クロスサイト・スクリプティング", "cross-site scripting"),
    "csrf": ("1.6", "CSRF（クロスサイト・リクエスト・フォージェリ）", "cross-site request forgery"),
    "http-header-injection": ("1.7", "HTTPヘッダ・インジェクション", "HTTP header injection"),
    "mail-header-injection": ("1.8", "メールヘッダ・インジェクション", "mail header injection"),
    "clickjacking": ("1.9", "クリックジャッキング", "clickjacking"),
    "buffer-overflow": ("1.10", "バッファオーバーフロー", "buffer overflow"),
    "access-control": ("1.11", "アクセス制御や認可制御の欠落", "missing access control or authorisation"),
}
"""The eleven vulnerability classes of IPA's 安全なウェブサイトの作り方 (改訂第7版): id -> (section, ja, en).
Web application findings are grouped by these; a finding of no class is ``other``."""
WEB_RISKS = ("informational", "low", "medium", "high")
"""A web finding's risk, lowest first (ZAP's words; SARIF's levels are read into them)."""


class WebFinding(StrictModel):
    """One finding an outside web application scanner reported (one rule, all its instances on one target)."""

    ipa_class: str
    """One of ``IPA_WEB_CLASSES``, or ``other``."""
    name: str
    risk: Literal["informational", "low", "medium", "high"]
    confidence: str | None = None
    rule: str
    """The tool's rule id (ZAP's plugin id, SARIF's ruleId)."""
    cwe: int | None = None
    instances: list[str] = Field(default_factory=list)
    """Where it was found (method, URL and parameter), the first few."""
    count: int = 1
    """How many instances the tool reported."""


class WebAppFacts(StrictModel):
    """What an outside web application scanner reported for one declared URL target."""

    kind: Literal["webapp"] = "webapp"
    target: str
    address: str | None = None
    tool: str
    findings: list[WebFinding] = Field(default_factory=list)
    tested_classes: list[str] | None = None
    """The classes the tool's results show it tested (so that no finding means none found); None when they do not
    say (ZAP's and SARIF's reports list what was found, not what was tried)."""
    error: str | None = None


Facts = PortFacts | TlsFacts | HttpFacts | WebAppFacts
