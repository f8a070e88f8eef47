"""The authoring workbook's layout: sheets, columns and the compact cell forms.

Sheet ``controls`` has one row per question. A control with three questions
takes three rows; the control's own fields are on its first row only, and
the ``id`` is repeated on every row so that filters and sorting keep the rows
together. A control assessed by scanner checks alone still gets one row with
the question columns empty. Sheet ``checklist`` holds the header (id,
version, title, description).
"""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.model import ControlType, Domain, Severity
from secaudit.model.control import AuditPhase, ControlScope, Procedure, QuestionType

CONTROLS_SHEET = "controls"
CHECKLIST_SHEET = "checklist"
RETIRED_SHEET = "retired"
RETIRED_HEADER = ("id", "replaced_by", "reason_ja", "reason_en")
"""Control ids no longer in use (optional sheet): never reused, old answers and risks explained."""
PROCEDURE_SLOTS = 5
LIST_SEPARATOR = " | "
YES, NO = "yes", "no"

WHEN_OBSERVED = " (when observed)"
"""Written after a check id in the ``checks`` cell: the control counts the check only when it was observed
(``CheckRef.when_observed``: web application findings, which only imported results hold)."""


@dataclass(frozen=True)
class Column:
    """One column of the controls sheet."""

    key: str
    width: int
    level: str  # "control" or "question" (or "key" for the id repeated on every row)
    vocabulary: tuple[str, ...] = ()
    text: bool = False  # long text: wrapped


def _column_list() -> tuple[Column, ...]:
    procedures = tuple(p.value for p in Procedure)
    yes_no = (YES, NO)
    columns = [
        Column("id", 16, "key"),
        Column("question_id", 12, "question"),
        Column("domain", 9, "control", tuple(d.value for d in Domain)),
        Column("section", 9, "control"),
        Column("control_type", 16, "control", tuple(t.value for t in ControlType)),
        Column("scope", 14, "control", tuple(s.value for s in ControlScope)),
        Column("severity", 11, "control", tuple(s.value for s in Severity)),
        Column("protects", 22, "control"),
        Column("title_ja", 30, "control", text=True),
        Column("title_en", 30, "control", text=True),
        Column("rationale_ja", 45, "control", text=True),
        Column("rationale_en", 45, "control", text=True),
        Column("applies_if", 30, "control", text=True),
        Column("checks", 30, "control", text=True),
        Column("scan_cadence_days", 12, "control"),
        *(Column(f"procedure_{i}", 18, "control", procedures) for i in range(1, PROCEDURE_SLOTS + 1)),
        *(
            Column(f"{phase.value}_{part}", width, "control", text=part != "techniques")
            for phase in AuditPhase
            for part, width in (("ja", 45), ("en", 45), ("techniques", 24))
        ),
        Column("evidence_ja", 32, "control", text=True),
        Column("evidence_en", 32, "control", text=True),
        Column("references", 36, "control", text=True),
        Column("remediation_ja", 45, "control", text=True),
        Column("remediation_en", 45, "control", text=True),
        Column("question_type", 14, "question", tuple(t.value for t in QuestionType)),
        Column("question_ja", 45, "question", text=True),
        Column("question_en", 45, "question", text=True),
        Column("help_ja", 32, "question", text=True),
        Column("help_en", 32, "question", text=True),
        Column("choices", 40, "question", text=True),
        Column("compliant", 18, "question"),
        Column("partial", 18, "question"),
        Column("non_compliant", 18, "question"),
        Column("not_applicable", 18, "question"),
        Column("compliant_range", 16, "question"),
        Column("partial_range", 16, "question"),
        Column("max_age_days", 12, "question"),
        Column("partial_age_days", 12, "question"),
        Column("required", 10, "question", yes_no),
        Column("requires_evidence", 12, "question", yes_no),
        Column("ask_contractor", 12, "question", yes_no),
        Column("depends_on", 20, "question"),
    ]
    return tuple(columns)


COLUMNS: tuple[Column, ...] = _column_list()
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}
CONTROL_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.level == "control")
QUESTION_KEYS: tuple[str, ...] = tuple(c.key for c in COLUMNS if c.level == "question")

CHECKLIST_HEADER = ("field", "value", "ja", "en")
"""Columns of the checklist sheet: id and version use ``value``; title and description use ja and en."""


def format_range(gte: float | None, lte: float | None) -> str:
    """A number range as ``low..high`` (either end may be left open)."""
    return f"{_number(gte)}..{_number(lte)}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_range(text: str) -> dict[str, float]:
    """Read ``low..high`` back into ``{gte, lte}``; raise ValueError on anything else."""
    low, sep, high = text.partition("..")
    if not sep:
        raise ValueError(f"'{text}' is not a range like 1..5, 1.. or ..5")
    bounds: dict[str, float] = {}
    for name, part in (("gte", low.strip()), ("lte", high.strip())):
        if part:
            try:
                bounds[name] = float(part)
            except ValueError:
                raise ValueError(f"'{part}' in range '{text}' is not a number") from None
    if not bounds:
        raise ValueError("a range needs at least one bound")
    return bounds


def split_lines(text: str) -> list[str]:
    """Non-blank lines of a cell, stripped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_values(text: str) -> list[str]:
    """Comma- or line-separated values of a cell."""
    return [v.strip() for line in text.splitlines() for v in line.split(",") if v.strip()]
