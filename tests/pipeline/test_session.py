"""The pipeline used as a library, as the README shows it: no command line involved."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## secaudit as a library", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the README's library section has no python example"
    return found[1]


def test_the_readme_library_example_runs_in_a_workspace(workspace: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _readme_example()], cwd=workspace, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    decision, path = done.stdout.splitlines()
    assert re.fullmatch(r"(GO|CONDITIONAL|NO-GO) \d+ risks", decision)
    report = Path(path)
    assert report.is_file() and report.is_relative_to(workspace / ".secaudit" / "reports" / "kosodate-portal")
    assert "<html" in report.read_text(encoding="utf-8")
    assert (
        "report.write"
        in subprocess.run(
            [sys.executable, "-m", "secaudit", "log", "show", "--format", "json"],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )


def test_a_session_opens_each_part_once(workspace: Path) -> None:
    from secaudit.pipeline.session import Session

    session = Session(workspace)
    assert session.workspace() is session.workspace()
    assert session.catalog() is session.catalog()
    assert session.store() is session.store()
    assert {s.id for s in session.services()} >= {"kosodate-portal"}
