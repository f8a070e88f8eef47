"""A workspace with the small starter checklist, an invitation, and the portal under Starlette's test client."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from secaudit.pipeline.session import Session
from tests.conftest import REPO

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


@pytest.fixture(params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, starter_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PortalWorld]:
    """The portal over a fresh starter workspace (no answers yet), its store in SQLite and in PostgreSQL."""
    from secaudit.portal.app import build_app

    if request.param == "postgresql":
        monkeypatch.setenv("SECAUDIT_DATABASE_URL", request.getfixturevalue("pg_url"))
    session = Session(starter_workspace)
    with TestClient(build_app(session), follow_redirects=False) as client:
        yield PortalWorld(starter_workspace, session, client)
    session.store().close()


@dataclass
class Served:
    """``secaudit serve`` running as its own process on a loopback port."""

    root: Path
    base: str
    process: subprocess.Popen[str]


def serve(root: Path, tls: tuple[Path, Path] | None = None) -> Served:
    """Start ``secaudit serve`` in ``root`` on a free loopback port; wait until it accepts connections."""
    from tests.scan.loopback import free_port

    port = free_port()
    args = [sys.executable, "-m", "secaudit", "serve", "--port", str(port)]
    if tls is not None:
        args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(root)}
    process = subprocess.Popen(  # noqa: S603
        args, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"secaudit serve stopped: {process.communicate()[1][-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return Served(root, f"{'https' if tls else 'http'}://127.0.0.1:{port}", process)
        time.sleep(0.1)
    stop(process)
    raise AssertionError("secaudit serve did not start listening within 30 s")


def stop(process: subprocess.Popen[str]) -> str:
    """Stop a server the test started (SIGTERM, then SIGKILL), reap it, and return what it logged."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    out, err = process.communicate()
    return out + err


@pytest.fixture
def served(starter_workspace: Path) -> Iterator[Served]:
    """The portal of a fresh starter workspace, served over http on loopback by its own process."""
    running = serve(starter_workspace)
    try:
        yield running
    finally:
        stop(running.process)
