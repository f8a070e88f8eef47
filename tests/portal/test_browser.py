"""The portal in headless Chromium (Debian's chromium and chromium-driver, driven through Selenium), against
``secaudit serve`` running as its own process on loopback.

An owner opens the invitation link, answers a question with a follow-up, sees a validation error in
place, uploads an evidence file, submits; the officer signs in and sees the service complete. The service's other questions were
answered earlier by workbook, as happens when an owner finishes on the portal what a workbook began.
"""

from __future__ import annotations

from pathlib import Path

from secaudit import clock
from secaudit.model import QuestionType
from secaudit.pipeline.portal_access import Role, add_user, invite
from secaudit.pipeline.session import Session
from tests.conftest import store_answers
from tests.portal.conftest import OWNER, PASSWORD, SERVICE, Served

ON_THE_PORTAL = "XHUM-5.3-001"


def _answer_the_rest_by_workbook(served: Served) -> None:
    from secaudit.questionnaire.items import question_items

    session = Session(served.root)
    values: dict[tuple[str, str], object] = {}
    for item in question_items(session.catalog(), session.service(SERVICE)):
        if item.control.id == ON_THE_PORTAL:
            continue
        kind = item.question.type
        choices = [c.value for c in item.question.allowed_choices()]
        if kind is QuestionType.MULTI_CHOICE:
            values[item.key] = choices[:1]
        elif choices:
            values[item.key] = choices[0]
        elif kind is QuestionType.DATE:
            values[item.key] = clock.today().isoformat()
        else:
            values[item.key] = 1 if kind is QuestionType.NUMBER else "記載のとおり"
    store_answers(served.root, SERVICE, values)
    session.store().close()


def test_an_owner_answers_and_submits_in_chromium_and_the_officer_sees_it_complete(  # type: ignore[no-untyped-def]
    served: Served, browser, tmp_path: Path
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    _answer_the_rest_by_workbook(served)
    session = Session(served.root)
    token = invite(session, SERVICE, OWNER, None, "officer-test", "ja").token
    add_user(session, "sato", Role.OFFICER, PASSWORD, "officer-test")
    session.store().close()
    driver = browser

    def form_of(ref: str):  # type: ignore[no-untyped-def]
        hidden = driver.find_element(By.CSS_SELECTOR, f"input[name='ref'][value='{ref}']")
        return hidden.find_element(By.XPATH, "./ancestor::form")

    def press(button) -> None:  # type: ignore[no-untyped-def]
        """Click a button that loads a new page; wait until the new page has replaced the old one and loaded."""
        button.click()

        def replaced(_driver) -> bool:  # type: ignore[no-untyped-def]
            # staleness_of, also when Chromium reports the old node in its own words: while the new page
            # replaces the old one, asking for the button can fail with "does not belong to the document"
            try:
                return bool(staleness_of(button)(_driver))
            except WebDriverException as exc:
                if "does not belong to the document" in str(exc):
                    return True
                raise

        WebDriverWait(driver, 30).until(replaced)
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")

    driver.get(f"{served.base}/invite/{token}")
    assert driver.find_element(By.TAG_NAME, "h1").text == "子育て支援オンライン申請"
    assert "必須の未回答 1 問" in driver.find_element(By.ID, "progress").text
    press(driver.find_element(By.ID, "section-5"))
    assert driver.find_elements(By.CSS_SELECTOR, f"input[name='ref'][value='{ON_THE_PORTAL}/q2']") == []

    # "yes" needs its evidence: refused, and the message appears inside that question's form
    parent = form_of(f"{ON_THE_PORTAL}/q1")
    parent.find_element(By.CSS_SELECTOR, "input[type=radio][value='yes']").click()
    press(parent.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    parent = form_of(f"{ON_THE_PORTAL}/q1")
    assert "has-problem" in parent.get_attribute("class")
    assert (
        "この回答には証跡（資料名・保管場所）の記入が必要です" in parent.find_element(By.CSS_SELECTOR, ".problem").text
    )

    parent.find_element(By.CSS_SELECTOR, "input[type=radio][value='yes']").click()
    parent.find_element(By.NAME, "evidence").send_keys("インシデント対応手順書 第3版（総務課共有フォルダ）")
    press(parent.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    # the follow-up is asked now that its parent says yes
    follow_up = form_of(f"{ON_THE_PORTAL}/q2")
    assert "No. " in follow_up.find_element(By.CSS_SELECTOR, ".condition").text
    follow_up.find_element(By.CSS_SELECTOR, "input[type=radio][value='done']").click()
    follow_up.find_element(By.NAME, "evidence").send_keys("訓練実施記録 2026年10月")
    drill_record = tmp_path / "訓練実施記録.pdf"
    drill_record.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    follow_up.find_element(By.NAME, "file").send_keys(str(drill_record))
    press(follow_up.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    saved = form_of(f"{ON_THE_PORTAL}/q2")
    assert "保存済み（未送信）" in saved.text
    assert saved.find_element(By.CSS_SELECTOR, "ul.files a").text == "訓練実施記録.pdf"

    press(driver.find_element(By.LINK_TEXT, "質問票に戻る"))
    assert "必須の未回答 0 問" in driver.find_element(By.ID, "progress").text
    press(driver.find_element(By.ID, "submit"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "回答を送信しました"
    assert driver.find_element(By.ID, "stored").text == "2 件の回答を送信しました。"

    # the officer, in a fresh session
    driver.delete_all_cookies()
    driver.get(f"{served.base}/signin")
    driver.find_element(By.NAME, "name").send_keys("sato")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    press(driver.find_element(By.CSS_SELECTOR, "form.signin button"))
    # a node of the page being replaced may still answer for a moment: retry until the officer's page holds the row
    settled = WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,))
    row = settled.until(lambda d: d.find_element(By.ID, f"service-{SERVICE}"))
    assert row.find_element(By.CSS_SELECTOR, "td.state").text == "回答完了"
    assert "回答ポータル" in row.text and OWNER in row.text
