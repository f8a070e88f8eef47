"""What every importer is: it recognises one outside tool's file and turns what it says into secaudit's facts.

An importer reads bytes already limited in size; it never opens a file, a socket or the database. It
names each thing the file reports by the service's declared target it belongs to (through the scope
guard's decision), lists what the file reports outside that scope, and says for each fact which
assertions the file cannot answer: those checks are "not run", never pass.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from secaudit.errors import InputError, Problem
from secaudit.model import Facts, ProbeKind
from secaudit.model.service import Address
from secaudit.scan.judges.base import Said
from secaudit.scan.scope import ApprovedTarget, ScopeDecision

MAX_IMPORT_BYTES = 32 * 1024 * 1024
"""The largest file an import reads (a city's nmap XML of a /24 with -sV is a few MiB)."""
MAX_JSON_DEPTH = 64
"""Deeper JSON than this is refused before it is parsed (sslyze's output is about 12 levels deep)."""


PROTOCOL_ASSERTIONS = ("protocols_not_offered", "protocols_offered_any", "ciphers_recommended")
"""The TLS assertions that need to know which protocol versions (and suites) a server accepts."""
CERTIFICATE_ASSERTIONS = (
    "certificate_in_validity",
    "certificate_trusted",
    "certificate_chain_complete",
    "certificate_hostname_matches",
    "certificate_days_left",
    "certificate_max_lifespan",
    "certificate_lifespan_by_issuance",
    "key_strength",
    "signature_algorithm_allowed",
)
"""The TLS assertions that need the server's certificate."""


class UnreadableImport(InputError):
    """The file is not what its format says, or is hostile: nothing of it is stored (exit 2)."""


@dataclass
class ImportedFacts:
    """One thing the file reports, as secaudit's facts, with the assertions it cannot answer for it."""

    facts: Facts
    unanswered: dict[str, Said] = field(default_factory=dict)


@dataclass
class Imported:
    """What one file says, within the service's scope, and what it names outside it."""

    tool: str
    tool_version: str | None
    scanned_at: dt.datetime
    items: list[ImportedFacts] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """What the file reports that the service's declared scope does not cover, by name (never stored)."""
    raw_nmap_xml: list[tuple[str, bytes]] = field(default_factory=list)
    """nmap's own XML, kept beside the run as a scan's is."""

    @property
    def probes(self) -> set[ProbeKind]:
        """The probes whose checks this file speaks to."""
        return {ProbeKind(item.facts.kind) for item in self.items}


@runtime_checkable
class Importer(Protocol):
    """One outside tool's output format."""

    format: str
    """The ``--format`` name, e.g. ``sslyze-json``."""
    tool: str
    """The tool's name as reports show it."""

    def detect(self, data: bytes) -> bool:
        """Whether ``data`` looks like this format (cheaply, from its first bytes or top-level keys)."""
        ...

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """What the file says, as facts of the declared targets; UnreadableImport naming ``file`` and where."""
        ...


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def load_json(data: bytes, file: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON after checking its nesting depth on the raw bytes (a deep document never reaches the parser)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableImport(f"{file}: not UTF-8 text (byte {exc.start})", [Problem(file, "not UTF-8")]) from None
    depth = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > max_depth:
            raise UnreadableImport(
                f"{file}: JSON nested deeper than {max_depth} levels; refused",
                [Problem(file, f"nested deeper than {max_depth} levels")],
            )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableImport(
            f"{file}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})",
            [Problem(f"{file}: line {exc.lineno}, column {exc.colno}", f"not valid JSON ({exc.msg})")],
        ) from None


def looks_like_json_with(data: bytes, *keys: str) -> bool:
    """Whether the first KiB of ``data`` starts a JSON document and mentions every one of ``keys``."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[") and all(f'"{key}"'.encode() in head for key in keys)


def parse_moment(value: object, file: str, where: str) -> dt.datetime:
    """An ISO 8601 moment from the file (``Z`` allowed); a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise UnreadableImport(f"{file}: {where}: no scan time", [Problem(f"{file}: {where}", "no scan time")])
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableImport(
            f"{file}: {where}: {value[:40]!r} is not a date and time",
            [Problem(f"{file}: {where}", f"{value[:40]!r} is not a date and time")],
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def host_target(scope: ScopeDecision, address: str, hostname: str | None = None) -> ApprovedTarget | None:
    """The declared host target that ``address`` belongs to (one of its approved addresses), or None.

    When the file also names a host, it must be the target's host, or the target's host must be that address."""
    found = _address(address)
    if found is None:
        return None
    for approved in scope.approved:
        if approved.target.host is None or found not in approved.addresses:
            continue
        if hostname and hostname.lower().rstrip(".") not in (approved.hostname, address):
            continue
        return approved
    return None


def https_target(scope: ScopeDecision, hostname: str, address: str, port: int) -> ApprovedTarget | None:
    """The declared https URL target at ``hostname``:``port`` whose approved addresses hold ``address``."""
    found = _address(address)
    host = hostname.lower().rstrip(".")
    for approved in scope.approved:
        target = approved.target
        if target.url is None or not target.url.startswith("https://") or approved.hostname != host:
            continue
        if target.url_port == port and found is not None and found in approved.addresses:
            return approved
    return None


def url_target(scope: ScopeDecision, url: str) -> ApprovedTarget | None:
    """The declared URL target that ``url`` is under: same scheme, host and port (a file that names no address,
    such as a web scanner's report, is matched by these alone)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    for approved in scope.approved:
        target = approved.target
        if target.url is None or approved.hostname != host:
            continue
        if urlsplit(target.url).scheme == parts.scheme and target.url_port == port:
            return approved
    return None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def not_said(tool: str, what_en: str, what_ja: str) -> Said:
    """Why a check is not run: the tool's file does not say it."""
    return Said(f"{tool}'s results do not say {what_en}", f"{tool} の結果には{what_ja}が含まれていません")


def every(assertions: Mapping[str, Any], reason: Said) -> dict[str, Said]:
    """``reason`` for each of ``assertions``."""
    return dict.fromkeys(assertions, reason)
