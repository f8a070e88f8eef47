"""Moving a workspace's database to another one (SQLite to a shared PostgreSQL): every table, every row.

The target must be empty. It is migrated to the current schema, the rows are copied table by table
in dependency order in one transaction, PostgreSQL's id sequences are moved past the copied ids,
and the audit log's hash chain is verified on the target before anyone uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Integer, Table, func, select

from secaudit.errors import InputError, Problem
from secaudit.store.audit_log import verify_log
from secaudit.store.db import Store
from secaudit.store.schema import metadata, schema_migrations

BATCH_ROWS = 1000


@dataclass(frozen=True)
class CopyOutcome:
    """What was copied, and the audit log's check on the target."""

    rows: dict[str, int]
    log_entries: int
    problems: list[Problem]


def _tables() -> list[Table]:
    from secaudit.store.migrations import _tables as every_table

    every_table()  # every store module's tables are declared on the shared metadata
    return [t for t in metadata.sorted_tables if t.name != schema_migrations.name]


def copy_database(source: Store, target: Store, progress: Callable[[str, int], None] | None = None) -> CopyOutcome:
    """Copy every row of ``source`` into the empty, just-migrated ``target``; verify the audit log there."""
    tables = _tables()
    with target.read() as conn:
        filled = [t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar_one()]
    if filled:
        raise InputError(
            f"--to: the target database is not empty ({', '.join(filled[:5])} hold rows); give an empty one"
        )
    counts: dict[str, int] = {}
    with source.read() as reading, target.write() as writing:
        for table in tables:
            copied = 0
            result = reading.execution_options(stream_results=True).execute(select(table))
            while rows := result.mappings().fetchmany(BATCH_ROWS):
                writing.execute(table.insert(), [dict(row) for row in rows])
                copied += len(rows)
            counts[table.name] = copied
            if progress is not None:
                progress(table.name, copied)
            if writing.dialect.name == "postgresql":
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer) and column.autoincrement is not False:
                        # names from our own schema, never from input
                        move = f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        move += f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"  # noqa: S608
                        writing.exec_driver_sql(move)
    entries, problems = verify_log(target)
    return CopyOutcome(counts, entries, problems)
