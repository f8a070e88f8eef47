"""The shipped mic-baseline catalog: complete, bilingual, traceable to the guideline, and applied sensibly."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from secaudit.catalog import Catalog, load_catalog, validate_checklist_file
from secaudit.inventory import load_service
from secaudit.model import Control, ControlType, Domain, Service, Severity
from secaudit.model.classification import ClassificationScheme, Confidentiality
from secaudit.model.control import QuestionType, ReferenceFramework
from secaudit.workspace import builtin_dir, builtin_layer
from secaudit.yamlsource import load_yaml
from tests.conftest import EXAMPLES, run_cli

R6 = ClassificationScheme.R6

CHECKLIST = "mic-baseline"
EDITION = "令和7年3月版"

SUBSECTIONS = {
    "4": ["4.1", "4.2", "4.3", "4.4"],
    "5": ["5.1", "5.2", "5.3", "5.4"],
    "6": ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6"],
    "7": ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6"],
    "8": ["8.1", "8.2", "8.3", "8.4"],
    "9": ["9.1", "9.2", "9.3"],
}

STARTER_IDS = [
    "HUM-5.2-001",
    "HUM-5.3-001",
    "HUM-5.4-001",
    "PHY-4.1-001",
    "PHY-4.2-001",
    "PHY-4.4-001",
    "TEC-6.2-001",
    "TEC-6.1-001",
    "TEC-6.1-002",
    "TEC-6.5-001",
    "TEC-6.6-001",
    "ORG-1-001",
]

# ISO/IEC 27002:2022 has 37 organisational, 8 people, 14 physical and 34 technological controls.
ISO27002_LAST = {5: 37, 6: 8, 7: 14, 8: 34}
NIST_CSF_RE = re.compile(r"^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}$")
JAPANESE_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
KANA_RE = re.compile(r"[\u3040-\u30ff]")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The built-in catalog, loaded once for the module."""
    return load_catalog([builtin_layer()])


@pytest.fixture(scope="module")
def controls(catalog: Catalog) -> list[Control]:
    """The mic-baseline controls in file order."""
    return [c for c in catalog.controls.values() if catalog.control_checklist[c.id] == CHECKLIST]


@pytest.fixture(scope="module")
def services(catalog: Catalog) -> dict[str, Service]:
    """The three example services, unchanged."""
    paths = sorted((EXAMPLES / "services").glob("*.yaml"))
    return {s.id: s for s in (load_service(p, catalog.checklists, R6) for p in paths)}


def applicable_ids(catalog: Catalog, service: Service) -> set[str]:
    """Ids of the mic-baseline controls that apply to ``service``."""
    return {a.control.id for a in catalog.applicability(service) if a.checklist == CHECKLIST and a.applicable}


def test_the_whole_file_validates_as_one_checklist(controls: list[Control]) -> None:
    path = builtin_dir("checklists") / f"{CHECKLIST}.yaml"
    assert path.stat().st_size < 4 * 1024 * 1024
    checklist = validate_checklist_file(load_yaml(path))
    assert checklist.checklist.id == CHECKLIST
    ids = [c.id for c in checklist.controls]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert ids == [c.id for c in controls]


def test_at_least_120_controls(controls: list[Control]) -> None:
    assert len(controls) >= 120


def test_ids_follow_the_stable_pattern(controls: list[Control]) -> None:
    for control in controls:
        assert re.fullmatch(rf"{control.domain.value}-{re.escape(control.section)}-\d{{3}}", control.id), control.id


def test_starter_ids_are_kept(controls: list[Control]) -> None:
    ids = {c.id for c in controls}
    assert set(STARTER_IDS) <= ids


def test_every_guideline_section_and_subsection_is_covered(controls: list[Control]) -> None:
    domains = Counter(c.domain for c in controls)
    assert set(domains) == set(Domain)
    sections = {c.section for c in controls}
    for top, subs in SUBSECTIONS.items():
        assert not {s for s in sections if s.split(".")[0] == top} - set(subs), f"unknown subsection under {top}"
        for sub in subs:
            assert sub in sections, f"no control for guideline section {sub}"
    for top in ("1", "2", "3"):
        assert top in sections


