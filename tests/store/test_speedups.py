"""Store behaviour the performance work relies on: batched audit-log rows, opening without the write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from secaudit.store import Store, audit_log, open_store


def test_append_many_continues_one_verifiable_chain(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'secaudit.db'}")
    audit_log.record(store, "sato", "first", "svc")
    rows = [("sato", "risk.opened", "svc", {"risk": f"R-{i}"}) for i in range(5)]
    with store.write() as conn:
        seqs = audit_log.append_many(conn, rows)
        assert audit_log.append_many(conn, []) == []
    audit_log.record(store, "sato", "last", "svc")
    assert seqs == [2, 3, 4, 5, 6]
    entries = audit_log.entries(store)
    assert [e.action for e in entries] == ["first", *["risk.opened"] * 5, "last"]
    assert [e.details.get("risk") for e in entries[1:6]] == [f"R-{i}" for i in range(5)]
    assert audit_log.verify_log(store) == (7, [])


def test_opening_a_current_store_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    db = tmp_path / "secaudit.db"
    open_store(f"sqlite:///{db}")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        store = Store(f"sqlite:///{db}", busy_timeout_ms=200)
        assert store.migrate() == []  # read the schema; no write lock needed when nothing is pending
    finally:
        blocker.execute("ROLLBACK")


def test_the_store_package_names_resolve_on_first_use() -> None:
    import secaudit.store as store

    for name in store.__all__:
        assert getattr(store, name) is not None, name
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        store.nothing  # noqa: B018
