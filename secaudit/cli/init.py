"""``secaudit init``: create a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli.common import info
from secaudit.model import Language, RiskMatrixKind


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.", file_okay=False)] = Path("."),
    organisation_ja: Annotated[
        str, typer.Option("--organisation-ja", help="Organisation name in Japanese.")
    ] = "〇〇市",
    organisation_en: Annotated[
        str, typer.Option("--organisation-en", help="Organisation name in English.")
    ] = "Example City",
    language: Annotated[Language, typer.Option(help="Default language of reports and questionnaires.")] = Language.JA,
    risk_matrix: Annotated[RiskMatrixKind, typer.Option(help="Risk matrix: 5x5 or 3x3.")] = RiskMatrixKind.FIVE,
) -> None:
    """Create a workspace: secaudit.yaml, services/ with an example, and the private .secaudit/ folder."""
    from secaudit.pipeline.records import create_workspace

    ws = create_workspace(directory, organisation_ja, organisation_en, language, risk_matrix)
    info(f"created workspace {ws.root}")
    info(f"  configuration: {ws.root / 'secaudit.yaml'}")
    info(f"  services:      {ws.services_dir} (one example service)")
    info(f"  private data:  {ws.data_dir} (mode 0700)")
    info("next: edit services/*.yaml, then 'secaudit service validate' and 'secaudit checklist soa SERVICE'")
