"""Treatments, reviews and risk lifecycle persisted in a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.assess import assess
from secaudit.model import ResultStatus, RiskStatus, Treatment
from secaudit.model.config import RiskMatrixKind
from secaudit.model.result import Review
from secaudit.risk.register import build_register
from secaudit.store import Store, open_store
from secaudit.store.audit_log import entries, verify_log
from secaudit.store.reviews import latest_reviews, review_history, save_review
from secaudit.store.risks import latest_treatments, lifecycle_of, save_treatment, sync_lifecycle, treatment_history
from tests.assessment_data import NOW, TODAY, answers, catalog, control, service, yes_no

RID = "R-svc-TEC-6.1-001"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'secaudit.db'}")


def test_migrations_are_registered_in_the_assess_range(store: Store) -> None:
    names = store.schema_version()
    assert "0030_reviews" in names and "0031_risks" in names


def test_latest_treatment_is_in_force_and_history_is_kept(store: Store) -> None:
    first = Treatment(kind="mitigate", owner="課", plan="直す", due=TODAY, decided_by="佐藤", decided_at=NOW)
    second = Treatment(
        kind="accept",
        approver="CISO",
        justification="代替策",
        expires=TODAY + dt.timedelta(days=9),
        decided_by="CISO",
        decided_at=NOW + dt.timedelta(hours=1),
    )
    save_treatment(store, "svc", RID, "TEC-6.1-001", first)
    save_treatment(store, "svc", RID, "TEC-6.1-001", second)
    assert latest_treatments(store, "svc") == {RID: second}
    assert treatment_history(store, "svc", RID) == [first, second]
    assert latest_treatments(store, "other") == {}
    actions = [e.action for e in entries(store, subject="svc")]
    assert actions == ["risk.treat", "risk.accept"]
    assert verify_log(store)[1] == []


def test_latest_review_is_in_force_and_logged(store: Store) -> None:
    old = Review(control_id="TEC-6.1-001", result="fail", note="証跡なし", reviewer="監査人", at=NOW, basis="aaa")
    new = Review(control_id="TEC-6.1-001", result="pass", note="証跡確認", reviewer="監査人", at=NOW, basis="bbb")
    save_review(store, "svc", old, ResultStatus.PASS)
    save_review(store, "svc", new, ResultStatus.PASS)
    assert latest_reviews(store, "svc") == {"TEC-6.1-001": new}
    assert review_history(store, "svc", "TEC-6.1-001") == [old, new]
    (first, _) = [e for e in entries(store, subject="svc") if e.action == "assess.review"]
    assert first.details["result"] == "fail" and first.details["self_assessed"] == "pass"


def _evaluate(store: Store, value: str, moment: dt.datetime):
    svc = service()
    ctl = control(questions=[yes_no()])
    cat = catalog(ctl)
    results = assess(svc, cat, answers(ctl.id, q1=value), [], today=moment.date())
    register = build_register(
        svc,
        results,
        cat,
        RiskMatrixKind.FIVE,
        latest_treatments(store, "svc"),
        lifecycle_of(store, "svc"),
        moment.date(),
        now=moment,
    )
    events = sync_lifecycle(store, "svc", register, moment)
    return register, events


def test_lifecycle_across_runs_fail_resolve_reopen(store: Store) -> None:
    day1, day2, day3, day4 = (NOW + dt.timedelta(days=n) for n in range(4))
    register, events = _evaluate(store, "no", day1)
    assert events == [(RID, "opened")] and register[0].status is RiskStatus.OPEN
    register, events = _evaluate(store, "no", day2)
    assert events == [] and register[0].first_seen == day1
    register, events = _evaluate(store, "yes", day3)
    assert events == [(RID, "resolved")]
    assert register[0].status is RiskStatus.RESOLVED and register[0].resolved_at == day3
    register, _ = _evaluate(store, "yes", day4)
    assert register[0].resolved_at == day3  # the date is kept
    register, events = _evaluate(store, "no", day4)
    assert events == [(RID, "reopened")] and register[0].status is RiskStatus.REOPENED
    life = lifecycle_of(store, "svc")[RID]
    assert (life.first_seen, life.resolved_at, life.reopened, life.reopened_at) == (day1, None, 1, day4)
    register, events = _evaluate(store, "no", day4 + dt.timedelta(days=1))
    assert events == [] and register[0].status is RiskStatus.REOPENED and register[0].reopened == 1
    actions = [e.action for e in entries(store, subject="svc")]
    assert actions == ["risk.opened", "risk.resolved", "risk.reopened"]


def test_passing_control_never_seen_failing_leaves_no_trace(store: Store) -> None:
    register, events = _evaluate(store, "yes", NOW)
    assert register == [] and events == []
    assert lifecycle_of(store, "svc") == {}
