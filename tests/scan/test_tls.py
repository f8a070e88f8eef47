"""The TLS probe against loopback servers: versions, certificate fields, SNI and trust."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.scan.probes import tls
from secaudit.scan.probes.tls import Endpoint, collect_tls
from tests.scan.loopback import Loopback, free_port

NOW = dt.datetime.now(dt.UTC)


def test_good_endpoint_facts(loopback: Loopback) -> None:
    endpoint = Endpoint("127.0.0.1", loopback.ports["good"], "localhost", str(loopback.ca_bundle))
    facts = collect_tls("good", endpoint, 10, NOW)
    assert facts.error is None
    assert facts.sni == "localhost" and facts.address == "127.0.0.1"
    assert facts.protocols["TLSv1.3"].offered is True and facts.protocols["TLSv1.2"].offered is True
    assert facts.protocols["TLSv1.1"].offered is False
    cert = facts.certificate
    assert cert is not None
    assert cert.trusted and cert.hostname_matches and not cert.self_signed
    assert (cert.key_type, cert.key_bits, cert.signature_algorithm) == ("EC", 256, "ecdsa-with-SHA256")
    assert 85 <= cert.days_left <= 90 and cert.lifespan_days == 91
    assert "localhost" in cert.san and "127.0.0.1" in cert.san


def test_untrusted_without_the_ca_bundle_and_wrong_name(loopback: Loopback) -> None:
    endpoint = Endpoint("127.0.0.1", loopback.ports["good"], "portal.example.jp")
    cert = collect_tls("good", endpoint, 10, NOW).certificate
    assert cert is not None
    assert not cert.trusted and cert.trust_error
    assert not cert.hostname_matches


def test_expired_certificate(loopback: Loopback) -> None:
    endpoint = Endpoint("127.0.0.1", loopback.ports["expired"], "localhost", str(loopback.ca_bundle))
    cert = collect_tls("expired", endpoint, 10, NOW).certificate
    assert cert is not None
    assert cert.days_left < 0 and not cert.trusted and "expired" in (cert.trust_error or "")


def test_version_the_local_openssl_cannot_offer_is_unknown_not_absent(
    loopback: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tls, "client_can_offer", lambda version: version != "TLSv1")
    endpoint = Endpoint("127.0.0.1", loopback.ports["good"], "localhost", str(loopback.ca_bundle))
    facts = collect_tls("good", endpoint, 10, NOW)
    assert facts.protocols["TLSv1"].offered is None
    assert "cannot offer" in (facts.protocols["TLSv1"].error or "")


def test_legacy_endpoint_offers_tls10(loopback: Loopback) -> None:
    if "legacy" not in loopback.ports:
        pytest.skip(f"the local OpenSSL cannot serve TLS 1.0: {loopback.tls10_reason}")
    endpoint = Endpoint("127.0.0.1", loopback.ports["legacy"], "localhost", str(loopback.ca_bundle))
    facts = collect_tls("legacy", endpoint, 10, NOW)
    assert facts.protocols["TLSv1"].offered is True and facts.protocols["TLSv1"].cipher


def test_closed_port_is_an_error() -> None:
    facts = collect_tls("gone", Endpoint("127.0.0.1", free_port(), "localhost"), 5, NOW)
    assert facts.error is not None and facts.error.startswith("connect:")
    assert facts.certificate is None
