"""PDF through WeasyPrint with a Japanese font."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path

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


@pytest.mark.skipif(PDF_MISSING is not None, reason=f"WeasyPrint is not usable here: {PDF_MISSING}")
def test_the_japanese_pdf_reads_in_japanese_as_printed(report_input: ReportInput, tmp_path: Path) -> None:
    """What the CISO reads: the printed text (pdftotext), not the HTML behind it."""
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(produce(report_input, ReportFormat.PDF, Language.JA))
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    text = done.stdout
    pages = text.count("\f")
    assert 0 < pages <= 25
    assert not re.search(r"answer: [a-z_]+", text)
    for leak in ("non-compliant", "check failed", "not applicable", "Critical", "high 以上", "completed", "saas"):
        assert leak not in text, leak
    body = text.split("\n付録\n")[0]
    findings = body.split("3. 指摘事項")[1].split("4. 改善提言")[0]
    recommendations = body.split("4. 改善提言")[1].split("5. 良好事項")[0]
    blocking = {r.refs[1] for r in report_input.decision.reasons if r.clause == "open-risk" and len(r.refs) > 1}
    assert blocking
    for control_id in blocking:
        assert control_id in findings and control_id not in recommendations, control_id
