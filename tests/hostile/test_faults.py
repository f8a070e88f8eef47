"""Faults from the environment: a locked database, a full disk, nmap killed, SIGKILL mid-import,
an audit log with rows deleted or reordered. Each ends with a clear line and the documented exit code,
and nothing half-written."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from secaudit.store import open_store
from secaudit.store.answers import store_counts
from secaudit.workspace import find_workspace
from tests.conftest import REPO, run_cli
from tests.questionnaire.conftest import compliant_answers, export, fill
from tests.schedule import conftest as schedule_fixtures
from tests.schedule.conftest import json_lines

pytestmark = pytest.mark.timeout(90)


def _db(workspace: Path) -> Path:
    return workspace / ".secaudit" / "secaudit.db"


def _audit_rows(workspace: Path) -> int:
    with sqlite3.connect(_db(workspace)) as conn:
        return int(conn.execute("select count(*) from audit_log").fetchone()[0])


# --- the database locked by another writer -------------------------------------------------------


def test_locked_database_gives_up_with_one_clear_line(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = compliant_answers(workspace, "kosodate-portal")
    book = fill(export(workspace, "kosodate-portal", tmp_path / "q.xlsx"), answers)
    store = open_store(find_workspace(workspace).database_url)
    before = store_counts(store)
    store.close()
    rows_before = _audit_rows(workspace)
    monkeypatch.setenv("SECAUDIT_BUSY_TIMEOUT_MS", "300")
    holder = sqlite3.connect(_db(workspace), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_cli(["questionnaire", "import", str(book)], workspace)
        review = run_cli(["assess", "kosodate-portal"], workspace)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 3, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "locked by another writer" in lines[0], result.stderr
    # an assessment with nothing new to remember only reads, so another writer does not stop it
    assert review.exit_code == 0, review.stderr
    store = open_store(find_workspace(workspace).database_url)
    assert store_counts(store) == before
    store.close()
    assert _audit_rows(workspace) == rows_before
    # once the other writer is gone, the same command goes through
    assert run_cli(["questionnaire", "import", str(book)], workspace).exit_code == 0


def test_busy_timeout_setting_is_validated(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECAUDIT_BUSY_TIMEOUT_MS", "soon")
    result = run_cli(["log", "verify"], workspace)
    assert result.exit_code == 3
    assert "SECAUDIT_BUSY_TIMEOUT_MS" in result.stderr


# --- the disk full while writing a report --------------------------------------------------------


def _full_disk(fd: int) -> None:
    """``os.fsync`` on a full disk: the data written so far cannot be made durable."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_disk_full_leaves_no_partial_report(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    target = out / "portal.html"
    target.write_text("the previous report", encoding="utf-8")
    monkeypatch.setattr("secaudit.atomic.os.fsync", _full_disk)
    result = run_cli(["report", "kosodate-portal", "--format", "html", "-o", str(target)], workspace)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert f"cannot write {target}: No space left on device" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert target.read_text(encoding="utf-8") == "the previous report"
    assert sorted(p.name for p in out.iterdir()) == ["portal.html"]  # no temp file left behind


