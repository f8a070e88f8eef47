"""The shared metadata, the core tables, and what a migration is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Column, Integer, MetaData, Select, String, Subquery, Table, Text, func, select

if TYPE_CHECKING:
    from secaudit.store.db import Store

T = TypeVar("T")

metadata = MetaData()


def newest_ids(table: Table, service_ids: Sequence[str], *keys: str) -> Subquery:
    """The id of the newest row per service and ``keys``: versioned rows are never overwritten.

    ``service_ids`` goes into one ``IN (...)`` list: callers pass at most a few hundred.
    """
    return (
        select(func.max(table.c.id).label("id"))
        .where(table.c.service_id.in_(list(service_ids)))
        .group_by(table.c.service_id, *(table.c[k] for k in keys))
        .subquery()
    )


def in_force(
    store: Store,
    table: Table,
    service_ids: Sequence[str],
    keys: Sequence[str],
    convert: Callable[[Any], T],
    query: Select[Any] | None = None,
) -> dict[str, dict[Any, T]]:
    """The newest row per key of several services, converted, by service then key (a tuple for several keys).

    ``query`` selects from ``table`` (with any joins it needs); by default the whole table.
    """
    latest = newest_ids(table, service_ids, *keys)
    rows = (query if query is not None else select(table)).join(latest, latest.c.id == table.c.id)
    found: dict[str, dict[Any, T]] = {}
    with store.read() as conn:
        for row in conn.execute(rows).mappings():
            key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
            found.setdefault(row["service_id"], {})[key] = convert(row)
    return found


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(80), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
