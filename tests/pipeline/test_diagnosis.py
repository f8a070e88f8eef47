"""A vendor's diagnosis report recorded as the evidence of the diagnosis controls, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit import clock
from secaudit.pipeline.session import Session
from secaudit.store import answers as answer_store
from secaudit.store import evidence as evidence_store
from tests.conftest import run_cli
from tests.scan.conftest import write_service

NOW = "2026-12-01T03:00:00+00:00"
SERVICE = "diag-site"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def site(workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(clock.NOW_ENV, NOW)
    write_service(workspace, SERVICE, ["{host: localhost, addresses: [127.0.0.1], ports: [443]}"])
    (tmp_path / "report.pdf").write_bytes(PDF)
    return workspace


def _record(workspace: Path, report: Path, *options: str) -> tuple[int, str]:
    result = run_cli(["diagnosis", "record", SERVICE, str(report), *options], workspace)
    return result.exit_code, result.stderr


def _result(workspace: Path, control_id: str) -> dict[str, object]:
    shown = run_cli(["assess", SERVICE, "--format", "json"], workspace)
    assert shown.exit_code in (0, 1), shown.stderr
    [found] = [r for r in json.loads(shown.stdout)["results"] if r["control_id"] == control_id]
    return found


def _verdict(result: dict[str, object], ref: str) -> str:
    [entry] = [e for e in result["trail"] if e["ref"] == ref]  # type: ignore[union-attr]
    return str(entry["verdict"])


PLATFORM_BUILD = ["--layer", "platform", "--timing", "build", "--vendor", "株式会社セキュア診断"]
PLATFORM_PERIODIC = ["--layer", "platform", "--timing", "periodic", "--vendor", "株式会社セキュア診断"]


def test_a_build_time_and_a_recent_periodic_diagnosis_satisfy_the_platform_control(site: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    code, stderr = _record(
        site,
        report,
        *PLATFORM_BUILD,
        "--date",
        "2026-04-10",
        "--scope",
        "localhost 全ポート",
        "--findings",
        "all-fixed",
    )
    assert code == 0, stderr
    assert "TEC-6.3-002/q1: yes" in stderr and "TEC-6.3-002/q2: all_fixed" in stderr
    code, stderr = _record(site, report, *PLATFORM_PERIODIC, "--date", "2026-10-01", "--scope", "localhost 全ポート")
    assert code == 0, stderr
    result = _result(site, "TEC-6.3-002")
    assert result["status"] == "pass", result["reason"]
    store = Session(workspace_path=site).store()
    answers = answer_store.latest_answers(store, SERVICE)
    periodic = answers[("TEC-6.3-002", "q3")]
    assert periodic.source.value == "diagnosis" and periodic.source_ref == "report.pdf"
    assert periodic.evidence is not None
    assert periodic.evidence.startswith(
        "株式会社セキュア診断: platform periodic diagnosis on 2026-10-01; scope: localhost 全ポート [ev-"
    )
    files = evidence_store.evidence_files_of(store, [SERVICE])[SERVICE]
    assert len(files) == 2 and {f.name for f in files.values()} == {"report.pdf"}
    assert {f.owner for f in files.values()} == {"株式会社セキュア診断"}


@pytest.mark.parametrize(("performed", "verdict"), [("2025-10-01", "partial"), ("2024-10-01", "non_compliant")])
def test_an_outdated_periodic_diagnosis_does_not_satisfy_the_periodic_control(
    site: Path, tmp_path: Path, performed: str, verdict: str
) -> None:
    report = tmp_path / "report.pdf"
    assert (
        _record(site, report, *PLATFORM_BUILD, "--date", "2024-04-10", "--scope", "all", "--findings", "all-fixed")[0]
        == 0
    )
    assert _record(site, report, *PLATFORM_PERIODIC, "--date", performed, "--scope", "all")[0] == 0
    result = _result(site, "TEC-6.3-002")
    assert _verdict(result, "TEC-6.3-002/q3") == verdict
    assert result["status"] != "pass"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([*PLATFORM_PERIODIC, "--date", "2026-12-24", "--scope", "all"], "--date: 2026-12-24 is in the future"),
        (
            ["--layer", "platform", "--timing", "periodic", "--vendor", " ", "--date", "2026-10-01", "--scope", "all"],
            "--vendor: must not be empty",
        ),
        ([*PLATFORM_PERIODIC, "--date", "2026-10-01", "--scope", "all\nhosts"], "--scope: at most 200 printable"),
        ([*PLATFORM_PERIODIC, "--date", "1 Oct 2026", "--scope", "all"], "--date: '1 Oct 2026' is not a date"),
        (
            ["--layer", "webapp", "--timing", "build", "--vendor", "V", "--date", "2026-10-01", "--scope", "all"],
            "--method: a web application's build-time diagnosis needs how it was tested",
        ),
        (
            ["--layer", "webapp", "--timing", "periodic", "--vendor", "V", "--date", "2026-10-01", "--scope", "all"],
            "WEB-6.3-003/q1 is not among the controls that apply to it",
        ),
    ],
)
def test_a_diagnosis_that_cannot_be_recorded_is_refused_and_nothing_is_stored(
    site: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    code, stderr = _record(site, tmp_path / "report.pdf", *options)
    assert code == 2
    assert message in stderr
    store = Session(workspace_path=site).store()
    assert answer_store.latest_answers(store, SERVICE) == {}
    assert evidence_store.evidence_files_of(store, [SERVICE]).get(SERVICE, {}) == {}


def test_a_report_that_is_not_a_document_is_refused(site: Path, tmp_path: Path) -> None:
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a Windows program named .pdf
    code, stderr = _record(site, fake, *PLATFORM_PERIODIC, "--date", "2026-10-01", "--scope", "all")
    assert code == 2
    assert "report.pdf:" in stderr
    assert answer_store.latest_answers(Session(workspace_path=site).store(), SERVICE) == {}


def test_the_report_names_the_diagnosis_as_the_answers_source(site: Path, tmp_path: Path) -> None:
    assert _record(site, tmp_path / "report.pdf", *PLATFORM_PERIODIC, "--date", "2026-10-01", "--scope", "all")[0] == 0
    out = tmp_path / "r.md"
    done = run_cli(["report", SERVICE, "--format", "md", "--output", str(out)], site)
    assert done.exit_code in (0, 1), done.stderr
    assert "脆弱性診断報告書 report.pdf" in out.read_text(encoding="utf-8")


def test_a_web_application_diagnosis_with_open_high_findings_fails_its_control(site: Path, tmp_path: Path) -> None:
    path = site / "services" / f"{SERVICE}.yaml"
    path.write_text(path.read_text().replace("checklists: [mic-baseline]", "checklists: [mic-baseline, web-service]"))
    code, stderr = _record(
        site,
        tmp_path / "report.pdf",
        *("--layer", "webapp", "--timing", "build", "--vendor", "V社", "--date", "2026-09-01"),
        *("--scope", "https://localhost/ 申請画面一式", "--method", "manual-and-tool", "--covered-login"),
        *("--findings", "open-high"),
    )
    assert code == 0, stderr
    result = _result(site, "WEB-6.3-002")
    assert [_verdict(result, f"WEB-6.3-002/q{n}") for n in (1, 2, 3)] == ["compliant", "compliant", "non_compliant"]
    assert result["status"] == "fail"
