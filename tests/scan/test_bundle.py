"""The bundle format alone: sealed by a sensor's key, opened only with the key trusted for that sensor."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from secaudit.scan import bundle as b


def _payload(**extra: object) -> dict[str, object]:
    return {
        "sensor": "s1",
        "created_at": "2026-12-01T00:00:00+00:00",
        "service": {"id": "svc"},
        "run": {},
        "observations": [],
        "facts": [],
        "nmap_xml": [],
        **extra,
    }


def _keys() -> tuple[bytes, bytes]:
    pem = b.new_private_key()
    return pem, b.parse_public_key(b.public_key_text(pem))


def test_a_sealed_bundle_opens_with_its_key_and_only_with_it() -> None:
    pem, public = _keys()
    _, other = _keys()
    sealed = b.seal(_payload(), "s1", pem)
    opened = b.open_bundle(sealed, "f", {"s1": public}.get)
    assert opened.sensor == "s1" and opened.payload["service"] == {"id": "svc"}
    with pytest.raises(b.BundleError, match="signature does not match"):
        b.open_bundle(sealed, "f", {"s1": other}.get)
    with pytest.raises(b.BundleError, match="not trusted here"):
        b.open_bundle(sealed, "f", {}.get)


def test_a_payload_naming_another_sensor_or_missing_parts_is_refused_even_when_signed() -> None:
    pem, public = _keys()
    with pytest.raises(b.BundleError, match="not a bundle of sensor 's1'"):
        b.open_bundle(b.seal(_payload(sensor="s2"), "s1", pem), "f", {"s1": public}.get)
    with pytest.raises(b.BundleError, match="no valid 'observations'"):
        b.open_bundle(b.seal(_payload(observations="x"), "s1", pem), "f", {"s1": public}.get)
    with pytest.raises(b.BundleError, match="more than"):
        many = _payload(facts=[["p", "t", {}]] * (b.MAX_ITEMS + 1))
        b.open_bundle(b.seal(many, "s1", pem), "f", {"s1": public}.get)


def test_freshness_is_judged_against_now() -> None:
    pem, public = _keys()
    opened = b.open_bundle(b.seal(_payload(), "s1", pem), "f", {"s1": public}.get)
    made = opened.created_at
    b.check_fresh(opened, "f", made + b.MAX_AGE)
    with pytest.raises(b.BundleError, match="older than 7 days"):
        b.check_fresh(opened, "f", made + b.MAX_AGE + dt.timedelta(seconds=1))
    with pytest.raises(b.BundleError, match="in the future"):
        b.check_fresh(opened, "f", made - b.CLOCK_SKEW - dt.timedelta(seconds=1))


def test_oversized_and_malformed_files_are_refused_before_any_key_is_asked() -> None:
    asked: list[str] = []

    def key(name: str) -> bytes | None:
        asked.append(name)
        return None

    with pytest.raises(b.BundleError, match="larger than 64 MiB"):
        b.open_bundle(b"{" + b" " * b.MAX_BUNDLE_BYTES, "f", key)
    with pytest.raises(b.BundleError, match="unreadable JSON"):
        b.open_bundle(b"\xff\xfe", "f", key)
    with pytest.raises(b.BundleError, match="format secaudit-bundle/1"):
        b.open_bundle(json.dumps({"format": "x"}).encode(), "f", key)
    assert asked == []


def test_public_keys_are_ed25519_and_43_characters_of_base64url() -> None:
    pem, raw = _keys()
    text = b.public_key_text(pem)
    assert text.startswith("ed25519:") and len(text) == 8 + 43
    assert base64.urlsafe_b64decode(text.removeprefix("ed25519:") + "=") == raw
    assert b.parse_public_key(text.removeprefix("ed25519:")) == raw  # a key trusted before the prefix still reads
    # base64url may start with '-': the prefix keeps such a key from being read as a command-line option
    dashed = b.key_text(bytes([0xF8]) + bytes(31))
    assert dashed.startswith("ed25519:-") and b.parse_public_key(dashed) == bytes([0xF8]) + bytes(31)
    for bad in ("", "short", "A" * 44, "!" * 43):
        with pytest.raises(b.BundleError, match="is not a sensor's public key"):
            b.parse_public_key(bad)
