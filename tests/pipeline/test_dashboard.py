"""The dashboard remembers each service's row while nothing it was judged from has changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secaudit.model import ORGANISATION_ID
from secaudit.store import open_store
from tests.conftest import run_cli, store_answers


def board(workspace: Path) -> dict[str, dict]:
    result = run_cli(["dashboard", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    return {row["service"]: row for row in json.loads(result.stdout)["services"]}


def answer(workspace: Path, service: str, control: str, question: str, value: object) -> None:
    store_answers(workspace, service, {(control, question): value}, answered_by="山田", source_ref=None)


def test_unchanged_services_are_not_judged_again(starter_workspace: Path, evaluations: list[str]) -> None:
    first = board(starter_workspace)
    assert sorted(evaluations) == ["kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"]
    evaluations.clear()
    assert board(starter_workspace) == first
    assert evaluations == []


def test_a_city_wide_answer_judges_every_service_again(starter_workspace: Path, evaluations: list[str]) -> None:
    """Every service inherits the organisation's answers, so one new city-wide answer changes every row."""
    board(starter_workspace)
    evaluations.clear()
    answer(starter_workspace, ORGANISATION_ID, "HUM-5.2-001", "q1", "no")
    rows = board(starter_workspace)
    assert sorted(evaluations) == ["kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"]
    evaluations.clear()
    assert board(starter_workspace) == rows
    assert evaluations == []


def test_new_evidence_or_an_edited_service_file_is_judged_afresh(
    starter_workspace: Path, evaluations: list[str]
) -> None:
    before = board(starter_workspace)["zeimu-lgwan"]
    evaluations.clear()
    answer(starter_workspace, "zeimu-lgwan", "XHUM-5.4-001", "q1", "yes")
    after = board(starter_workspace)["zeimu-lgwan"]
    assert evaluations == ["zeimu-lgwan"]
    assert after["questionnaire"]["answered"] == before["questionnaire"]["answered"] + 1
    evaluations.clear()
    path = starter_workspace / "services" / "mynumber-kyufu.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("launch_date: 2027-10-01", "launch_date: 2027-11-01"), encoding="utf-8"
    )
    rows = board(starter_workspace)
    assert evaluations == ["mynumber-kyufu"]
    assert rows["mynumber-kyufu"]["launch_date"] == "2027-11-01"


def test_a_new_day_judges_everything_again(starter_workspace: Path, evaluations: list[str]) -> None:
    from secaudit.pipeline.dashboard import collect_dashboard
    from secaudit.pipeline.session import Session

    st = Session(workspace_path=starter_workspace)
    today = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    collect_dashboard(st, now=today)
    evaluations.clear()
    collect_dashboard(st, now=today + dt.timedelta(hours=1))
    assert evaluations == []
    collect_dashboard(st, now=today + dt.timedelta(days=1))
    assert sorted(evaluations) == ["kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"]


def test_the_japanese_dashboard_gives_the_reason_in_japanese(starter_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "dashboard.html"
    assert run_cli(["dashboard", "-o", str(out), "--lang", "ja"], starter_workspace).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "必須質問が未回答の管理策" in html and "await required answers" not in html
    english = tmp_path / "dashboard-en.html"
    assert run_cli(["dashboard", "-o", str(english), "--lang", "en"], starter_workspace).exit_code == 0
    assert "await required answers" in english.read_text(encoding="utf-8")


def test_rows_judged_in_batches_equal_rows_judged_one_by_one(
    starter_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secaudit.pipeline.dashboard as dashboard
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.pipeline.reporting import report_input
    from secaudit.pipeline.session import Session
    from secaudit.report.dashboard import row_from_input, row_record
    from secaudit.store import audit_log
    from secaudit.store.risks import lifecycle_of

    moment = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    answer(starter_workspace, "zeimu-lgwan", "XHUM-5.4-001", "q1", "no")
    one_by_one = {}
    for sid in ("kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"):
        st = Session(workspace_path=starter_workspace)
        full = evaluate_service(st, sid, now=moment, record=False)
        one_by_one[sid] = row_record(row_from_input(report_input(st, full, moment, with_history=False)))
    st = Session(workspace_path=starter_workspace)
    assert lifecycle_of(st.store(), "zeimu-lgwan") == {}
    monkeypatch.setattr(dashboard, "EVALUATION_CHUNK", 2)  # batches of 2 and 1
    rows = {row.service_id: row_record(row) for row in dashboard.collect_dashboard(st, now=moment).rows}
    assert rows == one_by_one
    assert "R-zeimu-lgwan-XHUM-5.4-001" in lifecycle_of(st.store(), "zeimu-lgwan")  # risks remembered in one write
    assert audit_log.verify_log(st.store())[1] == []


def test_helper_processes_judge_the_same_rows_and_only_the_parent_writes(
    starter_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secaudit.pipeline.dashboard as dashboard
    from secaudit.pipeline.session import Session
    from secaudit.report.dashboard import row_record
    from secaudit.store import audit_log
    from secaudit.store.risks import lifecycle_of

    moment = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    answer(starter_workspace, "zeimu-lgwan", "XHUM-5.4-001", "q1", "no")
    monkeypatch.setenv("SECAUDIT_JOBS", "1")
    alone = {r.service_id: row_record(r) for r in dashboard.collect_dashboard(Session(starter_workspace), moment).rows}
    lifecycle = lifecycle_of(Session(starter_workspace).store(), "zeimu-lgwan")

    fresh = starter_workspace.parent / "again"
    import shutil

    shutil.copytree(starter_workspace, fresh)
    with open_store(f"sqlite:///{fresh / '.secaudit' / 'secaudit.db'}").write() as conn:
        conn.exec_driver_sql("DELETE FROM dashboard_rows")
        conn.exec_driver_sql("DELETE FROM risk_lifecycle")
    monkeypatch.setenv("SECAUDIT_JOBS", "2")
    monkeypatch.setattr(dashboard, "SERVICES_PER_JOB", 1)
    monkeypatch.setattr(dashboard, "EVALUATION_CHUNK", 1)
    assert dashboard.dashboard_jobs(3) == 2
    st = Session(fresh)
    helped = {r.service_id: row_record(r) for r in dashboard.collect_dashboard(st, moment).rows}
    assert helped == alone
    assert lifecycle_of(st.store(), "zeimu-lgwan") == lifecycle
    assert audit_log.verify_log(st.store())[1] == []


def test_a_bad_process_count_is_refused(starter_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECAUDIT_JOBS", "many")
    result = run_cli(["dashboard", "--format", "json"], starter_workspace)
    assert result.exit_code == 2
    assert "SECAUDIT_JOBS" in result.stderr and "many" in result.stderr


def test_progress_counts_the_services_judged(starter_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import secaudit.pipeline.dashboard as dashboard
    from secaudit.pipeline.session import Session

    monkeypatch.setattr(dashboard, "EVALUATION_CHUNK", 2)
    monkeypatch.setenv("SECAUDIT_JOBS", "1")
    heard: list[tuple[int, int]] = []
    st = Session(starter_workspace)
    moment = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    dashboard.collect_dashboard(st, moment, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(2, 3), (3, 3)]
    heard.clear()
    dashboard.collect_dashboard(st, moment, progress=lambda done, total: heard.append((done, total)))
    assert heard == []  # nothing changed: every row remembered, nothing judged
