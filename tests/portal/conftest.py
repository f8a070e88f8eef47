"""A workspace with the small starter checklist, an invitation, and the portal under Starlette's test client."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from secaudit.pipeline.session import Session

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice about its httpx-based client; the client itself is fine
    from starlette.testclient import TestClient

SERVICE = "kosodate-portal"
OWNER = "yamada@city.example.jp"
PASSWORD = "correct horse battery staple"


@dataclass
class PortalWorld:
    """A workspace, its session, and a test client on the portal."""

    root: Path
    session: Session
    client: TestClient

    def invite(self, service: str = SERVICE, email: str = OWNER) -> str:
        """A new invitation's link path, ``/invite/<token>``."""
        from secaudit.pipeline.portal_access import invite

        issued = invite(self.session, service, email, None, "officer-test", "ja")
        return f"/invite/{issued.token}"

    def open_owner(self, service: str = SERVICE) -> str:
        """Follow a new invitation link; the CSRF token of the owner's session."""
        response = self.client.get(self.invite(service))
        assert response.status_code == 303, response.text
        page = self.client.get("/owner")
        assert page.status_code == 200
        return csrf_of(page.text)

    def add_user(self, name: str = "sato", role: str = "officer") -> None:
        """An account with PASSWORD."""
        from secaudit.pipeline.portal_access import Role, add_user

        add_user(self.session, name, Role(role), PASSWORD, "officer-test")


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def world(starter_workspace: Path) -> Iterator[PortalWorld]:
    """The portal over a fresh starter workspace (no answers yet)."""
    from secaudit.portal.app import build_app

    session = Session(starter_workspace)
    with TestClient(build_app(session), follow_redirects=False) as client:
        yield PortalWorld(starter_workspace, session, client)
    session.store().close()
