"""Sensors in separated zones: their keys, the bundles they write, and importing a bundle centrally.

A sensor is a secaudit workspace inside a zone that cannot reach the central database or broker
(the My Number or LGWAN tier). It scans its services as usual and writes each run into a signed
bundle; an officer carries the file across, and the central workspace imports it only after
checking the signature against the key it trusts for that sensor, the sensor's zones, the service's
scope and authorisation at scan time, and the bundle's age. Nothing of a refused bundle is stored.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from secaudit import __version__, clock

if TYPE_CHECKING:
    from secaudit.model import ScanRun, Service
    from secaudit.pipeline.session import Session
    from secaudit.store.sensors import TrustedSensor

SENSOR_KEY = "sensor.key"
SENSOR_NAME = "sensor.name"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class ImportedBundle:
    """A bundle's run, stored as an ordinary run marked with its sensor."""

    run: ScanRun
    sensor: str
    observations: int
    sha256: str
    changes: int | None = None
    """Drift against the service's previous comparable run (None when the run did not complete)."""


def _bundle_error(message: str) -> Exception:
    from secaudit.scan.bundle import BundleError

    return BundleError(message)


def keygen(session: Session, name: str) -> str:
    """Make this workspace a sensor named ``name``: a new Ed25519 key (0600); the public key to trust centrally."""
    from secaudit.scan.bundle import new_private_key, public_key_text

    if not _NAME.match(name):
        raise _bundle_error(f"--name: {name!r} must be 2-64 of a-z, 0-9, '.', '_', '-'")
    folder = session.workspace().ensure_data_dir()
    pem = new_private_key()
    try:
        fd = os.open(folder / SENSOR_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise _bundle_error(
            f"{folder / SENSOR_KEY} exists: this workspace is a sensor already "
            "(a second key would orphan the one the centre trusts)"
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    (folder / SENSOR_NAME).write_text(name + "\n", encoding="utf-8")
    return public_key_text(pem)


def sensor_identity(session: Session) -> tuple[str, bytes]:
    """This sensor's name and private key; BundleError when ``sensor keygen`` was not run here."""
    folder = session.workspace().data_dir
    try:
        return (folder / SENSOR_NAME).read_text(encoding="utf-8").strip(), (folder / SENSOR_KEY).read_bytes()
    except OSError:
        message = "this workspace has no sensor key: run 'secaudit sensor keygen --name NAME' first"
        raise _bundle_error(message) from None


def write_bundle(session: Session, run_id: str, path: Path) -> Path:
    """Write the stored run ``run_id`` with its observations, facts and nmap XML into a signed bundle at ``path``."""
    from secaudit.atomic import PRIVATE_FILE, atomic_write_bytes
    from secaudit.scan.bundle import FORMAT, seal
    from secaudit.store.scans import facts_of, get_run, nmap_xml_of, observations_of

    name, key = sensor_identity(session)
    store = session.store()
    run = get_run(store, run_id)
    if run is None:
        raise _bundle_error(f"no scan run {run_id!r}")
    service = session.service(run.service_id)
    service_file = session.workspace().services_dir / f"{service.id}.yaml"
    payload: dict[str, Any] = {
        "format": FORMAT,
        "sensor": name,
        "created_at": clock.now().isoformat(),
        "secaudit_version": __version__,
        "service": {
            "id": service.id,
            "zone": service.zone,
            "file_sha256": hashlib.sha256(service_file.read_bytes()).hexdigest(),
        },
        "run": run.model_dump(mode="json"),
        "observations": [o.model_dump(mode="json") for o in observations_of(store, run.id)],
        "facts": [[probe, target, data] for probe, target, data in facts_of(store, run.id)],
        "nmap_xml": [[addresses, xml] for addresses, xml, _ in nmap_xml_of(store, run.id)],
    }
    atomic_write_bytes(path, seal(payload, name, key), PRIVATE_FILE)
    return path


def trust(session: Session, name: str, public_key: str, zones: list[str], actor: str) -> TrustedSensor:
    """Trust a sensor's key for ``zones`` (replacing what was trusted under that name)."""
    from secaudit.scan.bundle import parse_public_key
    from secaudit.store.sensors import TrustedSensor, trust_sensor

    if not _NAME.match(name):
        raise _bundle_error(f"NAME: {name!r} must be 2-64 of a-z, 0-9, '.', '_', '-'")
    parse_public_key(public_key)
    chosen = tuple(dict.fromkeys(z.strip() for z in zones if z.strip()))
    if not chosen or not all(_NAME.match(z) for z in chosen):
        raise _bundle_error("--zone: name at least one zone (internet, lgwan, mynumber or the city's own)")
    sensor = TrustedSensor(name, public_key.strip(), chosen)
    trust_sensor(session.store(), sensor, actor)
    return sensor


def list_sensors(session: Session) -> list[TrustedSensor]:
    """The sensors this workspace trusts."""
    from secaudit.store.sensors import trusted_sensors

    return list(trusted_sensors(session.store()).values())


def import_bundle(session: Session, path: Path, actor: str) -> ImportedBundle:
    """Check a bundle completely, then store its run as an ordinary run marked with its sensor (or nothing)."""
    from pydantic import ValidationError

    from secaudit.model import Observation, ScanRun
    from secaudit.scan.bundle import MAX_BUNDLE_BYTES, check_fresh, open_bundle, parse_public_key
    from secaudit.store.scans import insert_complete_run
    from secaudit.store.sensors import trusted_sensors

    file = path.name
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise _bundle_error(f"{file}: the bundle is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise _bundle_error(f"{path}: cannot read the bundle ({exc.strerror})") from None
    store = session.store()
    known = trusted_sensors(store)

    def key_of(name: str) -> bytes | None:
        sensor = known.get(name)
        return parse_public_key(sensor.public_key) if sensor else None

    bundle = open_bundle(data, file, key_of)
    check_fresh(bundle, file, clock.now())
    sensor = known[bundle.sensor]
    payload = bundle.payload
    service_id = str(payload["service"].get("id", ""))
    service = session.service(service_id)
    if service.zone not in sensor.zones:
        raise _bundle_error(
            f"{file}: sensor {sensor.name!r} is trusted for {', '.join(sensor.zones)}, not for zone "
            f"{service.zone!r} of {service.id}"
        )
    try:
        run = ScanRun.model_validate(payload["run"])
        items = [Observation.model_validate(o) for o in payload["observations"]]
    except ValidationError as exc:
        raise _bundle_error(f"{file}: the run in the bundle is not valid ({exc.error_count()} problem(s))") from None
    facts = _facts(payload["facts"], file)
    outputs = _nmap(payload["nmap_xml"], file)
    if run.service_id != service.id or any(o.service_id != service.id or o.run_id != run.id for o in items):
        raise _bundle_error(f"{file}: the run and its observations are not all for {service.id}")
    _check_scope(service, run, [o.target for o in items] + [target for _, target, _ in facts], file)
    marked = run.model_copy(update={"sensor": sensor.name})
    details = {"sensor": sensor.name, "bundle_sha256": bundle.sha256, "file": file, "observations": len(items)}
    if not insert_complete_run(store, marked, items, facts, outputs, actor, details):
        raise _bundle_error(f"{file}: run {run.id} is stored already (a bundle is imported once)")
    return ImportedBundle(
        marked,
        sensor.name,
        len(items),
        bundle.sha256,
        record_drift(session, marked, items, facts, f"sensor:{sensor.name}"),
    )


def record_drift(
    session: Session, run: ScanRun, items: list[Any], facts: list[tuple[str, str, dict[str, Any]]], actor: str
) -> int | None:
    """Compare a run made elsewhere (a sensor's bundle, an outside tool's file) with the service's previous
    comparable run, as a scheduled scan does, and record the comparison; the changes found."""
    from secaudit.model import RunStatus
    from secaudit.scan.probes.base import DriftPolicy
    from secaudit.schedule.batch import find_baseline
    from secaudit.schedule.drift import RunView, compute_drift, parse_facts
    from secaudit.store.drift import Comparison, record_comparison

    if run.status is not RunStatus.COMPLETED:
        return None
    store = session.store()
    policy = DriftPolicy(
        list(session.catalog().checks.values()), session.workspace().config.scan.cert_expiry_warning_days
    )
    now = clock.now()
    result = compute_drift(find_baseline(store, run), RunView(run, parse_facts(facts), items), policy, now)
    comparison = Comparison(run.id, run.service_id, result.baseline_run_id, now, result.new_failures, result.items)
    record_comparison(store, comparison, actor=actor)
    return len(result.items)


def _facts(raw: list[Any], file: str) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], dict)):
            raise _bundle_error(f"{file}: the payload's facts are not (probe, target, facts)")
        found.append((str(entry[0])[:20], str(entry[1])[:2048], entry[2]))
    return found