def test_all_four_control_types_and_every_severity_appear(controls: list[Control]) -> None:
    types = Counter(c.control_type for c in controls)
    assert set(types) == set(ControlType)
    severities = Counter(c.severity for c in controls)
    assert set(severities) == set(Severity)
    assert severities[Severity.CRITICAL] <= len(controls) // 10, "critical should stay rare"
    assert severities[Severity.HIGH] < len(controls) // 2


def _texts(control: Control) -> list[tuple[str, str, str]]:
    pairs = [("title", control.title.ja, control.title.en)]
    pairs += [("rationale", control.rationale.ja, control.rationale.en)]
    pairs += [("remediation", control.remediation.ja, control.remediation.en)]
    pairs += [(f"evidence {i}", e.ja, e.en) for i, e in enumerate(control.evidence_examples)]
    for q in control.questions:
        pairs.append((f"{q.id}.text", q.text.ja, q.text.en))
        if q.help is not None:
            pairs.append((f"{q.id}.help", q.help.ja, q.help.en))
        pairs += [(f"{q.id}.{c.value}", c.label.ja, c.label.en) for c in q.choices]
    return pairs


def test_every_text_is_in_japanese_and_english(controls: list[Control]) -> None:
    for control in controls:
        for where, ja, en in _texts(control):
            assert ja.strip() and en.strip(), f"{control.id} {where}"
            assert JAPANESE_RE.search(ja), f"{control.id} {where}: ja text is not Japanese: {ja!r}"
            assert not KANA_RE.search(en), f"{control.id} {where}: en text contains kana: {en!r}"


def test_questions_read_as_polite_questions(controls: list[Control]) -> None:
    for control in controls:
        for q in control.questions:
            assert q.text.ja.endswith("。"), f"{control.id}/{q.id}"
            assert "か" in q.text.ja or "ください" in q.text.ja, f"{control.id}/{q.id}: {q.text.ja}"
            assert q.text.en.endswith(("?", ".")), f"{control.id}/{q.id}"


def test_every_control_cites_the_guideline_section_iso_and_nist(controls: list[Control]) -> None:
    for control in controls:
        refs = {f: [r for r in control.references if r.framework is f] for f in ReferenceFramework}
        mic = refs[ReferenceFramework.MIC_GUIDELINE]
        assert [r.id for r in mic] == [control.section], control.id
        assert all(r.edition == EDITION for r in mic), control.id
        iso = refs[ReferenceFramework.ISO27002]
        assert iso, f"{control.id} has no ISO/IEC 27002 reference"
        for ref in iso:
            theme, _, number = ref.id.partition(".")
            assert theme.isdigit() and number.isdigit(), f"{control.id}: {ref.id}"
            assert 1 <= int(number) <= ISO27002_LAST[int(theme)], (
                f"{control.id}: no ISO/IEC 27002:2022 control {ref.id}"
            )
        nist = refs[ReferenceFramework.NIST_CSF]
        assert nist, f"{control.id} has no NIST CSF reference"
        assert all(NIST_CSF_RE.match(r.id) for r in nist), control.id


def test_every_control_says_how_it_is_audited(controls: list[Control]) -> None:
    for control in controls:
        assert control.procedure, control.id
        assert control.evidence_examples or not any(q.requires_evidence for q in control.questions), control.id
        if control.checks:
            assert "scan" in control.audit.operation.techniques, f"{control.id} has checks but no scan in operation"


def test_referenced_checks_exist(catalog: Catalog, controls: list[Control]) -> None:
    referenced = {ref.check for c in controls for ref in c.checks}
    assert referenced, "some technical controls should be verified by scanner checks"
    assert referenced <= set(catalog.checks)
    assert all(c.control_type is ControlType.TECHNICAL for c in controls if c.checks)


def test_every_answer_has_a_meaning(controls: list[Control]) -> None:
    for control in controls:
        for q in control.questions:
            if q.type not in (QuestionType.CHOICE, QuestionType.MULTI_CHOICE):
                continue
            classified = [*q.compliant, *q.partial, *q.non_compliant, *q.not_applicable]
            assert len(classified) == len(set(classified)), f"{control.id}/{q.id}: an answer is in two sets"
            assert set(classified) == {c.value for c in q.choices}, f"{control.id}/{q.id}: unclassified answers"
            assert q.compliant and (q.non_compliant or q.partial), f"{control.id}/{q.id} cannot fail"


