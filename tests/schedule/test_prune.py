"""Pruning old scan runs: what goes, what always stays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secaudit.model import Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.model.drift import DriftKind, DriftState
from secaudit.store import open_store
from secaudit.store.drift import Comparison, DriftRecord, record_comparison
from secaudit.store.scans import (
    archive_nmap_xml,
    begin_run,
    facts_of,
    finish_run,
    get_run,
    nmap_xml_of,
    observations_of,
)
from tests.conftest import run_cli

NOW = dt.datetime.now(dt.UTC)


def add_run(store, run_id: str, days_ago: int, status: RunStatus = RunStatus.COMPLETED, service: str = "zeimu-lgwan"):
    started = NOW - dt.timedelta(days=days_ago)
    run = ScanRun(id=run_id, service_id=service, profile="quick", started_at=started, secaudit_version="t")
    begin_run(store, run)
    if status is RunStatus.RUNNING:
        return run
    run.status, run.finished_at = status, started + dt.timedelta(minutes=1)
    obs = Observation(
        run_id=run_id,
        service_id=service,
        check_id="ports.unexpected-open",
        target="localhost",
        status=ObservationStatus.PASS,
        evidence="ok",
        observed_at=started,
    )
    finish_run(store, run, [obs], [("ports", "localhost", {"kind": "ports", "target": "localhost", "address": "::1"})])
    archive_nmap_xml(store, run_id, [("127.0.0.1", b"<nmaprun/>")])
    return run


@pytest.fixture
def history(workspace: Path):
    store = open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")
    add_run(store, "old-1", 100)
    add_run(store, "old-2", 90)
    add_run(store, "old-failed", 80, RunStatus.FAILED)
    add_run(store, "old-drift", 70)
    add_run(store, "newest-ok", 60)  # the latest completed run, however old
    add_run(store, "old-other", 95, service="kosodate-portal")
    add_run(store, "recent", 2, RunStatus.FAILED)
    item = DriftRecord("zeimu-lgwan", DriftKind.OPEN_PORT, "localhost", "::1 tcp/22", DriftState.NEW, "port 22 opened")
    record_comparison(store, Comparison("old-drift", "zeimu-lgwan", "old-2", NOW - dt.timedelta(days=70), 0, [item]))
    return workspace, store


def test_dry_run_lists_and_removes_nothing(history) -> None:
    workspace, store = history
    result = run_cli(["prune", "--keep", "30", "--dry-run", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(r["run_id"] for r in data["removed"]) == ["old-1", "old-failed"]
    assert data["kept"] == {
        "old-other": "latest completed run of its service and profile",
        "old-2": "a drift record in force points to it",
        "old-drift": "a drift record in force points to it",
        "newest-ok": "latest completed run of its service and profile",
    }
    assert get_run(store, "old-1") is not None


def test_prune_removes_runs_with_their_facts_and_archives(history) -> None:
    workspace, store = history
    result = run_cli(["prune", "--keep", "30"], workspace)
    assert result.exit_code == 0, result.stderr
    assert "removed run old-1" in result.stdout and "removed run old-failed" in result.stdout
    assert "removed 2 run(s)" in result.stderr
    for gone in ("old-1", "old-failed"):
        assert get_run(store, gone) is None
        assert observations_of(store, gone) == [] and facts_of(store, gone) == [] and nmap_xml_of(store, gone) == []
    for kept in ("old-2", "old-drift", "newest-ok", "old-other", "recent"):
        assert get_run(store, kept) is not None
    assert len(observations_of(store, "newest-ok")) == 1
    assert run_cli(["log", "verify"], workspace).exit_code == 0


def test_runs_a_risk_entry_points_to_are_kept(history, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, store = history
    monkeypatch.setattr("secaudit.store.risks.referenced_run_ids", lambda _store: {"old-1"})
    result = run_cli(["prune", "--keep", "30", "--format", "json"], workspace)
    data = json.loads(result.stdout)
    assert [r["run_id"] for r in data["removed"]] == ["old-failed"]
    assert data["kept"]["old-1"] == "a risk entry points to it"


def test_a_resolved_drift_no_longer_protects_its_runs(history) -> None:
    workspace, store = history
    resolved = DriftRecord(
        "zeimu-lgwan", DriftKind.OPEN_PORT, "localhost", "::1 tcp/22", DriftState.RESOLVED, "port 22 closed"
    )
    record_comparison(store, Comparison("newest-ok", "zeimu-lgwan", "old-drift", NOW, 0, [resolved]))
    data = json.loads(run_cli(["prune", "--keep", "30", "--dry-run", "--format", "json"], workspace).stdout)
    assert sorted(r["run_id"] for r in data["removed"]) == ["old-1", "old-2", "old-drift", "old-failed"]
    assert set(data["kept"]) == {"newest-ok", "old-other"}


def test_running_runs_are_never_pruned(workspace: Path) -> None:
    store = open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")
    add_run(store, "stuck", 400, RunStatus.RUNNING)
    data = json.loads(run_cli(["prune", "--keep", "1", "--format", "json"], workspace).stdout)
    assert data["removed"] == [] and get_run(store, "stuck") is not None
