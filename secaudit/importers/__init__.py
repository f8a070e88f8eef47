"""Outside tools' results as evidence: one protocol (``base.Importer``) and this one registry of formats."""

from __future__ import annotations

from secaudit.importers.base import Imported, ImportedFacts, Importer, UnreadableImport
from secaudit.importers.nmap import NmapXmlImporter
from secaudit.importers.sarif import SarifImporter
from secaudit.importers.sslyze import SslyzeJsonImporter
from secaudit.importers.testssl import TestsslJsonImporter
from secaudit.importers.zap import ZapJsonImporter

REGISTRY: dict[str, Importer] = {
    importer.format: importer
    for importer in (
        NmapXmlImporter(),
        SslyzeJsonImporter(),
        TestsslJsonImporter(),
        ZapJsonImporter(),
        SarifImporter(),
    )
}
"""Every importer by its ``--format`` name, in the order ``auto`` tries them."""


def detect(data: bytes) -> Importer | None:
    """The one importer that recognises ``data``, or None when none (or more than one) does."""
    found = [importer for importer in REGISTRY.values() if importer.detect(data)]
    return found[0] if len(found) == 1 else None


__all__ = ["REGISTRY", "Imported", "ImportedFacts", "Importer", "UnreadableImport", "detect"]
