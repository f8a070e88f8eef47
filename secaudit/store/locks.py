"""The scan lock in a shared database: one scheduled run at a time across every machine that uses it.

The per-machine lock is a file (``secaudit.schedule.lock``). When several machines share one PostgreSQL
database (cron on two officers' servers, zone workers), the database holds the lock too: a session-level
advisory lock on a connection kept open for the run. PostgreSQL releases it when that connection ends,
so a killed run never blocks the next. SQLite needs nothing more than the file lock beside its file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from secaudit.errors import LockHeld
from secaudit.store.db import Store

RUN_LOCK_KEY = 0x5EC0A0D175
"""The advisory lock key of the scan run (any 64-bit number no other application in the database uses)."""


@contextmanager
def shared_run_lock(store: Store) -> Iterator[None]:
    """Hold the database's scan lock for the block; LockHeld (exit 75) at once when another machine holds it."""
    if store.engine.dialect.name != "postgresql":
        yield
        return
    with store.engine.connect() as conn:
        taken = conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({RUN_LOCK_KEY})").scalar()
        conn.commit()
        if not taken:
            raise LockHeld("another scan run holds the shared database's scan lock (another machine); try again later")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({RUN_LOCK_KEY})")
            conn.commit()
