"""The HTTP probe against loopback servers: scope-bound redirects, verbatim headers, caps; the cookie parser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from secaudit.model import Service
from secaudit.scan.probes import http as http_probe
from secaudit.scan.probes.cookies import parse_set_cookie
from secaudit.scan.probes.http import MAX_BODY_BYTES, probe_http
from secaudit.scan.scope import ScopeDecision, check_scope
from tests.scan.loopback import Loopback, free_port, make_handler, serve_http


@pytest.fixture
def servers() -> Iterator[Loopback]:
    """Servers started for one test."""
    loop = Loopback()
    yield loop
    loop.stop()


def _decision(targets: list[dict[str, Any]]) -> ScopeDecision:
    service = Service.model_validate(
        {
            "id": "svc",
            "name": {"ja": "t", "en": "t"},
            "department": "d",
            "owner": {"name": "a", "email": "a@example.jp"},
            "security_officer": {"name": "a", "email": "a@example.jp"},
            "classification": {"confidentiality": 1, "integrity": 1, "availability": 1},
            "attributes": {"internet_facing": True, "personal_data": False, "network_tier": "internet"},
            "scope": {"authorized_by": "x", "authorized_until": "2099-01-01", "targets": targets},
        }
    )
    return check_scope(service, dt.date(2026, 11, 26))


def test_redirect_outside_scope_is_recorded_not_followed(servers: Loopback) -> None:
    outside_hits: list[str] = []
    outside = serve_http(servers, "outside", make_handler({}, "web", trace=False, hits=outside_hits))
    start = serve_http(
        servers, "start", make_handler({}, "web", trace=False, redirect=f"http://127.0.0.1:{outside}/admin")
    )
    decision = _decision([{"url": f"http://localhost:{start}/", "addresses": ["127.0.0.1"]}])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.error is None
    assert facts.redirect_refused == f"http://127.0.0.1:{outside}/admin"
    assert [(h.status, h.location) for h in facts.redirects] == [(301, f"http://127.0.0.1:{outside}/admin")]
    assert outside_hits == []


def test_redirect_inside_scope_is_followed_with_the_chain(servers: Loopback) -> None:
    final = serve_http(servers, "final", make_handler({"X-Frame-Options": "DENY"}, "web", trace=False))
    start = serve_http(
        servers, "start", make_handler({}, "web", trace=False, redirect=f"http://localhost:{final}/home")
    )
    decision = _decision(
        [
            {"url": f"http://localhost:{start}/", "addresses": ["127.0.0.1"]},
            {"host": "localhost", "addresses": ["127.0.0.1"], "ports": [final]},
        ]
    )
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert [h.url for h in facts.redirects] == [f"http://localhost:{start}/", f"http://localhost:{final}/home"]
    assert facts.final_url == f"http://localhost:{final}/home"
    assert facts.header("x-frame-options") == ["DENY"]
    assert facts.https_redirect is False


def test_headers_are_stored_verbatim(servers: Loopback) -> None:
    port = serve_http(
        servers,
        "markup",
        make_handler({"X-Powered-By": "PHP/5.2 <b>bold</b>"}, "<script>alert(1)</script>", trace=False),
    )
    decision = _decision([{"url": f"http://localhost:{port}/", "addresses": ["127.0.0.1"]}])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.header("Server") == ["<script>alert(1)</script>"]
    assert facts.headers["X-Powered-By"] == ["PHP/5.2 <b>bold</b>"]


def test_directory_listing_and_body_cap(servers: Loopback) -> None:
    listing = serve_http(
        servers,
        "listing",
        make_handler({}, "web", trace=False, body=b"<html><title>Directory listing for /</title>" + b"x" * (3 << 20)),
    )
    decision = _decision([{"url": f"http://localhost:{listing}/", "addresses": ["127.0.0.1"]}])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.directory_listing is True
    assert facts.body_truncated is True
    assert MAX_BODY_BYTES < 3 << 20


def _redirect_verdict(facts: Any) -> tuple[str, str]:
    from secaudit.model import Check
    from secaudit.scan.judges import judge, validate_checks

    check = Check.model_validate(
        {
            "id": "http.r",
            "probe": "http",
            "title": {"ja": "t", "en": "t"},
            "severity": "medium",
            "assertion": "https_redirect",
        }
    )
    status, evidence, _details = judge(check, validate_checks([check])[check.id], facts)
    return status.value, evidence


def test_https_redirect_passes_when_the_hosts_plain_http_port_is_closed(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No http:// URL in scope: the probe looks at the host's port 80 itself (here a free port stands in)."""
    monkeypatch.setattr(http_probe, "PLAIN_HTTP_PORT", free_port())
    good = loopback.ports["good"]
    decision = _decision([{"url": f"https://localhost:{good}/", "addresses": ["127.0.0.1"]}])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.error is None and facts.status == 200
    assert facts.plain_http_offered is False and facts.https_redirect is None
    status, evidence = _redirect_verdict(facts)
    assert status == "pass" and "no plaintext HTTP offered" in evidence and "refused" in evidence


def test_https_redirect_asks_the_hosts_open_plain_http_port(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Port 80 open beside a declared https URL: plain HTTP is asked at the approved address, and judged."""
    good = loopback.ports["good"]
    decision = _decision([{"url": f"https://localhost:{good}/", "addresses": ["127.0.0.1"]}])
    monkeypatch.setattr(http_probe, "PLAIN_HTTP_PORT", loopback.ports["redirect"])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.plain_http_offered is True and facts.https_redirect is True
    assert _redirect_verdict(facts)[0] == "pass"
    monkeypatch.setattr(http_probe, "PLAIN_HTTP_PORT", loopback.ports["leaky"])
    facts = probe_http(decision.approved[0], decision, timeout_s=10)
    assert facts.plain_http_offered is True and facts.https_redirect is False
    assert _redirect_verdict(facts)[0] == "fail"


def test_unreachable_url_is_an_error(servers: Loopback) -> None:
    from tests.scan.loopback import free_port

    decision = _decision([{"url": f"http://localhost:{free_port()}/", "addresses": ["127.0.0.1"]}])
    facts = probe_http(decision.approved[0], decision, timeout_s=5)
    assert facts.error is not None and "ConnectError" in facts.error


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sid=abc; Path=/; Secure; HttpOnly; SameSite=strict", ("sid", True, True, "Strict")),
        ("a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=abc; secure", ("a", True, False, None)),
        ("flag; HttpOnly", ("flag", False, True, None)),
        ('q="x;y"; SameSite=None; Secure', ("q", True, False, "None")),
        ("weird name=1;;; httponly ;Domain=.example.jp", ("weird name", False, True, None)),
    ],
)
def test_cookie_parser_is_tolerant(raw: str, expected: tuple[str, bool, bool, str | None]) -> None:
    cookie = parse_set_cookie(raw)
    assert cookie is not None
    assert (cookie.name, cookie.secure, cookie.httponly, cookie.samesite) == expected
    assert cookie.raw == raw


def test_cookie_without_name_is_dropped() -> None:
    assert parse_set_cookie("=value; Secure") is None