def test_key_topics_sit_in_their_sections(controls: list[Control]) -> None:
    def text_of(prefix: str) -> str:
        chosen = [c for c in controls if c.section == prefix or c.section.startswith(prefix + ".")]
        return " ".join(ja for c in chosen for _, ja, _ in _texts(c))

    expected = {
        "1": ["CSIRT", "情報セキュリティ責任者"],
        "2": ["機密性", "完全性", "可用性"],
        "3": ["マイナンバー利用事務系", "二要素", "無害化", "自治体情報セキュリティクラウド", "LGWAN"],
        "7.4": ["例外措置"],
        "8.3": ["ISMAP"],
        "9.1": ["監査"],
        "9.2": ["自己点検"],
    }
    for section, words in expected.items():
        text = text_of(section)
        for word in words:
            assert word in text, f"section {section} never mentions {word}"


def test_example_services_get_different_control_sets(catalog: Catalog, services: dict[str, Service]) -> None:
    sets = {sid: applicable_ids(catalog, s) for sid, s in services.items()}
    assert set(sets) == {"kosodate-portal", "zeimu-lgwan", "mynumber-kyufu"}
    counts = {sid: len(ids) for sid, ids in sets.items()}
    assert len(set(counts.values())) == 3, counts
    # The on-premises LGWAN system without contractors or Internet exposure needs the fewest.
    assert counts["zeimu-lgwan"] < min(counts["kosodate-portal"], counts["mynumber-kyufu"])
    for ids in sets.values():
        assert {"ORG-1-001", "HUM-5.3-001", "TEC-6.2-001", "OPS-7.4-001", "EVAL-9.2-001"} <= ids


@pytest.mark.parametrize(
    ("control_id", "applies_to", "excluded_from"),
    [
        ("NET-3-002", {"mynumber-kyufu"}, {"kosodate-portal", "zeimu-lgwan"}),  # My Number tier isolation
        ("NET-3-003", {"mynumber-kyufu"}, {"kosodate-portal", "zeimu-lgwan"}),  # two-factor login
        ("OPS-7.5-003", {"mynumber-kyufu"}, {"kosodate-portal", "zeimu-lgwan"}),  # protection assessment
        ("NET-3-006", {"zeimu-lgwan", "mynumber-kyufu"}, {"kosodate-portal"}),  # sanitising imports
        ("NET-3-008", {"kosodate-portal"}, {"zeimu-lgwan", "mynumber-kyufu"}),  # Internet to back office
        ("PHY-4.2-002", {"zeimu-lgwan", "mynumber-kyufu"}, {"kosodate-portal"}),  # server room
        ("PHY-4.2-003", {"zeimu-lgwan"}, {"kosodate-portal", "mynumber-kyufu"}),  # visitors in own server room
        ("ASSET-2-006", {"zeimu-lgwan"}, {"kosodate-portal", "mynumber-kyufu"}),  # disposing own hardware
        ("VEND-8.1-002", {"kosodate-portal", "mynumber-kyufu"}, {"zeimu-lgwan"}),  # outsourcing contract
        ("VEND-8.3-001", {"kosodate-portal", "mynumber-kyufu"}, {"zeimu-lgwan"}),  # ISMAP
        ("TEC-6.1-001", {"kosodate-portal"}, {"zeimu-lgwan", "mynumber-kyufu"}),  # public TLS
        ("TEC-6.2-004", {"kosodate-portal"}, {"zeimu-lgwan", "mynumber-kyufu"}),  # resident login
        ("HUM-5.3-002", {"kosodate-portal"}, {"zeimu-lgwan", "mynumber-kyufu"}),  # outside reports
    ],
)
def test_named_controls_apply_where_they_should(
    catalog: Catalog, services: dict[str, Service], control_id: str, applies_to: set[str], excluded_from: set[str]
) -> None:
    for sid in applies_to:
        assert control_id in applicable_ids(catalog, services[sid]), f"{control_id} should apply to {sid}"
    for sid in excluded_from:
        assert control_id not in applicable_ids(catalog, services[sid]), f"{control_id} should not apply to {sid}"


