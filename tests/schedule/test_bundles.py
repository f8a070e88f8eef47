"""Signed result bundles: a sensor in a separated zone scans, an officer carries the file, the centre imports it
only when every check holds, and stores nothing otherwise."""

from __future__ import annotations

import base64
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from secaudit import clock
from secaudit.store import open_store
from secaudit.store.scans import runs_of
from tests.conftest import run_cli

SERVICE = "loop-portal"


@dataclass
class Zones:
    """A sensor workspace that scanned the loopback service into a bundle, and a central workspace."""

    sensor: Path
    central: Path
    bundle: Path
    public_key: str


def _runs(root: Path) -> list[object]:
    store = open_store(f"sqlite:///{root / '.secaudit' / 'secaudit.db'}")
    try:
        return runs_of(store, SERVICE)
    finally:
        store.close()


@pytest.fixture
def zones(loop_workspace: Path, tmp_path: Path) -> Zones:
    central = tmp_path / "central"
    shutil.copytree(loop_workspace, central)
    made = run_cli(["sensor", "keygen", "--name", "net-sensor-1"], loop_workspace)
    assert made.exit_code == 0, made.stderr
    public_key = made.stdout.strip()
    bundle = tmp_path / "carry" / "run.bundle"
    scanned = run_cli(["scan", SERVICE, "--profile", "quick", "--bundle", str(bundle)], loop_workspace)
    assert scanned.exit_code in (0, 1), scanned.stderr
    assert "bundle written" in scanned.stderr
    return Zones(loop_workspace, central, bundle, public_key)


def _trust(zones: Zones, *zone: str, key: str | None = None) -> None:
    args = ["sensor", "trust", "net-sensor-1", key or zones.public_key]
    for z in zone:
        args += ["--zone", z]
    done = run_cli(args, zones.central)
    assert done.exit_code == 0, done.stderr


def test_a_trusted_sensors_bundle_is_imported_as_an_ordinary_run_marked_with_its_sensor(zones: Zones) -> None:
    _trust(zones, "internet")
    done = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert done.exit_code == 0, done.stderr
    assert "from sensor net-sensor-1" in done.stderr
    [sensor_run] = _runs(zones.sensor)
    [central_run] = _runs(zones.central)
    assert central_run.id == sensor_run.id and central_run.sensor == "net-sensor-1"
    assert "change(s) since the previous run" in done.stderr
    store = open_store(f"sqlite:///{zones.central / '.secaudit' / 'secaudit.db'}")
    try:
        from secaudit.store.drift import comparison_of

        assert comparison_of(store, central_run.id)  # compared like a scheduled run: the first is the baseline
    finally:
        store.close()
    assert central_run.status == sensor_run.status
    gate = run_cli(["gate", SERVICE, "--format", "json"], zones.central)
    assert gate.exit_code in (0, 1), gate.stderr
    assert "no scan" not in gate.stdout.lower()
    verified = run_cli(["log", "verify"], zones.central)
    assert verified.exit_code == 0
    actions = json.loads(run_cli(["log", "show", "--format", "json"], zones.central).stdout)
    assert any(e["action"] == "scan.import_bundle" and e["details"]["sensor"] == "net-sensor-1" for e in actions)
    again = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert again.exit_code == 2 and "imported once" in again.stderr
    assert len(_runs(zones.central)) == 1


