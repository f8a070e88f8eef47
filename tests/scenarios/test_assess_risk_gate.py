"""End to end: answers and a scan on record, then assess, risk list, accept and gate through the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from secaudit.model import Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.store import open_store
from secaudit.store.scans import begin_run, finish_run
from tests.conftest import run_cli, store_answers

SERVICE = "zeimu-lgwan"
TODAY = dt.date.today()


def _store(starter_workspace: Path):
    return open_store(f"sqlite:///{starter_workspace / '.secaudit' / 'secaudit.db'}")


def save_answers(starter_workspace: Path, values: dict[tuple[str, str], object], service: str = SERVICE) -> None:
    """Save one answer set through the store, as a workbook import would."""
    store_answers(starter_workspace, service, values, answered_by="鈴木 次郎", source_ref="zeimu-answers.xlsx")


def save_scan(
    starter_workspace: Path, statuses: dict[str, ObservationStatus], run_id: str = "run-1", age_days: int = 0
) -> None:
    """Record a completed scan run with one observation per check."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days)
    store = _store(starter_workspace)
    run = ScanRun(id=run_id, service_id=SERVICE, profile="standard", started_at=when, secaudit_version="test")
    begin_run(store, run)
    done = run.model_copy(update={"status": RunStatus.COMPLETED, "finished_at": when})
    observations = [
        Observation(
            run_id=run_id,
            service_id=SERVICE,
            check_id=check,
            target="localhost",
            status=status,
            evidence=f"{check}: {status.value}",
            observed_at=when,
        )
        for check, status in statuses.items()
    ]
    finish_run(store, done, observations, [])


ALL_ANSWERED = {
    ("XHUM-5.2-001", "q1"): TODAY - dt.timedelta(days=30),
    ("XHUM-5.3-001", "q1"): "no",
    ("XHUM-5.4-001", "q1"): "no",
    ("XPHY-4.1-001", "q1"): "controlled_room",
    ("XPHY-4.2-001", "q1"): "yes",
    ("XPHY-4.4-001", "q1"): "encrypted_logged",
    ("XTEC-6.2-001", "q1"): TODAY - dt.timedelta(days=30),
    ("XTEC-6.6-001", "q1"): ["vendor", "jvn", "inventory"],
    ("XORG-1-001", "q1"): "yes",
}


@pytest.fixture
def evidence(starter_workspace: Path) -> Path:
    """zeimu-lgwan with every required answer given and a fresh scan showing an unexpected open port."""
    save_answers(starter_workspace, ALL_ANSWERED)
    save_scan(starter_workspace, {"ports.unexpected-open": ObservationStatus.FAIL})
    return starter_workspace


def test_risk_list_json_names_ratings_and_gate_names_high_risks(evidence: Path) -> None:
    listed = run_cli(["risk", "list", SERVICE, "--format", "json"], evidence)
    assert listed.exit_code == 0, listed.stderr
    entries = json.loads(listed.stdout)
    by_id = {e["id"]: e for e in entries}
    high = {f"R-{SERVICE}-XHUM-5.3-001", f"R-{SERVICE}-XHUM-5.4-001", f"R-{SERVICE}-XTEC-6.1-002"}
    assert set(by_id) == high
    for entry in entries:
        assert {"id", "control", "likelihood", "impact", "level", "status"} <= set(entry)
        assert entry["level"] == "High" and entry["status"] == "open"
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 1
    assert "NO-GO" in gate.stdout
    for rid in high:
        assert rid in gate.stdout


def test_acceptance_clears_the_gate_until_it_expires(evidence: Path) -> None:
    high = [f"R-{SERVICE}-XHUM-5.3-001", f"R-{SERVICE}-XHUM-5.4-001", f"R-{SERVICE}-XTEC-6.1-002"]
    future = (TODAY + dt.timedelta(days=90)).isoformat()
    accepted = run_cli(
        [
            "risk",
            "accept",
            SERVICE,
            *high,
            "--approver",
            "CISO 高橋",
            "--justification",
            "代替策で監視",
            "--expires",
            future,
        ],
        evidence,
    )
    assert accepted.exit_code == 0, accepted.stderr
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 0, gate.stdout
    assert "GO" in gate.stdout
    for rid in high:
        assert rid not in gate.stdout
    listed = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert {e["status"] for e in listed} == {"accepted"}

    past = (TODAY - dt.timedelta(days=1)).isoformat()
    expired = run_cli(
        ["risk", "accept", SERVICE, *high, "--approver", "CISO 高橋", "--justification", "延長なし", "--expires", past],
        evidence,
    )
    assert expired.exit_code == 0
    gate = run_cli(["gate", SERVICE], evidence)
    assert gate.exit_code == 1
    for rid in high:
        assert rid in gate.stdout


