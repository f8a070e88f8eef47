"""A questionnaire with far more answer lists than the alphabet has letters: every drop-down works."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from openpyxl.utils import column_index_from_string
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from secaudit.questionnaire.instructions import ANSWERED_BY_CELL
from secaudit.store import open_store
from secaudit.store.answers import latest_answers
from secaudit.workspace import find_workspace
from tests.assessment_data import AUDIT
from tests.conftest import run_cli
from tests.questionnaire.conftest import QTEST_SERVICE, export, libreoffice_convert, rows_by_ref

LISTS = 120
"""Distinct choice lists in the generated checklist: well past the 52 that two-letter columns A..AZ hold."""


EXCEL_MAX_COLUMN = 16384
# A list source as Excel and LibreOffice accept it: a (quoted) sheet name and an absolute range in one column.
SOURCE = re.compile(
    r"^(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[A-Za-z_][\w.]*))!\$(?P<c1>[A-Z]{1,3})\$(?P<r1>[1-9]\d*)"
    r":\$(?P<c2>[A-Z]{1,3})\$(?P<r2>[1-9]\d*)$"
)


def many_lists_checklist() -> dict[str, object]:
    """``LISTS`` controls, each with a choice question whose labels no other question shares, plus a yes/no."""
    controls = []
    for n in range(1, LISTS + 1):
        questions: list[dict[str, object]] = [
            {
                "id": "q1",
                "type": "choice",
                "text": {"ja": f"設問{n}の状況は？", "en": f"State of item {n}?"},
                "choices": [
                    {"value": "full", "label": {"ja": f"実施済み{n}", "en": f"Done {n}"}},
                    {"value": "some", "label": {"ja": f"一部実施{n}", "en": f"Partly {n}"}},
                    {"value": "none", "label": {"ja": f"未実施{n}", "en": f"Not done {n}"}},
                ],
                "compliant": ["full"],
                "partial": ["some"],
                "non_compliant": ["none"],
            }
        ]
        if n % 10 == 0:
            questions.append({"id": "q2", "type": "yes_no", "text": {"ja": f"確認{n}", "en": f"Checked {n}?"}})
        controls.append(
            {
                "id": f"GEN-6.1-{n:03d}",
                "domain": "TEC",
                "section": "6.1",
                "control_type": "technical",
                "title": {"ja": f"項目{n}", "en": f"Item {n}"},
                "rationale": {"ja": "理由", "en": "Why"},
                "severity": "medium",
                "questions": questions,
                "remediation": {"ja": "改善する", "en": "Improve"},
                "procedure": ["document_review"],
                "audit": AUDIT,
            }
        )
    return {
        "checklist": {"id": "gen", "version": "1", "title": {"ja": "生成", "en": "Generated"}},
        "controls": controls,
    }


@pytest.fixture
def many_lists_workspace(workspace: Path) -> Path:
    """The test workspace with the generated checklist and a service that uses only it."""
    (workspace / "checklists").mkdir(exist_ok=True)
    (workspace / "checklists" / "gen.yaml").write_text(
        yaml.safe_dump(many_lists_checklist(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    service = QTEST_SERVICE.replace("id: qtest-svc", "id: gen-svc").replace("checklists: [qtest]", "checklists: [gen]")
    (workspace / "services" / "gen-svc.yaml").write_text(service, encoding="utf-8")
    return workspace


def list_validations(ws: Worksheet) -> list[DataValidation]:
    return [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]


def source_values(wb: openpyxl.Workbook, formula: str) -> list[str]:
    """The labels a list source points at; fail unless it is a valid reference to a non-empty range."""
    match = SOURCE.match(formula)
    assert match, f"not a valid list source: {formula!r}"
    sheet = match["plain"] or match["quoted"].replace("''", "'")
    assert sheet in wb.sheetnames, f"{formula!r} names a sheet that does not exist"
    assert match["c1"] == match["c2"], f"{formula!r} spans several columns"
    column = column_index_from_string(match["c1"])
    assert 1 <= column <= EXCEL_MAX_COLUMN
    first, last = int(match["r1"]), int(match["r2"])
    assert first <= last
    values = [wb[sheet].cell(row, column).value for row in range(first, last + 1)]
    assert all(isinstance(v, str) and v for v in values), f"{formula!r} points at empty cells: {values}"
    return values


def fill_through_dropdowns(book: Path, pick: int) -> dict[str, str]:
    """Answer every question with the ``pick``-th entry of its drop-down; return the label chosen per ref."""
    wb = openpyxl.load_workbook(book)
    answers = wb.worksheets[1]
    validations = list_validations(answers)
    chosen: dict[str, str] = {}
    for ref, row in rows_by_ref(book).items():
        cell = f"F{row}"
        covering = [dv for dv in validations if cell in dv.sqref]
        assert len(covering) == 1, f"{ref}: {len(covering)} drop-downs on {cell}"
        labels = source_values(wb, covering[0].formula1)
        chosen[ref] = labels[pick % len(labels)]
        answers[cell] = chosen[ref]
    wb.worksheets[0][ANSWERED_BY_CELL] = "山田 花子"
    wb.save(book)
    return chosen


def expected_values(chosen: dict[str, str]) -> dict[tuple[str, str], str]:
    """The choice value each chosen label stands for, read from the generated checklist."""
    labels: dict[tuple[str, str, str], str] = {}
    for control in many_lists_checklist()["controls"]:  # type: ignore[attr-defined]
        for question in control["questions"]:
            choices = question.get("choices") or [
                {"value": "yes", "label": {"ja": "はい"}},
                {"value": "no", "label": {"ja": "いいえ"}},
                {"value": "na", "label": {"ja": "該当しない"}},
            ]
            for choice in choices:
                labels[(control["id"], question["id"], choice["label"]["ja"])] = choice["value"]
    return {tuple(ref.split("/")): labels[(*ref.split("/"), label)] for ref, label in chosen.items()}  # type: ignore[misc]


def stored_values(workspace: Path) -> dict[tuple[str, str], object]:
    store = open_store(find_workspace(workspace).database_url)
    try:
        return {key: answer.value for key, answer in latest_answers(store, "gen-svc").items()}
    finally:
        store.close()


def test_every_dropdown_source_is_a_valid_range_and_every_answer_imports(
    many_lists_workspace: Path, tmp_path: Path
) -> None:
    book = export(many_lists_workspace, "gen-svc", tmp_path / "gen.xlsx")
    wb = openpyxl.load_workbook(book)
    validations = list_validations(wb.worksheets[1])
    sources = {dv.formula1 for dv in validations}
    assert len(sources) == LISTS + 1  # one per choice question, and the shared yes/no list
    for dv in validations:
        source_values(wb, dv.formula1)
    chosen = fill_through_dropdowns(book, pick=0)
    assert len(chosen) == LISTS + LISTS // 10
    result = run_cli(["questionnaire", "import", str(book)], many_lists_workspace)
    assert result.exit_code == 0, result.stderr
    assert stored_values(many_lists_workspace) == expected_values(chosen)


def test_many_lists_survive_a_libreoffice_resave(many_lists_workspace: Path, tmp_path: Path) -> None:
    book = export(many_lists_workspace, "gen-svc", tmp_path / "gen.xlsx")
    chosen = fill_through_dropdowns(book, pick=1)
    resaved = libreoffice_convert(book, tmp_path / "resaved")
    wb = openpyxl.load_workbook(resaved)
    validations = list_validations(wb.worksheets[1])
    assert len({dv.formula1 for dv in validations}) == LISTS + 1
    for dv in validations:
        source_values(wb, dv.formula1)
    result = run_cli(["questionnaire", "import", str(resaved)], many_lists_workspace)
    assert result.exit_code == 0, result.stderr
    assert stored_values(many_lists_workspace) == expected_values(chosen)
