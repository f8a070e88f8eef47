"""The dashboard of a 200-service portfolio in headless Chromium (Debian's chromium and chromium-driver,
driven through Selenium): it loads, sorts by a column heading, and filters by department and decision.

The portfolio is the benchmarks' synthetic one (``bench/portfolio_workspace.py``: answers and scan runs
written straight into the store, nothing scanned), plus two services that were never assessed, a
questionnaire sent to each of those with a due date past, and one written report.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

from bench.portfolio_workspace import DEPARTMENTS, build_workspace, service_yaml
from tests.conftest import run_cli

SERVICES = 200
ASSESSED = 198  # svc-0198 and svc-0199 have a service file and nothing else
CLEAN_EVERY = 10  # every tenth service answers compliantly and passes its scan: not every row is NO-GO
REPORTED = "svc-0003"


@dataclass(frozen=True)
class Portfolio:
    """The workspace, the dashboard page written from it, and the JSON dashboard of the same rows."""

    root: Path
    page: Path
    board: dict[str, dict]


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Portfolio:
    import json

    from secaudit import clock
    from secaudit.store import open_store
    from secaudit.store.answers import record_questionnaire
    from secaudit.workspace import find_workspace

    root = tmp_path_factory.mktemp("portfolio") / "ws"
    build_workspace(root, ASSESSED, clean_every=CLEAN_EVERY)
    rng = random.Random(SERVICES)
    for index in range(ASSESSED, SERVICES):
        (root / "services" / f"svc-{index:04d}.yaml").write_text(service_yaml(index, rng), encoding="utf-8")
    ws = find_workspace(root)
    today = clock.now().astimezone(ws.config.zone).date()
    store = open_store(ws.database_url)
    for index in range(ASSESSED, SERVICES):
        sid = f"svc-{index:04d}"
        record_questionnaire(store, f"q-{sid}", sid, "山田", "ja", "test", {}, due=today - dt.timedelta(days=3))
    store.close()
    assert run_cli(["report", REPORTED], root).exit_code == 0
    page = tmp_path_factory.mktemp("out") / "page.html"
    result = run_cli(["dashboard", "-o", str(page)], root)
    assert result.exit_code == 0, result.stderr
    listed = run_cli(["dashboard", "--format", "json"], root)
    board = {row["service"]: row for row in json.loads(listed.stdout)["services"]}
    return Portfolio(root, page, board)


def shown(driver, attribute: str) -> list[str]:  # type: ignore[no-untyped-def]
    """``data-<attribute>`` of every row the browser actually displays, top to bottom."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#services tbody tr'))"
        ".filter(row => row.getClientRects().length > 0)"
        f".map(row => row.getAttribute('data-{attribute}'))"
    )


