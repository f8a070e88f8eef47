"""Fixtures for questionnaire tests: a workspace with a small checklist of every question type."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from secaudit.catalog import load_catalog
from secaudit.inventory import find_service
from secaudit.model import ORGANISATION_ID
from secaudit.questionnaire import layout as L
from secaudit.questionnaire.items import QuestionItem, organisation_items, question_items
from secaudit.questionnaire.validation import condition_met
from secaudit.questionnaire.values import MULTI_SEPARATOR
from secaudit.store import open_store
from secaudit.store.answers import store_counts
from secaudit.workspace import find_workspace
from tests.conftest import run_cli

QTEST_CHECKLIST = """\
checklist:
  id: qtest
  version: "1"
  title: {ja: 質問票テスト, en: Questionnaire test}
controls:
  - id: QT-5.2-001
    domain: HUM
    section: "5.2"
    control_type: human
    title: {ja: 研修, en: Training}
    rationale: {ja: 理由, en: Why}
    severity: medium
    questions:
      - id: q1
        type: yes_no
        text: {ja: 研修を実施していますか。, en: "Is training run?"}
        requires_evidence: true
      - id: q2
        type: choice
        text: {ja: 訓練の状況は？, en: "Drill status?"}
        choices:
          - {value: done, label: {ja: 実施した, en: Done}}
          - {value: planned, label: {ja: 計画中, en: Planned}}
          - {value: none, label: {ja: 実施していない, en: Not done}}
        compliant: [done]
        partial: [planned]
        non_compliant: [none]
        depends_on: {question: q1, answer_in: ["yes"]}
    evidence_examples:
      - {ja: 研修記録, en: Training records}
    procedure: [document_review, interview]
    audit:
      design: {ja: 研修計画を閲覧する, en: Read the training plan, techniques: [document_review]}
      operation: {ja: 受講者に聴取する, en: Ask attendees, techniques: [interview]}
    remediation: {ja: 実施する, en: Do it}
  - id: QT-6.1-001
    domain: TEC
    section: "6.1"
    control_type: technical
    title: {ja: 脆弱性情報, en: Vulnerability information}
    rationale: {ja: 理由, en: Why}
    severity: high
    questions:
      - id: q1
        type: multi_choice
        text: {ja: "=1+1 脆弱性情報の入手元は？", en: "=1+1 Where do you learn of vulnerabilities?"}
        choices:
          - {value: vendor, label: {ja: ベンダー通知, en: Vendor notices}}
          - {value: jvn, label: {ja: JVN, en: JVN}}
          - {value: none, label: {ja: なし, en: None}}
        compliant: [vendor, jvn]
        non_compliant: [none]
      - id: q2
        type: number
        text: {ja: 重大な脆弱性の修正までの日数は？, en: "Days to patch a critical flaw?"}
        compliant_range: {lte: 14}
        partial_range: {lte: 30}
      - id: q3
        type: date
        text: {ja: 最後の脆弱性診断の日付は？, en: "Date of the last vulnerability scan?"}
        max_age_days: 365
        requires_evidence: true
      - id: q4
        type: text
        text: {ja: 補足があれば記入してください。, en: "Anything to add?"}
        required: false
    procedure: [document_review]
    audit:
      design: {ja: 収集手順を閲覧する, en: Read the procedure, techniques: [document_review]}
      operation: {ja: 対応記録を閲覧する, en: Read the records, techniques: [document_review]}
    remediation: {ja: 改善する, en: Improve}
"""

QTEST_SERVICE = """\
id: qtest-svc
name: {ja: 質問票テストサービス, en: Questionnaire test service}
department: テスト課
owner: {name: 山田 花子, email: yamada@city.example.jp}
security_officer: {name: 佐藤 一郎, email: sato@city.example.jp}
classification: {confidentiality: 2, integrity: 2, availability: 1}
attributes:
  internet_facing: true
  personal_data: true
  mynumber: false
  payment: false
  cloud: saas
  outsourced: true
  network_tier: internet
checklists: [qtest]
"""

TODAY = dt.datetime.now(dt.UTC).date()
GOOD = {
    "QT-5.2-001/q1": ("はい", "研修記録 2026年度（共有フォルダ/研修）", "全員受講済み"),
    "QT-5.2-001/q2": ("実施した", None, None),
    "QT-6.1-001/q1": (f"ベンダー通知{MULTI_SEPARATOR} JVN", None, "毎朝確認"),
    "QT-6.1-001/q2": (7, None, None),
    "QT-6.1-001/q3": (dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time()), "診断報告書 第2版", None),
    "QT-6.1-001/q4": ("- 特記事項なし", None, None),
}


@pytest.fixture
def qworkspace(workspace: Path) -> Path:
    """The shared test workspace plus the ``qtest`` checklist and the ``qtest-svc`` service."""
    return add_qtest(workspace)


def add_qtest(workspace: Path) -> Path:
    """Add the ``qtest`` checklist and the ``qtest-svc`` service to ``workspace``."""
    (workspace / "checklists").mkdir(exist_ok=True)
    (workspace / "checklists" / "qtest.yaml").write_text(QTEST_CHECKLIST, encoding="utf-8")
    (workspace / "services" / "qtest-svc.yaml").write_text(QTEST_SERVICE, encoding="utf-8")
    return workspace


def export(workspace: Path, service: str, path: Path, *extra: str) -> Path:
    """Export a questionnaire through the CLI and return the workbook path."""
    result = run_cli(["questionnaire", "export", service, "-o", str(path), *extra], workspace)
    assert result.exit_code == 0, result.stderr
    return path


def rows_by_ref(path: Path) -> dict[str, int]:
    """``{"CONTROL/q": sheet row}`` from the workbook's metadata sheet."""
    wb = openpyxl.load_workbook(path)
    meta = wb[L.META_SHEET]
    refs: dict[str, int] = {}
    in_table = False
    for values in meta.iter_rows(max_col=5, values_only=True):
        if in_table and values[0] is not None:
            refs[f"{values[2]}/{values[3]}"] = int(values[0])
        in_table = in_table or tuple(values) == L.META_TABLE_HEADER
    return refs


