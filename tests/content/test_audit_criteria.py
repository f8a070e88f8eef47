"""The shipped catalog as audit criteria: one control per requirement, one finding per gap, rules that
follow the service (issue 16)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from secaudit.catalog import Catalog, Layer, load_catalog
from secaudit.errors import CatalogError
from secaudit.inventory import load_service
from secaudit.model import Service
from secaudit.model.classification import ClassificationScheme
from secaudit.soa import statement_of_applicability
from secaudit.workspace import builtin_dir, builtin_layer

R6 = ClassificationScheme.R6
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "services"

SHARED_CHECKS: dict[str, str] = {}
"""Checks that may evidence more than one applicable control of the demo service, each with the reason.
Empty: every gap a scan finds is one finding."""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([builtin_layer()])


def example(catalog: Catalog, name: str, **attributes: object) -> Service:
    svc = load_service(EXAMPLES / f"{name}.yaml", catalog.checklists, R6)
    if not attributes:
        return svc
    changed = type(svc.attributes).model_validate({**svc.attributes.model_dump(mode="json"), **attributes})
    return svc.model_copy(update={"attributes": changed})


def test_each_check_of_the_demo_service_evidences_at_most_one_applicable_control(catalog: Catalog) -> None:
    demo = example(catalog, "kosodate-portal")
    used: dict[str, list[str]] = defaultdict(list)
    for control in catalog.applicable_controls(demo):
        for ref in control.checks:
            used[ref.check].append(control.id)
    shared = {check: ids for check, ids in used.items() if len(ids) > 1 and check not in SHARED_CHECKS}
    assert not shared, f"one gap would give several findings: {shared}"
    assert used["http.hsts"] == ["TEC-6.1-008"]


def test_every_demo_check_is_judged_by_an_applicable_control(catalog: Catalog) -> None:
    demo = example(catalog, "kosodate-portal")
    used = {ref.check for control in catalog.applicable_controls(demo) for ref in control.checks}
    assert set(catalog.checks) == used


def test_leakage_checks_evidence_the_leakage_control(catalog: Catalog) -> None:
    leakage = {
        "http.server-version-hidden",
        "http.technology-headers-absent",
        "ports.version-banner-hidden",
        "http.directory-listing",
        "http.exposed-files",
    }
    for control in catalog.controls.values():
        found = leakage & {ref.check for ref in control.checks}
        assert not found or control.id == "TEC-6.5-004", (control.id, found)
    assert leakage <= {ref.check for ref in catalog.controls["TEC-6.5-004"].checks}


def test_no_two_controls_share_a_question_text(catalog: Catalog) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for control in catalog.controls.values():
        for question in control.questions:
            for text in (question.text.ja, question.text.en):
                seen[text].append(f"{control.id}/{question.id}")
    copied = {text: ids for text, ids in seen.items() if len(ids) > 1}
    assert not copied, copied


def test_regular_scanning_is_judged_by_its_cadence_not_by_findings(catalog: Catalog) -> None:
    control = catalog.controls["OPS-7.1-003"]
    assert control.checks == [] and control.scan_cadence is not None
    assert control.scan_cadence.max_age_days == 31


def test_retired_ids_are_documented_and_point_to_live_controls(catalog: Catalog) -> None:
    documented = (REPO / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert len(catalog.retired) >= 20
    for control_id, retired in catalog.retired.items():
        assert control_id not in catalog.controls
        assert retired.replaced_by and all(r in catalog.controls for r in retired.replaced_by), control_id
        assert re.search(rf"\b{re.escape(control_id)}\b", documented), f"{control_id} missing from docs/catalog.md"
    assert catalog.retired["WEB-6.1-004"].replaced_by == ["TEC-6.1-008"]


def test_a_retired_id_cannot_be_defined_again(tmp_path: Path) -> None:
    extra = tmp_path / "city.yaml"
    shipped = yaml.safe_load((builtin_dir("checklists") / "mic-baseline.yaml").read_text(encoding="utf-8"))
    reused = dict(shipped["controls"][0], id="WEB-6.1-004", domain="TEC", section="6.1")
    extra.write_text(
        yaml.safe_dump(
            {"checklist": {"id": "city", "version": "1", "title": {"ja": "市", "en": "City"}}, "controls": [reused]},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError) as raised:
        load_catalog([builtin_layer(), Layer("workspace", (extra,))])
    assert any("WEB-6.1-004 is retired" in p.message for p in raised.value.problems)


def test_retired_notes_explain_where_the_requirement_went(catalog: Catalog) -> None:
    (note,) = catalog.retired_notes(["WEB-6.1-004", "TEC-6.1-008", "WEB-6.1-004"])
    assert "TEC-6.1-008" in note.en and "TEC-6.1-008" in note.ja
    assert catalog.retired_notes(["TEC-6.1-008"]) == []


# ---- applicability and content ----


def test_vulnerability_diagnosis_applies_to_the_my_number_service(catalog: Catalog) -> None:
    statement = statement_of_applicability(catalog, example(catalog, "mynumber-kyufu"))
    applicable = {entry.control.id for entry in statement.applicable}
    assert "TEC-6.3-002" in applicable
    assert catalog.controls["TEC-6.3-002"].applies_if is None


def test_web_application_diagnosis_comes_with_the_web_service_checklist(catalog: Catalog) -> None:
    web = {c.id for c in catalog.applicable_controls(example(catalog, "kosodate-portal"))}
    assert {"TEC-6.3-002", "WEB-6.3-002", "WEB-6.3-003"} <= web
    internal = {c.id for c in catalog.applicable_controls(example(catalog, "zeimu-lgwan"))}
    assert "TEC-6.3-002" in internal and "WEB-6.3-002" not in internal


def ids_for(catalog: Catalog, **attributes: object) -> set[str]:
    return {c.id for c in catalog.applicable_controls(example(catalog, "kosodate-portal", **attributes))}


def classified(catalog: Catalog, level: str, **attributes: object) -> set[str]:
    svc = example(catalog, "kosodate-portal", **attributes)
    svc = svc.model_copy(update={"classification": svc.classification.model_copy(update={"confidentiality": level})})
    return {c.id for c in catalog.applicable_controls(svc)}


def test_ismap_and_ismap_liu_follow_the_classification(catalog: Catalog) -> None:
    from secaudit.model.classification import Confidentiality

    three_b = classified(catalog, Confidentiality.parse("3B"))
    assert "VEND-8.3-001" in three_b and "VEND-8.3-005" not in three_b  # 機密性3: ISMAP only
    two = classified(catalog, Confidentiality.parse(2))
    assert "VEND-8.3-005" in two and "VEND-8.3-001" not in two  # 機密性2 SaaS: ISMAP, or LIU with assessment
    two_iaas = classified(catalog, Confidentiality.parse(2), cloud="iaas")
    assert "VEND-8.3-001" in two_iaas and "VEND-8.3-005" not in two_iaas  # LIU is for SaaS only
    two_alpha_prime = classified(catalog, Confidentiality.parse(2), network_model="alpha_prime")
    assert "VEND-8.3-001" in two_alpha_prime and "VEND-8.3-005" not in two_alpha_prime  # α′ presumes ISMAP
    one = classified(catalog, Confidentiality.parse(1))
    assert "VEND-8.4-002" in one and not {"VEND-8.3-001", "VEND-8.3-005"} & one  # public: terms review
    ismap = catalog.controls["VEND-8.3-001"].question("q1")
    assert ismap is not None and "ismap_liu" in ismap.non_compliant
    liu = catalog.controls["VEND-8.3-005"].question("q2")
    assert liu is not None and liu.depends_on is not None and liu.depends_on.answer_in == ["ismap_liu"]
    terms = catalog.controls["VEND-8.4-002"].question("q3")
    assert terms is not None and "reviewed" in terms.compliant


def test_no_control_accepts_ismap_liu_for_public_information_any_more(catalog: Catalog) -> None:
    for control in catalog.controls.values():
        condition = control.applies_if.describe() if control.applies_if else ""
        texts = " ".join(q.text.en + " ".join(c.label.en for c in q.choices) for q in control.questions)
        if "confidentiality <= 1" in condition:
            assert "ISMAP-LIU" not in texts.replace("neither ISMAP nor ISMAP-LIU", ""), control.id


def test_network_models_decide_the_model_controls(catalog: Catalog) -> None:
    assert "NET-3-013" in ids_for(catalog, network_model="beta_prime")
    assert "NET-3-013" in ids_for(catalog, network_model="beta")
    assert "NET-3-013" not in ids_for(catalog, network_model="alpha")
    assert "NET-3-013" not in ids_for(catalog, network_model=None)
    names_alpha_prime = [
        c.id
        for c in catalog.controls.values()
        if c.applies_if and "network_model = alpha_prime" in c.applies_if.describe()
    ]
    assert "VEND-8.3-001" in names_alpha_prime


def test_lgwan_asp_is_its_own_delivery_model(catalog: Catalog) -> None:
    asp = {c.id for c in catalog.applicable_controls(example(catalog, "zeimu-lgwan", cloud="lgwan_asp"))}
    assert "NET-3-009" not in asp  # LGWAN-ASP is not direct cloud use from the LGWAN tier
    assert {"VEND-8.3-002", "VEND-8.3-003", "VEND-8.3-004"} <= asp  # but it is an outside service
    assert "VEND-8.3-001" not in asp


def test_laws_and_contacts_follow_the_service(catalog: Catalog) -> None:
    laws = catalog.controls["OPS-7.5-001"].question("q1")
    assert laws is not None and not {"mynumber_act", "appi"} & set(laws.compliant)
    contacts = catalog.controls["ORG-1-006"].question("q1")
    assert contacts is not None and "ppc" not in contacts.compliant
    mynumber_law = catalog.controls["OPS-7.5-003"]
    assert mynumber_law.applies_if is not None and mynumber_law.applies_if.describe() == "mynumber = true"
    assert any("番号法" in q.text.ja for q in mynumber_law.questions)
    personal = catalog.controls["OPS-7.5-002"]
    assert personal.applies_if is not None and personal.applies_if.describe() == "personal_data = true"
    assert any("個人情報保護法" in q.text.ja for q in personal.questions)
    breach = catalog.controls["OPS-7.3-002"]
    assert breach.applies_if is not None and "personal_data" in breach.applies_if.describe()


def test_organisation_and_role_names_are_current() -> None:
    for path in sorted(builtin_dir("checklists").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "内閣サイバーセキュリティセンター" not in text, path.name
        for line in text.splitlines():
            if "NISC" in line:
                assert "国家サイバー統括室" in line or "National Cybersecurity Office" in line, line
    audit = load_catalog([builtin_layer()]).controls["EVAL-9.1-001"]
    assert "CISOが指名した情報セキュリティ監査統括責任者" in audit.audit.design.ja
    assert "情報セキュリティ監査統括責任者" in audit.remediation.ja
