"""``secaudit scan`` end to end against loopback targets the tests start themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.scan import conftest as scan_fixtures
from tests.scan.loopback import Loopback

# the loopback targets and workspace of tests/scan, shared with this module
loopback = scan_fixtures.loopback
scan_workspace = scan_fixtures.scan_workspace


def _observations(stdout: str) -> dict[tuple[str, str], dict[str, str]]:
    data = json.loads(stdout)
    return {(o["check_id"], o["target"]): o for o in data["observations"]}


def test_bad_service_reports_each_finding(scan_workspace: Path, loopback: Loopback) -> None:
    result = run_cli(["scan", "loopback-bad", "--profile", "loopback-wide", "--format", "json"], scan_workspace)
    assert result.exit_code == 1, result.stderr
    obs = _observations(result.stdout)
    p = loopback.ports
    leaky = f"http://localhost:{p['leaky']}/"
    expired = f"https://localhost:{p['expired']}/"

    stray = obs[("ports.unexpected-open", "localhost")]
    assert stray["status"] == "fail"
    assert str(p["stray"]) in stray["evidence"]
    assert obs[("tls.certificate-valid", expired)]["status"] == "fail"
    assert "expired" in obs[("tls.certificate-valid", expired)]["evidence"]
    assert obs[("tls.certificate-trusted", expired)]["status"] == "fail"
    assert obs[("http.hsts", leaky)]["status"] == "fail"
    server = obs[("http.server-version-hidden", leaky)]
    assert server["status"] == "fail" and "Apache/2.4.1" in server["evidence"]
    assert obs[("http.trace-disabled", leaky)]["status"] == "fail"
    assert obs[("http.cookie-flags", leaky)]["status"] == "fail"
    assert obs[("http.https-redirect", leaky)]["status"] == "fail"
    assert obs[("http.csp", leaky)]["status"] == "fail"
    assert obs[("http.unsafe-methods", leaky)]["status"] == "fail"


def test_tls10_offered_is_a_failure(scan_workspace: Path, loopback: Loopback) -> None:
    if "legacy" not in loopback.ports:
        pytest.skip(f"the local OpenSSL cannot serve TLS 1.0: {loopback.tls10_reason}")
    result = run_cli(["scan", "loopback-bad", "--profile", "quick", "--format", "json"], scan_workspace)
    obs = _observations(result.stdout)
    legacy = obs[("tls.legacy-protocols-disabled", f"https://localhost:{loopback.ports['legacy']}/")]
    assert legacy["status"] == "fail"
    assert "TLSv1 (" in legacy["evidence"]
    assert obs[("tls.cipher-strength", f"https://localhost:{loopback.ports['legacy']}/")]["status"] == "fail"


def test_good_service_passes(scan_workspace: Path, loopback: Loopback) -> None:
    result = run_cli(["scan", "loopback-good", "--profile", "quick", "--format", "json"], scan_workspace)
    assert result.exit_code == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    observations = data["observations"]
    assert not [o for o in observations if o["status"] == "fail"]
    good = f"https://localhost:{loopback.ports['good']}/"
    web = [o for o in observations if o["target"] == good]
    assert {o["check_id"].split(".")[0] for o in web} == {"tls", "http"}
    assert all(o["status"] == "pass" for o in web), [o for o in web if o["status"] != "pass"]
    assert data["run"]["status"] == "completed"
    assert data["run"]["nmap_version"]
    assert all(o["baseline"] for o in observations)


def test_run_is_stored_with_facts(scan_workspace: Path) -> None:
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace

    result = run_cli(["scan", "loopback-good", "--profile", "quick", "--format", "json"], scan_workspace)
    run_id = json.loads(result.stdout)["run"]["id"]
    store = open_store(find_workspace(scan_workspace).database_url)
    run = scans.get_run(store, run_id)
    assert run is not None and run.finished_at is not None
    assert [t["addresses"] for t in run.scope["targets"]] == [["127.0.0.1"]] * 3
    probes = sorted(probe for probe, _target, _facts in scans.facts_of(store, run_id))
    assert probes == ["http", "http", "ports", "tls"]
    archived = scans.nmap_xml_of(store, run_id)
    assert len(archived) == 1 and "<nmaprun" in archived[0][1]


def test_table_output_lists_check_target_status_evidence(scan_workspace: Path, loopback: Loopback) -> None:
    result = run_cli(["scan", "loopback-bad", "--profile", "loopback-wide", "--fail-on", "critical"], scan_workspace)
    assert result.exit_code == 0  # nothing in the baseline is critical
    line = next(x for x in result.stdout.splitlines() if x.startswith("http.hsts\t"))
    check, target, status, evidence = line.split("\t")
    assert (target, status) == (f"http://localhost:{loopback.ports['leaky']}/", "fail")
    assert evidence
    assert "failed" in result.stderr


def test_unreachable_targets_exit_3(workspace: Path) -> None:
    from tests.scan.conftest import write_service
    from tests.scan.loopback import free_port

    port = free_port()
    write_service(workspace, "gone", [f"{{url: 'https://localhost:{port}/', addresses: [127.0.0.1]}}"])
    result = run_cli(["scan", "gone", "--profile", "quick"], workspace)
    assert result.exit_code == 3
    assert "unreachable" in result.stderr


def test_service_and_batch_flag_together_is_refused(workspace: Path) -> None:
    result = run_cli(["scan", "kosodate-portal", "--all"], workspace)
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_missing_nmap_exits_3_with_install_hint(scan_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.scan.probes import ports

    monkeypatch.setattr(ports, "NMAP_SEARCH_PATH", ("/nonexistent/nmap",))
    result = run_cli(["scan", "loopback-good", "--profile", "quick"], scan_workspace)
    assert result.exit_code == 3
    assert "apt-get install nmap" in result.stderr


def test_unknown_profile_is_input_error(scan_workspace: Path) -> None:
    result = run_cli(["scan", "loopback-good", "--profile", "nope"], scan_workspace)
    assert result.exit_code == 2
    assert "quick" in result.stderr


def test_check_with_unknown_assertion_is_refused_before_scanning(scan_workspace: Path) -> None:
    (scan_workspace / "scanners" / "broken.yaml").write_text(
        """checks:
  - id: http.custom-header
    probe: http
    title: {ja: 独自ヘッダ, en: Custom header}
    severity: low
    assertion: header_present_everywhere
