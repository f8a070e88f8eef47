"""The store on a real PostgreSQL the suite starts itself: the same code as SQLite, and a city's shared
installation end to end (``SECAUDIT_DATABASE_URL``: init, questionnaire import, audit, log verify)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from secaudit.store import open_store
from secaudit.store.audit_log import entries, record, verify_log
from secaudit.store.migrations import MIGRATION_NAMES
from tests.conftest import EXAMPLES, run_cli


def test_a_new_postgresql_database_is_migrated_and_its_audit_log_is_append_only(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        assert store.engine.dialect.name == "postgresql"
        assert store.schema_version() == list(MIGRATION_NAMES)
        record(store, "tester", "test.one", "subject", {"n": 1})
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = 'mallory'"))
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
        assert [e.actor for e in entries(store)] == ["tester"]
    finally:
        store.close()


def test_many_writers_keep_the_audit_log_chain_whole(pg_url: str) -> None:
    store = open_store(pg_url)
    writers, each = 8, 25

    def write(n: int) -> None:
        for i in range(each):
            record(store, f"writer-{n}", "test.write", f"s{n}", {"i": i})

    try:
        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        logged = entries(store)
        assert [e.seq for e in sorted(logged, key=lambda e: e.seq)] == list(range(1, writers * each + 1))
        count, problems = verify_log(store)
        assert (count, problems) == (writers * each, [])
    finally:
        store.close()


def test_a_shared_installation_on_postgresql_runs_an_audit_end_to_end(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from tests.questionnaire.conftest import compliant_answers, export, fill

    monkeypatch.setenv("SECAUDIT_DATABASE_URL", pg_url)
    root = tmp_path / "ws"
    made = run_cli(["init", str(root), "--organisation-ja", "テスト市", "--organisation-en", "Test City"])
    assert made.exit_code == 0, made.stderr
    shutil.copy(EXAMPLES / "services" / "kosodate-portal.yaml", root / "services")
    book = export(root, "kosodate-portal", tmp_path / "q.xlsx")
    fill(book, compliant_answers(root, "kosodate-portal"))
    imported = run_cli(["questionnaire", "import", str(book)], root)
    assert imported.exit_code == 0, imported.stderr
    audited = run_cli(["audit", "kosodate-portal", "--no-scan"], root)
    assert audited.exit_code in (0, 1), audited.stderr  # NO-GO without a scan is the policy's answer, not a failure
    verified = run_cli(["log", "verify"], root)
    assert verified.exit_code == 0, verified.stderr
    assert not (root / ".secaudit" / "secaudit.db").exists()  # nothing went to a local SQLite file
    store = open_store(pg_url)
    try:
        with store.read() as conn:
            answers = conn.execute(text("SELECT count(*) FROM answers WHERE service_id = 'kosodate-portal'")).scalar()
            actions = {row[0] for row in conn.execute(text("SELECT DISTINCT action FROM audit_log"))}
        assert answers and answers > 100
        assert {"workspace.init", "answers.import", "gate.decide"} <= actions
    finally:
        store.close()


def test_an_unreachable_postgresql_exits_3_without_showing_the_password(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.scan.loopback import free_port

    monkeypatch.setenv("SECAUDIT_DATABASE_URL", f"postgresql+psycopg://secaudit:S3cret-pw@127.0.0.1:{free_port()}/x")
    result = run_cli(["log", "verify"], workspace)
    assert result.exit_code == 3
    assert "database error" in result.stderr and "S3cret-pw" not in result.stderr


def test_with_a_shared_database_one_scheduled_run_at_a_time_across_machines(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secaudit.store.locks import shared_run_lock

    monkeypatch.setenv("SECAUDIT_DATABASE_URL", pg_url)
    machine = tmp_path / "machine-b"  # its own folder, so its own file lock: only the database is shared
    assert (
        run_cli(["init", str(machine), "--organisation-ja", "テスト市", "--organisation-en", "Test City"]).exit_code
        == 0
    )
    store = open_store(pg_url)
    try:
        with shared_run_lock(store):  # a run on another machine holds it
            held = run_cli(["scan", "--all"], machine)
            pruned = run_cli(["prune", "--keep", "30"], machine)
    finally:
        store.close()
    assert held.exit_code == 75 and "another machine" in held.stderr
    assert pruned.exit_code == 75


def test_a_workspace_moves_from_sqlite_to_postgresql_whole_and_keeps_working_there(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import shutil

    from tests.questionnaire.conftest import compliant_answers, export, fill

    root = tmp_path / "ws"
    assert (
        run_cli(["init", str(root), "--organisation-ja", "テスト市", "--organisation-en", "Test City"]).exit_code == 0
    )
    shutil.copy(EXAMPLES / "services" / "kosodate-portal.yaml", root / "services")
    book = export(root, "kosodate-portal", tmp_path / "q.xlsx")
    fill(book, compliant_answers(root, "kosodate-portal"))
    assert run_cli(["questionnaire", "import", str(book)], root).exit_code == 0
    current = json.loads(run_cli(["db", "current", "--format", "json"], root).stdout)
    assert current["pending"] == [] and current["database"].startswith("sqlite:///")
    assert current["revision"] == MIGRATION_NAMES[-1]
    before = json.loads(run_cli(["questionnaire", "status", "kosodate-portal", "--format", "json"], root).stdout)

    copied = run_cli(["db", "copy", "--to", pg_url], root)
    assert copied.exit_code == 0, copied.stderr
    assert "audit log intact on the target" in copied.stderr
    again = run_cli(["db", "copy", "--to", pg_url], root)
    assert again.exit_code == 2 and "not empty" in again.stderr

    monkeypatch.setenv("SECAUDIT_DATABASE_URL", pg_url)
    after = json.loads(run_cli(["questionnaire", "status", "kosodate-portal", "--format", "json"], root).stdout)
    assert after == before
    # new rows after the copy: PostgreSQL's id sequences were moved past the copied ids
    assert run_cli(["questionnaire", "import", str(book)], root).exit_code == 0
    verified = run_cli(["log", "verify"], root)
    assert verified.exit_code == 0, verified.stderr
    shown = json.loads(run_cli(["db", "current", "--format", "json"], root).stdout)
    assert shown["database"].startswith("postgresql+psycopg://") and shown["pending"] == []
    assert shown["revision"] == MIGRATION_NAMES[-1]  # Alembic's version table on PostgreSQL too
