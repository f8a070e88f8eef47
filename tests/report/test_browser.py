"""Open the HTML report in headless Chromium (Debian's package; make test installs it) and save a screenshot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from secaudit.model import Language
from secaudit.report import ReportFormat, ReportInput, produce
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS


@pytest.mark.parametrize("lang", list(Language))
def test_report_renders_in_headless_chromium(report_input: ReportInput, tmp_path: Path, lang: Language) -> None:
    assert CHROMIUM is not None, "Chromium is not installed: make test installs it as root (apt-get install chromium)"
    page = tmp_path / f"report-{lang.value}.html"
    page.write_bytes(produce(report_input, ReportFormat.HTML, lang))
    shot = tmp_path / f"report-{lang.value}.png"
    done = subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1240,1754",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 30_000  # a rendered page with text and charts, not a blank one
    print(f"screenshot: {shot}")
