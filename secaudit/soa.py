"""Statement of applicability: every control of a service's checklists, in or out, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from secaudit.catalog import Catalog
from secaudit.model import Control, ControlResult, Domain, LocalizedText, ResultStatus, Service
from secaudit.model.condition import FACT_LABELS, explain


@dataclass(frozen=True)
class SoaEntry:
    """One line of the statement: a control, whether it applies, and the reason in ja and en."""

    checklist: str
    control: Control
    applicable: bool
    condition: str | None
    reason: LocalizedText
    by_answer: bool = False
    """Excluded by the owner's answers (every question answered 該当しない, with the reason), not by a condition."""


@dataclass(frozen=True)
class StatementOfApplicability:
    """The statement for one service against one catalog version."""

    service_id: str
    catalog_version: str
    entries: tuple[SoaEntry, ...]

    @property
    def applicable(self) -> list[SoaEntry]:
        """The entries that apply."""
        return [e for e in self.entries if e.applicable]

    @property
    def excluded(self) -> list[SoaEntry]:
        """The entries that do not apply."""
        return [e for e in self.entries if not e.applicable]

    def by_section(self) -> list[tuple[Domain, list[SoaEntry]]]:
        """The entries grouped by guideline section (§1 to §9), each group in subsection order (6.2 before 6.10)."""
        groups: dict[Domain, list[SoaEntry]] = {}
        for entry in sorted(self.entries, key=lambda e: tuple(int(n) for n in e.control.section.split("."))):
            groups.setdefault(entry.control.domain, []).append(entry)
        return [(domain, groups[domain]) for domain in Domain if domain in groups]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: summary counts and one object per control."""
        return {
            "service": self.service_id,
            "catalog_version": self.catalog_version,
            "summary": {
                "controls": len(self.entries),
                "applicable": len(self.applicable),
                "not_applicable": len(self.excluded),
            },
            "controls": [
                {
                    "id": e.control.id,
                    "checklist": e.checklist,
                    "domain": e.control.domain.value,
                    "section": e.control.section,
                    "severity": e.control.severity.value,
                    "title": {"ja": e.control.title.ja, "en": e.control.title.en},
                    "applicable": e.applicable,
                    "excluded_by_answer": e.by_answer,
                    "condition": e.condition,
                    "reason": {"ja": e.reason.ja, "en": e.reason.en},
                }
                for e in self.entries
            ],
        }


def statement_of_applicability(
    catalog: Catalog, service: Service, results: Sequence[ControlResult] = ()
) -> StatementOfApplicability:
    """Every control of the service's checklists, in the order the service lists them, with a readable reason.

    With the service's assessment ``results``, a control whose condition applies but whose owner answered
    every question 該当しない is shown as excluded by the answers, with the owner's reason (the assessment's).
    """
    by_answer = {
        r.control_id: LocalizedText(
            ja=f"所管課の回答により適用外: {r.reason_ja}", en=f"excluded by the owner's answers: {r.reason}"
        )
        for r in results
        if r.status is ResultStatus.NOT_APPLICABLE and r.reason
    }
    entries = []
    for item in catalog.applicability(service):
        condition = item.control.applies_if
        answered_out = item.applicable and item.control.id in by_answer
        entries.append(
            SoaEntry(
                checklist=item.checklist,
                control=item.control,
                applicable=item.applicable and not answered_out,
                condition=condition.describe() if condition is not None else None,
                reason=by_answer[item.control.id] if answered_out else item.reason,
                by_answer=answered_out,
            )
        )
    order = {name: index for index, name in enumerate(service.checklists)}
    entries.sort(key=lambda e: order.get(e.checklist, len(order)))  # stable: catalog order within a checklist
    return StatementOfApplicability(
        service_id=service.id,
        catalog_version=catalog.version,
        entries=tuple(entries),
    )


__all__ = ["FACT_LABELS", "SoaEntry", "StatementOfApplicability", "explain", "statement_of_applicability"]