def test_disk_full_on_every_export(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("secaudit.atomic.os.fsync", _full_disk)
    commands = {
        "risk.xlsx": ["risk", "export", "kosodate-portal", "-o"],
        "q.xlsx": ["questionnaire", "export", "kosodate-portal", "-o"],
        "dash.html": ["dashboard", "-o"],
    }
    out = tmp_path / "out"
    for name, args in commands.items():
        result = run_cli([*args, str(out / name)], workspace)
        assert result.exit_code == 3, (name, result.stdout, result.stderr)
        assert f"cannot write {out / name}: No space left on device" in result.stderr, name
    assert list(out.iterdir()) == []
    store = open_store(find_workspace(workspace).database_url)
    assert store_counts(store)["questionnaires"] == 0  # no questionnaire on record that nobody received
    store.close()


def test_questionnaire_export_with_the_database_locked_leaves_no_workbook(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["log", "verify"], workspace).exit_code == 0  # the database exists and is migrated
    monkeypatch.setenv("SECAUDIT_BUSY_TIMEOUT_MS", "200")
    from secaudit.questionnaire import export as exporter

    real = exporter.record_questionnaire

    def locked(*args: object, **kwargs: object) -> None:
        holder = sqlite3.connect(_db(workspace), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    monkeypatch.setattr(exporter, "record_questionnaire", locked)
    book = tmp_path / "q.xlsx"
    result = run_cli(["questionnaire", "export", "kosodate-portal", "-o", str(book)], workspace)
    assert result.exit_code == 3 and "locked by another writer" in result.stderr, result.stderr
    assert not book.exists()


# --- SIGKILL during a questionnaire import --------------------------------------------------------


def _import_process(workspace: Path, book: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SECAUDIT_WORKSPACE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "secaudit", "questionnaire", "import", str(book)],
        cwd=workspace,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_during_import_stores_all_or_nothing(workspace: Path, tmp_path: Path) -> None:
    answers = compliant_answers(workspace, "kosodate-portal")
    book = fill(export(workspace, "kosodate-portal", tmp_path / "q.xlsx"), answers)
    url = find_workspace(workspace).database_url
    # how long one import takes here, so the kills land before, inside and after its transaction
    started = time.monotonic()
    assert _import_process(workspace, book).wait(timeout=60) == 0
    duration = time.monotonic() - started
    store = open_store(url)
    per_import = store_counts(store)["answers"]
    store.close()
    assert per_import >= len(answers) > 0
    rng = random.Random(10)
    outcomes = set()
    for _ in range(6):
        proc = _import_process(workspace, book)
        time.sleep(rng.uniform(0.3 * duration, 1.1 * duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        outcomes.add(proc.returncode)
        store = open_store(url)
        count = store_counts(store)["answers"]
        store.close()
        assert count % per_import == 0, f"a killed import left {count % per_import} stray answers"
    with sqlite3.connect(_db(workspace)) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert run_cli(["log", "verify"], workspace).exit_code == 0
    final = run_cli(["questionnaire", "import", str(book)], workspace)
    assert final.exit_code == 0, final.stderr
    assert outcomes  # at least one kill happened


# --- nmap killed mid-scan -------------------------------------------------------------------------


def _nmap_children() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if name == "nmap" and ppid == os.getpid():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"127.0.0.1" in argv:  # the scan itself, not the version check before it
                found.append(int(entry.name))
    return found


def test_nmap_killed_mid_scan_is_an_error_observation(workspace: Path) -> None:
    (workspace / "scanners").mkdir(exist_ok=True)
    # timing 1 (sneaky) waits 15 s between probes: nmap is still running when it is killed
    (workspace / "scanners" / "slow.yaml").write_text(
        """profiles:
  - id: slow-ports
    title: {ja: 遅い, en: Slow}
    probes: [ports]
    nmap: {ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], timing: 1, host_timeout_s: 60}
""",
        encoding="utf-8",
    )
    from tests.scan.conftest import write_service

    write_service(workspace, "slow-host", ["{host: localhost, addresses: [127.0.0.1], ports: [443]}"])
    killed: list[int] = []

    def killer() -> None:
        end = time.monotonic() + 30
        while time.monotonic() < end and not killed:
            for pid in _nmap_children():
                time.sleep(0.3)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    result = run_cli(["scan", "slow-host", "--profile", "slow-ports", "--format", "json"], workspace)
    thread.join(timeout=5)
    assert killed, "nmap never started"
    # every target errored: the environment failed (exit 3), never "no open ports"
    assert result.exit_code == 3, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["observations"] and {o["status"] for o in data["observations"]} == {"error"}
    assert data["run"]["status"] == "unreachable" and data["silent_targets"]
    with sqlite3.connect(_db(workspace)) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        statuses = {r[0] for r in conn.execute("select status from scan_runs")}
    assert "running" not in statuses
    assert run_cli(["log", "verify"], workspace).exit_code == 0


# --- the audit log: deleted and reordered rows named ----------------------------------------------


def _writable_log(workspace: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(_db(workspace))
    conn.execute("drop trigger audit_log_no_update")
    conn.execute("drop trigger audit_log_no_delete")
    return conn


def _grow_log(workspace: Path, tmp_path: Path) -> None:
    for n in range(3):
        assert (
            run_cli(
                ["questionnaire", "export", "kosodate-portal", "-o", str(tmp_path / f"{n}.xlsx")], workspace
            ).exit_code
            == 0
        )
    assert _audit_rows(workspace) >= 4


def test_log_verify_names_a_deleted_row(workspace: Path, tmp_path: Path) -> None:
    _grow_log(workspace, tmp_path)
    conn = _writable_log(workspace)
    conn.execute("delete from audit_log where seq = 2")
    conn.commit()
    conn.close()
    result = run_cli(["log", "verify"], workspace)
    assert result.exit_code == 1
    assert "audit_log seq 3" in result.stderr and "2 are missing (deleted)" in result.stderr


def test_log_verify_names_reordered_rows(workspace: Path, tmp_path: Path) -> None:
    _grow_log(workspace, tmp_path)
    conn = _writable_log(workspace)
    # swap rows 2 and 3 wholesale (hashes included), as someone rewriting history would
    conn.execute("update audit_log set seq = -2 where seq = 2")
    conn.execute("update audit_log set seq = 2 where seq = 3")
    conn.execute("update audit_log set seq = 3 where seq = -2")
    conn.commit()
    conn.close()
    result = run_cli(["log", "verify"], workspace)
    assert result.exit_code == 1
    assert "audit_log seq 2" in result.stderr and "audit_log seq 3" in result.stderr


# --- a clock that jumps backwards between runs ----------------------------------------------------

pki = schedule_fixtures.pki
site = schedule_fixtures.site
loop_workspace = schedule_fixtures.loop_workspace


def test_clock_jumping_backwards_between_runs(loop_workspace: Path) -> None:
    first = run_cli(["scan", "--all", "--profile", "quick", "--log-format", "json"], loop_workspace)
    assert first.exit_code in (0, 1), first.stdout + first.stderr
    # the first run was stamped 10 days ahead: the clock has since been set back
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat()
    with sqlite3.connect(_db(loop_workspace)) as conn:
        conn.execute("update scan_runs set started_at = ?, finished_at = ?", (ahead, ahead))
        conn.execute("update observations set observed_at = ?", (ahead,))
    second = run_cli(["scan", "--all", "--profile", "quick", "--log-format", "json"], loop_workspace)
    assert second.exit_code in (0, 1), second.stdout + second.stderr
    first_run = next(e["run"] for e in json_lines(first.stdout) if e["event"] == "scan.finish")
    finish = next(e for e in json_lines(second.stdout) if e["event"] == "scan.finish")
    # the new run (stamped earlier than the old one) is still compared with it: no drift is lost
    assert finish["baseline"] == first_run, second.stdout
    # the schedule counts from now, not from the future stamp: the service is due at its next slot
    show = run_cli(["schedule", "show", "--format", "json"], loop_workspace)
    assert show.exit_code == 0, show.stderr
    due = {r["service"]: r for r in json.loads(show.stdout)["services"]}["loop-portal"]
    # weekly schedule: next due within a week of now, not a week after the stamp 10 days ahead
    assert dt.datetime.fromisoformat(due["next_due"]) <= dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)
    for args in (["assess", "loop-portal"], ["gate", "loop-portal", "--format", "json"]):
        result = run_cli(args, loop_workspace)
        assert result.exit_code in (0, 1), (args, result.stdout, result.stderr)
        assert "internal error" not in result.stderr
        assert not re.search(r"is -\d+ days old|は -\d+ 日前", result.stdout + result.stderr)


# --- SIGKILL during a single-service scan ---------------------------------------------------------


def _children_named(parent: int, name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if (
                stat[stat.index("(") + 1 : stat.rindex(")")] == name
                and int(stat[stat.rindex(")") + 2 :].split()[1]) == parent
            ):
                found.append(int(entry.name))
    return found


def test_sigkill_during_a_single_scan_stores_no_partial_run(workspace: Path) -> None:
    (workspace / "scanners").mkdir(exist_ok=True)
    (workspace / "scanners" / "kill.yaml").write_text(
        """profiles:
  - id: slow-ports
    title: {ja: 遅い, en: Slow}
    probes: [ports]
    nmap: {ports: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], timing: 1, host_timeout_s: 60}
  - id: fast-ports
    title: {ja: 速い, en: Fast}
    probes: [ports]
    nmap: {ports: [1], timing: 4, host_timeout_s: 30}
""",
        encoding="utf-8",
    )
    from tests.scan.conftest import write_service

    write_service(workspace, "slow-host", ["{host: localhost, addresses: [127.0.0.1], ports: [443]}"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SECAUDIT_WORKSPACE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "secaudit", "scan", "slow-host", "--profile", "slow-ports"],
        cwd=workspace,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nmap: list[int] = []
    try:
        end = time.monotonic() + 30
        while not nmap and time.monotonic() < end and proc.poll() is None:
            nmap = _children_named(proc.pid, "nmap")
            time.sleep(0.05)
        assert nmap, "nmap never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        for pid in nmap:  # nmap runs in its own session: it outlives a SIGKILLed parent until its host timeout
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    with sqlite3.connect(_db(workspace)) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        [(killed_run, status)] = conn.execute("select id, status from scan_runs").fetchall()
        assert status == "running"  # marked failed by the next batch once it is older than stale_run_hours
        assert conn.execute("select count(*) from observations where run_id = ?", (killed_run,)).fetchone()[0] == 0
    result = run_cli(["scan", "slow-host", "--profile", "fast-ports", "--format", "json"], workspace)
    # nothing listens on slow-host: the next run is stored whole, recorded as unreachable (exit 3)
    assert result.exit_code == 3, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["run"]["status"] == "unreachable" and data["observations"]
    assert run_cli(["log", "verify"], workspace).exit_code == 0
