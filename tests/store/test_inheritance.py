"""City-wide answers: stored once under the organisation, inherited by every service, overridden per question."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from secaudit.model import ORGANISATION_ID, Answer, AnswerSource
from secaudit.store import Store, audit_log, open_store
from secaudit.store import answers as answer_store

AT = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
CITY_WIDE = frozenset({"HUM-5.2-001", "OPS-7.6-001"})


def _save(store: Store, respondent: str, values: dict[tuple[str, str], str], ref: str) -> None:
    answer_set = answer_store.AnswerSet(
        service_id=respondent, source=AnswerSource.WORKBOOK, submitted_by="officer", source_ref=ref
    )
    items = [
        Answer(
            service_id=respondent,
            control_id=control,
            question_id=question,
            value=value,
            answered_by=f"{respondent} answerer",
            answered_at=AT,
            source=AnswerSource.WORKBOOK,
            source_ref=ref,
        )
        for (control, question), value in values.items()
    ]
    answer_store.save_answer_set(store, answer_set, items)


def _store(tmp_path: Path) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _save(
        store,
        ORGANISATION_ID,
        {
            ("HUM-5.2-001", "q1"): "2026-04-01",
            ("OPS-7.6-001", "q1"): "yes",
            ("ORG-1-001", "q1"): "yes",  # not a city-wide control: never inherited
        },
        "city.xlsx",
    )
    _save(store, "alpha", {("OPS-7.6-001", "q1"): "no", ("TEC-6.1-001", "q1"): "yes"}, "alpha.xlsx")
    return store


def test_a_service_inherits_the_city_wide_answers_and_its_own_answer_overrides(tmp_path: Path) -> None:
    store = _store(tmp_path)
    alpha = answer_store.answers_in_force(store, "alpha", CITY_WIDE)
    assert alpha[("HUM-5.2-001", "q1")].from_organisation
    assert alpha[("HUM-5.2-001", "q1")].source_ref == "city.xlsx"
    assert alpha[("OPS-7.6-001", "q1")].value == "no" and not alpha[("OPS-7.6-001", "q1")].from_organisation
    assert ("ORG-1-001", "q1") not in alpha
    assert alpha[("TEC-6.1-001", "q1")].value == "yes"


def test_a_service_without_answers_of_its_own_gets_only_the_city_wide_ones(tmp_path: Path) -> None:
    store = _store(tmp_path)
    both = answer_store.answers_in_force_of(store, ["alpha", "beta"], CITY_WIDE)
    assert set(both["beta"]) == {("HUM-5.2-001", "q1"), ("OPS-7.6-001", "q1")}
    assert both["beta"][("OPS-7.6-001", "q1")].value == "yes"
    assert both["alpha"] == answer_store.answers_in_force(store, "alpha", CITY_WIDE)
    assert answer_store.answers_in_force(store, "beta", frozenset()) == {}


def test_the_organisation_import_is_logged_like_a_service_import(tmp_path: Path) -> None:
    store = _store(tmp_path)
    first = audit_log.entries(store)[0]
    assert (first.action, first.subject, first.actor) == ("answers.import", ORGANISATION_ID, "officer")
    assert first.details["ref"] == "city.xlsx"
