"""The portfolio dashboard: rows from evaluations, attention order, empty states, escaping."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from secaudit.model import DecisionKind, GateReason, Language, LocalizedText
from secaudit.report import DriftItem, DriftState
from secaudit.report.dashboard import (
    DashboardRow,
    build_dashboard,
    dashboard_html,
    dashboard_json,
    questionnaire_progress,
    relative_href,
    row_from_input,
    row_from_record,
    row_record,
)
from secaudit.report.wording import _TEXT
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
    # 10 required questions asked (HUM-5.3-001/q2 and q3 follow q1 = yes, TEC-6.5-001/q2 does not follow
    # q1 = no; ORG-1-001/q2 is optional); PHY-4.4-001 and TEC-6.6-001 are unanswered.
    assert (row.answered, row.questions) == (8, 10)


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


class _Elements(HTMLParser):
    """Every element's attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def test_dashboard_html_escapes_service_text_and_is_self_contained() -> None:
    data = build_input()
    data.service = data.service.model_copy(
        update={"name": LocalizedText(ja="<script>alert(1)</script>", en="<script>alert(1)</script>")}
    )
    board = build_dashboard(data.config, [row_from_input(data)], NOW, failures=[("bad", "<b>broken</b>")])
    for lang in Language:
        html = dashboard_html(board, lang).decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
        assert "<b>broken</b>" not in html
        assert "src=" not in html and "href=" not in html  # no report here: nothing links anywhere
        page = _Elements()
        page.feed(html)
        assert len(page.scripts) == 1  # ours, inline; the hostile name is text
        policy = next(a["content"] for tag, a in page.tags if a.get("http-equiv") == "Content-Security-Policy")
        assert policy is not None and "default-src 'none'" in policy
        digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}';" in policy  # exactly our script may run, nothing may load


def _with_reasons(service_id: str, reasons: list[GateReason], **service: object) -> DashboardRow:
    data = build_input()
    data.service = data.service.model_copy(update={"id": service_id, **service})
    data.decision = data.decision.model_copy(update={"service_id": service_id, "reasons": reasons})
    return row_from_input(data)


LONG_JA = "必須質問が未回答の管理策があります: " + "、".join(f"TEC-6.{n}-001/q1" for n in range(1, 12))


def test_every_reason_is_in_the_page_in_the_page_language() -> None:
    reasons = [
        GateReason(clause="block_at", decision=DecisionKind.NO_GO, message="open risk one", message_ja="未対応のリスク一"),
        GateReason(clause="require_answers", decision=DecisionKind.NO_GO, message="unanswered " * 12, message_ja=LONG_JA),
        GateReason(clause="require_scan", decision=DecisionKind.NO_GO, message="no scan <yet>"),
    ]
    board = build_dashboard(build_input().config, [_with_reasons("many", reasons)], NOW)
    ja = dashboard_html(board, Language.JA).decode()
    assert "未対応のリスク一" in ja and LONG_JA in ja and "no scan &lt;yet&gt;" in ja  # whole, not cut
    assert "open risk one" not in ja and "判定理由（全3件）" in ja
    assert re.search(r"<details class=\"reasons\">.*?</details>", ja, re.S)
    en = dashboard_html(board, Language.EN).decode()
    assert "open risk one" in en and ("unanswered " * 12).strip() in en and "All 3 reasons" in en
    assert "未対応のリスク一" not in en
    doc = json.loads(dashboard_json(board))["services"][0]
    assert [r["message_ja"] for r in doc["reasons"]] == ["未対応のリスク一", LONG_JA, None]
    assert doc["reason"] == "open risk one"


def test_a_single_short_reason_is_shown_as_it_is() -> None:
    reason = GateReason(clause="block_at", decision=DecisionKind.NO_GO, message="one", message_ja="一つだけ")
    html = dashboard_html(build_dashboard(build_input().config, [_with_reasons("one", [reason])], NOW), Language.JA)
    assert "一つだけ" in html.decode() and "<details" not in html.decode()


def test_a_service_never_assessed_says_so_instead_of_zero_risks() -> None:
    data = build_input(answers=[], last_run=None, register=[], drift=None)
    never = row_from_input(data)
    reviewed = row_from_input(data, reviewed=True)
    assessed = _row("seen", DecisionKind.GO, None)
    clean = dataclasses.replace(assessed, service_id="clean", open_risks={})
    assert not never.assessed and reviewed.assessed and assessed.assessed
    board = build_dashboard(data.config, [never, clean], NOW)
    cells = {
        lang: re.findall(r'<tr class="[^"]*" data-service="([^"]+)".*?</tr>', dashboard_html(board, lang).decode(), re.S)
        for lang in Language
    }
    assert cells[Language.JA] == ["kosodate-portal", "clean"]
    ja = dashboard_html(board, Language.JA).decode()
    row_never = ja[ja.index('data-service="kosodate-portal"') : ja.index('data-service="clean"')]
    row_clean = ja[ja.index('data-service="clean"') :]
    assert "未評価" in row_never and 'data-risk=""' in row_never
    assert "未評価" not in row_clean and '<td class="nowrap">0</td>' in row_clean
    assert "Not assessed" in dashboard_html(board, Language.EN).decode()
    services = {s["service"]: s for s in json.loads(dashboard_json(board))["services"]}
    assert services["kosodate-portal"]["assessed"] is False and services["kosodate-portal"]["open_risks"] is None
    assert services["clean"]["assessed"] is True and set(services["clean"]["open_risks"].values()) == {0}


