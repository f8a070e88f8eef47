"""Reading many services' evidence at once gives each service exactly what reading it alone gives.

The dashboard reads its services' answers, latest scans, reviews, treatments,
remembered risks and drift in batches; every per-service reader is the batched
one with a single id. These tests give several services interleaved, versioned
evidence and check the batch never mixes services or versions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.catalog import Catalog
from secaudit.model import (
    Answer,
    AnswerSource,
    Observation,
    ObservationStatus,
    ResultStatus,
    RunStatus,
    ScanRun,
    Treatment,
    TreatmentKind,
)
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.result import Review
from secaudit.pipeline.evaluation import gather_evidence
from secaudit.pipeline.reporting import drift_items, drift_items_of
from secaudit.store import Store, open_store
from secaudit.store.answers import AnswerSet, save_answer_set
from secaudit.store.drift import Comparison, DriftRecord, record_comparison
from secaudit.store.reviews import save_review
from secaudit.store.risks import lifecycle_of, plan_lifecycle, save_treatments, sync_lifecycle
from secaudit.store.scans import begin_run, finish_run, latest_run

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
SERVICES = ("alpha", "beta", "gamma")


def _answers(store: Store, sid: str, value: str, at: dt.datetime) -> None:
    items = [
        Answer(
            service_id=sid,
            control_id=c,
            question_id="q1",
            value=value,
            answered_by="山田",
            answered_at=at,
            source=AnswerSource.WORKBOOK,
        )
        for c in ("TEC-1-001", "TEC-1-002")
    ]
    save_answer_set(store, AnswerSet(service_id=sid, source=AnswerSource.WORKBOOK, submitted_by="山田"), items)


def _run(store: Store, sid: str, run_id: str, started: dt.datetime, status: RunStatus, check_status: str) -> None:
    run = ScanRun(id=run_id, service_id=sid, profile="standard", started_at=started, secaudit_version="test")
    begin_run(store, run)
    seen = [
        Observation(
            run_id=run_id,
            service_id=sid,
            check_id=check,
            target="https://localhost:8443/",
            status=ObservationStatus(check_status),
            evidence=f"{run_id} {check}",
            observed_at=started,
        )
        for check in ("tls.a", "tls.b")
    ]
    finish_run(store, run.model_copy(update={"status": status, "finished_at": started}), seen, [])


def _drift(store: Store, sid: str, run_id: str, at: dt.datetime, states: list[DriftState]) -> None:
    items = [
        DriftRecord(
            service_id=sid,
            kind=DriftKind.OPEN_PORT if i % 2 == 0 else DriftKind.CHECK_FAILING,
            target=f"127.0.0.1:{8000 + i}",
            key=f"k{i}",
            state=state,
            message=f"{sid} {run_id} {i}",
            run_id=run_id,
            detected_at=at,
        )
        for i, state in enumerate(states)
    ]
    record_comparison(
        store,
        Comparison(
            run_id=run_id, service_id=sid, baseline_run_id=None, compared_at=at, new_failures=len(items), items=items
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Three services whose evidence is written interleaved, in several versions each."""
    db = open_store(f"sqlite:///{tmp_path / 'secaudit.db'}")
    for n, sid in enumerate(SERVICES):
        _answers(db, sid, "no", T0)
    for n, sid in enumerate(SERVICES):
        if sid != "gamma":  # gamma keeps its first answers
            _answers(db, sid, "yes" if n else "partly", T0 + dt.timedelta(days=1))
        _run(db, sid, f"{sid}-1", T0, RunStatus.COMPLETED, "fail")
    for n, sid in enumerate(SERVICES):
        _run(db, sid, f"{sid}-2", T0 + dt.timedelta(days=2), RunStatus.COMPLETED, "pass")
        _run(db, sid, f"{sid}-3", T0 + dt.timedelta(days=3), RunStatus.FAILED, "error")  # never the latest
    # beta: two completed runs started at the same moment; the larger run id is the latest
    _run(db, "beta", "beta-2b", T0 + dt.timedelta(days=2), RunStatus.COMPLETED, "fail")
    for sid in ("alpha", "beta"):
        for result in (ResultStatus.FAIL, ResultStatus.PASS):
            save_review(
                db,
                sid,
                Review(
                    control_id="TEC-1-001",
                    result=result,
                    note=f"{sid} {result.value}",
                    reviewer="監査人",
                    at=T0,
                    basis="b",
                ),
            )
    for sid in ("alpha", "gamma"):
        for days in (30, 90):
            decision = Treatment(
                kind=TreatmentKind.ACCEPT,
                owner="所管課",
                approver="CISO",
                justification=f"{sid} {days}",
                expires=T0.date() + dt.timedelta(days=days),
                decided_by="監査人",
                decided_at=T0,
            )
            save_treatments(db, sid, [(f"{sid}:TEC-1-001", "TEC-1-001", decision)], "test")
    for sid in SERVICES:
        _drift(db, sid, f"{sid}-1", T0, [DriftState.NEW])
        if sid != "beta":
            _drift(db, sid, f"{sid}-2", T0 + dt.timedelta(days=2), [DriftState.RESOLVED, DriftState.NEW])
    return db