def choose(driver, select_id: str, value: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def test_the_portfolio_dashboard_loads_sorts_and_filters_in_chromium(portfolio: Portfolio, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(portfolio.page.as_uri())
    assert driver.title == "オンラインサービス 情報セキュリティ状況一覧"
    # Loaded: every service a row, NO-GO first as the page was written, and the script ran (the policy
    # lets it run by its hash): the filters it reveals are displayed and count every row.
    assert len(shown(driver, "service")) == SERVICES
    decisions = shown(driver, "decision")
    assert decisions == sorted(decisions, key=["NO-GO", "CONDITIONAL", "none", "GO"].index)
    assert driver.find_element(By.ID, "filters").is_displayed()
    assert driver.find_element(By.ID, "shown-count").text == str(SERVICES)

    # The launch-date heading sorts by date, nearest first; a second click reverses.
    launch = driver.find_element(By.CSS_SELECTOR, "th[data-sort='launch'] button")
    launch.click()
    dates = shown(driver, "launch")
    assert dates == sorted(dates) and dates[0] < dates[-1]
    first = driver.find_element(By.CSS_SELECTOR, "#services tbody tr td:nth-child(3)").text
    assert first.startswith(dates[0])  # what the user reads, not only the attribute
    launch.click()
    assert shown(driver, "launch") == sorted(dates, reverse=True)

    # Open risks, most first: the highest level, then its count; never-assessed services last.
    driver.find_element(By.CSS_SELECTOR, "th[data-sort='risk'] button").click()
    risks = shown(driver, "risk")
    assert risks[-2:] == ["", ""] and risks[:-2] == sorted(risks[:-2], reverse=True)

    # A department leaves exactly that department's services (bench: department = DEPARTMENTS[index % 7]).
    department = DEPARTMENTS[2]
    choose(driver, "filter-department", department)
    expected = {f"svc-{i:04d}" for i in range(SERVICES) if DEPARTMENTS[i % len(DEPARTMENTS)] == department}
    assert set(shown(driver, "service")) == expected
    assert set(shown(driver, "department")) == {department}
    assert driver.find_element(By.ID, "shown-count").text == str(len(expected))

    # NO-GO leaves only NO-GO rows; CONDITIONAL only those; both filters together narrow further.
    choose(driver, "filter-department", "")
    choose(driver, "filter-decision", "NO-GO")
    no_go = {sid for sid, row in portfolio.board.items() if row["decision"] == "NO-GO"}
    assert 0 < len(no_go) < SERVICES
    assert set(shown(driver, "service")) == no_go
    badges = driver.find_elements(By.CSS_SELECTOR, "#services tbody tr .badge[class*='decision-']")
    assert {badge.text for badge in badges if badge.is_displayed()} == {"NO-GO"}
    choose(driver, "filter-decision", "CONDITIONAL")
    assert set(shown(driver, "service")) == {s for s, r in portfolio.board.items() if r["decision"] == "CONDITIONAL"}
    choose(driver, "filter-department", department)
    assert set(shown(driver, "decision")) <= {"CONDITIONAL"} and set(shown(driver, "department")) <= {department}
    choose(driver, "filter-department", "")
    choose(driver, "filter-decision", "")
    assert len(shown(driver, "service")) == SERVICES

    # A service never assessed says so instead of "0"; its questionnaire is overdue.
    never = driver.find_element(By.CSS_SELECTOR, "tr[data-service='svc-0199']")
    cells = never.find_elements(By.TAG_NAME, "td")
    assert cells[5].text == "未評価"
    assert "期限超過" in cells[8].text
    assessed = driver.find_element(By.CSS_SELECTOR, "tr[data-service='svc-0001']").find_elements(By.TAG_NAME, "td")
    assert assessed[5].text != "未評価"

    # Every reason is one click away, in Japanese where the gate gives one.
    many = max(portfolio.board.values(), key=lambda row: len(row["reasons"]))
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-service='{many['service']}']")
    items = row.find_elements(By.CSS_SELECTOR, "details.reasons li")
    assert not any(item.is_displayed() for item in items)
    row.find_element(By.CSS_SELECTOR, "details.reasons summary").click()
    texts = [item.text for item in items]
    assert len(texts) == len(many["reasons"]) > 1 and all(item.is_displayed() for item in items)
    assert texts == [r["message_ja"] or r["message"] for r in many["reasons"]]

    # The report link is relative, points at the report file that exists, and opens it.
    link = driver.find_element(By.CSS_SELECTOR, f"tr[data-service='{REPORTED}'] a.report-link")
    raw = link.get_attribute("href") and driver.execute_script("return arguments[0].getAttribute('href')", link)
    assert raw and not raw.startswith("/") and ":" not in raw
    target = Path(url2pathname(urlparse(link.get_attribute("href")).path))
    assert target.is_file() and target == Path(portfolio.board[REPORTED]["report"])
    assert len(driver.find_elements(By.CSS_SELECTOR, "a.report-link")) == 1
    link.click()
    assert driver.title.startswith("情報セキュリティ監査報告書")
