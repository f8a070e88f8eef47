"""Checks that name a published baseline follow it: their parameters agree with the baseline's own data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secaudit.catalog import Catalog, load_catalog
from secaudit.scan.judges import validate_checks
from secaudit.workspace import builtin_layer

MOZILLA = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "mozilla-server-side-tls-6.0.json").read_text()
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([builtin_layer()])


def _labelled(catalog: Catalog, profile: str) -> dict[str, Any]:
    name = f"Mozilla server-side TLS {profile}"
    checks = [c for c in catalog.checks.values() if c.baseline and c.baseline.name == name]
    assert all(c.baseline is not None and c.baseline.version == str(MOZILLA["version"]) for c in checks)
    return {c.id: p for c, p in zip(checks, validate_checks(checks).values(), strict=True)}


def test_the_copy_is_mozillas_version_6() -> None:
    assert MOZILLA["version"] == 6.0 and set(MOZILLA["configurations"]) == {"modern", "intermediate"}


def test_checks_labelled_intermediate_follow_its_protocols_keys_suites_and_signatures(
    catalog: Catalog,
) -> None:
    facts = MOZILLA["configurations"]["intermediate"]
    params = _labelled(catalog, "intermediate")
    assert set(facts["tls_versions"]) == set(params["tls.modern-protocol-offered"].protocols)
    assert not set(facts["tls_versions"]) & set(params["tls.legacy-protocols-disabled"].protocols)
    # the lifespan follows the CA/Browser Forum's schedule, which is stricter than Mozilla's 366 days
    assert "tls.certificate-lifespan" not in params
    assert params["tls.key-strength"].rsa_min_bits == facts["rsa_key_size"]
    assert params["tls.key-strength"].ec_min_bits == facts["ecdh_param_size"]
    allowed = set(params["tls.cipher-strength"].allowed)
    assert set(facts["ciphersuites"]) | set(facts["ciphers"]["openssl"]) <= allowed
    assert set(facts["certificate_signatures"]) <= set(params["tls.signature-algorithm"].allowed)


def test_checks_labelled_modern_follow_its_protocols(catalog: Catalog) -> None:
    params = _labelled(catalog, "modern")
    assert params["tls.tls13-offered"].protocols == MOZILLA["configurations"]["modern"]["tls_versions"]


def test_the_lifespan_check_follows_the_ca_browser_forums_sc081_schedule(catalog: Catalog) -> None:
    """Public certificates: at most 200 days from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15."""
    import datetime as dt

    check = catalog.checks["tls.certificate-lifespan"]
    assert check.baseline is not None and "SC-081" in check.baseline.name
    [params] = validate_checks([check]).values()
    schedule = {limit.since: limit.max_days for limit in params.limits}
    assert schedule[dt.date(2026, 3, 15)] == 200
    assert schedule[dt.date(2027, 3, 15)] == 100
    assert schedule[dt.date(2029, 3, 15)] == 47


def test_the_hsts_threshold_is_labelled_with_the_source_it_follows(catalog: Catalog) -> None:
    """Six months is MDN's HTTP Observatory threshold; OWASP recommends a year."""
    check = catalog.checks["http.hsts"]
    [params] = validate_checks([check]).values()
    assert params.min_age == 15552000 and check.baseline is not None
    assert check.baseline.name == "MDN HTTP Observatory"
