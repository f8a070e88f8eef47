"""Officers and auditors on the portal: sign-in, the services' progress, reading answers."""

from __future__ import annotations

from tests.conftest import store_answers
from tests.portal.conftest import PASSWORD, SERVICE, PortalWorld, csrf_of


def _sign_in(world: PortalWorld, name: str = "sato", password: str = PASSWORD) -> object:
    page = world.client.get("/signin")
    return world.client.post("/signin", data={"csrf": csrf_of(page.text), "name": name, "password": password})


def test_an_officer_signs_in_and_sees_every_services_questionnaire(world: PortalWorld) -> None:
    world.add_user()
    assert world.client.get("/officer").status_code == 303  # to the sign-in page
    signed = _sign_in(world)
    assert signed.status_code == 303 and signed.headers["location"] == "/officer"
    page = world.client.get("/officer")
    assert page.status_code == 200
    for service in ("kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"):
        assert f'id="service-{service}"' in page.text
    assert "未着手" in page.text


def test_a_wrong_password_and_a_missing_csrf_token_are_refused(world: PortalWorld) -> None:
    world.add_user()
    wrong = _sign_in(world, password="not the password")
    assert wrong.status_code == 401
    assert "アカウント名またはパスワードが違います" in wrong.text
    world.client.get("/signin")
    forged = world.client.post("/signin", data={"name": "sato", "password": PASSWORD})
    assert forged.status_code == 403
    assert world.client.get("/officer").status_code == 303


def test_the_sixth_attempt_is_throttled(world: PortalWorld) -> None:
    world.add_user()
    for _ in range(5):
        assert _sign_in(world, password="not the password").status_code == 401
    throttled = _sign_in(world)
    assert throttled.status_code == 429
    assert "15分" in throttled.text


def test_an_owners_submission_shows_complete_answers_with_channel_and_escaped_text(world: PortalWorld) -> None:
    world.add_user("suzuki", "auditor")
    store_answers(world.root, SERVICE, {("XHUM-5.4-001", "q1"): "yes"}, answered_by="<b>山田</b>")
    assert _sign_in(world, "suzuki").status_code == 303
    page = world.client.get(f"/officer/service/{SERVICE}")
    assert page.status_code == 200
    assert "XHUM-5.4-001/q1" in page.text
    assert "<b>山田</b>" not in page.text and "&lt;b&gt;山田&lt;/b&gt;" in page.text
    assert world.client.get("/officer/service/no-such-service").status_code == 404


def test_an_owners_session_does_not_open_the_officers_pages(world: PortalWorld) -> None:
    world.open_owner()
    assert world.client.get("/officer").status_code == 303
    assert world.client.get(f"/officer/service/{SERVICE}").status_code == 303


