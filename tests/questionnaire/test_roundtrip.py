"""Export, fill as an owner would, import, and see it in the store and in status."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import openpyxl

from secaudit.store import open_store
from secaudit.store.answers import answer_history, answer_sets_of, latest_answers
from secaudit.store.audit_log import entries
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import GOOD, TODAY, answer_organisation, compliant_answers, export, fill


def _store(workspace: Path):
    return open_store(find_workspace(workspace).database_url)


def test_round_trip_with_japanese_text(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx", "--due", "2026-12-20")
    fill(book, GOOD)
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 0, result.stderr
    assert "stored 6 answer(s)" in result.stderr
    store = _store(qworkspace)
    answers = latest_answers(store, "qtest-svc")
    assert answers[("QT-5.2-001", "q1")].value == "yes"
    assert answers[("QT-5.2-001", "q1")].evidence == "研修記録 2026年度（共有フォルダ/研修）"
    assert answers[("QT-5.2-001", "q1")].comment == "全員受講済み"
    assert answers[("QT-5.2-001", "q1")].answered_by == "山田 花子"
    assert answers[("QT-5.2-001", "q2")].value == "done"
    assert answers[("QT-6.1-001", "q1")].value == ["vendor", "jvn"]
    assert answers[("QT-6.1-001", "q2")].value == 7
    assert answers[("QT-6.1-001", "q3")].value == GOOD["QT-6.1-001/q3"][0].date()
    assert answers[("QT-6.1-001", "q4")].value == "- 特記事項なし"
    status = run_cli(["questionnaire", "status", "qtest-svc", "--format", "json"], qworkspace)
    assert status.exit_code == 0, status.stderr
    data = json.loads(status.stdout)[0]
    assert data["answered"] == 6
    assert data["applicable_questions"] == 6
    assert data["required_missing"] == 0
    assert data["last_import"]["source"] == "workbook"
    assert data["last_import"]["file"] == "q.xlsx"


def test_accepted_import_is_archived_logged_and_superseded_by_reimport(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD)
    assert run_cli(["questionnaire", "import", str(book)], qworkspace).exit_code == 0
    second = dict(GOOD)
    second["QT-6.1-001/q2"] = (21, None, "遅れあり")
    fill(book, second, out=tmp_path / "q2.xlsx")
    assert run_cli(["questionnaire", "import", str(tmp_path / "q2.xlsx")], qworkspace).exit_code == 0
    store = _store(qworkspace)
    history = answer_history(store, "qtest-svc", "QT-6.1-001", "q2")
    assert [a.value for a in history] == [7, 21]
    assert latest_answers(store, "qtest-svc")[("QT-6.1-001", "q2")].value == 21
    sets = answer_sets_of(store, "qtest-svc")
    assert len(sets) == 2
    archive = Path(sets[0]["archive_path"])
    assert archive.read_bytes() == (tmp_path / "q2.xlsx").read_bytes()
    assert archive.name.endswith(f"{sets[0]['sha256'][:16]}.xlsx")
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(archive.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(archive.parent.parent).st_mode) == 0o700
    actions = [e.action for e in entries(store, subject="qtest-svc", limit=10)]
    assert actions.count("answers.import") == 2
    assert "questionnaire.export" in actions


def test_answered_by_option_overrides_the_cell(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    fill(book, GOOD, answered_by=None)
    refused = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert refused.exit_code == 2
    assert "シート「記入方法」 セル B9: 回答者が記入されていません" in refused.stderr
    result = run_cli(["questionnaire", "import", str(book), "--answered-by", "鈴木 次郎"], qworkspace)
    assert result.exit_code == 0, result.stderr
    assert latest_answers(_store(qworkspace), "qtest-svc")[("QT-5.2-001", "q1")].answered_by == "鈴木 次郎"


def test_english_workbook_round_trip(qworkspace: Path, tmp_path: Path) -> None:
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx", "--lang", "en")
    answers = {
        "QT-5.2-001/q1": ("No", None, None),
        "QT-6.1-001/q1": ("None", None, None),
        "QT-6.1-001/q2": ("45", None, None),
        "QT-6.1-001/q3": (str(TODAY), "Report", None),
    }
    fill(book, answers, answered_by="Hanako Yamada")
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 0, result.stderr
    stored = latest_answers(_store(qworkspace), "qtest-svc")
    assert stored[("QT-5.2-001", "q1")].value == "no"
    assert stored[("QT-6.1-001", "q1")].value == ["none"]
    assert ("QT-5.2-001", "q2") not in stored  # follow-up not asked when the answer is "no"


def test_shipped_catalog_round_trip_for_an_example_service(workspace: Path, tmp_path: Path) -> None:
    book = export(workspace, "kosodate-portal", tmp_path / "k.xlsx")
    answers = compliant_answers(workspace, "kosodate-portal")
    fill(book, answers)
    result = run_cli(["questionnaire", "import", str(book)], workspace)
    assert result.exit_code == 0, result.stderr
    status = json.loads(run_cli(["questionnaire", "status", "--format", "json"], workspace).stdout)
    kosodate = next(s for s in status if s["service"] == "kosodate-portal")
    assert kosodate["answered"] == len(answers)
    # the city-wide questions are still missing, for the organisation questionnaire to answer
    assert kosodate["required_missing"] == len(kosodate["missing_from_organisation"]) > 0
    others = [s for s in status if s["service"] not in ("kosodate-portal", "organisation")]
    assert others and all(s["answered"] == 0 and s["last_import"] is None for s in others)
    answer_organisation(workspace, tmp_path)
    status = json.loads(run_cli(["questionnaire", "status", "--format", "json"], workspace).stdout)
    assert status[0]["service"] == "organisation" and status[0]["required_missing"] == 0
    kosodate = next(s for s in status if s["service"] == "kosodate-portal")
    assert kosodate["required_missing"] == 0 and kosodate["inherited"] > 0
    assert kosodate["answered"] == len(answers) + kosodate["inherited"]


def test_prefilled_review_round_keeps_text_that_looks_like_a_formula(qworkspace: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "answered_by: 山田 花子\n"
        "answers:\n"
        "  QT-5.2-001/q1: {value: 'yes', evidence: '=規程 第3条', comment: '-特になし'}\n"
        "  QT-5.2-001/q2: planned\n"
        "  QT-6.1-001/q1: [vendor, jvn]\n"
        "  QT-6.1-001/q2: 12.5\n"
        f"  QT-6.1-001/q3: {{value: {TODAY.isoformat()}, evidence: '@報告書'}}\n",
        encoding="utf-8",
    )
    assert run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(answers)], qworkspace).exit_code == 0
    book = export(qworkspace, "qtest-svc", tmp_path / "review.xlsx", "--prefill")
    sheet = openpyxl.load_workbook(book).worksheets[1]
    assert [sheet[f"F{r}"].value for r in range(2, 5)] == ["はい", "計画中", "ベンダー通知; JVN"]
    assert sheet["G2"].value == "'=規程 第3条" and sheet["G2"].data_type == "s"
    assert sheet["H2"].value == "'-特になし"
    assert sheet["F5"].value == 12.5
    fill(book, {})
    result = run_cli(["questionnaire", "import", str(book)], qworkspace)
    assert result.exit_code == 0, result.stderr
    store = _store(qworkspace)
    stored = latest_answers(store, "qtest-svc")
    assert stored[("QT-5.2-001", "q1")].evidence == "=規程 第3条"
    assert stored[("QT-5.2-001", "q1")].comment == "-特になし"
    assert stored[("QT-6.1-001", "q3")].evidence == "@報告書"
    assert stored[("QT-6.1-001", "q3")].value == TODAY
    assert stored[("QT-6.1-001", "q2")].value == 12.5
    assert [a.source.value for a in answer_history(store, "qtest-svc", "QT-5.2-001", "q2")] == ["file", "workbook"]


def test_round_trip_carries_the_questions_of_the_new_attributes(workspace: Path, tmp_path: Path) -> None:
    """mynumber-kyufu declares gov_cloud and remote_access: their questions travel out and back in."""
    book = export(workspace, "mynumber-kyufu", tmp_path / "m.xlsx")
    answers = compliant_answers(workspace, "mynumber-kyufu")
    new_refs = {"VEND-8.3-007/q1", "NET-3-014/q1", "VEND-8.2-004/q2", "TEC-6.6-004/q1", "TEC-6.2-007/q2"}
    assert new_refs <= set(answers)
    assert not any(ref.startswith(("HUM-5.1-006/", "TEC-6.3-007/")) for ref in answers)  # no generative AI
    fill(book, answers)
    result = run_cli(["questionnaire", "import", str(book)], workspace)
    assert result.exit_code == 0, result.stderr
    stored = latest_answers(_store(workspace), "mynumber-kyufu")
    assert stored[("VEND-8.3-007", "q1")].value == "matrix_agreed"
    assert stored[("TEC-6.6-004", "q1")].value == "emergency"
    assert stored[("TEC-6.2-007", "q2")].value == "yes"
    assert stored[("VEND-8.3-007", "q1")].evidence


def test_a_workbook_may_name_an_evidence_file_uploaded_on_the_portal_and_only_one_of_its_own(
    qworkspace: Path, tmp_path: Path
) -> None:
    from secaudit import clock
    from secaudit.store.evidence import EvidenceRecord, add_evidence_file

    store = _store(qworkspace)
    for service_id, file_id in (("qtest-svc", "ev-0000000000aa"), ("kosodate-portal", "ev-0000000000bb")):
        add_evidence_file(
            store,
            EvidenceRecord(
                id=file_id,
                service_id=service_id,
                control_id="QT-5.2-001",
                question_id="q1",
                sha256="0" * 64,
                name="研修記録.pdf",
                media_type="application/pdf",
                size=1,
                owner="yamada@city.example.jp",
                uploaded_by="yamada@city.example.jp",
                uploaded_at=clock.now(),
                valid_until=None,
            ),
        )
    store.close()
    book = export(qworkspace, "qtest-svc", tmp_path / "q.xlsx")
    foreign = dict(GOOD)
    foreign["QT-5.2-001/q1"] = ("はい", "研修記録 [ev-0000000000bb]", None)
    fill(book, foreign, out=tmp_path / "foreign.xlsx")
    refused = run_cli(["questionnaire", "import", str(tmp_path / "foreign.xlsx")], qworkspace)
    assert refused.exit_code == 2
    assert "根拠資料 ev-0000000000bb はこのサービスに登録されていません" in refused.stderr
    assert "foreign.xlsx: シート「回答」" in refused.stderr and "列（証跡（資料名・保管場所））" in refused.stderr
    own = dict(GOOD)
    own["QT-5.2-001/q1"] = ("はい", "研修記録 [ev-0000000000aa]", None)
    fill(book, own, out=tmp_path / "own.xlsx")
    assert run_cli(["questionnaire", "import", str(tmp_path / "own.xlsx")], qworkspace).exit_code == 0
    assert (
        latest_answers(_store(qworkspace), "qtest-svc")[("QT-5.2-001", "q1")].evidence == "研修記録 [ev-0000000000aa]"
    )
