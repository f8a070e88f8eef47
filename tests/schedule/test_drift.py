"""Drift between two runs, from fact fixtures (pure)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from secaudit.catalog import load_catalog
from secaudit.model import Check, HttpFacts, Observation, ObservationStatus, PortFacts, ScanRun, TlsFacts
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.facts import CertificateInfo, CookieInfo, PortInfo, ProtocolSupport
from secaudit.scan.probes.base import DriftPolicy
from secaudit.schedule.drift import RunView, comparable, compute_drift, parse_facts
from secaudit.store.drift import DriftRecord, drift_fingerprint
from secaudit.workspace import builtin_layer

NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
# drift follows what the shipped checks require, with a 30-day certificate warning
POLICY = DriftPolicy(list(load_catalog([builtin_layer()]).checks.values()), cert_expiry_warning_days=30)
SCOPE = {"authorized_by": "課長", "targets": [{"host": "localhost", "ports": [8443]}]}


def run(run_id: str, scope: dict[str, Any] | None = None, profile: str = "standard") -> ScanRun:
    return ScanRun(
        id=run_id, service_id="svc", profile=profile, started_at=NOW, secaudit_version="t", scope=scope or SCOPE
    )


def ports(*open_ports: int, version: str = "1.0", error: str | None = None) -> PortFacts:
    return PortFacts(
        target="localhost",
        address="127.0.0.1",
        scanned_ports=[22, 8443, 8444],
        ports=[PortInfo(port=p, state="open", service="https", product="nginx", version=version) for p in open_ports],
        error=error,
    )


def cert(sha: str = "aa", issuer: str = "CN=Test CA", days_left: int = 200) -> CertificateInfo:
    return CertificateInfo(
        subject="CN=localhost",
        issuer=issuer,
        serial="01",
        sha256=sha,
        not_before=NOW - dt.timedelta(days=10),
        not_after=NOW + dt.timedelta(days=days_left),
        days_left=days_left,
        lifespan_days=days_left + 10,
        hostname_matches=True,
        trusted=True,
        key_type="RSA",
        key_bits=2048,
        signature_algorithm="sha256WithRSAEncryption",
    )


def tls(certificate: CertificateInfo | None = None, tls11: bool = False) -> TlsFacts:
    return TlsFacts(
        target="https://localhost:8443/",
        address="127.0.0.1",
        port=8443,
        sni="localhost",
        protocols={"TLSv1.1": ProtocolSupport(offered=tls11), "TLSv1.2": ProtocolSupport(offered=True)},
        certificate=certificate or cert(),
    )


def http(headers: dict[str, list[str]] | None = None, cookie: CookieInfo | None = None) -> HttpFacts:
    return HttpFacts(
        target="https://localhost:8443/",
        status=200,
        headers=headers
        if headers is not None
        else {"Strict-Transport-Security": ["max-age=31536000; includeSubDomains"], "X-Frame-Options": ["DENY"]},
        cookies=[cookie or CookieInfo(name="sid", secure=True, httponly=True, samesite="Lax")],
    )


def obs(check: str, status: ObservationStatus, run_id: str) -> Observation:
    return Observation(
        run_id=run_id,
        service_id="svc",
        check_id=check,
        target="https://localhost:8443/",
        status=status,
        evidence="seen",
        observed_at=NOW,
    )


Obs = list[Observation] | None
BASE_FACTS = [ports(8443), tls(), http()]


def diff(
    after_facts: list[Any], after_obs: list[Observation] | None = None, before_obs: list[Observation] | None = None
):
    before = RunView(run("r1"), list(BASE_FACTS), before_obs or [])
    after = RunView(run("r2"), after_facts, after_obs or [])
    return compute_drift(before, after, POLICY)


def only(result, kind: DriftKind) -> list[DriftRecord]:
    return [i for i in result.items if i.kind is kind]


def test_unchanged_runs_have_no_drift() -> None:
    result = diff(list(BASE_FACTS))
    assert result.items == [] and not result.has_news and result.baseline_run_id == "r1"


def test_new_port_is_new_drift_naming_the_port() -> None:
    result = diff([ports(8443, 8444), tls(), http()])
    [item] = only(result, DriftKind.OPEN_PORT)
    assert item.state is DriftState.NEW
    assert item.after["port"] == 8444 and "8444" in item.message
    assert (item.run_id, item.baseline_run_id) == ("r2", "r1")
    assert result.has_news


def test_closed_port_is_resolved() -> None:
    result = diff([ports(), tls(), http()])
    [item] = only(result, DriftKind.OPEN_PORT)
    assert item.state is DriftState.RESOLVED and item.before["port"] == 8443
    assert not result.has_news


def test_port_outside_both_scans_is_not_compared() -> None:
    extra = ports(8443, 9999)
    assert only(diff([extra, tls(), http()]), DriftKind.OPEN_PORT) == []


def test_version_change() -> None:
    [item] = only(diff([ports(8443, version="1.2"), tls(), http()]), DriftKind.SERVICE_VERSION)
    assert item.state is DriftState.CHANGED
    assert (item.before["version"], item.after["version"]) == ("1.0", "1.2")


def test_errored_facts_are_never_read_as_closed_ports() -> None:
    result = diff([ports(error="host timed out"), tls(), http()])
    assert result.items == []


def test_certificate_change_names_the_fields() -> None:
    [item] = only(diff([ports(8443), tls(cert(sha="bb", issuer="CN=Other CA")), http()]), DriftKind.CERTIFICATE)
    assert item.state is DriftState.CHANGED
    assert "fingerprint" in item.message and "issuer" in item.message
    assert (item.before["issuer"], item.after["issuer"]) == ("CN=Test CA", "CN=Other CA")


def test_expiring_certificate_is_new_once_then_quiet_then_resolved() -> None:
    short = tls(cert(sha="cc", days_left=5))
    result = diff([ports(8443), short, http()])
    [item] = only(result, DriftKind.CERTIFICATE_EXPIRING)
    assert item.state is DriftState.NEW and "5 days" in item.message
    again = compute_drift(RunView(run("r2"), [short]), RunView(run("r3"), [short]), POLICY)
    assert again.items == []
    renewed = compute_drift(RunView(run("r3"), [short]), RunView(run("r4"), [tls(cert(sha="dd"))]), POLICY)
    expiring = only(renewed, DriftKind.CERTIFICATE_EXPIRING)
    assert [i.state for i in expiring] == [DriftState.RESOLVED]


def test_tls_protocol_newly_offered() -> None:
    [item] = only(diff([ports(8443), tls(tls11=True), http()]), DriftKind.TLS_PROTOCOL)
    assert (item.key, item.state, item.before, item.after) == ("TLSv1.1", DriftState.NEW, False, True)


def test_header_removed_and_weakened() -> None:
    result = diff([ports(8443), tls(), http(headers={"Strict-Transport-Security": ["max-age=300"]})])
    missing = only(result, DriftKind.HEADER_MISSING)
    weakened = only(result, DriftKind.HEADER_VALUE)
    assert [(i.key, i.state) for i in missing] == [("x-frame-options", DriftState.NEW)]
    assert weakened[0].after == {"value": "max-age=300", "weakened": True}
    assert "weakened" in weakened[0].message


def test_cookie_flag_lost() -> None:
    cookie = CookieInfo(name="sid", secure=False, httponly=True, samesite="Lax")
    [item] = only(diff([ports(8443), tls(), http(cookie=cookie)]), DriftKind.COOKIE_FLAG_MISSING)
    assert (item.key, item.state) == ("sid/secure", DriftState.NEW)


def test_check_flips_both_ways() -> None:
    before = [obs("http.hsts", ObservationStatus.PASS, "r1"), obs("http.csp", ObservationStatus.FAIL, "r1")]
    after = [obs("http.hsts", ObservationStatus.FAIL, "r2"), obs("http.csp", ObservationStatus.PASS, "r2")]
    result = diff(list(BASE_FACTS), after, before)
    flips = {(i.key, i.state) for i in only(result, DriftKind.CHECK_FAILING)}
    assert flips == {("http.hsts", DriftState.NEW), ("http.csp", DriftState.RESOLVED)}
    assert result.new_failures == 1


def test_an_error_is_not_a_flip() -> None:
    before = [obs("http.hsts", ObservationStatus.PASS, "r1")]
    after = [obs("http.hsts", ObservationStatus.ERROR, "r2")]
    assert diff(list(BASE_FACTS), after, before).items == []


def test_first_run_counts_failures_and_has_no_drift() -> None:
    current = RunView(run("r1"), list(BASE_FACTS), [obs("http.csp", ObservationStatus.FAIL, "r1")])
    result = compute_drift(None, current, POLICY)
    assert (result.items, result.new_failures, result.baseline_run_id) == ([], 1, None)
    assert result.has_news


def test_fingerprint_is_stable_and_distinct() -> None:
    opened = only(diff([ports(8443, 8444), tls(), http()]), DriftKind.OPEN_PORT)[0]
    closed_later = compute_drift(
        RunView(run("r2"), [ports(8443, 8444)]), RunView(run("r3"), [ports(8443)]), POLICY
    ).items[0]
    assert opened.fingerprint == closed_later.fingerprint
    assert opened.fingerprint == drift_fingerprint("svc", DriftKind.OPEN_PORT, "localhost", "127.0.0.1 tcp/8444")
    expected = hashlib.sha256(b"svc\x1fopen_port\x1flocalhost\x1f127.0.0.1 tcp/8444").hexdigest()
    assert opened.fingerprint == expected
    other = drift_fingerprint("other-svc", DriftKind.OPEN_PORT, "localhost", "127.0.0.1 tcp/8444")
    assert other != opened.fingerprint


def test_comparable_needs_same_profile_and_scope_targets() -> None:
    assert comparable(run("a"), run("b"))
    assert not comparable(run("a"), run("b", profile="deep"))
    moved = {"authorized_by": "課長", "targets": [{"host": "localhost", "ports": [9443]}]}
    assert not comparable(run("a"), run("b", scope=moved))
    renewed = {"authorized_by": "部長", "targets": SCOPE["targets"]}
    assert comparable(run("a"), run("b", scope=renewed))


def test_parse_facts_round_trips_store_rows() -> None:
    rows = [(f.kind, f.target, f.model_dump(mode="json")) for f in BASE_FACTS] + [("ports", "x", {"bogus": 1})]
    assert parse_facts(rows) == BASE_FACTS


def _check(check_id: str, assertion: str, parameters: dict[str, Any]) -> Check:
    title = {"ja": "t", "en": "t"}
    return Check.model_validate(
        {
            "id": check_id,
            "probe": "http",
            "title": title,
            "severity": "low",
            "assertion": assertion,
            "parameters": parameters,
        }
    )


def test_drift_follows_the_headers_the_checks_require() -> None:
    before = RunView(run("r1"), [http(headers={"X-Guard": ["on"], "X-Frame-Options": ["DENY"]})])
    after = RunView(run("r2"), [http(headers={})])
    guard = DriftPolicy([_check("http.guard", "header_present", {"header": "X-Guard"})], 30)
    assert [(i.kind, i.key, i.message) for i in compute_drift(before, after, guard).items] == [
        (DriftKind.HEADER_MISSING, "x-guard", "X-Guard is no longer sent by https://localhost:8443/")
    ]
    assert [i.key for i in compute_drift(before, after, POLICY).items] == ["x-frame-options"]


def test_a_weaker_value_is_one_the_check_no_longer_passes() -> None:
    before = RunView(run("r1"), [http(headers={"X-Frame-Options": ["DENY"]})])
    after = RunView(run("r2"), [http(headers={"X-Frame-Options": ["SAMEORIGIN"]})])
    [shipped] = compute_drift(before, after, POLICY).items  # frame_protection accepts both: no rule tells
    assert shipped.after == {"value": "SAMEORIGIN", "weakened": None} and "X-Frame-Options changed" in shipped.message
    deny = DriftPolicy([_check("http.deny", "header_equals", {"header": "X-Frame-Options", "value": "DENY"})], 30)
    [stricter] = compute_drift(before, after, deny).items
    assert stricter.after == {"value": "SAMEORIGIN", "weakened": True} and "weakened" in stricter.message


def test_changing_the_judges_data_changes_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.scan.judges import http as http_judges

    weaker = [
        ports(8443),
        tls(),
        http(headers={"Strict-Transport-Security": ["max-age=300"], "X-Frame-Options": ["DENY"]}),
    ]
    [item] = diff(weaker).items
    assert (item.key, item.after) == ("strict-transport-security", {"value": "max-age=300", "weakened": True})
    monkeypatch.setitem(http_judges.REQUIRED_HEADERS, "hsts_min_age", lambda _params: ())
    assert diff(weaker).items == []


def test_the_shipped_checks_require_the_six_security_headers() -> None:
    from secaudit.scan.judges import headers_required_by, validate_checks

    checks = [c for c in POLICY.checks if c.probe.value == "http"]
    assert [h.name for h in headers_required_by(checks, validate_checks(checks))] == [
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Permissions-Policy",
    ]
