"""Loopback TLS targets for the import tests, the outside tools that scan them, and services that declare them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.scan.conftest import write_service
from tests.scan.loopback import (
    GOOD_HEADERS,
    Loopback,
    TestCA,
    make_handler,
    serve_banner,
    serve_http,
    server_context,
    tls10_server_supported,
)

SSLYZE = Path(os.environ.get("SECAUDIT_TEST_SSLYZE", REPO / ".tools" / "sslyze" / "bin" / "sslyze"))
"""sslyze as `make test-deps` installs it (an environment of its own: it pins its own cryptography)."""


@dataclass
class TlsTargets:
    """The loopback servers: ``old`` offers TLS 1.0 with an expired certificate, ``modern`` TLS 1.2+ with a valid
    one; ``stray`` is a banner nobody declares. ``ca_bundle`` is the test CA that issued both certificates."""

    loop: Loopback
    ca_bundle: Path

    @property
    def ports(self) -> dict[str, int]:
        return self.loop.ports


@pytest.fixture(scope="session")
def tls_targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsTargets]:
    folder = tmp_path_factory.mktemp("import-targets")
    loop = Loopback()
    ca = TestCA.create(folder)
    now = dt.datetime.now(dt.UTC)
    expired = ca.issue(folder, "expired", now - dt.timedelta(days=100), now - dt.timedelta(days=10))
    valid = ca.issue(folder, "valid", now - dt.timedelta(days=1), now + dt.timedelta(days=90))
    available, reason = tls10_server_supported(*expired)
    if not available:
        pytest.fail(f"the local OpenSSL cannot serve TLS 1.0, which these tests need: {reason}")
    try:
        serve_http(
            loop,
            "old",
            make_handler(GOOD_HEADERS, "web", trace=False),
            server_context(*expired, ssl.TLSVersion.TLSv1, legacy=True),
        )
        serve_http(
            loop,
            "modern",
            make_handler(GOOD_HEADERS, "web", trace=False),
            server_context(*valid, ssl.TLSVersion.TLSv1_2),
        )
        serve_banner(loop, "stray", b"StrayDaemon 1.0\r\n")
    except BaseException:
        loop.stop()
        raise
    yield TlsTargets(loop, ca.bundle)
    loop.stop()


def run_sslyze(targets: list[str], out: Path, ca_bundle: Path | None = None) -> Path:
    """Run the real sslyze against loopback ``host:port{ip}`` targets; its JSON at ``out``."""
    if not SSLYZE.exists():
        pytest.fail(f"sslyze is not installed at {SSLYZE}: run `make test-deps`")
    argv = [str(SSLYZE), "--quiet", f"--json_out={out}"]
    if ca_bundle is not None:
        argv.append(f"--certinfo_ca_file={ca_bundle}")
    done = subprocess.run([*argv, *targets], capture_output=True, text=True, timeout=180, check=False)
    assert out.exists(), f"sslyze wrote no JSON (exit {done.returncode}): {done.stderr[-2000:]}"
    return out


def run_nmap(ports: list[int], out: Path) -> Path:
    """Run the real nmap (a connect scan, without version detection: -sV spends over a minute on a Python TLS
    server) against 127.0.0.1 only; its XML at ``out``."""
    nmap = shutil.which("nmap")
    assert nmap, "nmap is not installed (make test-deps installs it)"
    listed = ",".join(str(p) for p in ports)
    argv = [nmap, "-sT", "-n", "-Pn", "-T4", "-p", listed, "-oX", str(out), "--", "127.0.0.1"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return out


def import_service(workspace: Path, targets: TlsTargets, service_id: str = "legacy-site") -> Path:
    """A service declaring the loopback host (its two TLS ports) and both https URLs."""
    p = targets.ports
    return write_service(
        workspace,
        service_id,
        [
            f"{{host: localhost, addresses: [127.0.0.1], ports: [{p['old']}, {p['modern']}]}}",
            f"{{url: 'https://localhost:{p['old']}/', addresses: [127.0.0.1], ca_bundle: '{targets.ca_bundle}'}}",
            f"{{url: 'https://localhost:{p['modern']}/', addresses: [127.0.0.1], ca_bundle: '{targets.ca_bundle}'}}",
        ],
    )


def elsewhere_service(workspace: Path, service_id: str = "other-site") -> Path:
    """A service whose scope covers none of the loopback targets (another host name and port)."""
    return write_service(workspace, service_id, ["{url: 'https://127.0.0.2:8443/', addresses: [127.0.0.2]}"])