def _nmap(raw: list[Any], file: str) -> list[tuple[str, bytes]]:
    found = []
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str)):
            raise _bundle_error(f"{file}: the payload's nmap XML is not (addresses, xml)")
        found.append((str(entry[0]), entry[1].encode("utf-8")))
    return found


def _check_scope(service: Service, run: ScanRun, targets: list[str], file: str) -> None:
    """The run was made within the service's scope as the centre declares it, while it was authorised."""
    scope = service.scope
    if scope is None:
        raise _bundle_error(f"{file}: {service.id} declares no scan scope here; nothing may be imported for it")
    if run.started_at.date() > scope.authorized_until:
        raise _bundle_error(
            f"{file}: the scan ran on {run.started_at.date()}, after {service.id}'s authorisation ended "
            f"({scope.authorized_until})"
        )
    declared = {t.label: t for t in scope.targets}
    outside: list[str] = []
    for entry in run.scope.get("targets", []):
        target = declared.get(str(entry.get("target")))
        if target is None:
            outside.append(str(entry.get("target")))
        elif target.addresses and not {str(a) for a in entry.get("addresses", [])} <= set(map(str, target.addresses)):
            outside.append(f"{target.label} at {', '.join(map(str, entry.get('addresses', [])))}")
    hosts = {t.hostname.lower() for t in scope.targets}
    outside.extend(t for t in dict.fromkeys(targets) if t not in declared and _host_of(t) not in hosts)
    if outside:
        shown = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        raise _bundle_error(f"{file}: outside {service.id}'s declared scope: {shown}")


def _host_of(target: str) -> str:
    if "://" in target:
        return (urlsplit(target).hostname or "").lower()
    host = target.split("/", 1)[0]
    if host.startswith("["):
        return host[1:].split("]", 1)[0].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
