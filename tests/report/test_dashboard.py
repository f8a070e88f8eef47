"""The portfolio dashboard: rows from evaluations, attention order, empty states, escaping."""

from __future__ import annotations

import datetime as dt
import json

from secaudit.model import DecisionKind, Language, LocalizedText
from secaudit.report import DriftItem, DriftState
from secaudit.report.dashboard import (
    build_dashboard,
    dashboard_html,
    dashboard_json,
    questionnaire_progress,
    row_from_input,
)
from tests.report.conftest import NOW, build_input


def _row(service_id: str, decision: DecisionKind, launch: dt.date | None, drift: list[DriftItem] | None = None):
    data = build_input(drift=drift)
    data.service = data.service.model_copy(update={"id": service_id, "launch_date": launch})
    data.decision = data.decision.model_copy(update={"decision": decision, "service_id": service_id})
    return row_from_input(data)


def test_rows_are_sorted_no_go_first_then_nearest_launch() -> None:
    rows = [
        _row("go-soon", DecisionKind.GO, dt.date(2027, 1, 1)),
        _row("nogo-late", DecisionKind.NO_GO, dt.date(2027, 9, 1)),
        _row("cond-soon", DecisionKind.CONDITIONAL, dt.date(2027, 1, 2)),
        _row("nogo-soon", DecisionKind.NO_GO, dt.date(2027, 2, 1)),
        _row("nogo-undated", DecisionKind.NO_GO, None),
    ]
    board = build_dashboard(build_input().config, rows, NOW)
    assert [r.service_id for r in board.rows] == ["nogo-soon", "nogo-late", "nogo-undated", "cond-soon", "go-soon"]
    doc = json.loads(dashboard_json(board))
    assert [s["service"] for s in doc["services"]][0] == "nogo-soon"
    assert doc["decisions"] == {"NO-GO": 3, "CONDITIONAL": 1, "GO": 1}


def test_row_counts_open_risks_by_level_and_questionnaire_progress() -> None:
    row = row_from_input(build_input())
    assert row.open_risks == {"critical": 1, "high": 2, "medium": 1}  # the accepted risk is not open
    assert row.decision is DecisionKind.NO_GO
    # 9 required questions asked (HUM-5.3-001/q2 follows q1 = yes; ORG-1-001/q2 is optional);
    # PHY-4.4-001 and TEC-6.6-001 are unanswered.
    assert (row.answered, row.questions) == (7, 9)


def test_follow_up_questions_count_only_once_asked() -> None:
    data = build_input()
    data.answers = [a for a in data.answers if (a.control_id, a.question_id) != ("HUM-5.3-001", "q1")]
    answered, asked = questionnaire_progress(data)
    assert (answered, asked) == (5, 8)


def test_drift_shows_counts_or_a_clear_empty_state() -> None:
    with_drift = _row("a", DecisionKind.NO_GO, None, [DriftItem("f1", DriftState.NEW, "port 8080", NOW)])
    no_change = _row("b", DecisionKind.GO, None, [])
    unknown = _row("c", DecisionKind.GO, None, None)
    board = build_dashboard(build_input().config, [with_drift, no_change, unknown], NOW)
    html = dashboard_html(board, Language.EN).decode()
    assert "New 1" in html and "no change" in html and "no data yet" in html
    services = {s["service"]: s for s in json.loads(dashboard_json(board))["services"]}
    assert services["a"]["drift"] == {"new": 1} and services["b"]["drift"] == {} and services["c"]["drift"] is None


def test_dashboard_html_escapes_service_text_and_is_self_contained() -> None:
    data = build_input()
    data.service = data.service.model_copy(
        update={"name": LocalizedText(ja="<script>alert(1)</script>", en="<script>alert(1)</script>")}
    )
    board = build_dashboard(data.config, [row_from_input(data)], NOW, failures=[("bad", "<b>broken</b>")])
    for lang in Language:
        html = dashboard_html(board, lang).decode()
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert "<b>broken</b>" not in html
        assert "src=" not in html and "href=" not in html


def test_empty_workspace_dashboard() -> None:
    board = build_dashboard(build_input().config, [], NOW)
    html = dashboard_html(board, Language.JA).decode()
    assert "0サービス" in html
    assert json.loads(dashboard_json(board))["services"] == []
