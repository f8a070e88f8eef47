"""Templates are compiled once per process, yet an edited workspace template still shows at once."""

from __future__ import annotations

import os
from pathlib import Path

from secaudit.report.render import render_template


def test_an_edited_workspace_template_is_rendered_anew(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    template = reports / "note.html.j2"
    template.write_text("first {{ who }}", encoding="utf-8")
    assert render_template("note.html.j2", {"who": "<b>"}, reports) == "first &lt;b&gt;"
    template.write_text("second {{ who }}", encoding="utf-8")
    stat = template.stat()
    os.utime(template, (stat.st_atime, stat.st_mtime + 5))  # a later modification time, whatever the clock
    assert render_template("note.html.j2", {"who": "x"}, reports) == "second x"


def test_each_workspace_keeps_its_own_templates(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "note.html.j2").write_text(f"{name} {{{{ v }}}}", encoding="utf-8")
    assert render_template("note.html.j2", {"v": 1}, tmp_path / "a") == "a 1"
    assert render_template("note.html.j2", {"v": 1}, tmp_path / "b") == "b 1"
