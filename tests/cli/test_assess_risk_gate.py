"""End to end: answers and a scan on record, then assess, risk list, accept and gate through the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secaudit.model import Answer, AnswerSource, Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.store import open_store
from secaudit.store.answers import AnswerSet, save_answer_set
from secaudit.store.scans import begin_run, finish_run
from tests.conftest import run_cli

SERVICE = "zeimu-lgwan"
TODAY = dt.date.today()


def _store(workspace: Path):
    return open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")


def save_answers(workspace: Path, values: dict[tuple[str, str], object], service: str = SERVICE) -> None:
    """Save one answer set through the store, as a workbook import would."""
    now = dt.datetime.now(dt.UTC)
    items = [
        Answer(
            service_id=service,
            control_id=control,
            question_id=question,
            value=value,
            answered_by="鈴木 次郎",
            answered_at=now,
            source=AnswerSource.WORKBOOK,
            source_ref="zeimu-answers.xlsx",
        )
        for (control, question), value in values.items()
    ]
    answer_set = AnswerSet(service_id=service, source=AnswerSource.WORKBOOK, submitted_by="鈴木 次郎")
    save_answer_set(_store(workspace), answer_set, items)


def save_scan(
    workspace: Path, statuses: dict[str, ObservationStatus], run_id: str = "run-1", age_days: int = 0
) -> None:
    """Record a completed scan run with one observation per check."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days)
    store = _store(workspace)
    run = ScanRun(id=run_id, service_id=SERVICE, profile="standard", started_at=when, secaudit_version="test")
    begin_run(store, run)
    done = run.model_copy(update={"status": RunStatus.COMPLETED, "finished_at": when})
    observations = [
        Observation(
            run_id=run_id,
            service_id=SERVICE,
            check_id=check,
            target="localhost",
            status=status,
            evidence=f"{check}: {status.value}",
            observed_at=when,
        )
        for check, status in statuses.items()
    ]
    finish_run(store, done, observations, [])


ALL_ANSWERED = {
    ("HUM-5.2-001", "q1"): TODAY - dt.timedelta(days=30),
    ("HUM-5.3-001", "q1"): "no",
    ("HUM-5.4-001", "q1"): "no",
    ("PHY-4.1-001", "q1"): "controlled_room",
    ("PHY-4.2-001", "q1"): "yes",
    ("PHY-4.4-001", "q1"): "encrypted_logged",
    ("TEC-6.2-001", "q1"): TODAY - dt.timedelta(days=30),
    ("TEC-6.6-001", "q1"): ["vendor", "jvn", "inventory"],
    ("ORG-1-001", "q1"): "yes",
}


@pytest.fixture
def evidence(workspace: Path) -> Path:
    """zeimu-lgwan with every required answer given and a fresh scan showing an unexpected open port."""
    save_answers(workspace, ALL_ANSWERED)
    save_scan(workspace, {"ports.unexpected-open": ObservationStatus.FAIL})
    return workspace


def test_risk_list_json_names_ratings_and_gate_names_high_risks(evidence: Path) -> None:
    listed = run_cli(["risk", "list", SERVICE, "--format", "json"], evidence)
    assert listed.exit_code == 0, listed.stderr
    entries = json.loads(listed.stdout)
    by_id = {e["id"]: e for e in entries}
    high = {f"R-{SERVICE}-HUM-5.3-001", f"R-{SERVICE}-HUM-5.4-001", f"R-{SERVICE}-TEC-6.1-002"}
    assert set(by_id) == high
    for entry in entries:
        assert {"id", "control", "likelihood", "impact", "level", "status"} <= set(entry)
        assert entry["level"] == "High" and entry["status"] == "open"
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 1
    assert "NO-GO" in gate.stdout
    for rid in high:
        assert rid in gate.stdout


def test_acceptance_clears_the_gate_until_it_expires(evidence: Path) -> None:
    high = [f"R-{SERVICE}-HUM-5.3-001", f"R-{SERVICE}-HUM-5.4-001", f"R-{SERVICE}-TEC-6.1-002"]
    future = (TODAY + dt.timedelta(days=90)).isoformat()
    accepted = run_cli(
        [
            "risk",
            "accept",
            SERVICE,
            *high,
            "--approver",
            "CISO 高橋",
            "--justification",
            "代替策で監視",
            "--expires",
            future,
        ],
        evidence,
    )
    assert accepted.exit_code == 0, accepted.stderr
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 0, gate.stdout
    assert "GO" in gate.stdout
    for rid in high:
        assert rid not in gate.stdout
    listed = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert {e["status"] for e in listed} == {"accepted"}

    past = (TODAY - dt.timedelta(days=1)).isoformat()
    expired = run_cli(
        ["risk", "accept", SERVICE, *high, "--approver", "CISO 高橋", "--justification", "延長なし", "--expires", past],
        evidence,
    )
    assert expired.exit_code == 0
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 1
    for rid in high:
        assert rid in gate.stdout
