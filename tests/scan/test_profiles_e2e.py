"""Profiles see the host as network scanners do; a dead target is unverified, never a pass and never a risk.

Each test listens on its own loopback address (127.0.0.x, x > 1), so that servers other tests
start on 127.0.0.1 never show up in its port scan. Binding port 23 needs root, as CI is.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.scan.conftest import service_yaml

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="listening on port 23 needs root (CI runs as root)")


class Listeners:
    """Plain TCP ports on one loopback address that accept and close connections."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.socks: dict[int, socket.socket] = {}
        self.running = True
        self.threads: list[threading.Thread] = []

    def open(self, port: int = 0) -> int:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, port))
        sock.listen(16)
        sock.settimeout(0.2)
        bound = int(sock.getsockname()[1])
        self.socks[bound] = sock
        thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return bound

    def _serve(self, sock: socket.socket) -> None:
        while self.running:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.close()

    def close(self, port: int | None = None) -> None:
        for bound in [port] if port is not None else list(self.socks):
            self.socks.pop(bound).close()
        if port is None:
            self.running = False
            for thread in self.threads:
                thread.join(timeout=2)


@pytest.fixture
def listeners(request: pytest.FixtureRequest) -> Iterator[Listeners]:
    found = Listeners(request.param)
    yield found
    found.close()


def _service(workspace: Path, service_id: str, address: str, ports: list[int], schedule: bool = False) -> None:
    targets = [f"{{host: {address}, ports: {ports}}}", f"{{url: 'https://{address}:{ports[0]}/'}}"]
    text = service_yaml(service_id, targets) + ('schedule: "0 3 * * 1"\n' if schedule else "")
    for old in (workspace / "services").glob("*.yaml"):
        old.unlink()
    (workspace / "services" / f"{service_id}.yaml").write_text(text, encoding="utf-8")


def _failed(observations: list[dict[str, object]], check_id: str) -> dict[str, object]:
    [found] = [o for o in observations if o["check_id"] == check_id]
    return found


@needs_root
@pytest.mark.parametrize("listeners", ["127.0.0.23"], indirect=True)
def test_quick_profile_names_every_undeclared_listener(workspace: Path, listeners: Listeners) -> None:
    https = listeners.open()
    for port in (23, 3306, 8081):
        listeners.open(port)
    _service(workspace, "stray-ports", listeners.address, [https])
    result = run_cli(["scan", "stray-ports", "--profile", "quick", "--format", "json"], workspace)
    assert result.exit_code == 1, result.stdout + result.stderr
    data = json.loads(result.stdout)
    unexpected = _failed(data["observations"], "ports.unexpected-open")
    assert unexpected["status"] == "fail"
    for port in ("23/tcp", "3306/tcp", "8081/tcp"):
        assert port in str(unexpected["evidence"])
    assert "nmap top 100 + declared + named by checks" in str(unexpected["evidence"])
    admin = _failed(data["observations"], "ports.admin-services-closed")
    assert admin["status"] == "fail" and "3306" in str(admin["evidence"]) and "23" in str(admin["evidence"])


@pytest.mark.parametrize("listeners", ["127.0.0.81"], indirect=True)
def test_a_listener_appearing_between_two_weekly_runs_is_new_drift(workspace: Path, listeners: Listeners) -> None:
    https = listeners.open()
    _service(workspace, "weekly", listeners.address, [https], schedule=True)
    scan_all = ["scan", "--all", "--profile", "quick", "--log-format", "json"]
    first = run_cli(scan_all, workspace)
    assert first.exit_code in (0, 1), first.stdout + first.stderr
    listeners.open(8081)
    second = run_cli(scan_all, workspace)
    assert second.exit_code == 1, second.stdout + second.stderr
    events = [json.loads(line) for line in second.stdout.splitlines() if line.startswith("{")]
    new_ports = [e["drift"] for e in events if e["event"] == "drift" and e["drift"]["state"] == "new"]
    assert [d["after"]["port"] for d in new_ports if d["kind"] == "open_port"] == [8081]
    assert "8081" in second.stdout


@pytest.mark.parametrize("listeners", ["127.0.0.99"], indirect=True)
def test_a_target_with_nothing_listening_is_unverified_and_raises_no_risk(
    workspace: Path, listeners: Listeners
) -> None:
    port = listeners.open()
    listeners.close(port)  # a port that was free a moment ago: nothing listens on the address now
    _service(workspace, "dead-target", listeners.address, [port])
    scan = run_cli(["scan", "dead-target", "--profile", "quick", "--format", "json"], workspace)
    assert scan.exit_code == 3, scan.stdout + scan.stderr
    assert listeners.address in scan.stderr and "unreachable" in scan.stderr
    data = json.loads(scan.stdout)
    assert data["run"]["status"] == "unreachable"
    assert data["counts"]["error"] > 0

    gate = run_cli(["gate", "dead-target", "--format", "json"], workspace)
    assert gate.exit_code == 1, gate.stdout + gate.stderr
    reasons = {r["clause"]: r for r in json.loads(gate.stdout)["reasons"]}
    assert "scan-unreachable" in reasons
    assert "tls.certificate-valid" in reasons["scan-errors"]["message"]
    assert "http.hsts" in reasons["scan-errors"]["refs"]

    risks = run_cli(["risk", "list", "dead-target", "--format", "json"], workspace)
    assert risks.exit_code == 0, risks.stderr
    entries = json.loads(risks.stdout)
    errored = {o["check_id"] for o in data["observations"] if o["status"] == "error"}
    assert errored, "the TLS and HTTP checks of a dead target error"
    assert all(e["result_status"] in ("fail", "partial") for e in entries), entries
