"""Catalog loading: the shipped content, layers and overrides, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.catalog import Layer, load_catalog, yaml_files
from secaudit.errors import CatalogError
from secaudit.model import Service
from secaudit.workspace import builtin_dir, builtin_layer

GOOD_CONTROL = """\
  - id: HUM-5.2-901
    domain: HUM
    section: "5.2"
    control_type: human
    title: {ja: 研修, en: Training}
    rationale: {ja: 理由, en: Why}
    severity: medium
    questions:
      - id: q1
        type: yes_no
        text: {ja: 受講しましたか。, en: "Attended?"}
    procedure: [document_review, interview]
    audit:
      design: {ja: 研修計画を閲覧する, en: Read the training plan, techniques: [document_review]}
      operation: {ja: 受講者に聴取する, en: Ask attendees, techniques: [interview]}
    remediation: {ja: 受講する, en: Attend}
"""


def checklist(body: str, name: str = "extra") -> str:
    return f"checklist:\n  id: {name}\n  version: '1'\n  title: {{ja: 追加, en: Extra}}\ncontrols:\n{body}"


def write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(*paths: Path) -> object:
    return load_catalog([builtin_layer(), Layer("test", tuple(paths))])


def problems_of(exc: pytest.ExceptionInfo[CatalogError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def test_shipped_content_loads() -> None:
    catalog = load_catalog([builtin_layer()])
    assert "mic-baseline" in catalog.checklists
    assert len(catalog.controls) >= 10
    assert {c.domain.value for c in catalog.controls.values()} >= {"HUM", "PHY", "TEC"}
    assert {"quick", "standard", "deep"} <= set(catalog.profiles)
    for control in catalog.controls.values():
        for ref in control.checks:
            assert ref.check in catalog.checks


def test_good_extra_checklist(tmp_path: Path) -> None:
    catalog = load(write(tmp_path, checklist(GOOD_CONTROL)))
    assert catalog.control_checklist["HUM-5.2-901"] == "extra"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        # 1 syntax error
        (GOOD_CONTROL.replace("severity: medium", "severity: [medium"), 13, "YAML syntax error"),
        # 2 wrong type
        (GOOD_CONTROL.replace("severity: medium", "severity: 5"), 12, "severity"),
        # 3 unknown field
        (GOOD_CONTROL.replace("severity: medium", "severity: medium\n    colour: blue"), 13, "colour: unknown field"),
        # 4 duplicate id
        (GOOD_CONTROL + GOOD_CONTROL, 22, "duplicate control id 'HUM-5.2-901' (first defined at"),
        # 5 unknown check reference
        (
            GOOD_CONTROL.replace("    remediation:", "    checks: [{check: tls.no-such-check}]\n    remediation:"),
            21,
            "references unknown check 'tls.no-such-check'",
        ),
        # 6 bad id pattern
        (GOOD_CONTROL.replace("HUM-5.2-901", "hum 5.2"), 6, "id"),
        # 7 depends_on an unknown question
        (
            GOOD_CONTROL.replace(
                "        type: yes_no", "        type: yes_no\n        depends_on: {question: q9, answer_in: [yes]}"
            ),
            16,
            "depends on unknown question 'q9'",
        ),
        # 8 section outside the domain
        (GOOD_CONTROL.replace('section: "5.2"', 'section: "6.2"'), 6, "section 6.2 is not in domain HUM"),
        # 9 unknown applicability attribute
        (
            GOOD_CONTROL.replace(
                "    severity: medium", "    severity: medium\n    applies_if: {attr: colour, equals: red}"
            ),
            13,
            "unknown attribute 'colour'",
        ),
        # 10 duplicate key
        (
            GOOD_CONTROL.replace("    severity: medium", "    severity: medium\n    severity: high"),
            13,
            "duplicate key 'severity'",
        ),
        # 11 a number where a boolean belongs is not silently true
        (
            GOOD_CONTROL.replace("        type: yes_no", "        type: yes_no\n        required: 1"),
            16,
            "required: must be true or false, not the number 1",
        ),
        # 12 a boolean where a number belongs is not silently 1
        (
            GOOD_CONTROL.replace(
                "    severity: medium", "    severity: medium\n    applies_if: {attr: confidentiality, gte: true}"
            ),
            13,
            "gte: must be a whole number, not the boolean true",
        ),
        # 13 the same check twice
        (
            GOOD_CONTROL.replace(
                "    remediation:",
                "    checks: [{check: ports.unexpected-open}, {check: ports.unexpected-open}]\n    remediation:",
            ),
            6,
            "check(s) listed more than once: ports.unexpected-open",
        ),
        # 14 an impossible date anywhere in the file
        (GOOD_CONTROL.replace("severity: medium", "severity: 2027-02-30"), 12, "not a real date: 2027-02-30"),
        # 15 a control without its audit procedures is named with the missing field
        (
            GOOD_CONTROL.split("    audit:")[0] + "    remediation: {ja: 受講する, en: Attend}\n",
            6,
            "controls[0] (HUM-5.2-901).audit: required field is missing",
        ),
        # 16 an audit phase without its English text
        (
            GOOD_CONTROL.replace("en: Ask attendees, ", ""),
            20,
            "controls[0] (HUM-5.2-901).audit.operation.en: required field is missing",
        ),
        # 17 a phase that names no technique
        (
            GOOD_CONTROL.replace("techniques: [interview]", "techniques: []"),
            20,
            "audit.operation.techniques: name at least one technique: document_review, interview,",
        ),
        # 18 procedure must be exactly the techniques of the two phases
        (
            GOOD_CONTROL.replace("procedure: [document_review, interview]", "procedure: [document_review, scan]"),
            6,
            "procedure lists document_review, scan, but audit.design and audit.operation use document_review, interview",
        ),
        # 19 a scope outside the vocabulary
        (
            GOOD_CONTROL.replace("    control_type: human\n", "    control_type: human\n    scope: city\n"),
            10,
            "Input should be 'service' or 'organisation'",
        ),
        # 20 a city-wide control answered once cannot depend on a service's attributes
        (
            GOOD_CONTROL.replace(
                "    control_type: human\n",
                "    control_type: human\n    scope: organisation\n    applies_if: {attr: internet_facing, equals: true}\n",
            ),
            6,
            "scope: organisation is answered once for every service, so it cannot have applies_if",
        ),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = write(tmp_path, checklist(body))
    with pytest.raises(CatalogError) as exc:
        load(path)
    found = problems_of(exc)
    assert any(p.startswith(f"{path}:{line}:") and message in p for p in found), found


def test_scope_defaults_to_service_and_lists_the_city_wide_controls(tmp_path: Path) -> None:
    city_wide = GOOD_CONTROL.replace("    control_type: human\n", "    control_type: human\n    scope: organisation\n")
    catalog = load(write(tmp_path, checklist(city_wide + GOOD_CONTROL.replace("HUM-5.2-901", "HUM-5.2-902"))))
    assert catalog.controls["HUM-5.2-902"].scope.value == "service"
    assert "HUM-5.2-901" in catalog.organisation_control_ids()
    assert "HUM-5.2-902" not in catalog.organisation_control_ids()
    shipped = load_catalog([builtin_layer()]).organisation_controls()
    assert 10 <= len(shipped) <= 25
    assert all(c.applies_if is None for c in shipped)


def test_dependency_cycle(tmp_path: Path) -> None:
    body = GOOD_CONTROL.replace(
        '        text: {ja: 受講しましたか。, en: "Attended?"}',
        '        text: {ja: 受講しましたか。, en: "Attended?"}\n'
        "        depends_on: {question: q2, answer_in: [yes]}\n"
        "      - id: q2\n        type: yes_no\n        text: {ja: 二, en: Two}\n        depends_on: {question: q1, answer_in: [yes]}",
    )
    with pytest.raises(CatalogError) as exc:
        load(write(tmp_path, checklist(body)))
    assert any("dependency cycle q1 -> q2 -> q1" in p for p in problems_of(exc)), problems_of(exc)


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = write(tmp_path, "\n".join(lines) + "\n", "bomb.yaml")
    with pytest.raises(CatalogError) as exc:
        load(path)
    assert any(p.startswith(f"{path}:") and "alias bomb" in p for p in problems_of(exc))


def test_20_mb_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write(checklist(GOOD_CONTROL))
        handle.write(("# " + "x" * 1022 + "\n") * 20 * 1024)
    with pytest.raises(CatalogError) as exc:
        load(path)
    assert any(f"{path}:1: file is" in p and "limit" in p for p in problems_of(exc))


def test_workspace_layer_overrides_by_id(tmp_path: Path) -> None:
    control = GOOD_CONTROL.replace("HUM-5.2-901", "HUM-5.2-001").replace(
        "title: {ja: 研修, en: Training}", "title: {ja: 研修（市独自）, en: City training}"
    )
    catalog = load(write(tmp_path, checklist(control, name="city-overrides")))
    assert catalog.controls["HUM-5.2-001"].title.en == "City training"
    assert catalog.control_checklist["HUM-5.2-001"] == "mic-baseline"  # still seen by mic-baseline services
    assert any("overrides" in str(p) for p in catalog.overrides)


def test_applicability_reasons() -> None:
    catalog = load_catalog([builtin_layer()])
    saas = Service.model_validate(
        {
            "id": "s",
            "name": {"ja": "s", "en": "s"},
            "department": "d",
            "owner": {"name": "o", "email": "o@x.jp"},
            "security_officer": {"name": "o", "email": "o@x.jp"},
            "classification": {"confidentiality": 2, "integrity": 1, "availability": 1},
            "attributes": {
                "internet_facing": True,
                "personal_data": False,
                "cloud": "saas",
                "network_tier": "internet",
            },
            "checklists": ["mic-baseline"],
        }
    )
    rows = {a.control.id: a for a in catalog.applicability(saas)}
    assert rows["PHY-4.1-001"].applicable is False
    assert (
        rows["PHY-4.1-001"].reason.en == "excluded: requires cloud in [none, iaas], but this service has cloud = saas"
    )
    assert (
        rows["PHY-4.1-001"].reason.ja
        == "適用外: 条件「クラウド利用形態がなしまたはIaaS」を満たさない（このサービス: クラウド利用形態がSaaS）"
    )
    assert rows["PHY-4.4-001"].applicable is False  # no personal data
    assert rows["TEC-6.1-001"].applicable is True


def test_yaml_files_finds_shipped_content() -> None:
    files = yaml_files([builtin_dir("checklists"), builtin_dir("scanners")])
    assert any(f.name == "mic-baseline.yaml" for f in files)


def test_scanner_files_take_no_coerced_or_repeated_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "profiles:\n"
        "  - id: lax\n"
        "    title: {ja: 緩い, en: Lax}\n"
        "    probes: [tls, tls]\n"
        "    probe_timeout_s: '30'\n"
        "    nmap: {version_detection: 'yes', ports: [443, 443]}\n",
        "lax.yaml",
    )
    with pytest.raises(CatalogError) as exc:
        load(path)
    found = problems_of(exc)
    assert any(p.startswith(f"{path}:4:") and "'tls' is listed more than once" in p for p in found), found
    assert any(p.startswith(f"{path}:5:") and "must be a number, not the text '30'" in p for p in found), found
    assert any(p.startswith(f"{path}:6:") and "must be true or false, not the text 'yes'" in p for p in found), found
    assert any(p.startswith(f"{path}:6:") and "'443' is listed more than once" in p for p in found), found
