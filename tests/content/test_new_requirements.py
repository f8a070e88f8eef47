"""Issue 16's new requirements: each topic is in the catalog and applies to exactly the services it concerns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from secaudit.assess import assess
from secaudit.catalog import Catalog, load_catalog
from secaudit.inventory import load_service
from secaudit.model import Answer, ResultStatus, Service
from secaudit.model.classification import ClassificationScheme
from secaudit.model.condition import FACT_LABELS, FACT_NAMES, explain
from secaudit.model.control import QuestionType
from secaudit.model.evidence import AnswerSource
from secaudit.model.service import Attributes
from secaudit.workspace import builtin_layer

R6 = ClassificationScheme.R6
REPO = Path(__file__).resolve().parents[2]
EVERY_CHECKLIST = ["mic-baseline", "web-service", "cloud-saas", "online-payment"]

# topic -> (checklist, control ids)
TOPICS: dict[str, tuple[str, set[str]]] = {
    "standard_system": ("mic-baseline", {"TEC-6.3-006"}),
    "gov_cloud": ("mic-baseline", {"VEND-8.3-007", "NET-3-014", "VEND-8.2-004"}),
    "generative_ai": ("mic-baseline", {"HUM-5.1-006", "ASSET-2-011", "VEND-8.3-006", "HUM-5.1-007"}),
    "ai_chatbot": ("mic-baseline", {"TEC-6.3-007"}),
    "remote_access": ("mic-baseline", {"TEC-6.6-004", "TEC-6.2-007", "TEC-6.2-008"}),
    "wireless": ("mic-baseline", {"TEC-6.1-010", "TEC-6.1-011"}),
    "outsourcing": ("mic-baseline", {"VEND-8.1-005", "VEND-8.1-006", "VEND-8.2-005", "VEND-8.2-006"}),
    "publication": ("mic-baseline", {"ASSET-2-012", "ASSET-2-013", "TEC-6.1-012"}),
    "payment": ("online-payment", {"PAY-8.1-001", "PAY-7.5-001", "PAY-6.3-003"}),
}
NEW_IDS = {cid for _, ids in TOPICS.values() for cid in ids}
ASK_THE_CONTRACTOR = "委託事業者に確認のうえ回答してください"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([builtin_layer()])


def example(name: str) -> Service:
    """An example service, audited against every shipped checklist."""
    service = load_service(REPO / "examples" / "services" / f"{name}.yaml", EVERY_CHECKLIST, R6)
    return service.model_copy(update={"checklists": EVERY_CHECKLIST})


def with_attributes(service: Service, **changes: Any) -> Service:
    """``service`` with some attributes changed (validated again, so a wrong value fails here)."""
    attributes = Attributes.model_validate(service.attributes.model_dump() | changes)
    return service.model_copy(update={"attributes": attributes})


def applicable(catalog: Catalog, service: Service) -> set[str]:
    return {c.id for c in catalog.applicable_controls(service)}


def test_every_topic_is_in_its_checklist_at_the_end(catalog: Catalog) -> None:
    for topic, (checklist, ids) in TOPICS.items():
        in_checklist = {c.id for c in catalog.controls_of([checklist])}
        assert ids <= in_checklist, (topic, ids - in_checklist)
    # appended, so that the existing controls keep their order and place in the file
    for checklist in ("mic-baseline", "online-payment"):
        order = [c.id for c in catalog.controls_of([checklist])]
        new = [i for i, cid in enumerate(order) if cid in NEW_IDS]
        assert new == list(range(len(order) - len(new), len(order))), checklist


def test_every_attribute_is_a_fact_with_words_in_both_languages() -> None:
    service = example("kosodate-portal")
    assert set(service.facts()) == FACT_NAMES == set(FACT_LABELS)
    assert set(Attributes.model_fields) <= FACT_NAMES
    for name in ("standard_system", "gov_cloud", "generative_ai", "remote_access"):
        ja, en = FACT_LABELS[name]
        assert ja and en and ja != en, name
        assert Attributes.model_fields[name].default is False, name


@pytest.mark.parametrize(
    ("attribute", "topic"),
    [
        ("standard_system", "standard_system"),
        ("gov_cloud", "gov_cloud"),
        ("generative_ai", "generative_ai"),
        ("remote_access", "remote_access"),
        ("outsourced", "outsourcing"),
        ("internet_facing", "publication"),
        ("payment", "payment"),
    ],
)
def test_a_topic_follows_its_attribute(catalog: Catalog, attribute: str, topic: str) -> None:
    ids = TOPICS[topic][1]
    for base in ("kosodate-portal", "zeimu-lgwan", "mynumber-kyufu"):
        on = applicable(catalog, with_attributes(example(base), **{attribute: True}))
        off = applicable(catalog, with_attributes(example(base), **{attribute: False}))
        assert ids <= on, (base, attribute, ids - on)
        assert not ids & off, (base, attribute, ids & off)


def test_the_chatbot_control_needs_generative_ai_and_a_public_service(catalog: Catalog) -> None:
    chatbot = TOPICS["ai_chatbot"][1]
    portal = example("kosodate-portal")
    assert chatbot <= applicable(catalog, with_attributes(portal, generative_ai=True))
    assert not chatbot & applicable(catalog, with_attributes(portal, generative_ai=False))
    internal = with_attributes(example("zeimu-lgwan"), generative_ai=True)
    assert TOPICS["generative_ai"][1] <= applicable(catalog, internal)
    assert not chatbot & applicable(catalog, internal)


def test_wireless_lan_applies_to_the_internal_tiers_and_to_the_citys_own_servers(catalog: Catalog) -> None:
    wireless = TOPICS["wireless"][1]
    assert wireless <= applicable(catalog, example("zeimu-lgwan"))  # LGWAN tier, on premises
    assert wireless <= applicable(catalog, example("mynumber-kyufu"))  # My Number tier, IaaS
    assert not wireless & applicable(catalog, example("kosodate-portal"))  # Internet tier SaaS
    on_premises_web = with_attributes(example("kosodate-portal"), cloud="none")
    assert wireless <= applicable(catalog, on_premises_web)


def test_the_example_services_get_the_topics_they_declare(catalog: Catalog) -> None:
    portal = applicable(catalog, example("kosodate-portal"))
    kyufu = applicable(catalog, example("mynumber-kyufu"))
    zeimu = applicable(catalog, example("zeimu-lgwan"))
    assert TOPICS["generative_ai"][1] | TOPICS["ai_chatbot"][1] | TOPICS["payment"][1] <= portal
    assert not TOPICS["generative_ai"][1] & (kyufu | zeimu)
    assert TOPICS["gov_cloud"][1] | TOPICS["remote_access"][1] <= kyufu
    assert not TOPICS["gov_cloud"][1] & (portal | zeimu)
    assert TOPICS["standard_system"][1] <= portal & kyufu & zeimu
    assert not (TOPICS["outsourcing"][1] | TOPICS["publication"][1]) & zeimu


def test_an_exclusion_names_the_new_attribute_in_both_languages(catalog: Catalog) -> None:
    control = catalog.controls["HUM-5.1-006"]
    reason = explain(control.applies_if, example("zeimu-lgwan").facts())
    assert reason.en == "excluded: requires generative_ai = true, but this service has generative_ai = false"
    assert "生成AIの利用がいいえ" in reason.ja


def test_questions_the_owner_cannot_answer_alone_send_them_to_the_contractor(catalog: Catalog) -> None:
    must_ask = {
        "VEND-8.3-007",
        "NET-3-014",
        "VEND-8.2-004",
        "TEC-6.6-004",
        "TEC-6.2-008",
        "VEND-8.1-005",
        "VEND-8.2-005",
        "VEND-8.2-006",
        "PAY-7.5-001",
        "PAY-6.3-003",
    }
    for cid in must_ask:
        first = catalog.controls[cid].questions[0]
        # marked once, in the model: the guidance says 委託事業者に確認のうえ回答 and the evidence is required
        assert first.ask_contractor and first.requires_evidence, cid
        assert ASK_THE_CONTRACTOR not in first.text.ja, cid  # said by the guidance, not repeated in the question
    # the secure-coding questions of the web checklist too
    web = [q for c in catalog.controls.values() if c.id.startswith("WEB-6.3-") for q in c.questions if q.ask_contractor]
    assert len(web) >= 8


def test_every_new_control_asks_and_wants_a_document(catalog: Catalog) -> None:
    for cid in NEW_IDS:
        control = catalog.controls[cid]
        assert control.questions and control.evidence_examples, cid
        assert any(q.requires_evidence for q in control.questions) or cid in {"HUM-5.1-007", "ASSET-2-013"}, cid
        assert control.audit.design.ja != control.audit.operation.ja, cid


SAQS = {"saq_a", "saq_a_ep", "saq_d"}


def test_the_payment_owner_states_the_integration_and_the_saq(catalog: Catalog) -> None:
    control = catalog.controls["PAY-6.3-003"]
    integration = control.questions[0]
    assert integration.type is QuestionType.CHOICE
    assert {c.value for c in integration.choices} == {"redirect", "iframe", "direct_post", "javascript", "server_side"}
    saq_questions = [q for q in control.questions if q.depends_on is not None]
    assert len(saq_questions) == 3
    asked_after: set[str] = set()
    for question in saq_questions:
        assert question.depends_on is not None and question.depends_on.question == integration.id
        assert {c.value for c in question.choices} >= SAQS, question.id
        assert any("SAQ A-EP" in c.label.en for c in question.choices)
        asked_after |= set(question.depends_on.answer_in)
    assert asked_after == {c.value for c in integration.choices}, "every integration leads to one SAQ question"


def _answers(control_id: str, values: dict[str, str]) -> dict[tuple[str, str], Answer]:
    at = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    return {
        (control_id, qid): Answer(
            service_id="kosodate-portal",
            control_id=control_id,
            question_id=qid,
            value=value,
            evidence="決済代行事業者の接続仕様書",
            answered_by="所管課",
            answered_at=at,
            source=AnswerSource.FILE,
        )
        for qid, value in values.items()
    }


@pytest.mark.parametrize(
    ("integration", "saq", "expected"),
    [
        ("redirect", "saq_a", ResultStatus.PASS),
        ("iframe", "saq_a", ResultStatus.PASS),
        ("javascript", "saq_a", ResultStatus.FAIL),  # SAQ A leaves the city's page out of scope
        ("direct_post", "saq_a_ep", ResultStatus.PASS),
        ("server_side", "saq_a_ep", ResultStatus.FAIL),
        ("server_side", "saq_d", ResultStatus.PARTIAL),  # right SAQ, but card data reach the city's servers
        ("redirect", "none", ResultStatus.FAIL),
    ],
)
def test_a_saq_narrower_than_the_integration_fails(
    catalog: Catalog, integration: str, saq: str, expected: ResultStatus
) -> None:
    control = catalog.controls["PAY-6.3-003"]
    asked = next(q for q in control.questions if q.depends_on and integration in q.depends_on.answer_in)
    answers = _answers(control.id, {"q1": integration, asked.id: saq})
    results = {r.control_id: r for r in assess(example("kosodate-portal"), catalog, answers, [])}
    assert results[control.id].status is expected, results[control.id].reason


def test_no_chatbot_takes_the_chatbot_control_out_of_scope(catalog: Catalog) -> None:
    answers = _answers("TEC-6.3-007", {"q1": "no_chatbot"})
    results = {r.control_id: r for r in assess(example("kosodate-portal"), catalog, answers, [])}
    assert results["TEC-6.3-007"].status is ResultStatus.NOT_APPLICABLE


def test_a_misspelt_new_attribute_is_refused_rather_than_ignored() -> None:
    service = example("kosodate-portal")
    with pytest.raises(ValueError, match="generativ_ai"):
        Attributes.model_validate(service.attributes.model_dump() | {"generativ_ai": True})
    with pytest.raises(ValueError, match="gov_cloud"):
        Attributes.model_validate(service.attributes.model_dump() | {"gov_cloud": "yes"})