def test_assess_prints_results_and_scores(evidence: Path) -> None:
    shown = run_cli(["assess", SERVICE, "--format", "json"], evidence)
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    statuses = {r["control_id"]: r["status"] for r in data["results"]}
    assert statuses["XTEC-6.1-002"] == "fail" and statuses["XTEC-6.1-001"] == "not_applicable"
    assert statuses["XHUM-5.2-001"] == "pass"
    overall = data["scores"]["overall"]
    assert overall["applicable"] == 10 and overall["assessed"] == 10 and overall["coverage"] == 1.0
    assert overall["pass_rate"] == 0.7
    table = run_cli(["assess", SERVICE], evidence)
    assert table.exit_code == 0 and "XTEC-6.1-002" in table.stdout and "pass rate 70.0%" in table.stdout


def test_missing_answers_show_as_awaiting_and_block_the_gate(starter_workspace: Path) -> None:
    answered = dict(ALL_ANSWERED)
    del answered[("XPHY-4.4-001", "q1")]
    answered[("XHUM-5.3-001", "q1")] = "yes"
    answered[("XHUM-5.3-001", "q2")] = "done"
    answered[("XHUM-5.4-001", "q1")] = "yes"
    save_answers(starter_workspace, answered)
    save_scan(starter_workspace, {"ports.unexpected-open": ObservationStatus.PASS})
    data = json.loads(run_cli(["assess", SERVICE, "--format", "json"], starter_workspace).stdout)
    assert {r["control_id"]: r["status"] for r in data["results"]}["XPHY-4.4-001"] == "awaiting_answer"
    assert data["scores"]["overall"]["coverage"] == 0.9
    gate = run_cli(["gate", SERVICE, "--format", "json"], starter_workspace)
    assert gate.exit_code == 1
    decision = json.loads(gate.stdout)
    assert decision["decision"] == "NO-GO"
    assert [r["clause"] for r in decision["reasons"]] == ["answers"]
    assert decision["reasons"][0]["refs"] == ["XPHY-4.4-001"]


def test_gate_without_any_scan_is_no_go(starter_workspace: Path) -> None:
    save_answers(starter_workspace, ALL_ANSWERED)
    gate = run_cli(["gate", SERVICE, "--lang", "en"], starter_workspace)
    assert gate.exit_code == 1 and "no completed scan" in gate.stdout
    japanese = run_cli(["gate", SERVICE], starter_workspace)  # the workspace's language is ja
    assert japanese.exit_code == 1 and "完了したスキャンの記録がありません" in japanese.stdout


def test_review_override_wins_is_logged_and_lapses_with_new_answers(evidence: Path) -> None:
    review = run_cli(
        [
            "assess",
            "review",
            SERVICE,
            "XPHY-4.2-001",
            "--result",
            "fail",
            "--note",
            "入退室記録が未提出",
            "--reviewer",
            "監査人 佐藤",
        ],
        evidence,
    )
    assert review.exit_code == 0, review.stderr
    assert "overridden (pass -> fail)" in review.stderr
    result = _result(evidence, "XPHY-4.2-001")
    assert result["status"] == "fail" and result["overridden"] and result["self_assessed_status"] == "pass"
    assert result["trail"][-1]["kind"] == "review" and result["trail"][-1]["who"] == "監査人 佐藤"
    risks = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert f"R-{SERVICE}-XPHY-4.2-001" in {e["id"] for e in risks}
    log = json.loads(run_cli(["log", "show", "--subject", SERVICE, "--format", "json"], evidence).stdout)
    assert any(e["action"] == "assess.review" and e["details"]["control"] == "XPHY-4.2-001" for e in log)
    save_answers(evidence, {("XPHY-4.2-001", "q1"): "yes"})
    lapsed = _result(evidence, "XPHY-4.2-001")
    assert lapsed["status"] == "pass" and lapsed["trail"][-1]["verdict"] == "lapsed"
    risks = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert {e["id"]: e["status"] for e in risks}[f"R-{SERVICE}-XPHY-4.2-001"] == "resolved"


