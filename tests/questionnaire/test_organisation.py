"""The organisation questionnaire: city-wide controls answered once, through the real CLI and real workbooks,
and inherited by every service unless the service answers them itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl

from secaudit.catalog import load_catalog
from secaudit.model import ORGANISATION_ID
from secaudit.questionnaire import layout as L
from secaudit.store import audit_log, open_store
from secaudit.store.answers import answer_sets_of, latest_answers, store_counts
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import answer_organisation, compliant_answers, export, fill

SERVICE = "kosodate-portal"
NO = ("いいえ", None, None)
YES_WITH_EVIDENCE = ("はい", "懲戒処分の指針（人事課）", None)


def _city_wide(workspace: Path) -> set[str]:
    catalog = load_catalog(find_workspace(workspace).catalog_layers())
    return {c.id for c in catalog.organisation_controls() if c.questions}


def _controls_in(book: Path) -> set[str]:
    sheet = openpyxl.load_workbook(book).worksheets[1]
    return {sheet.cell(r, L.COL_CONTROL).value for r in range(2, sheet.max_row + 1)} - {None}


def _assess(workspace: Path, service: str = SERVICE) -> dict[str, dict[str, Any]]:
    result = run_cli(["assess", "show", service, "--format", "json"], workspace)
    assert result.exit_code in (0, 1), result.stderr
    return {r["control_id"]: r for r in json.loads(result.stdout)["results"]}


def _answer_sources(result: dict[str, Any]) -> list[str]:
    return [e.get("source", "") for e in result.get("trail", []) if e["kind"] == "answer"]


def test_the_organisation_questionnaire_round_trip(workspace: Path, tmp_path: Path) -> None:
    book = tmp_path / "city.xlsx"
    exported = run_cli(["questionnaire", "export", "--organisation", "-o", str(book)], workspace)
    assert exported.exit_code == 0, exported.stderr
    assert _controls_in(book) == _city_wide(workspace)
    instructions = openpyxl.load_workbook(book).worksheets[0]
    assert instructions["B2"].value == "テスト市 (organisation)"
    answers = compliant_answers(workspace, ORGANISATION_ID)
    fill(book, answers, answered_by="佐藤 一郎")
    imported = run_cli(["questionnaire", "import", "--organisation", str(book)], workspace)
    assert imported.exit_code == 0, imported.stderr
    assert f"stored {len(answers)} answer(s) for organisation answered by 佐藤 一郎" in imported.stderr
    store = open_store(find_workspace(workspace).database_url)
    stored = latest_answers(store, ORGANISATION_ID)
    assert {f"{c}/{q}" for c, q in stored} == set(answers)
    assert all(a.answered_by == "佐藤 一郎" and a.source_ref == "city.xlsx" for a in stored.values())
    [answer_set] = answer_sets_of(store, ORGANISATION_ID)
    assert Path(answer_set["archive_path"]).parent.name == ORGANISATION_ID
    entry = audit_log.entries(store)[-1]
    assert (entry.action, entry.subject) == ("answers.import", ORGANISATION_ID)
    assert entry.details["source"] == "workbook" and entry.details["ref"] == "city.xlsx"
    status = json.loads(run_cli(["questionnaire", "status", "--organisation", "--format", "json"], workspace).stdout)
    assert [(s["service"], s["required_missing"], s["answered"]) for s in status] == [
        (ORGANISATION_ID, 0, len(answers))
    ]


def test_a_workbook_imported_as_the_wrong_kind_is_refused_and_nothing_stored(
    workspace: Path, tmp_path: Path
) -> None:
    city = tmp_path / "city.xlsx"
    assert run_cli(["questionnaire", "export", "--organisation", "-o", str(city)], workspace).exit_code == 0
    fill(city, compliant_answers(workspace, ORGANISATION_ID))
    own = fill(export(workspace, SERVICE, tmp_path / "own.xlsx"), compliant_answers(workspace, SERVICE))
    store = open_store(find_workspace(workspace).database_url)
    before = store_counts(store)
    as_service = run_cli(["questionnaire", "import", str(city)], workspace)
    assert as_service.exit_code == 2
    assert "これは全庁共通の質問票です。secaudit questionnaire import --organisation で取り込んでください" in (
        as_service.stderr
    )
    as_city = run_cli(["questionnaire", "import", "--organisation", str(own)], workspace)
    assert as_city.exit_code == 2
    assert f"これはサービス「{SERVICE}」の質問票で、全庁共通の質問票ではありません" in as_city.stderr
    assert store_counts(store) == before


def test_export_names_a_service_or_the_organisation(workspace: Path, tmp_path: Path) -> None:
    both = run_cli(["questionnaire", "export", SERVICE, "--organisation", "-o", str(tmp_path / "x.xlsx")], workspace)
    neither = run_cli(["questionnaire", "export", "-o", str(tmp_path / "x.xlsx")], workspace)
    for result in (both, neither):
        assert result.exit_code == 2 and "give --organisation for the organisation questionnaire" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_a_service_inherits_the_city_wide_answers_and_may_override_them(workspace: Path, tmp_path: Path) -> None:
    own = fill(export(workspace, SERVICE, tmp_path / "own.xlsx"), compliant_answers(workspace, SERVICE))
    assert run_cli(["questionnaire", "import", str(own)], workspace).exit_code == 0
    answer_organisation(workspace, tmp_path, {"OPS-7.6-001/q1": NO})
    results = _assess(workspace)
    assert results["HUM-5.2-001"]["status"] == "pass"  # the city's compliant training answer
    assert results["OPS-7.6-001"]["status"] == "fail"  # the city's non-compliant answer, inherited
    assert _answer_sources(results["OPS-7.6-001"]) == ["organisation: workbook: city.xlsx"]
    assert _assess(workspace, "zeimu-lgwan")["OPS-7.6-001"]["status"] == "fail"  # every service inherits it

    # the service answers the city-wide control itself: its own answer is the one in force
    override = export(workspace, SERVICE, tmp_path / "override.xlsx", "--include-organisation")
    assert "OPS-7.6-001" in _controls_in(override)
    answers = {**compliant_answers(workspace, SERVICE, include_organisation=True), "OPS-7.6-001/q1": YES_WITH_EVIDENCE}
    assert run_cli(["questionnaire", "import", str(fill(override, answers))], workspace).exit_code == 0
    results = _assess(workspace)
    assert results["OPS-7.6-001"]["status"] == "pass"
    assert _answer_sources(results["OPS-7.6-001"]) == ["workbook: override.xlsx"]
    assert _assess(workspace, "zeimu-lgwan")["OPS-7.6-001"]["status"] == "fail"  # others still inherit


def test_missing_city_wide_answers_await_the_organisation_questionnaire(workspace: Path, tmp_path: Path) -> None:
    own = fill(export(workspace, SERVICE, tmp_path / "own.xlsx"), compliant_answers(workspace, SERVICE))
    assert run_cli(["questionnaire", "import", str(own)], workspace).exit_code == 0
    training = _assess(workspace)["HUM-5.2-001"]
    assert training["status"] == "awaiting_answer"
    assert "organisation questionnaire (secaudit questionnaire export --organisation)" in training["reason"]
    assert "全庁共通の質問票" in training["reason_ja"]
    status = json.loads(run_cli(["questionnaire", "status", SERVICE, "--format", "json"], workspace).stdout)
    assert status[0]["missing"] == status[0]["missing_from_organisation"]
    assert "HUM-5.2-001/q1" in status[0]["missing"] and status[0]["inherited"] == 0
    gate = run_cli(["gate", SERVICE], workspace)
    assert gate.exit_code == 1, gate.stdout


def test_the_report_names_an_inherited_answer(workspace: Path, tmp_path: Path) -> None:
    own = fill(export(workspace, SERVICE, tmp_path / "own.xlsx"), compliant_answers(workspace, SERVICE))
    assert run_cli(["questionnaire", "import", str(own)], workspace).exit_code == 0
    answer_organisation(workspace, tmp_path, {"OPS-7.6-001/q1": NO})
    report = tmp_path / "report.md"
    result = run_cli(["report", SERVICE, "--format", "md", "-o", str(report)], workspace)
    assert result.exit_code == 0, result.stderr
    text = report.read_text(encoding="utf-8")
    assert "全庁共通の回答（質問票 city.xlsx、山田 花子、" in text
