"""End to end: answers and a scan on record, then ``secaudit report`` in every format through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from secaudit.model import Answer, AnswerSource, Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.report.render import pdf_available
from secaudit.store import open_store
from secaudit.store.answers import AnswerSet, save_answer_set
from secaudit.store.scans import begin_run, finish_run
from tests.conftest import run_cli

SERVICE = "kosodate-portal"
BANNER = "<script>alert(1)</script>"
HOSTILE = "<b>bold</b> | pipe"


def _store(workspace: Path):
    return open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")


@pytest.fixture
def evidence(workspace: Path) -> Path:
    """kosodate-portal with answers (one hostile) and a completed scan with a hostile banner."""
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    values: dict[tuple[str, str], object] = {
        ("HUM-5.2-001", "q1"): today - dt.timedelta(days=500),
        ("HUM-5.3-001", "q1"): "yes",
        ("HUM-5.3-001", "q2"): "done",
        ("HUM-5.3-001", "q3"): "yes",
        ("HUM-5.4-001", "q1"): "no",
        ("PHY-4.4-001", "q1"): "encrypted_logged",
        ("TEC-6.2-001", "q1"): today - dt.timedelta(days=30),
        ("TEC-6.5-001", "q1"): "yes",
        ("TEC-6.5-001", "q2"): "yes",
        ("TEC-6.6-001", "q1"): ["vendor", "jvn", "inventory"],
        ("ORG-1-001", "q1"): "yes",
        ("ORG-1-001", "q2"): HOSTILE,
    }
    items = [
        Answer(
            service_id=SERVICE,
            control_id=control,
            question_id=question,
            value=value,  # type: ignore[arg-type]
            evidence=HOSTILE if control == "ORG-1-001" else None,
            answered_by="山田 花子",
            answered_at=now,
            source=AnswerSource.WORKBOOK,
            source_ref="kosodate.xlsx",
        )
        for (control, question), value in values.items()
    ]
    store = _store(workspace)
    save_answer_set(store, AnswerSet(service_id=SERVICE, source=AnswerSource.WORKBOOK, submitted_by="山田 花子"), items)
    run = ScanRun(id="run-1", service_id=SERVICE, profile="standard", started_at=now, secaudit_version="test")
    begin_run(store, run)
    done = run.model_copy(update={"status": RunStatus.COMPLETED, "finished_at": now})
    checks = {
        "ports.unexpected-open": (ObservationStatus.FAIL, "localhost", f"8080/tcp open, banner {BANNER}"),
        "tls.legacy-protocols-disabled": (ObservationStatus.PASS, "https://localhost:8443/", "TLSv1.2, TLSv1.3"),
        "tls.certificate-valid": (ObservationStatus.PASS, "https://localhost:8443/", "valid"),
        "tls.certificate-trusted": (ObservationStatus.PASS, "https://localhost:8443/", "trusted"),
        "tls.certificate-hostname": (ObservationStatus.PASS, "https://localhost:8443/", "matches"),
        "http.hsts": (ObservationStatus.FAIL, "https://localhost:8443/", "Strict-Transport-Security missing"),
        "http.content-type-options": (ObservationStatus.PASS, "https://localhost:8443/", "nosniff"),
        "http.frame-protection": (ObservationStatus.ERROR, "https://localhost:8443/", "timed out"),
    }
    observations = [
        Observation(
            run_id="run-1",
            service_id=SERVICE,
            check_id=check,
            target=target,
            status=status,
            evidence=text,
            observed_at=now,
        )
        for check, (status, target, text) in checks.items()
    ]
    finish_run(store, done, observations, [])
    return workspace


def test_default_html_report_goes_to_the_private_reports_folder(evidence: Path) -> None:
    result = run_cli(["report", SERVICE], evidence)
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == evidence / ".secaudit" / "reports" / SERVICE
    assert path.name.endswith("-ja.html")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    html = path.read_text()
    assert "子育て支援オンライン申請" in html and "指摘事項" in html
    assert BANNER not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    findings = html.split('<section id="findings"')[1].split("</section>")[0]
    assert "TEC-6.1-002" in findings  # the unexpected port is a finding


@pytest.mark.parametrize("fmt", ["html", "md", "json", "oscal", "sarif", "junit", "csv"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_format_through_the_cli(evidence: Path, tmp_path: Path, fmt: str, lang: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = run_cli(["report", SERVICE, "--format", fmt, "--lang", lang, "-o", str(out)], evidence)
    assert result.exit_code == 0, result.stderr
    assert Path(result.stdout.strip()) == out
    data = out.read_bytes()
    if fmt in ("json", "oscal", "sarif"):
        json.loads(data)
    elif fmt == "junit":
        assert ET.fromstring(data).tag == "testsuites"
    elif fmt == "md":
        text = data.decode()
        assert BANNER not in text and "\\| pipe" in text
        assert ("Findings" if lang == "en" else "指摘事項") in text


def test_json_report_matches_the_evaluation(evidence: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert run_cli(["report", SERVICE, "--format", "json", "-o", str(out)], evidence).exit_code == 0
    doc = json.loads(out.read_text())
    gate = run_cli(["gate", SERVICE, "--format", "json"], evidence)
    assert doc["decision"]["decision"] == json.loads(gate.stdout)["decision"]
    risk_list = json.loads(run_cli(["risk", "list", SERVICE, "--format", "json"], evidence).stdout)
    assert {r["id"] for r in doc["register"]} == {r["id"] for r in risk_list}


def test_output_folder_and_history_over_reports(evidence: Path, tmp_path: Path) -> None:
    first = run_cli(["report", SERVICE, "--format", "json", "-o", str(tmp_path)], evidence)
    assert first.exit_code == 0, first.stderr
    assert Path(first.stdout.strip()).parent == tmp_path
    second = run_cli(["report", SERVICE, "--format", "json", "-o", str(tmp_path / "second.json")], evidence)
    doc = json.loads(Path(second.stdout.strip()).read_text())
    assert len(doc["history"]) == 1  # the first report's pass rate is a point on the trend
    log = run_cli(["log", "verify"], evidence)
    assert log.exit_code == 0, log.stderr


def test_workspace_template_overrides_the_shipped_one(evidence: Path, tmp_path: Path) -> None:
    (evidence / "reports").mkdir()
    (evidence / "reports" / "report.md.j2").write_text(
        "# {{ v.service_name }} custom\n{{ v.data.observations[0].evidence }}\n"
    )
    out = tmp_path / "r.md"
    result = run_cli(["report", SERVICE, "--format", "md", "-o", str(out)], evidence)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# 子育て支援オンライン申請 custom")
    assert BANNER not in text  # an override is escaped too


def test_broken_override_template_is_an_input_error(evidence: Path, tmp_path: Path) -> None:
    (evidence / "reports").mkdir()
    (evidence / "reports" / "report.html.j2").write_text("{% for x in %}\n")
    result = run_cli(["report", SERVICE, "-o", str(tmp_path / "r.html")], evidence)
    assert result.exit_code == 2
    assert "report.html.j2" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_unknown_format_and_service_are_input_errors(evidence: Path) -> None:
    bad_format = run_cli(["report", SERVICE, "--format", "docx"], evidence)
    assert bad_format.exit_code == 2 and "docx" in bad_format.stderr
    unknown = run_cli(["report", "no-such-service"], evidence)
    assert unknown.exit_code == 2


@pytest.mark.skipif(pdf_available() is not None, reason=f"WeasyPrint is not usable here: {pdf_available()}")
def test_pdf_through_the_cli(evidence: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.pdf"
    result = run_cli(["report", SERVICE, "--format", "pdf", "-o", str(out)], evidence)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_pdf_without_weasyprint_exits_3(evidence: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secaudit.report import render

    monkeypatch.setattr(render, "pdf_available", lambda: "ImportError: No module named 'weasyprint'")
    result = run_cli(["report", SERVICE, "--format", "pdf", "-o", str(tmp_path / "r.pdf")], evidence)
    assert result.exit_code == 3
    assert "weasyprint" in result.stderr.lower() and "apt-get install" in result.stderr
    assert not (tmp_path / "r.pdf").exists()


def test_dashboard_json_lists_every_service_attention_first(evidence: Path) -> None:
    result = run_cli(["dashboard", "--format", "json"], evidence)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    services = [s["service"] for s in doc["services"]]
    assert sorted(services) == ["kosodate-portal", "mynumber-kyufu", "zeimu-lgwan"]
    assert all(s["decision"] == "NO-GO" for s in doc["services"])
    assert services[0] == "kosodate-portal"  # every one is NO-GO; it launches first
    kosodate = doc["services"][0]
    assert kosodate["last_scan"]["run"] == "run-1"
    assert kosodate["questionnaire"]["answered"] >= 9
    assert kosodate["open_risks"]["high"] + kosodate["open_risks"]["critical"] >= 1


def test_dashboard_html_default_path_and_broken_service_listed(evidence: Path) -> None:
    (evidence / "services" / "broken.yaml").write_text("id: broken\nname: 1\n")
    result = run_cli(["dashboard"], evidence)
    assert result.exit_code == 2, result.stderr  # written for the others, then the broken file refused
    assert "services/broken.yaml:2: name: must be a mapping, not the number 1" in result.stderr
    path = Path(result.stdout.strip())
    assert path == evidence / ".secaudit" / "reports" / "dashboard.html"
    html = path.read_text()
    assert "子育て支援オンライン申請" in html and "broken" in html
    assert "broken" in result.stderr
    en = run_cli(["dashboard", "--lang", "en", "-o", str(evidence / "d.html")], evidence)
    assert en.exit_code == 2 and "Launch decision" in (evidence / "d.html").read_text()


def test_drift_recorded_by_the_scheduler_appears_in_report_and_dashboard(evidence: Path, tmp_path: Path) -> None:
    from secaudit.model.drift import DriftKind, DriftState
    from secaudit.store import open_store
    from secaudit.store.drift import Comparison, DriftRecord, record_comparison

    now = dt.datetime.now(dt.UTC)
    record = DriftRecord(
        SERVICE,
        DriftKind.OPEN_PORT,
        "localhost",
        "127.0.0.1 tcp/8080",
        DriftState.NEW,
        f"new open port 8080 {BANNER}",
        run_id="run-1",
        detected_at=now,
    )
    store = open_store(f"sqlite:///{evidence / '.secaudit' / 'secaudit.db'}")
    record_comparison(store, Comparison("run-1", SERVICE, None, now, 0, [record]))

    out = tmp_path / "r.json"
    assert run_cli(["report", SERVICE, "--format", "json", "-o", str(out)], evidence).exit_code == 0
    drift = json.loads(out.read_text())["drift"]
    assert drift[0]["state"] == "new" and drift[0]["fingerprint"] == record.fingerprint
    html = tmp_path / "r.html"
    assert run_cli(["report", SERVICE, "--lang", "en", "-o", str(html)], evidence).exit_code == 0
    assert "Drift since the previous run" in html.read_text() and BANNER not in html.read_text()
    board = json.loads(run_cli(["dashboard", "--format", "json"], evidence).stdout)
    drift_by_service = {s["service"]: s["drift"] for s in board["services"]}
    assert drift_by_service == {"kosodate-portal": {"new": 1}, "mynumber-kyufu": None, "zeimu-lgwan": None}
