"""``secaudit dashboard``: each row links to the service's latest report and shows its questionnaire's due date.

Both are looked up afresh for every dashboard, so a report written or a questionnaire sent shows at once,
while the service's remembered row (judged from its evidence) is kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from secaudit import clock
from secaudit.store import audit_log, open_store
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.pipeline.test_dashboard import answer, board

SERVICE = "kosodate-portal"


def _store(workspace: Path):  # type: ignore[no-untyped-def]
    return open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")


def _links(workspace: Path, page: Path) -> dict[str, str]:
    result = run_cli(["dashboard", "-o", str(page)], workspace)
    assert result.exit_code == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="[^"]*" data-service="([^"]+)".*?</tr>', html, re.S)
    found = {}
    for sid in rows:
        row = html[html.index(f'data-service="{sid}"') :].split("</tr>", 1)[0]
        href = re.search(r'href="([^"]*)"', row)
        if href:
            found[sid] = href.group(1)
    return found


def _report(workspace: Path, *args: str) -> Path:
    result = run_cli(["report", SERVICE, *args], workspace)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def test_each_row_links_to_the_newest_html_report_that_still_exists(
    starter_workspace: Path, tmp_path: Path, evaluations: list[str]
) -> None:
    page = tmp_path / "out" / "dashboard.html"
    page.parent.mkdir()
    assert _links(starter_workspace, page) == {}  # nothing written yet: no link at all
    older = _report(starter_workspace, "-o", str(tmp_path / "kept" / "older.html"))
    newest = _report(starter_workspace)  # the default place, .secaudit/reports/<service>/
    _report(starter_workspace, "--format", "md", "-o", str(tmp_path / "kept" / "later.md"))  # not a page to open
    evaluations.clear()
    links = _links(starter_workspace, page)
    assert evaluations == []  # the rows were remembered; the links are looked up afresh
    assert links == {SERVICE: os.path.relpath(newest, page.parent)}
    assert (page.parent / links[SERVICE]).resolve() == newest.resolve() and newest.is_file()
    newest.unlink()
    assert _links(starter_workspace, page) == {SERVICE: "../kept/older.html"}
    older.unlink()
    assert _links(starter_workspace, page) == {}  # only to a file that exists
    assert json.loads(run_cli(["dashboard", "--format", "json"], starter_workspace).stdout)["services"][0]["report"] is None


def test_a_report_path_logged_relative_is_taken_from_the_workspace(starter_workspace: Path, tmp_path: Path) -> None:
    (starter_workspace / "old").mkdir()
    (starter_workspace / "old" / "r.html").write_text("<!DOCTYPE html><title>r</title>", encoding="utf-8")
    audit_log.record(_store(starter_workspace), "older", "report.write", SERVICE, {"format": "html", "path": "old/r.html"})
    page = starter_workspace / "d.html"
    assert _links(starter_workspace, page) == {SERVICE: "old/r.html"}


def test_a_questionnaire_sent_shows_its_due_date_and_when_it_is_overdue(
    starter_workspace: Path, tmp_path: Path, evaluations: list[str]
) -> None:
    today = clock.now().astimezone(find_workspace(starter_workspace).config.zone).date()
    before = board(starter_workspace)
    assert {row["questionnaire"]["due"] for row in before.values()} == {None}
    evaluations.clear()
    past, later = today - dt.timedelta(days=3), today + dt.timedelta(days=10)
    for service, due in (("zeimu-lgwan", past), ("mynumber-kyufu", later)):
        out = tmp_path / f"{service}.xlsx"
        result = run_cli(["questionnaire", "export", service, "-o", str(out), "--due", due.isoformat()], starter_workspace)
        assert result.exit_code == 0, result.stderr
    rows = board(starter_workspace)
    assert evaluations == []
    assert rows["zeimu-lgwan"]["questionnaire"]["due"] == past.isoformat()
    assert rows["zeimu-lgwan"]["questionnaire"]["overdue"] is True  # past and unanswered
    assert rows["mynumber-kyufu"]["questionnaire"]["due"] == later.isoformat()
    assert rows["mynumber-kyufu"]["questionnaire"]["overdue"] is False  # not due yet
    assert rows[SERVICE]["questionnaire"]["due"] is None and rows[SERVICE]["questionnaire"]["overdue"] is False
    page = tmp_path / "d.html"
    assert run_cli(["dashboard", "-o", str(page)], starter_workspace).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert html.count("期限超過") == 1 and f"回答期限 {later.isoformat()}" in html


def test_services_with_no_evidence_are_not_assessed_until_answers_arrive(starter_workspace: Path) -> None:
    rows = board(starter_workspace)
    assert {sid: row["assessed"] for sid, row in rows.items()} == dict.fromkeys(rows, False)
    assert {sid: row["open_risks"] for sid, row in rows.items()} == dict.fromkeys(rows)
    answer(starter_workspace, "zeimu-lgwan", "XHUM-5.4-001", "q1", "no")
    rows = board(starter_workspace)
    assert rows["zeimu-lgwan"]["assessed"] is True and sum(rows["zeimu-lgwan"]["open_risks"].values()) >= 1
    assert rows[SERVICE]["assessed"] is False