def test_a_bundle_with_one_byte_changed_is_refused_and_nothing_is_stored(zones: Zones) -> None:
    _trust(zones, "internet")
    document = json.loads(zones.bundle.read_text())
    body = bytearray(base64.b64decode(document["payload"]))
    position = body.index(b'"status":"')
    body[position + 10] = ord("x") if body[position + 10] != ord("x") else ord("y")
    document["payload"] = base64.b64encode(bytes(body)).decode()
    tampered = zones.bundle.with_name("tampered.bundle")
    tampered.write_text(json.dumps(document))
    done = run_cli(["scan", "import-bundle", str(tampered)], zones.central)
    assert done.exit_code == 2
    assert "tampered.bundle: the signature does not match sensor 'net-sensor-1'" in done.stderr
    flipped = bytearray(zones.bundle.read_bytes())
    flipped[len(flipped) // 2] ^= 0x01
    raw = zones.bundle.with_name("flipped.bundle")
    raw.write_bytes(bytes(flipped))
    assert run_cli(["scan", "import-bundle", str(raw)], zones.central).exit_code == 2
    assert _runs(zones.central) == []


def test_an_untrusted_or_unsigned_bundle_is_refused(zones: Zones, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(zones.central, other)
    stranger = run_cli(["sensor", "keygen", "--name", "net-sensor-1"], other).stdout.strip()
    _trust(zones, "internet", key=stranger)  # the name is trusted, but with another key
    done = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert done.exit_code == 2 and "signature does not match" in done.stderr
    document = json.loads(zones.bundle.read_text())
    document["signature"] = ""
    unsigned = zones.bundle.with_name("unsigned.bundle")
    unsigned.write_text(json.dumps(document))
    assert "is not signed" in run_cli(["scan", "import-bundle", str(unsigned)], zones.central).stderr
    nobody = json.loads(zones.bundle.read_text())
    nobody["sensor"] = "unknown-sensor"
    unknown = zones.bundle.with_name("unknown.bundle")
    unknown.write_text(json.dumps(nobody))
    assert "is not trusted here" in run_cli(["scan", "import-bundle", str(unknown)], zones.central).stderr
    assert _runs(zones.central) == []


def test_a_sensor_trusted_for_another_zone_is_refused(zones: Zones) -> None:
    _trust(zones, "lgwan", "mynumber")
    done = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert done.exit_code == 2
    assert "trusted for lgwan, mynumber, not for zone 'internet' of loop-portal" in done.stderr
    assert _runs(zones.central) == []


def test_a_run_outside_the_central_scope_or_authorisation_is_refused(zones: Zones) -> None:
    _trust(zones, "internet")
    service = zones.central / "services" / f"{SERVICE}.yaml"
    original = service.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("    - url:"))
    service.write_text("".join(lines[:at] + lines[at + 2 :]), encoding="utf-8")  # the URL target is no longer declared
    done = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert done.exit_code == 2 and "outside loop-portal's declared scope" in done.stderr
    ended = original.replace("authorized_until: 2099-12-31", "authorized_until: 2001-01-01")
    service.write_text(ended, encoding="utf-8")
    late = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert late.exit_code == 2 and "after loop-portal's authorisation ended (2001-01-01)" in late.stderr
    assert _runs(zones.central) == []


def test_a_stale_bundle_is_refused(zones: Zones, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    _trust(zones, "internet")
    monkeypatch.setenv(clock.NOW_ENV, (clock.now() + dt.timedelta(days=8)).isoformat())
    done = run_cli(["scan", "import-bundle", str(zones.bundle)], zones.central)
    assert done.exit_code == 2 and "older than 7 days" in done.stderr
    assert _runs(zones.central) == []


def test_a_workspace_that_is_no_sensor_cannot_write_a_bundle_and_garbage_is_no_bundle(
    loop_workspace: Path, tmp_path: Path
) -> None:
    refused = run_cli(["scan", SERVICE, "--bundle", str(tmp_path / "b.bundle")], loop_workspace)
    assert refused.exit_code == 2 and "sensor keygen" in refused.stderr
    assert _runs(loop_workspace) == []  # refused before it scanned
    for name, content in (("empty.bundle", b""), ("deep.bundle", b"[" * 100_000), ("other.bundle", b'{"a": 1}')):
        path = tmp_path / name
        path.write_bytes(content)
        done = run_cli(["scan", "import-bundle", str(path)], loop_workspace)
        assert done.exit_code == 2 and f"{name}: not a secaudit result bundle" in done.stderr


def test_a_bad_public_key_or_zone_is_refused_when_trusting(loop_workspace: Path) -> None:
    bad = run_cli(["sensor", "trust", "s1", "not-a-key", "--zone", "internet"], loop_workspace)
    assert bad.exit_code == 2 and "is not a sensor's public key" in bad.stderr
    key = base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")
    zone = run_cli(["sensor", "trust", "s1", key, "--zone", "Internet Zone"], loop_workspace)
    assert zone.exit_code == 2 and "--zone" in zone.stderr
    listed = run_cli(["sensor", "list", "--format", "json"], loop_workspace)
    assert json.loads(listed.stdout) == []


def test_a_public_key_whose_base64_starts_with_a_dash_is_trusted_from_the_command_line(loop_workspace: Path) -> None:
    from secaudit.scan.bundle import key_text

    dashed = key_text(bytes([0xF8]) + bytes(31))  # base64url "-A...": read as an option without the prefix
    done = run_cli(["sensor", "trust", "s1", dashed, "--zone", "internet"], loop_workspace)
    assert done.exit_code == 0, done.stderr
    [trusted] = json.loads(run_cli(["sensor", "list", "--format", "json"], loop_workspace).stdout)
    assert trusted["public_key"] == dashed
