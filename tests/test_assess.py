"""Assessment rules (table-driven, mirrored in docs/assessment.md), trails, reviews and scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from secaudit.assess import apply_review, assess, score
from secaudit.model import Check, ControlResult, ResultStatus, RunStatus, ScanRun
from secaudit.model.control import ScanCadence
from secaudit.model.result import Review
from tests.assessment_data import (
    NOW,
    TODAY,
    answer,
    answers,
    catalog,
    choice,
    control,
    observation,
    service,
    text,
    yes_no,
)

FOLLOW_UP = [yes_no("q1"), choice("q2", depends_on={"question": "q1", "answer_in": ["yes"]})]
INDEPENDENT = [yes_no("q1"), choice("q2")]


def judge(
    questions: list[dict[str, Any]] | None, checks: list[str] | None, given: dict[str, Any], seen: list
) -> ControlResult:
    ctl = control(questions=questions, checks=checks)
    (result,) = assess(service(), catalog(ctl), answers(ctl.id, **given), seen, today=TODAY)
    return result


QUESTION_RULES = [
    ("all compliant", FOLLOW_UP, {"q1": "yes", "q2": "done"}, "pass"),
    ("a partial answer", FOLLOW_UP, {"q1": "yes", "q2": "planned"}, "partial"),
    ("a non-compliant answer; follow-up skipped", FOLLOW_UP, {"q1": "no"}, "fail"),
    ("non-compliant follow-up", FOLLOW_UP, {"q1": "yes", "q2": "none"}, "fail"),
    ("asked follow-up unanswered", FOLLOW_UP, {"q1": "yes"}, "awaiting_answer"),
    ("nothing answered", FOLLOW_UP, {}, "awaiting_answer"),
    ("n/a answer; follow-up condition not met", FOLLOW_UP, {"q1": "na"}, "not_applicable"),
    ("answer outside the choices", FOLLOW_UP, {"q1": "maybe"}, "error"),
    ("every answer n/a", INDEPENDENT, {"q1": "na", "q2": "na"}, "not_applicable"),
    ("n/a is neutral beside a pass", INDEPENDENT, {"q1": "na", "q2": "done"}, "pass"),
    ("fail wins over a missing answer", INDEPENDENT, {"q1": "no"}, "fail"),
    ("a partial waits for missing answers", INDEPENDENT, {"q2": "planned"}, "awaiting_answer"),
    ("partial beside pass", INDEPENDENT, {"q1": "yes", "q2": "planned"}, "partial"),
    ("text is informational", [yes_no("q1"), text("q9")], {"q1": "yes"}, "pass"),
    ("optional question unanswered", [yes_no("q1"), choice("q2", required=False)], {"q1": "yes"}, "pass"),
]


@pytest.mark.parametrize(("case", "questions", "given", "expected"), QUESTION_RULES, ids=[c[0] for c in QUESTION_RULES])
def test_question_rules(case: str, questions: list, given: dict, expected: str) -> None:
    assert judge(questions, None, given, []).status is ResultStatus(expected), case


CHECKS = ["tls.a", "tls.b"]
CHECK_RULES = [
    (
        "every check passes on every target",
        [("tls.a", "pass", "h1"), ("tls.a", "pass", "h2"), ("tls.b", "pass", "h1")],
        "pass",
    ),
    ("worst target wins", [("tls.a", "pass", "h1"), ("tls.a", "fail", "h2"), ("tls.b", "pass", "h1")], "fail"),
    ("an error is never a pass", [("tls.a", "error", "h1"), ("tls.b", "pass", "h1")], "error"),
    ("a fail beside an error is a fail", [("tls.a", "error", "h1"), ("tls.b", "fail", "h1")], "fail"),
    (
        "an error on one target, pass on another",
        [("tls.a", "pass", "h1"), ("tls.a", "error", "h2"), ("tls.b", "pass", "h1")],
        "error",
    ),
    ("a check without observation", [("tls.a", "pass", "h1")], "not_scanned"),
    ("no observation at all", [], "not_scanned"),
    ("an error beside a missing check", [("tls.a", "error", "h1")], "error"),
    ("a check that did not run is never a pass", [("tls.a", "not_run", "h1"), ("tls.b", "pass", "h1")], "not_scanned"),
    (
        "not run on one target, pass on another",
        [("tls.a", "pass", "h1"), ("tls.a", "not_run", "h2"), ("tls.b", "pass", "h1")],
        "not_scanned",
    ),
    ("a fail beside a check that did not run", [("tls.a", "not_run", "h1"), ("tls.b", "fail", "h1")], "fail"),
    ("an error beside a check that did not run", [("tls.a", "not_run", "h1"), ("tls.b", "error", "h1")], "error"),
]


@pytest.mark.parametrize(("case", "seen", "expected"), CHECK_RULES, ids=[c[0] for c in CHECK_RULES])
def test_check_rules(case: str, seen: list, expected: str) -> None:
    observations = [observation(c, s, t) for c, s, t in seen]
    assert judge(None, CHECKS, {}, observations).status is ResultStatus(expected), case


# A failed check weighs by its severity against the control's (docs/assessment.md): it fails the
# control when at most one level below it; two or more levels below, it makes the control partial.
SEVERITY_RULES = [
    ("low", "low", "fail"),
    ("low", "medium", "fail"),
    ("low", "high", "partial"),
    ("low", "critical", "partial"),
    ("medium", "high", "fail"),
    ("medium", "critical", "partial"),
    ("high", "critical", "fail"),
    ("high", "high", "fail"),
    ("critical", "low", "fail"),
]


@pytest.mark.parametrize(("check_severity", "control_severity", "expected"), SEVERITY_RULES)
def test_a_failed_check_weighs_by_its_severity(check_severity: str, control_severity: str, expected: str) -> None:
    ctl = control(checks=["tls.a"], severity=control_severity)
    cat = catalog(ctl)
    cat.checks["tls.a"] = Check.model_validate(
        {
            "id": "tls.a",
            "probe": "tls",
            "title": {"ja": "t", "en": "t"},
            "severity": check_severity,
            "assertion": "protocols_offered_any",
        }
    )
    (result,) = assess(service(), cat, {}, [observation("tls.a", "fail")], today=TODAY)
    assert result.status is ResultStatus(expected)
    if expected == "partial":
        assert "lower-severity check failed (tls.a)" in result.reason


def test_a_low_check_beside_a_failing_high_check_still_fails_the_control() -> None:
    ctl = control(checks=["tls.a", "tls.b"], severity="high")
    cat = catalog(ctl)
    for check_id, severity in (("tls.a", "low"), ("tls.b", "high")):
        cat.checks[check_id] = Check.model_validate(
            {
                "id": check_id,
                "probe": "tls",
                "title": {"ja": "t", "en": "t"},
                "severity": severity,
                "assertion": "protocols_offered_any",
            }
        )
    seen = [observation("tls.a", "fail"), observation("tls.b", "fail")]
    (result,) = assess(service(), cat, {}, seen, today=TODAY)
    assert result.status is ResultStatus.FAIL


BOTH_RULES = [
    ("answer pass, check fail", {"q1": "yes", "q2": "done"}, "fail", "fail"),
    ("answer fail, check pass", {"q1": "no"}, "pass", "fail"),
    ("answer pass, check error", {"q1": "yes", "q2": "done"}, "error", "error"),
    ("answer fail, check error", {"q1": "no"}, "error", "fail"),
    ("answers n/a, check pass", {"q1": "na"}, "pass", "pass"),
    ("answer missing, check pass", {}, "pass", "awaiting_answer"),
    ("answer missing, check fail", {}, "fail", "fail"),
    ("answer partial, check pass", {"q1": "yes", "q2": "planned"}, "pass", "partial"),
    ("answer partial, check error", {"q1": "yes", "q2": "planned"}, "error", "error"),
    ("answer pass, not scanned", {"q1": "yes", "q2": "done"}, None, "not_scanned"),
]


@pytest.mark.parametrize(("case", "given", "check", "expected"), BOTH_RULES, ids=[c[0] for c in BOTH_RULES])
def test_controls_with_questions_and_checks(case: str, given: dict, check: str | None, expected: str) -> None:
    seen = [observation("tls.a", check)] if check else []
    assert judge(FOLLOW_UP, ["tls.a"], given, seen).status is ResultStatus(expected), case


@pytest.mark.parametrize(("age", "expected"), [(30, "pass"), (500, "partial"), (900, "fail"), (-3, "fail")])
def test_date_answers_are_judged_by_age(age: int, expected: str) -> None:
    q = {"id": "q1", "type": "date", "text": {"ja": "日付", "en": "Date"}, "max_age_days": 365, "partial_age_days": 730}
    assert judge([q], None, {"q1": TODAY - dt.timedelta(days=age)}, []).status is ResultStatus(expected)


def test_every_control_of_the_checklists_is_listed_with_why_it_does_not_apply() -> None:
    web = control("TEC-6.5-001", applies_if={"attr": "internet_facing", "equals": True}, questions=[yes_no()])
    org = control("ORG-1-001", severity="medium", questions=[yes_no()], control_type="organisational")
    results = assess(service(internet=False), catalog(web, org), {}, [], today=TODAY)
    assert [r.control_id for r in results] == ["TEC-6.5-001", "ORG-1-001"]
    assert results[0].status is ResultStatus.NOT_APPLICABLE
    assert "internet_facing" in results[0].reason
    assert results[1].status is ResultStatus.AWAITING_ANSWER


def test_trail_names_who_answered_when_and_from_which_workbook_and_what_was_scanned() -> None:
    result = judge(FOLLOW_UP, ["tls.a"], {"q1": "yes"}, [observation("tls.a", "fail", "https://localhost:8443/")])
    by_ref = {t.ref: t for t in result.trail}
    q1 = by_ref["TEC-6.1-001/q1"]
    assert (q1.kind, q1.verdict, q1.who, q1.at) == ("answer", "compliant", "山田", NOW)
    assert "answers.xlsx" in (q1.source or "")
    missing = by_ref["TEC-6.1-001/q2"]
    assert missing.verdict == "missing"
    scan = by_ref["tls.a"]
    assert (scan.kind, scan.verdict, scan.target, scan.baseline) == (
        "observation",
        "fail",
        "https://localhost:8443/",
        "Mozilla TLS 6.0",
    )
    assert "run-1" in (scan.source or "")


def test_skipped_follow_up_shows_in_the_trail() -> None:
    result = judge(FOLLOW_UP, None, {"q1": "no"}, [])
    assert [t.verdict for t in result.trail] == ["non_compliant", "skipped"]


def _review(result: ControlResult, status: str, basis: str | None = None) -> Review:
    return Review(
        control_id=result.control_id,
        result=ResultStatus(status),
        note="記録が不十分",
        reviewer="監査人 佐藤",
        at=NOW,
        basis=basis if basis is not None else result.basis,
    )


def test_review_overrides_the_self_assessment_and_shows_in_the_trail() -> None:
    ctl = control(questions=[yes_no()])
    given = answers(ctl.id, q1="yes")
    (before,) = assess(service(), catalog(ctl), given, [], today=TODAY)
    review = _review(before, "fail")
    (after,) = assess(service(), catalog(ctl), given, [], reviews={ctl.id: review}, today=TODAY)
    assert after.status is ResultStatus.FAIL
    assert after.self_assessed_status is ResultStatus.PASS
    assert after.overridden
    assert after.trail[-1].kind == "review" and after.trail[-1].who == "監査人 佐藤"
    assert "記録が不十分" in after.reason


def test_review_lapses_when_a_newer_answer_arrives() -> None:
    ctl = control(questions=[yes_no()])
    (before,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY)
    review = _review(before, "fail")
    newer = {(ctl.id, "q1"): answer(ctl.id, "q1", "yes", at=NOW + dt.timedelta(days=1))}
    (after,) = assess(service(), catalog(ctl), newer, [], reviews={ctl.id: review}, today=TODAY)
    assert after.status is ResultStatus.PASS
    assert not after.overridden
    assert after.trail[-1].verdict == "lapsed"


def test_review_lapses_when_a_new_scan_observes_the_control() -> None:
    ctl = control(checks=["tls.a"])
    (before,) = assess(service(), catalog(ctl), {}, [observation("tls.a", "pass")], today=TODAY)
    review = _review(before, "fail")
    rescan = [observation("tls.a", "pass", run_id="run-2", at=NOW + dt.timedelta(hours=1))]
    (after,) = assess(service(), catalog(ctl), {}, rescan, reviews={ctl.id: review}, today=TODAY)
    assert after.status is ResultStatus.PASS


def test_review_confirming_the_result_is_not_an_override() -> None:
    ctl = control(questions=[yes_no()])
    (before,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY)
    after = apply_review(before, _review(before, "pass"))
    assert after.status is ResultStatus.PASS and not after.overridden
    assert after.trail[-1].verdict == "pass"


def test_a_review_may_not_set_awaiting_answer() -> None:
    with pytest.raises(ValueError, match="a review sets one of"):
        Review(control_id="X-1-001", result=ResultStatus.AWAITING_ANSWER, note="n", reviewer="r", at=NOW, basis="b")


def _result(
    control_id: str, status: str, domain: str, ctype: str, severity: str, underlying: str | None = None
) -> ControlResult:
    return ControlResult(
        service_id="svc",
        control_id=control_id,
        checklist="test-list",
        domain=domain,
        control_type=ctype,
        severity=severity,
        title={"ja": "題", "en": "Title"},
        status=ResultStatus(status),
        underlying_status=ResultStatus(underlying) if underlying else None,
    )


HAND_COMPUTED = [
    _result("HUM-5.2-001", "pass", "HUM", "human", "medium"),
    _result("HUM-5.3-001", "pass", "HUM", "human", "high"),
    _result("HUM-5.4-001", "fail", "HUM", "human", "high"),
    _result("PHY-4.1-001", "not_applicable", "PHY", "physical", "medium"),
    _result("PHY-4.2-001", "not_applicable", "PHY", "physical", "medium"),
    _result("TEC-6.1-001", "waived", "TEC", "technical", "high", underlying="fail"),
    _result("TEC-6.1-002", "error", "TEC", "technical", "high"),
    _result("TEC-6.2-001", "partial", "TEC", "technical", "high"),
    _result("TEC-6.6-001", "pass", "TEC", "technical", "medium"),
    _result("ORG-1-001", "awaiting_answer", "ORG", "organisational", "medium"),
]


def test_overall_scores_by_hand() -> None:
    overall = score(HAND_COMPUTED).overall
    assert overall.counts[ResultStatus.PASS] == 3
    assert overall.counts[ResultStatus.WAIVED] == 1
    assert overall.counts[ResultStatus.NOT_APPLICABLE] == 2
    assert overall.applicable == 8  # 10 controls, 2 not applicable
    assert overall.assessed == 6  # 3 pass + 1 fail + 1 partial + 1 waived fail; error and awaiting are not assessed
    assert overall.pass_rate == 0.5  # 3 / 6: the waived control still counts as failing
    assert overall.pass_rate_after_waivers == 0.6667  # 4 / 6
    assert overall.coverage == 0.75  # 6 / 8


def test_scores_per_domain_type_and_severity_by_hand() -> None:
    scores = score(HAND_COMPUTED)
    hum = scores.by_domain["HUM"]
    assert (hum.applicable, hum.assessed, hum.pass_rate, hum.coverage) == (3, 3, 0.6667, 1.0)
    phy = scores.by_control_type["physical"]
    assert (phy.applicable, phy.assessed, phy.pass_rate, phy.coverage) == (0, 0, None, None)
    tec = scores.by_domain["TEC"]
    assert (tec.applicable, tec.assessed, tec.pass_rate, tec.pass_rate_after_waivers) == (4, 3, 0.3333, 0.6667)
    high = scores.by_severity["high"]
    assert (high.applicable, high.assessed, high.pass_rate) == (5, 4, 0.25)
    assert set(scores.by_control_type) == {"human", "physical", "technical", "organisational"}


LEAN_CASES = (
    [(q, None, given, []) for _, q, given, _ in QUESTION_RULES]
    + [(None, CHECKS, {}, [observation(c, s, t) for c, s, t in seen]) for _, seen, _ in CHECK_RULES]
    + [(FOLLOW_UP, ["tls.a"], given, [observation("tls.a", c)] if c else []) for _, given, c, _ in BOTH_RULES]
)


@pytest.mark.parametrize("case", range(len(LEAN_CASES)))
def test_without_a_trail_every_status_and_reason_is_the_same(case: int) -> None:
    questions, checks, given, seen = LEAN_CASES[case]
    ctl = control(questions=questions, checks=checks)
    full = assess(service(), catalog(ctl), answers(ctl.id, **given), seen, today=TODAY)
    lean = assess(service(), catalog(ctl), answers(ctl.id, **given), seen, today=TODAY, trail=False)
    assert [r.model_dump(exclude={"trail", "basis"}) for r in lean] == [
        r.model_dump(exclude={"trail", "basis"}) for r in full
    ]
    assert all(r.trail == [] and r.basis == "" for r in lean)


def test_without_a_trail_reviews_still_apply_and_lapse() -> None:
    ctl = control(questions=[yes_no()])
    given = answers(ctl.id, q1="yes")
    (before,) = assess(service(), catalog(ctl), given, [], today=TODAY)
    review = {ctl.id: _review(before, "fail")}
    (kept,) = assess(service(), catalog(ctl), given, [], reviews=review, today=TODAY, trail=False)
    assert kept.status is ResultStatus.FAIL and kept.overridden and kept.basis == before.basis
    newer = {(ctl.id, "q1"): answer(ctl.id, "q1", "yes", at=NOW + dt.timedelta(days=1))}
    (lapsed,) = assess(service(), catalog(ctl), newer, [], reviews=review, today=TODAY, trail=False)
    assert lapsed.status is ResultStatus.PASS and not lapsed.overridden


def cadence_control(max_age_days: int = 31) -> Any:
    """A regular-scanning control: one question on the planned frequency, judged on the scan run's date."""
    base = control("OPS-7.1-003", severity="medium", questions=[yes_no("q1")], domain="OPS")
    return base.model_copy(update={"scan_cadence": ScanCadence(max_age_days=max_age_days)})


