"""Statement of applicability: every control of a service's checklists, in or out, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secaudit.catalog import Catalog
from secaudit.model import Control, Domain, LocalizedText, Service
from secaudit.model.condition import Condition

FACT_LABELS: dict[str, tuple[str, str]] = {
    "internet_facing": ("インターネット公開", "internet-facing"),
    "personal_data": ("個人情報の取扱い", "personal data"),
    "mynumber": ("マイナンバーの取扱い", "My Number"),
    "payment": ("オンライン決済", "online payment"),
    "cloud": ("クラウド利用形態", "cloud model"),
    "outsourced": ("業務委託", "outsourced"),
    "network_tier": ("ネットワーク層", "network tier"),
    "confidentiality": ("機密性", "confidentiality"),
    "integrity": ("完全性", "integrity"),
    "availability": ("可用性", "availability"),
}


@dataclass(frozen=True)
class SoaEntry:
    """One line of the statement: a control, whether it applies, and the reason in ja and en."""

    checklist: str
    control: Control
    applicable: bool
    condition: str | None
    reason: LocalizedText


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
                    "condition": e.condition,
                    "reason": {"ja": e.reason.ja, "en": e.reason.en},
                }
                for e in self.entries
            ],
        }


def statement_of_applicability(catalog: Catalog, service: Service) -> StatementOfApplicability:
    """Every control of the service's checklists, in the order the service lists them, with a readable reason."""
    facts = service.facts()
    entries = []
    for item in catalog.applicability(service):
        condition = item.control.applies_if
        entries.append(
            SoaEntry(
                checklist=item.checklist,
                control=item.control,
                applicable=item.applicable,
                condition=condition.describe() if condition is not None else None,
                reason=explain(condition, facts),
            )
        )
    order = {name: index for index, name in enumerate(service.checklists)}
    entries.sort(key=lambda e: order.get(e.checklist, len(order)))  # stable: catalog order within a checklist
    return StatementOfApplicability(
        service_id=service.id,
        catalog_version=catalog.version,
        entries=tuple(entries),
    )


def explain(condition: Condition | None, facts: Mapping[str, Any]) -> LocalizedText:
    """Why a condition includes or excludes a control, naming the service's own values."""
    if condition is None:
        return LocalizedText(ja="すべてのサービスに適用", en="applies to every service")
    if condition.evaluate(facts):
        shown = _facts(condition, facts)
        return LocalizedText(
            ja=f"適用: 条件「{condition.describe()}」を満たす（このサービス: {shown[0]}）",
            en=f"applies: {condition.describe()} holds (this service: {shown[1]})",
        )
    failing = deciding_part(condition, facts)
    shown = _facts(failing, facts)
    return LocalizedText(
        ja=f"適用外: 条件「{failing.describe()}」を満たさない（このサービス: {shown[0]}）",
        en=f"excluded: requires {failing.describe()}, but this service has {shown[1]}",
    )


def deciding_part(condition: Condition, facts: Mapping[str, Any]) -> Condition:
    """The smallest false sub-condition that makes ``condition`` false."""
    if condition.all_ is not None:
        for child in condition.all_:
            if not child.evaluate(facts):
                return deciding_part(child, facts)
    return condition


def _attrs(condition: Condition) -> list[str]:
    if condition.attr is not None:
        return [condition.attr]
    children = [*(condition.all_ or []), *(condition.any_ or []), *([condition.not_] if condition.not_ else [])]
    names: list[str] = []
    for child in children:
        names.extend(n for n in _attrs(child) if n not in names)
    return names


def _facts(condition: Condition, facts: Mapping[str, Any]) -> tuple[str, str]:
    ja, en = [], []
    for name in _attrs(condition):
        value = _show(facts.get(name))
        label_ja, label_en = FACT_LABELS.get(name, (name, name))
        ja.append(f"{label_ja} {name} = {value}")
        en.append(f"{name} = {value}")
    return "、".join(ja), ", ".join(en)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "(none)" if value is None else str(value)
