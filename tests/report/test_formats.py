"""Every format, in both languages, for the synthetic evaluation of the demo service."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from secaudit.model import Language, ResultStatus
from secaudit.report import ReportFormat, ReportInput, produce
from secaudit.report.wording import FORBIDDEN_ASSURANCE
from tests.report.conftest import HOSTILE_BANNER, build_input

TEXT_FORMATS = [f for f in ReportFormat if f is not ReportFormat.PDF]
HEADINGS = {
    # as municipal audits are reported (MIC audit guideline, METI reporting guideline)
    Language.JA: [
        "1.1 監査の目的",
        "1.2 監査の範囲",
        "1.3 監査基準",
        "1.4 監査手続",
        "2. 総合意見とサービス開始判定",
        "3. 指摘事項",
        "4. 改善提言",
        "5. 良好事項",
        "6. 監査範囲の制約",
        "7. リスク一覧",
        "付録A 適用宣言書",
    ],
    Language.EN: [
        "1.1 Purpose",
        "1.2 Scope",
        "1.3 Audit criteria",
        "1.4 Procedures",
        "2. Overall opinion and launch decision",
        "3. Findings",
        "4. Recommendations",
        "5. Good practice",
        "6. Limits of the audit",
        "7. Risks",
        "Appendix A. Statement of applicability",
    ],
}


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_format_renders_in_both_languages(report_input: ReportInput, fmt: ReportFormat, lang: Language) -> None:
    data = produce(report_input, fmt, lang)
    text = data.decode("utf-8-sig")
    assert "kosodate-portal" in text or fmt is ReportFormat.CSV
    for phrase in FORBIDDEN_ASSURANCE:
        assert phrase not in text


@pytest.mark.parametrize("fmt", [ReportFormat.HTML, ReportFormat.MD])
@pytest.mark.parametrize("lang", list(Language))
def test_sections_come_in_the_municipal_order(report_input: ReportInput, fmt: ReportFormat, lang: Language) -> None:
    text = produce(report_input, fmt, lang).decode()
    positions = [text.find(heading) for heading in HEADINGS[lang]]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)


def test_html_is_self_contained_and_escapes_hostile_text(report_input: ReportInput) -> None:
    html = produce(report_input, ReportFormat.HTML, Language.JA).decode()
    assert HOSTILE_BANNER not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script" not in html.lower()
    assert re.findall(r"<[^>]*\s(?:src|href|srcset|action)\s*=", html) == []  # nothing is ever loaded
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "https://localhost:8443/" in html  # targets are shown as text
    assert "@page" in html and "Noto Sans CJK JP" in html
    assert html.count("<svg") == 3


def test_markdown_escapes_html_and_table_pipes(report_input: ReportInput) -> None:
    md = produce(report_input, ReportFormat.MD, Language.EN).decode()
    assert HOSTILE_BANNER not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "<img" not in md
    assert "\\| col \\|" in md
    assert "\\*\\*bold\\*\\*" in md
    assert "\\[link\\](javascript:alert(3))" in md
    for row in (line for line in md.splitlines() if line.startswith("| ORG-1-001")):
        unescaped = row.replace("\\|", "")
        assert unescaped.count("|") == 4  # the three columns survive hostile pipes


def test_findings_are_ordered_by_risk_level_with_evidence_and_remediation(report_input: ReportInput) -> None:
    md = produce(report_input, ReportFormat.MD, Language.EN).decode()
    findings = md.split("## 3. Findings")[1].split("## 4. Recommendations")[0]
    order = [findings.find(c) for c in ("TEC-6.1-002", "HUM-5.4-001", "TEC-6.5-001", "TEC-6.2-001")]
    assert all(p >= 0 for p in order) and order == sorted(order)
    assert "Remediation" in findings and "no Permissions-Policy header" in findings  # TEC-6.5-001 rests on the headers check
    recommendations = md.split("## 4. Recommendations")[1].split("## 5. Good practice")[0]
    assert "HUM-5.2-001" in recommendations and "TEC-6.1-002" not in recommendations
    good = md.split("## 5. Good practice")[1].split("## 6. Limits of the audit")[0]
    # summarised by section, the high and critical controls met by name, never answer by answer
    assert "Incident reporting procedure known to staff" in good and "Encrypted connections (TLS versions" in good
    assert "| Technical security | 1 / 5 |" in good
    assert "ORG-1-001" not in good and "インシデント対応手順書" not in good


def test_opinion_without_findings_stays_advisory() -> None:
    data = build_input(hostile=False)
    for result in data.results:
        if result.status in (ResultStatus.FAIL, ResultStatus.PARTIAL, ResultStatus.WAIVED):
            result.status = ResultStatus.PASS
    data.register = []
    for lang in Language:
        text = produce(data, ReportFormat.HTML, lang).decode()
        for phrase in FORBIDDEN_ASSURANCE:
            assert phrase not in text
    en = produce(data, ReportFormat.MD, Language.EN).decode()
    assert "do not give assurance" in en


def test_json_carries_everything(report_input: ReportInput) -> None:
    doc = json.loads(produce(report_input, ReportFormat.JSON, Language.EN))
    assert doc["service"]["id"] == "kosodate-portal"
    assert doc["decision"]["decision"] == "NO-GO"
    assert len(doc["results"]) == len(report_input.results)
    assert len(doc["observations"]) == len(report_input.observations)
    assert doc["findings"][0] == "TEC-6.1-002"
    assert doc["drift"][0]["state"] == "new"
    assert any(HOSTILE_BANNER in o["evidence"] for o in doc["observations"])  # data stays data in JSON


def test_sarif_lists_failed_and_errored_observations(report_input: ReportInput) -> None:
    doc = json.loads(produce(report_input, ReportFormat.SARIF, Language.EN))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    failed = [o for o in report_input.observations if o.status.value != "pass"]
    assert len(results) == len(failed) == 4
    for result in results:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri in ("tcp://localhost", "https://localhost:8443/")
    errored = next(r for r in results if r["ruleId"] == "http.csp")
    assert errored["kind"] == "review" and errored["level"] == "none"
    ports = next(r for r in results if r["ruleId"] == "ports.unexpected-open")
    assert ports["kind"] == "fail" and ports["level"] == "error"


def test_junit_has_one_case_per_control(report_input: ReportInput) -> None:
    root = ET.fromstring(produce(report_input, ReportFormat.JUNIT, Language.JA))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(report_input.results)
    by_id = {c.get("name", "").split()[0]: c for c in cases}
    assert by_id["HUM-5.4-001"].find("failure") is not None
    assert by_id["HUM-5.2-001"].find("failure") is not None  # partial fails too
    assert by_id["TEC-6.6-001"].find("error") is not None
    assert by_id["PHY-4.4-001"].find("skipped") is not None
    assert by_id["PHY-4.1-001"].find("skipped") is not None
    assert list(by_id["HUM-5.3-001"]) == []
    assert suite.get("failures") == "4" and suite.get("errors") == "1" and suite.get("skipped") == "3"


def test_csv_register_is_formula_safe(report_input: ReportInput) -> None:
    raw = produce(report_input, ReportFormat.CSV, Language.JA)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["control"] for r in rows][:2] == ["TEC-6.1-002", "HUM-5.4-001"]
    owner = next(r["owner"] for r in rows if r["control"] == "TEC-6.5-001")
    assert owner.startswith("'=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_service_with_no_evidence_yet_renders_with_empty_states(fmt: ReportFormat) -> None:
    data = build_input(last_run=None, observations=[], answers=[], register=[], history=[], drift=None)
    for result in data.results:
        result.trail = []
    text = produce(data, fmt, Language.EN).decode("utf-8-sig")
    if fmt in (ReportFormat.HTML, ReportFormat.MD):
        assert "No scan has been run." in text
        assert "The risk register is empty." in text
        assert "Drift since the previous run" not in text  # no drift data: the section is left out


def test_the_register_explains_each_rating_in_the_report_language(report_input: ReportInput) -> None:
    assert report_input.register, "the synthetic evaluation has risks"
    for entry in report_input.register:
        entry.rationale_ja = f"発生可能性 {entry.likelihood}、影響度 {entry.impact}"
    ja = produce(report_input, ReportFormat.HTML, Language.JA).decode()
    en = produce(report_input, ReportFormat.HTML, Language.EN).decode()
    assert "発生可能性" in ja and report_input.register[0].rationale not in ja
    assert report_input.register[0].rationale in en and "発生可能性" not in en
    for entry in report_input.register:
        entry.rationale_ja = ""  # a register from an older secaudit has no Japanese wording: English is shown
    assert report_input.register[0].rationale in produce(report_input, ReportFormat.HTML, Language.JA).decode()


def test_unverified_controls_are_limits_of_the_audit_with_what_to_do_next() -> None:
    data = build_input(hostile=False)
    data.results[0].status = ResultStatus.ERROR
    data.results[1].status = ResultStatus.AWAITING_ANSWER
    first, second = data.results[0].control_id, data.results[1].control_id
    en = produce(data, ReportFormat.MD, Language.EN).decode()
    limits = en.split("## 6. Limits of the audit")[1].split("## 7. Risks")[0]
    assert first in limits and "Make sure the target is running and reachable" in limits
    assert second in limits and "Ask the service owner to answer" in limits
    ja = produce(data, ReportFormat.HTML, Language.JA).decode()
    section = ja.split('id="limits"')[1].split("</section>")[0]
    assert "監査範囲の制約" in section and first in section and "再スキャンする" in section
    data.results = [r for r in data.results if not r.status.unverified]
    assert "Every applicable control was verified." in produce(data, ReportFormat.MD, Language.EN).decode()


def test_every_blocking_risk_is_a_finding_and_the_no_go_opinion_says_what_blocks(report_input: ReportInput) -> None:
    assert report_input.decision.decision.value == "NO-GO"
    blocking = {
        ref for r in report_input.decision.reasons if r.decision.value == "NO-GO" for ref in r.refs if ref[:2] != "R-"
    }
    md = produce(report_input, ReportFormat.MD, Language.JA).decode()
    findings = md.split("## 3. 指摘事項")[1].split("## 4. 改善提言")[0]
    recommendations = md.split("## 4. 改善提言")[1].split("## 5. 良好事項")[0]
    for control_id in blocking & {r.control_id for r in report_input.results}:
        if next(r for r in report_input.results if r.control_id == control_id).status.raises_risk:
            assert control_id in findings and control_id not in recommendations, control_id
    summary = md.split("## 2. 総合意見とサービス開始判定")[1].split("## 3. 指摘事項")[0]
    opinion = summary.split("### 総合意見")[1]
    assert "サービスの開始を妨げている事項は次のとおりです" in opinion and "未対応リスク" in opinion
    assert "計画的に" not in opinion.split("改善提言を")[0]  # blocking items are never advised "as planned"
    # the gate's reasons grouped: one heading per clause, then one line per risk naming it once
    reasons = summary.split("### 総合意見")[0]
    for risk in report_input.register:
        if any(risk.id in r.refs for r in report_input.decision.reasons):
            assert reasons.count(risk.id) == 1, risk.id
    en = produce(report_input, ReportFormat.MD, Language.EN).decode()
    en_summary = en.split("## 2. Overall opinion and launch decision")[1].split("## 3. Findings")[0]
    assert "What stands in the way of the launch" in en_summary.split("### Overall opinion")[1]


def test_the_japanese_report_shows_no_internal_codes_or_english_vocabulary(report_input: ReportInput) -> None:
    """Answers by their labels, reasons, verdicts, levels and sources in Japanese (issue: 85 codes leaked)."""
    for fmt in (ReportFormat.HTML, ReportFormat.MD):
        text = produce(report_input, fmt, Language.JA).decode()
        text = re.sub(r"<style.*?</style>|<[^>]+>", " ", text, flags=re.S)  # what a reader sees
        assert not re.search(r"answer: [a-z_]+", text)
        for leak in (
            "non-compliant",
            "check failed",
            "not applicable",
            "Critical",
            "high 以上",
            "workbook",
            "compliant answers",
            "not_scanned",
            "(fail)",
            "(pass)",
        ):
            assert leak not in text, (fmt, leak)
    html = produce(report_input, ReportFormat.HTML, Language.JA).decode()
    assert "回答</strong> <code>q1</code>: はい" in html or ": はい" in html


def test_the_procedures_section_counts_the_techniques_the_applicable_controls_call_for(
    report_input: ReportInput,
) -> None:
    """監査手続: design and operation counted from each control's audit block; evidence only where secaudit holds it."""
    from secaudit.audit_procedures import count_techniques
    from secaudit.model.control import AuditPhase, Procedure

    applicable = [
        report_input.controls[r.control_id] for r in report_input.results if r.status.value != "not_applicable"
    ]
    counts = count_techniques(applicable)
    md = produce(report_input, ReportFormat.MD, Language.JA).decode()
    section = md.split("### 1.4 監査手続")[1].split("## 2.")[0]
    design = counts.by_phase[AuditPhase.DESIGN][Procedure.DOCUMENT_REVIEW]
    operation = counts.by_phase[AuditPhase.OPERATION][Procedure.DOCUMENT_REVIEW]
    with_document = sum(1 for a in report_input.answers if a.evidence)
    assert "| 文書の閲覧 | " in section and f"| {design} | {operation} | {with_document}件 |" in section
    if counts.either_phase[Procedure.ONSITE_INSPECTION]:
        assert "| 実地の確認 |" in section  # called for, but no evidence secaudit could hold: shown as '-'
        assert section.split("| 実地の確認 |")[1].split("\n")[0].rstrip().endswith("| - |")
