"""The scope guard: every refusal is reported, exit 2, and nothing at all is scanned."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path
from typing import Any

import pytest

from secaudit.model import Service, Target
from secaudit.scan import scope as scope_guard
from secaudit.scan.errors import ScopeError
from secaudit.scan.scope import check_scope
from tests.conftest import run_cli
from tests.scan.conftest import write_service

TODAY = dt.date(2026, 11, 26)


def _service(targets: list[dict[str, Any]], until: str = "2099-12-31") -> Service:
    return Service.model_validate(
        {
            "id": "svc",
            "name": {"ja": "テスト", "en": "Test"},
            "department": "課",
            "owner": {"name": "a", "email": "a@example.jp"},
            "security_officer": {"name": "b", "email": "b@example.jp"},
            "classification": {"confidentiality": 2, "integrity": 2, "availability": 2},
            "attributes": {"internet_facing": True, "personal_data": True, "network_tier": "internet"},
            "scope": {"authorized_by": "課長", "authorized_until": until, "targets": targets},
        }
    )


def _resolver(table: dict[str, list[str]]) -> scope_guard.Resolver:
    def resolve(name: str) -> list[Any]:
        if name not in table:
            raise OSError(f"[Errno -2] Name or service not known: {name}")
        return [ipaddress.ip_address(a) for a in table[name]]

    return resolve


def _reasons(exc: pytest.ExceptionInfo[ScopeError]) -> str:
    return "\n".join(exc.value.lines())


def test_declared_addresses_are_the_only_ones_used() -> None:
    service = _service([{"host": "portal.example.jp", "addresses": ["127.0.0.1"], "ports": [443]}])
    decision = check_scope(service, TODAY, resolver=_resolver({"portal.example.jp": ["127.0.0.1", "127.0.0.9"]}))
    assert [str(a) for a in decision.approved[0].addresses] == ["127.0.0.1"]


def test_undeclared_ip_is_refused() -> None:
    service = _service([{"host": "127.0.0.2", "addresses": ["127.0.0.1"], "ports": [80]}])
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({}))
    assert "127.0.0.2 is not among the declared addresses" in _reasons(exc)


def test_expired_authorisation_is_refused() -> None:
    service = _service([{"host": "127.0.0.1", "ports": [80]}], until="2026-11-25")
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({}))
    assert "authorized_until" in _reasons(exc) and "ended on 2026-11-25" in _reasons(exc)


def test_hostname_resolving_outside_declared_addresses_is_a_possible_dns_change() -> None:
    service = _service([{"url": "https://portal.example.jp/", "addresses": ["127.0.0.1"]}])
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({"portal.example.jp": ["10.9.9.9"]}))
    assert "resolves to 10.9.9.9" in _reasons(exc) and "possible DNS change" in _reasons(exc)


def test_declared_cidr_covers_resolved_addresses() -> None:
    service = _service([{"url": "https://portal.example.jp/", "addresses": ["127.0.0.0/24"]}])
    decision = check_scope(service, TODAY, resolver=_resolver({"portal.example.jp": ["127.0.0.7", "10.0.0.1"]}))
    assert [str(a) for a in decision.approved[0].addresses] == ["127.0.0.7"]


@pytest.mark.parametrize(
    ("resolved", "reason"),
    [
        (["169.254.169.254"], "cloud metadata"),
        (["fd00:ec2::254"], "cloud metadata"),
        (["169.254.10.1"], "link-local"),
        (["fe80::1"], "link-local"),
        (["127.0.0.1", "192.0.2.10"], "workspace denylist (192.0.2.0/24)"),
    ],
)
def test_resolved_forbidden_addresses_are_refused(resolved: list[str], reason: str) -> None:
    service = _service([{"url": "https://portal.example.jp/"}])
    with pytest.raises(ScopeError) as exc:
        check_scope(
            service,
            TODAY,
            denylist=[ipaddress.ip_network("192.0.2.0/24")],
            resolver=_resolver({"portal.example.jp": resolved}),
        )
    assert reason in _reasons(exc)


def test_declared_metadata_address_is_still_refused() -> None:
    service = _service([{"host": "169.254.169.254", "ports": [80]}])
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({}))
    assert "cloud metadata" in _reasons(exc)


def test_option_smuggled_past_validation_is_refused() -> None:
    service = _service([{"host": "127.0.0.1", "ports": [80]}])
    assert service.scope is not None
    service.scope.targets.append(
        Target.model_construct(host="-iL /etc/passwd", url=None, addresses=[], ports=[80], ca_bundle=None)
    )
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({}))
    assert "'-iL /etc/passwd'" in _reasons(exc)
    assert len(exc.value.problems) == 1


def test_every_refusal_is_listed() -> None:
    service = _service(
        [
            {"host": "127.0.0.2", "addresses": ["127.0.0.1"], "ports": [80]},
            {"url": "https://portal.example.jp/", "addresses": ["127.0.0.1"]},
        ],
        until="2020-01-01",
    )
    with pytest.raises(ScopeError) as exc:
        check_scope(service, TODAY, resolver=_resolver({"portal.example.jp": ["10.0.0.1"]}))
    assert len(exc.value.problems) == 3


def test_unresolvable_name_without_declared_addresses_is_approved_as_unreachable() -> None:
    service = _service([{"url": "https://gone.example.jp/"}])
    decision = check_scope(service, TODAY, resolver=_resolver({}))
    assert decision.approved[0].addresses == ()
    assert "does not resolve" in (decision.approved[0].resolution_error or "")


def test_no_scope_is_refused() -> None:
    service = _service([])
    with pytest.raises(ScopeError):
        check_scope(service, TODAY, resolver=_resolver({}))


def test_url_scope_follows_declared_ports_and_schemes() -> None:
    service = _service(
        [
            {"host": "localhost", "addresses": ["127.0.0.1"], "ports": [8080]},
            {"url": "https://localhost:8443/", "addresses": ["127.0.0.1"]},
        ]
    )
    decision = check_scope(service, TODAY, resolver=_resolver({"localhost": ["127.0.0.1"]}))
    assert decision.approved_for_url("https://localhost:8443/login") is not None
    assert decision.approved_for_url("http://localhost:8080/") is not None
    assert decision.approved_for_url("http://localhost:8443/") is None
    assert decision.approved_for_url("https://localhost:9999/") is None
    assert decision.approved_for_url("https://evil.example/") is None


# --- through the CLI: exit 2 and no nmap process -------------------------------------------


@pytest.fixture
def nmap_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every attempt to locate or start nmap, recorded instead of run."""
    from secaudit.scan.probes import ports

    calls: list[Any] = []

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        raise AssertionError("nmap must not be started")

    monkeypatch.setattr(ports, "run_nmap", record)
    monkeypatch.setattr(ports, "locate_nmap", record)
    monkeypatch.setattr(ports.subprocess, "Popen", record)
    return calls