""",
        encoding="utf-8",
    )
    result = run_cli(["scan", "loopback-good", "--profile", "quick"], scan_workspace)
    assert result.exit_code == 2
    assert "check http.custom-header" in result.stderr and "header_present_everywhere" in result.stderr


def test_markup_in_headers_is_stored_verbatim(scan_workspace: Path, loopback: Loopback) -> None:
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace

    result = run_cli(["scan", "loopback-bad", "--profile", "quick", "--format", "json"], scan_workspace)
    run_id = json.loads(result.stdout)["run"]["id"]
    store = open_store(find_workspace(scan_workspace).database_url)
    leaky = f"http://localhost:{loopback.ports['leaky']}/"
    [facts] = [f for probe, target, f in scans.facts_of(store, run_id) if probe == "http" and target == leaky]
    assert facts["headers"]["Server"] == ["Apache/2.4.1"]
    [observation] = [
        o for o in scans.observations_of(store, run_id)
        if o.check_id == "http.server-version-hidden" and o.target == leaky
    ]
    assert observation.evidence == "Server: Apache/2.4.1"


def test_script_banner_is_stored_verbatim_as_data(scan_workspace: Path, loopback: Loopback) -> None:
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace
    from tests.scan.conftest import write_service

    stray = loopback.ports["stray"]
    (scan_workspace / "scanners" / "banner.yaml").write_text(
        f"""profiles:
  - id: banner-grab
    title: {{ja: バナー, en: Banner}}
    probes: [ports]
    nmap: {{ports: [{stray}], timing: 4, host_timeout_s: 30, scripts: [banner]}}
