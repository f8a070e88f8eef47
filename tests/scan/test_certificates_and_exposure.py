"""Issue 16's scanner baselines against loopback servers the tests start: the served chain (a missing
intermediate is named), the lifespan by issuance date (CA/Browser Forum SC-081), a CSP judged on its
content, product-naming headers, and files that must never be served."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secaudit.catalog import load_catalog
from secaudit.model import Check, ObservationStatus
from secaudit.scan.judges import judge, validate_checks
from secaudit.scan.probes.http import EXPOSURES, probe_http
from secaudit.scan.probes.tls import Endpoint, collect_tls
from secaudit.scan.scope import ScopeDecision
from secaudit.workspace import builtin_layer
from tests.scan.loopback import GOOD_HEADERS, Loopback, TestCA, serve_banner, serve_http, server_context
from tests.scan.test_http import _decision

PASS, FAIL = ObservationStatus.PASS, ObservationStatus.FAIL
NOW = dt.datetime.now(dt.UTC)
CATALOG = load_catalog([builtin_layer()])


@pytest.fixture
def servers() -> Iterator[Loopback]:
    loop = Loopback()
    yield loop
    loop.stop()


def _shipped(check_id: str, facts: Any) -> tuple[ObservationStatus, str, str]:
    """Judge ``facts`` with the shipped check ``check_id``, as the engine would (its parameters as shipped)."""
    check: Check = CATALOG.checks[check_id]
    parsed = validate_checks([check])[check.id]
    status, said, _details = judge(check, parsed, facts)
    return status, str(said), said.ja


class _Site(http.server.BaseHTTPRequestHandler):
    """A site answering every path with its home page (200), plus the files in ``files``."""

    protocol_version = "HTTP/1.1"
    files: dict[str, bytes] = {}
    headers_out: dict[str, str] = {}

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        body = self.files.get(self.path, b"<html><title>home</title><body>welcome</body></html>")
        kind = "text/plain" if self.path in self.files else "text/html; charset=utf-8"
        self.send_response(200)
        for key, value in self.headers_out.items():
            self.send_header(key, value)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_OPTIONS(self) -> None:
        self.send_response(200)
        self.send_header("Allow", "GET, HEAD, OPTIONS")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_TRACE(self) -> None:
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _site(files: dict[str, bytes], headers: dict[str, str]) -> type:
    return type("Site", (_Site,), {"files": files, "headers_out": headers})


def _scope(port: int) -> ScopeDecision:
    return _decision([{"url": f"http://localhost:{port}/"}])


def _http_facts(servers: Loopback, files: dict[str, bytes], headers: dict[str, str]) -> Any:
    port = serve_http(servers, "site", _site(files, headers))
    scope = _scope(port)
    return probe_http(scope.approved[0], scope, 20)


# --- the served chain ------------------------------------------------------------------------------


def _chain_server(servers: Loopback, tmp_path: Path, with_intermediate: bool) -> tuple[int, TestCA, TestCA]:
    root = TestCA.create(tmp_path)
    intermediate = root.intermediate(tmp_path)
    leaf, key = intermediate.issue(tmp_path, "leaf", NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=90))
    served = tmp_path / f"served-{with_intermediate}.pem"
    served.write_bytes(leaf.read_bytes() + (intermediate.bundle.read_bytes() if with_intermediate else b""))
    port = serve_http(
        servers,
        f"chain-{with_intermediate}",
        _site({}, GOOD_HEADERS),
        server_context(served, key, ssl.TLSVersion.TLSv1_2),
    )
    return port, root, intermediate


def test_a_leaf_served_without_its_intermediate_fails_naming_the_missing_intermediate(
    servers: Loopback, tmp_path: Path
) -> None:
    port, root, _intermediate = _chain_server(servers, tmp_path, with_intermediate=False)
    facts = collect_tls("chain", Endpoint("127.0.0.1", port, "localhost", str(root.bundle)), 10, NOW)
    assert facts.certificate is not None and facts.certificate.chain is not None
    assert len(facts.certificate.chain) == 1 and facts.certificate.chain_anchor is None
    status, en, ja = _shipped("tls.certificate-chain", facts)
    assert status is FAIL
    assert "intermediate certificate CN=secaudit test intermediate CA" in en and "is not sent" in en
    assert "中間証明書 CN=secaudit test intermediate CA" in ja


def test_the_same_leaf_served_with_its_intermediate_passes(servers: Loopback, tmp_path: Path) -> None:
    port, root, _intermediate = _chain_server(servers, tmp_path, with_intermediate=True)
    facts = collect_tls("chain", Endpoint("127.0.0.1", port, "localhost", str(root.bundle)), 10, NOW)
    cert = facts.certificate
    assert cert is not None and cert.chain is not None and len(cert.chain) == 2
    assert cert.chain_anchor == "CN=secaudit test CA" and cert.anchor_source == "ca_bundle" and cert.trusted
    status, en, _ja = _shipped("tls.certificate-chain", facts)
    assert status is PASS and "2 certificate(s) sent" in en


def test_a_chain_sent_out_of_order_fails(tmp_path: Path, servers: Loopback) -> None:
    root = TestCA.create(tmp_path)
    intermediate = root.intermediate(tmp_path)
    leaf, key = intermediate.issue(tmp_path, "leaf", NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=90))
    facts = collect_tls(
        "x",
        Endpoint(
            "127.0.0.1",
            serve_http(
                servers,
                "ok",
                _site({}, {}),
                server_context(_concat(tmp_path, leaf, intermediate.bundle), key, ssl.TLSVersion.TLSv1_2),
            ),
            "localhost",
            str(root.bundle),
        ),
        10,
        NOW,
    )
    assert facts.certificate is not None and facts.certificate.chain is not None
    # the same chain with the intermediate's issuer (the root) wrongly placed between leaf and intermediate
    from secaudit.model.facts import ChainEntry

    leaf_entry, inter_entry = facts.certificate.chain
    root_entry = ChainEntry(
        subject="CN=secaudit test CA", issuer="CN=secaudit test CA", sha256="0" * 64, self_signed=True
    )
    facts.certificate.chain = [leaf_entry, root_entry, inter_entry]
    status, en, _ja = _shipped("tls.certificate-chain", facts)
    assert status is FAIL and "out of order" in en


def _concat(folder: Path, *parts: Path) -> Path:
    path = folder / "concat.pem"
    path.write_bytes(b"".join(p.read_bytes() for p in parts))
    return path


# --- the lifespan by issuance date -----------------------------------------------------------------


def test_a_certificate_issued_this_year_for_250_days_fails_the_lifespan_check(
    servers: Loopback, tmp_path: Path
) -> None:
    """From 2026-03-15 a public certificate may be valid for at most 200 days (SC-081)."""
    ca = TestCA.create(tmp_path)
    issued = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    cert, key = ca.issue(tmp_path, "long", issued, issued + dt.timedelta(days=250))
    port = serve_http(servers, "long", _site({}, {}), server_context(cert, key, ssl.TLSVersion.TLSv1_2))
    facts = collect_tls("long", Endpoint("127.0.0.1", port, "localhost"), 10, NOW)
    assert facts.certificate is not None and facts.certificate.lifespan_days == 250
    status, en, ja = _shipped("tls.certificate-lifespan", facts)
    assert status is FAIL and "issued 2026-04-01, at most 200 days" in en and "上限は200日" in ja
    # the same certificate from a private CA the service names, under a workspace limit of 825 days
    facts.certificate.anchor_source = "ca_bundle"
    check = CATALOG.checks["tls.certificate-lifespan"]
    params = validate_checks([check])[check.id].model_copy(update={"private_ca_max_days": 825})
    status, said, _ = judge(check, params, facts)
    assert status is PASS and "private CA" in str(said)


def test_a_90_day_certificate_passes_the_lifespan_check(loopback: Loopback) -> None:
    facts = collect_tls(
        "good", Endpoint("127.0.0.1", loopback.ports["good"], "localhost", str(loopback.ca_bundle)), 10, NOW
    )
    status, _en, _ja = _shipped("tls.certificate-lifespan", facts)
    assert status is PASS


# --- HTTP: CSP content, product headers, exposed files --------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("default-src 'self'", PASS),
        ("default-src 'self'; script-src 'self' 'unsafe-inline'", FAIL),
        ("script-src 'self' 'unsafe-eval'", FAIL),
        ("script-src 'self' 'unsafe-inline' 'nonce-abc123'", PASS),  # browsers ignore unsafe-inline then
        ("script-src https:", FAIL),
        ("img-src 'self'", FAIL),  # no script-src nor default-src: scripts unrestricted
    ],
)
def test_a_csp_is_judged_on_its_script_sources(servers: Loopback, policy: str, expected: ObservationStatus) -> None:
    facts = _http_facts(servers, {}, {"Content-Security-Policy": policy})
    status, en, _ja = _shipped("http.csp", facts)
    assert status is expected, en


def test_x_powered_by_is_a_leak_whatever_its_value(servers: Loopback) -> None:
    facts = _http_facts(servers, {}, {"X-Powered-By": "Express"})
    status, en, ja = _shipped("http.technology-headers-absent", facts)
    assert status is FAIL and "X-Powered-By: Express" in en and "送信しています" in ja


def test_a_served_git_head_fails_and_a_home_page_for_every_path_does_not(servers: Loopback) -> None:
    clean = _http_facts(servers, {}, {})
    assert clean.exposure_checked == [e.path for e in EXPOSURES] and not clean.exposed_files
    assert _shipped("http.exposed-files", clean)[0] is PASS
    leaky = _http_facts(servers, {"/.git/HEAD": b"ref: refs/heads/main\n", "/.env": b"DB_PASSWORD=secret\n"}, {})
    status, en, ja = _shipped("http.exposed-files", leaky)
    assert status is FAIL and "/.git/HEAD (git)" in en and "/.env (env)" in en and "Gitのリポジトリ" in ja
    assert "secret" not in leaky.model_dump_json()  # the content of an exposed file is never kept


# --- SSL 2.0 and 3.0, asked with a hand-made ClientHello --------------------------------------------


SSLV3_SERVER_HELLO = b"\x16\x03\x00\x00\x2a" + b"\x02\x00\x00\x26" + b"\x03\x00" + bytes(32) + b"\x00\x00\x2f\x00"
SSLV2_SERVER_HELLO = b"\x80\x2e\x04\x00\x01\x00\x02" + bytes(41)


def test_an_ssl3_server_is_found_and_fails_the_legacy_protocols_check(servers: Loopback) -> None:
    port = serve_banner(servers, "ssl3", SSLV3_SERVER_HELLO, read_first=True)
    facts = collect_tls("old", Endpoint("127.0.0.1", port, "localhost"), 10, NOW)
    assert facts.protocols["SSLv3"].offered is True and facts.protocols["SSLv2"].offered is False
    status, en, ja = _shipped("tls.legacy-protocols-disabled", facts)
    assert status is FAIL and "SSLv3" in en and "受け入れています" in ja


def test_an_ssl2_server_is_found(servers: Loopback) -> None:
    port = serve_banner(servers, "ssl2", SSLV2_SERVER_HELLO, read_first=True)
    facts = collect_tls("older", Endpoint("127.0.0.1", port, "localhost"), 10, NOW)
    assert facts.protocols["SSLv2"].offered is True


def test_todays_server_refuses_ssl2_and_ssl3(loopback: Loopback) -> None:
    facts = collect_tls(
        "good", Endpoint("127.0.0.1", loopback.ports["good"], "localhost", str(loopback.ca_bundle)), 10, NOW
    )
    assert facts.protocols["SSLv3"].offered is False and facts.protocols["SSLv2"].offered is False
    assert _shipped("tls.legacy-protocols-disabled", facts)[0] is PASS
