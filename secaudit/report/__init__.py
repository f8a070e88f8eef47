"""Audit reports, the portfolio dashboard and exports (OSCAL, SARIF, JUnit, CSV, JSON).

Model-only: everything here works on values handed in (``ReportInput``); the
CLI gathers them from the store and the assessment.
"""

from secaudit.model.drift import DriftState
from secaudit.report.formats import FORMATS, ReportFormat, produce
from secaudit.report.input import DriftItem, ReportError, ReportInput, ScorePoint, from_evaluation

__all__ = [
    "FORMATS",
    "DriftItem",
    "DriftState",
    "ReportError",
    "ReportFormat",
    "ReportInput",
    "ScorePoint",
    "from_evaluation",
    "produce",
]
