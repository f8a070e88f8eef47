"""The HTTP probe: one URL target's redirect chain, headers, cookies, methods and root listing.

Requests go to the scope-approved address with the declared host in the Host
header and SNI. Redirects are followed by hand, only while they stay inside
the service's scope; a redirect leaving it is recorded and not followed.
Certificates are the TLS probe's business, so this probe does not verify
them. Bodies, headers and time are capped.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpcore
import httpx

from secaudit.model.facts import ExposedFile, HttpFacts, RedirectHop
from secaudit.model.service import Address
from secaudit.scan.probes.cookies import parse_set_cookie
from secaudit.scan.probes.deadline import Watchdog
from secaudit.scan.scope import ApprovedTarget, ScopeDecision

MAX_REDIRECTS = 10
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
REQUEST_TIMEOUT_S = 10.0
USER_AGENT = "secaudit-scan (authorised compliance scan)"
LISTING_MARKERS = ("<title>index of /", "<h1>index of /", "directory listing for /", "<title>directory listing")
_GIT_HEAD = re.compile(rb"^(ref: refs/[\x21-\x7e]+|[0-9a-f]{40}|[0-9a-f]{64})\s*$")
_ENV_LINE = re.compile(rb"^(export\s+)?[A-Z_][A-Z0-9_]*=", re.MULTILINE)
_SQL_DUMP = re.compile(rb"CREATE TABLE|INSERT INTO|-- MySQL dump|PostgreSQL database dump", re.IGNORECASE)


@dataclass(frozen=True)
class Exposure:
    """A file that must never be served, and how to recognise it (not by its status alone: many sites
    answer every path with their home page)."""

    path: str
    kind: str
    looks_like: Callable[[bytes], bool]


EXPOSURES: tuple[Exposure, ...] = (
    Exposure("/.git/HEAD", "git", lambda body: bool(_GIT_HEAD.match(body[:200]))),
    Exposure("/.git/config", "git", lambda body: b"[core]" in body[:4096]),
    Exposure("/.svn/entries", "svn", lambda body: body[:3].strip().isdigit() or b"svn:" in body[:4096]),
    Exposure("/.env", "env", lambda body: bool(_ENV_LINE.search(body[:4096])) and b"<html" not in body[:4096].lower()),
    Exposure("/.DS_Store", "ds_store", lambda body: body[:8] == b"\x00\x00\x00\x01Bud1"),
    Exposure("/backup.sql", "dump", lambda body: bool(_SQL_DUMP.search(body[:65536]))),
    Exposure("/dump.sql", "dump", lambda body: bool(_SQL_DUMP.search(body[:65536]))),
    Exposure("/db.sql", "dump", lambda body: bool(_SQL_DUMP.search(body[:65536]))),
    Exposure("/backup.zip", "archive", lambda body: body[:4] == b"PK\x03\x04"),
    Exposure("/backup.tar.gz", "archive", lambda body: body[:2] == b"\x1f\x8b"),
)
"""The bounded list of paths the HTTP probe asks for, once each, at the root of the target's origin.
Only the path and what it was recognised as are kept: an exposed .env holds secrets, which are not copied."""


@dataclass
class Reply:
    """One response, read within the caps."""

    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    truncated: bool

    def first(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive)."""
        wanted = name.lower()
        for key, values in self.headers.items():
            if key.lower() == wanted and values:
                return values[0]
        return None


class _Visit:
    """The requests of one probe, sharing a client, the scope and a total deadline."""

    def __init__(self, scope: ScopeDecision, timeout_s: float) -> None:
        self.scope = scope
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.watchdog = Watchdog(self.deadline)
        self.client = httpx.Client(verify=False, trust_env=False, follow_redirects=False)  # noqa: S501

    def close(self) -> None:
        self.watchdog.close()
        self.client.close()

    def _trace(self, event: str, info: dict[str, object]) -> None:
        # every socket the client opens (plain, then TLS) is cut when the probe's deadline passes
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if isinstance(stream, httpcore.NetworkStream):
                self.watchdog.watch(stream.get_extra_info("socket"))

    def request(self, method: str, url: str, via: ApprovedTarget | None = None) -> Reply:
        """Send ``method`` to ``url`` at its approved address; raise httpx errors or ValueError.

        ``via`` lets a request reach a port the probe found open on an approved host (plain HTTP on
        port 80 beside a declared https URL): same host name, same approved address.
        """
        approved = self.scope.approved_for_url(url)
        if approved is None and via is not None and urlsplit(url).hostname == via.hostname:
            approved = via
        if approved is None:
            raise ValueError(f"{url} is outside the service's scope")
        address = approved.preferred_address()
        if address is None:
            raise ValueError(f"{url} has no approved address")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise httpx.TimeoutException("the probe's total deadline passed")
        parts = urlsplit(url)
        host_header = parts.netloc.rsplit("@", 1)[-1]
        wire = _address_url(parts, address)
        sni = parts.scheme == "https" and not _is_ip(approved.hostname)
        extensions = {"sni_hostname": approved.hostname} if sni else {}
        timeout = min(REQUEST_TIMEOUT_S, remaining)
        try:
            with self.client.stream(
                method,
                wire,
                headers={"Host": host_header, "User-Agent": USER_AGENT, "Accept": "*/*"},
                timeout=timeout,
                extensions={**extensions, "trace": self._trace},
            ) as response:
                body, truncated = _read_capped(response, self.watchdog)
                return Reply(url, response.status_code, _headers(response), body, truncated)
        except (httpx.HTTPError, OSError) as exc:
            if self.watchdog.expired:
                raise httpx.TimeoutException(f"the probe's deadline of {self.timeout_s:g} s passed") from exc
            raise