def test_a_batch_gives_each_service_what_reading_it_alone_gives(store: Store) -> None:
    together = gather_evidence(store, Catalog(), list(SERVICES))
    for sid in SERVICES:
        assert together[sid] == gather_evidence(store, Catalog(), [sid])[sid]
    alpha, beta, gamma = (together[s] for s in SERVICES)
    assert alpha.answers[("TEC-1-001", "q1")].value == "partly" and gamma.answers[("TEC-1-001", "q1")].value == "no"
    assert alpha.last_run is not None and alpha.last_run.id == "alpha-2"
    assert beta.last_run is not None and beta.last_run.id == "beta-2b"
    assert latest_run(store, "beta") == beta.last_run
    assert {o.evidence for o in beta.observations} == {"beta-2b tls.a", "beta-2b tls.b"}
    assert alpha.reviews["TEC-1-001"].note == "alpha pass" and not gamma.reviews
    assert alpha.treatments["alpha:TEC-1-001"].justification == "alpha 90" and not beta.treatments


def test_a_service_without_evidence_gets_empty_evidence(store: Store) -> None:
    empty = gather_evidence(store, Catalog(), ["delta", "alpha"])["delta"]
    assert (empty.answers, empty.last_run, empty.observations, empty.reviews) == ({}, None, [], {})


def test_drift_of_many_services_is_each_service_latest_comparison(store: Store) -> None:
    together = drift_items_of(store, [*SERVICES, "delta"])
    assert "delta" not in together and drift_items(store, "delta") is None
    for sid in SERVICES:
        assert together[sid] == drift_items(store, sid)
    assert [d.summary for d in together["beta"]] == ["beta beta-1 0"]
    assert sorted(d.state.value for d in together["alpha"]) == ["new", "resolved"]


def test_a_lifecycle_plan_writes_nothing_until_applied_and_then_what_sync_writes(store: Store) -> None:
    from secaudit.model import RiskEntry

    def entry(sid: str, status: str) -> RiskEntry:
        return RiskEntry.model_validate(
            {
                "id": f"{sid}:TEC-1-002",
                "service_id": sid,
                "control_id": "TEC-1-002",
                "title": {"ja": "t", "en": "t"},
                "description": {"ja": "d", "en": "d"},
                "result_status": "fail",
                "likelihood": 3,
                "impact": 3,
                "inherent_level": "high",
                "residual_level": "high",
                "level_rank": 3,
                "rationale": "r",
                "status": status,
                "first_seen": T0,
            }
        )

    plan = plan_lifecycle("alpha", [entry("alpha", "open")], {}, T0)
    assert plan.events == [("alpha:TEC-1-002", "opened")] and lifecycle_of(store, "alpha") == {}
    assert sync_lifecycle(store, "alpha", [entry("alpha", "open")], T0) == [("alpha:TEC-1-002", "opened")]
    assert sync_lifecycle(store, "alpha", [entry("alpha", "open")], T0) == []
    assert plan_lifecycle("alpha", [entry("alpha", "open")], lifecycle_of(store, "alpha"), T0).empty
