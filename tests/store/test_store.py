"""The store: migrations, transactions, the hash-chained audit log, atomic writes."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from secaudit.atomic import WriteFailure, atomic_write_text
from secaudit.errors import StoreError
from secaudit.model import Answer, AnswerSource, Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.store import Store, audit_log, open_store
from secaudit.store import answers as answer_store
from secaudit.store import scans as scan_store
from secaudit.store.migrations import MIGRATIONS


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "secaudit.db"


def test_migrations_from_an_empty_file(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    assert store.schema_version() == sorted(m.name for m in MIGRATIONS)
    assert store.migrate() == []  # idempotent
    tables = {r[0] for r in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")}
    assert {"audit_log", "answers", "scan_runs", "observations"} <= tables
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert sqlite3.connect(db).execute("pragma journal_mode").fetchone()[0] == "wal"


def test_database_from_a_newer_secaudit_is_refused(db: Path) -> None:
    open_store(f"sqlite:///{db}")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    with pytest.raises(StoreError, match=r"newer secaudit \(unknown migrations: 9999_future\)"):
        open_store(f"sqlite:///{db}")


def test_the_schema_is_alembics_and_every_step_is_still_listed_for_older_secaudits(db: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from secaudit.store.migrations import HEAD, MIGRATION_NAMES, SCRIPT_LOCATION

    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    chain = [r.revision for r in ScriptDirectory.from_config(config).walk_revisions()]
    assert chain[::-1] == list(MIGRATION_NAMES)  # one revision per step, in the same order, one head
    open_store(f"sqlite:///{db}")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    listed = [name for (name,) in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert listed == list(MIGRATION_NAMES)  # what a secaudit from before Alembic checks, and refuses on


def test_a_database_from_before_alembic_is_stamped_and_upgraded_in_place_keeping_its_rows(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    from secaudit.store import audit_log

    audit_log.record(store, "officer", "service.register", "svc", {"n": 1})
    store.close()
    conn = sqlite3.connect(db)  # as secaudit left it before Alembic: no alembic_version, 0072 not yet applied
    conn.execute("DROP TABLE alembic_version")
    conn.execute("DROP TABLE sensors")
    conn.execute("ALTER TABLE scan_runs DROP COLUMN sensor")
    conn.execute("DELETE FROM schema_migrations WHERE name = '0072_sensors'")
    conn.commit()
    conn.close()
    store = Store(f"sqlite:///{db}")
    assert store.revision() is None and store.schema_version()[-1] == "0071_evidence_files"  # as it lists them
    assert store.migrate() == ["0072_sensors"]
    assert store.schema_version()[-1] == "0072_sensors" and store.revision() == "0072_sensors"
    assert store.migrate() == []
    [entry] = audit_log.entries(store, "svc")
    assert entry.details == {"n": 1}
    assert audit_log.verify_log(store)[1] == []
    columns = [row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(scan_runs)")]
    assert "sensor" in columns


def test_audit_log_chain_verifies(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    for i in range(5):
        audit_log.record(store, "sato", "test.event", f"svc-{i}", {"n": i, "text": "日本語"})
    count, problems = audit_log.verify_log(store)
    assert (count, problems) == (5, [])
    assert [e.seq for e in audit_log.entries(store)] == [1, 2, 3, 4, 5]


def tamper(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute("drop trigger if exists audit_log_no_update")
    conn.execute("drop trigger if exists audit_log_no_delete")
    conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("sql", "seq", "message"),
    [
        ("update audit_log set subject = 'evil' where seq = 3", 3, "edited"),
        ("update audit_log set details = '{\"n\": 99}' where seq = 2", 2, "edited"),
        ("delete from audit_log where seq = 3", 4, "missing"),
        # swap the content of rows 2 and 3 while keeping their sequence numbers (reordering)
        ("update audit_log set seq = case seq when 2 then -3 when 3 then -2 end where seq in (2, 3)", None, None),
    ],
)
def test_audit_log_detects_tampering(db: Path, sql: str, seq: int | None, message: str | None) -> None:
    store = open_store(f"sqlite:///{db}")
    for i in range(5):
        audit_log.record(store, "sato", "test.event", f"svc-{i}")
    tamper(db, sql)
    if seq is None:
        tamper(db, "update audit_log set seq = -seq where seq < 0")
        _, problems = audit_log.verify_log(store)
        assert {p.location for p in problems} >= {"audit_log seq 2", "audit_log seq 3"}
        return
    _, problems = audit_log.verify_log(store)
    assert any(p.location == f"audit_log seq {seq}" and message in p.message for p in problems), problems


def test_audit_log_rows_cannot_be_updated_through_sql(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    audit_log.record(store, "sato", "x", "y")
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("update audit_log set actor = 'z'")


def test_concurrent_appends_keep_the_chain(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")

    def worker(n: int) -> None:
        own = Store(f"sqlite:///{db}")
        for i in range(10):
            audit_log.record(own, f"w{n}", "event", str(i))
        own.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert audit_log.verify_log(store) == (40, [])


def test_locked_database_gives_a_clear_error(db: Path) -> None:
    open_store(f"sqlite:///{db}")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        store = Store(f"sqlite:///{db}", busy_timeout_ms=200)
        with pytest.raises(StoreError, match="locked by another writer"):
            audit_log.record(store, "sato", "x", "y")
    finally:
        blocker.execute("ROLLBACK")


def test_answers_are_versioned(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

    def answer(value: object, at: dt.datetime) -> Answer:
        return Answer(
            service_id="svc",
            control_id="HUM-5.2-001",
            question_id="q1",
            value=value,
            answered_by="山田",
            answered_at=at,
            source=AnswerSource.WORKBOOK,
        )

    first = answer_store.AnswerSet(service_id="svc", source=AnswerSource.WORKBOOK, submitted_by="山田")
    answer_store.save_answer_set(store, first, [answer(dt.date(2026, 4, 1), now)])
    second = answer_store.AnswerSet(service_id="svc", source=AnswerSource.WORKBOOK, submitted_by="山田")
    answer_store.save_answer_set(store, second, [answer(dt.date(2026, 10, 1), now + dt.timedelta(days=1))])
    latest = answer_store.latest_answers(store, "svc")
    assert latest[("HUM-5.2-001", "q1")].value == dt.date(2026, 10, 1)
    history = answer_store.answer_history(store, "svc", "HUM-5.2-001", "q1")
    assert [a.value for a in history] == [dt.date(2026, 4, 1), dt.date(2026, 10, 1)]
    assert [e.action for e in audit_log.entries(store)] == ["answers.import", "answers.import"]


def test_scan_runs_round_trip(db: Path) -> None:
    store = open_store(f"sqlite:///{db}")
    start = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
    run = ScanRun(
        id="r1",
        service_id="svc",
        profile="quick",
        started_at=start,
        secaudit_version="0.1.0",
        scope={"targets": ["https://localhost:8443/"]},
    )
    scan_store.begin_run(store, run)
    assert scan_store.latest_run(store, "svc") is None  # still running
    obs = Observation(
        run_id="r1",
        service_id="svc",
        check_id="http.hsts",
        target="https://localhost:8443/",
        status=ObservationStatus.FAIL,
        evidence="no Strict-Transport-Security header",
        evidence_ja="Strict-Transport-Securityヘッダがありません",
        details={"banner": "<script>alert(1)</script>"},
        observed_at=start,
        baseline="OWASP 2024",
    )
    run.status = RunStatus.COMPLETED
    run.finished_at = start + dt.timedelta(seconds=5)
    scan_store.finish_run(store, run, [obs], [("http", "https://localhost:8443/", {"status": 200})])
    latest, observations = scan_store.latest_observations(store, "svc")
    assert latest is not None and latest.status is RunStatus.COMPLETED
    assert observations == [obs]
    assert scan_store.facts_of(store, "r1") == [("http", "https://localhost:8443/", {"status": 200})]


def test_atomic_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(WriteFailure, match="cannot write .*report.html: No space left"):
        atomic_write_text(target, "new" * 1000)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_an_outbox_from_before_0060_is_migrated_and_keeps_its_rows(db: Path) -> None:
    open_store(f"sqlite:///{db}")
    conn = sqlite3.connect(db)  # make it look like a database written before 0060
    conn.execute("DROP INDEX ix_outbox_repeat")
    conn.execute("ALTER TABLE notification_outbox DROP COLUMN repeat_key")
    conn.execute("ALTER TABLE notification_outbox DROP COLUMN gave_up_at")
    conn.execute("DELETE FROM schema_migrations WHERE name IN ('0060_outbox_repeat_key', '0061_outbox_gave_up')")
    conn.execute("DROP TABLE alembic_version")
    conn.execute(
        "INSERT INTO notification_outbox (id, created_at, service_id, run_id, channel, subject, payload, attempts)"
        " VALUES ('n1', '2026-11-01T00:00:00+00:00', 'svc', 'r1', 'webhook', 's', '{}', 0)"
    )
    conn.commit()
    conn.close()
    store = Store(f"sqlite:///{db}")
    assert store.migrate() == ["0060_outbox_repeat_key", "0061_outbox_gave_up"]
    from secaudit.store.outbox import all_notifications

    [kept] = all_notifications(store)
    assert kept.id == "n1" and kept.repeat_key is None and kept.gave_up_at is None
    columns = [row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(notification_outbox)")]
    assert {"repeat_key", "gave_up_at"} <= set(columns)


def test_observations_from_before_0063_keep_their_english_evidence(db: Path) -> None:
    open_store(f"sqlite:///{db}")
    conn = sqlite3.connect(db)  # make it look like a database written before 0063
    conn.execute("ALTER TABLE observations DROP COLUMN evidence_ja")
    conn.execute("DELETE FROM schema_migrations WHERE name = '0063_evidence_ja'")
    conn.execute("DROP TABLE alembic_version")
    conn.execute(
        "INSERT INTO scan_runs (id, service_id, profile, started_at, finished_at, status, secaudit_version,"
        " nmap_version, scope, error) VALUES ('r0', 'svc', 'quick', '2026-11-01T00:00:00+00:00',"
        " '2026-11-01T00:01:00+00:00', 'completed', '0.1.0', NULL, '{}', NULL)"
    )
    conn.execute(
        "INSERT INTO observations (run_id, service_id, check_id, target, status, evidence, details, observed_at)"
        " VALUES ('r0', 'svc', 'http.hsts', 'https://localhost/', 'fail', 'no Strict-Transport-Security header',"
        " '{}', '2026-11-01T00:00:00+00:00')"
    )
    conn.commit()
    conn.close()
    store = Store(f"sqlite:///{db}")
    assert store.migrate() == ["0063_evidence_ja"]
    _run, [old] = scan_store.latest_observations(store, "svc")
    assert old.evidence_ja is None and old.evidence_in("ja") == "no Strict-Transport-Security header"
