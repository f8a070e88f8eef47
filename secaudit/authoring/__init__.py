"""Checklists in Excel: export a checklist to an authoring workbook and import it back.

The workbook is for security officers who maintain checklists without
editing YAML. Its layout is described in ``layout``; ``export`` writes it,
``reading`` validates and converts it back, ``yaml_text`` renders the result
as checklist YAML, and ``soa_book`` writes a statement of applicability.
"""

from secaudit.authoring.cells import AuthoringError
from secaudit.authoring.export import export_checklist
from secaudit.authoring.reading import import_checklist
from secaudit.authoring.yaml_text import checklist_yaml

__all__ = ["AuthoringError", "checklist_yaml", "export_checklist", "import_checklist"]
