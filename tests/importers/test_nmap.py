"""nmap's XML imported as evidence: the real nmap run against loopback ports the tests start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.pipeline.evaluation import evaluate_service
from secaudit.pipeline.session import Session
from secaudit.store import scans
from secaudit.store.drift import latest_drift
from tests.conftest import run_cli
from tests.importers.conftest import TlsTargets, import_service, run_nmap, run_sslyze
from tests.scan.conftest import write_service
from tests.scan.loopback import Loopback, serve_banner


@pytest.fixture(scope="module")
def nmap_xml(tls_targets: TlsTargets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nmap -sT of the two declared TLS ports and the undeclared stray one, on 127.0.0.1."""
    p = tls_targets.ports
    return run_nmap([p["old"], p["modern"], p["stray"]], tmp_path_factory.mktemp("nmap") / "scan.xml")


def test_an_undeclared_open_port_in_imported_nmap_xml_fails_naming_the_port(
    workspace: Path, tls_targets: TlsTargets, nmap_xml: Path
) -> None:
    import_service(workspace, tls_targets)
    result = run_cli(["scan", "import", "legacy-site", str(nmap_xml), "--output", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["format"] == "nmap-xml"
    observed = {o["check_id"]: o for o in shown["observations"]}
    stray = tls_targets.ports["stray"]
    unexpected = observed["ports.unexpected-open"]
    assert unexpected["status"] == "fail"
    assert unexpected["target"] == "localhost"
    assert unexpected["evidence"].startswith("[imported from nmap ")
    assert f"undeclared open port(s): {stray}" in unexpected["evidence"]
    assert "port(s) scanned (as the imported nmap run lists them)" in unexpected["evidence"]
    assert observed["ports.expected-open"]["status"] == "pass"
    # no -sV on the file's command line and no banners: the version check did not look, so it is not run
    banner = observed["ports.version-banner-hidden"]
    assert banner["status"] == "not_run", banner["evidence"]
    store = Session(workspace_path=workspace).store()
    [run] = scans.runs_of(store, "legacy-site")
    assert run.profile == "import-nmap-xml" and run.nmap_version and run.imported is not None
    [(addresses, xml, truncated)] = scans.nmap_xml_of(store, run.id)
    assert addresses == "127.0.0.1" and "<nmaprun" in xml and not truncated


def test_an_imported_nmap_run_and_an_imported_sslyze_run_are_both_in_force(
    workspace: Path, tls_targets: TlsTargets, nmap_xml: Path, tmp_path: Path
) -> None:
    import_service(workspace, tls_targets)
    assert run_cli(["scan", "import", "legacy-site", str(nmap_xml)], workspace).exit_code == 0
    sslyze = run_sslyze([f"localhost:{tls_targets.ports['old']}{{127.0.0.1}}"], tmp_path / "old.json")
    assert run_cli(["scan", "import", "legacy-site", str(sslyze)], workspace).exit_code == 0
    evaluation = evaluate_service(Session(workspace_path=workspace), "legacy-site", record=False)
    checks = {o.check_id.split(".")[0] for o in evaluation.observations}
    assert checks == {"ports", "tls"}
    assert {o.run_id for o in evaluation.observations if o.check_id.startswith("ports.")} != {
        o.run_id for o in evaluation.observations if o.check_id.startswith("tls.")
    }


def test_a_host_outside_the_scope_in_nmap_xml_is_refused_by_address(
    workspace: Path, tls_targets: TlsTargets, nmap_xml: Path
) -> None:
    write_service(workspace, "other-host", ["{host: 127.0.0.3, ports: [443]}"])
    result = run_cli(["scan", "import", "other-host", str(nmap_xml)], workspace)
    assert result.exit_code == 2
    assert "127.0.0.1: not within the declared scope of other-host" in result.stderr
    assert scans.runs_of(Session(workspace_path=workspace).store(), "other-host") == []


def test_a_vendors_nmap_rescan_shows_what_was_fixed(workspace: Path, tmp_path: Path) -> None:
    """Drift treats imported runs like own runs: the rescan is compared with the previous import."""
    loop = Loopback()
    try:
        web = serve_banner(loop, "web", b"HTTP/1.0 200 OK\r\n\r\n")
        extra = serve_banner(loop, "extra", b"Admin 2.0\r\n")
        write_service(workspace, "vendor-site", [f"{{host: localhost, addresses: [127.0.0.1], ports: [{web}]}}"])
        first = run_nmap([web, extra], tmp_path / "first.xml")
        loop.stoppers.pop()()  # the department closes the undeclared port; the vendor scans again
        again = run_nmap([web, extra], tmp_path / "again.xml")
    finally:
        loop.stop()
    before = run_cli(["scan", "import", "vendor-site", str(first), "--output", "json"], workspace)
    assert before.exit_code == 0, before.stderr
    unexpected = {o["check_id"]: o["status"] for o in json.loads(before.stdout)["observations"]}
    assert unexpected["ports.unexpected-open"] == "fail"
    after = run_cli(["scan", "import", "vendor-site", str(again), "--output", "json"], workspace)
    assert after.exit_code == 0, after.stderr
    shown = json.loads(after.stdout)
    assert shown["changes"] >= 1
    assert {o["check_id"]: o["status"] for o in shown["observations"]}["ports.unexpected-open"] == "pass"
    store = Session(workspace_path=workspace).store()
    changes = {(item.kind.value, item.state.value): item.message for item in latest_drift(store, "vendor-site")}
    assert len(changes) == shown["changes"]
    assert f"port tcp/{extra} is no longer open" in changes[("open_port", "resolved")]
