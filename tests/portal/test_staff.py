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