def probe_http(approved: ApprovedTarget, scope: ScopeDecision, timeout_s: float) -> HttpFacts:
    """Visit one URL target within ``timeout_s`` and return what was seen."""
    url = approved.target.url
    if url is None:
        raise ValueError(f"the HTTP probe visits URL targets, not host {approved.label}")
    address = approved.preferred_address()
    facts = HttpFacts(target=approved.label, address=str(address) if address else None)
    if address is None:
        facts.error = approved.resolution_error or "no approved address"
        return facts
    visit = _Visit(scope, timeout_s)
    try:
        final = _follow(visit, url, facts)
        if final is None:
            return facts
        _fill_final(facts, final)
        _https_redirect(visit, approved, urlsplit(url), address, facts)
        _methods(visit, final.url, facts)
        _listing(visit, final, facts)
        _exposed_files(visit, final, facts)
    finally:
        visit.close()
    return facts


def _follow(visit: _Visit, url: str, facts: HttpFacts) -> Reply | None:
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            reply = visit.request("GET", current)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            facts.error = f"GET {current}: {_describe(exc)}"
            return None
        location = reply.first("location") if 300 <= reply.status < 400 else None
        facts.redirects.append(RedirectHop(url=current, status=reply.status, location=location))
        for value in _values(reply.headers, "set-cookie"):
            cookie = parse_set_cookie(value)
            if cookie is not None:
                facts.cookies.append(cookie)
        if location is None:
            return reply
        nxt = urljoin(current, location)
        if visit.scope.approved_for_url(nxt) is None:
            facts.redirect_refused = nxt
            facts.notes.append(f"redirect to {nxt} not followed: outside the service's scope")
            return reply
        current = nxt
    facts.error = f"more than {MAX_REDIRECTS} redirects"
    return None


def _fill_final(facts: HttpFacts, final: Reply) -> None:
    facts.final_url = final.url
    facts.status = final.status
    facts.headers = final.headers
    facts.body_truncated = final.truncated


def _https_redirect(
    visit: _Visit, approved: ApprovedTarget, parts: SplitResult, address: Address, facts: HttpFacts
) -> None:
    """Does plain HTTP on this host redirect to https? A declared http URL is asked; otherwise port 80
    of the approved address: closed means no plaintext HTTP is offered, open means it is asked."""
    if parts.scheme == "http":
        facts.plain_http_offered = True
        facts.https_redirect = any(
            hop.location is not None and urljoin(hop.url, hop.location).startswith("https://")
            for hop in facts.redirects
        )
        return
    variant = _http_variant(visit.scope, parts)
    via = None
    if variant is None:
        state, state_ja = _port_state(address, PLAIN_HTTP_PORT, visit)
        if state != "open":
            facts.plain_http_offered = False
            facts.https_redirect_note = f"no plaintext HTTP offered: port {PLAIN_HTTP_PORT} of {address} {state}"
            facts.https_redirect_note_ja = (
                f"平文のHTTPは提供されていません: {address} のポート{PLAIN_HTTP_PORT}は{state_ja}"
            )
            return
        port = "" if PLAIN_HTTP_PORT == 80 else f":{PLAIN_HTTP_PORT}"
        variant, via = f"http://{_netloc_host(str(parts.hostname))}{port}/", approved
    facts.plain_http_offered = True
    try:
        reply = visit.request("GET", variant, via=via)
    except (httpx.HTTPError, ValueError, OSError) as exc:
        facts.https_redirect_failed = True
        facts.https_redirect_note = f"GET {variant}: {_describe(exc)}"
        facts.https_redirect_note_ja = f"GET {variant} が失敗: {_describe(exc)}"
        return
    location = reply.first("location") if 300 <= reply.status < 400 else None
    facts.https_redirect = location is not None and urljoin(variant, location).startswith("https://")
    facts.https_redirect_note = f"{variant} answered {reply.status}" + (f" -> {location}" if location else "")
    facts.https_redirect_note_ja = f"{variant} の応答は {reply.status}" + (f"（転送先 {location}）" if location else "")


