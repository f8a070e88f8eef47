"""sslyze's JSON imported as evidence: the real sslyze run against loopback TLS servers the tests start."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from secaudit.model import ObservationStatus
from secaudit.pipeline.session import Session
from secaudit.store import scans
from tests.conftest import run_cli
from tests.importers.conftest import SSLYZE, TlsTargets, elsewhere_service, import_service, run_sslyze
from tests.scan.conftest import write_service


@pytest.fixture(scope="module")
def sslyze_old(tls_targets: TlsTargets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sslyze's JSON for the TLS 1.0 server with the expired certificate."""
    out = tmp_path_factory.mktemp("sslyze") / "old.json"
    return run_sslyze([f"localhost:{tls_targets.ports['old']}{{127.0.0.1}}"], out, tls_targets.ca_bundle)


@pytest.fixture(scope="module")
def sslyze_both(tls_targets: TlsTargets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sslyze's JSON for both servers in one run."""
    out = tmp_path_factory.mktemp("sslyze") / "both.json"
    p = tls_targets.ports
    return run_sslyze(
        [f"localhost:{p['old']}{{127.0.0.1}}", f"localhost:{p['modern']}{{127.0.0.1}}"], out, tls_targets.ca_bundle
    )


def _by_check(workspace: Path, run_id: str) -> dict[str, list[tuple[str, ObservationStatus, str]]]:
    found: dict[str, list[tuple[str, ObservationStatus, str]]] = {}
    for o in scans.observations_of(Session(workspace_path=workspace).store(), run_id):
        found.setdefault(o.check_id, []).append((o.target, o.status, o.evidence))
    return found


def _runs(workspace: Path, service_id: str) -> list[object]:
    return list(scans.runs_of(Session(workspace_path=workspace).store(), service_id))


def test_legacy_protocol_and_expired_certificate_fail_marked_as_imported_from_sslyze(
    workspace: Path, tls_targets: TlsTargets, sslyze_old: Path
) -> None:
    import_service(workspace, tls_targets)
    result = run_cli(["scan", "import", "legacy-site", str(sslyze_old), "--output", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    run_id = shown["run"]["id"]
    assert shown["format"] == "sslyze-json"
    version = json.loads(sslyze_old.read_text())["sslyze_version"]
    observed = _by_check(workspace, run_id)
    target = f"https://localhost:{tls_targets.ports['old']}/"
    [(where, status, evidence)] = observed["tls.legacy-protocols-disabled"]
    assert (where, status) == (target, ObservationStatus.FAIL)
    assert evidence.startswith(f"[imported from sslyze {version}] offered: TLSv1 (")
    [(where, status, evidence)] = observed["tls.certificate-valid"]
    assert status is ObservationStatus.FAIL
    assert evidence.startswith(f"[imported from sslyze {version}] expired on ")
    run = scans.get_run(Session(workspace_path=workspace).store(), run_id)
    assert run is not None and run.imported is not None
    assert run.profile == "import-sslyze-json"
    assert {k: run.imported[k] for k in ("format", "tool", "tool_version", "file")} == {
        "format": "sslyze-json",
        "tool": "sslyze",
        "tool_version": version,
        "file": sslyze_old.name,
    }
    assert run.imported["sha256"] == hashlib.sha256(sslyze_old.read_bytes()).hexdigest()
    assert run.imported["imported_by"] and run.imported["imported_at"]
    assert run.started_at.isoformat().startswith(json.loads(sslyze_old.read_text())["date_scans_started"][:16])


def test_the_same_file_for_a_service_whose_scope_does_not_cover_it_is_refused_by_name(
    workspace: Path, tls_targets: TlsTargets, sslyze_old: Path
) -> None:
    elsewhere_service(workspace)
    result = run_cli(["scan", "import", "other-site", str(sslyze_old)], workspace)
    assert result.exit_code == 2
    assert f"localhost:{tls_targets.ports['old']} (127.0.0.1): not within the declared scope of other-site" in (
        result.stderr
    )
    assert _runs(workspace, "other-site") == []
    log = run_cli(["log", "show", "--format", "json"], workspace)
    assert log.exit_code == 0, log.stderr
    assert [e for e in json.loads(log.stdout) if e["action"].startswith("scan.")] == []


def test_a_file_naming_one_target_outside_the_scope_stores_nothing_at_all(
    workspace: Path, tls_targets: TlsTargets, sslyze_both: Path
) -> None:
    p = tls_targets.ports
    write_service(workspace, "half-site", [f"{{url: 'https://localhost:{p['modern']}/', addresses: [127.0.0.1]}}"])
    result = run_cli(["scan", "import", "half-site", str(sslyze_both)], workspace)
    assert result.exit_code == 2
    assert f"localhost:{p['old']} (127.0.0.1)" in result.stderr
    assert f"localhost:{p['modern']}" not in result.stderr.replace(f"localhost:{p['old']}", "")
    assert _runs(workspace, "half-site") == []


def test_sslyze_and_secaudits_own_probe_agree_check_by_check(
    workspace: Path, tls_targets: TlsTargets, sslyze_both: Path
) -> None:
    import_service(workspace, tls_targets)
    (workspace / "scanners").mkdir(exist_ok=True)
    # sslyze lists every suite a server accepts, so the own probe enumerates them too (nmap's ssl-enum-ciphers,
    # as the deep profile does): the same question asked of the same server
    (workspace / "scanners" / "tls-enum.yaml").write_text(
        "profiles:\n  - id: tls-enum\n    title: {ja: TLS列挙, en: TLS enumeration}\n    probes: [tls]\n"
        "    nmap: {timing: 4, host_timeout_s: 60, scripts: [ssl-enum-ciphers]}\n    probe_timeout_s: 20\n",
        encoding="utf-8",
    )
    own = run_cli(["scan", "legacy-site", "--profile", "tls-enum", "--format", "json"], workspace)
    assert own.exit_code in (0, 1), own.stderr
    imported = run_cli(["scan", "import", "legacy-site", str(sslyze_both), "--output", "json"], workspace)
    assert imported.exit_code == 0, imported.stderr
    mine = {(o["check_id"], o["target"]): o["status"] for o in json.loads(own.stdout)["observations"]}
    theirs = {(o["check_id"], o["target"]): o["status"] for o in json.loads(imported.stdout)["observations"]}
    assert set(mine) == set(theirs)
    differing = {key: (mine[key], theirs[key]) for key in mine if mine[key] != theirs[key]}
    assert differing == {}
    statuses = {status for status in theirs.values()}
    assert "fail" in statuses and "pass" in statuses


def test_a_check_sslyze_did_not_run_is_not_run_never_pass(
    workspace: Path, tls_targets: TlsTargets, tmp_path: Path
) -> None:
    import_service(workspace, tls_targets)
    out = tmp_path / "certinfo-only.json"
    target = f"localhost:{tls_targets.ports['modern']}{{127.0.0.1}}"
    subprocess.run(
        [str(SSLYZE), "--quiet", "--certinfo", f"--json_out={out}", target],
        capture_output=True,
        timeout=120,
        check=False,
    )
    result = run_cli(["scan", "import", "legacy-site", str(out), "--output", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    observed = {o["check_id"]: (o["status"], o["evidence"]) for o in json.loads(result.stdout)["observations"]}
    for check in ("tls.legacy-protocols-disabled", "tls.modern-protocol-offered", "tls.cipher-strength"):
        status, evidence = observed[check]
        assert status == "not_run", (check, evidence)
        assert evidence.endswith(
            "not run: sslyze's results do not say which of SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 "
            "the server accepts"
        )
    assert observed["tls.certificate-valid"][0] == "pass"


def test_importing_the_same_file_twice_is_refused(workspace: Path, tls_targets: TlsTargets, sslyze_old: Path) -> None:
    import_service(workspace, tls_targets)
    assert run_cli(["scan", "import", "legacy-site", str(sslyze_old)], workspace).exit_code == 0
    again = run_cli(["scan", "import", "legacy-site", str(sslyze_old)], workspace)
    assert again.exit_code == 2
    assert "was imported already, as run" in again.stderr
    assert len(_runs(workspace, "legacy-site")) == 1