def scan_run(age_days: int, status: RunStatus = RunStatus.COMPLETED) -> ScanRun:
    finished = NOW - dt.timedelta(days=age_days)
    return ScanRun(
        id=f"run-{age_days}",
        service_id="svc",
        profile="standard",
        started_at=finished - dt.timedelta(minutes=5),
        finished_at=finished,
        status=status,
        secaudit_version="test",
    )


@pytest.mark.parametrize(
    ("age_days", "expected"), [(10, ResultStatus.PASS), (31, ResultStatus.PASS), (40, ResultStatus.FAIL)]
)
def test_a_scan_cadence_is_judged_on_the_age_of_the_latest_run(age_days: int, expected: ResultStatus) -> None:
    ctl = cadence_control(31)
    failing_findings = [observation("ports.unexpected-open", "fail")]  # what the scan found does not count
    (result,) = assess(
        service(), catalog(ctl), answers(ctl.id, q1="yes"), failing_findings, today=TODAY, last_run=scan_run(age_days)
    )
    assert result.status is expected
    (step,) = [t for t in result.trail if t.ref == "scan_cadence"]
    assert step.source == f"scan run run-{age_days}"
    assert step.at is not None and step.at.date() == TODAY - dt.timedelta(days=age_days)
    if expected is ResultStatus.FAIL:
        assert "40 days ago" in result.reason and "at most 31 days" in result.reason
        assert "40日経過" in result.reason_ja and "31日以内" in result.reason_ja
        assert result.weakness is not None


