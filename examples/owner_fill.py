"""Play the service owner (or the city for the organisation questionnaire): fill an exported workbook as a
person would in Excel.

    python examples/owner_fill.py WORKBOOK ANSWERS.yaml --workspace DIR [-o FILLED.xlsx]

Reads whom the workbook is for and its questions from the workbook's metadata
sheet (a service, or the organisation for the city-wide controls) and the catalog of the
workspace, writes answers (labels as shown in the dropdowns), evidence
references and comments into the answer cells and the respondent's name into
the instructions sheet. Answers not listed in ANSWERS.yaml are compliant.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from secaudit.catalog import load_catalog
from secaudit.inventory import find_service
from secaudit.model import ORGANISATION_ID, Question, QuestionType
from secaudit.questionnaire import layout as L
from secaudit.questionnaire.instructions import ANSWERED_BY_CELL
from secaudit.questionnaire.items import QuestionItem, organisation_items, question_items
from secaudit.questionnaire.validation import condition_met
from secaudit.questionnaire.values import MULTI_SEPARATOR
from secaudit.workspace import find_workspace


def compliant_value(question: Question, today: dt.date) -> Any:
    """A compliant answer to ``question``."""
    choices = [c.value for c in question.allowed_choices()]
    match question.type:
        case QuestionType.YES_NO | QuestionType.CHOICE:
            return (question.compliant or choices)[0]
        case QuestionType.MULTI_CHOICE:
            return list(question.compliant or choices[:1])
        case QuestionType.NUMBER:
            bounds = question.compliant_range
            if bounds is not None and bounds.gte is not None:
                return bounds.gte
            return bounds.lte if bounds is not None and bounds.lte is not None else 1
        case QuestionType.DATE:
            return today - dt.timedelta(days=45)
        case QuestionType.TEXT:
            return "記載のとおり"


def cell_text(question: Question, value: Any) -> Any:
    """What the owner types or picks: labels for choices, a date for dates."""
    labels = {c.value: c.label.ja for c in question.allowed_choices()}
    if isinstance(value, list):
        return f"{MULTI_SEPARATOR} ".join(labels[v] for v in value)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return labels.get(value, value) if isinstance(value, str) else value


def rows_by_ref(workbook: openpyxl.Workbook) -> dict[str, int]:
    """``{"CONTROL/q": row}`` from the workbook's metadata sheet."""
    meta = workbook[L.META_SHEET]
    refs: dict[str, int] = {}
    in_table = False
    for values in meta.iter_rows(max_col=5, values_only=True):
        if in_table and values[0] is not None:
            refs[f"{values[2]}/{values[3]}"] = int(values[0])
        in_table = in_table or tuple(values) == L.META_TABLE_HEADER
    return refs


def respondent_of(workbook: openpyxl.Workbook) -> str:
    """The service id (or ``organisation``) the workbook was exported for."""
    for key, value, *_ in workbook[L.META_SHEET].iter_rows(max_col=2, values_only=True):
        if key == "service_id":
            return str(value)
    raise SystemExit("not a secaudit questionnaire: no service_id in its metadata")


def items_for(workspace: Path, respondent: str) -> list[QuestionItem]:
    """The questions a workbook for ``respondent`` can hold."""
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    if respondent == ORGANISATION_ID:
        return organisation_items(catalog)
    service = find_service(ws.services_dir, respondent, catalog.checklists, ws.config.classification_scheme)
    return question_items(catalog, service, include_organisation=True)


def main() -> None:
    """Fill the workbook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("answers", type=Path)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()

    plan = yaml.safe_load(args.answers.read_text(encoding="utf-8"))
    explicit: dict[str, dict[str, Any]] = plan.get("answers", {})
    today = dt.date.today()
    workbook = openpyxl.load_workbook(args.workbook)
    sheet = workbook.worksheets[1]
    rows = rows_by_ref(workbook)
    chosen: dict[tuple[str, str], Any] = {}
    for item in items_for(args.workspace, respondent_of(workbook)):
        if item.ref not in rows:  # a city-wide question the service's workbook leaves to the organisation
            continue
        if item.parent is not None and not condition_met(item, chosen.get(item.parent.key)):
            continue
        spec = explicit.get(item.ref, {})
        if "days_ago" in spec:
            value = today - dt.timedelta(days=int(spec["days_ago"]))
        else:
            value = spec.get("value", compliant_value(item.question, today))
        chosen[item.key] = value
        row = rows[item.ref]
        sheet.cell(row, L.COL_ANSWER, cell_text(item.question, value))
        evidence = spec.get("evidence") or (plan.get("evidence") if item.question.requires_evidence else None)
        sheet.cell(row, L.COL_EVIDENCE, evidence)
        sheet.cell(row, L.COL_COMMENT, spec.get("comment"))
    workbook.worksheets[0][ANSWERED_BY_CELL] = plan.get("answered_by", "service owner")
    target = args.output or args.workbook
    workbook.save(target)
    print(f"filled {len(chosen)} answers into {target}")


if __name__ == "__main__":
    main()
