"""The command line starts without building pydantic models, and every model name still imports."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import secaudit.model as model

REPO = Path(__file__).resolve().parent.parent


def test_cli_start_up_loads_no_pydantic_model() -> None:
    code = "import sys, secaudit.cli.app; print(sorted(m for m in sys.modules if m.startswith('pydantic')))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_an_html_report_loads_no_workbook_library() -> None:
    """openpyxl costs a tenth of a second at start-up; only workbooks and the register CSV need it."""
    code = (
        "import sys, secaudit.pipeline.reporting, secaudit.report, secaudit.report.formats; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'weasyprint')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_every_model_name_imports_from_the_package() -> None:
    for name in model.__all__:
        home = importlib.import_module(model._HOMES[name])
        assert getattr(model, name) is getattr(home, name)
    assert sorted(model.__all__) == sorted(model._HOMES)


def test_vocabulary_enums_are_the_ones_the_models_use() -> None:
    from secaudit.model import common, config, result, vocab

    assert common.Severity is vocab.Severity is model.Severity
    assert config.RiskMatrixKind is model.RiskMatrixKind
    assert result.ResultStatus is model.ResultStatus
    assert model.Severity.CRITICAL.rank == 4 and model.Domain.EVAL.section == 9