def _result(starter_workspace: Path, control_id: str) -> dict:
    data = json.loads(run_cli(["assess", SERVICE, "--format", "json"], starter_workspace).stdout)
    return next(r for r in data["results"] if r["control_id"] == control_id)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--result", "waived", "--note", "n", "--reviewer", "r"], "--result"),
        (["--result", "pass", "--note", "n"], "--reviewer"),
    ],
)
def test_bad_reviews_are_refused(evidence: Path, args: list[str], message: str) -> None:
    result = run_cli(["assess", "review", SERVICE, "XPHY-4.2-001", *args], evidence)
    assert result.exit_code == 2 and message in result.stderr


def test_review_of_unknown_control_is_refused(evidence: Path) -> None:
    result = run_cli(
        ["assess", "review", SERVICE, "XYZ-1-001", "--result", "pass", "--note", "n", "--reviewer", "r"], evidence
    )
    assert result.exit_code == 2 and "XYZ-1-001" in result.stderr


def test_treatment_plans_make_medium_risks_conditional_and_strict_exits_1(starter_workspace: Path) -> None:
    answered = dict(ALL_ANSWERED)
    answered[("XHUM-5.3-001", "q1")] = "yes"
    answered[("XHUM-5.3-001", "q2")] = "done"
    answered[("XHUM-5.4-001", "q1")] = "yes"
    answered[("XTEC-6.6-001", "q1")] = ["none"]  # a medium control not met: a Medium risk (docs/risk.md)
    save_answers(starter_workspace, answered)
    save_scan(starter_workspace, {"ports.unexpected-open": ObservationStatus.PASS})
    rid = f"R-{SERVICE}-XTEC-6.6-001"
    before = run_cli(["gate", SERVICE, "--lang", "en"], starter_workspace)
    assert before.exit_code == 0 and "CONDITIONAL" in before.stdout and "no treatment plan" in before.stdout
    treat = run_cli(
        [
            "risk",
            "treat",
            SERVICE,
            rid,
            "--kind",
            "mitigate",
            "--owner",
            "税務課",
            "--plan",
            "JVN を週次確認",
            "--due",
            "2027-03-31",
            "--by",
            "佐藤",
        ],
        starter_workspace,
    )
    assert treat.exit_code == 0, treat.stderr
    entry = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], starter_workspace).stdout)[0]
    assert entry["status"] == "treating" and entry["treatment"]["owner"] == "税務課"
    after = run_cli(["gate", SERVICE, "--lang", "en"], starter_workspace)
    assert after.exit_code == 0 and "JVN を週次確認" in after.stdout
    strict = run_cli(["gate", SERVICE, "--strict"], starter_workspace)
    assert strict.exit_code == 1 and "CONDITIONAL" in strict.stdout
    log = json.loads(run_cli(["log", "show", "--subject", SERVICE, "--format", "json"], starter_workspace).stdout)
    decisions = [e["details"]["decision"] for e in log if e["action"] == "gate.decide"]
    assert decisions == ["CONDITIONAL", "CONDITIONAL", "CONDITIONAL"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["R-zeimu-lgwan-NOPE-1-001", "--kind", "mitigate", "--owner", "o", "--plan", "p", "--by", "x"], "has no risk"),
        (["R-zeimu-lgwan-XTEC-6.1-002", "--kind", "accept", "--owner", "o", "--plan", "p", "--by", "x"], "risk accept"),
        (["R-zeimu-lgwan-XTEC-6.1-002", "--kind", "mitigate", "--owner", "o", "--plan", " ", "--by", "x"], "plan"),
        (
            [
                "R-zeimu-lgwan-XTEC-6.1-002",
                "--kind",
                "avoid",
                "--owner",
                "o",
                "--plan",
                "p",
                "--due",
                "soon",
                "--by",
                "x",
            ],
            "--due",
        ),
    ],
)
def test_bad_treatments_are_refused(evidence: Path, args: list[str], message: str) -> None:
    result = run_cli(["risk", "treat", SERVICE, *args], evidence)
    assert result.exit_code == 2 and message in result.stderr