def test_exclusions_name_the_deciding_attribute(catalog: Catalog, services: dict[str, Service]) -> None:
    reasons = {
        a.control.id: a.reason.en
        for a in catalog.applicability(services["kosodate-portal"])
        if a.checklist == CHECKLIST
    }
    assert "cloud" in reasons["PHY-4.2-002"]
    assert "network_tier" in reasons["NET-3-002"]
    assert "mynumber" in reasons["OPS-7.5-003"]


def test_section_8_4_is_for_services_without_confidential_information(
    catalog: Catalog, services: dict[str, Service]
) -> None:
    low = services["kosodate-portal"].model_copy(
        update={"classification": services["kosodate-portal"].classification.model_copy(update={"confidentiality": Confidentiality.ONE})}
    )
    assert "VEND-8.4-002" in applicable_ids(catalog, low)
    assert "VEND-8.3-001" not in applicable_ids(catalog, low)
    assert "VEND-8.4-002" not in applicable_ids(catalog, services["kosodate-portal"])


def test_checklist_list_shows_the_catalog() -> None:
    result = run_cli(["checklist", "list", "--checklist", CHECKLIST, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 120
    assert {r["domain"] for r in rows} == {d.value for d in Domain}
    assert {r["control_type"] for r in rows} == {t.value for t in ControlType}
    assert all(r["title"]["ja"] and r["title"]["en"] for r in rows)


def test_checklist_list_per_service_differs(workspace: Path) -> None:
    counts = {}
    for sid in ("kosodate-portal", "zeimu-lgwan", "mynumber-kyufu"):
        result = run_cli(
            ["checklist", "list", "--checklist", CHECKLIST, "--service", sid, "--format", "json"], workspace
        )
        assert result.exit_code == 0, result.stderr
        counts[sid] = {r["id"] for r in json.loads(result.stdout)}
    assert "NET-3-002" in counts["mynumber-kyufu"] and "NET-3-002" not in counts["kosodate-portal"]
    assert len({len(ids) for ids in counts.values()}) == 3


CITY_OVERRIDE = """\
checklist:
  id: mic-baseline
  version: "2026.11+city.1"
  title: {ja: 基本チェックリスト（本市版）, en: MIC baseline (city edition)}
controls:
  - id: HUM-5.2-001
    domain: HUM
    section: "5.2"
    control_type: human
    title: {ja: 情報セキュリティ研修の半年ごとの受講, en: Security training every six months}
    rationale: {ja: 本市では研修を半年ごとに行います。, en: The city trains staff every six months.}
    severity: high
    questions:
      - id: q1
        type: date
        text: {ja: 最後に研修を受講した日はいつですか。, en: "When was the last training?"}
        max_age_days: 183
    procedure: [document_review, interview]
    audit:
      design: {ja: 半年ごとの研修計画を閲覧する。, en: Read the six-monthly training plan., techniques: [document_review]}
      operation: {ja: 受講記録を閲覧し受講者に聴取する。, en: Read attendance and ask attendees., techniques: [document_review, interview]}
    remediation: {ja: 半年以内に受講してください。, en: Attend within six months.}
"""


def test_a_workspace_can_tighten_a_baseline_control(workspace: Path) -> None:
    before = run_cli(["checklist", "list", "--service", "zeimu-lgwan", "--format", "json"], workspace)
    (workspace / "checklists").mkdir(exist_ok=True)
    (workspace / "checklists" / "mic-baseline-city.yaml").write_text(CITY_OVERRIDE, encoding="utf-8")
    validated = run_cli(["checklist", "validate"], workspace)
    assert validated.exit_code == 0, validated.stderr
    assert "HUM-5.2-001" in validated.stderr and "overrides" in validated.stderr
    after = run_cli(["checklist", "list", "--service", "zeimu-lgwan", "--format", "json"], workspace)
    rows = {r["id"]: r for r in json.loads(after.stdout)}
    assert set(rows) == {r["id"] for r in json.loads(before.stdout)}
    assert rows["HUM-5.2-001"]["checklist"] == CHECKLIST
    assert rows["HUM-5.2-001"]["severity"] == "high"
    assert rows["HUM-5.2-001"]["title"]["en"] == "Security training every six months"
