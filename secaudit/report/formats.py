"""The output formats of ``secaudit report``: one registry, one function per format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from secaudit.model import Language
from secaudit.report.input import ReportInput
from secaudit.report.junit import junit_document
from secaudit.report.oscal import oscal_document
from secaudit.report.render import html_to_pdf, render_template
from secaudit.report.sarif import sarif_document
from secaudit.report.tabular import register_table, report_json
from secaudit.report.view import ReportView, build_view


class ReportFormat(StrEnum):
    """Formats a report can be written in."""

    HTML = "html"
    MD = "md"
    PDF = "pdf"
    JSON = "json"
    OSCAL = "oscal"
    SARIF = "sarif"
    JUNIT = "junit"
    CSV = "csv"


@dataclass(frozen=True)
class FormatSpec:
    """How one format is produced and what its file is called."""

    extension: str
    media_type: str
    produce: Callable[[ReportView, Path | None], bytes]


def _html(view: ReportView, templates: Path | None) -> bytes:
    return render_template("report.html.j2", {"v": view, "t": view.t}, templates).encode("utf-8")


def _markdown(view: ReportView, templates: Path | None) -> bytes:
    return render_template("report.md.j2", {"v": view, "t": view.t}, templates).encode("utf-8")


def _pdf(view: ReportView, templates: Path | None) -> bytes:
    return html_to_pdf(_html(view, templates).decode("utf-8"))


FORMATS: dict[ReportFormat, FormatSpec] = {
    ReportFormat.HTML: FormatSpec("html", "text/html", _html),
    ReportFormat.MD: FormatSpec("md", "text/markdown", _markdown),
    ReportFormat.PDF: FormatSpec("pdf", "application/pdf", _pdf),
    ReportFormat.JSON: FormatSpec("json", "application/json", lambda v, _: report_json(v)),
    ReportFormat.OSCAL: FormatSpec("oscal.json", "application/json", lambda v, _: oscal_document(v)),
    ReportFormat.SARIF: FormatSpec("sarif", "application/sarif+json", lambda v, _: sarif_document(v)),
    ReportFormat.JUNIT: FormatSpec("junit.xml", "application/xml", lambda v, _: junit_document(v)),
    ReportFormat.CSV: FormatSpec("csv", "text/csv", lambda v, _: register_table(v)),
}


def produce(data: ReportInput, fmt: ReportFormat, lang: Language, templates: Path | None = None) -> bytes:
    """The report for ``data`` in format ``fmt`` and language ``lang``, as bytes ready to write."""
    return FORMATS[fmt].produce(build_view(data, lang), templates)