def test_register_export_edit_import_round_trip(evidence: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from secaudit.risk.layout import COLUMNS

    keys = [c.key for c in COLUMNS]
    book = tmp_path / "register.xlsx"
    exported = run_cli(["risk", "export", SERVICE, "-o", str(book)], evidence)
    assert exported.exit_code == 0, exported.stderr
    wb = load_workbook(book)
    sheet = wb["リスク登録簿"]  # the workspace's language, Japanese
    assert [c.value for c in sheet[1]] == [c.ja for c in COLUMNS]
    assert (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.print_title_rows) == (
        "landscape",
        1,
        "$1:$1",
    )
    assert [dv.formula1 for dv in sheet.data_validations.dataValidation if dv.type == "list"] == [
        '"対策,受容,移転,回避"'
    ]
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    row = rows[f"R-{SERVICE}-XTEC-6.1-002"]
    for name, value in {
        "treatment": "対策",
        "owner": "情報システム課",
        "plan": "FW で遮断",
        "due": "2027-01-15",
    }.items():
        sheet.cell(row=row, column=keys.index(name) + 1, value=value)
    wb.save(book)
    imported = run_cli(["risk", "import", str(book), "--by", "佐藤"], evidence)
    assert imported.exit_code == 0, imported.stderr
    assert "1 treatment(s) stored" in imported.stderr
    again = run_cli(["risk", "import", str(book), "--by", "佐藤"], evidence)
    assert "0 treatment(s) stored, 1 unchanged" in again.stderr
    entries = {e["id"]: e for e in json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)}
    assert entries[f"R-{SERVICE}-XTEC-6.1-002"]["status"] == "treating"
    for suffix in ("csv", "json"):
        target = tmp_path / f"register.{suffix}"
        assert run_cli(["risk", "export", SERVICE, "-o", str(target)], evidence).exit_code == 0
        assert f"R-{SERVICE}-XTEC-6.1-002" in target.read_text(encoding="utf-8")


def test_hostile_register_stores_nothing(evidence: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from secaudit.risk.layout import COLUMNS

    keys = [c.key for c in COLUMNS]
    book = tmp_path / "register.xlsx"
    run_cli(["risk", "export", SERVICE, "-o", str(book), "--lang", "en"], evidence)
    wb = load_workbook(book)
    sheet = wb["Register"]
    sheet.cell(row=2, column=keys.index("treatment") + 1, value="mitigate")
    sheet.cell(row=2, column=keys.index("owner") + 1, value="課")
    sheet.cell(row=2, column=keys.index("plan") + 1, value="直す")
    sheet.cell(row=3, column=keys.index("treatment") + 1, value="accept")
    sheet.cell(row=3, column=keys.index("approver") + 1, value='=HYPERLINK("http://evil.example")')
    wb.save(book)
    result = run_cli(["risk", "import", str(book), "--by", "佐藤"], evidence)
    assert result.exit_code == 2
    assert "Register!row 3 column 'Approver (accept)': formulas are not accepted" in result.stderr
    entries = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert all(e["treatment"] is None for e in entries)
    text = tmp_path / "register.txt"
    text.write_text("risk_id\n")
    refused = run_cli(["risk", "import", str(text), "--by", "佐藤"], evidence)
    assert refused.exit_code == 2 and "only .xlsx" in refused.stderr


def test_register_and_report_csv_share_one_row_schema(evidence: Path, tmp_path: Path) -> None:
    """``risk export`` and ``report --format csv`` write the same columns and the same risks."""
    from secaudit.risk.workbook import COLUMNS

    exported = tmp_path / "register.csv"
    assert run_cli(["risk", "export", SERVICE, "-o", str(exported)], evidence).exit_code == 0
    tables = {"register": exported.read_bytes()}
    for lang in ("ja", "en"):
        out = tmp_path / f"report-{lang}.csv"
        result = run_cli(["report", SERVICE, "--format", "csv", "--lang", lang, "-o", str(out)], evidence)
        assert result.exit_code == 0, result.stderr
        tables[lang] = out.read_bytes()
    rows = {name: list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) for name, data in tables.items()}
    assert rows["register"][0] == rows["ja"][0] == rows["en"][0] == list(COLUMNS)
    assert "rationale_ja" in rows["register"][0]
    ids = {name: sorted(row[0] for row in table[1:]) for name, table in rows.items()}
    assert ids["register"] and ids["register"] == ids["ja"] == ids["en"]
    by_id = {name: {row[0]: row for row in table[1:]} for name, table in rows.items()}
    assert by_id["register"] == by_id["ja"] == by_id["en"]


