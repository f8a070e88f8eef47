"""The launch decision, clause by clause."""

from __future__ import annotations

import datetime as dt
import re

from secaudit.assess import assess
from secaudit.gate import decide
from secaudit.model import DecisionKind, GatePolicy, RunStatus, ScanRun, Treatment
from secaudit.model.config import RiskMatrixKind
from secaudit.risk.register import apply_waivers, build_register
from tests.assessment_data import NOW, TODAY, answers, catalog, control, observation, service, yes_no

HIGH = control("HUM-5.4-001", severity="high", questions=[yes_no()], control_type="human")
MEDIUM = control("TEC-6.6-001", severity="medium", questions=[yes_no()])
LOW = control("ORG-1-001", severity="low", questions=[yes_no()], control_type="organisational")
SCANNED = control("TEC-6.1-002", severity="medium", checks=["ports.unexpected-open"])


def run(age_days: int = 1) -> ScanRun:
    when = NOW - dt.timedelta(days=age_days)
    return ScanRun(
        id="run-1",
        service_id="svc",
        profile="standard",
        started_at=when,
        finished_at=when,
        status=RunStatus.COMPLETED,
        secaudit_version="t",
    )


def gate(
    controls=(HIGH, MEDIUM, LOW),
    given=None,
    seen=(),
    treatments=None,
    policy=None,
    last_run="fresh",
    svc=None,
    strict=False,
    matrix=RiskMatrixKind.FIVE,
):
    """Assess, build the register and decide, as evaluate_service does."""
    svc = svc or service()
    cat = catalog(*controls)
    given = given if given is not None else {c.id: "yes" for c in controls if c.questions}
    store_answers = {}
    for control_id, value in given.items():
        store_answers.update(answers(control_id, q1=value))
    results = assess(svc, cat, store_answers, list(seen), today=TODAY)
    register = build_register(svc, results, cat, matrix, treatments or {}, None, TODAY, now=NOW)
    results = apply_waivers(results, register)
    latest = run() if last_run == "fresh" else last_run
    return decide(svc, results, register, policy or GatePolicy(), latest, list(seen), NOW, strict=strict)


def clauses(decision) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for reason in decision.reasons:
        found.setdefault(reason.clause, []).append(reason.message)
    return found


def plan(owner: str = "情報政策課") -> Treatment:
    return Treatment(
        kind="mitigate",
        owner=owner,
        plan="設定を変更",
        due=TODAY + dt.timedelta(days=30),
        decided_by="佐藤",
        decided_at=NOW,
    )


def accept(days: int) -> Treatment:
    return Treatment(
        kind="accept",
        approver="CISO",
        justification="代替策",
        expires=TODAY + dt.timedelta(days=days),
        decided_by="CISO",
        decided_at=NOW,
    )


def test_all_compliant_is_go() -> None:
    decision = gate()
    assert decision.decision is DecisionKind.GO
    assert list(clauses(decision)) == ["clear"]


def test_open_high_risk_is_no_go_naming_it() -> None:
    decision = gate(given={"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"}, svc=service(personal=True))
    assert decision.decision is DecisionKind.NO_GO
    (message,) = clauses(decision)["open-risk"]
    assert "R-svc-HUM-5.4-001 (High, open)" in message
    assert decision.reasons[0].refs == ["R-svc-HUM-5.4-001", "HUM-5.4-001"]


def test_a_plan_does_not_unblock_a_high_risk() -> None:
    decision = gate(
        given={"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"},
        svc=service(personal=True),
        treatments={"R-svc-HUM-5.4-001": plan()},
    )
    assert decision.decision is DecisionKind.NO_GO
    assert "treating" in clauses(decision)["open-risk"][0]


def test_accepted_high_risk_is_not_named_until_the_acceptance_expires() -> None:
    given = {"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"}
    decision = gate(given=given, svc=service(personal=True), treatments={"R-svc-HUM-5.4-001": accept(30)})
    assert decision.decision is DecisionKind.GO
    assert all("R-svc-HUM-5.4-001" not in r.message for r in decision.reasons)
    assert "1 risk(s) accepted" in clauses(decision)["accepted"][0]
    expired = gate(given=given, svc=service(personal=True), treatments={"R-svc-HUM-5.4-001": accept(-1)})
    assert expired.decision is DecisionKind.NO_GO
    assert "R-svc-HUM-5.4-001" in clauses(expired)["open-risk"][0]


def test_medium_risk_with_a_plan_is_conditional() -> None:
    decision = gate(
        given={"HUM-5.4-001": "yes", "TEC-6.6-001": "no", "ORG-1-001": "yes"}, treatments={"R-svc-TEC-6.6-001": plan()}
    )
    assert decision.decision is DecisionKind.CONDITIONAL
    assert "設定を変更" in clauses(decision)["treatment-plan"][0]


def test_medium_risk_without_a_plan_is_conditional_and_says_so() -> None:
    given = {"HUM-5.4-001": "yes", "TEC-6.6-001": "no", "ORG-1-001": "yes"}
    decision = gate(given=given)
    assert decision.decision is DecisionKind.CONDITIONAL
    assert "no treatment plan" in clauses(decision)["no-treatment-plan"][0]
    blocked = gate(given=given, policy=GatePolicy(block_unplanned=True))
    assert blocked.decision is DecisionKind.NO_GO
    assert gate(given=given, strict=True).decision is DecisionKind.NO_GO


