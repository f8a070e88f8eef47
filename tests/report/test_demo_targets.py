"""The loopback demo targets: an HTTPS page signed by a demo CA, with some but not all security headers."""

from __future__ import annotations

import os
import re
import select
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "demo_targets.py"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--dir", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "demo targets did not print a ready line within 30 s"
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.match(r"ready https://localhost:(\d+)/", line)
        assert match, line
        yield proc, int(match.group(1)), tmp_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_page_is_served_over_tls_trusted_through_the_demo_ca(demo: tuple[subprocess.Popen[str], int, Path]) -> None:
    proc, port, folder = demo
    assert (folder / "demo_targets.pid").read_text().strip() == str(proc.pid)
    assert os.stat(folder / "server.pem").st_mode & 0o077 == 0
    trust = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    response = httpx.get(f"https://localhost:{port}/", verify=trust, timeout=10)
    assert response.status_code == 200
    assert "子育て支援オンライン申請" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in response.headers  # a finding for the demo report
    assert "content-security-policy" not in response.headers
    assert response.headers["server"].startswith("DemoPortal/")
    cert = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_an_untrusted_client_is_refused(demo: tuple[subprocess.Popen[str], int, Path]) -> None:
    _, port, _ = demo
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://localhost:{port}/", timeout=10)  # the system store does not know the demo CA


def test_sigterm_stops_it_and_removes_the_pid_file(demo: tuple[subprocess.Popen[str], int, Path]) -> None:
    proc, _, folder = demo
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert not (folder / "demo_targets.pid").exists()


def test_port_in_use_exits_3(demo: tuple[subprocess.Popen[str], int, Path], tmp_path: Path) -> None:
    _, port, _ = demo
    other = subprocess.run(
        [sys.executable, str(SCRIPT), "--dir", str(tmp_path / "second"), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert other.returncode == 3
    assert "cannot serve" in other.stderr


def test_the_demo_scan_of_its_healthy_target_errs_nowhere_and_runs_every_check(
    demo: tuple[subprocess.Popen[str], int, Path], workspace: Path
) -> None:
    """What make demo shows: the standard profile judges every check on the demo target (pass or fail)."""
    import json

    from tests.conftest import run_cli

    _, port, folder = demo
    service = workspace / "services" / "kosodate-portal.yaml"
    text = service.read_text(encoding="utf-8").replace("8443", str(port))
    text = text.replace("targets/ca.pem", str(folder / "ca.pem"))
    text = re.sub(r"authorized_until: .*", "authorized_until: 2099-12-31", text)
    service.write_text(text, encoding="utf-8")
    result = run_cli(["scan", "kosodate-portal", "--profile", "standard", "--format", "json"], workspace)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert counts["error"] == 0 and counts["not_run"] == 0, result.stdout
    assert counts["pass"] > 0 and counts["fail"] > 0