def fill(
    path: Path,
    answers: dict[str, tuple[Any, Any, Any]],
    answered_by: str | None = "山田 花子",
    out: Path | None = None,
    edit: Callable[[openpyxl.Workbook], None] | None = None,
) -> Path:
    """Fill answers as an owner would (openpyxl, answers sheet by ref) and save to ``out``."""
    refs = rows_by_ref(path)
    wb = openpyxl.load_workbook(path)
    answers_sheet = wb.worksheets[1]
    for ref, (value, evidence, comment) in answers.items():
        row = refs[ref]
        answers_sheet.cell(row, L.COL_ANSWER, value)
        answers_sheet.cell(row, L.COL_EVIDENCE, evidence)
        answers_sheet.cell(row, L.COL_COMMENT, comment)
    if answered_by is not None:
        wb.worksheets[0]["B9"] = answered_by
    if edit is not None:
        edit(wb)
    target = out or path
    wb.save(target)
    return target


def compliant_answers(
    workspace: Path, service_id: str, include_organisation: bool = False
) -> dict[str, tuple[Any, Any, Any]]:
    """A complete, compliant set of answers for any service (or the organisation: ``ORGANISATION_ID``), derived
    from the catalog in force; a service's without the city-wide questions unless ``include_organisation``."""
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    if service_id == ORGANISATION_ID:
        items = organisation_items(catalog)
    else:
        service = find_service(ws.services_dir, service_id, catalog.checklists, ws.config.classification_scheme)
        items = question_items(catalog, service, include_organisation)
    chosen: dict[tuple[str, str], object] = {}
    answers: dict[str, tuple[Any, Any, Any]] = {}
    for item in items:
        if item.parent is not None and not condition_met(item, chosen.get(item.parent.key)):
            continue
        value, cell = _compliant_value(item)
        chosen[item.key] = value
        evidence = "規程集 第3版（共有フォルダ/セキュリティ）" if item.question.requires_evidence else None
        answers[item.ref] = (cell, evidence, "日本語のコメント")
    return answers


def _compliant_value(item: QuestionItem) -> tuple[object, object]:
    q = item.question
    labels = {c.value: c.label.ja for c in q.allowed_choices()}
    match q.type.value:
        case "yes_no" | "choice":
            value = (q.compliant or list(labels))[0]
            return value, labels[value]
        case "multi_choice":
            values = q.compliant or list(labels)[:1]
            return values, f"{MULTI_SEPARATOR} ".join(labels[v] for v in values)
        case "number":
            rng = q.compliant_range
            number = rng.lte if rng and rng.lte is not None else (rng.gte if rng and rng.gte is not None else 1)
            return number, number
        case "date":
            day = TODAY - dt.timedelta(days=10)
            return day, dt.datetime.combine(day, dt.time())
        case _:
            return "回答", "回答"


def counts(workspace: Path) -> dict[str, int]:
    """How many questionnaires, answer sets and answers the workspace store holds."""
    ws = find_workspace(workspace)
    store = open_store(ws.database_url)
    try:
        return store_counts(store)
    finally:
        store.close()


def copy(path: Path, name: str) -> Path:
    """A copy of ``path`` beside it, named ``name``."""
    target = path.with_name(name)
    shutil.copy(path, target)
    return target


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_convert(book: Path, outdir: Path, target: str = "xlsx") -> Path:
    """``book`` opened and saved again by headless LibreOffice as ``target`` (xlsx or pdf), in ``outdir``."""
    assert SOFFICE is not None, (
        "LibreOffice is not installed: make test installs it as root (apt-get install libreoffice-calc-nogui)"
    )
    outdir.mkdir(exist_ok=True)
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{outdir.parent / 'lo-profile'}",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    converted = outdir / f"{book.stem}.{target}"
    assert converted.is_file(), f"LibreOffice wrote no {converted.name}"
    return converted


def answer_organisation(workspace: Path, folder: Path, answers: dict[str, tuple[Any, Any, Any]] | None = None) -> Path:
    """Export the organisation questionnaire through the CLI, fill it (compliant unless ``answers`` say
    otherwise) and import it with ``--organisation``; return the filled workbook."""
    exported = run_cli(["questionnaire", "export", "--organisation", "-o", str(folder / "city.xlsx")], workspace)
    assert exported.exit_code == 0, exported.stderr
    filled = fill(folder / "city.xlsx", {**compliant_answers(workspace, ORGANISATION_ID), **(answers or {})})
    imported = run_cli(["questionnaire", "import", "--organisation", str(filled)], workspace)
    assert imported.exit_code == 0, imported.stderr
    return filled