@pytest.mark.parametrize(
    ("targets", "until", "resolved", "reason"),
    [
        (["{host: 127.0.0.2, addresses: [127.0.0.1], ports: [80]}"], "2099-12-31", {}, "not among the declared"),
        (["{host: 127.0.0.1, ports: [80]}"], "2020-01-01", {}, "authorisation"),
        (
            ["{host: portal.example.jp, addresses: [127.0.0.1], ports: [443]}"],
            "2099-12-31",
            {"portal.example.jp": ["10.9.9.9"]},
            "possible DNS change",
        ),
        (
            ["{host: 127.0.0.1, ports: [80]}", "{url: 'https://portal.example.jp/', addresses: [127.0.0.1]}"],
            "2099-12-31",
            {"portal.example.jp": ["10.9.9.9"]},
            "possible DNS change",
        ),
    ],
)
def test_cli_refusal_exits_2_and_starts_no_nmap(
    workspace: Path,
    monkeypatch: pytest.MonkeyPatch,
    nmap_calls: list[Any],
    targets: list[str],
    until: str,
    resolved: dict[str, list[str]],
    reason: str,
) -> None:
    monkeypatch.setattr(scope_guard, "system_resolver", _resolver(resolved))
    write_service(workspace, "refused", targets, authorized_until=until)
    result = run_cli(["scan", "refused", "--profile", "quick"], workspace)
    assert result.exit_code == 2, result.stderr
    assert reason in result.stderr
    assert "nothing was scanned" in result.stderr
    assert nmap_calls == []


@pytest.mark.parametrize(
    "target",
    ["{host: '-iL /etc/passwd', ports: [80]}", "{host: '-iL', ports: [80]}", "{url: '-iL /etc/passwd'}"],
)
def test_cli_option_as_target_fails_service_validation(
    workspace: Path, nmap_calls: list[Any], target: str
) -> None:
    write_service(workspace, "smuggle", [target])
    result = run_cli(["scan", "smuggle", "--profile", "quick"], workspace)
    assert result.exit_code == 2
    assert "smuggle.yaml:12: scope.targets[0]" in result.stderr
    assert nmap_calls == []


def test_engine_refuses_constructed_option_target_without_storing_a_run(
    workspace: Path, nmap_calls: list[Any]
) -> None:
    from secaudit.catalog import load_catalog
    from secaudit.scan.engine import run_scan
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace

    ws = find_workspace(workspace)
    service = _service([{"host": "127.0.0.1", "ports": [80]}])
    assert service.scope is not None
    service.scope.targets[0] = Target.model_construct(
        host="-iL /etc/passwd", url=None, addresses=[], ports=[80], ca_bundle=None
    )
    store = open_store(ws.database_url)
    with pytest.raises(ScopeError):
        run_scan(service, load_catalog(ws.catalog_layers()), store, ws.config, "quick")
    assert nmap_calls == []
    assert scans.runs_of(store, "svc") == []