""",
        encoding="utf-8",
    )
    write_service(scan_workspace, "banner-host", ["{host: localhost, addresses: [127.0.0.1]}"])
    result = run_cli(["scan", "banner-host", "--profile", "banner-grab", "--format", "json"], scan_workspace)
    assert result.exit_code == 1, result.stderr
    run_id = json.loads(result.stdout)["run"]["id"]
    store = open_store(find_workspace(scan_workspace).database_url)
    [(_probe, _target, facts)] = scans.facts_of(store, run_id)
    banner = "<script>alert(1)</script> StrayDaemon 1.0"
    assert [p["banner"] for p in facts["ports"] if p["state"] == "open"] == [banner]
    observations = {o.check_id: o for o in scans.observations_of(store, run_id)}
    assert observations["ports.version-banner-hidden"].status.value == "fail"
    assert banner in observations["ports.version-banner-hidden"].evidence
    assert "&lt;" not in observations["ports.version-banner-hidden"].evidence


def test_profile_without_a_probe_for_any_target_is_input_error(scan_workspace: Path) -> None:
    (scan_workspace / "scanners" / "tls-only.yaml").write_text(
        """profiles:
  - id: tls-only
    title: {ja: TLS のみ, en: TLS only}
    probes: [tls]
""",
        encoding="utf-8",
    )
    from tests.scan.conftest import write_service

    write_service(scan_workspace, "hosts-only", ["{host: localhost, addresses: [127.0.0.1], ports: [443]}"])
    result = run_cli(["scan", "hosts-only", "--profile", "tls-only"], scan_workspace)
    assert result.exit_code == 2
    assert "no probe for any target" in result.stderr


def test_ipv6_loopback_target_is_scanned_with_nmap_6(workspace: Path) -> None:
    import socket

    from tests.scan.conftest import write_service

    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as listener:
        listener.bind(("::1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        write_service(workspace, "v6-host", [f"{{host: '::1', ports: [{port}]}}"])
        result = run_cli(["scan", "v6-host", "--profile", "quick", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    obs = {o["check_id"]: o for o in json.loads(result.stdout)["observations"]}
    assert obs["ports.expected-open"]["status"] == "pass"
    assert obs["ports.unexpected-open"]["status"] == "pass"


def test_relative_ca_bundle_is_read_from_the_workspace(scan_workspace: Path, loopback: Loopback) -> None:
    import shutil

    from tests.scan.conftest import write_service

    assert loopback.ca_bundle is not None
    (scan_workspace / "certs").mkdir()
    shutil.copy(loopback.ca_bundle, scan_workspace / "certs" / "city-ca.pem")
    good = loopback.ports["good"]
    write_service(
        scan_workspace,
        "relative-ca",
        [f"{{url: 'https://localhost:{good}/', addresses: [127.0.0.1], ca_bundle: certs/city-ca.pem}}"],
    )
    result = run_cli(["scan", "relative-ca", "--profile", "quick", "--format", "json"], scan_workspace)
    obs = {o["check_id"]: o for o in json.loads(result.stdout)["observations"]}
    assert obs["tls.certificate-trusted"]["status"] == "pass", obs["tls.certificate-trusted"]


def test_cipher_enumeration_lists_every_suite(scan_workspace: Path, loopback: Loopback) -> None:
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace
    from tests.scan.conftest import write_service

    (scan_workspace / "scanners" / "ciphers.yaml").write_text(
        """profiles:
  - id: tls-ciphers
    title: {ja: 暗号スイート, en: Cipher suites}
    probes: [tls]
    nmap: {timing: 4, host_timeout_s: 30, scripts: [ssl-enum-ciphers]}
""",
        encoding="utf-8",
    )
    good = loopback.ports["good"]
    ca = loopback.ca_bundle
    write_service(
        scan_workspace, "ciphers", [f"{{url: 'https://localhost:{good}/', addresses: [127.0.0.1], ca_bundle: '{ca}'}}"]
    )
    result = run_cli(["scan", "ciphers", "--profile", "tls-ciphers", "--format", "json"], scan_workspace)
    data = json.loads(result.stdout)
    store = open_store(find_workspace(scan_workspace).database_url)
    [(_probe, _target, facts)] = scans.facts_of(store, data["run"]["id"])
    assert facts["cipher_enumeration_error"] is None
    assert "TLS_AKE_WITH_AES_256_GCM_SHA384" in facts["ciphers"]["TLSv1.3"]
    # OpenSSL's defaults still accept CBC suites in TLS 1.2, which Mozilla intermediate does not recommend
    strength = next(o for o in data["observations"] if o["check_id"] == "tls.cipher-strength")
    assert strength["status"] == "fail" and "CBC" in strength["evidence"]