def test_signing_out_ends_the_session(world: PortalWorld) -> None:
    world.add_user()
    _sign_in(world)
    page = world.client.get("/officer")
    out = world.client.post("/signout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303
    assert world.client.get("/officer").status_code == 303


def _review(world: PortalWorld, csrf: str, control: str, result: str, note: str) -> object:
    data = {"csrf": csrf, "control": control, "result": result, "note": note}
    return world.client.post(f"/officer/service/{SERVICE}/review", data=data)


def test_an_officer_overrides_a_result_and_it_is_the_same_review_as_the_command_line(world: PortalWorld) -> None:
    from secaudit.pipeline.evaluation import evaluate_service
    from secaudit.store.audit_log import entries

    world.add_user()
    store_answers(world.root, SERVICE, {("XHUM-5.4-001", "q1"): "no"})
    _sign_in(world)
    page = world.client.get(f"/officer/service/{SERVICE}")
    row = page.text.split('id="c-XHUM-5.4-001"', 1)[1].split("</tr>", 1)[0]
    assert "不適合" in row and 'name="result"' in row
    done = _review(world, csrf_of(page.text), "XHUM-5.4-001", "pass", "管理者は全員 FIDO2 鍵を使用（現地で確認）")
    assert done.status_code == 303
    result = evaluate_service(world.session, SERVICE).result("XHUM-5.4-001")
    assert (result.status.value, result.self_assessed_status) == ("pass", "fail")
    assert result.overridden
    logged = [e for e in entries(world.session.store()) if e.action == "assess.review"]
    assert logged[-1].actor == "sato" and logged[-1].details["result"] == "pass"
    again = world.client.get(f"/officer/service/{SERVICE}")
    assert "確認済み" in again.text.split('id="c-XHUM-5.4-001"', 1)[1].split("</tr>", 1)[0]


def test_a_review_without_a_reason_or_with_a_made_up_result_is_refused_in_place(world: PortalWorld) -> None:
    from secaudit.store.reviews import latest_reviews

    world.add_user()
    _sign_in(world)
    csrf = csrf_of(world.client.get(f"/officer/service/{SERVICE}").text)
    for result, note, message in (
        ("pass", "  ", "say why"),
        ("awaiting_answer", "理由", "is not one of"),
        ("<script>", "理由", "is not one of"),
    ):
        response = _review(world, csrf, "XHUM-5.4-001", result, note)
        assert response.status_code == 422
        assert message in response.text and "<script>" not in response.text
    assert _review(world, "", "XHUM-5.4-001", "pass", "理由").status_code == 403
    assert latest_reviews(world.session.store(), SERVICE) == {}


def test_an_auditor_reads_but_cannot_review(world: PortalWorld) -> None:
    from secaudit.store.reviews import latest_reviews

    world.add_user("suzuki", "auditor")
    _sign_in(world, "suzuki")
    page = world.client.get(f"/officer/service/{SERVICE}")
    assert page.status_code == 200 and "XHUM-5.4-001" in page.text
    assert 'class="review"' not in page.text
    refused = _review(world, csrf_of(page.text), "XHUM-5.4-001", "pass", "理由")
    assert refused.status_code == 403 and "閲覧のみ" in refused.text
    assert latest_reviews(world.session.store(), SERVICE) == {}


def test_a_question_sent_back_shows_on_the_owners_page_until_answered_again(world: PortalWorld) -> None:
    from secaudit.store.audit_log import entries

    world.add_user()
    store_answers(world.root, SERVICE, {("XHUM-5.3-001", "q1"): "no"}, answered_by="山田 花子")
    _sign_in(world)
    page = world.client.get(f"/officer/service/{SERVICE}")
    comment = "研修記録の保管場所を具体的に記入してください <b>至急</b>"
    sent = world.client.post(
        f"/officer/service/{SERVICE}/return",
        data={"csrf": csrf_of(page.text), "ref": "XHUM-5.3-001/q1", "comment": comment},
    )
    assert sent.status_code == 303
    world.client.cookies.clear()

    owner_csrf = world.open_owner()
    home = world.client.get("/owner")
    assert "差し戻された質問" in home.text
    assert "研修記録の保管場所を具体的に記入してください &lt;b&gt;至急&lt;/b&gt;" in home.text
    section = world.client.get("/owner/section/5")
    box = section.text.split('value="XHUM-5.3-001/q1"', 1)[1].split("</form>", 1)[0]
    assert "情報セキュリティ担当からのコメント" in box
    saved = world.client.post(
        "/owner/answer",
        data={"csrf": owner_csrf, "ref": "XHUM-5.3-001/q1", "section": "5", "value": "yes", "evidence": "手順書 第3版"},
    )
    assert saved.status_code == 303
    assert "差し戻された質問" in world.client.get("/owner").text  # a draft is not an answer yet
    assert world.client.post("/owner/submit", data={"csrf": owner_csrf}).status_code == 200
    assert "差し戻された質問" not in world.client.get("/owner").text
    actions = [e.action for e in entries(world.session.store())]
    assert actions.count("portal.return") == 1 and actions.count("portal.return_answered") == 1


def test_only_the_services_own_questions_can_be_sent_back_with_a_comment(world: PortalWorld) -> None:
    from secaudit.store.portal import open_returns

    world.add_user()
    _sign_in(world)
    csrf = csrf_of(world.client.get(f"/officer/service/{SERVICE}").text)
    for ref, comment in (("XHUM-5.3-001/q1", " "), ("NOPE-1/q1", "直してください"), ("XORG-1-001/q9", "x")):
        response = world.client.post(
            f"/officer/service/{SERVICE}/return", data={"csrf": csrf, "ref": ref, "comment": comment}
        )
        assert response.status_code == 422
    assert open_returns(world.session.store(), SERVICE) == {}
