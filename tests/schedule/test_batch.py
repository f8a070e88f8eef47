"""The scheduled batch as cron runs it: concurrency with the lock, a killed run, failing services."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from secaudit.model import RunStatus
from secaudit.store import open_store
from secaudit.store.retention import INTERRUPTED
from secaudit.store.scans import runs_of
from tests.conftest import REPO, run_cli, run_subprocess
from tests.schedule.conftest import TlsSite, free_port, json_lines, wait_for


def _store(root: Path):
    return open_store(f"sqlite:///{root / '.secaudit' / 'secaudit.db'}")


def _running(root: Path) -> bool:
    store = _store(root)
    try:
        return any(r.status is RunStatus.RUNNING for r in runs_of(store, "loop-portal"))
    finally:
        store.close()


def test_concurrent_run_exits_75_and_a_killed_run_is_recovered(loop_workspace: Path, site: TlsSite) -> None:
    site.stall.set()  # handshakes hang, so the first run is still busy when the second starts
    first = subprocess.Popen(
        [sys.executable, "-m", "secaudit", "scan", "--due", "--profile", "quick", "--log-format", "json"],
        cwd=loop_workspace,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: _running(loop_workspace), timeout=60), "the first run never started scanning"
        second = run_subprocess(["scan", "--due", "--log-format", "json"], cwd=loop_workspace, timeout=60)
        assert second.returncode == 75, second.stderr
        assert "another scan run holds" in second.stderr and second.stdout == ""
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert (loop_workspace / ".secaudit" / "scan.lock").exists()
    [killed] = runs_of(_store(loop_workspace), "loop-portal")
    assert killed.status is RunStatus.RUNNING

    site.stall.clear()
    third = run_subprocess(["scan", "--due", "--profile", "quick", "--log-format", "json"], cwd=loop_workspace)
    assert third.returncode in (0, 1), third.stdout + third.stderr
    events = json_lines(third.stdout)
    assert [e["event"] for e in events if e["event"] in ("lock.recovered", "run.abandoned")] == [
        "lock.recovered",
        "run.abandoned",
    ]
    assert next(e for e in events if e["event"] == "run.abandoned")["run"] == killed.id
    runs = {r.id: r for r in runs_of(_store(loop_workspace), "loop-portal")}
    assert runs[killed.id].status is RunStatus.FAILED and runs[killed.id].error == INTERRUPTED
    assert [r.status for r in runs.values() if r.id != killed.id] == [RunStatus.COMPLETED]
    assert not (loop_workspace / ".secaudit" / "scan.lock").exists()
    assert run_cli(["log", "verify"], workspace=loop_workspace).exit_code == 0


def test_unreachable_service_does_not_stop_the_others(loop_workspace: Path) -> None:
    dead = free_port()
    text = (loop_workspace / "services" / "loop-portal.yaml").read_text()
    port = text.split("https://127.0.0.1:")[1].split("/")[0]
    head, targets = text.split("  targets:\n")
    url_only = "  targets:\n" + "\n".join(targets.splitlines()[3:]) + "\n"
    down = (head + url_only).replace("loop-portal", "down-portal").replace(port, str(dead))
    (loop_workspace / "services" / "down-portal.yaml").write_text(down)
    (loop_workspace / "services" / "broken.yaml").write_text("id: broken\nname: [unclosed\n")
    result = run_cli(["scan", "--all", "--profile", "quick", "--log-format", "json"], loop_workspace)
    assert result.exit_code == 3, result.stdout + result.stderr
    events = json_lines(result.stdout)
    errors = {e["service"]: e["message"] for e in events if e["event"] in ("scan.error", "service.invalid")}
    assert set(errors) == {"down-portal", "broken"}
    assert "broken.yaml" in errors["broken"]
    finished = [e["service"] for e in events if e["event"] == "scan.finish"]
    assert finished == ["loop-portal"]
    store = _store(loop_workspace)
    assert [r.status for r in runs_of(store, "loop-portal")] == [RunStatus.COMPLETED]
    assert len(runs_of(store, "down-portal")) == 1


def test_text_log_lines_carry_time_level_service_and_message(loop_workspace: Path) -> None:
    result = run_cli(["scan", "--due", "--profile", "quick"], loop_workspace)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(line[:4].isdigit() and line[19] == "Z" for line in lines)
    assert any(" INFO    loop-portal service.due: never scanned" in line for line in lines)
    assert any(" WARNING paper-only service.skipped: skipped: no scope" in line for line in lines)
    assert "\x1b[" not in result.stdout  # no colour, no progress bar
    again = run_cli(["scan", "--due", "--profile", "quick"], loop_workspace)
    assert again.exit_code == 0
    assert any(
        "loop-portal service.skipped: skipped: not due yet; next due" in line for line in again.stdout.splitlines()
    )


def test_due_and_all_together_are_refused(loop_workspace: Path) -> None:
    result = run_cli(["scan", "--due", "--all"], loop_workspace)
    assert result.exit_code == 2 and "exactly one of --due and --all" in result.stderr


def test_a_crash_in_one_service_does_not_stop_the_others(loop_workspace: Path) -> None:
    from secaudit.catalog import load_catalog
    from secaudit.errors import ExitCode
    from secaudit.scan.engine import run_scan
    from secaudit.schedule.batch import Batch, BatchEvent, BatchOptions
    from secaudit.workspace import find_workspace

    twin = (loop_workspace / "services" / "loop-portal.yaml").read_text().replace("loop-portal", "loop-twin")
    (loop_workspace / "services" / "loop-twin.yaml").write_text(twin)

    def flaky(service, *args, **kwargs):
        if service.id == "loop-twin":
            raise RuntimeError("probe exploded")
        return run_scan(service, *args, **kwargs)

    events: list[BatchEvent] = []
    ws = find_workspace(loop_workspace)
    store = _store(loop_workspace)
    batch = Batch(
        ws, lambda: load_catalog(ws.catalog_layers()), store, flaky, events.append, BatchOptions(profile="quick")
    )
    report = batch.run()
    assert report.exit_code is ExitCode.ENVIRONMENT
    errors = [(e.service, e.message) for e in events if e.event == "scan.error"]
    assert errors == [("loop-twin", "internal error: RuntimeError: probe exploded")]
    assert [e.service for e in events if e.event == "scan.finish"] == ["loop-portal"]
    assert sorted(report.selected) == ["loop-portal", "loop-twin"]