def test_a_scan_cadence_without_any_run_is_unverified_never_a_pass() -> None:
    ctl = cadence_control()
    (result,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY, last_run=None)
    assert result.status is ResultStatus.NOT_SCANNED
    assert "never scanned" in result.reason and "検査の実行記録がない" in result.reason_ja


def test_an_unreachable_run_inspected_nothing_and_a_failing_answer_still_fails() -> None:
    """A run that reached no target is no regular inspection: unverified, never a pass."""
    ctl = cadence_control()
    unreachable = scan_run(3, RunStatus.UNREACHABLE)
    (ran,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY, last_run=unreachable)
    assert ran.status is ResultStatus.NOT_SCANNED
    assert "reached no target" in ran.reason and "対象に到達しておらず" in ran.reason_ja
    (answered_no,) = assess(service(), catalog(ctl), answers(ctl.id, q1="no"), [], today=TODAY, last_run=unreachable)
    assert answered_no.status is ResultStatus.FAIL


def test_a_newer_run_changes_the_evidence_basis_of_a_cadence_control() -> None:
    ctl = cadence_control()
    (older,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY, last_run=scan_run(10))
    (newer,) = assess(service(), catalog(ctl), answers(ctl.id, q1="yes"), [], today=TODAY, last_run=scan_run(2))
    assert older.basis != newer.basis
