"""An owner on the portal: the invitation link, answering with the import's rules, drafts, submission."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal.conftest import OWNER, SERVICE, PortalWorld

PARENT = "XHUM-5.3-001/q1"
FOLLOW_UP = "XHUM-5.3-001/q2"


def _answer(world: PortalWorld, csrf: str, ref: str, *values: str, evidence: str = "", comment: str = "") -> object:
    data = {"csrf": csrf, "ref": ref, "section": "5", "value": list(values), "evidence": evidence, "comment": comment}
    return world.client.post("/owner/answer", data=data)


def _drafts(world: PortalWorld) -> dict[tuple[str, str], object]:
    from secaudit.store.drafts import drafts_of

    return {key: d.value for key, d in drafts_of(world.session.store(), SERVICE).items()}


def test_the_link_opens_the_services_questions_by_section(world: PortalWorld) -> None:
    world.open_owner()
    home = world.client.get("/owner")
    assert "子育て支援オンライン申請" in home.text and OWNER in home.text
    assert "5. 人的セキュリティ" in home.text
    section = world.client.get("/owner/section/5")
    assert section.status_code == 200
    assert "インシデントを発見した際の報告先と手順" in section.text
    assert f'value="{PARENT}"' in section.text
    # the follow-up is asked only once its parent's answer calls for it
    assert f'value="{FOLLOW_UP}"' not in section.text


def test_an_answer_that_breaks_a_rule_is_refused_in_place_and_not_saved(world: PortalWorld) -> None:
    csrf = world.open_owner()
    response = _answer(world, csrf, PARENT, "yes")  # compliant, but this question needs evidence
    assert response.status_code == 422
    # the message sits inside the question's own form, which is marked
    question = response.text.split(f'value="{PARENT}"', 1)[0].rsplit("<form", 1)[1]
    assert "has-problem" in question
    after = response.text.split(f'value="{PARENT}"', 1)[1].split("</form>", 1)[0]
    assert "この回答には証跡（資料名・保管場所）の記入が必要です" in after
    assert _drafts(world) == {}


def test_a_saved_parent_brings_its_follow_up_and_the_draft_survives_a_new_visit(world: PortalWorld) -> None:
    from secaudit.store.audit_log import entries

    csrf = world.open_owner()
    saved = _answer(world, csrf, PARENT, "yes", evidence="インシデント対応手順書 第3版")
    assert saved.status_code == 303
    page = world.client.get("/owner/section/5")
    assert f'value="{FOLLOW_UP}"' in page.text
    assert _answer(world, csrf, FOLLOW_UP, "done", evidence="訓練記録 2026-10").status_code == 303
    assert _drafts(world) == {("XHUM-5.3-001", "q1"): "yes", ("XHUM-5.3-001", "q2"): "done"}
    drafts = [e for e in entries(world.session.store()) if e.action == "portal.draft"]
    assert [(e.actor, e.details["question"]) for e in drafts] == [(OWNER, PARENT), (OWNER, FOLLOW_UP)]
    # a second visit (a new link for the same service) shows the drafts as saved
    world.client.cookies.clear()
    world.open_owner()
    again = world.client.get("/owner/section/5")
    assert again.text.count("保存済み（未送信）") == 2


def test_submitting_stores_one_answer_set_from_the_portal_and_shows_who_and_how(world: PortalWorld) -> None:
    from secaudit.questionnaire.status import questionnaire_status
    from secaudit.store.answers import latest_answers
    from secaudit.store.audit_log import entries

    csrf = world.open_owner()
    _answer(world, csrf, PARENT, "no", comment="手順書を作成中")
    done = world.client.post("/owner/submit", data={"csrf": csrf})
    assert done.status_code == 200
    assert "1 件の回答を送信しました" in done.text
    assert "まだ回答されていません" in done.text  # the rest of the required questions
    answers = latest_answers(world.session.store(), SERVICE)
    stored = answers[("XHUM-5.3-001", "q1")]
    assert (stored.value, stored.answered_by, stored.source.value) == ("no", OWNER, "portal")
    service = world.session.service(SERVICE)
    status = questionnaire_status(world.session.store(), world.session.catalog(), service)
    assert status.last_import is not None
    assert (status.last_import["source"], status.last_import["submitted_by"]) == ("portal", OWNER)
    assert _drafts(world) == {}
    actions = [e.action for e in entries(world.session.store())]
    assert "portal.invite" in actions and "portal.sign_in.owner" in actions


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(world: PortalWorld) -> None:
    csrf = world.open_owner()
    for token in ("", "x" * 43, csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
        response = _answer(world, token, PARENT, "no", comment="理由")
        assert response.status_code == 403
        assert "確認用トークン" in response.text
    assert world.client.post("/owner/submit", data={}).status_code == 403
    assert _drafts(world) == {}


def test_a_question_of_another_service_is_refused_with_this_services_session(world: PortalWorld) -> None:
    csrf = world.open_owner()
    for ref in ("NOT-A-CONTROL/q1", "XHUM-5.3-001/q9", "../../etc/passwd"):
        response = _answer(world, csrf, ref, "yes", evidence="x")
        assert response.status_code in (404, 422)
    assert _drafts(world) == {}


def test_html_in_an_owners_text_is_shown_as_text(world: PortalWorld) -> None:
    csrf = world.open_owner()
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert _answer(world, csrf, PARENT, "no", comment=hostile).status_code == 303
    page = world.client.get("/owner/section/5")
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("change", ["id", "expiry", "signature", "truncated", "garbage"])
def test_a_changed_link_is_refused_and_shows_no_question(world: PortalWorld, change: str) -> None:
    link = world.invite()
    prefix, token = link.rsplit("/", 1)
    version, ident, expiry, signature = token.split(".")
    flip = {"A": "B"}.get
    if change == "id":
        token = ".".join([version, ident[:-1] + ("0" if ident[-1] != "0" else "1"), expiry, signature])
    elif change == "expiry":
        token = ".".join([version, ident, str(int(expiry) + 86400), signature])
    elif change == "signature":
        token = ".".join([version, ident, expiry, signature[:-1] + (flip(signature[-1]) or "A")])
    elif change == "truncated":
        token = token[:-1]
    else:
        token = "<script>alert(1)</script>"
    response = world.client.get(f"{prefix}/{token}")
    assert response.status_code in (403, 404)
    assert "secaudit_session" not in response.headers.get("set-cookie", "")
    assert "インシデント" not in response.text and "<script>alert" not in response.text
    assert world.client.get("/owner").status_code == 403


def test_an_expired_link_is_refused(world: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit import clock

    link = world.invite()
    later = clock.now().replace(microsecond=0) + dt.timedelta(days=32)
    monkeypatch.setenv(clock.NOW_ENV, later.isoformat())
    response = world.client.get(link)
    assert response.status_code == 403
    assert "期限が切れた" in response.text


def test_revoking_ends_the_link_and_the_session_it_opened(world: PortalWorld) -> None:
    from secaudit.pipeline.portal_access import list_invitations, revoke

    link = world.invite()
    assert world.client.get(link).status_code == 303
    assert world.client.get("/owner").status_code == 200
    invitation = list_invitations(world.session, SERVICE)[-1]
    revoke(world.session, invitation.id, "officer-test")
    assert world.client.get("/owner").status_code == 403
    world.client.cookies.clear()
    again = world.client.get(link)
    assert again.status_code == 403
    assert "取り消されました" in again.text


def test_an_invitation_in_english_shows_the_portal_in_english(world: PortalWorld) -> None:
    from secaudit.pipeline.portal_access import invite

    issued = invite(world.session, SERVICE, "owner@city.example.jp", None, "officer-test", "en")
    assert world.client.get(f"/invite/{issued.token}").status_code == 303
    home = world.client.get("/owner").text
    assert '<html lang="en">' in home and "Submit the answers" in home and "Human security" in home
    section = world.client.get("/owner/section/5").text
    assert "Is the procedure for reporting an incident" in section and "Save" in section
    for japanese in ("回答", "保存", "必須", "質問票", "サインアウト"):
        assert japanese not in section


def test_a_service_whose_file_broke_after_the_invitation_is_explained_not_crashed(world: PortalWorld) -> None:
    world.open_owner()
    (world.root / "services" / f"{SERVICE}.yaml").write_text("id: [broken\n", encoding="utf-8")
    response = world.client.get("/owner")
    assert response.status_code == 409
    assert "このサービスの質問票は現在開けません" in response.text and "Traceback" not in response.text
