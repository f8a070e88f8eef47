"""The web-service, cloud-saas and online-payment checklists: valid, bilingual, sensible per service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from secaudit.catalog import Catalog, load_catalog
from secaudit.inventory import load_service
from secaudit.model import Control, Service
from secaudit.model.classification import ClassificationScheme
from secaudit.model.control import CONTROL_ID_PATTERN, ReferenceFramework
from secaudit.workspace import builtin_dir, builtin_layer

R6 = ClassificationScheme.R6

REPO = Path(__file__).resolve().parents[2]
EXTRA = {"web-service": (12, 16, "WEB-"), "cloud-saas": (4, 6, "CLD-"), "online-payment": (10, 15, "PAY-")}
EDITION = "令和7年3月版"
CHECKLISTS = ("mic-baseline", *EXTRA)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([builtin_layer()])


def controls_of(catalog: Catalog, name: str) -> list[Control]:
    return catalog.controls_of([name])


def service(name: str, checklists: list[str]) -> Service:
    base = load_service(REPO / "examples" / "services" / f"{name}.yaml", CHECKLISTS, R6)
    return base.model_copy(update={"checklists": checklists})


def applicable_ids(catalog: Catalog, svc: Service) -> set[str]:
    return {c.id for c in catalog.applicable_controls(svc)}


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_checklist_has_the_expected_size_and_prefix(catalog: Catalog, name: str) -> None:
    low, high, prefix = EXTRA[name]
    controls = controls_of(catalog, name)
    assert low <= len(controls) <= high
    assert all(c.id.startswith(prefix) for c in controls)


def test_ids_are_unique_across_every_shipped_checklist_and_stable() -> None:
    seen: dict[str, str] = {}
    for path in sorted(builtin_dir("checklists").glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["controls"]:
            control_id = raw["id"]
            assert re.match(CONTROL_ID_PATTERN, control_id), control_id
            assert control_id not in seen, f"{control_id} in {path.name} and {seen.get(control_id)}"
            seen[control_id] = path.name
    assert {"WEB-6.3-002", "CLD-8.3-006", "PAY-6.3-001"} <= set(seen)
    retired = {
        entry["id"]
        for path in sorted(builtin_dir("checklists").glob("*.yaml"))
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")).get("retired", [])
    }
    assert {"WEB-6.1-004", "CLD-8.4-001", "PAY-6.1-001"} <= retired
    assert not retired & set(seen), "a retired id is never reused"


# the 令和4年版's 機密性3 is 3A, 3B or 3C from the 令和6年10月版 on: a text naming the old class names the new ones
OLD_BAND_RE = re.compile(r"機密性3(?![A-C（])|confidentiality[ -]3(?![A-C]| \(3A)|（3・2・1）|\(3/2/1\)")


def test_texts_naming_the_classification_use_the_current_scheme() -> None:
    stale = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(builtin_dir("checklists").glob("*.yaml"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OLD_BAND_RE.search(line)
    ]
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_every_text_is_bilingual_and_every_control_is_referenced(catalog: Catalog, name: str) -> None:
    for control in controls_of(catalog, name):
        texts = [control.title, control.rationale, control.remediation, *control.evidence_examples]
        for question in control.questions:
            texts.append(question.text)
            texts.extend(c.label for c in question.choices)
            if question.help is not None:
                texts.append(question.help)
        for text in texts:
            assert text.ja.strip() and text.en.strip(), control.id
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text.ja), f"{control.id}: ja text not Japanese"
        frameworks = {r.framework for r in control.references}
        assert ReferenceFramework.MIC_GUIDELINE in frameworks and ReferenceFramework.ISO27002 in frameworks
        mic = [r for r in control.references if r.framework is ReferenceFramework.MIC_GUIDELINE]
        assert all(r.edition == EDITION for r in mic), control.id
        assert control.section in {r.id for r in mic}, f"{control.id}: no guideline reference to its own section"
        assert control.procedure, control.id
        if control.questions:
            assert control.evidence_examples, f"{control.id}: questions but no evidence examples"


@pytest.mark.parametrize("name", sorted(EXTRA))
def test_every_referenced_check_exists(catalog: Catalog, name: str) -> None:
    for control in controls_of(catalog, name):
        for ref in control.checks:
            assert ref.check in catalog.checks, f"{control.id} references unknown {ref.check}"


WEB_CHECKS = (
    "sql-injection",
    "os-command-injection",
    "path-traversal",
    "session-management",
    "cross-site-scripting",
    "csrf",
    "http-header-injection",
    "mail-header-injection",
    "clickjacking",
    "buffer-overflow",
    "access-control",
)


def test_web_service_checks_are_those_of_the_web_application_transport_checks_stay_in_the_baseline(
    catalog: Catalog,
) -> None:
    referenced = {ref.check for c in controls_of(catalog, "web-service") for ref in c.checks if not ref.when_observed}
    assert referenced == {"http.csp", "http.frame-protection"}
    # each IPA class's control also counts an imported scanner's findings of that class, when there are any
    imported = {ref.check for c in controls_of(catalog, "web-service") for ref in c.checks if ref.when_observed}
    assert imported == {f"webapp.{name}" for name in WEB_CHECKS} - {"webapp.session-management"}
    assert [r.check for r in catalog.controls["TEC-6.2-005"].checks if r.when_observed] == ["webapp.session-management"]
    baseline = {ref.check for c in controls_of(catalog, "mic-baseline") for ref in c.checks}
    assert {
        "tls.legacy-protocols-disabled",
        "http.hsts",
        "http.cookie-flags",
        "ports.admin-services-closed",
    } <= baseline


def test_the_eleven_ipa_web_vulnerability_classes_are_all_covered(catalog: Catalog) -> None:
    # session management (1.4) is judged by the baseline's login and session control, TEC-6.2-005
    cited = {
        r.id.split(" ")[0]
        for c in [*controls_of(catalog, "web-service"), catalog.controls["TEC-6.2-005"]]
        for r in c.references
        if r.framework is ReferenceFramework.IPA and r.id[:1].isdigit()
    }
    assert cited == {f"1.{n}" for n in range(1, 12)}


def test_cloud_and_payment_controls_are_conditional_on_the_service(catalog: Catalog) -> None:
    for control in controls_of(catalog, "cloud-saas"):
        assert control.applies_if is not None and "cloud" in control.applies_if.describe(), control.id
    for control in controls_of(catalog, "online-payment"):
        assert control.applies_if is not None and "payment = true" in control.applies_if.describe(), control.id


def test_internet_saas_with_payment_gets_everything_but_iaas_and_low_impact_controls(catalog: Catalog) -> None:
    svc = service("kosodate-portal", ["web-service", "cloud-saas", "online-payment"])
    ids = applicable_ids(catalog, svc)
    assert len(ids) == 14 + 4 + 14
    assert {"WEB-6.3-012", "WEB-6.2-001", "CLD-8.3-006", "PAY-6.3-001", "PAY-6.3-002"} <= ids
    assert "CLD-8.3-012" not in ids  # configuration review is for IaaS and PaaS


def test_the_shipped_kosodate_portal_gets_every_web_service_control(catalog: Catalog) -> None:
    svc = load_service(REPO / "examples" / "services" / "kosodate-portal.yaml", catalog.checklists, R6)
    ids = applicable_ids(catalog, svc)
    assert {c.id for c in controls_of(catalog, "web-service")} <= ids


def test_lgwan_on_premises_service_gets_only_design_questions(catalog: Catalog) -> None:
    svc = service("zeimu-lgwan", ["web-service", "cloud-saas", "online-payment"])
    ids = applicable_ids(catalog, svc)
    assert len(ids) == 12
    assert all(i.startswith("WEB-") for i in ids)
    assert {"WEB-6.3-004", "WEB-6.2-001", "WEB-6.3-002"} <= ids  # SQL injection, authorisation, diagnosis
    assert not ids & {"WEB-6.3-012", "WEB-7.1-001"}  # clickjacking header scan, Internet monitoring


def test_mynumber_tier_on_iaas_gets_cloud_controls_but_no_payment_or_exposure(catalog: Catalog) -> None:
    svc = service("mynumber-kyufu", ["web-service", "cloud-saas", "online-payment"])
    ids = applicable_ids(catalog, svc)
    assert len(ids) == 12 + 5
    assert {"CLD-8.3-012", "CLD-8.3-006", "CLD-8.3-009"} <= ids
    assert not any(i.startswith("PAY-") for i in ids)
    assert "WEB-6.3-012" not in ids


def test_the_three_services_get_three_different_sets(catalog: Catalog) -> None:
    sets = [
        frozenset(applicable_ids(catalog, service(name, ["web-service", "cloud-saas", "online-payment"])))
        for name in ("kosodate-portal", "zeimu-lgwan", "mynumber-kyufu")
    ]
    assert len(set(sets)) == 3


def test_every_shipped_check_evidences_at_least_one_control() -> None:
    """A check no control rests on is a verdict nobody reads (issue 16: every check maps to a control)."""
    from secaudit.catalog import load_catalog
    from secaudit.workspace import builtin_layer

    catalog = load_catalog([builtin_layer()])
    used = {ref.check for control in catalog.controls.values() for ref in control.checks}
    assert sorted(set(catalog.checks) - used) == []
