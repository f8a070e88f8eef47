"""The portal's own protection: headers on every answer, cookies, methods, sizes, errors."""

from __future__ import annotations

import pytest

from tests.portal.conftest import PortalWorld

REQUIRED = {
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "cache-control",
}


@pytest.mark.parametrize("path", ["/", "/signin", "/owner", "/no-such-page", "/invite/forged", "/static/portal.css"])
def test_every_response_carries_the_security_headers(world: PortalWorld, path: str) -> None:
    response = world.client.get(path)
    assert set(response.headers) >= REQUIRED
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "server" not in response.headers and "x-powered-by" not in response.headers
    assert "strict-transport-security" not in response.headers  # served as http here


def test_cookies_are_httponly_and_same_site_strict(world: PortalWorld) -> None:
    cookie = world.client.get("/signin").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never come back


def test_behind_https_cookies_are_secure_and_hsts_is_sent(starter_workspace: object) -> None:
    from pathlib import Path

    from starlette.testclient import TestClient

    from secaudit.pipeline.session import Session
    from secaudit.portal.app import build_app

    root = Path(str(starter_workspace))
    config = root / "secaudit.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "portal:\n  public_url: https://portal.city.example.jp\n")
    with TestClient(build_app(Session(root))) as client:
        response = client.get("/signin")
    assert "Secure" in response.headers["set-cookie"]
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_trace_and_unused_methods_are_refused(world: PortalWorld) -> None:
    for method in ("TRACE", "PUT", "DELETE"):
        response = world.client.request(method, "/")
        assert response.status_code == 405
        assert "PUT" not in response.headers.get("allow", "")


def test_an_oversized_request_is_refused_before_it_is_read(world: PortalWorld) -> None:
    from secaudit.portal.security import MAX_BODY_BYTES

    response = world.client.post(
        "/owner/answer", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413
    assert "too large" in response.text


def test_a_failure_inside_shows_no_trace(world: PortalWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from secaudit.pipeline import portal_answers
    from secaudit.portal.app import build_app

    def broken(*args: object) -> object:
        raise RuntimeError("secret detail /srv/secaudit/.secaudit/secaudit.db")

    monkeypatch.setattr(portal_answers.OwnerQuestionnaire, "sections", broken)
    with TestClient(build_app(world.session), raise_server_exceptions=False) as client:
        client.get(world.invite(), follow_redirects=False)
        response = client.get("/owner")
    assert response.status_code == 500
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert "処理中に問題が発生しました" in response.text
    assert {"content-security-policy", "x-frame-options"} <= set(response.headers)