@pytest.mark.parametrize(
    ("due_offset", "answered_all", "overdue"),
    [(-1, False, True), (-1, True, False), (0, False, False), (7, False, False)],
    ids=["past-unanswered", "past-complete", "due-today", "due-later"],
)
def test_questionnaire_overdue_once_the_due_day_has_passed_in_the_workspace_time_zone(
    due_offset: int, answered_all: bool, overdue: bool
) -> None:
    # 16:00 UTC is already the next day in Tokyo, the workspace's zone: "today" is 2026-11-21 there.
    moment = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    today = dt.date(2026, 11, 21)
    row = dataclasses.replace(
        _row("asked", DecisionKind.NO_GO, None), questionnaire_due=today + dt.timedelta(days=due_offset)
    )
    if answered_all:
        row.answered = row.questions
    board = build_dashboard(build_input().config, [row], moment)
    assert board.today == today
    assert row.questionnaire_overdue(board.today) is overdue
    doc = json.loads(dashboard_json(board))["services"][0]["questionnaire"]
    assert doc["due"] == row.questionnaire_due.isoformat() and doc["overdue"] is overdue
    ja = dashboard_html(board, Language.JA).decode()
    assert f"回答期限 {row.questionnaire_due.isoformat()}" in ja
    assert ("期限超過" in ja) is overdue
    assert ("Overdue" in dashboard_html(board, Language.EN).decode()) is overdue


def test_a_utc_evening_is_judged_on_the_tokyo_calendar() -> None:
    row = dataclasses.replace(_row("asked", DecisionKind.NO_GO, None), questionnaire_due=dt.date(2026, 11, 20))
    evening = build_dashboard(build_input().config, [row], dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC))
    morning = build_dashboard(build_input().config, [row], dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC))
    assert row.questionnaire_overdue(evening.today) and not row.questionnaire_overdue(morning.today)


def test_the_report_link_is_relative_to_the_page_and_every_segment_encoded(tmp_path: Path) -> None:
    report = tmp_path / "ws" / ".secaudit" / "reports" / "svc" / "a b#?&javascript:x.html"
    page = tmp_path / "out" / "dashboard.html"
    assert relative_href(report, page.parent) == "../ws/.secaudit/reports/svc/a%20b%23%3F%26javascript%3Ax.html"
    assert relative_href(tmp_path / "out" / "r.html", page.parent) == "r.html"
    row = dataclasses.replace(_row("linked", DecisionKind.GO, None), report=report)
    board = build_dashboard(build_input().config, [row, _row("unlinked", DecisionKind.GO, None)], NOW)
    html = dashboard_html(board, Language.JA, page=page).decode()
    assert re.findall(r'href="([^"]*)"', html) == ["../ws/.secaudit/reports/svc/a%20b%23%3F%26javascript%3Ax.html"]
    assert "最新の報告書" in html
    assert "href=" not in dashboard_html(board, Language.JA).decode()  # no page folder: no link can be relative
    assert json.loads(dashboard_json(board))["services"][0]["report"] == str(report)


class _VisibleText(HTMLParser):
    """The text a reader sees: no script, no style, no attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def test_the_japanese_page_has_no_english_wording() -> None:
    reasons = [
        GateReason(clause="block_at", decision=DecisionKind.NO_GO, message="open risks", message_ja="未対応のリスク"),
        GateReason(clause="require_scan", decision=DecisionKind.NO_GO, message="no scan", message_ja="検査が未実施。" * 20),
    ]
    never = build_input(answers=[], last_run=None, register=[], drift=None)
    never.decision = never.decision.model_copy(update={"reasons": reasons})
    rows = [
        dataclasses.replace(_with_reasons("svc-a", reasons), questionnaire_due=dt.date(2026, 11, 1), report=Path("/r.html")),
        row_from_input(never),
        dataclasses.replace(_with_reasons("svc-c", reasons[:1]), decision=DecisionKind.CONDITIONAL, drift=[]),
    ]
    board = build_dashboard(build_input().config, rows, NOW, failures=[])
    page = _VisibleText()
    page.feed(dashboard_html(board, Language.JA, page=Path("/out/d.html")).decode())
    text = " ".join(page.text)
    for row in board.rows:  # the services' own data is shown as given
        for value in (row.service_id, row.name.ja, row.department, row.last_scan.profile if row.last_scan else None):
            text = text.replace(value, " ") if value else text
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"NO", "GO", "CONDITIONAL"}  # the decisions' own names
    assert words == set(), words
    english = {en for ja, en in _TEXT.values() if len(en) > 3 and en not in ja}  # NO-GO is in 開始不可 (NO-GO)
    assert not [en for en in english if en in text]


def test_empty_workspace_dashboard() -> None:
    board = build_dashboard(build_input().config, [], NOW)
    html = dashboard_html(board, Language.JA).decode()
    assert "0サービス" in html
    assert json.loads(dashboard_json(board))["services"] == []


def test_a_remembered_row_keeps_every_reason_and_whether_it_was_assessed() -> None:
    reasons = [
        GateReason(clause="block_at", decision=DecisionKind.NO_GO, message="one", message_ja="一", refs=["A"]),
        GateReason(clause="require_scan", decision=DecisionKind.NO_GO, message="two"),
    ]
    row = _with_reasons("kept", reasons)
    never = row_from_input(build_input(answers=[], last_run=None, register=[], drift=None))
    for original in (row, never):
        again = row_from_record(json.loads(json.dumps(row_record(original))))
        assert again == original
    linked = dataclasses.replace(row, report=Path("/r.html"), questionnaire_due=dt.date(2027, 1, 1))
    assert "report" not in row_record(linked) and "questionnaire_due" not in row_record(linked)  # looked up afresh