PLAIN_HTTP_PORT = 80
PORT_CHECK_TIMEOUT_S = 3.0


def _port_state(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, visit: _Visit) -> tuple[str, str]:
    """``open``, ``refused the connection`` or ``did not answer (filtered)`` (with its Japanese): one TCP
    connect, within the deadline."""
    timeout = max(0.1, min(PORT_CHECK_TIMEOUT_S, visit.deadline - time.monotonic()))
    try:
        with socket.create_connection((str(address), port), timeout=timeout):
            return "open", "開いています"
    except ConnectionRefusedError:
        return "refused the connection", "接続を拒否しました"
    except TimeoutError:
        return "did not answer (filtered)", "応答しませんでした（フィルタ）"
    except OSError as exc:
        return f"could not be reached ({exc.strerror or exc})", f"到達できませんでした（{exc.strerror or exc}）"


def _http_variant(scope: ScopeDecision, parts: SplitResult) -> str | None:
    """The in-scope http:// URL of the same host: a declared http URL, else port 80 when declared."""
    hostname = parts.hostname
    for approved in scope.approved:
        url = approved.target.url
        if url is not None and approved.hostname == hostname and urlsplit(url).scheme == "http":
            return url
    candidate = f"http://{_netloc_host(str(hostname))}/"
    return candidate if scope.approved_for_url(candidate) is not None else None


def _methods(visit: _Visit, url: str, facts: HttpFacts) -> None:
    try:
        options = visit.request("OPTIONS", url)
        facts.options_status = options.status
        allow = ",".join(_values(options.headers, "allow"))
        facts.allowed_methods = sorted({m.strip().upper() for m in allow.split(",") if m.strip()})
    except (httpx.HTTPError, ValueError, OSError) as exc:
        facts.notes.append(f"OPTIONS {url}: {_describe(exc)}")
    try:
        trace = visit.request("TRACE", url)
        # enabled means echoed: a 200 page that ignores the method is not cross-site tracing
        facts.trace_enabled = 200 <= trace.status < 300 and b"TRACE" in trace.body[:65536]
    except (httpx.HTTPError, ValueError, OSError) as exc:
        facts.notes.append(f"TRACE {url}: {_describe(exc)}")


def _listing(visit: _Visit, final: Reply, facts: HttpFacts) -> None:
    parts = urlsplit(final.url)
    root = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    reply = final
    if parts.path not in ("", "/") or parts.query:
        try:
            reply = visit.request("GET", root)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            facts.notes.append(f"GET {root}: {_describe(exc)}")
            return
    if not 200 <= reply.status < 300:
        facts.directory_listing = False
        return
    text = reply.body[:MAX_BODY_BYTES].decode("utf-8", "replace").lower()
    facts.directory_listing = any(marker in text for marker in LISTING_MARKERS)


def _exposed_files(visit: _Visit, final: Reply, facts: HttpFacts) -> None:
    """Ask for each path of EXPOSURES at the origin's root; a 2xx answer that looks like the file is exposed."""
    parts = urlsplit(final.url)
    for exposure in EXPOSURES:
        url = urlunsplit((parts.scheme, parts.netloc, exposure.path, "", ""))
        try:
            reply = visit.request("GET", url)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            facts.exposure_errors.append(f"GET {exposure.path}: {_describe(exc)}")
            continue
        facts.exposure_checked.append(exposure.path)
        if 200 <= reply.status < 300 and exposure.looks_like(reply.body):
            facts.exposed_files.append(ExposedFile(path=exposure.path, kind=exposure.kind, status=reply.status))


def _read_capped(response: httpx.Response, watchdog: Watchdog) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_BODY_BYTES or watchdog.expired:
                return b"".join(chunks)[:MAX_BODY_BYTES], True
    except httpx.HTTPError:
        if not watchdog.expired:
            raise
        return b"".join(chunks), True  # the deadline cut a trickling body: keep what arrived
    return b"".join(chunks), False


def _headers(response: httpx.Response) -> dict[str, list[str]]:
    """Headers verbatim (original case, every value), cut off at MAX_HEADER_BYTES in total."""
    headers: dict[str, list[str]] = {}
    total = 0
    for raw_key, raw_value in response.headers.raw:
        key = raw_key.decode("latin-1")
        value = raw_value.decode("latin-1")
        total += len(key) + len(value)
        if total > MAX_HEADER_BYTES:
            break
        headers.setdefault(key, []).append(value)
    return headers


def _values(headers: dict[str, list[str]], name: str) -> list[str]:
    return [v for k, values in headers.items() if k.lower() == name for v in values]


def _address_url(parts: SplitResult, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{address}]" if address.version == 6 else str(address)
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))


def _netloc_host(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]
