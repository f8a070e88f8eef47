"""The schema's steps, in order, and the one list of their names; Alembic applies them.

Each step is named and applied in order, forward only, as an Alembic revision of
the same name (``schema_versions/versions/``; the version table is Alembic's
``alembic_version``). Each area of the store declares its tables in its own module;
this list says when they arrived, naming tables by name. A database whose revision
this code does not know was written by a newer secaudit and is refused rather than
guessed at. A database made before Alembic (its steps listed in
``schema_migrations`` only) is stamped at the last step it had in order, and the
rest applied: every step is written to be safe on a database that has it already.
Each step is still listed in ``schema_migrations`` too, so that a secaudit from
before Alembic refuses a newer database instead of writing to it.

This module imports neither SQLAlchemy nor Alembic at load, so the scheduler's
read-only look (``secaudit.store.readonly``) checks the schema against this same list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Migration:
    """A forward-only schema change: tables to create (by name), statements to run, then a function."""

    name: str
    tables: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    run: Callable[[Connection], None] | None = field(default=None, compare=False)

    def apply(self, conn: Connection) -> None:
        """Create the tables, run the statements and the function, in that order."""
        known = _tables()
        for name in self.tables:
            known[name].create(conn, checkfirst=True)
        for statement in self.statements:
            conn.exec_driver_sql(statement)
        if self.run is not None:
            self.run(conn)


def _tables() -> dict[str, Table]:
    """Every table of the store, by name (each store module declares its own on the shared metadata)."""
    from secaudit.store import (  # noqa: F401
        answers,
        dashboard_cache,
        drafts,
        drift,
        evidence,
        outbox,
        portal,
        reviews,
        risks,
        scans,
        sensors,
    )
    from secaudit.store.schema import metadata

    return dict(metadata.tables)


def _columns(conn: Connection, table: str) -> set[str]:
    from sqlalchemy import inspect

    return {c["name"] for c in inspect(conn).get_columns(table)}


def _add_column(conn: Connection, table: str, name: str, kind: str) -> None:
    """Add a column (``kind``: ``text`` or ``varchar(N)``) to a table made before it existed, through
    Alembic's batch mode (on SQLite it copies and moves the table when ALTER cannot do the change);
    a new database has it already, from its table's own step."""
    if name in _columns(conn, table):
        return
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import Column, String, Text

    column_type = Text() if kind == "text" else String(int(kind.removeprefix("varchar(").removesuffix(")")))
    with Operations(MigrationContext.configure(conn)).batch_alter_table(table) as batch:
        batch.add_column(Column(name, column_type))


def _append_only(conn: Connection) -> None:
    """The database itself refuses to change or delete an audit-log row, in each dialect's own words."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        for event in ("UPDATE", "DELETE"):
            name = f"audit_log_no_{event.lower()}"
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON audit_log")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE {event} ON audit_log FOR EACH ROW "
                "EXECUTE FUNCTION audit_log_append_only()"
            )
        return
    for event in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def _outbox_repeat_key(conn: Connection) -> None:
    _add_column(conn, "notification_outbox", "repeat_key", "varchar(64)")
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_outbox_repeat ON notification_outbox (service_id, repeat_key, created_at)"
    )


def _outbox_gave_up(conn: Connection) -> None:
    _add_column(conn, "notification_outbox", "gave_up_at", "varchar(40)")


def _risk_weakness(conn: Connection) -> None:
    """Remember the weakness a risk was last rated on (a database made before 0062 lacks the column)."""
    _add_column(conn, "risk_lifecycle", "last_weakness", "varchar(10)")


def _evidence_ja(conn: Connection) -> None:
    """Keep each observation's evidence in Japanese too (a database made before 0063 lacks the column)."""
    _add_column(conn, "observations", "evidence_ja", "text")


def _run_sensor(conn: Connection) -> None:
    """Mark runs brought in by a sensor's bundle (a database made before 0072 lacks the column)."""
    _add_column(conn, "scan_runs", "sensor", "varchar(64)")


