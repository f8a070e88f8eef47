"""ZAP's JSON report and SARIF from a dynamic scanner imported as web application findings, by IPA class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.importers import detect
from secaudit.pipeline.session import Session
from secaudit.store import scans
from secaudit.store.drift import latest_drift
from tests.conftest import REPO, run_cli
from tests.scan.conftest import write_service

FIXTURES = REPO / "tests" / "fixtures" / "importers"
SERVICE = "web-site"


@pytest.fixture
def site(workspace: Path) -> Path:
    path = write_service(workspace, SERVICE, ["{url: 'https://localhost:8443/', addresses: [127.0.0.1]}"])
    path.write_text(path.read_text().replace("checklists: [mic-baseline]", "checklists: [mic-baseline, web-service]"))
    return workspace


def _import(workspace: Path, path: Path, *options: str) -> dict[str, object]:
    result = run_cli(["scan", "import", SERVICE, str(path), "--output", "json", *options], workspace)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _results(workspace: Path) -> dict[str, dict[str, object]]:
    shown = run_cli(["assess", SERVICE, "--format", "json"], workspace)
    return {r["control_id"]: r for r in json.loads(shown.stdout)["results"]}


def test_zap_findings_fail_the_checks_of_their_ipa_classes_and_say_nothing_of_the_others(site: Path) -> None:
    shown = _import(site, FIXTURES / "zap-report.json")
    assert shown["format"] == "zap-json"
    observed = {o["check_id"]: o for o in shown["observations"]}  # type: ignore[union-attr]
    # the SQL injection and the missing anti-clickjacking header; the XSS alert is a false positive (confidence 0)
    assert set(observed) == {"webapp.sql-injection", "webapp.clickjacking"}
    sqli = observed["webapp.sql-injection"]
    assert sqli["status"] == "fail" and sqli["target"] == "https://localhost:8443/"
    assert sqli["evidence"] == (
        "[imported from ZAP 2.15.0] ZAP 2.15.0 found SQL injection: "
        "SQL Injection [high] at GET https://localhost:8443/search?q=ZAP%27 [q]"
    )
    assert "(+1 more)" in observed["webapp.clickjacking"]["evidence"]
    results = _results(site)
    assert results["WEB-6.3-004"]["status"] == "fail"
    assert "webapp.sql-injection" in str(results["WEB-6.3-004"]["reason"])
    # ZAP's report does not list the rules it ran: no CSRF alert is no evidence of no CSRF, and no verdict
    csrf = results["WEB-6.3-009"]
    assert "webapp.csrf" not in str(csrf["reason"])
    [entry] = [e for e in csrf["trail"] if e["ref"] == "webapp.csrf"]  # type: ignore[union-attr]
    assert entry["verdict"] == "skipped"


def test_web_findings_do_not_touch_a_service_without_an_import(site: Path) -> None:
    results = _results(site)
    for control in ("WEB-6.3-004", "WEB-6.3-009", "TEC-6.2-005"):
        assert results[control]["status"] != "not_scanned", results[control]


def test_sarif_from_a_dynamic_scanner_maps_cwe_tags_and_relationships(site: Path) -> None:
    shown = _import(site, FIXTURES / "dast.sarif")
    assert shown["format"] == "sarif"
    observed = {o["check_id"]: o for o in shown["observations"]}  # type: ignore[union-attr]
    assert set(observed) == {"webapp.csrf", "webapp.os-command-injection"}
    assert observed["webapp.csrf"]["evidence"].startswith(  # type: ignore[union-attr]
        "[imported from ExampleDAST 4.2.0] ExampleDAST 4.2.0 found cross-site request forgery: "
        "Form without an anti-CSRF token [medium] at https://localhost:8443/apply (+1 more)"
    )
    assert "[high]" in observed["webapp.os-command-injection"]["evidence"]  # type: ignore[operator]
    run = scans.get_run(Session(workspace_path=site).store(), shown["run"]["id"])  # type: ignore[index]
    assert run is not None and run.imported is not None
    assert (run.imported["tool"], run.imported["tool_version"]) == ("ExampleDAST", "4.2.0")
    assert run.started_at.isoformat() == "2026-11-29T01:00:00+00:00"


def test_auto_tells_zap_and_sarif_apart_from_each_other_and_the_rest() -> None:
    assert detect((FIXTURES / "zap-report.json").read_bytes()).format == "zap-json"  # type: ignore[union-attr]
    assert detect((FIXTURES / "dast.sarif").read_bytes()).format == "sarif"  # type: ignore[union-attr]


def test_a_site_or_an_instance_outside_the_scope_is_refused_by_name(site: Path, tmp_path: Path) -> None:
    report = json.loads((FIXTURES / "zap-report.json").read_text())
    report["site"][0]["alerts"][0]["instances"][0]["uri"] = "https://intra.city.example.jp/admin?id=1"
    path = tmp_path / "zap.json"
    path.write_text(json.dumps(report))
    result = run_cli(["scan", "import", SERVICE, str(path)], site)
    assert result.exit_code == 2
    assert "https://intra.city.example.jp/admin?id=1: not within the declared scope of web-site" in result.stderr
    report["site"][0]["@name"] = "http://localhost:8080"
    path.write_text(json.dumps(report))
    result = run_cli(["scan", "import", SERVICE, str(path)], site)
    assert result.exit_code == 2 and "http://localhost:8080: not within the declared scope" in result.stderr
    assert scans.runs_of(Session(workspace_path=site).store(), SERVICE) == []


def test_sarif_of_source_code_analysis_is_refused(site: Path, tmp_path: Path) -> None:
    sarif = json.loads((FIXTURES / "dast.sarif").read_text())
    sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = (
        "src/app/Search.java"
    )
    path = tmp_path / "sast.sarif"
    path.write_text(json.dumps(sarif))
    result = run_cli(["scan", "import", SERVICE, str(path)], site)
    assert result.exit_code == 2
    assert "sast.sarif: runs[0].results[0]: no http(s) location" in result.stderr


def test_a_rescan_without_the_finding_shows_it_fixed(site: Path, tmp_path: Path) -> None:
    _import(site, FIXTURES / "zap-report.json")
    report = json.loads((FIXTURES / "zap-report.json").read_text())
    report["site"][0]["alerts"] = [a for a in report["site"][0]["alerts"] if a["pluginid"] != "40018"]
    report["created"] = "2026-12-01T10:00:00Z"
    rescan = tmp_path / "rescan.json"
    rescan.write_text(json.dumps(report))
    shown = _import(site, rescan)
    assert shown["changes"]
    messages = [item.message for item in latest_drift(Session(workspace_path=site).store(), SERVICE)]
    assert "ZAP 2.15.0 no longer reports SQL Injection on https://localhost:8443/" in messages
    assert _results(site)["WEB-6.3-004"]["status"] != "fail"


def test_html_in_a_finding_stays_text_in_the_report(site: Path, tmp_path: Path) -> None:
    report = json.loads((FIXTURES / "zap-report.json").read_text())
    report["site"][0]["alerts"][0]["alert"] = "<img src=x onerror=alert(1)> SQL Injection"
    path = tmp_path / "zap.json"
    path.write_text(json.dumps(report))
    _import(site, path)
    out = tmp_path / "r.html"
    done = run_cli(["report", SERVICE, "--format", "html", "--output", str(out)], site)
    assert done.exit_code in (0, 1), done.stderr
    assert "<img src=x" not in out.read_text(encoding="utf-8")
