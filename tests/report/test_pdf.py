"""PDF through WeasyPrint with a Japanese font."""

from __future__ import annotations

import re
import zlib

import pytest

from secaudit.model import Language
from secaudit.report import ReportFormat, ReportInput, produce
from secaudit.report.render import pdf_available

PDF_MISSING = pdf_available()


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base font names in a PDF, looking inside compressed object streams too."""
    names: set[str] = set()
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            body = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        names.update(n.decode() for n in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+#-]+)", body))
    names.update(n.decode() for n in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+#-]+)", pdf))
    return names


@pytest.mark.skipif(PDF_MISSING is not None, reason=f"WeasyPrint is not usable here: {PDF_MISSING}")
@pytest.mark.parametrize("lang", list(Language))
def test_pdf_is_produced(report_input: ReportInput, lang: Language) -> None:
    data = produce(report_input, ReportFormat.PDF, lang)
    assert data.startswith(b"%PDF-")
    assert len(data) > 20_000
    fonts = embedded_fonts(data)
    assert any("Noto-Sans-CJK-JP" in name for name in fonts), fonts  # the Japanese font is embedded
    assert data.rstrip().endswith(b"%%EOF")


def test_missing_weasyprint_is_an_environment_failure(
    monkeypatch: pytest.MonkeyPatch, report_input: ReportInput
) -> None:
    from secaudit.errors import ExitCode
    from secaudit.report import render

    monkeypatch.setattr(render, "pdf_available", lambda: "ImportError: No module named 'weasyprint'")
    with pytest.raises(render.PdfUnavailable) as caught:
        produce(report_input, ReportFormat.PDF, Language.JA)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT
    assert "pip install" in str(caught.value) and "libpango" in str(caught.value)
