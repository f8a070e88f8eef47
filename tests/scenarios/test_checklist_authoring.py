"""``secaudit checklist export|import|soa`` from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import yaml

from secaudit.catalog import validate_checklist_file
from secaudit.yamlsource import load_yaml
from tests.conftest import run_cli

ALL_EXTRA = "[mic-baseline, web-service, cloud-saas, online-payment]"


def with_checklists(workspace: Path, service_id: str, checklists: str) -> None:
    """Make a service in the workspace name the given checklists."""
    path = workspace / "services" / f"{service_id}.yaml"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("checklists:")]
    path.write_text("\n".join([*lines, f"checklists: {checklists}", ""]), encoding="utf-8")


def test_export_then_import_gives_back_the_same_checklist(workspace: Path, tmp_path: Path) -> None:
    book = tmp_path / "web.xlsx"
    exported = run_cli(["checklist", "export", "web-service", "-o", str(book)], workspace)
    assert exported.exit_code == 0, exported.stderr
    assert "14 controls" in exported.stderr  # 15 of its 29 were retired into the baseline (issue 16)
    out = workspace / "checklists" / "web-service-local.yaml"
    imported = run_cli(["checklist", "import", str(book), "-o", str(out)], workspace)
    assert imported.exit_code == 0, imported.stderr
    repo_file = Path(__file__).resolve().parents[2] / "checklists" / "web-service.yaml"
    assert (
        validate_checklist_file(load_yaml(out)).model_dump()
        == validate_checklist_file(load_yaml(repo_file)).model_dump()
    )
    validated = run_cli(["checklist", "validate", str(out)], workspace)
    assert validated.exit_code == 0, validated.stderr


def test_export_accepts_a_yaml_path_and_refuses_a_wrong_suffix(workspace: Path, tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[2] / "checklists" / "online-payment.yaml"
    ok = run_cli(["checklist", "export", str(source), "-o", str(tmp_path / "pay.xlsx")], workspace)
    assert ok.exit_code == 0, ok.stderr
    assert openpyxl.load_workbook(tmp_path / "pay.xlsx")["checklist"]["B2"].value == "online-payment"
    wrong = run_cli(["checklist", "export", "online-payment", "-o", str(tmp_path / "pay.csv")], workspace)
    assert wrong.exit_code == 2 and "writes a .xlsx file" in wrong.stderr
    unknown = run_cli(["checklist", "export", "no-such-list", "-o", str(tmp_path / "x.xlsx")], workspace)
    assert unknown.exit_code == 2 and "no checklist 'no-such-list'" in unknown.stderr


def test_broken_workbook_is_refused_and_nothing_is_written(workspace: Path, tmp_path: Path) -> None:
    book = tmp_path / "cloud.xlsx"
    assert run_cli(["checklist", "export", "cloud-saas", "-o", str(book)], workspace).exit_code == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb["controls"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("severity") + 1).value = "extreme"
    sheet.cell(3, header.index("question_type") + 1).value = "essay"
    sheet.cell(2, header.index("title_ja") + 1).value = None
    sheet.cell(4, header.index("remediation_en") + 1).value = "=cmd|' /C calc'!A0"
    wb.save(book)
    out = workspace / "checklists" / "cloud-saas.yaml"
    result = run_cli(["checklist", "import", str(book), "-o", str(out)], workspace)
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr
    letter = {key: openpyxl.utils.get_column_letter(i) for i, key in enumerate(header, start=1)}
    assert f"sheet 'controls', row 2, column {letter['severity']} (severity)" in result.stderr
    assert f"sheet 'controls', row 3, column {letter['question_type']} (question_type)" in result.stderr
    assert f"sheet 'controls', row 2, column {letter['title_ja']} (title_ja)" in result.stderr
    formula = f"row 4, column {letter['remediation_en']} (remediation_en): a formula is not allowed"
    assert formula in result.stderr
    assert result.stderr.count(f"row 4, column {letter['remediation_en']}") == 1
    assert not out.exists()
    assert not list(out.parent.glob(".cloud-saas.yaml.*"))


def test_existing_output_is_kept_when_the_import_fails(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "keep.yaml"
    target.write_text("previous content\n", encoding="utf-8")
    csv = tmp_path / "controls.csv"
    csv.write_text("id\n", encoding="utf-8")
    result = run_cli(["checklist", "import", str(csv), "-o", str(target)], workspace)
    assert result.exit_code == 2 and "not an .xlsx workbook" in result.stderr
    assert target.read_text(encoding="utf-8") == "previous content\n"


def test_soa_for_two_services_gives_different_sets_with_reasons(workspace: Path) -> None:
    with_checklists(workspace, "kosodate-portal", ALL_EXTRA)
    with_checklists(workspace, "zeimu-lgwan", ALL_EXTRA)
    statements = {}
    for service_id in ("kosodate-portal", "zeimu-lgwan"):
        result = run_cli(["checklist", "soa", service_id, "--format", "json"], workspace)
        assert result.exit_code == 0, result.stderr
        statements[service_id] = json.loads(result.stdout)
    portal, lgwan = statements["kosodate-portal"], statements["zeimu-lgwan"]
    in_portal = {c["id"] for c in portal["controls"] if c["applicable"]}
    in_lgwan = {c["id"] for c in lgwan["controls"] if c["applicable"]}
    assert in_portal != in_lgwan
    assert {"PAY-6.3-001", "CLD-8.3-006", "WEB-6.3-012"} <= in_portal - in_lgwan
    assert {"WEB-6.3-004", "WEB-6.2-001"} <= in_portal & in_lgwan
    assert portal["summary"]["controls"] == lgwan["summary"]["controls"]
    by_id = {c["id"]: c for c in lgwan["controls"]}
    assert by_id["WEB-6.3-012"]["reason"]["en"] == (
        "excluded: requires internet_facing = true, but this service has internet_facing = false"
    )
    assert by_id["WEB-6.3-012"]["reason"]["ja"].startswith("適用外: 条件「インターネット公開がはい」を満たさない")
    assert "cloud = none" in by_id["CLD-8.3-006"]["reason"]["en"]
    assert "payment = false" in by_id["PAY-6.3-001"]["reason"]["en"]
    for control in lgwan["controls"]:
        assert control["reason"]["en"] and control["reason"]["ja"]
        assert control["checklist"] in {"mic-baseline", "web-service", "cloud-saas", "online-payment"}
    assert by_id["WEB-6.3-004"]["reason"]["en"] == "applies to every service"


def test_soa_reason_names_the_failing_part_of_a_compound_condition(workspace: Path) -> None:
    with_checklists(workspace, "mynumber-kyufu", "[mic-baseline, cloud-saas]")
    result = run_cli(["checklist", "soa", "mynumber-kyufu", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    by_id = {c["id"]: c for c in json.loads(result.stdout)["controls"]}
    liu = by_id["VEND-8.3-005"]
    assert not liu["applicable"]
    assert liu["reason"]["en"] == "excluded: requires cloud = saas, but this service has cloud = iaas"
    assert by_id["CLD-8.3-012"]["applicable"]
    assert "cloud = iaas" in by_id["CLD-8.3-012"]["reason"]["en"]


def test_soa_table_and_xlsx(workspace: Path, tmp_path: Path) -> None:
    with_checklists(workspace, "zeimu-lgwan", ALL_EXTRA)
    table = run_cli(["checklist", "soa", "zeimu-lgwan", "--lang", "en"], workspace)
    assert table.exit_code == 0, table.stderr
    assert re.match(r"zeimu-lgwan: \d+ of \d+ controls apply", table.stdout)
    assert "WEB-6.3-012" in table.stdout and "PAY-7.3-001" in table.stdout
    out = tmp_path / "soa.xlsx"
    written = run_cli(["checklist", "soa", "zeimu-lgwan", "--format", "xlsx", "-o", str(out)], workspace)
    assert written.exit_code == 0, written.stderr
    book = openpyxl.load_workbook(out)
    rows = list(book["適用宣言書"].iter_rows(values_only=True))  # the workspace's language, Japanese
    assert rows[0][:3] == ("節", "管理策ID", "管理策")
    applies = {r[1]: r[4] for r in rows[1:] if r[1] is not None}
    assert applies["WEB-6.3-012"] == "適用外" and applies["WEB-6.3-004"] == "適用"
    summary = dict(book["概要"].iter_rows(min_row=2, values_only=True))
    assert summary["サービス"] == "zeimu-lgwan" and summary["適用"] == list(applies.values()).count("適用")
    english = tmp_path / "soa-en.xlsx"
    assert (
        run_cli(
            ["checklist", "soa", "zeimu-lgwan", "--format", "xlsx", "-o", str(english), "--lang", "en"], workspace
        ).exit_code
        == 0
    )
    assert [c.value for c in openpyxl.load_workbook(english)["Statement"][1]][:3] == ["Section", "Control", "Title"]
    missing = run_cli(["checklist", "soa", "zeimu-lgwan", "--format", "xlsx"], workspace)
    assert missing.exit_code == 2 and "--output" in missing.stderr
    unknown = run_cli(["checklist", "soa", "no-such-service"], workspace)
    assert unknown.exit_code == 2


def test_existing_listing_commands_still_work(workspace: Path) -> None:
    listed = run_cli(["checklist", "list", "--checklist", "online-payment", "--format", "json"], workspace)
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 14
    shown = run_cli(["checklist", "show", "PAY-8.3-001", "--format", "json"], workspace)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["checklist"] == "online-payment"
    validated = run_cli(["checklist", "validate"], workspace)
    assert validated.exit_code == 0, validated.stderr
    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "checklists" / "cloud-saas.yaml").read_text())
    assert data["checklist"]["id"] == "cloud-saas"


def test_soa_of_the_my_number_service_lists_vulnerability_diagnosis(workspace: Path) -> None:
    """Vulnerability diagnosis is for every service, not only the Internet-facing ones (issue 16)."""
    result = run_cli(["checklist", "soa", "mynumber-kyufu", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    by_id = {c["id"]: c for c in json.loads(result.stdout)["controls"]}
    assert by_id["TEC-6.3-002"]["applicable"]
    assert by_id["TEC-6.3-002"]["reason"]["en"] == "applies to every service"
