"""Judges from fixture facts, without a network; and the registry's validation of checks."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from secaudit.model import Check, ObservationStatus, PortFacts
from secaudit.model.facts import (
    CertificateInfo,
    CookieInfo,
    HttpFacts,
    PortInfo,
    ProtocolSupport,
    TlsFacts,
    port_ranges,
)
from secaudit.scan.errors import CheckDefinitionError
from secaudit.scan.judges import REGISTRY, judge, validate_checks
from secaudit.scan.judges.base import NoParameters, Said

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ENGLISH_PHRASES = re.compile(r"\b(not run|not checked|not judged|offered|missing|days left|in all|none|expected)\b")

PASS, FAIL, ERROR = ObservationStatus.PASS, ObservationStatus.FAIL, ObservationStatus.ERROR
NOT_RUN = ObservationStatus.NOT_RUN
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def _run(probe: str, assertion: str, facts: Any, **parameters: Any) -> tuple[ObservationStatus, str]:
    check = Check.model_validate(
        {
            "id": f"{probe}.test",
            "probe": probe,
            "title": {"ja": "t", "en": "t"},
            "severity": "high",
            "assertion": assertion,
            "parameters": parameters,
        }
    )
    parsed = validate_checks([check])[check.id]
    status, evidence, _details = judge(check, parsed, facts)
    assert "\n" not in evidence
    # every verdict is written in Japanese too: in Japanese words, unless it only quotes the target
    assert isinstance(evidence, Said) and "\n" not in evidence.ja
    assert evidence.ja == evidence.en or JAPANESE.search(evidence.ja), (evidence.en, evidence.ja)
    assert evidence.ja == evidence.en or not ENGLISH_PHRASES.search(evidence.ja), evidence.ja
    return status, evidence


# --- ports ------------------------------------------------------------------------------------


def _ports(
    open_ports: dict[int, str], expected: list[int], args: list[str] | None = None, scanned: list[int] | None = None
) -> PortFacts:
    return PortFacts(
        target="localhost",
        address="127.0.0.1",
        scanned=port_ranges(scanned if scanned is not None else {*open_ports, *expected, 21, 22, 23}),
        scanned_from="test",
        expected_ports=expected,
        ports=[PortInfo(port=p, state="open", service=s) for p, s in open_ports.items()],
        nmap_args=args or ["-sT"],
    )


def test_undeclared_open_port_fails() -> None:
    status, evidence = _run("ports", "only_expected_open", _ports({443: "https", 8081: "http"}, [443]))
    assert status is FAIL and "8081/tcp (http)" in evidence
    assert _run("ports", "only_expected_open", _ports({443: "https"}, [443]))[0] is PASS


def test_unexpected_open_is_not_run_when_only_the_declared_ports_were_scanned() -> None:
    """Scanning the declared ports alone says nothing about ports outside them: never a pass."""
    status, evidence = _run("ports", "only_expected_open", _ports({443: "https"}, [443], scanned=[443]))
    assert status is NOT_RUN and "only the declared ports" in evidence


def test_declared_port_closed_fails_expected_open() -> None:
    assert _run("ports", "expected_open", _ports({}, [443]))[0] is FAIL
    assert _run("ports", "expected_open", _ports({443: "https"}, [443]))[0] is PASS
    assert _run("ports", "expected_open", _ports({}, []))[0] is NOT_RUN


def test_admin_port_open_fails_and_an_unscanned_listed_port_is_not_run() -> None:
    assert _run("ports", "ports_closed", _ports({22: "ssh"}, []), ports=[22, 3389])[0] is FAIL
    assert _run("ports", "ports_closed", _ports({}, []), ports=[22])[0] is PASS
    status, evidence = _run("ports", "ports_closed", _ports({}, []), ports=[22, 3389])
    assert status is NOT_RUN and "3389" in evidence


def test_cleartext_service_fails() -> None:
    status, evidence = _run(
        "ports", "services_absent", _ports({21: "ftp"}, [21]), services=["ftp", "telnet"], ports=[21, 23]
    )
    assert status is FAIL and "21/ftp" in evidence


def test_cleartext_services_pass_only_when_their_usual_ports_were_scanned() -> None:
    status, evidence = _run("ports", "services_absent", _ports({}, [443]), services=["telnet"], ports=[23])
    assert status is PASS and "port number only" in evidence
    status, evidence = _run(
        "ports", "services_absent", _ports({}, [443], scanned=[443]), services=["telnet"], ports=[23]
    )
    assert status is NOT_RUN and "23" in evidence


def test_ports_named_by_checks_are_always_scanned() -> None:
    from secaudit.scan.judges import ports_named_by

    checks = [
        Check.model_validate(
            {"id": f"ports.t{i}", "probe": "ports", "title": {"ja": "t", "en": "t"}, "severity": "high", **spec}
        )
        for i, spec in enumerate(
            (
                {"assertion": "ports_closed", "parameters": {"ports": [3389, 22]}},
                {"assertion": "services_absent", "parameters": {"services": ["telnet"], "ports": [23]}},
                {"assertion": "only_expected_open"},
            )
        )
    ]
    assert ports_named_by(checks, validate_checks(checks)) == [22, 23, 3389]


def test_facts_stored_with_a_port_list_still_load() -> None:
    """Runs stored before port ranges listed every port; drift and reports still read them."""
    old = PortFacts.model_validate({"target": "h", "address": "127.0.0.1", "scanned_ports": [22, 23, 24, 80]})
    assert old.scanned == [(22, 24), (80, 80)] and old.covers(23) and not old.covers(25)
    assert old.scanned_count == 4


def test_version_banner_needs_detection_and_fails_on_versions() -> None:
    facts = _ports({80: "http"}, [80])
    assert _run("ports", "no_version_banner", facts)[0] is NOT_RUN
    facts = _ports({80: "http"}, [80], ["-sT", "-sV"])
    facts.ports[0].product, facts.ports[0].version = "Apache httpd", "2.4.1"
    status, evidence = _run("ports", "no_version_banner", facts)
    assert status is FAIL and "Apache httpd 2.4.1" in evidence
    facts.ports[0].version = None
    facts.ports[0].product = "nginx"
    assert _run("ports", "no_version_banner", facts)[0] is PASS


def test_probe_error_is_error_for_every_assertion() -> None:
    broken = PortFacts(target="localhost", address="127.0.0.1", error="nmap host timeout")
    for name in ("only_expected_open", "no_version_banner"):
        status, evidence = _run("ports", name, broken)
        assert status is ERROR and "nmap host timeout" in evidence


# --- tls --------------------------------------------------------------------------------------


def _cert(**changes: Any) -> CertificateInfo:
    base: dict[str, Any] = {
        "subject": "CN=localhost",
        "issuer": "CN=test CA",
        "serial": "1",
        "sha256": "00",
        "not_before": NOW - dt.timedelta(days=10),
        "not_after": NOW + dt.timedelta(days=80),
        "days_left": 80,
        "lifespan_days": 90,
        "san": ["localhost"],
        "hostname_matches": True,
        "trusted": True,
        "key_type": "EC",
        "key_bits": 256,
        "signature_algorithm": "ecdsa-with-SHA256",
    }
    return CertificateInfo(**{**base, **changes})


def _tls(protocols: dict[str, bool | None], cert: CertificateInfo | None = None) -> TlsFacts:
    ciphers = {"TLSv1.3": "TLS_AES_128_GCM_SHA256", "TLSv1.2": "ECDHE-RSA-AES128-GCM-SHA256"}
    return TlsFacts(
        target="https://localhost/",
        address="127.0.0.1",
        port=443,
        sni="localhost",
        protocols={
            v: ProtocolSupport(
                offered=o,
                cipher=ciphers.get(v, "ECDHE-RSA-AES256-SHA") if o else None,
                error="the local OpenSSL cannot offer it" if o is None else None,
            )
            for v, o in protocols.items()
        },
        certificate=cert or _cert(),
        observed_at=NOW,
    )


MODERN = {"TLSv1.3": True, "TLSv1.2": True, "TLSv1.1": False, "TLSv1": False}


def test_legacy_protocol_offered_fails_and_untestable_is_error() -> None:
    legacy = ["TLSv1", "TLSv1.1"]
    assert _run("tls", "protocols_not_offered", _tls(MODERN), protocols=legacy)[0] is PASS
    status, evidence = _run("tls", "protocols_not_offered", _tls({**MODERN, "TLSv1": True}), protocols=legacy)
    assert status is FAIL and "TLSv1 (ECDHE-RSA-AES256-SHA)" in evidence
    status, evidence = _run("tls", "protocols_not_offered", _tls({**MODERN, "TLSv1": None}), protocols=legacy)
    assert status is ERROR and "cannot offer" in evidence


def test_modern_protocol_required() -> None:
    wanted = ["TLSv1.2", "TLSv1.3"]
    assert _run("tls", "protocols_offered_any", _tls(MODERN), protocols=wanted)[0] is PASS
    none = {"TLSv1.3": False, "TLSv1.2": False, "TLSv1.1": True, "TLSv1": True}
    assert _run("tls", "protocols_offered_any", _tls(none), protocols=wanted)[0] is FAIL


def test_cipher_outside_baseline_fails() -> None:
    allowed = ["TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]
    assert _run("tls", "ciphers_recommended", _tls(MODERN), allowed=allowed)[0] is PASS
    status, evidence = _run("tls", "ciphers_recommended", _tls({**MODERN, "TLSv1": True}), allowed=allowed)
    assert status is FAIL and "TLSv1: ECDHE-RSA-AES256-SHA" in evidence


def test_expired_and_not_yet_valid_certificates_fail() -> None:
    expired = _cert(not_after=NOW - dt.timedelta(days=3), days_left=-3)
    status, evidence = _run("tls", "certificate_in_validity", _tls(MODERN, expired))
    assert status is FAIL and "expired" in evidence
    future = _cert(not_before=NOW + dt.timedelta(days=1))
    assert _run("tls", "certificate_in_validity", _tls(MODERN, future))[0] is FAIL
    assert _run("tls", "certificate_in_validity", _tls(MODERN))[0] is PASS


def test_certificate_properties() -> None:
    assert _run("tls", "certificate_trusted", _tls(MODERN, _cert(trusted=False, trust_error="self-signed")))[0] is FAIL
    assert _run("tls", "certificate_hostname_matches", _tls(MODERN, _cert(hostname_matches=False)))[0] is FAIL
    assert _run("tls", "certificate_days_left", _tls(MODERN, _cert(days_left=12)), min_days=30)[0] is FAIL
    assert _run("tls", "certificate_days_left", _tls(MODERN), min_days=30)[0] is PASS
    assert _run("tls", "certificate_max_lifespan", _tls(MODERN, _cert(lifespan_days=825)), max_days=366)[0] is FAIL
    weak = _cert(key_type="RSA", key_bits=1024)
    status, evidence = _run("tls", "key_strength", _tls(MODERN, weak), rsa_min_bits=2048, ec_min_bits=256)
    assert status is FAIL and "RSA 1024" in evidence
    assert _run("tls", "key_strength", _tls(MODERN), rsa_min_bits=2048, ec_min_bits=256)[0] is PASS
    sha1 = _cert(signature_algorithm="sha1WithRSAEncryption")
    assert _run("tls", "signature_algorithm_allowed", _tls(MODERN, sha1), allowed=["ecdsa-with-SHA256"])[0] is FAIL


def test_no_certificate_is_error() -> None:
    facts = _tls({"TLSv1.3": False, "TLSv1.2": False, "TLSv1.1": False, "TLSv1": False})
    facts.certificate = None
    assert _run("tls", "certificate_trusted", facts)[0] is ERROR


# --- http -------------------------------------------------------------------------------------


def _http(headers: dict[str, str], final_url: str = "https://localhost/", **fields: Any) -> HttpFacts:
    return HttpFacts(
        target=final_url,
        address="127.0.0.1",
        final_url=final_url,
        status=200,
        headers={k: [v] for k, v in headers.items()},
        **fields,
    )


def test_hsts() -> None:
    assert _run("http", "hsts_min_age", _http({}), min_age=15552000)[1] == "no Strict-Transport-Security header"
    short = _http({"strict-transport-security": "max-age=300"})
    assert _run("http", "hsts_min_age", short, min_age=15552000)[0] is FAIL
    good = _http({"Strict-Transport-Security": "max-age=31536000; includeSubDomains"})
    assert _run("http", "hsts_min_age", good, min_age=15552000)[0] is PASS
    plain = _http({"Strict-Transport-Security": "max-age=31536000"}, final_url="http://localhost/")
    assert _run("http", "hsts_min_age", plain, min_age=15552000)[0] is FAIL


def test_header_assertions() -> None:
    assert _run("http", "header_present", _http({}), header="Content-Security-Policy")[0] is FAIL
    assert (
        _run(
            "http",
            "header_equals",
            _http({"X-Content-Type-Options": "NoSniff"}),
            header="X-Content-Type-Options",
            value="nosniff",
        )[0]
        is PASS
    )
    referrer = _http({"Referrer-Policy": "no-referrer, unsafe-url"})
    assert _run("http", "header_in", referrer, header="Referrer-Policy", values=["no-referrer"])[0] is FAIL


def test_frame_protection_by_either_header() -> None:
    assert _run("http", "frame_protection", _http({"X-Frame-Options": "sameorigin"}))[0] is PASS
    csp = _http({"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"})
    assert _run("http", "frame_protection", csp)[0] is PASS
    assert _run("http", "frame_protection", _http({"X-Frame-Options": "ALLOW-FROM x"}))[0] is FAIL


def test_cookie_flags() -> None:
    bad = _http(
        {},
        cookies=[
            CookieInfo(name="sid", secure=True),
            CookieInfo(name="ok", secure=True, httponly=True, samesite="Lax"),
        ],
    )
    status, evidence = _run("http", "cookies_flagged", bad)
    assert status is FAIL and "sid without HttpOnly/SameSite" in evidence
    assert _run("http", "cookies_flagged", _http({}))[0] is PASS


def test_version_headers_and_markup_kept_in_evidence() -> None:
    leaky = _http({"Server": "Apache/2.4.1 <script>x</script>"})
    status, evidence = _run("http", "no_version_headers", leaky, headers=["Server", "X-Powered-By"])
    assert status is FAIL and "Apache/2.4.1 <script>x</script>" in evidence
    assert _run("http", "no_version_headers", _http({"Server": "nginx"}), headers=["Server"])[0] is PASS


def test_methods_trace_listing_and_redirect() -> None:
    assert _run("http", "trace_disabled", _http({}, trace_enabled=True))[0] is FAIL
    assert _run("http", "trace_disabled", _http({}))[0] is ERROR
    offered = _http({}, allowed_methods=["GET", "PUT"], options_status=200)
    assert _run("http", "methods_not_allowed", offered, methods=["PUT"])[0] is FAIL
    assert _run("http", "methods_not_allowed", _http({}, options_status=501), methods=["PUT"])[0] is PASS
    assert _run("http", "methods_not_allowed", _http({}), methods=["PUT"])[0] is ERROR
    assert _run("http", "no_directory_listing", _http({}, directory_listing=True))[0] is FAIL
    assert _run("http", "https_redirect", _http({}, https_redirect=False))[0] is FAIL
    nothing_looked = _http({}, https_redirect_note="not run: none in scope")
    assert _run("http", "https_redirect", nothing_looked)[0] is NOT_RUN
    asking_failed = _http({}, plain_http_offered=True, https_redirect_failed=True, https_redirect_note="GET: reset")
    assert _run("http", "https_redirect", asking_failed)[0] is ERROR
    closed = _http({}, plain_http_offered=False, https_redirect_note="no plaintext HTTP offered: port 80 refused")
    status, evidence = _run("http", "https_redirect", closed)
    assert status is PASS and "no plaintext HTTP offered" in evidence


# --- registry ---------------------------------------------------------------------------------


def test_every_registered_judge_is_documented_by_a_summary() -> None:
    for vocabulary in REGISTRY.values():
        for name, assertion in vocabulary.items():
            assert assertion.summary, name


@pytest.mark.parametrize(
    ("assertion", "parameters", "message"),
    [
        ("no_such_assertion", {}, "has no assertion 'no_such_assertion'"),
        ("hsts_min_age", {}, "parameters.min_age: Field required"),
        ("hsts_min_age", {"min_age": "soon"}, "parameters.min_age"),
        ("trace_disabled", {"extra": 1}, "parameters.extra: Extra inputs are not permitted"),
        # no silent coercion: a boolean is not 1, text is not a number or a boolean
        ("hsts_min_age", {"min_age": True}, "parameters.min_age: Input should be a valid integer"),
        ("hsts_min_age", {"min_age": "15552000"}, "parameters.min_age: Input should be a valid integer"),
        ("cookies_flagged", {"secure": "no"}, "parameters.secure: Input should be a valid boolean"),
    ],
)
def test_bad_check_definitions_name_the_check(assertion: str, parameters: dict[str, Any], message: str) -> None:
    check = Check.model_validate(
        {
            "id": "http.broken",
            "probe": "http",
            "title": {"ja": "t", "en": "t"},
            "severity": "low",
            "assertion": assertion,
            "parameters": parameters,
        }
    )
    with pytest.raises(CheckDefinitionError) as exc:
        validate_checks([check])
    assert any("check http.broken" in line and message in line for line in exc.value.lines()), exc.value.lines()


def test_tls_protocol_names_are_validated() -> None:
    check = Check.model_validate(
        {
            "id": "tls.broken",
            "probe": "tls",
            "title": {"ja": "t", "en": "t"},
            "severity": "low",
            "assertion": "protocols_not_offered",
            "parameters": {"protocols": ["SSLv4"]},
        }
    )
    with pytest.raises(CheckDefinitionError, match="scanner checks"):
        validate_checks([check])


def test_no_parameters_model_refuses_extras() -> None:
    with pytest.raises(ValueError):
        NoParameters.model_validate({"x": 1})


def test_expiry_margin_comes_from_the_workspace_when_the_check_leaves_it_open() -> None:
    from secaudit.model.config import WorkspaceConfig
    from secaudit.scan.judges import with_workspace_defaults

    check = Check.model_validate(
        {
            "id": "tls.margin",
            "probe": "tls",
            "title": {"ja": "t", "en": "t"},
            "severity": "low",
            "assertion": "certificate_days_left",
        }
    )
    config = WorkspaceConfig.model_validate(
        {"organisation": {"ja": "市", "en": "City"}, "scan": {"cert_expiry_warning_days": 60}}
    )
    parsed = with_workspace_defaults(validate_checks([check]), config.scan)[check.id]
    status, evidence, _ = judge(check, parsed, _tls(MODERN, _cert(days_left=45)))
    assert status is FAIL and "minimum 60" in evidence
    assert judge(check, validate_checks([check])[check.id], _tls(MODERN))[0] is ERROR