MIGRATIONS: list[Migration] = [
    Migration("0001_core", tables=("schema_migrations", "audit_log"), run=_append_only),
    Migration("0002_answers", tables=("questionnaires", "answer_sets", "answers")),
    Migration("0003_scans", tables=("scan_runs", "scan_facts", "observations")),
    Migration("0010_nmap_archive", tables=("nmap_archive",)),
    Migration("0020_answer_drafts", tables=("answer_drafts",)),
    Migration("0030_reviews", tables=("reviews",)),
    Migration("0031_risks", tables=("risk_treatments", "risk_lifecycle")),
    Migration(
        "0040_drift",
        tables=("drift_comparisons", "drift_items", "notification_outbox"),
    ),
    Migration("0050_dashboard_cache", tables=("dashboard_rows",)),
    Migration("0060_outbox_repeat_key", run=_outbox_repeat_key),
    Migration("0061_outbox_gave_up", run=_outbox_gave_up),
    Migration("0062_risk_weakness", run=_risk_weakness),
    Migration("0063_evidence_ja", run=_evidence_ja),
    Migration(
        "0070_portal",
        tables=("portal_invitations", "portal_users", "portal_sessions", "portal_failures", "portal_returns"),
    ),
    Migration("0071_evidence_files", tables=("evidence_files",)),
    Migration("0072_sensors", tables=("sensors",), run=_run_sensor),
]

MIGRATION_NAMES: tuple[str, ...] = tuple(m.name for m in MIGRATIONS)
"""What a current database has applied, exactly, in order."""

HEAD = MIGRATION_NAMES[-1]
"""The revision a current database is at."""

VERSION_TABLE = "alembic_version"
REVISION_QUERY = "SELECT version_num FROM alembic_version"
"""The one question both readers ask of the version table (SQLAlchemy's and ``readonly``'s sqlite3)."""
SCRIPT_LOCATION = Path(__file__).resolve().parent / "schema_versions"


def apply_revision(name: str) -> None:
    """Apply the step ``name`` on Alembic's connection (called by its revision file) and list it in
    ``schema_migrations`` as well, for secaudit versions from before Alembic."""
    from alembic import op
    from sqlalchemy import select

    from secaudit import clock
    from secaudit.store.schema import schema_migrations

    conn = op.get_bind()
    [migration] = [m for m in MIGRATIONS if m.name == name]
    migration.apply(conn)
    if conn.execute(select(schema_migrations.c.name).where(schema_migrations.c.name == name)).first() is None:
        conn.execute(schema_migrations.insert().values(name=name, applied_at=clock.now().isoformat()))


def current_revision(conn: Connection) -> str | None:
    """The Alembic revision the database is at; None for a new database or one from before Alembic."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(conn: Connection) -> list[str]:
    """Bring the database on ``conn`` to ``HEAD`` inside its transaction; the steps applied now, in order.

    StoreError when the database is at a revision this code does not know (a newer secaudit wrote it)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, select

    from secaudit.errors import StoreError
    from secaudit.store.schema import schema_migrations

    current = current_revision(conn)
    legacy: set[str] = set()
    if current is None and inspect(conn).has_table(schema_migrations.name):
        legacy = {row[0] for row in conn.execute(select(schema_migrations.c.name))}
    unknown = sorted(({current} if current else set()) - set(MIGRATION_NAMES) | legacy - set(MIGRATION_NAMES))
    if unknown:
        raise StoreError(f"the database was written by a newer secaudit (unknown migrations: {', '.join(unknown)})")
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["connection"] = conn
    if current is None:
        prefix = 0
        while prefix < len(MIGRATION_NAMES) and MIGRATION_NAMES[prefix] in legacy:
            prefix += 1
        if prefix:
            command.stamp(config, MIGRATION_NAMES[prefix - 1])
        pending = MIGRATION_NAMES[prefix:]
    else:
        pending = MIGRATION_NAMES[MIGRATION_NAMES.index(current) + 1 :]
    if pending:
        command.upgrade(config, HEAD)
    return [name for name in pending if name not in legacy]
