"""Sensors the central workspace trusts: a name, an Ed25519 public key, and the zones it may scan."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Column, String, Table, Text, select

from secaudit import clock
from secaudit.store import audit_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata

sensors = Table(
    "sensors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("zones", Text, nullable=False),  # JSON list
    Column("trusted_at", String(40), nullable=False),
    Column("trusted_by", String(200), nullable=False),
)


@dataclass(frozen=True)
class TrustedSensor:
    """A sensor whose bundles are accepted for its zones."""

    name: str
    public_key: str
    zones: tuple[str, ...]


def trust_sensor(store: Store, sensor: TrustedSensor, actor: str) -> None:
    """Trust a sensor (replacing its key and zones when it is trusted already) and log it."""
    with store.write() as conn:
        known = conn.execute(select(sensors.c.name).where(sensors.c.name == sensor.name)).first()
        values = {
            "public_key": sensor.public_key,
            "zones": json.dumps(list(sensor.zones)),
            "trusted_at": clock.now().isoformat(),
            "trusted_by": actor,
        }
        if known is None:
            conn.execute(sensors.insert().values(name=sensor.name, **values))
        else:
            conn.execute(sensors.update().where(sensors.c.name == sensor.name).values(**values))
        audit_log.append(
            conn,
            actor,
            "sensor.trust",
            sensor.name,
            {"public_key": sensor.public_key, "zones": list(sensor.zones), "replaced": known is not None},
        )


def trusted_sensors(store: Store) -> dict[str, TrustedSensor]:
    """Every trusted sensor, by name."""
    with store.read() as conn:
        rows = conn.execute(select(sensors).order_by(sensors.c.name)).mappings()
        return {r["name"]: TrustedSensor(r["name"], r["public_key"], tuple(json.loads(r["zones"]))) for r in rows}
