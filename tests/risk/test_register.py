"""Risk ratings on both matrices, register entries, lifecycle across runs and waivers."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.assess import assess
from secaudit.model import ResultStatus, RiskStatus, Treatment, TreatmentKind
from secaudit.model.config import RiskMatrixKind
from secaudit.model.result import RiskLifecycle
from secaudit.risk.register import apply_waivers, build_register, risk_id, validate_treatment
from tests.assessment_data import NOW, TODAY, answers, catalog, control, observation, service, yes_no
from tests.risk.test_matrix import CONFIDENTIALITY_IMPACTS

FIVE, THREE = RiskMatrixKind.FIVE, RiskMatrixKind.THREE


def register_for(
    svc, severity: str, value: str, kind: RiskMatrixKind = FIVE, treatments=None, lifecycle=None, today=TODAY
):
    ctl = control(severity=severity, questions=[yes_no()])
    cat = catalog(ctl)
    results = assess(svc, cat, answers(ctl.id, q1=value), [], today=today)
    return results, build_register(svc, results, cat, kind, treatments or {}, lifecycle, today, now=NOW)


# The rating model of docs/risk.md, row by row. The test services sit on LGWAN (a separated network)
# unless internet-facing. Default controls protect confidentiality and integrity.
RATINGS = [
    # exposure and classification             severity  result  5x5 (L, I, level)     3x3 (L, I, level)
    (
        "internet, 機密性3B",
        dict(internet=True, personal=True, classification=("3B", 2, 2)),
        "high",
        "no",
        (4, 5, "Critical"),
        (3, 3, "高"),
    ),
    ("internal, 機密性2 完全性2", dict(), "medium", "no", (2, 4, "Medium"), (1, 3, "中")),
    ("internal, high control", dict(personal=True), "high", "no", (3, 4, "High"), (2, 3, "高")),
    ("internal, all classifications 1", dict(classification=(1, 1, 1)), "low", "no", (1, 1, "Low"), (1, 1, "低")),
    ("internal, critical control", dict(), "critical", "no", (4, 5, "Critical"), (3, 3, "高")),
    (
        "internet, critical control, 機密性3A",
        dict(internet=True, classification=("3A", 2, 2)),
        "critical",
        "no",
        (5, 5, "Critical"),
        (3, 3, "高"),
    ),
    (
        "internet, low control, 機密性3 (令和4年版)",
        dict(internet=True, classification=(3, 2, 2)),
        "low",
        "no",
        (2, 4, "Medium"),
        (1, 3, "中"),
    ),
    (
        "internet, 機密性3C",
        dict(internet=True, personal=True, classification=("3C", 1, 1)),
        "high",
        "no",
        (4, 4, "High"),
        (3, 3, "高"),
    ),
]


@pytest.mark.parametrize(("case", "attrs", "severity", "value", "five", "three"), RATINGS, ids=[r[0] for r in RATINGS])
def test_ratings_on_both_matrices(case, attrs, severity, value, five, three) -> None:
    svc = service(**attrs)
    for kind, expected in ((FIVE, five), (THREE, three)):
        _, (entry,) = register_for(svc, severity, value, kind)
        assert (entry.likelihood, entry.impact, entry.inherent_level) == expected, (case, kind)
        assert entry.matrix == kind.value
        assert "->" in entry.rationale and "\n" not in entry.rationale


def _partial_control(severity: str = "high"):
    return control(
        severity=severity,
        questions=[
            {
                "id": "q1",
                "type": "choice",
                "text": {"ja": "q", "en": "q"},
                "choices": [{"value": "some", "label": {"ja": "一部", "en": "Some"}}],
                "partial": ["some"],
            }
        ],
    )


def test_partial_is_one_step_less_likely_than_fail() -> None:
    svc = service(internet=True)
    ctl = _partial_control()
    cat = catalog(ctl)
    results = assess(svc, cat, answers(ctl.id, q1="some"), [], today=TODAY)
    (entry,) = build_register(svc, results, cat, FIVE, {}, None, TODAY, now=NOW)
    assert entry.result_status is ResultStatus.PARTIAL
    assert entry.likelihood == 3  # weakness high 3, -1 partly met, +1 internet-facing
    assert "weakness high 3 -1 partly met +1 internet-facing" in entry.rationale


def test_exposure_moves_likelihood_by_at_most_one_step() -> None:
    likelihoods = {}
    for name, svc in (
        ("LGWAN", service()),
        ("internet tier, not facing", service(tier="internet")),
        ("internet-facing", service(internet=True, personal=True)),
    ):
        _, (entry,) = register_for(svc, "medium", "no")
        likelihoods[name] = entry.likelihood
    # weakness medium 2; only Internet exposure moves it, by one step (personal data is in the impact)
    assert likelihoods == {"LGWAN": 2, "internet tier, not facing": 2, "internet-facing": 3}


def _check_control(check_severity: str, control_severity: str, protects=None):
    from secaudit.model import Check

    ctl = control(checks=["http.a"], severity=control_severity)
    if protects is not None:
        ctl = ctl.model_copy(update={"protects": protects})
    cat = catalog(ctl)
    cat.checks["http.a"] = Check.model_validate(
        {
            "id": "http.a",
            "probe": "http",
            "title": {"ja": "t", "en": "t"},
            "severity": check_severity,
            "assertion": "header_present",
            "parameters": {"header": "X"},
        }
    )
    return ctl, cat


def test_a_low_severity_leak_is_at_most_medium_on_an_internet_service_with_personal_data() -> None:
    """A version in the Server header: a low-severity check, under the low-severity leakage control or the
    high-severity hardening control that the catalog puts it in."""
    svc = service(internet=True, personal=True, classification=(3, 2, 2))
    for control_severity in ("low", "high"):
        ctl, cat = _check_control("low", control_severity)
        results = assess(svc, cat, {}, [observation("http.a", "fail")], today=TODAY)
        (entry,) = build_register(svc, results, cat, FIVE, {}, None, TODAY, now=NOW)
        assert entry.level_rank <= 2, (control_severity, entry.rationale)
        assert entry.weakness is not None and entry.weakness.value == "low"


def test_a_missing_mfa_for_administrators_stays_critical() -> None:
    """A high-severity control answered 'no' on an internet-facing service with 機密性3."""
    svc = service(internet=True, personal=True, classification=(3, 2, 2))
    _, (entry,) = register_for(svc, "high", "no")
    assert entry.inherent_level == "Critical"


def test_impact_follows_the_dimension_the_control_protects_not_always_the_highest() -> None:
    from secaudit.model import SecurityDimension

    svc = service(internet=True, classification=(3, 2, 1))
    impacts = {}
    for dims in ([SecurityDimension.CONFIDENTIALITY], [SecurityDimension.AVAILABILITY]):
        ctl, cat = _check_control("high", "high", protects=dims)
        results = assess(svc, cat, {}, [observation("http.a", "fail")], today=TODAY)
        (entry,) = build_register(svc, results, cat, FIVE, {}, None, TODAY, now=NOW)
        impacts[dims[0].value] = entry.impact
    assert impacts == {"confidentiality": 5, "availability": 2}


def test_rationale_explains_the_rating_in_one_line_in_both_languages() -> None:
    _, (entry,) = register_for(service(internet=True, personal=True, classification=("3B", 2, 2)), "high", "no")
    assert entry.rationale == (
        "likelihood 4 = weakness high 3 +1 internet-facing; impact 5 = confidentiality 3B 5; 4x5=20 -> Critical"
    )
    assert entry.rationale_ja == (
        "発生可能性 4 = 弱点の重大度 高 3 +1 インターネット公開、影響度 5 = 機密性3B 5、4×5=20 → 重大"
    )


@pytest.mark.parametrize(("level", "impact"), CONFIDENTIALITY_IMPACTS)
def test_confidentiality_impact_of_each_level(level: str, impact: int) -> None:
    from secaudit.model import SecurityDimension

    svc = service(classification=(level, 1, 1))
    ctl, cat = _check_control("medium", "medium", protects=[SecurityDimension.CONFIDENTIALITY])
    results = assess(svc, cat, {}, [observation("http.a", "fail")], today=TODAY)
    (entry,) = build_register(svc, results, cat, FIVE, {}, None, TODAY, now=NOW)
    assert entry.impact == impact
    assert f"impact {impact} = confidentiality {level} {impact}" in entry.rationale


def test_a_known_failure_keeps_its_rating_while_its_target_does_not_answer() -> None:
    """HSTS failed last week (a medium check); this week the target is down: the rating stays."""
    svc = service(internet=True, classification=(3, 2, 2))
    ctl, cat = _check_control("medium", "high")
    failed = assess(svc, cat, {}, [observation("http.a", "fail")], today=TODAY)
    (before,) = build_register(svc, failed, cat, FIVE, {}, None, TODAY, now=NOW)
    life = RiskLifecycle(
        risk_id=before.id,
        service_id="svc",
        control_id=ctl.id,
        first_seen=NOW,
        last_seen=NOW,
        last_result=before.result_status,
        last_weakness=before.weakness,
    )
    errored = assess(svc, cat, {}, [observation("http.a", "error")], today=TODAY)
    (after,) = build_register(svc, errored, cat, FIVE, {}, {before.id: life}, TODAY, now=NOW)
    assert (after.likelihood, after.impact, after.inherent_level) == (
        before.likelihood,
        before.impact,
        before.inherent_level,
    )
    assert "not reassessed" in after.rationale


def test_an_error_raises_no_risk() -> None:
    svc = service(internet=True, classification=(3, 2, 2))
    ctl, cat = _check_control("high", "high")
    errored = assess(svc, cat, {}, [observation("http.a", "error")], today=TODAY)
    assert errored[0].status is ResultStatus.ERROR
    assert build_register(svc, errored, cat, FIVE, {}, None, TODAY, now=NOW) == []


def test_entry_has_stable_id_and_risk_in_words() -> None:
    _, (entry,) = register_for(service(), "high", "no")
    assert entry.id == risk_id("svc", "TEC-6.1-001") == "R-svc-TEC-6.1-001"
    assert "満たされていない" in entry.description.ja and "理由" in entry.description.ja
    assert "is not met" in entry.description.en and "Because." in entry.description.en


def test_passing_controls_raise_no_risk() -> None:
    _, register = register_for(service(), "high", "yes")
    assert register == []


def _accept(expires: dt.date, decided_at: dt.datetime = NOW) -> Treatment:
    return Treatment(
        kind=TreatmentKind.ACCEPT,
        approver="CISO",
        justification="代替策",
        expires=expires,
        decided_by="CISO",
        decided_at=decided_at,
    )


def _life(**extra) -> RiskLifecycle:
    data = dict(
        risk_id="R-svc-TEC-6.1-001",
        service_id="svc",
        control_id="TEC-6.1-001",
        first_seen=NOW - dt.timedelta(days=30),
        last_seen=NOW - dt.timedelta(days=30),
        last_result=ResultStatus.FAIL,
    )
    return RiskLifecycle(**{**data, **extra})


RID = "R-svc-TEC-6.1-001"


def test_lifecycle_fail_accept_expire_resolve_reopen() -> None:
    svc = service()
    # run 1: the control fails; a new risk is open
    _, (entry,) = register_for(svc, "high", "no")
    assert entry.status is RiskStatus.OPEN and entry.first_seen == NOW and entry.reopened == 0
    life = _life()
    # accepted until next year: accepted, and the result shows as waived with the failure underneath
    results, (entry,) = register_for(
        svc, "high", "no", treatments={RID: _accept(TODAY + dt.timedelta(days=100))}, lifecycle={RID: life}
    )
    assert entry.status is RiskStatus.ACCEPTED and entry.first_seen == life.first_seen
    (waived,) = apply_waivers(results, [entry])
    assert waived.status is ResultStatus.WAIVED and waived.underlying_status is ResultStatus.FAIL
    assert waived.waived_by == RID
    # the acceptance has expired: open again
    later = TODAY + dt.timedelta(days=101)
    results, (entry,) = register_for(
        svc, "high", "no", treatments={RID: _accept(TODAY + dt.timedelta(days=100))}, lifecycle={RID: life}, today=later
    )
    assert entry.status is RiskStatus.OPEN and "expired" in entry.treatment_note
    assert apply_waivers(results, [entry])[0].status is ResultStatus.FAIL
    # the control passes: resolved, the date kept
    _, (entry,) = register_for(svc, "high", "yes", lifecycle={RID: life})
    assert entry.status is RiskStatus.RESOLVED and entry.resolved_at == NOW
    resolved_life = _life(resolved_at=NOW - dt.timedelta(days=5))
    _, (entry,) = register_for(svc, "high", "yes", lifecycle={RID: resolved_life})
    assert entry.resolved_at == NOW - dt.timedelta(days=5)
    # it fails again: reopened, and the acceptance from its previous life no longer counts
    old = _accept(TODAY + dt.timedelta(days=100), decided_at=NOW - dt.timedelta(days=20))
    _, (entry,) = register_for(svc, "high", "no", treatments={RID: old}, lifecycle={RID: resolved_life})
    assert entry.status is RiskStatus.REOPENED and entry.reopened == 1 and entry.treatment is None
    # once the store has recorded the reopening it stays reopened until treated
    reopened_life = _life(reopened=1, reopened_at=NOW - dt.timedelta(days=1))
    _, (entry,) = register_for(svc, "high", "no", lifecycle={RID: reopened_life})
    assert entry.status is RiskStatus.REOPENED
    fresh = _accept(TODAY + dt.timedelta(days=10))
    _, (entry,) = register_for(svc, "high", "no", treatments={RID: fresh}, lifecycle={RID: reopened_life})
    assert entry.status is RiskStatus.ACCEPTED


def test_mitigation_plan_means_treating_with_residual_level() -> None:
    plan = Treatment(
        kind=TreatmentKind.MITIGATE,
        owner="情報政策課",
        plan="MFA を導入",
        due=TODAY + dt.timedelta(days=30),
        residual_likelihood=1,
        residual_impact=3,
        decided_by="佐藤",
        decided_at=NOW,
    )
    _, (entry,) = register_for(service(personal=True), "high", "no", treatments={RID: plan})
    assert entry.status is RiskStatus.TREATING
    assert (entry.inherent_level, entry.residual_level) == ("High", "Low")
    assert "MFA を導入" in entry.treatment_note and "情報政策課" in entry.treatment_note


def test_overdue_plan_is_flagged() -> None:
    plan = Treatment(
        kind=TreatmentKind.MITIGATE,
        owner="課",
        plan="直す",
        due=TODAY - dt.timedelta(days=1),
        decided_by="佐藤",
        decided_at=NOW,
    )
    _, (entry,) = register_for(service(), "high", "no", treatments={RID: plan})
    assert "overdue" in entry.treatment_note


def test_unassessed_control_keeps_its_open_risk() -> None:
    ctl = control(questions=[yes_no()])
    cat = catalog(ctl)
    results = assess(service(), cat, {}, [], today=TODAY)
    assert results[0].status is ResultStatus.AWAITING_ANSWER
    (entry,) = build_register(service(), results, cat, FIVE, {}, {RID: _life()}, TODAY, now=NOW)
    assert entry.status is RiskStatus.OPEN
    assert entry.result_status is ResultStatus.FAIL
    assert entry.rationale.startswith("not reassessed (now awaiting_answer)")
    assert entry.rationale_ja.startswith("今回の結果では再評価できないため、前回の評価による: 発生可能性")


@pytest.mark.parametrize(
    ("treatment", "problem"),
    [
        (dict(kind="accept", approver="CISO", justification="j"), "expires"),
        (dict(kind="accept", justification="j", expires=TODAY), "approver"),
        (dict(kind="accept", approver="CISO", justification="  ", expires=TODAY), "justification"),
        (dict(kind="mitigate", plan="p"), "owner"),
        (dict(kind="transfer", owner="o"), "plan"),
        (dict(kind="avoid", owner="o", plan="p", residual_impact=4), "residual_impact"),
    ],
)
def test_treatment_requirements(treatment: dict, problem: str) -> None:
    t = Treatment(decided_by="x", decided_at=NOW, **treatment)
    problems = validate_treatment(t, matrix_size=3)
    assert any(p.startswith(problem) for p in problems), problems


def test_complete_treatments_pass_validation() -> None:
    assert validate_treatment(_accept(TODAY)) == []
    assert validate_treatment(Treatment(kind="avoid", owner="o", plan="p", decided_by="x", decided_at=NOW)) == []


def test_the_shipped_catalog_rates_a_version_banner_at_most_medium_and_missing_admin_mfa_critical() -> None:
    """Issue 15 on the demo service (Internet-facing, personal data, 機密性3B): ratings that rank."""
    import datetime as dt
    from pathlib import Path

    from secaudit.assess import assess
    from secaudit.catalog import load_catalog
    from secaudit.inventory import load_service
    from secaudit.model import Answer, AnswerSource, Observation, ObservationStatus
    from secaudit.model.classification import ClassificationScheme
    from secaudit.risk.register import build_register
    from secaudit.workspace import builtin_layer

    catalog = load_catalog([builtin_layer()])
    repo = Path(__file__).resolve().parents[2]
    svc = load_service(
        repo / "examples" / "services" / "kosodate-portal.yaml", catalog.checklists, ClassificationScheme.R6
    )
    at = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    leak = Observation(
        run_id="r1",
        service_id=svc.id,
        check_id="http.server-version-hidden",
        target="https://localhost:8443/",
        status=ObservationStatus.FAIL,
        evidence="Server: DemoPortal/1.4.2",
        observed_at=at,
    )
    no_mfa = Answer(
        service_id=svc.id,
        control_id="HUM-5.4-001",
        question_id="q1",
        value="no",
        answered_by="山田 花子",
        answered_at=at,
        source=AnswerSource.WORKBOOK,
    )
    results = assess(svc, catalog, {("HUM-5.4-001", "q1"): no_mfa}, [leak], today=at.date())
    register = {e.control_id: e for e in build_register(svc, results, catalog, "5x5", {}, today=at.date())}
    banner = [
        e
        for e in register.values()
        if "http.server-version-hidden" in {r.check for r in catalog.controls[e.control_id].checks}
    ]
    assert banner and all(e.residual_level in ("Low", "Medium") for e in banner), [
        (e.control_id, e.residual_level) for e in banner
    ]
    assert register["HUM-5.4-001"].residual_level == "Critical"