def test_three_by_three_matrix_from_the_workspace_config(evidence: Path) -> None:
    config = evidence / "secaudit.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace('risk_matrix: "5x5"', 'risk_matrix: "3x3"'))
    entries = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert {e["level"] for e in entries} == {"高"}
    assert all(e["likelihood"] <= 3 and e["impact"] <= 3 for e in entries)
    assert run_cli(["gate", SERVICE], evidence).exit_code == 1


def test_gate_exit_code_from_a_real_process(evidence: Path) -> None:
    from tests.conftest import run_subprocess

    done = run_subprocess(["gate", SERVICE, "--format", "json"], env={"SECAUDIT_WORKSPACE": str(evidence)})
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["decision"] == "NO-GO"


def test_service_without_scope_needs_no_scan(starter_workspace: Path) -> None:
    service = "mynumber-kyufu"
    answered = {k: v for k, v in ALL_ANSWERED.items() if k[0] not in ("XHUM-5.3-001", "XHUM-5.4-001")}
    answered.update({("XHUM-5.3-001", "q1"): "yes", ("XHUM-5.3-001", "q2"): "done", ("XHUM-5.4-001", "q1"): "yes"})
    save_answers(starter_workspace, answered, service=service)
    decision = json.loads(run_cli(["gate", service, "--format", "json"], starter_workspace).stdout)
    clauses = {r["clause"] for r in decision["reasons"]}
    assert not {"scan-missing", "scan-incomplete"} & clauses
    assert "scan-not-declared" in clauses
    results = json.loads(run_cli(["assess", service, "--format", "json"], starter_workspace).stdout)["results"]
    assert {r["control_id"]: r["status"] for r in results}["XTEC-6.1-002"] == "not_scanned"


def test_two_officers_editing_the_same_risk_the_second_gets_a_conflict_and_nothing_is_stored(
    evidence: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from secaudit.risk.layout import COLUMNS

    keys = [c.key for c in COLUMNS]
    rid = f"R-{SERVICE}-XTEC-6.1-002"

    def export(name: str) -> Path:
        book = tmp_path / name
        assert run_cli(["risk", "export", SERVICE, "-o", str(book)], evidence).exit_code == 0
        return book

    def fill(book: Path, owner: str, plan: str) -> None:
        wb = load_workbook(book)
        sheet = wb["リスク登録簿"]
        row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == rid)
        for name, value in {"treatment": "対策", "owner": owner, "plan": plan, "due": "2027-01-15"}.items():
            sheet.cell(row=row, column=keys.index(name) + 1, value=value)
        wb.save(book)

    sato = export("sato.xlsx")
    suzuki = export("suzuki.xlsx")  # both exported before either imported
    fill(sato, "情報システム課", "FW で遮断")
    fill(suzuki, "こども部", "WAF を導入")
    assert run_cli(["risk", "import", str(sato), "--by", "佐藤"], evidence).exit_code == 0
    second = run_cli(["risk", "import", str(suzuki), "--by", "鈴木"], evidence)
    assert second.exit_code == 2
    assert f"{rid} はこの登録簿を書き出した後に 佐藤 が" in second.stderr
    assert "書き出し直し（secaudit risk export）" in second.stderr
    listed = {e["id"]: e for e in json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)}
    assert "FW で遮断" in json.dumps(listed[rid], ensure_ascii=False)  # 佐藤's treatment stands
    again = export("suzuki2.xlsx")
    fill(again, "こども部", "WAF を導入")
    assert run_cli(["risk", "import", str(again), "--by", "鈴木"], evidence).exit_code == 0