def test_low_risks_do_not_hold_up_the_launch() -> None:
    decision = gate(given={"HUM-5.4-001": "yes", "TEC-6.6-001": "yes", "ORG-1-001": "no"})
    assert decision.decision is DecisionKind.GO
    assert "R-svc-ORG-1-001" in clauses(decision)["low-risks"][0]


def test_block_and_conditional_thresholds_come_from_the_policy() -> None:
    given = {"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"}
    relaxed = GatePolicy(block_at="critical", conditional_at="high")
    decision = gate(given=given, svc=service(personal=True), policy=relaxed, treatments={"R-svc-HUM-5.4-001": plan()})
    assert decision.decision is DecisionKind.CONDITIONAL


def test_three_by_three_high_blocks() -> None:
    decision = gate(
        given={"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"},
        svc=service(personal=True),
        matrix=RiskMatrixKind.THREE,
    )
    assert decision.decision is DecisionKind.NO_GO
    assert "(高, open)" in clauses(decision)["open-risk"][0]


def test_missing_required_answers_block_unless_the_policy_waives_them() -> None:
    decision = gate(given={"HUM-5.4-001": "yes", "TEC-6.6-001": "yes"})
    assert decision.decision is DecisionKind.NO_GO
    assert "ORG-1-001" in clauses(decision)["answers"][0]
    assert (
        gate(given={"HUM-5.4-001": "yes", "TEC-6.6-001": "yes"}, policy=GatePolicy(require_answers=False)).decision
        is DecisionKind.GO
    )


def test_missing_scan_blocks_only_with_scope_and_scan_verified_controls() -> None:
    controls = (HIGH, SCANNED)
    decision = gate(controls=controls, last_run=None)
    assert decision.decision is DecisionKind.NO_GO
    assert "no completed scan" in clauses(decision)["scan-missing"][0]
    assert "scan-missing" not in clauses(gate(controls=controls, last_run=None, svc=service(scope=False)))
    assert "scan-missing" not in clauses(gate(controls=(HIGH,), last_run=None))
    relaxed = gate(controls=controls, last_run=None, policy=GatePolicy(require_scan=False))
    assert not {"scan-missing", "scan-stale", "scan-errors"} & set(clauses(relaxed))


def test_stale_scan_blocks() -> None:
    seen = [observation("ports.unexpected-open", "pass")]
    assert gate(controls=(HIGH, SCANNED), seen=seen, last_run=run(age_days=10)).decision is DecisionKind.GO
    decision = gate(controls=(HIGH, SCANNED), seen=seen, last_run=run(age_days=31))
    assert decision.decision is DecisionKind.NO_GO
    assert "31 days old" in clauses(decision)["scan-stale"][0]
    tighter = gate(
        controls=(HIGH, SCANNED), seen=seen, last_run=run(age_days=10), policy=GatePolicy(max_scan_age_days=7)
    )
    assert "scan-stale" in clauses(tighter)


def test_errored_scan_blocks() -> None:
    decision = gate(controls=(HIGH, SCANNED), seen=[observation("ports.unexpected-open", "error")])
    assert decision.decision is DecisionKind.NO_GO
    assert "1 check(s) errored" in clauses(decision)["scan-errors"][0]


def test_checks_the_scan_did_not_run_block() -> None:
    decision = gate(controls=(HIGH, SCANNED), seen=[])
    assert decision.decision is DecisionKind.NO_GO
    assert "TEC-6.1-002" in clauses(decision)["scan-incomplete"][0]


def test_decision_records_the_policy_it_applied() -> None:
    decision = gate(strict=True)
    assert decision.strict and decision.policy["block_unplanned"] and decision.policy["block_at"] == "high"


def test_every_reason_is_also_written_in_japanese() -> None:
    decisions = [
        gate(),
        gate(given={"HUM-5.4-001": "no", "TEC-6.6-001": "yes", "ORG-1-001": "yes"}, svc=service(personal=True)),
        gate(controls=(HIGH, SCANNED), seen=[observation("ports.unexpected-open", "error")]),
        gate(controls=(HIGH, SCANNED), seen=[observation("ports.unexpected-open", "pass")], last_run=run(age_days=31)),
    ]
    reasons = [r for d in decisions for r in d.reasons]
    assert {r.clause for r in reasons} >= {"clear", "open-risk", "scan-errors", "scan-stale"}
    for reason in reasons:
        assert reason.message_ja and any(
            "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in reason.message_ja
        )
    open_risk = next(r for r in reasons if r.clause == "open-risk")
    assert open_risk.message_ja.startswith("R-svc-HUM-5.4-001（高、未対応）")
    # no English word in the Japanese reasons: levels, severities, statuses and treatments in Japanese
    for reason in reasons:
        words = set(re.findall(r"\b[A-Za-z]+\b", re.sub(r"[\w.-]*[-/][\w.-]*", "", reason.message_ja or "")))
        vocabulary = {"low", "medium", "high", "critical", "open", "treating", "accepted", "reopened", "mitigate"}
        assert not {w.lower() for w in words} & vocabulary, reason.message_ja
