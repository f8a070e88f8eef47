"""The walls between layers, read from the source: the CLI and the portal are interfaces over the pipeline library."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "secaudit" / "cli"
PIPELINE = ROOT / "secaudit" / "pipeline"
PORTAL = ROOT / "secaudit" / "portal"
INTERFACES = (CLI, PORTAL)

FORBIDDEN_IN_CLI = ("secaudit.store", "sqlalchemy", "secaudit.atomic")
"""The CLI reaches the database only through the pipeline (``Session.store()`` hands it on unopened), and
writes no file itself: reports, registers, the dashboard, checklists and statements are written by the pipeline."""

PIPELINE_STEPS = ("gather_evidence", "evaluate_service", "report_input", "write_report", "collect_dashboard")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
    return found


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_no_interface_imports_the_store_or_sqlalchemy_or_writes_a_file() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for folder in INTERFACES
        for path in sorted(folder.glob("*.py"))
        for line, module in _imports(path)
        if any(module == name or module.startswith(name + ".") for name in FORBIDDEN_IN_CLI)
    ]
    assert offending == []


def test_no_pipeline_step_is_defined_in_the_cli() -> None:
    in_cli = {f"{path.name}: {name}" for path in CLI.glob("*.py") for name in _defined(path) & set(PIPELINE_STEPS)}
    assert in_cli == set()
    in_pipeline = set().union(*(_defined(path) for path in PIPELINE.glob("*.py")))
    assert set(PIPELINE_STEPS) <= in_pipeline


def test_the_pipeline_never_imports_an_interface() -> None:
    offending = [
        f"{path.name}:{line}: {module}"
        for path in sorted(PIPELINE.glob("*.py"))
        for line, module in _imports(path)
        if module.startswith(("secaudit.cli", "secaudit.portal", "starlette", "uvicorn", "rich."))
        or module in ("typer", "rich")
    ]
    assert offending == []


def test_tests_reach_the_cli_only_as_a_user_does() -> None:
    """Tests run commands through the app; library behaviour is tested on the library."""
    allowed = {"secaudit.cli.app", "secaudit.cli"}
    offending = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line, module in _imports(path)
        if module.startswith("secaudit.cli") and module not in allowed
    ]
    assert offending == []
