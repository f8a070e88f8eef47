"""Loopback targets (started once per session) and workspaces whose services point at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scan.loopback import Loopback, start_targets

OWNER = "{name: 山田 花子, email: yamada@city.example.jp}"


@pytest.fixture(scope="session")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loopback]:
    """The loopback servers: leaky HTTP, good / expired / legacy HTTPS, a redirect, a stray port."""
    loop = start_targets(tmp_path_factory.mktemp("loopback"))
    yield loop
    loop.stop()


def service_yaml(service_id: str, targets: list[str], authorized_until: str = "2099-12-31") -> str:
    """A service file with the given target lines (each a YAML flow mapping)."""
    lines = "\n".join(f"    - {t}" for t in targets)
    return f"""id: {service_id}
name: {{ja: テスト, en: Test}}
department: テスト課
owner: {OWNER}
security_officer: {OWNER}
classification: {{confidentiality: 2, integrity: 2, availability: 2}}
attributes: {{internet_facing: true, personal_data: true, network_tier: internet}}
scope:
  authorized_by: 情報政策課長
  authorized_until: {authorized_until}
  targets:
{lines}
checklists: [mic-baseline]
"""


def write_service(workspace: Path, service_id: str, targets: list[str], **kwargs: str) -> Path:
    """Write ``services/<id>.yaml`` into ``workspace``."""
    path = workspace / "services" / f"{service_id}.yaml"
    path.write_text(service_yaml(service_id, targets, **kwargs), encoding="utf-8")
    return path


@pytest.fixture
def scan_workspace(workspace: Path, loopback: Loopback) -> Path:
    """A workspace with a well-configured and a badly configured loopback service, and a wide profile."""
    p = loopback.ports
    ca = loopback.ca_bundle
    write_service(
        workspace,
        "loopback-good",
        [
            f"{{host: localhost, addresses: [127.0.0.1], ports: [{p['good']}, {p['redirect']}]}}",
            f"{{url: 'https://localhost:{p['good']}/', addresses: [127.0.0.1], ca_bundle: '{ca}'}}",
            f"{{url: 'http://localhost:{p['redirect']}/', addresses: [127.0.0.1]}}",
        ],
    )
    bad_ports = [p["leaky"], p["expired"]] + ([p["legacy"]] if "legacy" in p else [])
    targets = [
        f"{{host: localhost, addresses: [127.0.0.1], ports: {bad_ports}}}",
        f"{{url: 'http://localhost:{p['leaky']}/', addresses: [127.0.0.1]}}",
        f"{{url: 'https://localhost:{p['expired']}/', addresses: [127.0.0.1], ca_bundle: '{ca}'}}",
    ]
    if "legacy" in p:
        targets.append(f"{{url: 'https://localhost:{p['legacy']}/', addresses: [127.0.0.1], ca_bundle: '{ca}'}}")
    write_service(workspace, "loopback-bad", targets)
    (workspace / "scanners").mkdir(exist_ok=True)
    (workspace / "scanners" / "loopback.yaml").write_text(
        f"""profiles:
  - id: loopback-wide
    title: {{ja: ループバック, en: Loopback}}
    probes: [ports, tls, http]
    nmap: {{ports: [{p['stray']}], timing: 4, host_timeout_s: 30}}
    probe_timeout_s: 10
""",
        encoding="utf-8",
    )
    return workspace
